import { runContract } from './contract/contract';
import { CONTRACT_MODULES } from './contract/modules';
import { createSqliteTestApp } from './support/engines';

/** The shared contract suite (test/contract/) on SQLite: every test, none skipped. */
runContract('sqlite', createSqliteTestApp, CONTRACT_MODULES);
