import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import { BUSY_TIMEOUT_MS, FAULT_RETRY_AFTER_MS, openDatabase, readWal } from '../src/db';
import { LOCK_RETRY_AFTER_MS } from '../src/db';
import { writeConnection } from '../src/db/sqlite-transaction';
import { createTestApp, seededFile, TEST_TOKEN, type TestApp } from './support/app';
import { fillUntilFull, mountTmpfs } from './support/disk';
import { post, type RunningServer, startServer } from './support/server';

const CREATE = 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }';
const COUNT = '{ entities { totalCount } }';
const createEntity = (app: TestApp, name: string, description?: string) =>
  app.mutate<{ createEntity: { entity: { id: string } } }>(CREATE, { i: { kind: 'PERSON', name, description } });
const entityCount = async (app: TestApp) => (await app.gql<{ entities: { totalCount: number } }>(COUNT)).data!.entities.totalCount;
const health = async (app: TestApp) => {
  const res = await app.fetch('/health');
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
};

/** The one error of a refused operation, which must be UNAVAILABLE with a retry hint, and no data. */
function unavailableError(res: Awaited<ReturnType<TestApp['gql']>>) {
  expect(res.status).toBe(200);
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) });
  expect(res.data ?? null).toBeNull();
  return error;
}

/** Bytes per frame of a database's write-ahead log: a 24-byte header and a page of the size its header gives. */
const frameBytes = (path: string) => 24 + readFileSync(`${path}-wal`).readUInt32BE(8);
/** Inverts every bit of `count` bytes of a file: unlike writing a fixed value, it always changes them. */
function flipBytes(path: string, offset: number, count: number) {
  const bytes = readFileSync(path).subarray(offset, offset + count).map((b) => b ^ 0xff);
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, count, offset);
  closeSync(fd);
}

const opened: Database.Database[] = [];
const mounts: string[] = [];
const servers: RunningServer[] = [];
afterAll(() => {
  for (const client of opened) if (client.open) client.close();
  for (const { child } of servers) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of mounts) spawnSync('umount', ['-l', dir]);
});

function appOver(path: string): TestApp {
  const db = openDatabase({ path });
  opened.push(db.$client);
  return createTestApp({ db, apiToken: TEST_TOKEN });
}

/** A tiny tmpfs (see mountTmpfs), unmounted once the tests are done. */
function tmpfs(sizeKb: number): string | undefined {
  const dir = mountTmpfs('claimgraph-tmpfs-', sizeKb);
  if (dir) mounts.push(dir);
  return dir;
}
const probe = tmpfs(64);
const canMount = probe !== undefined;

describe('a write that meets another process holding the write lock', () => {
  it(`waits its turn, and after ${BUSY_TIMEOUT_MS / 1000} s answers UNAVAILABLE with retryAfterMs, having written nothing`, async () => {
    const path = seededFile('held');
    const app = appOver(path);
    const other = new Database(path);
    opened.push(other);
    const before = await entityCount(app);
    other.exec('BEGIN IMMEDIATE');
    const refused = unavailableError(await createEntity(app, 'Kept waiting'));
    expect(refused.extensions!.retryAfterMs).toBe(LOCK_RETRY_AFTER_MS);
    expect(refused.message).toMatch(/write lock.*nothing was written.*Retry/);
    other.exec('ROLLBACK');
    expect(await entityCount(app)).toBe(before);
    // A held lock is not a fault of the server's storage.
    expect(await health(app)).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await createEntity(app, 'Once it let go')).errors).toBeUndefined();
  });
});

