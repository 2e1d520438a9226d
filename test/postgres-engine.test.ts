import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import type { PgDb } from '../src/db/postgres';
import { openPostgresEngine, type PostgresEngine } from '../src/db/postgres-engine';
import { seedPostgresIfEmpty } from '../src/model/seed-postgres';
import { createTestApp, globalId, silentLogger, type TestApp } from './support/app';
import { type PostgresCluster, startPostgres } from './support/postgres';
import { post, type RunningServer, startServer } from './support/server';

/**
 * The same contract queries against the seeded SQLite database and a PostgreSQL database seeded
 * as the server seeds it (DATABASE_URL=postgres://…): the answers must be identical, byte for byte once parsed. The PostgreSQL side derives
 * relationship_ends and claims.support with its own triggers, so equal answers also prove those.
 */
const CONTRACT_QUERIES: Record<string, { query: string; variables?: Record<string, unknown> }> = {
  entitiesFirstPage: {
    query: `{ entities(first: 5) { totalCount edges { cursor node { id __typename name slug } } pageInfo { hasNextPage endCursor } } }`,
  },
  // Every name in order: case and accents must sort as SQLite sorts them (by code point).
  entitiesAllByName: { query: `{ entities(first: 100, orderBy: [NAME_DESC]) { nodes { name } } }` },
  entitiesSecondPageByKind: {
    query: `query($after: String) { entities(first: 3, after: $after, kind: [PERSON, ORGANIZATION]) { totalCount nodes { id name } pageInfo { hasNextPage hasPreviousPage } } }`,
    variables: { after: undefined },
  },
  claimsWithFilters: {
    query: `{ claims(first: 10, support: [SUPPORTED, CONTESTED]) { totalCount nodes { id slug text kind support attribution appearsIn { title } claimant { name } about { name } citations { stance source { slug } } } } }`,
  },
  claimsUnsupportedLast: {
    query: `{ claims(last: 4, support: [UNSUPPORTED, REFUTED]) { totalCount nodes { id slug support validFrom validTo contradicts { slug } } pageInfo { hasPreviousPage startCursor } } }`,
  },
  claimsByClaimant: {
    query: `query($who: ID!) { claims(first: 20, claimant: $who) { totalCount nodes { slug } } }`,
    variables: { who: globalId('Organization', 1) },
  },
  nodeLookup: {
    query: `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename ... on Claim { slug support } ... on Source { title kind } } }`,
    variables: { ids: [globalId('Claim', 1), globalId('Source', 1), globalId('Claim', 3)] },
  },
  entitiesNameContains: { query: `{ entities(first: 10, nameContains: "OPEN") { totalCount nodes { name } } }` },
  claimsWhere: {
    query: `{ claims(first: 10, where: { text: { contains: "openai" }, claimantExists: true, about: { some: { name: { startsWith: "Elon" } } } }) { totalCount nodes { slug } } }`,
  },
  claimsWhereCitations: {
    query: `{ claims(first: 10, where: { or: [{ citations: { none: {} } }, { citations: { every: { stance: { in: [SUPPORTS] } } } }] }) { totalCount nodes { slug support } } }`,
  },
  groupBy: {
    query: `{ claims(first: 1) { groupBy(field: SUPPORT) { key count } } entities(first: 3) { nodes { name claimsAbout(first: 1) { groupBy(field: KIND) { key count } } } } }`,
  },
  sourcesWithPublishers: {
    query: `{ sources(first: 5) { totalCount nodes { slug title kind publisher { name } } } }`,
  },
};

