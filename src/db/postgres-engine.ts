import type { SQL } from 'drizzle-orm';
import type pg from 'pg';
import { checkDeadline } from '../deadline';
import { type Engine, registerEngine } from './engine';
import { PostgresChangeFeed } from './postgres-change-feed';
import { asApiDb, migratePostgres, openPostgres, type PgDb, POSTGRES_CONNECT_TIMEOUT_MS } from './postgres';
import { describePostgresFailure } from './postgres-errors';
import { postgresTransaction } from './postgres-transaction';
import { postgresSearch } from './postgres-search';

export interface PostgresEngine extends Engine {
  readonly name: 'postgres';
  /** The database with its own (pg-core) types, for what the API's `Db` type cannot express yet. */
  readonly pg: PgDb;
}

/**
 * PostgreSQL behind the engine seam: a pool of POSTGRES_POOL_SIZE connections to `url`, migrated
 * from migrations/postgres before it is handed out. Its change feed is one LISTEN connection per
 * engine, opened on first use (src/db/postgres-change-feed.ts).
 */
export async function openPostgresEngine(url: string, options: { onQuery?: (sql: string, params: unknown[]) => void } = {}): Promise<PostgresEngine> {
  const pg = openPostgres(url, options.onQuery);
  try {
    await migratePostgres(pg);
  } catch (error) {
    await pg.$client.end();
    throw error;
  }
  let feed: PostgresChangeFeed | undefined;
  const engine: PostgresEngine = {
    name: 'postgres',
    db: asApiDb(pg),
    pg,
    async ping() {
      try {
        // A server that accepts the connection but never answers must not hold /health either.
        await pg.$client.query({ text: 'SELECT 1', query_timeout: POSTGRES_CONNECT_TIMEOUT_MS } as pg.QueryConfig);
      } catch (error) {
        throw new Error(describePostgresFailure(error, url));
      }
    },
    async rows<T extends Record<string, unknown>>(statement: SQL) {
      const result = await pg.execute(statement);
      return (result as unknown as { rows: T[] }).rows;
    },
    async query<T extends Record<string, unknown>>(text: string, params: unknown[]) {
      // drizzle's logger checks the deadline before its statements and reports them (deadlineLogger); these skip drizzle.
      checkDeadline();
      options.onQuery?.(text, params);
      return (await pg.$client.query<T>({ text }, params)).rows;
    },
    transaction: (work, options) => postgresTransaction(pg, work, options),
    changeFeed: () => (feed ??= new PostgresChangeFeed({ connectionString: url })),
    search: postgresSearch(pg),
    async close() {
      await feed?.close();
      await pg.$client.end();
    },
  };
  registerEngine(engine);
  return engine;
}
