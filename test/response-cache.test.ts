import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { ChangeAwareCache } from '../src/cache';
import { decodeGlobalID } from '../src/domain/ids';
import { openDatabase } from '../src/db';
import { bulkLoad } from '../src/db/bulk';
import { globalId, seededFile, silentLogger, TEST_TOKEN } from './support/app';

const COUNT = '{ claims { totalCount } }';

function app(path: string) {
  const statements: string[] = [];
  const db = openDatabase({ path, onQuery: (sql) => statements.push(sql) });
  const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN });
  const gql = async (query: string, variables?: object) => {
    const res = await yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  };
  return { db, gql, statements };
}

describe('the response cache', () => {
  const path = seededFile('cache');

  it('answers a repeated read from memory', async () => {
    const a = app(path);
    const first = await a.gql(COUNT);
    a.statements.length = 0;
    expect(await a.gql(COUNT)).toEqual(first);
    expect(a.statements).toHaveLength(0);
  });

  it('writes an answer from memory byte for byte as it wrote it first', async () => {
    const db = openDatabase({ path });
    const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN });
    const body = JSON.stringify({ query: '{ sources { nodes { title claims(first: 3) { nodes { text about { name } } } } } claims(first: 2) { nodes { text } } }' });
    const read = () => yoga.fetch('http://claimgraph.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const first = await read();
    const again = await read();
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    const text = await first.text();
    expect(text).toContain('"title"');
    expect(await again.text()).toBe(text);
  });

  it('forgets everything when another process writes, and when this one does', async () => {
    const a = app(path);
    const b = app(path);
    const before = (await a.gql(COUNT)).data!.claims.totalCount as number;
    const ids = await b.gql('{ entity(name: "Musk") { id } sources(first: 1) { nodes { id } } }');
    const created = await b.gql(
      'mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }',
      { input: { text: 'A claim written by another worker.', kind: 'FACT', appearsInId: ids.data!.sources.nodes[0].id, aboutIds: [ids.data!.entity.id] } },
    );
    expect(created.errors).toBeUndefined();
    expect((await a.gql(COUNT)).data!.claims.totalCount).toBe(before + 1);

    const own = await a.gql(
      'mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }',
      { input: { text: 'A claim written by this worker.', kind: 'FACT', appearsInId: ids.data!.sources.nodes[0].id, aboutIds: [ids.data!.entity.id] } },
    );
    expect(own.errors).toBeUndefined();
    expect((await a.gql(COUNT)).data!.claims.totalCount).toBe(before + 2);
    expect((await b.gql(COUNT)).data!.claims.totalCount).toBe(before + 2);
  });

  it('keeps an object read through a write that does not touch it, and drops it when one of its objects changes', async () => {
    const a = app(path);
    const b = app(path);
    const claimId = (await a.gql('{ claims(first: 1) { nodes { id } } }')).data!.claims.nodes[0].id as string;
    // No ids selected below the root: the cache adds them itself to know what the answer shows.
    const READ = 'query($id: ID!) { node(id: $id) { ... on Claim { text about { name } } } }';
    const first = await a.gql(READ, { id: claimId });
    const about = first.data!.node.about as { name: string }[];
    expect(about.length).toBeGreaterThan(0);

    const unrelated = await b.gql('mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { id } } }', {
      input: { kind: 'PLACE', name: 'A place no claim is about' },
    });
    expect(unrelated.errors).toBeUndefined();
    a.statements.length = 0;
    expect(await a.gql(READ, { id: claimId })).toEqual(first);
    expect(a.statements).toHaveLength(0);

    const aboutIds = await a.gql('query($id: ID!) { node(id: $id) { ... on Claim { about { id } } } }', { id: claimId });
    const renamed = await b.gql('mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { entity { name } } }', {
      input: { id: aboutIds.data!.node.about[0].id, name: 'Renamed in another worker' },
    });
    expect(renamed.errors).toBeUndefined();
    expect((await a.gql(READ, { id: claimId })).data!.node.about[0].name).toBe('Renamed in another worker');
  });

  it('drops a source when a citation joins its list, and a missing node once it is created', async () => {
    const a = app(path);
    const b = app(path);
    const ids = await a.gql('{ entity(name: "Musk") { id } sources(first: 1) { nodes { id } } claims(support: [UNSUPPORTED], first: 1) { nodes { id } } }');
    const source = ids.data!.sources.nodes[0].id as string;
    const COUNTED = 'query($id: ID!) { node(id: $id) { ... on Source { claims(stance: REFUTES) { totalCount } } } }';
    const before = (await a.gql(COUNTED, { id: source })).data!.node.claims.totalCount as number;
    const cited = await b.gql('mutation($input: AddCitationInput!) { addCitation(input: $input) { citation { id } } }', {
      input: { claimId: ids.data!.claims.nodes[0].id, sourceId: source, stance: 'REFUTES' },
    });
    expect(cited.errors).toBeUndefined();
    expect((await a.gql(COUNTED, { id: source })).data!.node.claims.totalCount).toBe(before + 1);

    const newest = a.db.$client.prepare('SELECT max(id) FROM claims').pluck().get() as number;
    const next = Buffer.from(`Claim:${newest + 1}`).toString('base64');
    const MISSING = 'query($id: ID!) { node(id: $id) { id } }';
    expect((await a.gql(MISSING, { id: next })).data!.node).toBeNull();
    const created = await b.gql('mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }', {
      input: { text: 'The next claim.', kind: 'FACT', appearsInId: source, aboutIds: [ids.data!.entity.id] },
    });
    expect(created.data!.createClaim.claim.id).toBe(next);
    expect((await a.gql(MISSING, { id: next })).data!.node).toEqual({ id: next });
  });

  it('keeps what a write does not change: lists it did not touch, pages before it, paths it did not link', async () => {
    const a = app(path);
    const b = app(path);
    const ids = await a.gql('{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } sources(first: 1) { nodes { id } } }');
    const [musk, openai, source] = [ids.data!.musk.id, ids.data!.openai.id, ids.data!.sources.nodes[0].id];
    const reads = {
      // Musk with his relationships, but not the claims about him.
      entity: ['query($id: ID!) { node(id: $id) { ... on Entity { name relationships { nodes { predicate object { name } } } } } }', { id: musk }],
      page: ['{ claims(first: 3) { nodes { text } pageInfo { hasNextPage } } }', undefined],
      path: ['query($from: ID!, $to: ID!) { path(from: $from, to: $to) { length steps { description } } }', { from: musk, to: openai }],
    } as const;
    const fromMemory = async () => {
      const kept: string[] = [];
      for (const [name, [query, variables]] of Object.entries(reads)) {
        a.statements.length = 0;
        expect((await a.gql(query, variables)).errors).toBeUndefined();
        if (a.statements.length === 0) kept.push(name);
      }
      return kept;
    };
    await fromMemory();
    expect(await fromMemory()).toEqual(['entity', 'page', 'path']);

    // A new claim about Musk: his claimsAbout list and the newest claims change, nothing read here.
    const claim = await b.gql('mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }', {
      input: { text: 'A claim about Musk and OpenAI.', kind: 'FACT', appearsInId: source, aboutIds: [musk, openai] },
    });
    expect(claim.errors).toBeUndefined();
    expect(await fromMemory()).toEqual(['entity', 'page', 'path']);

    // A relationship of Musk's: his relationships list and the links of the graph change.
    const related = await b.gql('mutation($input: CreateRelationshipInput!) { createRelationship(input: $input) { relationship { id } } }', {
      input: { subjectId: musk, predicate: 'advises', objectId: openai },
    });
    expect(related.errors).toBeUndefined();
    expect(await fromMemory()).toEqual(['page']);
    expect((await a.gql(reads.path[0], reads.path[1])).data!.path.length).toBe(1);
  });

  it('runs every mutation, even one identical to the last', async () => {
    const a = app(path);
    const ids = await a.gql('{ entity(name: "Musk") { id } sources(first: 1) { nodes { id } } }');
    const WRITE = 'mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }';
    const input = { input: { text: 'Said twice.', kind: 'FACT', appearsInId: ids.data!.sources.nodes[0].id, aboutIds: [ids.data!.entity.id] } };
    const first = await a.gql(WRITE, input);
    const second = await a.gql(WRITE, input);
    expect(first.errors).toBeUndefined();
    expect(second.data!.createClaim.claim.id).not.toBe(first.data!.createClaim.claim.id);
  });

  /** Two processes over one file; the first has a claim's text in its cache. */
  async function cachedClaimText() {
    const a = app(path);
    const b = app(path);
    const claim = (await a.gql('{ claims(first: 1) { nodes { id } } }')).data!.claims.nodes[0].id as string;
    const read = async () => (await a.gql('query($id: ID!) { node(id: $id) { ... on Claim { text } } }', { id: claim })).data!.node.text as string;
    return { b, read, before: await read(), rowId: Number(decodeGlobalID(claim).id) };
  }

  it('forgets everything when it fell so far behind that the changes it missed were pruned', async () => {
    const { b, read, before, rowId } = await cachedClaimText();
    b.db.$client.transaction(() => {
      b.db.$client.prepare('UPDATE claims SET text = ? WHERE id = ?').run(`${before} (edited)`, rowId);
      const tag = b.db.$client.prepare("INSERT INTO cache_changes (tag) VALUES ('Claim:0')");
      for (let i = 0; i < 12_000; i++) tag.run();
    })();
    expect(b.db.$client.prepare("SELECT count(*) FROM cache_changes WHERE tag = ?").pluck().get(`Claim:${rowId}`)).toBe(0);
    expect(await read()).toBe(`${before} (edited)`);
  });

  it('forgets everything after a bulk load, which writes no tags', async () => {
    const { b, read, before, rowId } = await cachedClaimText();
    bulkLoad(b.db, () => b.db.$client.prepare('UPDATE claims SET text = ? WHERE id = ?').run(`${before} (bulk)`, rowId));
    // A tagged write after it: the tags alone would not say that the claim changed.
    b.db.$client.prepare("UPDATE sources SET label = coalesce(label, '') WHERE id = 1").run();
    expect(await read()).toBe(`${before} (bulk)`);
  });

  it('keeps its answers when data_version moves but nothing was committed', async () => {
    const a = app(path);
    const b = app(path);
    const first = await a.gql(COUNT);
    const version = () => a.db.$client.pragma('data_version', { simple: true });
    const before = version();
    // Another connection resets the log: data_version moves, the data does not.
    b.db.$client.pragma('wal_checkpoint(TRUNCATE)');
    expect(version()).not.toBe(before);
    a.statements.length = 0;
    expect(await a.gql(COUNT)).toEqual(first);
    expect(a.statements).toHaveLength(0);
    // A write of this connection rolled back: total_changes() moves, nothing is committed.
    const rolledBack = a.db.$client.transaction(() => {
      a.db.$client.prepare("UPDATE sources SET label = coalesce(label, '') || 'x' WHERE id = 1").run();
      throw new Error('rolled back');
    });
    expect(rolledBack).toThrow('rolled back');
    expect(await a.gql(COUNT)).toEqual(first);
    expect(a.statements).toHaveLength(0);
    // A commit that changes a claim still drops it.
    b.db.$client.prepare("UPDATE claims SET text = text || '.' WHERE id = 1").run();
    await a.gql(COUNT);
    expect(a.statements.length).toBeGreaterThan(0);
  });

  it('is told of every change to every table the API reads: each has insert, update and delete triggers that tag', () => {
    const c = openDatabase({ path, readonly: true }).$client;
    // Kept by triggers from the tables that tag, or never shown: the logs, the search index, the adjacency list,
    // and the idempotency keys (read only by a mutation retried with its clientMutationId, never by a query).
    const derived = /^(sqlite_|__drizzle|search_|cache_changes$|link_changes$|relationship_ends$|idempotency_keys$)/;
    const tables = (c.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]).filter((name) => !derived.test(name));
    expect(tables).toEqual(expect.arrayContaining(['claims', 'entities', 'sources', 'citations', 'relationships']));
    const tagging = c.prepare("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND sql LIKE '%INSERT INTO `cache_changes`%'").pluck();
    for (const table of tables) {
      const events = (tagging.all(table) as string[]).map((sql) => /AFTER (INSERT|UPDATE|DELETE)/.exec(sql)?.[1]);
      expect({ table, events: [...new Set(events)].sort() }).toEqual({ table, events: ['DELETE', 'INSERT', 'UPDATE'] });
    }
    c.close();
  });

  it('does not keep an answer computed while another process committed', () => {
    const a = app(path);
    const b = app(path);
    const cache = new ChangeAwareCache(a.db);
    const answer = JSON.stringify({ data: { node: { text: 'computed before the write' } } });
    // The store, with what the answer was found to depend on as it was computed.
    const keep = () => cache.store('objects:one', answer, { tags: new Set(['Claim:1']), ranges: [], anyWrite: false });
    expect(cache.get('objects:one')).toBeUndefined();
    // A bulk load: it writes no tags.
    bulkLoad(b.db, () => b.db.$client.prepare("UPDATE claims SET text = text || '!' WHERE id = 1").run());
    keep();
    expect(cache.get('objects:one')).toBeUndefined();
    // Without a commit in between, it is kept.
    keep();
    expect(cache.peek('objects:one')).toBe(answer);
  });

  it('keeps an answer computed while another process committed only if the commit tagged nothing it shows', async () => {
    const a = app(path);
    const b = app(path);
    const cache = new ChangeAwareCache(a.db);
    const answer = JSON.stringify({ data: { node: { text: 'claim 1' } } });
    const edit = (id: number) => b.db.$client.prepare("UPDATE claims SET text = text || '.' WHERE id = ?").run(id);
    const computeAcross = (key: string, write: () => void) => {
      expect(cache.get(key)).toBeUndefined();
      write();
      cache.store(key, answer, { tags: new Set(['Claim:1']), ranges: [['Claim', 10, 20]], anyWrite: false });
      return cache.peek(key);
    };
    expect(computeAcross('objects:unrelated', () => edit(2))).toBe(answer);
    expect(computeAcross('objects:shown', () => edit(1))).toBeUndefined();
    expect(computeAcross('objects:in-range', () => edit(15))).toBeUndefined();
    expect(computeAcross('objects:two-commits', () => (edit(3), edit(1)))).toBeUndefined();
    // A list, search or count may change with any write.
    expect(computeAcross('any:list', () => edit(2))).toBeUndefined();
  });
});

