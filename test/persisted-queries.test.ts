import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache, type TypedDocumentNode } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { APQ_LIMITS, DocumentStore, loadTrustedDocuments, ManifestError } from '../src/http/persisted-queries';
import { loadSeed } from '../src/model/seed';
import { createTestApp, silentLogger, TEST_TOKEN, type TestApp } from './support/app';
import { type RunningServer, startServer } from './support/server';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const SOURCES: TypedDocumentNode<{ sources: { nodes: { id: string; title: string }[] } }> = gql`
  query Sources {
    sources(first: 2) {
      nodes {
        id
        title
      }
    }
  }
`;
const COUNT: TypedDocumentNode<{ claims: { totalCount: number } }> = gql`
  query Count {
    claims {
      totalCount
    }
  }
`;

interface Sent {
  method: string;
  query: string | undefined;
  hash: string | undefined;
  status: number;
  etag: string | null;
}

/** A fetch over `fetchFn` that notes what Apollo sent and what came back. */
function recording(fetchFn: (url: string, init?: RequestInit) => Promise<Response>) {
  const sent: Sent[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const params =
      method === 'GET'
        ? { query: url.searchParams.get('query') ?? undefined, extensions: JSON.parse(url.searchParams.get('extensions') ?? '{}') }
        : JSON.parse(String(init?.body));
    const response = await fetchFn(String(input), init);
    sent.push({ method, query: params.query, hash: params.extensions?.persistedQuery?.sha256Hash, status: response.status, etag: response.headers.get('etag') });
    return response;
  };
  return { sent, fetch: fetch as typeof globalThis.fetch };
}

