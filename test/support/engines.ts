import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { createApp } from '../../src/app';
import { inVerifyingRun } from '../../src/graphql/compiled-reads';
import { SERVER_ENGINE_FIELDS } from '../../src/http/health';
import { type Db, migrateDatabase, openDatabase } from '../../src/db';
import type { EngineName } from '../../src/db/engine';
import { openPostgresEngine, type PostgresEngine } from '../../src/db/postgres-engine';
import { loadSqliteIntoPostgres } from '../../src/db/postgres-load';
import { createTestApp, seededFile, silentLogger, type TestApp, testAppOver } from './app';
import { type PostgresCluster, startPostgres } from './postgres';

/**
 * The test app on either engine, for the shared contract suite (test/contract/): the same
 * TestApp (`db`, `auth`, `queries`, `fetch`, `gql`, `mutate`), plus what a test needs to look
 * under the API without knowing the engine (`sql`) and `close`.
 */
export interface EngineTestApp extends TestApp {
  readonly engine: EngineName;
  /**
   * The rows of one statement with `?` placeholders, on whichever engine this app runs. Write it
   * so both read it alike: `CAST(count(*) AS integer)` (PostgreSQL counts in bigint, which comes
   * back as a string), `CASE WHEN … THEN 1 ELSE 0 END` rather than a bare comparison (a boolean there).
   */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface EngineAppOptions {
  seed?: boolean;
  /**
   * Fills an empty, migrated database instead of the seed: run on a SQLite database (generateGraph,
   * importDocument and bulk loads are SQLite code), whose rows a PostgreSQL app is then loaded
   * with, ids kept. The app's statements are not counted.
   */
  build?: (db: Db) => void;
  apiToken?: string;
  responseCache?: boolean;
}

/** Makes a fresh app (its own database, migrated, seeded unless `seed: false`). */
export type AppFactory = (options?: EngineAppOptions) => Promise<EngineTestApp>;

/** `createTestApp` (a fresh in-memory SQLite database) as an EngineTestApp. */
export const createSqliteTestApp: AppFactory = async ({ responseCache, build, ...options } = {}) => {
  if (responseCache === false) throw new Error('createSqliteTestApp: createTestApp keeps the response cache on');
  if (!build) return asEngineApp(createTestApp(options));
  // Its statements are counted once built, as createTestApp counts those of the databases it opens.
  let counted: string[] | undefined;
  const db = openDatabase({ path: ':memory:', onQuery: (sql) => counted && !inVerifyingRun() && counted.push(sql) });
  migrateDatabase(db);
  build(db);
  const app = createTestApp({ db, apiToken: options.apiToken });
  counted = app.queries;
  return asEngineApp(app);
};

function asEngineApp(app: TestApp, afterClose?: () => void): EngineTestApp {
  return Object.assign(app, {
    engine: 'sqlite' as const,
    async sql<T extends Record<string, unknown>>(text: string, ...params: unknown[]) {
      const statement = app.db.$client.prepare(text);
      if (statement.reader) return statement.all(...params) as T[];
      statement.run(...params);
      return [];
    },
    async close() {
      if (app.db.$client.open) app.db.$client.close();
      afterClose?.();
    },
  });
}

/** Rewrites `?` placeholders (outside quoted text) as PostgreSQL's `$1, $2, …`. */
export function numberedParameters(text: string): string {
  let n = 0;
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (match) => (match === '?' ? `$${++n}` : match));
}

/**
 * An app over a PostgreSQL database that already exists (migrated, seeded or not). With `twin`
 * (a SQLite test app over the same rows under the same ids), every HTTP answer is compared with
 * the twin's, byte for byte (status, content type, body), and `sql` runs on both: a difference
 * fails the test that asked, whatever that test asserts itself.
 */
