import { runContract } from './contract/contract';
import { HOSTILE_MODULES } from './contract/modules';
import { createSqliteTestApp } from './support/engines';

/** The shared hostile run (test/contract/hostile.ts) on SQLite; a file of its own to run beside the rest. */
runContract('sqlite', createSqliteTestApp, HOSTILE_MODULES);
