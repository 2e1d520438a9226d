import type { SQL } from 'drizzle-orm';
import type pg from 'pg';
import { checkDeadline } from '../deadline';
import { type Engine, registerEngine } from './engine';
import { PostgresChangeFeed } from './postgres-change-feed';
import { asApiDb, migratePostgres, openPostgres, type PgDb, POSTGRES_CONNECT_TIMEOUT_MS, type ReadReplicas } from './postgres';
import { afterWrite, type Lsn, parseLsn, replicaReport, type ReplicaReport, RoutingPool } from './postgres-replicas';
import { describePostgresFailure } from './postgres-errors';
import { postgresTransaction } from './postgres-transaction';
import { postgresSearch } from './postgres-search';

export interface PostgresEngine extends Engine {
  readonly name: 'postgres';
  /** The database with its own (pg-core) types, for what the API's `Db` type cannot express yet. */
  readonly pg: PgDb;
  /** Answers when reads can be: on a replica, or else the primary (readiness; ping() asks the primary). */
  readPing(): Promise<void>;
  /** What /health says of the servers: the role of DATABASE_URL's, and of the replicas reads go to with their lag. */
  report(): Promise<EngineReport>;
  /** With read replicas: resolves once this process has heard of every commit up to `token` (see catchUp in openPostgresEngine). */
  catchUp(token: Lsn): Promise<void>;
  /** Whether reads go to replicas (DATABASE_READ_URL). */
  readonly readsFromReplicas: boolean;
}

export interface EngineReport {
  /** What DATABASE_URL reaches: the primary, or a standby (then every write fails). */
  role: 'primary' | 'replica';
  /** With DATABASE_READ_URL: where reads go and how far behind it is. */
  reads?: ReplicaReport;
}

/**
 * PostgreSQL behind the engine seam: a pool of POSTGRES_POOL_SIZE connections to `url`, migrated
 * from migrations/postgres before it is handed out. Its change feed is one LISTEN connection per
 * engine, opened on first use (src/db/postgres-change-feed.ts).
 */
export async function openPostgresEngine(
  url: string,
  options: { onQuery?: (sql: string, params: unknown[]) => void; replicas?: ReadReplicas } = {},
): Promise<PostgresEngine> {
  const pg = openPostgres(url, options.onQuery, options.replicas);
  const routing = pg.$client instanceof RoutingPool ? pg.$client : undefined;
  // A statement that must run on the primary whatever it is (with replicas, SELECTs are routed).
  const onPrimary = <T extends Record<string, unknown>>(text: string) =>
    routing ? routing.onPrimary<T>(text) : pg.$client.query<T>({ text, query_timeout: POSTGRES_CONNECT_TIMEOUT_MS } as pg.QueryConfig);
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
        await (routing ? withTimeout(routing.onPrimary('SELECT 1')) : pg.$client.query({ text: 'SELECT 1', query_timeout: POSTGRES_CONNECT_TIMEOUT_MS } as pg.QueryConfig));
      } catch (error) {
        throw new Error(describePostgresFailure(error, url));
      }
    },
    async readPing() {
      if (!routing) return engine.ping();
      try {
        await withTimeout(pg.$client.query({ text: 'SELECT 1', query_timeout: POSTGRES_CONNECT_TIMEOUT_MS } as pg.QueryConfig));
      } catch (error) {
        throw new Error(describePostgresFailure(error, options.replicas!.url));
      }
    },
    async report() {
      const { rows } = await withTimeout(onPrimary<{ recovery: boolean; lsn: string | null }>(
        'SELECT pg_is_in_recovery() AS recovery, CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn',
      ));
      const role = rows[0]?.recovery ? 'replica' : 'primary';
      if (!routing) return { role };
      return { role, reads: await replicaReport(routing, parseLsn(rows[0]?.lsn ?? ''), POSTGRES_CONNECT_TIMEOUT_MS) };
    },
    // A token past what the change feed has told this process: look now, so that the response
    // cache and the path index have dropped what the write changed before the request reads.
    async catchUp(token) {
      if (routing && token > routing.heardUpTo) await (engine.changeFeed() as PostgresChangeFeed).settle();
    },
    readsFromReplicas: routing !== undefined,
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
    async transaction(work, transactionOptions) {
      const result = await postgresTransaction(pg, work, transactionOptions);
      if (routing) await afterWrite(routing);
      return result;
    },
    changeFeed: () =>
      (feed ??= new PostgresChangeFeed({ connectionString: url }, routing && ((lsn) => routing.raiseFloor(parseLsn(lsn) ?? 0n)))),
    search: postgresSearch(pg),
    async close() {
      await feed?.close();
      await pg.$client.end();
    },
  };
  registerEngine(engine);
  return engine;
}

/** A statement that may hang on a server that accepted the connection but answers nothing: given up after POSTGRES_CONNECT_TIMEOUT_MS. */
function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${POSTGRES_CONNECT_TIMEOUT_MS} ms`)), POSTGRES_CONNECT_TIMEOUT_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