async function postgresApp(url: string, { apiToken, responseCache }: EngineAppOptions, twin?: EngineTestApp): Promise<EngineTestApp> {
  const queries: string[] = [];
  let counting = false;
  const engine: PostgresEngine = await openPostgresEngine(url, { onQuery: (sql) => counting && !inVerifyingRun() && queries.push(sql) });
  counting = true;
  const yoga = createApp({ db: engine.db, logger: silentLogger, apiToken, compiledReads: 'verify', ...(responseCache === undefined ? {} : { responseCache }) });
  const auth: Record<string, string> = apiToken ? { authorization: `Bearer ${apiToken}` } : {};
  const fetch = async (path: string, init?: RequestInit): Promise<Response> => {
    const own = () => yoga.fetch(`http://claimgraph.test${path}`, init as never) as Promise<Response>;
    // A closed database fails as its engine notices it (SQLite before running anything,
    // PostgreSQL's pool in the resolver): each test asserts what the contract fixes there.
    if (!twin || closed) return own();
    // One after the other, SQLite first: a request that writes must not race its twin. Both are
    // served at the same moment by the clock (Date) their writes stamp rows with, a millisecond at
    // least after the last pair: rows sort by their stamps alike on both engines, which their own
    // clocks, one faster than the other, would not promise for rows two requests wrote close together.
    const at = (clock = Math.max(Date.now(), clock + 1));
    try {
      vi.setSystemTime(at);
      const expected = await twin.fetch(path, init);
      vi.setSystemTime(at);
      const actual = await own();
      return await compareAnswers(path, init, expected, actual);
    } finally {
      vi.useRealTimers();
    }
  };
  let closed = false;
  const app: EngineTestApp = {
    ...testAppOver(engine.db, queries, auth, fetch),
    engine: 'postgres',
    async sql<T extends Record<string, unknown>>(text: string, ...params: unknown[]) {
      await twin?.sql(text, ...params);
      return (await engine.pg.$client.query<T>(numberedParameters(text), params)).rows;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([engine.close(), twin?.close()]);
    },
  };
  return app;
}

/** The time the last pair of twin requests was served at (see postgresApp's fetch). */
let clock = 0;

/** Streams (live queries, subscriptions) are not compared: they do not end. */
const STREAMED = /event-stream|multipart/;

/** A timestamp each engine takes from its own clock (createdAt, updatedAt of what a test wrote). */
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** A cursor of an ordering by a timestamp holds one: base64 of text with a stamp in it. */
const STAMPED_CURSOR = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

/**
 * JSON with every object's keys sorted: equal texts, equal values. Timestamps, and the cursors that
 * carry them, are the engines' own clocks and are not compared. An answer with no data is compared
 * by being refused, and errors beside data by their codes: when two fields (or two items of a list)
 * fail, each engine reports the one that fails first, which the engines order differently (each
 * engine's run still has to refuse with a contract code: hostile.ts).
 */
function canonical(text: string): string {
  let parsed = JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  if (parsed && typeof parsed === 'object' && Array.isArray(parsed.errors) && parsed.errors.length > 0) {
    if (parsed.data === null) return '{"refused":true}';
    // The same failure in a list of many items is met first at another item on each engine.
    parsed = { ...parsed, errors: [...new Set(parsed.errors.map((e) => e.extensions?.code))].sort().map((code) => ({ extensions: { code } })) };
  }
  return JSON.stringify(parsed, (_key, value: unknown) => {
    if (typeof value === 'string') {
      if (STAMP.test(value)) return '<stamp>';
      if (/^[A-Za-z0-9+/]{12,}={0,2}$/.test(value) && STAMPED_CURSOR.test(Buffer.from(value, 'base64').toString('utf8'))) return '<stamped cursor>';
      return value;
    }
    return value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value;
  });
}

/**
 * `actual` (PostgreSQL's answer) when it is SQLite's: the same status, content type and body (a
 * JSON body parsed: the same values, ids and cursors, whatever the order of an object's keys,
 * which on SQLite follows the order in which fields settled; see src/graphql/field-order.ts);
 * otherwise an error that shows both.
 */
async function compareAnswers(path: string, init: RequestInit | undefined, expected: Response, actual: Response): Promise<Response> {
  const type = actual.headers.get('content-type') ?? '';
  if (STREAMED.test(type) || STREAMED.test(expected.headers.get('content-type') ?? '')) {
    await expected.body?.cancel();
    return actual;
  }
  const [want, got] = await Promise.all([expected.text(), actual.text()]);
  const json = /json/.test(type) && /json/.test(expected.headers.get('content-type') ?? '');
  const body = (text: string) => (json && text ? canonical(text) : text);
  const shape = (r: Response, text: string) => `${r.status} ${r.headers.get('content-type')}\n${body(text)}`;
  // /health names the engine and its version on PostgreSQL only: the rest of it is compared.
  const health = json && got && new URL(path, 'http://claimgraph.test').pathname === '/health';
  const comparable = health ? JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(got) as object).filter(([key]) => !(SERVER_ENGINE_FIELDS as string[]).includes(key)))) : got;
  if (shape(expected, want) !== shape(actual, comparable)) {
    const request = typeof init?.body === 'string' ? init.body.slice(0, 500) : '';
    throw new Error(`PostgreSQL answered ${path} ${request} differently from SQLite.\nSQLite:     ${shape(expected, want).slice(0, 3000)}\nPostgreSQL: ${shape(actual, got).slice(0, 3000)}`);
  }
  return new Response(actual.status === 204 || actual.status === 304 ? null : got, { status: actual.status, statusText: actual.statusText, headers: actual.headers });
}

