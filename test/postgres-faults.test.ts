import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, httpHandler } from '../src/app';
import { DEGRADED_FOR_MS, FAULT_RETRY_AFTER_MS, storageFault } from '../src/db/faults';
import { openPostgresEngine } from '../src/db/postgres-engine';
import { CONNECTION_RETRY_AFTER_MS, isRetryable, postgresCode, postgresError } from '../src/db/postgres-errors';
import { READ_AGAIN_MS } from '../src/db/postgres-replicas';
import { currentDeadline } from '../src/deadline';
import { seedPostgresIfEmpty } from '../src/model/seed-postgres';
import { createTestApp, globalId, silentLogger, TEST_TOKEN } from './support/app';
import { fillUntilFull, mountTmpfs } from './support/disk';
import { freePort, type PostgresCluster, startPostgres } from './support/postgres';
import { post, startServer } from './support/server';

/**
 * Bad input and faults on PostgreSQL get SQLite's treatment: contract codes, no
 * INTERNAL_SERVER_ERROR; a lost connection fails the requests that used it (UNAVAILABLE with
 * retryAfterMs) and the server reconnects by itself; a request's deadline stops its statements
 * on the server. One throwaway cluster for the file, halted and resumed by the tests; a table
 * held under an ACCESS EXCLUSIVE lock by another connection is what keeps a request's statement
 * running as long as a test needs.
 */

type Answer = { status?: number; data?: Record<string, any> | null; errors?: { message: string; extensions: Record<string, any> }[] };

const CLAIMS = `{ claims(first: 3) { totalCount nodes { slug } } }`;
const ENTITIES = `{ entities(first: 3) { totalCount nodes { name } } }`;

let cluster: PostgresCluster;
let url: string;
const STORAGE_DATABASES = ['faults_raised', 'faults_tablespace'] as const;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase({ name: 'faults' });
  const engine = await openPostgresEngine(url);
  await seedPostgresIfEmpty(engine);
  await engine.close();
  // Copies for the storage faults, which change the schema (a trigger, a table's tablespace).
  for (const name of STORAGE_DATABASES) await cluster.createDatabase({ name, template: 'faults' });
});
afterAll(async () => {
  await cluster?.stop();
});

/** An engine and an app over the seeded database; `state.late` counts statements sent for a request past its deadline. */
async function open(requestTimeoutMs = 5000) {
  const state = { late: 0, onStatement: () => {} };
  const engine = await openPostgresEngine(url, {
    onQuery: () => {
      const deadline = currentDeadline();
      if (deadline && !deadline.lifted && (deadline.stopped || performance.now() >= deadline.at)) state.late++;
      state.onStatement();
    },
  });
  const yoga = createApp({ db: engine.db, logger: silentLogger, requestTimeoutMs, responseCache: false });
  const gql = async (query: string, variables?: object, init: RequestInit = {}): Promise<Answer> => {
    const response = await yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      ...init,
    });
    return { status: response.status, ...((await response.json()) as object) };
  };
  const health = async () => {
    const response = await yoga.fetch('http://claimgraph.test/health');
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { engine, gql, health, state };
}

/** Holds `table` under an ACCESS EXCLUSIVE lock from a connection of its own until `release()`. */
async function lock(table: string) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  await client.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: () => client.query('ROLLBACK').then(() => client.end()).catch(() => {}),
    /** The backends of other connections waiting for this lock. */
    waiting: async () => (await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows.map((r) => r.pid),
  };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await probe();
    if (done(value) || i > 200) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const codes = (answer: Answer) => (answer.errors ?? []).map((e) => e.extensions.code);

/** The backends `pids` once every one is idle (PostgreSQL sends an error a moment before it marks its backend idle). */
const backendsIdle = (pids: number[]) =>
  until(
    () => cluster.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = ANY($1)', [pids]),
    (rows) => rows.every((row) => row.state === 'idle'),
  );

/**
 * A TCP relay to the cluster, as HAProxy is one in front of it: `cut()` drops every connection and
 * stops accepting (its server left the pool), `open()` accepts again on the same port.
 */
