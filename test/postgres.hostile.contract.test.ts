import { runContract } from './contract/contract';
import { HOSTILE_MODULES } from './contract/modules';
import { usePostgresApps } from './support/engines';

/** The shared hostile run (test/contract/hostile.ts) on PostgreSQL, as test/postgres.contract.test.ts runs the rest. */
runContract('postgres', usePostgresApps(), HOSTILE_MODULES);
