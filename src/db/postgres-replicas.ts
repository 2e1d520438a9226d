import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { UserError } from '../domain/errors';
import { DeadlinePool } from './postgres-deadline';

/**
 * Reads from replicas, writes to the primary (docs/cluster.md, "Consistency").
 *
 * With DATABASE_READ_URL set, the pool the API reads through is a RoutingPool: a statement that
 * only reads (SELECT or WITH, outside a transaction) runs on a connection to DATABASE_READ_URL
 * (HAProxy's replica port), everything else (writes, transactions, migrations) on DATABASE_URL's
 * primary. A replica answers only once it has replayed the WAL up to the LSN the read requires,
 * the larger of:
 * - the process's floor: the primary's WAL position when its change feed last looked. Whatever
 *   the feed has told the response cache and the path index (which then drop what changed) is
 *   visible to every read after it: a node never re-caches an answer older than a write it heard of.
 * - the request's: the consistency token the client sent (X-Consistency-Token, a write's LSN from
 *   any node), or the commit of a write made earlier in the same request.
 * A replica connection not that far waits up to REPLICA_WAIT_MS, polling its replay position; then
 * the read runs on the primary. A replica that cannot be reached sends the read to the primary too.
 * After a write, the rest of its request reads from the primary, which has it already.
 */

/** Between two looks at a replica connection's replay position while a read waits for it. */
export const REPLICA_POLL_MS = 5;