describe('the response cache memory bound', () => {
  const path = seededFile('cache-bound');

  function boundedApp(maxBytes: number) {
    const statements: string[] = [];
    const db = openDatabase({ path, onQuery: (sql) => statements.push(sql) });
    const yoga = createApp({ db, logger: silentLogger, responseCache: { maxBytes } });
    const read = async (query: string, variables?: object) => {
      const res = await yoga.fetch('http://claimgraph.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return res.text();
    };
    /** Whether `query` is answered from memory: it runs no statement. */
    const fromMemory = async (query: string, variables?: object) => {
      const before = statements.length;
      await read(query, variables);
      return statements.length === before;
    };
    return { read, fromMemory };
  }

  const CLAIM = 'query($id: ID!) { node(id: $id) { ... on Claim { text about { name } } } }';
  const claimIds = Array.from({ length: 30 }, (_, i) => globalId('Claim', i + 1));

  it('does not keep an answer larger than an eighth of its bound', async () => {
    const big = '{ claims(first: 100) { nodes { text about { name } } } }';
    // About 10 KB of JSON: kept under a bound of 1 MB, not under one of 64 KB (an eighth: 8 KB).
    const roomy = boundedApp(2 ** 20);
    expect((await roomy.read(big)).length).toBeGreaterThan(8 * 1024);
    expect(await roomy.fromMemory(big)).toBe(true);
    const tight = boundedApp(64 * 1024);
    await tight.read(big);
    expect(await tight.fromMemory(big)).toBe(false);
    // Smaller answers are still kept.
    await tight.read(CLAIM, { id: claimIds[0] });
    expect(await tight.fromMemory(CLAIM, { id: claimIds[0] })).toBe(true);
  });

  it('evicts the least recently used answers to stay under its bound', async () => {
    // Room for about ten answers like these (each a few hundred bytes of JSON and a few tags).
    const app = boundedApp(10_000);
    for (const id of claimIds) await app.read(CLAIM, { id });
    expect(await app.fromMemory(CLAIM, { id: claimIds.at(-1) })).toBe(true);
    expect(await app.fromMemory(CLAIM, { id: claimIds[0] })).toBe(false);
  });

  it('counts what it keeps, and keeps it under its bound', () => {
    const db = openDatabase({ path });
    const cache = new ChangeAwareCache(db, 100_000);
    const answer = (i: number) => JSON.stringify({ data: { node: { text: `answer ${i} `.padEnd(5000, 'x') } } });
    for (let i = 0; i < 100; i++) {
      const key = `objects:${i}`;
      expect(cache.get(key)).toBeUndefined();
      expect(cache.store(key, answer(i), { tags: new Set([`Claim:${i}`]), ranges: [], anyWrite: false })).toBe('kept');
      expect(cache.size.bytes).toBeLessThanOrEqual(100_000);
    }
    expect(cache.size.entries).toBeGreaterThan(10);
    expect(cache.size.entries).toBeLessThan(20);
    expect(cache.peek('objects:99')).toBe(answer(99));
    expect(cache.peek('objects:0')).toBeUndefined();
    // An answer above an eighth of the bound is refused, whatever room is left.
    expect(cache.get('objects:big')).toBeUndefined();
    expect(cache.store('objects:big', JSON.stringify({ data: 'x'.repeat(13_000) }), { tags: new Set(), ranges: [], anyWrite: false })).toBe('too-large');
    expect(cache.peek('objects:big')).toBeUndefined();
  });

  it('never shows the ids it adds to learn what an answer depends on', async () => {
    const app = boundedApp(2 ** 20);
    const text = await app.read('query($ids: [ID!]!) { nodes(ids: $ids) { ... on Claim { text about { name relationships(first: 3) { nodes { predicate } } } } } }', { ids: claimIds });
    expect(text).toContain('predicate');
    expect(text).not.toContain('__cacheId');
  });
});