async function relay() {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = createServer((client) => {
    const upstream = connect(cluster.port, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const open = (port = 0) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await open();
  const port = (server.address() as AddressInfo).port;
  return {
    url: url.replace(`:${cluster.port}/`, `:${port}/`),
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    open: () => open(port),
  };
}

function expectUnavailable(answer: Answer) {
  expect(answer.status).toBe(200);
  expect(answer.errors?.length).toBeGreaterThan(0);
  for (const error of answer.errors!) {
    expect(error.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) });
    expect(error.message).not.toMatch(/\n\s+at |select |Failed query/i);
  }
}

describe('what PostgreSQL raises, through the one table', () => {
  /** The error `text` raises when run on the seeded database, as node-postgres delivers it. */
  const raised = async (text: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text, params);
    } catch (error) {
      return error;
    } finally {
      await client.end();
    }
    throw new Error(`${text} raised nothing`);
  };

  it('maps constraint violations and bad values to the codes SQLite answers for the same case', async () => {
    const cases: [string, unknown[], string, string, RegExp][] = [
      [`INSERT INTO entities (slug, kind, name) SELECT slug, kind, name FROM entities WHERE kind = 'PERSON' LIMIT 1`, [], '23505', 'CONFLICT', /duplicate a row that already exists; nothing was written/],
      [`INSERT INTO claim_subjects (claim_id, entity_id) VALUES (1, 999999)`, [], '23503', 'NOT_FOUND', /does not exist/],
      [`DELETE FROM entities WHERE id IN (SELECT claimant_id FROM claims WHERE claimant_id IS NOT NULL)`, [], '23503', 'CONFLICT', /still referenced/],
      [`INSERT INTO entities (slug, kind, name) VALUES ('x-kind', 'NOPE', 'x')`, [], '23514', 'BAD_USER_INPUT', /entities_kind_check/],
      [`INSERT INTO entities (slug, kind, name) VALUES ('x-name', 'PERSON', NULL)`, [], '23502', 'BAD_USER_INPUT', /"?name"? is missing/],
      [`SELECT id FROM claims WHERE id = $1`, ['2147483648'], '22003', 'BAD_USER_INPUT', /out of the range/],
      [`SELECT id FROM entities WHERE name = $1`, ['a\u0000b'], '22021', 'BAD_USER_INPUT', /NUL/],
      [`SELECT id FROM claims WHERE id = $1`, ['twelve'], '22P02', 'BAD_USER_INPUT', /not one the database accepts/],
      [`SET statement_timeout = 1; SELECT pg_sleep(1)`, [], '57014', 'TIMEOUT', /taking too long/],
    ];
    for (const [text, params, sqlstate, code, message] of cases) {
      const error = await raised(text, params);
      expect(postgresCode(error), text).toBe(sqlstate);
      const answer = postgresError(error);
      expect(answer?.extensions.code, text).toBe(code);
      expect(answer?.message, text).toMatch(message);
      expect(isRetryable(error)).toBe(false);
    }
  });

  it('calls a deadlock retryable, and a refused or cut connection UNAVAILABLE with retryAfterMs', async () => {
    const a = new pg.Client({ connectionString: url });
    const b = new pg.Client({ connectionString: url });
    await Promise.all([a.connect(), b.connect()]);
    await a.query('BEGIN; UPDATE entities SET name = name WHERE id = 1');
    await b.query('BEGIN; UPDATE entities SET name = name WHERE id = 2');
    const crossed = await Promise.allSettled([a.query('UPDATE entities SET name = name WHERE id = 2'), b.query('UPDATE entities SET name = name WHERE id = 1')]);
    await Promise.all([a.query('ROLLBACK'), b.query('ROLLBACK')]);
    await Promise.all([a.end(), b.end()]);
    const deadlock = crossed.find((r) => r.status === 'rejected')!.reason;
    expect(postgresCode(deadlock)).toBe('40P01');
    expect(isRetryable(deadlock)).toBe(true);
    expect(postgresError(deadlock)?.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) });

    const nowhere = new pg.Client({ connectionString: `postgres://claimgraph@127.0.0.1:${await freePort()}/faults` });
    const refused = await nowhere.connect().catch((error: unknown) => error);
    expect(postgresCode(refused)).toBe('ECONNREFUSED');
    expect(postgresError(refused)?.extensions).toEqual({ code: 'UNAVAILABLE', retryAfterMs: CONNECTION_RETRY_AFTER_MS });

    const victim = new pg.Client({ connectionString: url });
    victim.on('error', () => {});
    await victim.connect();
    const [{ pid }] = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const sleeping = victim.query('SELECT pg_sleep(30)').catch((error: unknown) => error);
    await until(() => cluster.query(`SELECT state FROM pg_stat_activity WHERE pid = $1`, [pid]), (rows) => rows[0]?.state === 'active');
    await cluster.query('SELECT pg_terminate_backend($1)', [pid]);
    const terminated = await sleeping;
    expect(postgresCode(terminated)).toBe('57P01');
    expect(postgresError(terminated)?.extensions.code).toBe('UNAVAILABLE');
    const after = await victim.query('SELECT 1').catch((error: unknown) => error);
    expect(postgresError(after)?.extensions.code).toBe('UNAVAILABLE');
  });

  it('refuses an id past the 32-bit ids both engines store as BAD_USER_INPUT, not as an unexpected failure, as SQLite does', async () => {
    const { engine, gql } = await open();
    try {
      const byNode = await gql(`query($id: ID!) { node(id: $id) { id } }`, { id: globalId('Claim', '2147483648') });
      expect(codes(byNode)).toEqual(['BAD_USER_INPUT']);
      expect(byNode.errors![0]!.message).toMatch(/is not a claimgraph id/);
      const onSqlite = await createTestApp().gql(`query($id: ID!) { node(id: $id) { id } }`, { id: globalId('Claim', '2147483648') });
      expect(onSqlite.errors).toEqual(byNode.errors);
      const largest = await gql(`query($id: ID!) { node(id: $id) { id } }`, { id: globalId('Claim', '2147483647') });
      expect(largest).toMatchObject({ data: { node: null } });
      expect(largest.errors).toBeUndefined();
      const byFilter = await gql(`query($who: ID!) { claims(first: 2, claimant: $who) { totalCount } }`, { who: globalId('Organization', '9999999999999999') });
      expect(codes(byFilter)).toEqual(['BAD_USER_INPUT']);
    } finally {
      await engine.close();
    }
  });
});

