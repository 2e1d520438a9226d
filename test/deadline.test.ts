import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { ConfigError, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RESPONSE_CACHE_MB, loadConfig } from '../src/config';
import { migrateDatabase, openDatabase } from '../src/db';
import { currentDeadline, Deadline, runWithDeadline } from '../src/deadline';
import { loadSeed } from '../src/model/seed';
import { silentLogger, TEST_TOKEN } from './support/app';

/**
 * The deadline of the tests that stall past it: long enough that the requests around the stalled
 * one (the first of an app compiles its statements) never reach it on a busy machine.
 */
const DEADLINE_MS = 1000;

/** Holds the thread, as a slow statement would: the deadline passes while it "runs". */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * A seeded database whose statements are counted, and an app over it whose requests stop after
 * `timeoutMs`. `onStatement(n)` runs as the n-th statement is sent, inside the request it serves:
 * the tests stall or disconnect there. `late` counts statements sent after their request was
 * stopped: the deadline must let none through.
 */
function setup(timeoutMs: number, compiledReads: 'on' | 'off' = 'on') {
  const state = { statements: 0, late: 0, onStatement: (_n: number) => {} };
  const db = openDatabase({
    path: ':memory:',
    onQuery: () => {
      state.statements++;
      if (currentDeadline()?.stopped) state.late++;
      state.onStatement(state.statements);
    },
  });
  migrateDatabase(db);
  loadSeed(db);
  const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN, requestTimeoutMs: timeoutMs, responseCache: false, compiledReads });
  const gql = async (query: string, variables?: object, init: RequestInit = {}) => {
    const res = await yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ query, variables }),
      ...init,
    });
    return { status: res.status, ...((await res.json()) as { data?: Record<string, any> | null; errors?: { message: string; extensions: Record<string, unknown> }[] }) };
  };
  /** Runs `query` once undisturbed (which also compiles its statements): how many it needs. */
  const needs = async (query: string, variables?: object) => {
    const before = state.statements;
    const res = await gql(query, variables);
    expect(res.errors).toBeUndefined();
    return state.statements - before;
  };
  return { state, gql, needs };
}

