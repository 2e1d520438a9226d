import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import type { PostgresChangeFeed } from '../src/db/postgres-change-feed';
import { openPostgresEngine, type PostgresEngine } from '../src/db/postgres-engine';
import { lastBuild } from '../src/model/adjacency';
import { seedPostgresIfEmpty } from '../src/model/seed-postgres';
import { createTestApp, globalId, silentLogger, TEST_TOKEN, type TestApp } from './support/app';
import { type PostgresCluster, startPostgres } from './support/postgres';

/**
 * The change feed on PostgreSQL: two engines on one database stand in for two server processes
 * (each with its pool, its response cache, its live queries, its path index and its listening
 * connection), and a plain pg connection for any other writer (a third process, psql). What one
 * commits, the other's cache, live queries and paths must show; nothing stale is served while
 * its listener is cut off; and the triggers write the tags SQLite's write for the same statements.
 */
type Answer = { data?: Record<string, any> | null; errors?: { message: string }[] };
const THROTTLE_MS = 50;
const WAIT = { timeout: 10_000, interval: 20 };

interface Process {
  engine: PostgresEngine;
  feed: PostgresChangeFeed;
  /** SQL statements this process has run so far. */
  statements: () => number;
  gql(query: string, variables?: object): Promise<Answer>;
  /** A @live query's answers as they arrive (server-sent events). */
  live(query: string, variables?: object): Promise<{ answers: Answer[]; close(): void }>;
}

async function openProcess(url: string): Promise<Process> {
  let statements = 0;
  const engine = await openPostgresEngine(url, { onQuery: () => statements++ });
  const yoga = createApp({ db: engine.db, logger: silentLogger, apiToken: TEST_TOKEN, liveQueries: { throttleMs: THROTTLE_MS } });
  const post = (query: string, variables: object | undefined, accept: string, signal?: AbortSignal) =>
    yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  return {
    engine,
    feed: engine.changeFeed() as PostgresChangeFeed,
    statements: () => statements,
    gql: async (query, variables) => (await (await post(query, variables, 'application/json')).json()) as Answer,
    async live(query, variables) {
      const abort = new AbortController();
      const response = await post(query, variables, 'text/event-stream', abort.signal);
      expect(response.status).toBe(200);
      const answers: Answer[] = [];
      const reader = response.body!.getReader();
      void (async () => {
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          buffer += new TextDecoder().decode(value);
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = /^data: (.+)$/m.exec(buffer.slice(0, end))?.[1];
            if (/^event: next$/m.test(buffer.slice(0, end)) && data) answers.push(JSON.parse(data) as Answer);
            buffer = buffer.slice(end + 2);
          }
        }
      })();
      return { answers, close: () => abort.abort() };
    },
  };
}

const connected = (feed: PostgresChangeFeed) => feed.backendPid !== undefined;

/** Asks twice: whether the second answer came from memory (ran no SQL), and equals the first. */
async function answeredFromMemory(process: Process, query: string, variables?: object) {
  const first = await process.gql(query, variables);
  const before = process.statements();
  const second = await process.gql(query, variables);
  expect(second).toEqual(first);
  return process.statements() === before;
}

