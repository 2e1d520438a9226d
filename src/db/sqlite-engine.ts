import type { SQL } from 'drizzle-orm';
import { allRows, type Db } from '.';
import { type Engine, registerEngine, serveUnregisteredWith } from './engine';
import { ChangeFeed } from './sqlite-change-feed';
import { sqliteSearch } from './sqlite-search';
import { sqliteTransaction } from './sqlite-transaction';

/**
 * SQLite behind the engine seam: the database opened as today (openCheckedDatabase or
 * openDatabase), its parts unchanged. Only what the seam already names is routed through here.
 */
export function sqliteEngine(db: Db): Engine {
  return registerEngine({
    name: 'sqlite',
    db,
    async ping() {
      db.$client.prepare('SELECT 1').get();
    },
    rows: async <T extends Record<string, unknown>>(statement: SQL) => db.all<T>(statement),
    query: async <T extends Record<string, unknown>>(text: string, params: unknown[]) => allRows<T>(db, text, params),
    transaction: (work) => sqliteTransaction(db, work),
    changeFeed: () => new ChangeFeed(db),
    search: sqliteSearch(db),
    async close() {
      db.$client.close();
    },
  });
}

serveUnregisteredWith(sqliteEngine);
