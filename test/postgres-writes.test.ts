import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { transaction } from '../src/db/engine';
import { openPostgresEngine, type PostgresEngine } from '../src/db/postgres-engine';
import { seedPostgresIfEmpty } from '../src/model/seed-postgres';
import { ISOLATION } from '../src/model/writes/isolation';
import { citations } from '../schema/tables';
import { createTestApp, silentLogger, TEST_TOKEN, type TestApp } from './support/app';
import { type PostgresCluster, startPostgres } from './support/postgres';
import { post, type RunningServer, startServer } from './support/server';

/**
 * Every mutation of the API, run in one sequence on a SQLite test app and on PostgreSQL (seeded as
 * the server seeds it, so both hold the same rows under the same ids): the answers must be the
 * same, ids and global ids included, and so must every row afterwards. Then what concurrency
 * brings on PostgreSQL only: many writers in two processes, and a serialization failure retried.
 */

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<Record<string, unknown>>;
type Answer = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** The tables writes touch, compared row for row (timestamps aside: each engine stamps its own clock). */
const TABLES = [
  'entities',
  'entity_aliases',
  'sources',
  'event_participants',
  'relationships',
  'relationship_ends',
  'claims',
  'claim_subjects',
  'claim_contradictions',
  'relationship_claims',
  'citations',
  'idempotency_keys',
];

const normalized = (rows: Record<string, unknown>[]) =>
  rows
    .map((row) => {
      const { created_at: _c, updated_at: _u, ...rest } = row;
      // A JSON column: text on SQLite, parsed on PostgreSQL.
      if (typeof rest.result === 'string') rest.result = JSON.parse(rest.result);
      return rest;
    })
    .map((row) => JSON.stringify(row))
    .sort();

