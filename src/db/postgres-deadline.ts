import { connect } from 'node:net';
import pg from 'pg';
import { checkDeadline, currentDeadline, type Deadline } from '../deadline';

/**
 * The request deadline on PostgreSQL (SQLite's is src/db/index.ts's checkDeadline before each
 * statement plus within_deadline() inside long ones). Here the same check runs before each
 * statement (the drizzle logger, deadlineLogger), and a statement still running when its
 * request's deadline passes is stopped by the server: a timer armed for the time left sends
 * PostgreSQL's CancelRequest for that connection, the statement fails with 57014, and the request
 * answers its TIMEOUT. A cancelled connection is healthy again once 57014 arrives, so it goes back
 * to the pool; one whose statement finished while the cancel was on its way is closed instead, as
 * the cancel could otherwise stop the next request's statement on it.
 *
 * Chosen over `SET statement_timeout` per statement (a round trip each) and over a pool-wide
 * statement_timeout (it cannot know how much of a request's time is left, and would also cut
 * migrations and bulk loads, which share the pool): a timer per statement costs microseconds
 * (docs/postgres.md), and a cancel costs a connection only when it is sent.
 *
 * Statements inside a transaction run on a client the transaction holds (not through the pool's
 * `query`): they are checked before each statement but not cancelled, and as on SQLite the first
 * one (`begin`) lifts the deadline, so a write that started finishes.
 */
export class DeadlinePool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super(config);
    // A connection that breaks while a request holds it emits 'error' once its query has failed
    // (the query's own error answers the request): with no listener, that would end the process.
    this.on('connect', (client) => client.on('error', () => {}));
  }

  // The pool's query has a dozen overloads; only (config, values?) → promise, drizzle's and ours, is intercepted.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const deadline = currentDeadline();
    const [config, values] = args;
    if (!deadline || deadline.lifted || args.length > 2 || typeof config === 'function' || typeof values === 'function') {
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    return queryWithin(this, deadline, config, values);
  }
}

/** The drizzle logger's part of the deadline: the check before each statement; `begin` lifts it, as a SQLite transaction does. */
export function deadlineLogger(onQuery?: (sql: string, params: unknown[]) => void) {
  return {
    logQuery(query: string, params: unknown[]) {
      checkDeadline(/^\s*begin\b/i.test(query));
      onQuery?.(query, params);
    },
  };
}

async function queryWithin(pool: pg.Pool, deadline: Deadline, config: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
  deadline.check();
  const client = await connectWithin(pool, deadline);
  let cancelled = false;
  const cancel = (why: () => void) => {
    // A transaction of the same request began meanwhile: its writes are let finish, as on SQLite.
    if (deadline.lifted || cancelled) return;
    cancelled = true;
    why();
    sendCancel(client);
  };
  const timer = setTimeout(() => cancel(() => deadline.expire()), msLeft(deadline));
  // The client went away: stopped as SQLite's within_deadline() stops a statement (the check says why).
  const onAbort = () => cancel(() => stopQuietly(deadline));
  deadline.client?.addEventListener('abort', onAbort);
  let failure: unknown;
  try {
    return await client.query(config, values);
  } catch (error) {
    failure = error;
    if (cancelled && sqlstate(error) === '57014') throw deadline.stopped ?? error;
    throw error;
  } finally {
    clearTimeout(timer);
    deadline.client?.removeEventListener('abort', onAbort);
    const healthy = cancelled ? sqlstate(failure) === '57014' : failure === undefined || (failure as { severity?: string }).severity === 'ERROR';
    client.release(healthy ? undefined : failure instanceof Error ? failure : new Error('a cancel was sent to this connection'));
  }
}

/** A client from the pool, or the request's TIMEOUT once its deadline passes while it waits for one (a full pool, a server slow to accept). */
function connectWithin(pool: pg.Pool, deadline: Deadline): Promise<pg.PoolClient> {
  // More idle clients than requests waiting for one: the pool hands one over on its next tick.
  const waitless = pool.idleCount > pool.waitingCount;
  const connecting = pool.connect();
  if (waitless) return connecting;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(deadline.expire());
      // The client still comes, later: straight back to the pool with it.
      connecting.then((client) => client.release(), () => {});
    }, msLeft(deadline));
  });
  return Promise.race([connecting, late]).finally(() => clearTimeout(timer));
}

/**
 * The whole milliseconds left before `deadline`, rounded up, for a timer. Node keeps one list of
 * timers per duration: requests with the same timeout share a handful of lists, where durations
 * to the fraction of a millisecond would make a list (and a place in its queue) for each.
 */
const msLeft = (deadline: Deadline) => Math.ceil(deadline.at - performance.now());

/** Records in the deadline why the request stops (its check throws what it recorded). */
function stopQuietly(deadline: Deadline): void {
  try {
    deadline.check();
  } catch {
    // deadline.stopped holds it.
  }
}

/** PostgreSQL's CancelRequest (protocol code 80877102) for the backend `client` talks to, on a connection of its own. */
function sendCancel(client: pg.PoolClient): void {
  const { processID, secretKey, host, port } = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
  if (processID === null || secretKey === null) return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
  // Unreachable server: the statement's connection fails too, and that error answers the request.
  socket.on('error', () => {});
  socket.setTimeout(5000, () => socket.destroy());
  socket.on('connect', () => socket.end(message));
}

const sqlstate = (error: unknown) => (error as { code?: unknown } | undefined)?.code;
