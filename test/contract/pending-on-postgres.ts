/**
 * The contract tests PostgreSQL does not pass yet, each with the reason; the PostgreSQL runner
 * skips exactly these (each name is "module > describe … > test", as the runner prints it) and
 * fails when a name here matches no test. `CONTRACT_PENDING=run npx vitest run
 * test/postgres.contract.test.ts` runs them too and fails on each one that passes by now, so the
 * list can only shrink. Nothing else is skipped, on either engine.
 *
 * Search is no longer among them: it ranks with FTS5's bm25 on PostgreSQL too, to the bit
 * (src/db/postgres-search.ts).
 */
const STAMPS =
  "the hostile run compares every answer with SQLite's byte for byte, and its writes are stamped by each engine's clock (createdAt, updatedAt, and the cursors of orderings by them differ by milliseconds); and a query with two failing fields reports whichever fails first, which differs between the engines. With stamps (and cursors holding them) masked and answers with data null compared by having errors, the whole run passes on PostgreSQL, searches included; the harness (test/support/engines.ts compareAnswers) has to learn that";

export const PENDING_ON_POSTGRES: Readonly<Record<string, string>> = {
  'hostile > a standing hostile run > 10000 random operations (seed 20261206) answer no 5xx, no INTERNAL_SERVER_ERROR, no stack': `${STAMPS} (the reads-only run below runs meanwhile)`,
};
