/**
 * The contract tests that cannot pass on PostgreSQL in this branch, because the feature they use
 * is being built on another branch right now; the PostgreSQL runner skips exactly these (each name
 * is "module > describe … > test", as the runner prints it) and fails when a name here matches no
 * test. The lead empties this list as those branches merge. Nothing else is skipped.
 */
const MUTATIONS = 'mutations run on PostgreSQL once writes are async (the writes branch)';
const SEARCH = 'search on PostgreSQL (the search branch)';
const PATHS = 'neighborhood and path on PostgreSQL (the feed branch: adjacency and graph)';

export const PENDING_ON_POSTGRES: Readonly<Record<string, string>> = {
};

void MUTATIONS;
void SEARCH;
void PATHS;
