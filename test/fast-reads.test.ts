import { createServer, request as httpRequest, type Server } from 'node:http';
import { parse } from 'graphql';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, httpHandler } from '../src/app';
import { type Db, migrateDatabase, openDatabase } from '../src/db';
import { currentDeadline } from '../src/deadline';
import { MAX_PREPARED_READS, PreparedReads } from '../src/graphql/compiled-reads';
import { loadSeed } from '../src/model/seed';
import { globalId, silentLogger, TEST_TOKEN } from './support/app';

/**
 * The fast path of repeated reads (src/http/fast-reads.ts), in 'on' mode and over HTTP as the
 * server runs it: a read sent again is answered by the server's handler before yoga, with the
 * bytes and headers the pipeline gives. (Every other test app runs 'verify', where each compiled
 * answer of the suite is also computed by the fast path and compared byte for byte, and its
 * headers with those learnt for the same Accept and Origin.)
 */

const LOOKUP = 'query Lookup($id: ID!) { node(id: $id) { id ... on Claim { text kind support claimant { id name } } } }';
const NESTED = 'query Nested($id: ID!) { node(id: $id) { ... on Source { title claims(first: 20) { nodes { id text about { id name relationships(first: 5) { nodes { id predicate object { id name } } } } } } } } }';
const PAGE = 'query Page($first: Int, $after: String) { claims(first: $first, after: $after) { totalCount nodes { id text } pageInfo { hasNextPage endCursor } } }';
const TWO = 'query A { claims(first: 2) { nodes { id } } } query B { sources(first: 1) { nodes { title } } }';

interface Twin {
  db: Db;
  statements: { count: number; late: number; fail?: () => void };
  logs: Record<string, unknown>[];
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  metric(name: string): Promise<number>;
}

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/**
 * An app over a fresh seeded database, served over HTTP as the server serves it (`fast`: its
 * handler, httpHandler), or without the fast path (`pipeline`).
 */
async function app(path: 'fast' | 'pipeline', responseCache = false): Promise<Twin> {
  const statements: Twin['statements'] = { count: 0, late: 0 };
  const db = openDatabase({
    path: ':memory:',
    onQuery: () => {
      statements.count++;
      if (currentDeadline()?.stopped) statements.late++;
      statements.fail?.();
    },
  });
  migrateDatabase(db);
  loadSeed(db);
  const logs: Record<string, unknown>[] = [];
  const logger = { ...silentLogger, info: (fields: unknown) => void (typeof fields === 'object' && fields && logs.push(fields as Record<string, unknown>)) };
  const yoga = createApp({ db, logger, apiToken: TEST_TOKEN, responseCache, fastReads: path === 'fast', metrics: true, compiledReads: 'on' });
  const server = createServer(httpHandler(yoga));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    db,
    statements,
    logs,
    post: async (body, headers = {}) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line?.split(' ')[1]);
    },
  };
}

/** What a client sees of an answer: its status, its headers but the request's own id and the date, and its bytes. */
async function seen(response: Response) {
  const { status, headers } = response;
  const named = [...headers].filter(([name]) => name !== 'x-request-id' && name !== 'date').sort(([a], [b]) => a.localeCompare(b));
  return { status, headers: Object.fromEntries(named), body: await response.text() };
}

