/**
 * The contract tests PostgreSQL does not pass yet, each with the reason; the PostgreSQL runner
 * skips exactly these (each name is "module > describe … > test", as the runner prints it) and
 * fails when a name here matches no test. `CONTRACT_PENDING=run npx vitest run
 * test/postgres.contract.test.ts` runs them too and fails on each one that passes by now, so the
 * list can only shrink. Nothing else is skipped, on either engine.
 */
const SEARCH = 'search on PostgreSQL ranks with ts_rank, not bm25: the same results, snippets and highlights (test/postgres-search.test.ts), but scores differ and so does the order of results neither engine ranks clearly apart; bm25 computed on PostgreSQL as FTS5 computes it is the next step';

export const PENDING_ON_POSTGRES: Readonly<Record<string, string>> = {
  'docs-examples > examples in the docs > docs/examples.md:556 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:599 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:637 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:675 gives the answer it shows': SEARCH,
  'statements > nested reads are planned into SQL > plans search results and what they select: two statements for a rare word, one per table hit': SEARCH,
  'exploration > search on the article > finds Microsoft from "Micro", name first, with the match in context': SEARCH,
  'exploration > search on the article > finds an entity by its alias, and filters by kind': SEARCH,
  'exploration > search on the article > treats any text as words to look for, never as syntax': SEARCH,
  'exploration > search on the article > pages with cursors without repeating or skipping': SEARCH,
  'bad-input > cursors > takes back every cursor Query.search issues, as after and as before': SEARCH,
  'hostile > a standing hostile run > 10000 random operations (seed 20261206) answer no 5xx, no INTERNAL_SERVER_ERROR, no stack': `${SEARCH} (the reads-only run below runs meanwhile)`,
};