function apollo(fetch: typeof globalThis.fetch, uri: string, useGETForHashedQueries = false) {
  const link = ApolloLink.from([new PersistedQueryLink({ sha256, useGETForHashedQueries }), new HttpLink({ uri, fetch })]);
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const viaYoga = (app: TestApp) => (url: string, init?: RequestInit) => app.fetch(new URL(url).pathname + new URL(url).search, init);

describe('automatic persisted queries with Apollo Client', () => {
  it('falls back to the full query on the first request, and sends the hash alone afterwards', async () => {
    const app = createTestApp();
    const { sent, fetch } = recording(viaYoga(app));
    const first = await apollo(fetch, 'http://claimgraph.test/graphql').query({ query: SOURCES });
    expect(first.data?.sources.nodes).toHaveLength(2);
    expect(sent.map(({ method, query, hash }) => ({ method, query: query !== undefined, hash }))).toEqual([
      { method: 'POST', query: false, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { method: 'POST', query: true, hash: sent[0]!.hash },
    ]);

    // Another client (another browser): the server knows the hash now.
    const second = await apollo(fetch, 'http://claimgraph.test/graphql').query({ query: SOURCES });
    expect(second.data).toEqual(first.data);
    expect(sent.slice(2)).toEqual([{ method: 'POST', query: undefined, hash: sent[0]!.hash, status: 200, etag: null }]);
  });

  it('works over GET (useGETForHashedQueries), where answers revalidate by ETag', async () => {
    const app = createTestApp();
    const { sent, fetch } = recording(viaYoga(app));
    const first = await apollo(fetch, 'http://claimgraph.test/graphql', true).query({ query: COUNT });
    expect(first.data?.claims.totalCount).toBeGreaterThan(0);
    // The miss over GET is no-store, so no cache keeps it; the link sends the query by POST.
    expect(sent.map(({ method, query }) => [method, query !== undefined])).toEqual([
      ['GET', false],
      ['POST', true],
    ]);
    const second = await apollo(fetch, 'http://claimgraph.test/graphql', true).query({ query: COUNT });
    expect(second.data).toEqual(first.data);
    expect(sent[2]).toMatchObject({ method: 'GET', query: undefined, status: 200, etag: expect.stringMatching(/^"/) });
  });

  it('against the real server: registers once, then runs by hash', async () => {
    let server: RunningServer | undefined;
    try {
      server = await startServer({ DATABASE_PATH: ':memory:' });
      const { sent, fetch } = recording((url, init) => globalThis.fetch(url, init));
      for (let i = 0; i < 2; i++) await apollo(fetch, `${server.url}/graphql`, true).query({ query: SOURCES });
      expect(sent.map(({ method, query, status }) => [method, query !== undefined, status])).toEqual([
        ['GET', false, 200],
        ['POST', true, 200],
        ['GET', false, 200],
      ]);
    } finally {
      server?.child.kill('SIGTERM');
      await server?.exit;
    }
  });
});

describe('automatic persisted queries: the protocol', () => {
  const query = '{ claims { totalCount } }';
  const hash = sha256(query);
  const get = (app: TestApp, params: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    return app.fetch(`/graphql?${search}`, { headers: { accept: 'application/json', ...headers } });
  };
  const apq = (sha256Hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });

  it('says PersistedQueryNotFound for an unknown hash, no-store, and refuses a hash that does not match', async () => {
    const app = createTestApp();
    const miss = await get(app, { extensions: apq(hash) });
    expect(miss.headers.get('cache-control')).toBe('no-store');
    expect(await miss.json()).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });

    for (const [extensions, message] of [
      [apq(sha256('{ sources { totalCount } }')), /is not the SHA-256 of the query sent/],
      [apq('abc'), /must be the SHA-256 of the query text, as 64 hexadecimal digits/],
      [apq(hash, 2), /version must be 1/],
    ] as const) {
      const refused = await get(app, { query, extensions });
      const body = await refused.json();
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].message).toMatch(message);
    }
    // None of them registered the query under the hash.
    expect((await (await get(app, { extensions: apq(hash) })).json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('answers a hash alone as the full query: the same bytes, ETag and cost, from the response cache', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const full = await get(app, { query, extensions: apq(hash) });
    const fullBody = await full.text();
    expect(JSON.parse(fullBody).extensions.cost).toEqual({ requestedNodes: expect.any(Number), limit: expect.any(Number) });
    app.resetQueries();
    const byHash = await get(app, { extensions: apq(hash) });
    expect(await byHash.text()).toBe(fullBody);
    expect(byHash.headers.get('etag')).toBe(full.headers.get('etag'));
    expect(app.queries).toEqual([]);
    expect((await get(app, { extensions: apq(hash) }, { 'if-none-match': full.headers.get('etag')! })).status).toBe(304);

    // A write changes the count: the hash alone gets the new answer, not a 304 nor the old one.
    const created = await app.mutate('mutation { createSource(input: { kind: ARTICLE, title: "A" }) { source { id } } }');
    const about = (await app.gql<{ entities: { nodes: { id: string }[] } }>('{ entities(first: 1) { nodes { id } } }')).data!.entities.nodes[0]!.id;
    const claim = await app.mutate('mutation($a: ID!, $s: ID!) { createClaim(input: { text: "A new claim.", kind: FACT, aboutIds: [$a], appearsInId: $s }) { claim { id } } }', {
      a: about,
      s: (created.data as { createSource: { source: { id: string } } }).createSource.source.id,
    });
    expect(claim.errors).toBeUndefined();
    const after = await get(app, { extensions: apq(hash) }, { 'if-none-match': full.headers.get('etag')! });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(full.headers.get('etag'));
    const count = (text: string) => JSON.parse(text).data.claims.totalCount as number;
    expect(count(await after.text())).toBe(count(fullBody) + 1);
  });

  it('keeps a bounded number of documents and bytes, least recently used out first', () => {
    expect(APQ_LIMITS.documents).toBeGreaterThan(0);
    const store = new DocumentStore(2, 800);
    store.set('a', 'query A { __typename }');
    store.set('b', 'query B { __typename }');
    store.get('a');
    store.set('c', 'query C { __typename }');
    expect([store.get('a'), store.get('b'), store.get('c')]).toEqual(['query A { __typename }', undefined, 'query C { __typename }']);
    // Larger than an eighth of the bytes: run, never kept.
    store.set('big', `{ ${'__typename '.repeat(10)}}`);
    expect(store.get('big')).toBeUndefined();
    for (let i = 0; i < 20; i++) store.set(`q${i}`, `query Q${i} { __typename }`);
    expect(store.size.documents).toBeLessThanOrEqual(2);
    expect(store.size.bytes).toBeLessThanOrEqual(800);
  });
});

describe('trusted documents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claimgraph-trusted-'));
  const count = '{ claims { totalCount } }';
  const manifest = { [sha256(count)]: count, 'sources-v1': 'query Sources { sources(first: 1) { nodes { title } } }' };
  const path = join(dir, 'persisted-documents.json');
  writeFileSync(path, JSON.stringify(manifest));
  let server: RunningServer | undefined;
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exit;
  });

  function trusted(documents: ReadonlyMap<string, string>) {
    const db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    const yoga = createApp({ db, logger: silentLogger, trustedDocuments: documents });
    return async (body: Record<string, unknown>) => {
      const response = await yoga.fetch('http://claimgraph.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions: { code: string } }[] };
    };
  }

  it('runs only the documents of the manifest, by id, and refuses query text saying what to do', async () => {
    const post = trusted(loadTrustedDocuments(path));
    expect((await post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(count) } } })).data).toEqual({ claims: { totalCount: expect.any(Number) } });
    expect((await post({ documentId: 'sources-v1' })).data).toEqual({ sources: { nodes: [{ title: expect.any(String) }] } });

    const text = await post({ query: count });
    expect(text.data).toBeUndefined();
    expect(text.errors).toEqual([
      {
        message: expect.stringMatching(/runs only its trusted documents \(TRUSTED_DOCUMENTS\), not query text: send its id as extensions.persistedQuery.sha256Hash or documentId/),
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    const unknown = await post({ documentId: 'nope' });
    expect(unknown.errors?.[0]).toMatchObject({ message: expect.stringMatching(/none has this id: add the operation to the manifest/), extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect((await post({})).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });

  it('takes a manifest as Apollo Client sends its documents, and refuses Apollo’s fallback to text', async () => {
    // What Apollo sends (its cache adds __typename), as its manifest generator would list it.
    const app = createTestApp();
    const { sent, fetch } = recording(viaYoga(app));
    await apollo(fetch, 'http://claimgraph.test/graphql').query({ query: SOURCES });
    const text = sent[1]!.query!;
    const documents = new Map([[sha256(text), text]]);
    const yogaFetch = trusted(documents);
    const viaTrusted = recording((_url, init) =>
      yogaFetch(JSON.parse(String(init!.body))).then((body) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })),
    );
    const result = await apollo(viaTrusted.fetch, 'http://claimgraph.test/graphql').query({ query: SOURCES });
    expect(result.data?.sources.nodes).toHaveLength(2);
    expect(viaTrusted.sent.map(({ query }) => query)).toEqual([undefined]);
    await expect(apollo(viaTrusted.fetch, 'http://claimgraph.test/graphql').query({ query: COUNT })).rejects.toThrow(/not query text/);
  });

  it('reads codegen/Relay maps and Apollo manifests, and refuses others in one line', () => {
    const apolloPath = join(dir, 'apollo.json');
    writeFileSync(apolloPath, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'x1', name: 'Count', type: 'query', body: count }] }));
    expect(loadTrustedDocuments(apolloPath)).toEqual(new Map([['x1', count]]));
    expect(loadTrustedDocuments(path).size).toBe(2);
    const bad = join(dir, 'bad.json');
    for (const [content, message] of [
      ['not json', /cannot read .* as JSON/],
      ['[]', /lists no documents/],
      ['{"a": 1}', /must map each document id to its text/],
    ] as const) {
      writeFileSync(bad, content);
      expect(() => loadTrustedDocuments(bad)).toThrow(ManifestError);
      expect(() => loadTrustedDocuments(bad)).toThrow(message);
    }
  });

  it('is what the server runs with TRUSTED_DOCUMENTS, and a bad manifest stops it with one line', async () => {
    server = await startServer({ DATABASE_PATH: ':memory:', TRUSTED_DOCUMENTS: path });
    const post = (body: object) =>
      fetch(`${server!.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (response) => response.json() as Promise<{ data?: unknown; errors?: { extensions: { code: string } }[] }>,
      );
    expect((await post({ documentId: 'sources-v1' })).data).toEqual({ sources: { nodes: [{ title: expect.any(String) }] } });
    expect((await post({ query: count })).errors?.[0]?.extensions.code).toBe('FORBIDDEN');

    const failed = await startServer({ DATABASE_PATH: ':memory:', TRUSTED_DOCUMENTS: join(dir, 'missing.json') }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(failed).toMatch(/claimgraph: TRUSTED_DOCUMENTS: cannot read .*missing\.json as JSON/);
    expect(failed).not.toMatch(/\n\s+at /);
  });
});
