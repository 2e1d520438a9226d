/**
 * The contract tests that cannot pass on PostgreSQL in this branch, because the feature they use
 * is being built on another branch right now; the PostgreSQL runner skips exactly these (each name
 * is "module > describe … > test", as the runner prints it) and fails when a name here matches no
 * test. The lead empties this list as those branches merge: `CONTRACT_PENDING=run npx vitest run
 * test/postgres.contract.test.ts` runs them too and fails on each one that passes by now.
 * Nothing else is skipped, on either engine.
 */
const MUTATIONS = 'mutations on PostgreSQL: write paths async over one transaction helper (the writes branch)';
const SEARCH = 'search on PostgreSQL: tsvector documents and queries (the search branch)';

export const PENDING_ON_POSTGRES: Readonly<Record<string, string>> = {
  'docs-examples > examples in the docs > docs/examples.md:556 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:599 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:637 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:675 gives the answer it shows': SEARCH,
  'docs-examples > examples in the docs > docs/examples.md:1038 gives the answer it shows': MUTATIONS,
  'docs-examples > examples in the docs > docs/examples.md:1088 gives the answer it shows': MUTATIONS,
  'docs-examples > examples in the docs > docs/examples.md:1122 gives the answer it shows': MUTATIONS,
  'statements > nested reads are planned into SQL > plans search results and what they select: two statements for a rare word, one per table hit': SEARCH,
  'filters > where on the seeded article > counts relations: claims with at least two distinct supporting sources': MUTATIONS,
  'filters > the response cache > answers a filtered list anew after a write that changes which rows match': MUTATIONS,
  'exploration > search on the article > finds Microsoft from "Micro", name first, with the match in context': SEARCH,
  'exploration > search on the article > finds an entity by its alias, and filters by kind': SEARCH,
  'exploration > search on the article > treats any text as words to look for, never as syntax': SEARCH,
  'exploration > search on the article > pages with cursors without repeating or skipping': SEARCH,
  'provenance > writes and imports take a basis > createRelationship: STATED needs claims, INFERRED a note; left out, it follows the claims': MUTATIONS,
  'provenance > writes and imports take a basis > createClaim: contradictions carry their basis both ways; contradictsIds are INFERRED without one': MUTATIONS,
  'provenance > what is refused > a write: a Wikidata source without an id': MUTATIONS,
  'bad-input > cursors > takes back every cursor Query.search issues, as after and as before': SEARCH,
  'bad-input > text > refuses a leading NUL in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses a NUL inside in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses a C0 control in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses an escape in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses DEL in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses a C1 control in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses a lone high surrogate in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses a lone low surrogate in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses surrogates in the wrong order in every text of every write, naming the field, and writes nothing': MUTATIONS,
  'bad-input > text > refuses a leading NUL in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses a NUL inside in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses a C0 control in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses an escape in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses DEL in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses a C1 control in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses a lone high surrogate in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses a lone low surrogate in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses surrogates in the wrong order in a clientMutationId, naming it': MUTATIONS,
  'bad-input > text > refuses a lone surrogate sent as the JSON escape "\\ud800", as a client writes it': MUTATIONS,
  'bad-input > text > keeps tabs, newlines, carriage returns and whole characters outside the BMP': MUTATIONS,
  'budget > every list field declares how long it can be > stops each bounded list at its bound when writing': MUTATIONS,
  'budget > every list field declares how long it can be > refuses a new claim that would give another claim one contradiction too many': MUTATIONS,
  'hostile > a standing hostile run > 10000 random operations (seed 20261206) answer no 5xx, no INTERNAL_SERVER_ERROR, no stack': `${MUTATIONS}; ${SEARCH} (the reads-only run below runs meanwhile)`,
};
