import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { relations as pgRelations } from '../schema/pg/relations';
import * as pgTables from '../schema/pg/tables';
import { relations as sqliteRelations } from '../schema/relations';
import * as sqliteTables from '../schema/tables';

/**
 * The schema is declared once per dialect (schema/tables.ts, schema/pg/tables.ts): this is what
 * keeps the two one declaration in substance. Everything but the dialect's spelling must agree:
 * tables, columns (name, nullability, default present, key), indexes (name, uniqueness, columns),
 * CHECK names, foreign keys (columns, target, ON DELETE) and relations.
 */
type AnyConfig = ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>;

function shape(config: AnyConfig) {
  const indexColumns = (cols: readonly unknown[]) =>
    cols.map((c) => (c && typeof c === 'object' && 'name' in c ? (c as { name: string }).name : 'expression'));
  return {
    name: config.name,
    columns: config.columns.map((c) => ({ name: c.name, notNull: c.notNull, hasDefault: c.hasDefault, primary: c.primary })),
    primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
    indexes: config.indexes
      .map((i) => ({ name: i.config.name, unique: i.config.unique, columns: indexColumns(i.config.columns as readonly unknown[]) }))
      .sort((a, b) => a.name!.localeCompare(b.name!)),
    checks: config.checks.map((c) => c.name).sort(),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return {
          columns: ref.columns.map((c) => c.name),
          target: ref.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? 'no action',
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

const tableNames = (tables: Record<string, unknown>) =>
  Object.keys(tables)
    .filter((k) => typeof tables[k] === 'object' && tables[k] !== null && Symbol.for('drizzle:Name') in (tables[k] as object))
    .sort();

describe('the SQLite and PostgreSQL schemas', () => {
  it('declare the same tables', () => {
    expect(tableNames(pgTables)).toEqual(tableNames(sqliteTables));
    expect(tableNames(sqliteTables).length).toBeGreaterThan(10);
  });

  for (const name of tableNames(sqliteTables)) {
    it(`declare ${name} alike`, () => {
      const sqlite = shape(sqliteTableConfig(sqliteTables[name as keyof typeof sqliteTables] as never));
      const pg = shape(pgTableConfig(pgTables[name as keyof typeof pgTables] as never));
      // SQLite's INTEGER PRIMARY KEY has an implicit default (the rowid); a pg identity says so.
      const normalize = (s: typeof sqlite) => ({ ...s, columns: s.columns.map((c) => (c.primary ? { ...c, hasDefault: true } : c)) });
      expect(normalize(pg)).toEqual(normalize(sqlite));
    });
  }

  it('relate the tables alike', () => {
    const shapeOf = (relations: Record<string, { relations: Record<string, object> }>) =>
      Object.fromEntries(
        Object.entries(relations).map(([table, { relations: rels }]) => [
          table,
          Object.fromEntries(
            Object.entries(rels).map(([name, r]) => {
              const rel = r as { relationType: string; targetTableName: string; alias?: string; optional?: boolean; through?: unknown };
              return [name, { type: rel.relationType, target: rel.targetTableName, alias: rel.alias, optional: rel.optional, through: !!rel.through }];
            }),
          ),
        ]),
      );
    const sqlite = shapeOf(sqliteRelations as never);
    expect(Object.keys(sqlite.claims!)).toContain('citations');
    expect(shapeOf(pgRelations as never)).toEqual(sqlite);
  });
});