describe('PostgreSQL answers as SQLite does', () => {
  let cluster: PostgresCluster;
  let engine: PostgresEngine;
  let pgDb: PgDb;
  let sqlite: TestApp;
  let postgres: TestApp['gql'];

  beforeAll(async () => {
    cluster = await startPostgres();
    // An ICU collation by default, as managed servers often have: answers must still be SQLite's.
    engine = await openPostgresEngine(await cluster.createDatabase({ icuLocale: 'en-US' }));
    pgDb = engine.pg;
    expect(await seedPostgresIfEmpty(engine)).not.toBeNull();
    expect(await seedPostgresIfEmpty(engine)).toBeNull();
    sqlite = createTestApp();
    // Names whose order differs between byte order and a language's (case, accents): both engines
    // get the same rows, under the same ids.
    for (const [slug, name] of [['ebay', 'eBay'], ['eclair', 'Éclair'], ['zeta', 'zeta']]) {
      sqlite.db.run(sql`INSERT INTO entities (slug, kind, name) VALUES (${slug}, 'PLACE', ${name})`);
      await engine.pg.$client.query(`INSERT INTO entities (slug, kind, name) VALUES ($1, 'PLACE', $2)`, [slug, name]);
    }
    const yoga = createApp({ db: engine.db, logger: silentLogger });
    postgres = async (query, variables) => {
      const response = await yoga.fetch('http://claimgraph.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { ...((await response.json()) as object), status: response.status };
    };
  });
  afterAll(async () => {
    await engine?.close();
    await cluster?.stop();
  });

  /** Runs SQL on the PostgreSQL side, parameters as $1, $2, ... */
  const pgRows = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await pgDb.$client.query<T>(text, params)).rows;

  it('compares and sorts every text column by code point, as SQLite does', async () => {
    const columns = await pgRows<{ column: string; collation: string | null }>(
      `SELECT c.table_name || '.' || c.column_name AS column, c.collation_name AS collation
       FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
       WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = 'text'`,
    );
    expect(columns.length).toBeGreaterThan(30);
    expect(columns.filter((c) => c.collation !== 'C')).toEqual([]);
    const [database] = await pgRows<{ provider: string }>(`SELECT datlocprovider AS provider FROM pg_database WHERE datname = current_database()`);
    expect(database!.provider).toBe('i');
  });

  it('derives the same adjacency and support with its own triggers', async () => {
    const ends = sqlite.db.all<Record<string, unknown>>(sql`SELECT id, entity_id, relationship_id, direction, other_id FROM relationship_ends ORDER BY id`);
    const pgEnds = await pgRows('SELECT id, entity_id, relationship_id, direction, other_id FROM relationship_ends ORDER BY id');
    expect(ends.length).toBeGreaterThan(0);
    expect(pgEnds).toEqual(ends);
    const support = sqlite.db.all<Record<string, unknown>>(sql`SELECT id, support FROM claims ORDER BY id`);
    const pgSupport = await pgRows('SELECT id, support FROM claims ORDER BY id');
    expect(new Set(support.map((r) => r.support)).size).toBeGreaterThan(1);
    expect(pgSupport).toEqual(support);
  });

  it('answers the fields in the order the query asks, whichever statement finishes first', async () => {
    // Each root field is its own statement, run concurrently over the pool: they finish in any order.
    const names = ['Elon Musk', 'OpenAI', 'Microsoft', 'Tesla', 'xAI', 'Grok', 'GPT-4', 'CNBC'];
    const fields = names.map((name, i) => `f${i}: entity(name: ${JSON.stringify(name)}) { name claimsAbout(first: 3) { totalCount nodes { slug } } }`);
    const query = `{ ${fields.join(' ')} t: claims(first: 2) { totalCount nodes { slug } } }`;
    for (let run = 0; run < 20; run++) {
      const answer = (await postgres(query)) as { data: Record<string, { claimsAbout?: object } | null> };
      expect(Object.keys(answer.data)).toEqual([...names.map((_, i) => `f${i}`), 't']);
      expect(Object.keys(answer.data.t!)).toEqual(['totalCount', 'nodes']);
      for (const [i] of names.entries()) expect(Object.keys(answer.data[`f${i}`]?.claimsAbout ?? { totalCount: 0, nodes: 0 })).toEqual(['totalCount', 'nodes']);
    }
  });

  for (const [name, { query, variables }] of Object.entries(CONTRACT_QUERIES)) {
    it(`answers ${name} identically`, async () => {
      const expected = await sqlite.gql(query, variables);
      expect(expected.errors).toBeUndefined();
      const actual = await postgres(query, variables);
      expect(actual).toEqual(expected);
    });
  }

  // Last: it changes the data the answers above compare.
  it('keeps support current as citations change, and ends as relationships move', async () => {
    const [claim] = await pgRows<{ id: number; appears_in_id: number }>(`SELECT id, appears_in_id FROM claims WHERE support = 'SUPPORTED' ORDER BY id LIMIT 1`);
    const support = async () => (await pgRows<{ support: string }>('SELECT support FROM claims WHERE id = $1', [claim!.id]))[0]!.support;
    await pgRows(`INSERT INTO citations (claim_id, source_id, stance, locator) VALUES ($1, $2, 'REFUTES', 'p. 999')`, [claim!.id, claim!.appears_in_id]);
    expect(await support()).toBe('CONTESTED');
    await pgRows(`UPDATE citations SET stance = 'MENTIONS' WHERE locator = 'p. 999'`);
    expect(await support()).toBe('SUPPORTED');
    await pgRows('DELETE FROM citations WHERE claim_id = $1', [claim!.id]);
    expect(await support()).toBe('UNSUPPORTED');

    const [link] = await pgRows<{ id: number }>(`INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('pg-test-link', 1, 'knows', 'knows', 2) RETURNING id`);
    const ends = () => pgRows('SELECT entity_id, direction, other_id FROM relationship_ends WHERE relationship_id = $1 ORDER BY direction', [link!.id]);
    expect(await ends()).toEqual([
      { entity_id: 2, direction: 'INCOMING', other_id: 1 },
      { entity_id: 1, direction: 'OUTGOING', other_id: 2 },
    ]);
    await pgRows('UPDATE relationships SET object_id = 3 WHERE id = $1', [link!.id]);
    expect(await ends()).toEqual([
      { entity_id: 3, direction: 'INCOMING', other_id: 1 },
      { entity_id: 1, direction: 'OUTGOING', other_id: 3 },
    ]);
    await pgRows('DELETE FROM relationships WHERE id = $1', [link!.id]);
    expect(await ends()).toEqual([]);
  });

});

describe('the server with DATABASE_URL=postgres://…', () => {
  let cluster: PostgresCluster;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exit;
    await cluster?.stop();
  });

  it('migrates and seeds an empty database, answers reads as SQLite does, and reports itself healthy', async () => {
    const url = await cluster.createDatabase();
    server = await startServer({ DATABASE_URL: url, DATABASE_PATH: '/nonexistent/never-opened.db' });
    expect(server.output()).toContain('seeded an empty database');
    const sqlite = createTestApp();
    for (const name of ['claimsWithFilters', 'nodeLookup', 'entitiesFirstPage'] as const) {
      const { query, variables } = CONTRACT_QUERIES[name]!;
      const expected = await sqlite.gql(query, variables);
      const { status: _status, ...answer } = expected;
      expect(await post(server.url, query, variables)).toEqual(answer);
    }
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses a DATABASE_URL that is not PostgreSQL, in one line that says what to set', async () => {
    await expect(startServer({ DATABASE_URL: 'mysql://localhost/x' })).rejects.toThrow(/DATABASE_URL must be a PostgreSQL URL/);
  });
});