describe('a full disk', () => {
  it('answers UNAVAILABLE, not INTERNAL_SERVER_ERROR; /health says degraded until a write succeeds again', async () => {
    const app = appOver(seededFile('full'));
    // Writes run on a connection of their own: the limit is set there.
    const client = writeConnection(app.db).$client;
    const before = await entityCount(app);
    // SQLite's own limit on the file's size: the next page it needs is refused with SQLITE_FULL.
    client.pragma(`max_page_count = ${client.pragma('page_count', { simple: true }) as number}`);
    let refusal: Awaited<ReturnType<TestApp['gql']>> | undefined;
    for (let i = 0; i < 50 && !refusal; i++) {
      const res = await createEntity(app, `Filling ${i}`, 'x'.repeat(4000));
      if (res.errors) refusal = res;
    }
    const error = unavailableError(refusal!);
    expect(error.message).toMatch(/disk is full; nothing was written/);
    expect(error.extensions!.retryAfterMs).toBe(FAULT_RETRY_AFTER_MS);
    const degraded = await health(app);
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^SQLITE_FULL: /) });
    // Reads go on.
    expect(await entityCount(app)).toBeGreaterThanOrEqual(before);

    client.pragma('max_page_count = 1073741823');
    expect((await createEntity(app, 'Room again')).errors).toBeUndefined();
    expect(await health(app)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it.runIf(canMount)('on a tmpfs that runs out of space, the same', async () => {
    const dir = tmpfs(1024)!;
    const path = join(dir, 'tiny.db');
    copyFileSync(seededFile('tiny'), path);
    const app = appOver(path);
    // The first write creates the -wal and -shm files while there is room.
    expect((await createEntity(app, 'While there was room')).errors).toBeUndefined();
    fillUntilFull(join(dir, 'filler'));
    let refusal: Awaited<ReturnType<TestApp['gql']>> | undefined;
    const written: string[] = [];
    for (let i = 0; i < 50 && !refusal; i++) {
      const res = await createEntity(app, `Filling ${i}`, 'y'.repeat(4000));
      if (res.errors) refusal = res;
      else written.push(res.data!.createEntity.entity.id);
    }
    expect(unavailableError(refusal!).message).toMatch(/disk is full/);
    expect((await health(app)).body.status).toBe('degraded');

    rmSync(join(dir, 'filler'));
    expect((await createEntity(app, 'After the cleanup')).errors).toBeUndefined();
    expect((await health(app)).status).toBe(200);
    // Every acknowledged write is there, whole, in a sound file.
    for (const id of written) expect((await app.gql('query($id: ID!) { node(id: $id) { id } }', { id })).data).toEqual({ node: { id } });
    expect(app.db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
    app.db.$client.close();
  });
});

describe('a database file deleted or replaced under the running server', () => {
  function watchedApp(name: string) {
    const path = seededFile(name);
    const db = openDatabase({ path });
    opened.push(db.$client);
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (message: unknown) => errors.push(String(message)) };
    const yoga = createApp({ db, logger, apiToken: TEST_TOKEN });
    const fetch = (p: string, init?: RequestInit) => yoga.fetch(`http://claimgraph.test${p}`, init as never) as Promise<Response>;
    const gql: TestApp['gql'] = async (query, variables, headers = {}) => {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { ...((await response.json()) as object), status: response.status };
    };
    // As createTestApp's, over an app whose log this test reads.
    const app = { db, fetch, gql, mutate: (query, variables) => gql(query, variables, { authorization: `Bearer ${TEST_TOKEN}` }) } as TestApp;
    return { path, app, errors };
  }

  it('refuses the next write (never acknowledged), then every read, and /health says why', async () => {
    const { path, app, errors } = watchedApp('deleted');
    expect((await createEntity(app, 'Before')).errors).toBeUndefined();
    const { musk } = (await app.gql<{ musk: { id: string } }>('{ musk: entity(name: "Musk") { id } }')).data!;
    // In the response cache now.
    expect(await entityCount(app)).toBeGreaterThan(0);
    rmSync(path);
    const refused = unavailableError(await createEntity(app, 'Would be lost'));
    expect(refused.message).toMatch(/was deleted while the server ran\); nothing was written/);
    // Reads, the response cache's included, are refused as well.
    unavailableError(await app.gql('query($id: ID!) { node(id: $id) { id } }', { id: musk }));
    unavailableError(await app.gql(COUNT));
    const down = await health(app);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', reason: expect.stringContaining(`${path} was deleted`) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/was deleted while the server ran: refusing every request\. Restart the server \(restore the file from a backup/);
  });

  it('notices a replaced file before the next write', async () => {
    const { path, app } = watchedApp('replaced');
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);
    const refused = unavailableError(await createEntity(app, 'Into the wrong file'));
    expect(refused.message).toMatch(/was replaced by another file/);
  });

  it('notices on its own, without a write, and /health reports it', async () => {
    const { path, app, errors } = watchedApp('noticed');
    expect((await health(app)).status).toBe(200);
    rmSync(path);
    await vi.waitFor(async () => expect((await health(app)).status).toBe(503), { timeout: 5000, interval: 200 });
    expect(errors).toHaveLength(1);
    unavailableError(await app.gql(COUNT));
  });
});

