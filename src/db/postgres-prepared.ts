import type pg from 'pg';

/**
 * Reads run as named prepared statements, one name per SQL text: PostgreSQL parses and plans a
 * statement once per connection instead of on every request. drizzle's relational queries are
 * built per request but their text depends only on the shape asked (values are parameters), so
 * a handful of texts serve every request of a shape. Planning is most of a nested read's cost on
 * the server: the benchmark's `nested` statement (seven lateral joins) took 2.5 ms unnamed
 * against 0.16 ms named, one client at a time; the lookup 0.77 ms against 0.35 ms
 * (docs/performance.md). node-postgres keeps, per connection, which names it has parsed, and
 * parses a name again on a connection that has not seen it.
 *
 * Bounded: a server keeps each statement in each pooled connection's memory until the connection
 * closes, and clients choose the shapes, so only the first PREPARED_STATEMENTS_MAX texts a process
 * meets get a name, and only texts of at most PREPARED_TEXT_MAX characters (a compiled read of a
 * wide selection is one statement of up to some 80,000: planning it each time costs little beside
 * running it); the others run unnamed, as before. Writes and transactions are left alone (they
 * run through a client a transaction holds, or once).
 */
export const PREPARED_STATEMENTS_MAX = 200;
export const PREPARED_TEXT_MAX = 16_384;

const READ = /^\s*(select|with)\b/i;
const names = new Map<string, string>();

/** The name of `text`'s prepared statement, or undefined when it runs unnamed (not a read, or past the bound). */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < PREPARED_STATEMENTS_MAX && text.length <= PREPARED_TEXT_MAX && READ.test(text)) {
    name = `claimgraph_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** Makes `pool.query({ text }, values)` (drizzle's form) run reads as named prepared statements. */
export function prepareReads(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [config] = args;
    if (config && typeof config === 'object' && (config as pg.QueryConfig).name === undefined && typeof (config as pg.QueryConfig).text === 'string') {
      const name = statementName((config as pg.QueryConfig).text);
      if (name !== undefined) args[0] = { ...config, name };
    }
    return query(...args);
  };
}