describe('filters hostile runs found failing on PostgreSQL', () => {
  it('answers `ne` as SQLite does (it was SQLite-only syntax: IS NOT with a value)', async () => {
    const { engine, gql } = await open();
    try {
      const query = `{ claims(first: 5, where: { kind: { ne: FACT }, claimant: { name: { ne: "OpenAI" } } }) { totalCount nodes { slug } } }`;
      const expected = await createTestApp().gql(query);
      expect(expected.errors).toBeUndefined();
      expect(await gql(query)).toEqual(expected);
    } finally {
      await engine.close();
    }
  });
});

describe('the request deadline on PostgreSQL', () => {
  it('cancels a statement still running at the deadline on the server, answers TIMEOUT, and keeps the connection', async () => {
    const { engine, gql, state } = await open(1000);
    const held = await lock('claims');
    try {
      const first = await gql(ENTITIES);
      expect(first.errors).toBeUndefined();
      const stopped = gql(CLAIMS);
      const pids = await until(held.waiting, (waiting) => waiting.length > 0);
      expect(pids.length).toBeGreaterThan(0);
      const answer = await stopped;
      expect(answer.errors).toEqual([expect.objectContaining({ extensions: { code: 'TIMEOUT', timeoutMs: 1000 } })]);
      expect(answer.data).toBeNull();
      // Stopped on the server: nothing of ours waits for the lock, which is still held, and the
      // connections it ran on are idle in the pool, not closed.
      expect(await held.waiting()).toEqual([]);
      const states = await backendsIdle(pids);
      expect(states.map((s) => s.state)).toEqual(pids.map(() => 'idle'));
      expect(engine.pg.$client.idleCount).toBe(engine.pg.$client.totalCount);
      expect(state.late).toBe(0);
      await held.release();
      expect((await gql(CLAIMS)).errors).toBeUndefined();
    } finally {
      await held.release();
      await engine.close();
    }
  });

  it('cancels the statement of a request whose client went away', async () => {
    const { engine, gql } = await open(20_000);
    const held = await lock('claims');
    try {
      const client = new AbortController();
      const gone = gql(CLAIMS, undefined, { signal: client.signal }).catch(() => null);
      const pids = await until(held.waiting, (waiting) => waiting.length > 0);
      expect(pids.length).toBeGreaterThan(0);
      client.abort();
      await gone;
      const states = await backendsIdle(pids);
      expect(states.map((s) => s.state)).toEqual(pids.map(() => 'idle'));
      expect(await held.waiting()).toEqual([]);
    } finally {
      await held.release();
      await engine.close();
    }
  });

  it("stops the fast path's statement as the pipeline's: at the deadline, and when the client goes away", async () => {
    // The server's handler, over HTTP: a read it has seen is answered there, before yoga.
    const engine = await openPostgresEngine(url);
    const body = JSON.stringify({ query: 'query Lookup($id: ID!) { node(id: $id) { id ... on Claim { text } } }', variables: { id: globalId('Claim', 1) } });
    // The same Accept on every request: the handler answers with the headers learnt for it.
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const servers: ReturnType<typeof createHttpServer>[] = [];
    const serve = async (requestTimeoutMs: number) => {
      const server = createHttpServer(httpHandler(createApp({ db: engine.db, logger: silentLogger, requestTimeoutMs, responseCache: false, compiledReads: 'on' })));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
      const send = async () => (await fetch(endpoint, { method: 'POST', headers, body })).json() as Promise<Answer>;
      // Seen twice: from now on the handler answers it.
      for (let i = 0; i < 2; i++) expect((await send()).data?.node.id).toBe(globalId('Claim', 1));
      return { endpoint, send };
    };
    const shortly = await serve(1000);
    const patient = await serve(20_000);
    const held = await lock('claims');
    try {
      // The deadline: cancelled on the server, answered TIMEOUT.
      const timedOut = shortly.send();
      const first = await until(held.waiting, (waiting) => waiting.length > 0);
      expect(first.length).toBe(1);
      expect(await timedOut).toMatchObject({ data: null, errors: [{ extensions: { code: 'TIMEOUT', timeoutMs: 1000 } }] });
      expect((await backendsIdle(first)).map((row) => row.state)).toEqual(['idle']);
      // The client leaving: its statement cancelled at once, long before its deadline.
      const leaving = httpRequest(patient.endpoint, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } });
      leaving.on('error', () => {});
      leaving.end(body);
      const second = await until(held.waiting, (waiting) => waiting.length > 0);
      expect(second.length).toBe(1);
      leaving.destroy();
      expect((await backendsIdle(second)).map((row) => row.state)).toEqual(['idle']);
      expect(await held.waiting()).toEqual([]);
      await held.release();
      expect((await patient.send()).data?.node.id).toBe(globalId('Claim', 1));
    } finally {
      await held.release();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await engine.close();
    }
  });

  it('sends no statement for a request once its deadline has passed', async () => {
    const { engine, gql, state } = await open(1000);
    try {
      let statements = 0;
      state.onStatement = () => {
        // The first statement holds the thread past the deadline, as a slow one would.
        if (++statements === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
      };
      const answer = await gql(`{ claims(first: 2) { nodes { slug about { name } citations { source { title } } } } entities(first: 2) { nodes { name } } }`);
      expect(codes(answer)).toEqual(['TIMEOUT']);
      expect(state.late).toBe(0);
      state.onStatement = () => {};
      expect((await gql(CLAIMS)).errors).toBeUndefined();
    } finally {
      await engine.close();
    }
  });
});

