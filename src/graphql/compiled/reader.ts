import type { Db } from '../../db';
import { engineOf } from '../../db/engine';
import type { Row } from './plan';

/** Statements as each engine runs them: `?` placeholders; SQLite's `json_each` or PostgreSQL's arrays for lists of ids. */
export interface Reader {
  rows(text: string, params: unknown[]): Promise<Row[]>;
  /** The rows of `table` with these ids: `columns` is the select list over alias t, `joins` what it joins to t. */
  byIds(table: string, columns: string, joins: string, ids: readonly number[]): Promise<Row[]>;
  /** count(*) as a number (PostgreSQL counts in bigint, which node-postgres reads as a string). */
  count: string;
  /**
   * The rows of `inner` (which names its parent `@parent`, before any other parameter) for each
   * parent, in the parents' order and then by the `order` column, each with `__parent`.
   */
  perParent(parents: readonly number[], inner: string, params: unknown[], order: string | null, columns: readonly string[]): Promise<Row[]>;
  /** PostgreSQL: a statement written with its own numbered parameters ($1…), which builds a whole answer (./statement.ts). */
  statement?(text: string, params: unknown[]): Promise<Row[]>;
}

const readers = new WeakMap<Db, Reader>();
export function readerOf(db: Db): Reader {
  let reader = readers.get(db);
  if (!reader) readers.set(db, (reader = newReader(db)));
  return reader;
}

function newReader(db: Db): Reader {
  const engine = engineOf(db);
  if (engine.name === 'sqlite') {
    const rows = (text: string, params: unknown[]) => engine.query(text, params);
    return {
      rows,
      byIds: (table, columns, joins, ids) =>
        ids.length === 1
          ? rows(`SELECT ${columns} FROM "${table}" t${joins} WHERE t.id = ?`, [ids[0]])
          : rows(`SELECT ${columns} FROM "${table}" t${joins} WHERE t.id IN (SELECT value FROM json_each(?))`, [JSON.stringify(ids)]),
      count: 'count(*)',
      // One statement for every parent: each parent's rows as a JSON array of arrays (SQLite has no
      // LATERAL), read in their order as the drizzle plugin reads its nested rows.
      async perParent(parents, inner, params, order, columns) {
        const text = `SELECT j.value AS "__parent", (SELECT json_group_array(json_array(${columns.map((c) => `x."${c}"`).join(', ')})) FROM (${inner.replace('@parent', 'j.value')}) x) AS "__rows" FROM json_each(?) j`;
        const found: Row[] = [];
        for (const row of await rows(text, [...params, JSON.stringify(parents)])) {
          for (const values of JSON.parse(row.__rows as string) as unknown[][]) {
            const object: Row = { __parent: row.__parent };
            columns.forEach((column, i) => (object[column] = values[i]));
            found.push(object);
          }
        }
        return found;
      },
    };
  }
  let n = 0;
  const numbered = (text: string) => ((n = 0), text.replace(/\?/g, () => `$${++n}`));
  const texts = new Map<string, string>();
  const rows = (text: string, params: unknown[]) => {
    let native = texts.get(text);
    if (native === undefined) {
      // Bounded: clients choose the shapes, and so the texts.
      if (texts.size >= 1000) texts.clear();
      texts.set(text, (native = numbered(text)));
    }
    return engine.query(native, params);
  };
  return {
    rows,
    // Each id looked up through the primary key: given the ids as one array, the planner may
    // rather read the whole table (LIMIT 1 keeps the lookup a subquery of its own).
    // One id (node(id:), a link from one row) is a plain lookup by primary key.
    byIds: (table, columns, joins, ids) =>
      ids.length === 1
        ? rows(`SELECT ${columns} FROM "${table}" t${joins} WHERE t.id = ?`, [ids[0]])
        : rows(`SELECT x.* FROM unnest(?::int[]) AS q(id) CROSS JOIN LATERAL (SELECT ${columns} FROM "${table}" t${joins} WHERE t.id = q.id LIMIT 1) x`, [ids]),
    count: 'CAST(count(*) AS integer)',
    statement: (text, params) => engine.query(text, params),
    // One statement for every parent: a round trip each would cost more than the statement.
    perParent: (parents, inner, params, order) =>
      rows(
        `SELECT q.parent AS "__parent", x.* FROM unnest(?::int[]) WITH ORDINALITY AS q(parent, ord) CROSS JOIN LATERAL (${inner.replace('@parent', 'q.parent')}) x ORDER BY q.ord${order ? `, x."${order}"` : ''}`,
        [parents, ...params],
      ),
  };
}
