import { type SQL, sql } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import { intervalEnd } from '../domain/partial-date';

/** Partial-date interval overlap: [from, to] (either open) meets [start, end] (either unknown). */
export function overlaps(
  start: AnySQLiteColumn | SQL,
  end: AnySQLiteColumn | SQL,
  from: string | null | undefined,
  to: string | null | undefined,
): SQL[] {
  const conditions: SQL[] = [];
  if (to) conditions.push(sql`(${start} IS NULL OR ${start} <= ${intervalEnd(to)})`);
  if (from) conditions.push(sql`(${end} IS NULL OR ${end} || '~' >= ${from})`);
  return conditions;
}

/** TRUE and FALSE, not 1 and 0: PostgreSQL wants a boolean where SQLite takes any number (both read the keywords). */
export const and = (conditions: SQL[]): SQL =>
  conditions.length === 0 ? sql`TRUE` : sql.join(conditions.map((c) => sql`(${c})`), sql` AND `);

/**
 * The filter for `db.$count`: none at all when there are no conditions. Even `WHERE 1` makes
 * SQLite count row by row instead of by b-tree page (docs/performance.md has the figures).
 */
export const countFilter = (conditions: SQL[]): SQL | undefined => (conditions.length === 0 ? undefined : and(conditions));

export function inList(column: AnySQLiteColumn | SQL, values: readonly (string | number)[]): SQL {
  return values.length === 0 ? sql`FALSE` : sql`${column} IN (${sql.join(values.map((v) => sql`${v}`), sql`, `)})`;
}
