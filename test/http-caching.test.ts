import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { type Db, migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { createTestApp, silentLogger, TEST_TOKEN, type TestApp } from './support/app';
import { CHROMIUM, closeAll } from './support/chromium';

const NAME = 'query($id: ID!) { node(id: $id) { ... on Entity { name } } }';
const RENAME = 'mutation($id: ID!, $name: String!) { updateEntity(input: { id: $id, name: $name }) { entity { name } } }';
const COUNT = '{ claims { totalCount } }';

const getUrl = (query: string, variables?: object, extensions?: object) => {
  const search = new URLSearchParams({ query });
  if (variables) search.set('variables', JSON.stringify(variables));
  if (extensions) search.set('extensions', JSON.stringify(extensions));
  return `/graphql?${search}`;
};

async function firstEntity(app: TestApp): Promise<{ id: string; name: string }> {
  const { data } = await app.gql<{ entities: { nodes: { id: string; name: string }[] } }>('{ entities(first: 1) { nodes { id name } } }');
  return data!.entities.nodes[0]!;
}

describe('HTTP caching of GET answers', () => {
  it('gives a GET answer a validator from its bytes and Cache-Control: no-cache; POST answers are no-store', async () => {
    const app = createTestApp();
    const get = await app.fetch(getUrl(COUNT), { headers: { accept: 'application/json' } });
    const body = await get.text();
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('no-cache');
    const contentType = get.headers.get('content-type')!;
    expect(get.headers.get('etag')).toBe(`"${createHash('sha256').update(`${contentType}\n${body}`).digest('base64url')}"`);
    expect(get.headers.get('vary')).toMatch(/Accept/);
    expect(JSON.parse(body).extensions.cost).toEqual({ requestedNodes: expect.any(Number), limit: expect.any(Number) });

    const post = await app.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: COUNT }) });
    expect(post.status).toBe(200);
    expect(post.headers.get('cache-control')).toBe('no-store');
    expect(post.headers.get('etag')).toBeNull();
  });

  it('answers 304 while the answer is unchanged, and 200 with a new ETag once a write changed it', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const entity = await firstEntity(app);
    const read = (etag?: string) => app.fetch(getUrl(NAME, { id: entity.id }), { headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) } });

    const first = await read();
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{43}"$/);
    expect((await first.json()).data.node.name).toBe(entity.name);

    const same = await read(etag);
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('cache-control')).toBe('no-cache');
    // A list of validators, one of them weak, matches as RFC 9110's weak comparison says.
    expect((await read(`"other", W/${etag}`)).status).toBe(304);

    // A write elsewhere leaves this answer as it was: still 304.
    const other = (await app.gql<{ entities: { nodes: { id: string }[] } }>('{ entities(first: 2) { nodes { id } } }')).data!.entities.nodes[1]!.id;
    expect((await app.mutate(RENAME, { id: other, name: 'Someone Else' })).errors).toBeUndefined();
    expect((await read(etag)).status).toBe(304);

    expect((await app.mutate(RENAME, { id: entity.id, name: 'A New Name' })).errors).toBeUndefined();
    const after = await read(etag);
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect((await after.json()).data.node.name).toBe('A New Name');
    expect((await read(after.headers.get('etag')!)).status).toBe(304);
  });

  it('gives the same validator with the response cache off, and with it on the same as a hit from memory', async () => {
    const db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    const cached = createApp({ db, logger: silentLogger });
    const uncached = createApp({ db, logger: silentLogger, responseCache: false });
    const entity = (await createTestApp({ db }).gql<{ entities: { nodes: { id: string }[] } }>('{ entities(first: 1) { nodes { id } } }')).data!.entities.nodes[0]!;
    // One of each scope of the response cache: any write, the objects shown (ids added, then taken out), never kept.
    for (const url of [getUrl(COUNT), getUrl(NAME, { id: entity.id }), getUrl('{ search(query: "musk", first: 2) { edges { node { __typename } } } }')]) {
      const etagOf = async (yoga: ReturnType<typeof createApp>) =>
        (await yoga.fetch(`http://claimgraph.test${url}`, { headers: { accept: 'application/json' } })).headers.get('etag');
      const miss = await etagOf(cached);
      expect(miss, url).toMatch(/^"[\w-]+"$/);
      expect(await etagOf(cached), url).toBe(miss);
      expect(await etagOf(uncached), url).toBe(miss);
    }
  });

  it('answers errors no-store, with no validator, and never 304', async () => {
    const app = createTestApp();
    for (const url of [getUrl('{ nope }'), getUrl('{ claims('), getUrl('query($id: ID!) { node(id: $id) { id } }', { id: 'not an id' })]) {
      const response = await app.fetch(url, { headers: { accept: 'application/json', 'if-none-match': '*' } });
      expect(response.status, url).not.toBe(304);
      expect(response.headers.get('cache-control'), url).toBe('no-store');
      expect(response.headers.get('etag'), url).toBeNull();
      expect((await response.json()).errors, url).toBeDefined();
    }
  });

  it('takes Cache-Control from HTTP_CACHE_CONTROL', async () => {
    expect(loadConfig({}).HTTP_CACHE_CONTROL).toBe('no-cache');
    const { HTTP_CACHE_CONTROL } = loadConfig({ HTTP_CACHE_CONTROL: 'public, max-age=5' });
    expect(() => loadConfig({ HTTP_CACHE_CONTROL: 'no-cache\r\nx-evil: 1' })).toThrow(/HTTP_CACHE_CONTROL must be printable ASCII/);
    const db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    const yoga = createApp({ db, logger: silentLogger, httpCacheControl: HTTP_CACHE_CONTROL });
    const response = await yoga.fetch(`http://claimgraph.test${getUrl(COUNT)}`, { headers: { accept: 'application/json' } });
    expect(response.headers.get('cache-control')).toBe('public, max-age=5');
  });
});