/** A position in the WAL as a number (PostgreSQL writes it as two hex halves, "16/B374D848"). */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function parseLsn(text: string): Lsn | undefined {
  const match = LSN_TEXT.exec(text.trim());
  return match ? (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`) : undefined;
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** What one request requires of the replicas, and what it wrote. */
interface RequestConsistency {
  /** The least LSN a replica must have replayed to answer this request's reads. */
  atLeast: Lsn;
  /** The commit position of this request's last write: its consistency token. */
  wrote?: Lsn;
}

const requests = new AsyncLocalStorage<RequestConsistency>();

/** Runs `work` (one HTTP request) with the token the client sent, if any; `wrote()` then tells what it wrote. */
export function withConsistency<T>(token: Lsn | undefined, work: (scope: { wrote(): Lsn | undefined }) => T): T {
  const scope: RequestConsistency = { atLeast: token ?? 0n };
  return requests.run(scope, () => work({ wrote: () => scope.wrote }));
}

/** Runs `work` with every statement on the primary: migrating and seeding must see what is committed, not what a replica has replayed. */
export function onPrimaryOnly<T>(work: () => T): T {
  return requests.run({ atLeast: 0n, wrote: 0n }, work);
}

/** Records that the current request wrote, up to `lsn`: its later reads need it, and its answer carries it. */
export function noteWrite(lsn: Lsn): void {
  const scope = requests.getStore();
  if (!scope) return;
  scope.wrote = scope.wrote === undefined || lsn > scope.wrote ? lsn : scope.wrote;
}

/** A replica connection that has not replayed far enough, or cannot be had: the read goes to the primary. */
class ReplicaNotReady extends Error {}

/** Read statements a replica may answer: no locking clause (FOR UPDATE needs the primary). */
const READ = /^\s*(select|with)\b/i;
const LOCKING = /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i;

const sqlstate = (error: unknown) => (error as { code?: unknown } | undefined)?.code;

/**
 * Whether a statement failed for its connection, not for itself: the server could not be reached,
 * or went away mid-statement (no SQLSTATE, a system error's code, 08xxx, or 57P0x: shut down).
 * The request's TIMEOUT stands.
 */
function connectionLost(error: unknown): boolean {
  if (error instanceof UserError) return false;
  const code = sqlstate(error);
  return code === undefined || typeof code !== 'string' || /^(57P0|08)/.test(code) || !/^[0-9A-Z]{5}$/.test(code);
}

/**
 * Whether a failed read may run again on the primary: the replica was unreachable or not caught
 * up, went away mid-statement, or cancelled it for a conflict with recovery (40001). Errors of the
 * statement itself, and the request's TIMEOUT, stand.
 */
function retryOnPrimary(error: unknown): boolean {
  return error instanceof ReplicaNotReady || connectionLost(error) || sqlstate(error) === '40001';
}

/**
 * How long a read whose replica and primary were both lost keeps trying them, within its deadline,
 * and the pause between tries. During a failover HAProxy moves a promoted replica from the read
 * pool (cutting its connections there) to the write pool after a check or two, about a second
 * apart: a read cut on that replica finds the primary's address empty for that long. A read is
 * safe to repeat; a failure still answers UNAVAILABLE once this time is spent.
 */
export const READ_AGAIN_MS = 2000;
const READ_AGAIN_PAUSE_MS = 100;

/** The pool of replica connections, each handed out only once it has replayed far enough. */
class ReplicaPool extends DeadlinePool {
  /** The replay position each connection was last seen at (it only moves forward). */
  private readonly replayed = new WeakMap<pg.PoolClient, Lsn>();

  constructor(
    config: pg.PoolConfig,
    private readonly required: () => Lsn,
    private readonly waitMs: number,
  ) {
    super(config);
  }

  // pg-pool's own query() calls connect with a callback; DeadlinePool's calls it for a promise.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback?: any): any {
    const ready = this.caughtUp();
    if (!callback) return ready;
    ready.then(
      (client) => callback(undefined, client, (error?: Error) => client.release(error)),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  /** A connection as it comes, caught up or not (for /health's report). */
  anyConnection(): Promise<pg.PoolClient> {
    return super.connect();
  }

  private async caughtUp(): Promise<pg.PoolClient> {
    const need = this.required();
    let client: pg.PoolClient;
    try {
      client = await super.connect();
    } catch (error) {
      throw new ReplicaNotReady(`no replica connection: ${(error as Error).message}`);
    }
    if (need === 0n || (this.replayed.get(client) ?? 0n) >= need) return client;
    const until = performance.now() + this.waitMs;
    try {
      for (;;) {
        const { rows } = await client.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
        // NULL: not a standby (a replica promoted, or DATABASE_READ_URL names a primary): it has everything.
        const replayed = rows[0]?.lsn == null ? 2n ** 64n - 1n : (parseLsn(rows[0].lsn) ?? 0n);
        this.replayed.set(client, replayed);
        if (replayed >= need) return client;
        if (performance.now() >= until) break;
        await new Promise((resolve) => setTimeout(resolve, REPLICA_POLL_MS));
      }
    } catch (error) {
      client.release(error as Error);
      throw new ReplicaNotReady(`the replica failed: ${(error as Error).message}`);
    }
    client.release();
    throw new ReplicaNotReady(`the replica has not replayed ${formatLsn(need)} after ${this.waitMs} ms`);
  }
}

/**
 * The primary's pool, whose reads outside transactions go to `replicas` when a replica is caught
 * up (see above). Connections it hands out (`connect()`: transactions, migrations, locks) are the
 * primary's.
 */
export class RoutingPool extends DeadlinePool {
  readonly replicas: ReplicaPool;
  /** The primary's WAL position when the change feed last looked (see the file's comment). */
  private floor: Lsn = 0n;
  /** Reads answered by a replica, and sent to the primary instead, since start (for /health and tests). */
  readonly counts = { replica: 0, primary: 0 };

  constructor(primary: pg.PoolConfig, replica: pg.PoolConfig, waitMs: number) {
    super(primary);
    this.replicas = new ReplicaPool(replica, () => this.required(), waitMs);
    this.replicas.on('error', () => {});
  }

  /** The primary's WAL position when the change feed last looked: every commit this process has heard of is at or before it. */
  get heardUpTo(): Lsn {
    return this.floor;
  }

  /** Raises the floor: the change feed saw the primary at `lsn`. */
  raiseFloor(lsn: Lsn): void {
    if (lsn > this.floor) this.floor = lsn;
  }

  /** The least LSN the current read needs a replica to have replayed. */
  required(): Lsn {
    const atLeast = requests.getStore()?.atLeast ?? 0n;
    return atLeast > this.floor ? atLeast : this.floor;
  }

  // The pool's query has a dozen overloads; drizzle's and ours, (config, values?) → promise, are routed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const [config, values] = args;
    const text = typeof config === 'string' ? config : (config as { text?: unknown } | undefined)?.text;
    const scope = requests.getStore();
    if (args.length > 2 || typeof values === 'function' || typeof text !== 'string' || !READ.test(text) || LOCKING.test(text) || scope?.wrote !== undefined) {
      return super.query(...args);
    }
    return this.onReplica(config, values).catch((error: unknown) => {
      if (!retryOnPrimary(error)) throw error;
      return this.readAgain(config, values);
    });
  }

  /** A read on a replica connection caught up far enough (counted for /health). */
  private async onReplica(config: unknown, values: unknown): Promise<pg.QueryResult> {
    const result = (await this.replicas.query(config, values)) as pg.QueryResult;
    this.counts.replica++;
    return result;
  }

  /** A read the replica failed: on the primary, then, while both have lost their connections, on either in turn (READ_AGAIN_MS). */
  private async readAgain(config: unknown, values: unknown): Promise<pg.QueryResult> {
    const until = performance.now() + READ_AGAIN_MS;
    for (;;) {
      try {
        this.counts.primary++;
        return (await super.query(config, values)) as pg.QueryResult;
      } catch (error) {
        if (!connectionLost(error) || performance.now() >= until) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, READ_AGAIN_PAUSE_MS));
      try {
        return await this.onReplica(config, values);
      } catch (error) {
        if (!retryOnPrimary(error)) throw error;
      }
    }
  }

  /** A statement on the primary, whatever it is (the WAL position after a write). */
  onPrimary<T extends pg.QueryResultRow>(text: string): Promise<pg.QueryResult<T>> {
    return super.query(text) as Promise<pg.QueryResult<T>>;
  }

  override async end(): Promise<void> {
    await Promise.all([super.end(), this.replicas.end()]);
  }
}

/** After a write committed: the primary's WAL position, which covers its commit; the request's token. */
export async function afterWrite(pool: RoutingPool): Promise<void> {
  if (!requests.getStore()) return;
  try {
    const { rows } = await pool.onPrimary<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    noteWrite(parseLsn(rows[0]?.lsn ?? '') ?? pool.required());
  } catch {
    // The write committed; the primary went away since. The rest of the request still reads there
    // (it fails there too, and the client's retry with its clientMutationId finds the write).
    noteWrite(pool.required());
  }
}

/** What /health says of the replica reads go to: its role and how far it trails the primary. */
export interface ReplicaReport {
  role: 'replica' | 'primary' | 'unreachable';
  /** Bytes of WAL the replica has not replayed yet, of what the primary has written. */
  lagBytes?: number;
  /** Seconds since the last transaction it replayed committed on the primary (0 when idle and caught up). */
  lagSeconds?: number;
  readsOnReplicas: number;
  readsSentToPrimary: number;
}

export async function replicaReport(pool: RoutingPool, primaryLsn: Lsn | undefined, timeoutMs: number): Promise<ReplicaReport> {
  const counts = { readsOnReplicas: pool.counts.replica, readsSentToPrimary: pool.counts.primary };
  let client: pg.PoolClient | undefined;
  try {
    // Straight from the underlying pool: /health asks whatever replica it gets, caught up or not.
    client = await pool.replicas.anyConnection();
    const { rows } = await client.query({
      text: `SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replayed,
        CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
             ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS seconds`,
      query_timeout: timeoutMs,
    } as pg.QueryConfig);
    const row = rows[0] as { recovery: boolean; replayed: string | null; seconds: number | string | null };
    if (!row.recovery) return { role: 'primary', ...counts };
    const replayed = parseLsn(row.replayed ?? '');
    const lagBytes = primaryLsn !== undefined && replayed !== undefined ? Number(primaryLsn > replayed ? primaryLsn - replayed : 0n) : undefined;
    return { role: 'replica', lagBytes, lagSeconds: row.seconds === null ? undefined : Math.max(0, Number(row.seconds)), ...counts };
  } catch {
    return { role: 'unreachable', ...counts };
  } finally {
    client?.release();
  }
}