describe('a read-only database at start-up', () => {
  const refused = async (env: Record<string, string>) => {
    const start = startServer(env);
    void start.then((server) => servers.push(server)).catch(() => {});
    await expect(start).rejects.toThrow(/server exited with 1/);
    return (await start.catch((error: Error) => error.message)) as string;
  };

  it('refuses a file without write permission in one line, before SQLite leaves a -shm behind', async () => {
    const path = seededFile('readonly');
    chmodSync(path, 0o444);
    const output = await refused({ DATABASE_PATH: path });
    expect(output).toContain(`claimgraph: ${path} is read-only (mode 0444): make it writable`);
    expect(existsSync(`${path}-shm`)).toBe(false);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o444);
  });

  it('the commands refuse it too: an import into a read-only file writes nothing', () => {
    const path = seededFile('readonly-import');
    chmodSync(path, 0o444);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', 'seed/article.json'], {
      env: { ...process.env, DATABASE_PATH: path },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`claimgraph import: ${path} is read-only (mode 0444): make it writable for the server, or set DATABASE_PATH to a writable location`);
    expect(existsSync(`${path}-shm`)).toBe(false);
  });

  it('refuses a read-only folder', async () => {
    const path = seededFile('readonly-folder');
    const folder = join(path, '..');
    chmodSync(folder, 0o555);
    try {
      const output = await refused({ DATABASE_PATH: path });
      expect(output).toContain(`claimgraph: the folder ${folder} is read-only, and SQLite keeps its -wal and -shm files beside the database (mode 0555)`);
      expect(existsSync(`${path}-shm`)).toBe(false);
    } finally {
      chmodSync(folder, 0o755);
    }
  });

  it.runIf(canMount)('refuses a read-only file system', async () => {
    const dir = tmpfs(2048)!;
    const path = join(dir, 'ro.db');
    copyFileSync(seededFile('ro-fs'), path);
    expect(spawnSync('mount', ['-o', 'remount,ro', dir]).status).toBe(0);
    const output = await refused({ DATABASE_PATH: path });
    expect(output).toContain(`claimgraph: ${path} is read-only (on a read-only file system)`);
  });
});