/** An HTTP exchange shown in a ```http block: a request, a blank line, then the response from its status line. */
interface Exchange {
  line: number;
  method: string;
  path: string;
  requestHeaders: [string, string][];
  requestBody?: string;
  status: number;
  responseHeaders: [string, string][];
  responseBody?: string;
}

function exchangesIn(file: string): Exchange[] {
  const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
  const headersOf = (lines: string[]) => lines.map((line) => line.split(/:\s*/, 1)[0]!).map((name, i) => [name, lines[i]!.slice(name.length + 1).trim()] as [string, string]);
  return [...text.matchAll(/^```http\n([\s\S]*?)^```$/gm)].map((match) => {
    const lines = match[1]!.trimEnd().split('\n');
    const split = lines.findIndex((line) => line.startsWith('HTTP/1.1 '));
    const part = (from: number, to: number) => {
      const blank = lines.slice(from, to).indexOf('');
      const end = blank < 0 ? to : from + blank;
      const body = blank < 0 ? '' : lines.slice(end + 1, to).join('\n').trim();
      return { headers: headersOf(lines.slice(from + 1, end)), body: body || undefined };
    };
    const request = part(0, split);
    const response = part(split, lines.length);
    const [method, path] = lines[0]!.split(' ');
    return {
      line: text.slice(0, match.index).split('\n').length,
      method: method!,
      path: path!,
      requestHeaders: request.headers,
      requestBody: request.body,
      status: Number(lines[split]!.split(' ')[1]),
      responseHeaders: response.headers,
      responseBody: response.body,
    };
  });
}

/** Whether `actual` is `shown`, where `…` in it stands for anything. */
const fits = (shown: string, actual: string | null) =>
  actual !== null && new RegExp(`^${shown.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(actual);

describe('the HTTP exchanges shown in docs/api.md', () => {
  const exchanges = exchangesIn('docs/api.md');
  it('finds them', () => expect(exchanges.length).toBeGreaterThanOrEqual(5));

  it('are what the server answers, in order', async () => {
    const app = createTestApp();
    let etag = '';
    for (const exchange of exchanges) {
      const where = `docs/api.md:${exchange.line}`;
      const headers = Object.fromEntries(exchange.requestHeaders.map(([name, value]) => [name, name === 'If-None-Match' && value === '"…"' ? etag : value]));
      const response = await app.fetch(exchange.path, { method: exchange.method, headers, body: exchange.requestBody });
      expect(response.status, where).toBe(exchange.status);
      for (const [name, value] of exchange.responseHeaders) expect(fits(value, response.headers.get(name)), `${where} ${name}: ${response.headers.get(name)}`).toBe(true);
      const body = await response.text();
      if (exchange.responseBody !== undefined) expect(fits(exchange.responseBody, body), `${where}: ${body}`).toBe(true);
      etag = response.headers.get('etag') ?? etag;
    }
  });
});

describe('HTTP caching in Chromium', { timeout: 60_000 }, () => {
  let db: Db;
  let server: Server;
  let browser: Browser | undefined;
  let origin: string;
  /** What the server saw of each GET of /graphql: the validator sent, and its answer's status. */
  const seen: { ifNoneMatch: string | undefined; status: number }[] = [];

  beforeAll(async () => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN });
    server = createServer((request, response) => {
      if (request.method === 'GET' && request.url?.startsWith('/graphql?')) {
        const ifNoneMatch = request.headers['if-none-match'];
        response.on('finish', () => seen.push({ ifNoneMatch, status: response.statusCode }));
      }
      return yoga(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch(CHROMIUM);
  });

  afterAll(() => closeAll(browser, server, db));

  it('shows a write made by another client on the next GET read of the same page', async () => {
    const post = async (query: string, variables: object) =>
      (await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
        body: JSON.stringify({ query, variables }),
      }).then((response) => response.json())) as { data: { entities: { nodes: { id: string; name: string }[] } } };
    const entity = (await post('{ entities(first: 1) { nodes { id name } } }', {})).data.entities.nodes[0]!;

    const page = await browser!.newPage();
    await page.goto(`${origin}/health`);
    const url = getUrl(NAME, { id: entity.id });
    // The browser's own fetch, with its HTTP cache in its default mode: it decides when to revalidate.
    const read = () =>
      page.evaluate(async (url) => {
        const response = await fetch(url, { headers: { accept: 'application/json' } });
        const { data } = (await response.json()) as { data: { node: { name: string } } };
        return { name: data.node.name, etag: response.headers.get('etag') };
      }, url);

    const first = await read();
    expect(first.name).toBe(entity.name);
    expect(seen).toEqual([{ ifNoneMatch: undefined, status: 200 }]);
    // Read again unchanged: the browser asked with its validator and was told to use what it kept.
    expect(await read()).toEqual(first);
    expect(seen[1]).toEqual({ ifNoneMatch: first.etag, status: 304 });

    await post(RENAME, { id: entity.id, name: 'Renamed By Another Client' });
    const after = await read();
    expect(after.name).toBe('Renamed By Another Client');
    // It asked with the old validator, and got the new answer rather than a 304.
    expect(seen[2]).toEqual({ ifNoneMatch: first.etag, status: 200 });
    expect(await read()).toEqual(after);
    expect(seen[3]).toEqual({ ifNoneMatch: after.etag, status: 304 });
    await page.close();
  });
});
