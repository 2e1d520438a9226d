import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { silentLogger, TEST_TOKEN } from './support/app';

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
  const path = join(mkdtempSync(join(tmpdir(), 'claimgraph-cache-')), 'cache.db');
  const setup = openDatabase({ path });
  migrateDatabase(setup);
  loadSeed(setup);
  setup.$client.close();

  it('answers a repeated read from memory', async () => {
    const a = app(path);
    const first = await a.gql(COUNT);
    a.statements.length = 0;
    expect(await a.gql(COUNT)).toEqual(first);
    expect(a.statements).toHaveLength(0);
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
});