describe('losing the database', () => {
  it('answers a read through a failover: the replica it ran on promoted, the primary away for a moment', async () => {
    const primary = await relay();
    const replica = await relay();
    expect(primary.url).not.toBe(url);
    const engine = await openPostgresEngine(primary.url, { replicas: { url: replica.url, waitMs: 200 } });
    const yoga = createApp({ db: engine.db, logger: silentLogger, requestTimeoutMs: 20_000, responseCache: false });
    const gql = async (query: string): Promise<Answer> => {
      const response = await yoga.fetch('http://claimgraph.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      return { status: response.status, ...((await response.json()) as object) };
    };
    try {
      expect((await gql(ENTITIES)).errors).toBeUndefined();
      // The replica leaves the read pool, its connections cut; the primary's address answers
      // nobody until the load balancer has seen the new primary, a moment later.
      await Promise.all([replica.cut(), primary.cut()]);
      const back = setTimeout(() => void primary.open(), 600);
      const during = await gql(ENTITIES);
      clearTimeout(back);
      expect(during.errors).toBeUndefined();
      expect(during.data?.entities.totalCount).toBeGreaterThan(0);
      // Away for longer than a read keeps trying: UNAVAILABLE, with when to ask again.
      await primary.cut();
      const started = performance.now();
      expectUnavailable(await gql(ENTITIES));
      expect(performance.now() - started).toBeGreaterThanOrEqual(READ_AGAIN_MS);
    } finally {
      await engine.close();
      await Promise.all([primary.cut(), replica.cut()]);
    }
  });

  it('fails only the request whose connection was terminated mid-query, and reconnects', async () => {
    const { engine, gql } = await open(20_000);
    const held = await lock('claims');
    try {
      const blocked = gql(CLAIMS);
      const [pid] = await until(held.waiting, (pids) => pids.length === 1);
      const meanwhile = await gql(ENTITIES);
      expect(meanwhile.errors).toBeUndefined();
      await cluster.query('SELECT pg_terminate_backend($1)', [pid]);
      expectUnavailable(await blocked);
      await held.release();
      expect((await gql(CLAIMS)).errors).toBeUndefined();
      expect((await gql(ENTITIES)).errors).toBeUndefined();
    } finally {
      await held.release();
      await engine.close();
    }
  });

  it('answers UNAVAILABLE while the server is down, in flight and after, reports unhealthy, and serves again once it is back', async () => {
    const { engine, gql, health } = await open(20_000);
    const held = await lock('claims');
    try {
      // Idle pooled connections too: the stop breaks them while nobody holds them.
      expect((await Promise.all([gql(ENTITIES), gql(ENTITIES), gql(ENTITIES)])).map((a) => a.errors)).toEqual([undefined, undefined, undefined]);
      const inFlight = gql(CLAIMS);
      await until(held.waiting, (pids) => pids.length === 1);
      cluster.halt('fast');
      expectUnavailable(await inFlight);
      const during = await Promise.all([gql(CLAIMS), gql(ENTITIES)]);
      during.forEach(expectUnavailable);
      const sick = await health();
      expect(sick.status).toBe(503);
      expect(sick.body).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/nothing accepts connections at 127\.0\.0\.1:\d+/) });
      cluster.resume();
      expect((await gql(CLAIMS)).errors).toBeUndefined();
      expect((await gql(ENTITIES)).errors).toBeUndefined();
      expect((await health()).status).toBe(200);
    } finally {
      cluster.resume();
      await held.release();
      await engine.close();
    }
  });
});