const ACCEPTS: Record<string, string>[] = [
  {},
  { accept: 'application/json' },
  { accept: 'application/graphql-response+json' },
  // Apollo Client's and urql's.
  { accept: 'application/graphql-response+json,application/json;q=0.9' },
  { accept: 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed' },
];

describe('the fast path of repeated reads', () => {
  const reads: { query: string; variables?: Record<string, unknown>; operationName?: string }[] = [
    { query: LOOKUP, variables: { id: globalId('Claim', 3) } },
    { query: LOOKUP, variables: { id: globalId('Claim', 999999) } },
    { query: NESTED, variables: { id: globalId('Source', 1) } },
    { query: PAGE, variables: { first: 5 } },
    { query: PAGE, variables: { first: 3, after: null } },
    { query: '{ __typename }' },
    { query: TWO, operationName: 'B' },
  ];

  it('answers a read sent again with the bytes and headers the whole pipeline gives, for each Accept header', async () => {
    const fast = await app('fast');
    const pipeline = await app('pipeline');
    let requests = 0;
    for (const headers of ACCEPTS) {
      for (const read of reads) {
        for (let i = 0; i < 3; i++) {
          requests++;
          expect(await seen(await fast.post(read, headers))).toEqual(await seen(await pipeline.post(read, headers)));
        }
      }
    }
    // The first request of each text runs the pipeline (which learns it) and so does the first
    // answer of each Accept header; after that, repeats are answered on the fast path.
    const answeredFast = await fast.metric('claimgraph_fast_path_total');
    expect(answeredFast).toBeGreaterThanOrEqual(requests - reads.length - ACCEPTS.length);
    expect(await pipeline.metric('claimgraph_fast_path_total')).toBe(0);
    // Its request log lines are those of the pipeline's, marked.
    const lines = fast.logs.filter((line) => line.operation === 'Lookup');
    expect(lines.filter((line) => line.fast === true).length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ path: '/graphql', status: 200, cost: 2, cache: 'none' });
    expect(fast.logs.filter((line) => line.operation === 'B' && line.fast).length).toBeGreaterThan(0);
  });

  it('sends the same statements as the pipeline: one per level of a nested read', async () => {
    const fast = await app('fast');
    const read = { query: NESTED, variables: { id: globalId('Source', 1) } };
    const before = fast.statements.count;
    await fast.post(read);
    const pipeline = fast.statements.count - before;
    const fastPath = await fast.metric('claimgraph_fast_path_total');
    await fast.post(read);
    expect(await fast.metric('claimgraph_fast_path_total')).toBe(fastPath + 1);
    expect(fast.statements.count - before - pipeline).toBe(pipeline);
    expect(pipeline).toBeLessThanOrEqual(6);
  });

  it('answers a repeated read from the response cache, counted as a hit', async () => {
    const fast = await app('fast', true);
    const pipeline = await app('pipeline', true);
    const read = { query: LOOKUP, variables: { id: globalId('Claim', 5) } };
    for (let i = 0; i < 3; i++) expect(await seen(await fast.post(read))).toEqual(await seen(await pipeline.post(read)));
    expect(await fast.metric('claimgraph_fast_path_total')).toBe(2);
    expect(fast.logs.filter((line) => line.operation === 'Lookup').map((line) => [line.cache, line.fast ?? false])).toEqual([
      ['miss', false],
      ['hit', true],
      ['hit', true],
    ]);
    // A write drops the answers it touches: the next read is computed again, then kept.
    const claimant = (JSON.parse((await seen(await fast.post(read))).body) as { data: { node: { claimant: { id: string } } } }).data.node.claimant;
    const changed = await fast.post(
      { query: 'mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { entity { name } } }', variables: { input: { id: claimant.id, name: 'Renamed' } } },
      { authorization: `Bearer ${TEST_TOKEN}` },
    );
    expect(((await changed.json()) as { errors?: unknown }).errors).toBeUndefined();
    const after = JSON.parse((await seen(await fast.post(read))).body) as { data: { node: { claimant: { name: string } } } };
    expect(after.data.node.claimant.name).toBe('Renamed');
    expect(fast.logs.filter((line) => line.operation === 'Lookup').at(-1)).toMatchObject({ cache: 'miss' });
  });

  it('leaves to the pipeline whatever it would refuse or word differently, and answers as it does', async () => {
    const fast = await app('fast');
    const pipeline = await app('pipeline');
    const NODE = 'query Node($id: ID!) { node(id: $id) { id } }';
    const prepare = [{ query: PAGE, variables: { first: 5 } }, { query: LOOKUP, variables: { id: globalId('Claim', 1) } }, { query: NODE, variables: { id: globalId('Claim', 1) } }];
    for (const read of prepare) await fast.post(read);
    const requests: [unknown, Record<string, string>?][] = [
      [{ query: PAGE, variables: { first: 500 } }],
      [{ query: PAGE, variables: { first: -1 } }],
      [{ query: PAGE, variables: { first: 'five' } }],
      [{ query: PAGE, variables: { first: 5, after: 'not a cursor' } }],
      [{ query: PAGE, variables: { first: 5 }, unknown: 1 }],
      [{ query: PAGE, variables: [5] }],
      [{ query: PAGE, operationName: 'Other', variables: { first: 5 } }],
      [{ query: PAGE, variables: { first: 5 }, extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }],
      [{ query: LOOKUP, variables: { id: 'not an id' } }],
      [{ query: LOOKUP, variables: { id: globalId('Claim', 1) } }, { accept: 'text/event-stream' }],
      [{ query: LOOKUP, variables: { id: globalId('Claim', 1) } }, { accept: 'text/html' }],
      [{ query: LOOKUP }],
      // Variables nested past MAX_JSON_DEPTH, beside those of a compiled read: refused before anything walks them.
      [`{"query": ${JSON.stringify(NODE)}, "variables": {"id": "${globalId('Claim', 1)}", "deep": ${'['.repeat(40)}${']'.repeat(40)}}}`],
      ['{"query": "{ __typename }"'],
      ['[{"query": "{ __typename }"}]'],
      ['null'],
      [''],
    ];
    for (const [body, headers] of requests) {
      const before = await fast.metric('claimgraph_fast_path_total');
      expect(await seen(await fast.post(body, headers))).toEqual(await seen(await pipeline.post(body, headers)));
      expect(await fast.metric('claimgraph_fast_path_total'), JSON.stringify(body)).toBe(before);
    }
    // A mutation is never learnt, however often it is sent.
    const mutation = { query: 'mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { id } } }', variables: { input: { kind: 'PERSON', name: 'Someone' } } };
    for (let i = 0; i < 2; i++) await fast.post(mutation, { authorization: `Bearer ${TEST_TOKEN}` });
    expect(await fast.metric('claimgraph_fast_path_total')).toBe(0);
  });

  it('hands a failed answer to the pipeline as it was computed: the statement that failed is not run again', async () => {
    const fast = await app('fast');
    // A page with its count: two statements, the deadline checked before the second.
    const read = { query: PAGE, variables: { first: 5 } };
    await fast.post(read);
    const before = fast.statements.count;
    // The request's time is up while its first statement runs (as its timer would say, without
    // a short deadline that a busy machine could also reach on the requests around this one).
    fast.statements.fail = () => {
      fast.statements.fail = undefined;
      currentDeadline()!.expire();
    };
    const answer = (await (await fast.post(read)).json()) as { data: unknown; errors: { extensions: { code: string } }[] };
    expect(answer.data).toBeNull();
    expect(answer.errors.map((e) => e.extensions.code)).toEqual(['TIMEOUT']);
    expect(fast.statements.late).toBe(0);
    expect(fast.statements.count - before).toBe(1);
    expect(await fast.metric('claimgraph_fast_path_total')).toBe(0);
    // The next one is answered on the fast path again.
    expect(((await (await fast.post(read)).json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(await fast.metric('claimgraph_fast_path_total')).toBe(1);
  });

  it('keeps at most MAX_PREPARED_READS reads: a client sending a new text each time does not grow the process', () => {
    const prepared = new PreparedReads();
    const learn = (i: number) => {
      const request = new Request('http://claimgraph.test/graphql');
      const query = `query Read${i} { __typename }`;
      prepared.sent.set(request, { query });
      prepared.learn(request, parse(query), undefined, true);
      return query;
    };
    const first = learn(0);
    for (let i = 1; i < MAX_PREPARED_READS; i++) learn(i);
    expect(prepared.find(first, undefined)).toBeDefined();
    const next = learn(MAX_PREPARED_READS);
    expect(prepared.find(first, undefined)).toBeUndefined();
    expect(prepared.find(next, undefined)).toBeDefined();
  });

  describe('over HTTP', () => {
    let url: string;
    beforeAll(async () => {
      const db = openDatabase({ path: ':memory:' });
      migrateDatabase(db);
      loadSeed(db);
      const server = createServer(httpHandler(createApp({ db, logger: silentLogger, responseCache: false, metrics: true })));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://app.example', ...headers }, body });
    const fastAnswers = async () => Number(/^claimgraph_fast_path_total (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);

    it('answers repeats itself with the headers the pipeline gave the same Accept and Origin, and the request id each asked for', async () => {
      const body = JSON.stringify({ query: LOOKUP, variables: { id: globalId('Claim', 4) } });
      const answers = [];
      for (let i = 0; i < 3; i++) {
        const response = await post(body, { 'x-request-id': `req-${i}` });
        answers.push({ ...(await seen(response)), id: response.headers.get('x-request-id') });
      }
      expect(answers.map((a) => a.id)).toEqual(['req-0', 'req-1', 'req-2']);
      expect(new Set(answers.map((a) => JSON.stringify({ ...a, id: undefined }))).size).toBe(1);
      expect(answers[0]).toMatchObject({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'access-control-allow-origin': 'https://app.example' } });
      expect(JSON.parse(answers[0]!.body).data.node.id).toBe(globalId('Claim', 4));
      expect(await fastAnswers()).toBe(2);
      // An id that does not look like one is replaced, as the pipeline replaces it.
      const made = (await post(body, { 'x-request-id': 'not an id, with spaces' })).headers.get('x-request-id');
      expect(made).toMatch(/^[0-9a-f-]{36}$/);
      // Another origin: the pipeline answers first (its CORS headers name that origin), then the fast path.
      const other = [await post(body, { origin: 'https://other.example' }), await post(body, { origin: 'https://other.example' })];
      expect(other.map((r) => r.headers.get('access-control-allow-origin'))).toEqual(['https://other.example', 'https://other.example']);
      expect(await fastAnswers()).toBe(4);
    });

    it('hands everything else to yoga with the body it read: broken JSON, no Content-Length, a body over the limit', async () => {
      const before = await fastAnswers();
      const broken = await post('{"query":');
      expect(broken.status).toBe(400);
      expect(JSON.stringify(await broken.json())).toContain('POST body sent invalid JSON');
      const body = JSON.stringify({ query: LOOKUP, variables: { id: globalId('Claim', 4) } });
      // Chunked, without a Content-Length: refused as the pipeline refuses it.
      const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = httpRequest(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://app.example' } }, (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, text }));
        });
        request.on('error', reject);
        request.write(body.slice(0, 10));
        request.end(body.slice(10));
      });
      expect(chunked.status).toBe(411);
      const large = await post(JSON.stringify({ query: LOOKUP, variables: { id: globalId('Claim', 4), pad: 'x'.repeat(300_000) } }));
      expect(large.status).toBe(413);
      // A large body it read and leaves to yoga (it sends `extensions`) reaches yoga whole, its
      // two-byte characters split across chunks: any byte lost or cut would fail its parse.
      const long = JSON.stringify({ query: `query Long { # ${'é'.repeat(100_000)}\n __typename }`, extensions: {} });
      for (let i = 0; i < 2; i++) expect(await (await post(long)).json()).toMatchObject({ data: { __typename: 'Query' } });
      expect(await fastAnswers()).toBe(before);
    });

    it('survives a client that leaves mid-body, and answers the next request', async () => {
      const body = JSON.stringify({ query: LOOKUP, variables: { id: globalId('Claim', 4) } });
      await new Promise<void>((resolve) => {
        const request = httpRequest(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://app.example', 'content-length': String(body.length) } });
        request.on('error', () => resolve());
        request.write(body.slice(0, 20), () => {
          request.destroy();
          resolve();
        });
      });
      const before = await fastAnswers();
      const answer = await post(body);
      expect(JSON.parse(await answer.text()).data.node.id).toBe(globalId('Claim', 4));
      expect(await fastAnswers()).toBe(before + 1);
    });
  });
});