const TEMPLATES = { seeded: 'contract_seeded', empty: 'contract_empty' } as const;

/**
 * PostgreSQL test apps for one test file: call at the top level of the file. One throwaway
 * cluster for the file (started in beforeAll, stopped in afterAll once every app is closed); two
 * template databases made once, one migrated and seeded, one migrated only, each loaded from a
 * SQLite file with the same rows; then each app is a `CREATE DATABASE … TEMPLATE …` copy of one
 * (a copy inside the server: no migration, no seeding), with a SQLite twin opened on a copy of
 * that file (see postgresApp): both hold the same rows under the same ids and stamps.
 */
export function usePostgresApps({ twin = true }: { twin?: boolean } = {}): AppFactory & { closeAll(): Promise<void> } {
  let cluster: PostgresCluster | undefined;
  const files: Record<keyof typeof TEMPLATES, string> = { seeded: '', empty: '' };
  const open = new Set<EngineTestApp>();
  let made = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
    for (const [kind, name] of Object.entries(TEMPLATES) as [keyof typeof TEMPLATES, string][]) {
      files[kind] = kind === 'seeded' ? seededFile('contract') : emptyFile();
      const engine = await openPostgresEngine(await cluster.createDatabase({ name }));
      const source = openDatabase({ path: files[kind] });
      try {
        await loadSqliteIntoPostgres(engine.pg.$client, source.$client);
        // Statistics for the planner, as a long-running server would have: copies inherit them.
        await engine.pg.$client.query('VACUUM ANALYZE');
      } finally {
        source.$client.close();
        await engine.close();
      }
    }
  });
  const closeAll = async () => {
    const apps = [...open];
    open.clear();
    await Promise.all(apps.map((app) => app.close()));
  };
  afterAll(async () => {
    await closeAll();
    await cluster?.stop();
    for (const file of Object.values(files)) if (file) rmSync(dirname(file), { recursive: true, force: true });
  });
  const factory: AppFactory = async (options = {}) => {
    if (!cluster) throw new Error('usePostgresApps(): the cluster starts in beforeAll; make apps in beforeAll or in tests');
    const kind = options.seed === false || options.build ? 'empty' : 'seeded';
    const url = await cluster.createDatabase({ name: `app_${++made}`, template: TEMPLATES[kind] });
    const copy = join(mkdtempSync(join(tmpdir(), 'claimgraph-twin-')), 'twin.db');
    copyFileSync(files[kind], copy);
    if (options.build) {
      const staging = openDatabase({ path: copy });
      options.build(staging);
      const loading = await openPostgresEngine(url);
      try {
        await loadSqliteIntoPostgres(loading.pg.$client, staging.$client);
      } finally {
        staging.$client.close();
        await loading.close();
      }
    }
    let sqlite: EngineTestApp | undefined;
    if (twin) sqlite = await sqliteAppOver(openDatabase({ path: copy }), options);
    else rmSync(dirname(copy), { recursive: true, force: true });
    const app = await postgresApp(url, options, sqlite);
    const close = app.close;
    app.close = async () => {
      open.delete(app);
      await close();
    };
    open.add(app);
    return app;
  };
  return Object.assign(factory, { closeAll });
}

/** A migrated, empty SQLite file in a fresh temporary folder. */
function emptyFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'claimgraph-empty-')), 'empty.db');
  const db = openDatabase({ path });
  migrateDatabase(db);
  db.$client.close();
  return path;
}

/** An EngineTestApp over a SQLite database already open (its statements are not counted). */
async function sqliteAppOver(db: Db, options: EngineAppOptions): Promise<EngineTestApp> {
  const app = createTestApp({ db, apiToken: options.apiToken });
  return asEngineApp(app, () => rmSync(dirname(db.$client.name), { recursive: true, force: true }));
}