describe('storage faults on PostgreSQL, and /health', () => {
  const CREATE = 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }';

  /** An app that takes writes over the copy `name`, with its warnings kept. */
  async function writable(name: (typeof STORAGE_DATABASES)[number]) {
    const engine = await openPostgresEngine(url.replace(/\/faults$/, `/${name}`));
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_fields: unknown, message?: unknown) => warnings.push(String(message)) };
    const yoga = createApp({ db: engine.db, logger, apiToken: TEST_TOKEN, responseCache: false });
    const gql = async (query: string, variables?: object): Promise<Answer> => {
      const response = await yoga.fetch('http://claimgraph.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    };
    const health = async () => {
      const response = await yoga.fetch('http://claimgraph.test/health');
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const create = (name: string, description?: string) => gql(CREATE, { i: { kind: 'ORGANIZATION', name, description } });
    return { engine, gql, health, create, warnings };
  }

  const version = async () => (await cluster.query<{ server_version: string }>('SHOW server_version'))[0]!.server_version.split(' ')[0];

  it('takes disk full, I/O errors, damaged data and a read-only database for storage faults, in the texts the client gets', async () => {
    const raise = async (condition: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(`DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '${condition}'; END $$`).then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        await client.end();
      }
    };
    const cases: [condition: string, sqlstate: string, text: RegExp][] = [
      ['disk_full', '53100', /disk is full/],
      ['io_error', '58030', /disk failed to read or write/],
      ['undefined_file', '58P01', /disk failed to read or write/],
      ['data_corrupted', 'XX001', /damaged data/],
      ['index_corrupted', 'XX002', /damaged index.*REINDEX/],
      ['read_only_sql_transaction', '25006', /read-only/],
    ];
    for (const [condition, sqlstate, text] of cases) {
      const error = await raise(condition);
      const fault = storageFault(error);
      expect(fault, condition).toEqual({ code: sqlstate, message: expect.stringMatching(text) });
      expect(postgresError(error)?.extensions, condition).toEqual({ code: 'UNAVAILABLE', retryAfterMs: FAULT_RETRY_AFTER_MS });
      expect(postgresError(error)?.message, condition).toBe(fault!.message);
    }
    // Out of memory, out of connections, a lock held: UNAVAILABLE, but the storage is fine.
    for (const condition of ['out_of_memory', 'too_many_connections', 'lock_not_available', 'serialization_failure']) {
      const error = await raise(condition);
      expect(postgresError(error)?.extensions.code, condition).toBe('UNAVAILABLE');
      expect(storageFault(error), condition).toBeUndefined();
    }
  });

  it('says degraded with the code after a write meets a full disk (a trigger raising 53100), until a write succeeds or the time passes', async () => {
    const { engine, gql, health, create, warnings } = await writable('faults_raised');
    const serverVersion = await version();
    await engine.pg.$client.query(`
      CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
      CREATE TRIGGER disk_is_full BEFORE INSERT ON entities FOR EACH ROW EXECUTE FUNCTION disk_is_full()`);
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      expect(await health()).toEqual({ status: 200, body: { status: 'ok', engine: 'postgresql', serverVersion } });
      const refused = await create('Kept out');
      expectUnavailable(refused);
      expect(refused.errors![0]!.message).toMatch(/disk is full; nothing was written/);
      expect(refused.errors![0]!.extensions.retryAfterMs).toBe(FAULT_RETRY_AFTER_MS);
      expect(warnings).toContain('storage fault 53100');
      const degraded = await health();
      expect(degraded.status).toBe(503);
      expect(degraded.body).toEqual({
        status: 'degraded',
        reason: expect.stringMatching(/^53100: The database disk is full/),
        since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        engine: 'postgresql',
        serverVersion,
      });
      // Reads go on.
      expect((await gql(ENTITIES)).errors).toBeUndefined();
      // Nothing written for DEGRADED_FOR_MS: healthy again, so a load balancer sends traffic to find out.
      vi.advanceTimersByTime(DEGRADED_FOR_MS - 1);
      expect((await health()).status).toBe(503);
      vi.advanceTimersByTime(1);
      expect((await health()).status).toBe(200);

      expectUnavailable(await create('Kept out again'));
      expect((await health()).body.status).toBe('degraded');
      await engine.pg.$client.query('DROP TRIGGER disk_is_full ON entities');
      expect((await create('Room again')).errors).toBeUndefined();
      expect(await health()).toEqual({ status: 200, body: { status: 'ok', engine: 'postgresql', serverVersion } });
    } finally {
      vi.useRealTimers();
      await engine.close();
    }
  });

  /** A tiny tmpfs the cluster's user may write, where this process may mount one (root with the capability, as in CI here). */
  const tmpfs = (sizeKb: number) => mountTmpfs('claimgraph-pg-tmpfs-', sizeKb, '0700');
  const probe = tmpfs(64);
  if (probe) spawnSync('umount', [probe]);

  it.runIf(probe !== undefined)('says degraded when a table lives on a disk that really runs out of space (53100), and ok once there is room', async () => {
    const dir = tmpfs(1024)!;
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (owner.status === 0) chownSync(dir, Number(owner.stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
    await cluster.query(`CREATE TABLESPACE tiny LOCATION '${dir}'`);
    const { engine, gql, health, create } = await writable('faults_tablespace');
    const filler = join(dir, 'filler');
    try {
      await engine.pg.$client.query('ALTER TABLE entities SET TABLESPACE tiny');
      expect((await create('While there was room')).errors).toBeUndefined();
      fillUntilFull(filler);
      let refused: Answer | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const answer = await create(`Filling ${i}`, randomBytes(3000).toString('base64'));
        if (answer.errors) refused = answer;
      }
      expectUnavailable(refused!);
      expect(refused!.errors![0]!.message).toMatch(/disk is full/);
      const degraded = await health();
      expect(degraded.status).toBe(503);
      expect(degraded.body).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^53100: /), engine: 'postgresql' });
      expect((await gql(ENTITIES)).errors).toBeUndefined();

      rmSync(filler);
      expect((await create('After the cleanup')).errors).toBeUndefined();
      expect((await health()).body).toMatchObject({ status: 'ok', engine: 'postgresql' });
    } finally {
      rmSync(filler, { force: true });
      await engine.close();
      await cluster.query('DROP DATABASE faults_tablespace');
      await cluster.query('DROP TABLESPACE tiny');
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the server process on PostgreSQL', () => {
  /** Starts the server expecting it to stop at once: its exit code and its output. */
  const refusal = async (databaseUrl: string) => {
    const error = (await startServer({ DATABASE_URL: databaseUrl }).then(
      (server) => {
        server.child.kill('SIGKILL');
        throw new Error('the server started');
      },
      (error: Error) => error,
    )) as Error;
    const [, code, output] = /^server exited with (\S+):\n([\s\S]*)$/.exec(error.message) ?? [];
    return { code, lines: output!.trim().split('\n') };
  };

  // Four servers starting at once from their sources, one waiting out its connect timeout: 10 s here, more on a busy machine.
  it('stops at start-up with one line that says what to change: nothing there, a silent port, a wrong password, a missing database', { timeout: 60_000 }, async () => {
    await cluster.addPasswordRole('alice', 'right-password');
    const port = cluster.port;
    // Accepts connections and never answers: a hung server, or a port that is not PostgreSQL's.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const cases: [string, RegExp][] = [
      [`postgres://claimgraph@127.0.0.1:${await freePort()}/faults`, /^claimgraph: cannot use the PostgreSQL database: nothing accepts connections at 127\.0\.0\.1:\d+ \(connection refused\): start PostgreSQL there, or fix the host and port in DATABASE_URL$/],
      [`postgres://claimgraph@127.0.0.1:${silentPort}/faults`, /^claimgraph: cannot use the PostgreSQL database: 127\.0\.0\.1:\d+ did not accept a connection in time: check that PostgreSQL runs there/],
      [`postgres://alice:wrong-password@127.0.0.1:${port}/faults`, /^claimgraph: cannot use the PostgreSQL database: PostgreSQL at 127\.0\.0\.1:\d+ refused the password of user "alice": fix the user and password in DATABASE_URL$/],
      [`postgres://claimgraph@127.0.0.1:${port}/nosuchdb`, /^claimgraph: cannot use the PostgreSQL database: the database "nosuchdb" does not exist at 127\.0\.0\.1:\d+: create it \(createdb nosuchdb\), or fix its name in DATABASE_URL$/],
    ];
    const results = await Promise.all(cases.map(([databaseUrl]) => refusal(databaseUrl)));
    silent.close();
    silent.unref();
    for (const [i, { code, lines }] of results.entries()) {
      expect(code).toBe('1');
      const failures = lines.filter((line) => line.startsWith('claimgraph:'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(cases[i]![1]);
      expect(lines.join('\n')).not.toMatch(/wrong-password|\n\s+at /);
    }
  });

  it('survives the database restarting under it and answers again without a restart of its own', async () => {
    const server = await startServer({ DATABASE_URL: url, REQUEST_TIMEOUT_MS: '5000' });
    try {
      expect((await post(server.url, ENTITIES)).errors).toBeUndefined();
      cluster.halt('fast');
      const during = await post(server.url, CLAIMS);
      expectUnavailable({ status: 200, ...(during as Answer) });
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
      cluster.resume();
      expect((await post(server.url, CLAIMS)).errors).toBeUndefined();
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      expect(server.output()).not.toMatch(/INTERNAL_SERVER_ERROR|uncaught|\n\s+at /i);
    } finally {
      cluster.resume();
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });
});
