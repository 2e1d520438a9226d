import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionResult } from 'graphql';
import { createApp } from '../../src/app';
import { inVerifyingRun } from '../../src/graphql/compiled-reads';
import { migrateDatabase, openDatabase, type Db } from '../../src/db';
import { loadSeed } from '../../src/model/seed';

export interface TestApp {
  db: Db;
  /** The `Authorization` header that carries this app's API token (empty when it has none). */
  auth: Record<string, string>;
  /** The SQL statements drizzle sent since the last `resetQueries()`. */
  queries: string[];
  resetQueries(): void;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs an operation in-process through yoga; returns the parsed response body and status. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<ExecutionResult<T> & { status: number }>;
  /** `gql` with the app's bearer token: for mutations. */
  mutate<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<ExecutionResult<T> & { status: number }>;
}

/** The token `createTestApp({ apiToken: TEST_TOKEN })` apps accept. */
export const TEST_TOKEN = 'test-token-0123456789abcdef';

/**
 * A database file in a fresh temporary folder, migrated and seeded with the article, for tests
 * that open it from several connections, as several server processes would.
 */
export function seededFile(name: string): string {
  const path = join(mkdtempSync(join(tmpdir(), `claimgraph-${name}-`)), `${name}.db`);
  const setup = openDatabase({ path });
  migrateDatabase(setup);
  loadSeed(setup);
  setup.$client.close();
  return path;
}

/** This test process's folder of database files, removed when it exits. */
let folder: string | undefined;
const templates = new Map<boolean, string>();
let made = 0;

function testFolder(): string {
  if (!folder) {
    const made = mkdtempSync(join(tmpdir(), 'claimgraph-test-'));
    folder = made;
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return folder;
}

/**
 * A new database file, copied from a template migrated (and seeded, with `seed`) once per test
 * process: a file, as the server opens, so that writes take the production path (their own
 * connection, WAL) while reads go on; copying costs less than migrating and seeding each time.
 */
function freshFile(seed: boolean): string {
  let template = templates.get(seed);
  if (!template) {
    template = join(testFolder(), seed ? 'template-seeded.db' : 'template-empty.db');
    const setup = openDatabase({ path: template });
    migrateDatabase(setup);
    if (seed) loadSeed(setup);
    // Closing the last connection checkpoints the log into the file and removes it: one file to copy.
    setup.$client.close();
    templates.set(seed, template);
  }
  const path = join(testFolder(), `app-${++made}.db`);
  copyFileSync(template, path);
  return path;
}

/**
 * A fresh database file, migrated from `migrations/sqlite/` and seeded with the article; or, given
 * `db`, an app over that database (its statements are then not counted). With `apiToken`, writes
 * that carry it (see `mutate` and `auth`) are allowed.
 */
export function createTestApp({ seed = true, db: given, apiToken }: { seed?: boolean; db?: Db; apiToken?: string } = {}): TestApp {
  const queries: string[] = [];
  const db = given ?? openDatabase({ path: freshFile(seed), onQuery: (sql) => inVerifyingRun() || queries.push(sql) });
  queries.length = 0;
  const yoga = createApp({ db, logger: silentLogger, apiToken, compiledReads: 'verify' });
  const auth: Record<string, string> = apiToken ? { authorization: `Bearer ${apiToken}` } : {};
  const fetch = async (path: string, init?: RequestInit): Promise<Response> => yoga.fetch(`http://claimgraph.test${path}`, init as never);
  return testAppOver(db, queries, auth, fetch);
}

/** The TestApp calls over a database, the list its statements go to, an Authorization header and a fetch. */
export function testAppOver(db: Db, queries: string[], auth: Record<string, string>, fetch: TestApp['fetch']): TestApp {
  const app: TestApp = {
    db,
    auth,
    queries,
    resetQueries: () => {
      queries.length = 0;
    },
    fetch,
    async gql(query, variables, headers = {}) {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as ExecutionResult<never>;
      return { ...body, status: response.status };
    },
    mutate: (query, variables) => app.gql(query, variables, auth),
  };
  return app;
}

const noop = () => {};
export const silentLogger = { debug: noop, info: noop, warn: noop, error: process.env.TEST_LOG ? console.error : noop };

/** Global ids are base64 of "Type:rowId"; tests build them to name rows they know. */
export const globalId = (type: string, id: number | string) => Buffer.from(`${type}:${id}`).toString('base64');
