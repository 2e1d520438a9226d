import type pg from 'pg';

/**
 * PostgreSQL's text cannot hold U+0000; SQLite's can, and a read that looks for it there matches
 * nothing, since claimgraph stores no control characters (every write refuses them, naming the
 * field). So a NUL in a read's parameter (`entity(name: "\u0000")`, a `where:` operand) is sent as
 * U+0001, another control character no stored text holds: it matches nothing and sorts where NUL
 * would among stored texts, and the read answers as on SQLite instead of failing with
 * "invalid byte sequence". Statements that write are left alone: there the server's refusal stands.
 */
const NUL = /\u0000/g;
const READ = /^\s*(select|with)\b/i;

function withoutNul(values: unknown): unknown {
  if (!Array.isArray(values) || !values.some((v) => typeof v === 'string' && v.includes('\u0000'))) return values;
  return values.map((v) => (typeof v === 'string' ? v.replace(NUL, '\u0001') : v));
}

/** Makes `pool.query` send reads' NUL parameters as U+0001 (see above). */
export function bindReadsWithoutNul(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [config, values] = args;
    const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
    if (text && READ.test(text)) {
      if (Array.isArray(values)) args[1] = withoutNul(values);
      else if (config && typeof config === 'object' && 'values' in config) args[0] = { ...config, values: withoutNul((config as { values: unknown }).values) };
    }
    return query(...args);
  };
}