describe('the write-ahead log at start-up', () => {
  /** A crash image: the files of a database whose connection is still open, with its log unmerged. */
  function crashImage(name: string, writes: (db: Database.Database) => void) {
    const dir = mkdtempSync(join(tmpdir(), `claimgraph-wal-${name}-`));
    const live = join(dir, 'live.db');
    const db = new Database(live);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (n INTEGER, filler BLOB)');
    // The table itself in the main file: only the rows are in the log.
    db.pragma('wal_checkpoint(TRUNCATE)');
    writes(db);
    const image = join(dir, 'image.db');
    copyFileSync(live, image);
    copyFileSync(`${live}-wal`, `${image}-wal`);
    db.close();
    return image;
  }
  const rows = (path: string) => {
    const db = new Database(path);
    try {
      return (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const insert = (db: Database.Database, n: number) => db.prepare('INSERT INTO t VALUES (?, randomblob(3000))').run(n);

  it('counts committed frames, and finds none discarded in a sound log', () => {
    const image = crashImage('sound', (db) => {
      for (let n = 0; n < 5; n++) insert(db, n);
    });
    const report = readWal(image)!;
    expect(report).toMatchObject({ headerDamaged: false, discardedFrames: 0 });
    expect(report.committedFrames).toBeGreaterThanOrEqual(5);
    expect(rows(image)).toBe(5);
  });

  it('reports the frames of a torn last commit, which SQLite drops', () => {
    const image = crashImage('torn', (db) => {
      for (let n = 0; n < 5; n++) insert(db, n);
    });
    const { committedFrames } = readWal(image)!;
    // Cut the log inside its last frame, the last commit's.
    truncateSync(`${image}-wal`, 32 + committedFrames * frameBytes(image) - 100);
    const report = readWal(image)!;
    expect(report.discardedFrames).toBeGreaterThan(0);
    expect(report.committedFrames).toBeLessThan(committedFrames);
    expect(rows(image)).toBe(4);
  });

  it('reports a damaged frame and everything after it', () => {
    const image = crashImage('damaged', (db) => {
      for (let n = 0; n < 5; n++) insert(db, n);
    });
    const { committedFrames } = readWal(image)!;
    // Flipped bytes in the page of the second frame break the running checksum from there on.
    flipBytes(`${image}-wal`, 32 + frameBytes(image) + 24 + 1000, 3);
    const report = readWal(image)!;
    expect(report.discardedFrames).toBe(committedFrames - report.committedFrames);
    expect(report.committedFrames).toBeLessThanOrEqual(1);
    expect(rows(image)).toBeLessThan(5);
  });

  it('ignores frames left from before the log restarted, which carry older salts', () => {
    const image = crashImage('restarted', (db) => {
      for (let n = 0; n < 5; n++) insert(db, n);
      db.pragma('wal_checkpoint(RESTART)');
      insert(db, 5);
    });
    const report = readWal(image)!;
    expect(report).toMatchObject({ headerDamaged: false, discardedFrames: 0 });
    expect(report.committedFrames).toBeLessThan(5);
    expect(statSync(`${image}-wal`).size).toBeGreaterThan(32 + 5 * frameBytes(image));
    expect(rows(image)).toBe(6);
  });

  it('reports a damaged header: SQLite ignores the whole log', () => {
    const image = crashImage('header', (db) => insert(db, 0));
    // A byte of the first salt, which is random: a fixed value written there was already there one time in 256.
    flipBytes(`${image}-wal`, 17, 1);
    expect(readWal(image)).toMatchObject({ headerDamaged: true, committedFrames: 0 });
    expect(rows(image)).toBe(0);
  });

  it('warns at start-up when the log held a torn write, after a kill -9; not after a sound one', async () => {
    const TOKEN = 'faults-token-0123456789';
    const dir = mkdtempSync(join(tmpdir(), 'claimgraph-walkill-'));
    const path = join(dir, 'killed.db');
    const server = await startServer({ DATABASE_PATH: path, API_TOKEN: TOKEN });
    servers.push(server);
    for (const name of ['First', 'Second', 'Third']) {
      const res = await post(server.url, CREATE, { i: { kind: 'PERSON', name } }, { authorization: `Bearer ${TOKEN}` });
      expect(res.errors).toBeUndefined();
    }
    server.child.kill('SIGKILL');
    await server.exit;
    const report = readWal(path)!;
    expect(report.committedFrames).toBeGreaterThan(0);
    expect(report.discardedFrames).toBe(0);
    const sound = join(mkdtempSync(join(tmpdir(), 'claimgraph-walkill-')), 'sound.db');
    mkdirSync(join(sound, '..'), { recursive: true });
    copyFileSync(path, sound);
    copyFileSync(`${path}-wal`, `${sound}-wal`);

    truncateSync(`${path}-wal`, 32 + report.committedFrames * frameBytes(path) - 10);
    const restarted = await startServer({ DATABASE_PATH: path, API_TOKEN: TOKEN });
    servers.push(restarted);
    expect(restarted.output()).toMatch(/the write-ahead log held \d+ frames past the last valid commit: a torn or damaged write was discarded/);
    // The torn write (the last) is gone; the ones before it are there.
    const names = await post<{ entities: { nodes: { name: string }[] } }>(restarted.url, '{ entities(first: 100) { nodes { name } } }');
    const people = names.data!.entities.nodes.map((n) => n.name);
    expect(people).toEqual(expect.arrayContaining(['First', 'Second']));
    expect(people).not.toContain('Third');
    restarted.child.kill('SIGTERM');
    await restarted.exit;

    const control = await startServer({ DATABASE_PATH: sound, API_TOKEN: TOKEN });
    servers.push(control);
    expect(control.output()).not.toMatch(/write-ahead log/);
    control.child.kill('SIGTERM');
    await control.exit;
  });
});