describe('the change feed on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let a: Process;
  let b: Process;
  let writer: pg.Client;
  let sqlite: TestApp;
  let url: string;

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase();
    a = await openProcess(url);
    expect(await seedPostgresIfEmpty(a.engine)).not.toBeNull();
    b = await openProcess(url);
    writer = new pg.Client({ connectionString: url });
    await writer.connect();
    sqlite = createTestApp();
    await vi.waitFor(() => expect(connected(a.feed) && connected(b.feed)).toBe(true), WAIT);
  });
  afterAll(async () => {
    await writer?.end();
    await a?.engine.close();
    await b?.engine.close();
    await cluster?.stop();
  });

  const write = (text: string, params: unknown[] = []) => writer.query(text, params);
  const entityId = async (slug: string) => (await write('SELECT id, kind FROM entities WHERE slug = $1', [slug])).rows[0] as { id: number; kind: string };
  const typeOf: Record<string, string> = { PERSON: 'Person', ORGANIZATION: 'Organization', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place', GROUP: 'Group' };
  const gid = (row: { id: number; kind: string }) => globalId(typeOf[row.kind]!, row.id);

  // First: it compares against the unchanged seed.
  it('answers neighborhood and path as SQLite does', async () => {
    const listed = await sqlite.gql<{ entities: { nodes: { id: string }[] } }>('{ entities(first: 100) { nodes { id } } }');
    const ids = listed.data!.entities.nodes.map((n) => n.id);
    expect(ids.length).toBeGreaterThan(10);
    const HOOD = `query($of: ID!, $d: Int, $basis: BasisKind) { neighborhood(of: $of, depth: $d, basis: $basis) { truncated entities { id __typename name } relationships { id predicate subject { name } object { name } basis { kind } } } }`;
    const PATH = `query($from: ID!, $to: ID!, $max: Int) { path(from: $from, to: $to, maxDepth: $max) { length entities { id name } steps { description } } }`;
    let paths = 0;
    for (const [i, of] of ids.entries()) {
      for (const variables of [{ of, d: 1 }, { of, d: 3 }, { of, d: 2, basis: 'STATED' }]) {
        const expected = await sqlite.gql(HOOD, variables);
        expect(expected.errors).toBeUndefined();
        const { status: _status, ...answer } = expected;
        expect(await a.gql(HOOD, variables), JSON.stringify(variables)).toEqual(answer);
      }
      const variables = { from: of, to: ids[(i * 7 + 3) % ids.length], max: 1 + (i % 6) };
      const expected = await sqlite.gql(PATH, variables);
      expect(expected.errors).toBeUndefined();
      if (expected.data!.path) paths++;
      const { status: _status, ...answer } = expected;
      expect(await b.gql(PATH, variables), JSON.stringify(variables)).toEqual(answer);
    }
    expect(paths).toBeGreaterThan(5);
  });

  it('writes the tags SQLite writes for the same statements, in the same order', async () => {
    const statements = [
      `INSERT INTO entities (slug, kind, name) VALUES ('feed-a', 'PERSON', 'Feed A'), ('feed-b', 'ORGANIZATION', 'Feed B')`,
      `INSERT INTO entities (slug, kind, name, status) VALUES ('feed-event', 'EVENT', 'Feed Event', 'OCCURRED')`,
      `UPDATE entities SET description = 'changed' WHERE slug = 'feed-a'`,
      `INSERT INTO entity_aliases (entity_id, alias, position) SELECT id, 'FA', 0 FROM entities WHERE slug = 'feed-a'`,
      `UPDATE entity_aliases SET alias = 'F.A.' WHERE alias = 'FA'`,
      `INSERT INTO sources (slug, kind, title) VALUES ('feed-source', 'NEWS', 'Feed source')`,
      `INSERT INTO claims (slug, text, kind, claimant_id, appears_in_id) SELECT 'feed-claim', 'Feed A runs Feed B', 'FACT', e.id, s.id FROM entities e, sources s WHERE e.slug = 'feed-a' AND s.slug = 'feed-source'`,
      `INSERT INTO claims (slug, text, kind, appears_in_id) SELECT 'feed-claim-2', 'Feed B denies it', 'POSITION', id FROM sources WHERE slug = 'feed-source'`,
      `INSERT INTO claim_subjects (claim_id, entity_id) SELECT c.id, e.id FROM claims c, entities e WHERE c.slug = 'feed-claim' AND e.slug IN ('feed-a', 'feed-b') ORDER BY e.id`,
      `INSERT INTO citations (claim_id, source_id, stance) SELECT c.id, s.id, 'SUPPORTS' FROM claims c, sources s WHERE c.slug = 'feed-claim' AND s.slug = 'feed-source'`,
      `INSERT INTO citations (claim_id, source_id, stance, locator) SELECT c.id, s.id, 'MENTIONS', 'p. 2' FROM claims c, sources s WHERE c.slug = 'feed-claim' AND s.slug = 'feed-source'`,
      `UPDATE citations SET stance = 'REFUTES' WHERE locator = 'p. 2'`,
      `INSERT INTO claim_contradictions (claim_id, contradicts_id) SELECT c.id, d.id FROM claims c, claims d WHERE c.slug = 'feed-claim' AND d.slug = 'feed-claim-2'`,
      `UPDATE claim_contradictions SET basis = 'STATED', basis_quote = 'denies' WHERE claim_id = (SELECT id FROM claims WHERE slug = 'feed-claim')`,
      `INSERT INTO relationships (slug, subject_id, predicate, label, object_id) SELECT 'feed-link', s.id, 'leads', 'leads', o.id FROM entities s, entities o WHERE s.slug = 'feed-a' AND o.slug = 'feed-b'`,
      `INSERT INTO relationship_claims (relationship_id, claim_id) SELECT r.id, c.id FROM relationships r, claims c WHERE r.slug = 'feed-link' AND c.slug = 'feed-claim'`,
      `UPDATE relationships SET object_id = (SELECT id FROM entities WHERE slug = 'feed-event') WHERE slug = 'feed-link'`,
      `INSERT INTO event_participants (event_id, entity_id, role) SELECT v.id, e.id, 'host' FROM entities v, entities e WHERE v.slug = 'feed-event' AND e.slug = 'feed-a'`,
      `UPDATE event_participants SET entity_id = (SELECT id FROM entities WHERE slug = 'feed-b') WHERE role = 'host'`,
      `UPDATE sources SET title = 'Feed source, revised' WHERE slug = 'feed-source'`,
      `DELETE FROM relationship_claims WHERE relationship_id = (SELECT id FROM relationships WHERE slug = 'feed-link')`,
      `DELETE FROM citations WHERE locator = 'p. 2'`,
      `DELETE FROM claim_contradictions WHERE claim_id = (SELECT id FROM claims WHERE slug = 'feed-claim')`,
      `DELETE FROM claim_subjects WHERE claim_id = (SELECT id FROM claims WHERE slug = 'feed-claim')`,
      `DELETE FROM event_participants WHERE role = 'host'`,
      `DELETE FROM relationships WHERE slug = 'feed-link'`,
      `DELETE FROM citations WHERE claim_id = (SELECT id FROM claims WHERE slug = 'feed-claim')`,
      `DELETE FROM claims WHERE slug LIKE 'feed-claim%'`,
      `DELETE FROM entity_aliases WHERE alias = 'F.A.'`,
      `DELETE FROM sources WHERE slug = 'feed-source'`,
      `DELETE FROM entities WHERE slug LIKE 'feed-%'`,
    ];
    const newestPg = async () => Number((await write('SELECT coalesce(max(id), 0) AS n FROM cache_changes')).rows[0].n);
    const newestSqlite = () => sqlite.db.get<{ n: number }>(sql`SELECT coalesce(max(id), 0) AS n FROM cache_changes`)!.n;
    let tags = 0;
    for (const statement of statements) {
      const [fromPg, fromSqlite] = [await newestPg(), newestSqlite()];
      sqlite.db.run(sql.raw(statement));
      await write(statement);
      const expected = sqlite.db.all<{ tag: string }>(sql`SELECT tag FROM cache_changes WHERE id > ${fromSqlite} ORDER BY id`).map((r) => r.tag);
      const actual = (await write('SELECT tag FROM cache_changes WHERE id > $1 ORDER BY id', [fromPg])).rows.map((r) => r.tag as string);
      expect(expected.length, statement).toBeGreaterThan(0);
      expect(actual, statement).toEqual(expected);
      tags += expected.length;
    }
    expect(tags).toBeGreaterThan(80);
  });

  it("serves another process's commit from its response cache at once, and keeps answers the commit did not touch", async () => {
    const person = await entityId('elon-musk');
    const source = (await write('SELECT id FROM sources ORDER BY id LIMIT 1')).rows[0] as { id: number };
    const ENTITY = `query($id: ID!) { node(id: $id) { ... on Person { name description } } }`;
    const SOURCE = `query($id: ID!) { node(id: $id) { ... on Source { title } } }`;
    const ids = { entity: { id: gid(person) }, source: { id: globalId('Source', source.id) } };
    const first = await b.gql(ENTITY, ids.entity);
    expect(first.data!.node.name).toBe('Elon Musk');
    // Answered again from memory (once what earlier tests wrote has been read): no SQL runs.
    await vi.waitFor(async () => expect(await answeredFromMemory(b, ENTITY, ids.entity)).toBe(true), WAIT);
    await vi.waitFor(async () => expect(await answeredFromMemory(b, SOURCE, ids.source)).toBe(true), WAIT);

    await write(`UPDATE entities SET description = 'changed by another process' WHERE id = $1`, [person.id]);
    // Heard through LISTEN: no request of B's reads the database for it.
    await vi.waitFor(async () => expect((await b.gql(ENTITY, ids.entity)).data!.node.description).toBe('changed by another process'), WAIT);
    await vi.waitFor(() => expect(b.feed.behind).toBe(false), WAIT);
    expect(await answeredFromMemory(b, SOURCE, ids.source), 'an answer the commit did not touch stays in memory').toBe(true);

    // Once B has looked (as a mutation of its own waits for), the very next request sees the commit.
    await write(`UPDATE entities SET description = 'changed again' WHERE id = $1`, [person.id]);
    await b.feed.settle();
    expect((await b.gql(ENTITY, ids.entity)).data!.node.description).toBe('changed again');
  });

  it('shows a mutation to the very next read of the process that made it, and to the other process', async () => {
    const person = await entityId('elon-musk');
    const MADE = `query($id: ID!) { node(id: $id) { ... on Person { claimsMade { totalCount } } } }`;
    const ids = { id: gid(person) };
    const before = (await a.gql(MADE, ids)).data!.node.claimsMade.totalCount as number;
    await vi.waitFor(async () => expect(await answeredFromMemory(a, MADE, ids)).toBe(true), WAIT);
    await vi.waitFor(async () => expect(await answeredFromMemory(b, MADE, ids)).toBe(true), WAIT);
    const source = (await write('SELECT id FROM sources ORDER BY id LIMIT 1')).rows[0] as { id: number };
    const made = await a.gql(`mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }`, {
      input: { text: 'A claim written through the API of one process', kind: 'FACT', appearsInId: globalId('Source', source.id), claimantId: gid(person), aboutIds: [gid(person)] },
    });
    expect(made.errors).toBeUndefined();
    // No waiting: the mutation's answer came after its own process had read its tags.
    expect((await a.gql(MADE, ids)).data!.node.claimsMade.totalCount).toBe(before + 1);
    await vi.waitFor(async () => expect((await b.gql(MADE, ids)).data!.node.claimsMade.totalCount).toBe(before + 1), WAIT);
  });

  it('answers nothing from memory between hearing of a commit and reading its tags', async () => {
    const person = await entityId('elon-musk');
    const ENTITY = `query($id: ID!) { node(id: $id) { ... on Person { description } } }`;
    const id = { id: gid(person) };
    await vi.waitFor(async () => expect(await answeredFromMemory(b, ENTITY, id)).toBe(true), WAIT);
    // The read of the tags waits for this lock: B has heard of a commit it cannot read yet.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE cache_changes IN ACCESS EXCLUSIVE MODE');
      await write(`SELECT pg_notify('claimgraph_changes', '')`);
      await vi.waitFor(() => expect(b.feed.behind).toBe(true), WAIT);
      expect(await answeredFromMemory(b, ENTITY, id)).toBe(false);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    await vi.waitFor(() => expect(b.feed.behind).toBe(false), WAIT);
    expect(await answeredFromMemory(b, ENTITY, id)).toBe(true);
  });

  it('pushes a new answer to a live query when another process commits, and reruns nothing otherwise', async () => {
    const person = await entityId('elon-musk');
    const stream = await b.live(`query($id: ID!) @live { node(id: $id) { ... on Person { name description } } }`, { id: gid(person) });
    try {
      await vi.waitFor(() => expect(stream.answers.length).toBe(1), WAIT);
      await b.feed.settle();
      // Idle: nothing committed, so the query is not run again (a feed that knew nothing would rerun it every tick).
      const idle = b.statements();
      await new Promise((resolve) => setTimeout(resolve, THROTTLE_MS * 6));
      expect(b.statements()).toBe(idle);
      await write(`UPDATE entities SET description = 'live from elsewhere' WHERE id = $1`, [person.id]);
      await vi.waitFor(() => expect(stream.answers.at(-1)?.data?.node.description).toBe('live from elsewhere'), WAIT);
    } finally {
      stream.close();
    }
  });

  it("finds a path and a neighborhood through a relationship another process commits, and loses them once it is deleted", async () => {
    const inserted = await write(
      `INSERT INTO entities (slug, kind, name) VALUES ('feed-path-from', 'PERSON', 'Path From'), ('feed-path-to', 'PLACE', 'Path To') RETURNING id, kind`,
    );
    const [p, q] = inserted.rows as { id: number; kind: string }[];
    const PATH = `query($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 6) { length } }`;
    const HOOD = `query($of: ID!) { neighborhood(of: $of) { entities { name } } }`;
    const variables = { from: gid(p!), to: gid(q!) };
    await b.feed.settle();
    expect((await b.gql(PATH, variables)).data!.path).toBeNull();
    expect((await b.gql(HOOD, { of: gid(p!) })).data!.neighborhood.entities).toEqual([{ name: 'Path From' }]);

    const built = lastBuild(b.engine.db);
    expect(built).not.toBeNull();
    await write(`INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('feed-path', $1, 'visits', 'visits', $2)`, [p!.id, q!.id]);
    await vi.waitFor(async () => expect((await b.gql(PATH, variables)).data!.path).toEqual({ length: 1 }), WAIT);
    expect(lastBuild(b.engine.db), 'the two entities are read again, not every link').toBe(built);
    expect((await b.gql(HOOD, { of: gid(p!) })).data!.neighborhood.entities).toEqual([{ name: 'Path From' }, { name: 'Path To' }]);

    await write(`DELETE FROM relationships WHERE slug = 'feed-path'`);
    await b.feed.settle();
    expect((await b.gql(PATH, variables)).data!.path).toBeNull();
    expect((await b.gql(HOOD, { of: gid(p!) })).data!.neighborhood.entities).toEqual([{ name: 'Path From' }]);
  });

  it('serves nothing stale while its listening connection is cut, and listens again', async () => {
    const person = await entityId('elon-musk');
    const ENTITY = `query($id: ID!) { node(id: $id) { ... on Person { description } } }`;
    const id = { id: gid(person) };
    const PATH = `query($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 6) { length } }`;
    const [p, q] = [await entityId('feed-path-from'), await entityId('feed-path-to')];
    const between = { from: gid(p), to: gid(q) };
    await b.gql(ENTITY, id);
    await b.gql(PATH, between);

    const cut = b.feed.backendPid!;
    await write('SELECT pg_terminate_backend($1)', [cut]);
    await vi.waitFor(() => expect(connected(b.feed)).toBe(false), WAIT);
    // Commits while nobody listens: their notifications are lost.
    await write(`UPDATE entities SET description = 'while cut off' WHERE id = $1`, [person.id]);
    await write(`INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('feed-path-2', $1, 'visits', 'visits', $2)`, [p.id, q.id]);
    expect((await b.gql(ENTITY, id)).data!.node.description).toBe('while cut off');
    expect((await b.gql(PATH, between)).data!.path).toEqual({ length: 1 });

    await vi.waitFor(() => expect(connected(b.feed)).toBe(true), WAIT);
    expect(b.feed.backendPid).not.toBe(cut);
    // Listening again: answers are kept, and later commits are heard.
    await vi.waitFor(async () => expect(await answeredFromMemory(b, ENTITY, id)).toBe(true), WAIT);
    await write(`UPDATE entities SET description = 'after reconnecting' WHERE id = $1`, [person.id]);
    await write(`DELETE FROM relationships WHERE slug = 'feed-path-2'`);
    await vi.waitFor(async () => expect((await b.gql(ENTITY, id)).data!.node.description).toBe('after reconnecting'), WAIT);
    await b.feed.settle();
    expect((await b.gql(PATH, between)).data!.path).toBeNull();
  });

  it('forgets every kept answer when tags were pruned before it read them', async () => {
    const person = await entityId('elon-musk');
    const ENTITY = `query($id: ID!) { node(id: $id) { ... on Person { description } } }`;
    const id = { id: gid(person) };
    await vi.waitFor(async () => expect(await answeredFromMemory(b, ENTITY, id)).toBe(true), WAIT);
    // One transaction tags the entity, then writes more tags than the log keeps: its own first
    // tags are pruned before it commits, so no process can read them.
    await write('BEGIN');
    await write(`UPDATE entities SET description = 'pruned before read' WHERE id = $1`, [person.id]);
    await write(`INSERT INTO cache_changes (tag) SELECT 'Source:0' FROM generate_series(1, 12000)`);
    await write('COMMIT');
    expect(Number((await write(`SELECT count(*) AS n FROM cache_changes WHERE tag = $1`, [`Entity:${person.id}`])).rows[0].n)).toBe(0);
    await b.feed.settle();
    expect((await b.gql(ENTITY, id)).data!.node.description).toBe('pruned before read');
  });

  it('reads every commit when concurrent transactions commit out of the order they took their ids in', async () => {
    const person = await entityId('elon-musk');
    const ENTITY = `query($id: ID!) { node(id: $id) { ... on Person { description } } }`;
    const id = { id: gid(person) };
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // The first transaction takes its tags' ids first and commits last.
      await write('BEGIN');
      await write(`UPDATE entities SET description = 'slow writer' WHERE id = $1`, [person.id]);
      // A column the search index does not hold: a word both rows index would make this write wait
      // for the first one's commit (search_term_counts keeps one row per word).
      await other.query(`UPDATE sources SET retrieved_on = '2026-12-06' WHERE id = (SELECT min(id) FROM sources)`);
      // Kept once B has read the other commit: the uncommitted write is not visible yet.
      await vi.waitFor(async () => expect(await answeredFromMemory(b, ENTITY, id)).toBe(true), WAIT);
      await write('COMMIT');
      await vi.waitFor(async () => expect((await b.gql(ENTITY, id)).data!.node.description).toBe('slow writer'), WAIT);
    } finally {
      await other.end();
    }
  });
});
