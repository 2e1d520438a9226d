import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { relations as pgRelations } from '../../schema/pg/relations';
import { fromPackageRoot } from '../package-root';
import { deadlineLogger, DeadlinePool } from './postgres-deadline';
import type { Db } from '.';
import { prepareReads } from './postgres-prepared';
import { onPrimaryOnly, RoutingPool } from './postgres-replicas';
import { bindReadsWithoutNul } from './postgres-text';

export const POSTGRES_MIGRATIONS_FOLDER = fromPackageRoot('migrations', 'postgres');

/** The oldest server claimgraph runs on: identity columns, `EXECUTE FUNCTION`, and what CI installs. */
export const POSTGRES_MIN_VERSION_NUM = 150000;

/** Connections per process; PostgreSQL's default max_connections (100) leaves room for several processes. */
export const POSTGRES_POOL_SIZE = 10;

export type PgDb = NodePgDatabase<typeof pgRelations> & { $client: pg.Pool };

/** Whether a DATABASE_URL names PostgreSQL (anything else is not accepted as one). */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

/**
 * How long opening a connection may take before it counts as failed: a server that accepts no
 * connection (stopped without closing its port, or a network that drops packets) answers requests
 * and /health with UNAVAILABLE instead of leaving them waiting.
 */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

/** Where reads go when they may be answered by replicas (src/db/postgres-replicas.ts). */
export interface ReadReplicas {
  url: string;
  /** How long a read waits for a replica to replay what it must see before going to the primary. */
  waitMs: number;
}

export function openPostgres(url: string, onQuery?: (sql: string, params: unknown[]) => void, replicas?: ReadReplicas): PgDb {
  const config = (connectionString: string) => ({
    connectionString,
    max: POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    // Awaited by the pool before it hands the connection out (see NO_JIT).
    onConnect: async (client: pg.ClientBase) => {
      await client.query(NO_JIT);
    },
  });
  const pool = replicas ? new RoutingPool(config(url), config(replicas.url), replicas.waitMs) : new DeadlinePool(config(url));
  // An idle connection the server drops (restart, failover) must not take the process down: the
  // pool discards it and the next query opens another.
  pool.on('error', () => {});
  bindReadsWithoutNul(pool);
  prepareReads(pool);
  return drizzle({ client: pool, relations: pgRelations, logger: deadlineLogger(onQuery) }) as PgDb;
}

/**
 * No JIT compilation on the pool's connections: PostgreSQL pays it on every execution of a
 * statement it estimates costly, prepared or not, and a compiled read's one statement
 * (src/graphql/compiled/statement.ts) of a wide page of entities is estimated so: 610 ms of
 * compiling for a read that runs in 70 ms. Run as each connection opens, before the pool hands it
 * out, rather than sent as an `options` startup parameter, which PgBouncer refuses unless told to
 * ignore it.
 */
const NO_JIT = 'SET jit = off';

/** The advisory lock (a number any two claimgraph processes agree on) held while one of them migrates and seeds. */
export const PREPARE_LOCK_KEY = 0x636c6169; // "clai"

/**
 * Runs `work` while this process holds PostgreSQL's session advisory lock PREPARE_LOCK_KEY: two
 * processes (workers, or servers on two machines starting at once) that both find the database
 * empty or behind would otherwise both migrate, or both seed. drizzle's migrator takes no lock.
 * The lock is held on a connection of its own, and let go when `work` ends or the connection drops.
 */
export async function whilePreparing<T>(db: PgDb, work: () => Promise<T>): Promise<T> {
  const client = await db.$client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PREPARE_LOCK_KEY]);
    try {
      return await onPrimaryOnly(work);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PREPARE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** Refuses a server older than POSTGRES_MIN_VERSION_NUM, then applies migrations/postgres (under whilePreparing's lock). */
export async function migratePostgres(db: PgDb): Promise<void> {
  const { rows } = await db.$client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  const version = Number(rows[0]?.v);
  if (!(version >= POSTGRES_MIN_VERSION_NUM)) {
    throw new Error(`claimgraph needs PostgreSQL ${POSTGRES_MIN_VERSION_NUM / 10000} or newer; this server is ${rows[0]?.v}`);
  }
  await whilePreparing(db, () => migrate(db, { migrationsFolder: POSTGRES_MIGRATIONS_FOLDER }));
}

/**
 * The PostgreSQL database as the GraphQL layer's `Db` type. The read paths of the API go through
 * drizzle's relational queries and `sql` templates, which both dialects render from the same
 * column names: they run unchanged on either. What does not yet (the synchronous `.all()`,
 * `.get()`, `.run()` and `$client` calls of writes, search, graph and the change feed) is listed in
 * the notes; until the model is async and typed over both dialects, this cast is the seam.
 */
export function asApiDb(db: PgDb): Db {
  return db as unknown as Db;
}

