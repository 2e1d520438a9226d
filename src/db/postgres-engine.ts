import type { SQL } from 'drizzle-orm';
import { type Engine, EverythingChangesFeed, registerEngine } from './engine';
import { asApiDb, migratePostgres, openPostgres, type PgDb } from './postgres';
import { postgresSearch } from './postgres-search';

export interface PostgresEngine extends Engine {
  readonly name: 'postgres';
  /** The database with its own (pg-core) types, for what the API's `Db` type cannot express yet. */
  readonly pg: PgDb;
}

/**
 * PostgreSQL behind the engine seam: a pool of POSTGRES_POOL_SIZE connections to `url`, migrated
 * from migrations/postgres before it is handed out. Its change feed reports every poll as "anything
 * may have changed" until writes tell other processes through LISTEN/NOTIFY (see engine.ts).
 */
export async function openPostgresEngine(url: string, options: { onQuery?: (sql: string, params: unknown[]) => void } = {}): Promise<PostgresEngine> {
  const pg = openPostgres(url, options.onQuery);
  try {
    await migratePostgres(pg);
  } catch (error) {
    await pg.$client.end();
    throw error;
  }
  const engine: PostgresEngine = {
    name: 'postgres',
    db: asApiDb(pg),
    pg,
    async ping() {
      await pg.$client.query('SELECT 1');
    },
    async rows<T extends Record<string, unknown>>(statement: SQL) {
      const result = await pg.execute(statement);
      return (result as unknown as { rows: T[] }).rows;
    },
    changeFeed: () => new EverythingChangesFeed(),
    search: postgresSearch(pg),
    close: () => pg.$client.end(),
  };
  registerEngine(engine);
  return engine;
}
