import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { LOG_FIELD_CHARS } from '../src/log';
import { seededFile } from './support/app';
import { runCli, startServer } from './support/server';

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const start = async (env: Record<string, string>) => {
  const server = await startServer({ DATABASE_PATH: seededFile('shutdown'), ...env });
  running.push(server.child);
  return server;
};

/** A cursor as long as the one the tester sent: its error message quotes it whole. */
const HUGE_ID = 'x'.repeat(200 * 1024);
const hostile = (url: string) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: HUGE_ID } }),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as { errors?: { extensions: { code: string } }[] } }));

const lines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => ({ line, entry: JSON.parse(line) as Record<string, unknown> }));

/** Opens a raw connection to the server and sends `text`; collects what comes back. */
function rawConnection(url: string, text: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(text);
  return { socket, received: () => received, closed };
}

const postHead = (bodyBytes: number, expectContinue = false) =>
  `POST /graphql HTTP/1.1\r\nHost: claimgraph\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${bodyBytes}\r\n${expectContinue ? 'Expect: 100-continue\r\n' : ''}\r\n`;

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** Resolves once the server has read a request's head (sent with Expect: 100-continue): it is in flight. */
async function inFlight(connection: ReturnType<typeof rawConnection>) {
  for (let waited = 0; !connection.received().startsWith(CONTINUE); waited += 20) {
    if (waited > 10_000) throw new Error(`the server did not take the request in: ${JSON.stringify(connection.received())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('logging', () => {
  it('logs a client mistake as one short info line without a stack', async () => {
    const server = await start({});
    const answer = await hostile(server.url);
    expect(answer.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);

    const logged = lines(server.output()).filter(({ line }) => line.includes('is not a claimgraph id'));
    expect(logged).toHaveLength(1);
    const { line, entry } = logged[0]!;
    expect(entry.level).toBe(30); // info
    expect(line).not.toMatch(/stack|at .*\.(js|ts):\d+/);
    expect(entry.code).toBe('BAD_USER_INPUT');
    for (const value of Object.values(entry)) {
      if (typeof value === 'string') expect(value.length).toBeLessThan(LOG_FIELD_CHARS + 40);
    }
    expect(line.length).toBeLessThan(4 * LOG_FIELD_CHARS);
  });

  it('logs an unexpected failure once, as an error with its stack', async () => {
    const db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    const logged: { level: string; args: unknown[] }[] = [];
    const sink = (level: string) => (...args: unknown[]) => logged.push({ level, args });
    const yoga = createApp({ db, logger: { debug: () => {}, info: sink('info'), warn: sink('warn'), error: sink('error') } });
    db.$client.close(); // every statement now throws: a failure of ours, not the client's
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ entities { totalCount } }' }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(body)).not.toMatch(/database connection|at .*\.(js|ts):\d+/);

    const errors = logged.filter((entry) => entry.level === 'error');
    expect(errors).toHaveLength(1);
    const fields = errors[0]!.args[0] as { err: Error };
    expect(fields.err.message).toMatch(/database connection is not open/);
    expect(fields.err.stack).toMatch(/\n +at /);
  });

  it('writes the lines of a process that exits in the turn it logged them', async () => {
    const { code, stdout } = await runCli('test/support/log-exit.ts', [], {});
    expect(code).toBe(0);
    expect(lines(stdout).map(({ entry }) => entry.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('drops and counts lines past its buffer without blocking, and says how many once stdout is read', async () => {
    const { code, stdout, stderr } = await runCli('test/support/log-flood.ts', [], {});
    expect(code).toBe(0);
    const [, wrote, dropped] = /wrote (\d+) dropped (\d+)/.exec(stderr)!.map(Number);
    expect(dropped).toBeGreaterThan(0);
    const entries = lines(stdout).map(({ entry }) => entry);
    expect(entries.filter((entry) => entry.msg === 'flood')).toHaveLength(wrote! - dropped!);
    expect(entries.at(-1)).toMatchObject({ level: 40, droppedLogLines: dropped });
  });
});

describe('shutdown', () => {
  /** Starts a server whose stdout nobody reads once it listens, and sends it enough logging requests to fill the pipe. */
  const stalled = async () => {
    const server = await start({ LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '2000' });
    server.child.stdout!.pause(); // the reader stalls: the pipe fills, then the log buffer
    for (let i = 0; i < 150; i++) expect((await hostile(server.url)).status).toBe(200);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; droppedLogLines: number };
    expect(health).toEqual({ status: 'ok', droppedLogLines: expect.any(Number) });
    return server;
  };

  it('exits within SHUTDOWN_TIMEOUT_MS when nobody reads its stdout', { timeout: 60_000 }, async () => {
    const server = await stalled();
    server.child.kill('SIGTERM');
    // Every request had finished: 0, though its last log lines could not be written.
    expect(await server.exit).toBe(0);
  });

  it('exits within SHUTDOWN_TIMEOUT_MS when nobody reads its stdout and a request never finishes', { timeout: 60_000 }, async () => {
    const server = await stalled();
    // A request whose body never arrives: the server cannot finish it.
    const stuck = rawConnection(server.url, `${postHead(100, true)}{`);
    await inFlight(stuck);
    server.child.kill('SIGTERM');
    // A request in flight was cut off: 1. What matters is that it exits.
    expect(await server.exit).toBe(1);
    stuck.socket.destroy();
  });

  it('finishes a request in flight and answers one arriving after SIGTERM with 503 UNAVAILABLE', async () => {
    const server = await start({ SHUTDOWN_TIMEOUT_MS: '30000' });
    const body = JSON.stringify({ query: '{ entities { totalCount } }' });
    // The request is in flight (its body not yet all sent) when the signal comes.
    const connection = rawConnection(server.url, `${postHead(body.length, true)}${body.slice(0, 5)}`);
    await inFlight(connection);
    server.child.kill('SIGTERM');
    for (let waited = 0; !server.output().includes('stopping') && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The rest of its body, then a second request on the same connection.
    connection.socket.write(`${body.slice(5)}${postHead(body.length)}${body}`);
    await connection.closed;

    const [first, second] = connection.received().slice(CONTINUE.length).split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain('{"data":{"entities":{"totalCount":22}}');
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    const refusal = JSON.parse(second!.slice(second!.indexOf('\r\n\r\n') + 4)) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(refusal.errors[0]!.extensions).toEqual({ code: 'UNAVAILABLE', retryAfterMs: 1000 });
    expect(refusal.errors[0]!.message).toMatch(/stopping/);

    // Nothing left in flight: it exits cleanly, long before the bound.
    expect(await server.exit).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  });

  it('with WORKERS=2, the primary kills a worker that does not stop, and exits', { timeout: 60_000 }, async () => {
    const server = await start({ WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '1000' });
    const pids = () =>
      lines(server.output())
        .filter(({ entry }) => typeof entry.msg === 'string' && entry.msg.includes('is serving GraphQL'))
        .map(({ entry }) => entry.pid as number);
    for (let waited = 0; pids().length < 2 && waited < 30_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    const [frozen, other] = pids();
    process.kill(frozen!, 'SIGSTOP'); // a worker that can do nothing at all, not even die on SIGTERM
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(1);
    expect(server.output()).toMatch(/killed workers still running/);
    // Gone, or a zombie waiting for whoever adopted it to reap it.
    const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    for (let waited = 0; (alive(frozen!) || alive(other!)) && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(alive(frozen!)).toBe(false);
    expect(alive(other!)).toBe(false);
  });
});