/** Settles whatever the stopped request left pending, so a statement it still sent would be counted. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

// A list of nodes with their lists, a search and a path: many statements, in several fields.
const MANY = `query($ids: [ID!]!, $from: ID!, $to: ID!) {
  nodes(ids: $ids) { ... on Entity { name relationships(first: 5) { nodes { predicate object { name } } } } }
  search(query: "OpenAI") { totalCount edges { snippet } }
  path(from: $from, to: $to) { length steps { description } }
}`;

async function manyVariables(gql: ReturnType<typeof setup>['gql']) {
  const ids = await gql('{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } microsoft: entity(name: "Microsoft") { id } }');
  const { musk, openai, microsoft } = ids.data! as Record<'musk' | 'openai' | 'microsoft', { id: string }>;
  return { ids: [musk.id, openai.id, microsoft.id], from: musk.id, to: microsoft.id };
}

describe('the request deadline', () => {
  it('stops a request between statements once its deadline has passed, and answers TIMEOUT', async () => {
    const { state, gql, needs } = setup(DEADLINE_MS);
    const variables = await manyVariables(gql);
    const total = await needs(MANY, variables);
    expect(total).toBeGreaterThan(4);

    const start = state.statements;
    // The second statement "runs" past the deadline.
    state.onStatement = (n) => {
      if (n === start + 2) stall(DEADLINE_MS + 100);
    };
    const res = await gql(MANY, variables);
    await settle();
    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions.code).toBe('TIMEOUT');
    expect(res.errors![0]!.message).toMatch(new RegExp(`deadline of ${DEADLINE_MS} ms.*narrow the query.*smaller pages`));
    expect(state.statements - start).toBe(2);
    expect(state.late).toBe(0);

    // The next request has a deadline of its own.
    state.onStatement = () => {};
    expect((await gql(MANY, variables)).errors).toBeUndefined();
  });

  it('stops completing a large answer whose rows are loaded, though it runs no further statement', async () => {
    // The executor's completion of lists (src/graphql/deadline.ts): a compiled read checks the
    // deadline before each of its statements, one per field, as the first test shows.
    const { state, gql, needs } = setup(DEADLINE_MS, 'off');
    const query = '{ claims(first: 50) { nodes { text about { name } } } }';
    expect(await needs(query)).toBe(1);
    state.onStatement = () => stall(DEADLINE_MS + 100);
    const res = await gql(query);
    expect(res.errors?.map((e) => e.extensions.code)).toEqual(['TIMEOUT']);
    expect(state.late).toBe(0);
  });

  it('stops a request whose client went away, and runs no statement for it after', async () => {
    const { state, gql, needs } = setup(60_000);
    const variables = await manyVariables(gql);
    await needs(MANY, variables);
    const start = state.statements;
    const client = new AbortController();
    state.onStatement = (n) => {
      if (n === start + 2) client.abort();
    };
    await gql(MANY, variables, { signal: client.signal }).catch(() => null);
    await settle();
    expect(state.statements - start).toBe(2);
    expect(state.late).toBe(0);
  });

  it('lets a write that has begun finish, and says it landed', async () => {
    const { state, gql } = setup(DEADLINE_MS);
    const ids = await gql('{ entity(name: "Musk") { id } sources(first: 1) { nodes { id } } }');
    const input = { text: 'Written while the deadline passed.', kind: 'FACT', appearsInId: ids.data!.sources.nodes[0].id, aboutIds: [ids.data!.entity.id] };
    // Every statement inside the write's transaction stalls, so the deadline passes mid-write.
    let stalled = 0;
    state.onStatement = () => {
      if (currentDeadline()?.lifted && stalled++ === 0) stall(DEADLINE_MS + 100);
    };
    const res = await gql('mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { text } } }', { input });
    expect(stalled).toBeGreaterThan(0);
    expect(res.errors).toBeUndefined();
    expect(res.data!.createClaim.claim.text).toBe(input.text);
  });
});

describe('REQUEST_TIMEOUT_MS and RESPONSE_CACHE_MB', () => {
  it('have defaults, take whole milliseconds and megabytes, and refuse nonsense with one line', () => {
    expect(loadConfig({})).toMatchObject({ REQUEST_TIMEOUT_MS: DEFAULT_REQUEST_TIMEOUT_MS, RESPONSE_CACHE_MB: DEFAULT_RESPONSE_CACHE_MB });
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '250', RESPONSE_CACHE_MB: '8' })).toMatchObject({ REQUEST_TIMEOUT_MS: 250, RESPONSE_CACHE_MB: 8 });
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ RESPONSE_CACHE_MB: '-1' })).toThrow(/RESPONSE_CACHE_MB/);
  });
});

describe('a statement that runs long', () => {
  it('is stopped from inside SQLite by within_deadline(), which every filter calls for each row it looks at', async () => {
    const db = openDatabase({ path: ':memory:' });
    const long = db.$client.prepare(
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) SELECT count(*) AS rows FROM n WHERE within_deadline()',
    );
    // Outside a request nothing is checked: the statement runs to its end.
    expect(long.get()).toEqual({ rows: 2_000_000 });
    const passed = new Deadline(50, performance.now() - 1);
    // With its deadline passed, it stops within 64 rows instead of counting two million.
    expect(() => runWithDeadline(passed, () => long.get())).toThrow(/deadline of 50 ms/);
    expect(passed.stopped?.extensions.code).toBe('TIMEOUT');

    // Every compiled filter calls it, in its own condition and in each relation subquery.
    const sqls: string[] = [];
    const traced = openDatabase({ path: ':memory:', onQuery: (sql) => sqls.push(sql) });
    migrateDatabase(traced);
    loadSeed(traced);
    const app = createApp({ db: traced, logger: silentLogger, responseCache: false });
    const res = await app.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ claims(where: { citations: { some: { source: { kind: { eq: NEWS } } } } }) { totalCount } }' }),
    });
    expect((await res.json()).data.claims.totalCount).toBe(1);
    const filtered = sqls.filter((s) => s.includes('"citations"'));
    expect(filtered.length).toBeGreaterThan(0);
    for (const s of filtered) expect(s.match(/within_deadline\(\)/g)?.length, s).toBe(3);
  });
});