/** An answer with its timestamps (quoted in some messages) blanked: each engine stamps its own clock. */
const untimed = (answer: unknown) => JSON.parse(JSON.stringify(answer).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>'));

const ENTITY = 'id __typename slug name aliases';
const CLAIM = 'id slug text kind attribution support claimant { id } appearsIn { id } about { id name } citations { id stance locator source { id } } contradicts { id } validFrom validTo';

/** Each step builds its operation from the ids the earlier ones answered (read from the SQLite side). */
type Ids = { musk: string; event: string; article: string; cnbc: string; secrecy: string };
type Step = [name: string, build: (seen: Record<string, Answer>, ids: Ids) => { query: string; variables: Record<string, unknown> }];

const createEntity = (input: Record<string, unknown>) => ({
  query: `mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { ${ENTITY} } clientMutationId } }`,
  variables: { i: input },
});
const createClaim = (input: Record<string, unknown>) => ({
  query: `mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { ${CLAIM} } clientMutationId } }`,
  variables: { i: input },
});
const addCitation = (input: Record<string, unknown>) => ({
  query: `mutation($i: AddCitationInput!) { addCitation(input: $i) { citation { id stance locator source { id } claim { id } } claim { id support } } }`,
  variables: { i: input },
});
const createRelationship = (input: Record<string, unknown>) => ({
  query: `mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { relationship { id slug predicate label basis subject { id } object { id } validFrom validTo claims { id } } } }`,
  variables: { i: input },
});
const addParticipant = (input: Record<string, unknown>) => ({
  query: `mutation($i: AddEventParticipantInput!) { addEventParticipant(input: $i) { event { id name } } }`,
  variables: { i: input },
});
const deleteEntity = (id: string) => ({ query: `mutation($id: ID!) { deleteEntity(input: { id: $id }) { deletedId } }`, variables: { id } });
const id = (answer: Answer | undefined, field: string, inner: string) => answer!.data![field][inner].id as string;

const STEPS: Step[] = [
  ['createEntity', () => createEntity({ kind: 'PERSON', name: 'Ada Lovelace', aliases: ['Ada', 'Countess of Lovelace'], clientMutationId: 'ada-1' })],
  ['createEntity, the same name: the next free slug', () => createEntity({ kind: 'PERSON', name: 'Ada Lovelace' })],
  ['createEntity, a taken slug', () => createEntity({ kind: 'PERSON', name: 'Someone', slug: 'ada-lovelace' })],
  ['createEntity, an organization', () => createEntity({ kind: 'ORGANIZATION', name: 'Analytical Engines Ltd', foundedOn: '1843' })],
  ['createEntity, its product', (seen) => createEntity({ kind: 'PRODUCT', name: 'Engine No. 1', developerId: id(seen['createEntity, an organization'], 'createEntity', 'entity') })],
  ['createEntity, aliases equal but for case', () => createEntity({ kind: 'PLACE', name: 'Somewhere', aliases: ['Here', 'here'] })],
  [
    'updateEntity',
    (seen) => ({
      query: `mutation($i: UpdateEntityInput!) { updateEntity(input: $i) { entity { ${ENTITY} description } } }`,
      variables: { i: { id: id(seen.createEntity, 'createEntity', 'entity'), name: 'Augusta Ada King', aliases: ['Ada Lovelace'], description: 'Wrote the first program.' } },
    }),
  ],
  [
    'updateEntity, nothing changes',
    (seen) => ({
      query: `mutation($i: UpdateEntityInput!) { updateEntity(input: $i) { entity { ${ENTITY} } } }`,
      variables: { i: { id: id(seen.createEntity, 'createEntity', 'entity'), name: 'Augusta Ada King' } },
    }),
  ],
  [
    'createSource',
    (seen) => ({
      query: `mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id slug title kind publisher { id } } } }`,
      variables: { i: { kind: 'ARTICLE', title: 'Notes on the Engine', url: 'https://example.org/notes', publisherId: id(seen['createEntity, an organization'], 'createEntity', 'entity') } },
    }),
  ],
  [
    'createClaim',
    (seen, ids) =>
      createClaim({
        text: 'The engine could compose music.',
        kind: 'POSITION',
        claimantId: id(seen.createEntity, 'createEntity', 'entity'),
        appearsInId: id(seen.createSource, 'createSource', 'source'),
        aboutIds: [id(seen['createEntity, its product'], 'createEntity', 'entity'), ids.musk],
        citations: [
          { sourceId: ids.cnbc, stance: 'SUPPORTS', locator: 'p. 1' },
          { sourceId: id(seen.createSource, 'createSource', 'source'), stance: 'MENTIONS' },
        ],
        contradictsIds: [ids.secrecy],
        validFrom: '1843',
        clientMutationId: 'claim-1',
      }),
  ],
  ['createClaim, the same text', (seen, ids) => createClaim({ text: 'The engine could compose music.', kind: 'OPINION', appearsInId: ids.article, aboutIds: [ids.musk] })],
  ['addCitation', (seen, ids) => addCitation({ claimId: id(seen.createClaim, 'createClaim', 'claim'), sourceId: ids.article, stance: 'REFUTES', quote: 'It could not.' })],
  ['addCitation, again', (seen, ids) => addCitation({ claimId: id(seen.createClaim, 'createClaim', 'claim'), sourceId: ids.article, stance: 'REFUTES' })],
  [
    'removeCitation',
    (seen) => ({
      query: `mutation($id: ID!) { removeCitation(input: { id: $id }) { deletedId claim { id support } } }`,
      variables: { id: id(seen.addCitation, 'addCitation', 'citation') },
    }),
  ],
  [
    'removeCitation, again',
    (seen) => ({
      query: `mutation($id: ID!) { removeCitation(input: { id: $id }) { deletedId } }`,
      variables: { id: id(seen.addCitation, 'addCitation', 'citation') },
    }),
  ],
  [
    'createRelationship',
    (seen, ids) =>
      createRelationship({
        subjectId: id(seen.createEntity, 'createEntity', 'entity'),
        predicate: 'advised',
        objectId: id(seen['createEntity, an organization'], 'createEntity', 'entity'),
        validFrom: '1842',
        claimIds: [id(seen.createClaim, 'createClaim', 'claim')],
        basis: 'STATED',
      }),
  ],
  [
    'createRelationship, the same link',
    (seen) =>
      createRelationship({
        subjectId: id(seen.createEntity, 'createEntity', 'entity'),
        predicate: 'advised',
        objectId: id(seen['createEntity, an organization'], 'createEntity', 'entity'),
        validFrom: '1842',
      }),
  ],
  ['createRelationship, no validity', (seen, ids) => createRelationship({ subjectId: id(seen.createEntity, 'createEntity', 'entity'), predicate: 'admired', objectId: ids.musk })],
  ['addEventParticipant', (seen, ids) => addParticipant({ eventId: ids.event, entityId: id(seen.createEntity, 'createEntity', 'entity'), role: 'guest' })],
  ['addEventParticipant, again', (seen, ids) => addParticipant({ eventId: ids.event, entityId: id(seen.createEntity, 'createEntity', 'entity'), role: 'guest' })],
  ['deleteEntity, still referenced', (seen) => deleteEntity(id(seen.createEntity, 'createEntity', 'entity'))],
  ['deleteEntity', (seen) => deleteEntity(id(seen['createEntity, the same name: the next free slug'], 'createEntity', 'entity'))],
  ['deleteEntity, again', (seen) => deleteEntity(id(seen['createEntity, the same name: the next free slug'], 'createEntity', 'entity'))],
  ['createEntity, the same key and input again', () => createEntity({ kind: 'PERSON', name: 'Ada Lovelace', aliases: ['Ada', 'Countess of Lovelace'], clientMutationId: 'ada-1' })],
  ['createEntity, the same key, another input', () => createEntity({ kind: 'PERSON', name: 'Ada Byron', clientMutationId: 'ada-1' })],
  [
    'createClaim, the same key and input again',
    (seen, ids) => ({ ...STEPS.find(([name]) => name === 'createClaim')![1](seen, ids) }),
  ],
];

/** Operations that must be refused on both engines with the same error, leaving every row as it was. */
const BAD: Step[] = [
  ['a claim whose last citation names a missing source', (_seen, ids) => createClaim({ text: 'Half valid.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.musk], citations: [{ sourceId: ids.cnbc, stance: 'SUPPORTS' }, { sourceId: Buffer.from('Source:9999').toString('base64'), stance: 'SUPPORTS' }] })],
  ['a claim about a claim', (_seen, ids) => createClaim({ text: 'Wrong kind of id.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.secrecy] })],
  ['a self-link', (_seen, ids) => createRelationship({ subjectId: ids.musk, predicate: 'admired', objectId: ids.musk })],
  ['an entity with a control character', () => createEntity({ kind: 'PERSON', name: 'Bad\u0001Name' })],
  ['aliases equal but for case', () => createEntity({ kind: 'PLACE', name: 'Elsewhere', aliases: ['There', 'THERE'] })],
  ['a citation of a missing claim', (_seen, ids) => addCitation({ claimId: Buffer.from('Claim:9999').toString('base64'), sourceId: ids.article, stance: 'MENTIONS' })],
  ['deleting an entity with claims', (_seen, ids) => deleteEntity(ids.musk)],
];

describe('writes on PostgreSQL answer as on SQLite', () => {
  let cluster: PostgresCluster;
  let engine: PostgresEngine;
  let sqlite: TestApp;
  let postgres: Gql;
  let ids: Ids;

  /** Operations sent, with the test app's token, to an app over `db` (a PostgreSQL engine's). */
  const over = (db: PostgresEngine['db']): Gql => {
    const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN });
    return async (query, variables) => {
      const response = await yoga.fetch('http://claimgraph.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...sqlite.auth },
        body: JSON.stringify({ query, variables }),
      });
      return { ...((await response.json()) as object), status: response.status };
    };
  };

  beforeAll(async () => {
    cluster = await startPostgres();
    engine = await openPostgresEngine(await cluster.createDatabase());
    await seedPostgresIfEmpty(engine);
    sqlite = createTestApp({ apiToken: TEST_TOKEN });
    postgres = over(engine.db);
    const read = await sqlite.gql<Record<string, any>>(
      '{ musk: entity(name: "Musk") { id } events: entities(kind: [EVENT], first: 1) { nodes { id } } sources { nodes { id slug } } openai: entity(name: "OpenAI") { claimsMade { nodes { id text } } } }',
    );
    const source = (slug: string) => read.data!.sources.nodes.find((s: { slug: string }) => s.slug === slug).id as string;
    ids = {
      musk: read.data!.musk.id,
      event: read.data!.events.nodes[0].id,
      article: source('article'),
      cnbc: source('note-2-cnbc'),
      secrecy: read.data!.openai.claimsMade.nodes.find((c: { text: string }) => /secrecy/.test(c.text)).id,
    };
  });
  afterAll(async () => {
    await engine?.close();
    await cluster?.stop();
  });

  const pgRows = async (table: string) => (await engine.pg.$client.query(`SELECT * FROM ${table}`)).rows as Record<string, unknown>[];
  const sqliteRows = (table: string) => sqlite.db.all<Record<string, unknown>>(sql.raw(`SELECT * FROM ${table}`));
  const pgSnapshot = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, (await pgRows(t)).map((r) => JSON.stringify(r)).sort()])));

  it('answers every mutation of the API identically, ids included, and leaves the same rows', async () => {
    const seen: Record<string, Answer> = {};
    const codes = new Set<string>();
    for (const [name, build] of STEPS) {
      const { query, variables } = build(seen, ids);
      const expected = await sqlite.gql(query, variables, sqlite.auth);
      const actual = await postgres(query, variables);
      expect(untimed(actual), name).toEqual(untimed(expected));
      seen[name] = expected as Answer;
      for (const error of (expected as Answer).errors ?? []) codes.add(String(error.extensions?.code));
    }
    // The sequence covers every mutation, and the refusals a concurrent write can also cause.
    const mutations = new Set(STEPS.map(([, build]) => /\{\s*(\w+)\(input/.exec(build(seen, ids).query)![1]!));
    expect([...mutations].sort()).toEqual(Object.keys(ISOLATION).sort());
    expect([...codes].sort()).toEqual(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND']);
    for (const table of TABLES) expect(normalized(await pgRows(table)), table).toEqual(normalized(sqliteRows(table)));
  });

  it('stamps updated_at as SQLite does: ISO 8601, UTC, milliseconds', async () => {
    const [row] = (await engine.pg.$client.query(`SELECT updated_at FROM entities WHERE name = 'Augusta Ada King'`)).rows;
    expect(row.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [local] = sqlite.db.all<{ updated_at: string }>(sql`SELECT updated_at FROM entities WHERE name = 'Augusta Ada King'`);
    expect(local!.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('refuses bad input with the same errors and changes nothing', async () => {
    const before = await pgSnapshot();
    for (const [name, build] of BAD) {
      const { query, variables } = build({}, ids);
      const expected = await sqlite.gql(query, variables, sqlite.auth);
      expect((expected as Answer).errors, name).toHaveLength(1);
      expect(await postgres(query, variables), name).toEqual(expected);
    }
    expect(await pgSnapshot()).toEqual(before);
  });

  it('runs a transaction again when PostgreSQL aborts it for a serialization failure', async () => {
    const claimId = 1;
    const other = new pg.Client({ connectionString: (engine.pg.$client as pg.Pool).options.connectionString });
    await other.connect();
    let tries = 0;
    try {
      const written = await transaction(
        engine.db,
        async (tx) => {
          tries++;
          // Both read the claim's citations, then each writes one: a write skew that only
          // SERIALIZABLE catches. The other transaction commits first, so this one fails.
          const counted = await tx.select({ n: sql<number>`count(*)::int` }).from(citations).where(sql`claim_id = ${claimId}`);
          if (tries === 1) {
            await other.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
            await other.query('SELECT count(*) FROM citations WHERE claim_id = $1', [claimId]);
            await other.query(`INSERT INTO citations (claim_id, source_id, stance, locator) VALUES ($1, 1, 'MENTIONS', 'skew-other')`, [claimId]);
            await other.query('COMMIT');
          }
          await tx.insert(citations).values({ claimId, sourceId: 1, stance: 'MENTIONS', locator: `skew-${tries}` });
          return counted[0]!.n;
        },
        { isolation: 'serializable' },
      );
      expect(tries).toBe(2);
      const locators = (await engine.pg.$client.query(`SELECT locator FROM citations WHERE locator LIKE 'skew-%' ORDER BY locator`)).rows.map((r) => r.locator);
      expect(locators).toEqual(['skew-2', 'skew-other']);
      expect(written).toBeGreaterThan(0);
    } finally {
      await other.end();
    }
  });

  it("stamps a write's rows in the order it changes them, so they sort by time as on SQLite", async () => {
    // Time passes between a transaction's BEGIN and its statements (a busy server, a slow network):
    // PostgreSQL's now() is the BEGIN's time, older than the change the write stamps first.
    let begun = false;
    const slow = await openPostgresEngine((engine.pg.$client as pg.Pool).options.connectionString!, {
      onQuery: (query) => {
        if (begun) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        begun = /^\s*begin\b/i.test(query);
      },
    });
    try {
      const onPostgres = over(slow.db);
      // The new claim is written after the claim it contradicts records the change.
      const write = createClaim({ text: 'A claim written to contradict the secrecy claim.', kind: 'OPINION', appearsInId: ids.article, aboutIds: [ids.musk], contradictsIds: [ids.secrecy] });
      const latest = '{ claims(first: 2, orderBy: [UPDATED_AT_DESC]) { nodes { id text } } }';
      expect(untimed((await onPostgres(write.query, write.variables)).data)).toEqual(untimed((await sqlite.gql(write.query, write.variables, sqlite.auth)).data));
      const expected = await sqlite.gql<{ claims: { nodes: { text: string }[] } }>(latest);
      expect(expected.data!.claims.nodes.map((claim) => claim.text)).toEqual(['A claim written to contradict the secrecy claim.', expect.stringMatching(/secrecy/)]);
      expect((await onPostgres(latest)).data).toEqual(expected.data);
    } finally {
      await slow.close();
    }
  });
});

describe('many writers in two processes on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let server: RunningServer | undefined;
  let url: string;

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase();
    server = await startServer({ DATABASE_URL: url, WORKERS: '2', API_TOKEN: TEST_TOKEN });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exit;
    await cluster?.stop();
  });

  it('answers each write with success or CONFLICT, and keeps every acknowledged write, once', async () => {
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const gql = (query: string, variables: Record<string, unknown>) => post<Record<string, any>>(server!.url, query, variables, auth);
    const read = await gql('{ musk: entity(name: "Musk") { id } sources(first: 2) { nodes { id } } claims(first: 3) { nodes { id } } }', {});
    const musk = read.data!.musk.id as string;
    const [s1, s2] = read.data!.sources.nodes.map((s: { id: string }) => s.id) as string[];
    const claimIds = read.data!.claims.nodes.map((c: { id: string }) => c.id) as string[];

    // 8 clients × 12 writes, every one written twice (by two clients at once): one of each pair
    // succeeds and the other is a CONFLICT (or, with a clientMutationId, the same answer).
    const N = 8;
    const M = 12;
    const ops: { kind: string; query: string; variables: Record<string, unknown> }[] = [];
    for (let i = 0; i < (N * M) / 2; i++) {
      const op =
        i % 3 === 0
          ? { kind: 'entity', query: 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id slug } } }', variables: { i: { kind: 'PLACE', name: `Place ${i}`, slug: `place-${i}` } } }
          : i % 3 === 1
            ? { kind: 'claim', query: 'mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id slug } } }', variables: { i: { text: `Concurrent claim ${i}`, kind: 'FACT', appearsInId: s1, aboutIds: [musk], slug: `concurrent-${i}` } } }
            : { kind: 'citation', query: 'mutation($i: AddCitationInput!) { addCitation(input: $i) { citation { id } } }', variables: { i: { claimId: claimIds[i % claimIds.length], sourceId: s2, stance: 'MENTIONS', locator: `c-${i}` } } };
      ops.push(op, op);
    }
    const answers = await Promise.all(
      Array.from({ length: N }, async (_, client) => {
        const mine = ops.filter((_, j) => j % N === client);
        const out: { op: (typeof ops)[number]; answer: Answer }[] = [];
        for (const op of mine) out.push({ op, answer: await gql(op.query, op.variables) });
        return out;
      }),
    );
    const all = answers.flat();
    for (const { answer } of all) {
      if (answer.errors) expect(answer.errors.map((e) => e.extensions?.code)).toEqual(['CONFLICT']);
    }
    const succeeded = all.filter((a) => !a.answer.errors);
    // Each pair: exactly one landed.
    expect(succeeded).toHaveLength(ops.length / 2);

    // One clientMutationId sent by two clients at once, without a slug: without the key both
    // would write (the second under the next free slug). Both get the one entity.
    const keyed = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        gql('mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id slug } clientMutationId } }', {
          i: { kind: 'PLACE', name: `Keyed ${i >> 1}`, clientMutationId: `keyed-${i >> 1}` },
        }),
      ),
    );
    for (const answer of keyed) expect(answer.errors).toBeUndefined();
    for (let i = 0; i < keyed.length; i += 2) expect(keyed[i + 1]!.data).toEqual(keyed[i]!.data);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const count = async (text: string) => (await client.query(text)).rows[0].n as number;
    try {
      expect(await count(`SELECT count(*)::int AS n FROM entities WHERE name LIKE 'Keyed %'`)).toBe(keyed.length / 2);
      expect(await count(`SELECT count(*)::int AS n FROM entities WHERE slug LIKE 'place-%'`)).toBe(succeeded.filter((a) => a.op.kind === 'entity').length);
      expect(await count(`SELECT count(*)::int AS n FROM claims WHERE slug LIKE 'concurrent-%'`)).toBe(succeeded.filter((a) => a.op.kind === 'claim').length);
      expect(await count(`SELECT count(*)::int AS n FROM citations WHERE locator LIKE 'c-%'`)).toBe(succeeded.filter((a) => a.op.kind === 'citation').length);
      expect(await count(`SELECT count(*)::int AS n FROM (SELECT claim_id, locator FROM citations WHERE locator LIKE 'c-%' GROUP BY 1, 2 HAVING count(*) > 1) d`)).toBe(0);
    } finally {
      await client.end();
    }
  });
});

describe('docs/postgres.md', () => {
  it('lists each mutation with the isolation it runs at, as ISOLATION declares', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../docs/postgres.md', import.meta.url), 'utf8');
    const section = text.slice(text.indexOf('## Writes and concurrency'));
    const rows = [...section.matchAll(/^\| (\w+) \| ([A-Z ]+) \| (.+) \|$/gm)].map(([, mutation, level, why]) => [mutation, level, why]);
    expect(rows).toEqual(Object.entries(ISOLATION).map(([mutation, [level, why]]) => [mutation, level.toUpperCase(), why]));
  });
});
