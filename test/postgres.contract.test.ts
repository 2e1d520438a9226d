import { runContract } from './contract/contract';
import { CONTRACT_MODULES } from './contract/modules';
import { usePostgresApps } from './support/engines';

/**
 * The shared contract suite (test/contract/) on PostgreSQL: one throwaway cluster for the file,
 * each app a copy of one seeded template database, each answer also compared byte for byte with
 * a SQLite twin over the same rows (test/support/engines.ts). Skipped: exactly the tests
 * test/contract/pending-on-postgres.ts names, whose features other branches are building.
 */
runContract('postgres', usePostgresApps(), CONTRACT_MODULES);
