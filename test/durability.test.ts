import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { post, type RunningServer, startServer } from './support/server';

const TOKEN = 'durability-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const dir = mkdtempSync(join(tmpdir(), 'claimgraph-durability-'));
const dbPath = join(dir, 'claimgraph.db');
const env = { DATABASE_PATH: dbPath, API_TOKEN: TOKEN };
const servers: RunningServer[] = [];
afterAll(() => {
  for (const { child } of servers) if (child.exitCode === null) child.kill('SIGKILL');
});

type Written = { id: string; check: string; expected: unknown };

async function write<T>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await post<T>(url, query, variables, AUTH);
  expect(res.errors, query).toBeUndefined();
  return res.data!;
}

describe('durability', () => {
  it('keeps every acknowledged write across a SIGKILL, with a clean integrity check', async () => {
    const server = await startServer(env);
    servers.push(server);
    const { url } = server;
    const seed = (await post<{ musk: { id: string }; openai: { id: string }; sources: { nodes: { id: string }[] } }>(
      url,
      '{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } sources { nodes { id } } }',
    )).data!;
    const written: Written[] = [];
    const remember = (id: string, check: string, expected: unknown) => written.push({ id, check, expected });

    // A run of acknowledged writes of every kind.
    for (let i = 0; i < 10; i++) {
      const { createEntity } = await write<{ createEntity: { entity: { id: string } } }>(
        url,
        'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }',
        { i: { kind: 'PERSON', name: `Witness ${i}`, aliases: [`W${i}`], occupation: 'observer' } },
      );
      remember(createEntity.entity.id, '... on Person { name aliases occupation }', { name: `Witness ${i}`, aliases: [`W${i}`], occupation: 'observer' });
    }
    const { createSource } = await write<{ createSource: { source: { id: string } } }>(
      url,
      'mutation { createSource(input: { kind: NEWS, title: "Durable news", url: "https://example.org/news", publishedOn: "2024-05" }) { source { id } } }',
      {},
    );
    remember(createSource.source.id, '... on Source { title url publishedOn }', { title: 'Durable news', url: 'https://example.org/news', publishedOn: '2024-05' });
    const claimIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { createClaim } = await write<{ createClaim: { claim: { id: string } } }>(
        url,
        'mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id } } }',
        {
          i: {
            text: `Durable claim ${i}.`,
            kind: 'FACT',
            appearsInId: seed.sources.nodes[0]!.id,
            aboutIds: [written[i]!.id, seed.openai.id],
            citations: [{ sourceId: createSource.source.id, stance: i % 2 ? 'REFUTES' : 'SUPPORTS', locator: `para. ${i}` }],
            contradictsIds: claimIds.slice(-1),
          },
        },
      );
      claimIds.push(createClaim.claim.id);
      remember(createClaim.claim.id, '... on Claim { text support citations { locator } contradicts { id } }', {
        text: `Durable claim ${i}.`,
        support: i % 2 ? 'REFUTED' : 'SUPPORTED',
        citations: [{ locator: `para. ${i}` }],
        contradicts: [],
      });
    }
    // Each claim contradicts the one before it; the link reads both ways.
    claimIds.forEach((id, i) => {
      const claim = written.find((w) => w.id === id)!;
      (claim.expected as { contradicts: { id: string }[] }).contradicts = [claimIds[i - 1], claimIds[i + 1]].filter(Boolean).map((c) => ({ id: c! }));
    });
    const { addCitation } = await write<{ addCitation: { citation: { id: string } } }>(
      url,
      'mutation($c: ID!, $s: ID!) { addCitation(input: { claimId: $c, sourceId: $s, stance: MENTIONS }) { citation { id } } }',
      { c: claimIds[0], s: seed.sources.nodes[1]!.id },
    );
    remember(addCitation.citation.id, '... on Citation { stance }', { stance: 'MENTIONS' });
    const { createRelationship } = await write<{ createRelationship: { relationship: { id: string } } }>(
      url,
      'mutation($s: ID!, $o: ID!, $c: [ID!]) { createRelationship(input: { subjectId: $s, predicate: "watches", objectId: $o, claimIds: $c }) { relationship { id } } }',
      { s: written[0]!.id, o: seed.musk.id, c: claimIds.slice(0, 1) },
    );
    remember(createRelationship.relationship.id, '... on Relationship { predicate subject { id } claims { id } }', {
      predicate: 'watches',
      subject: { id: written[0]!.id },
      claims: [{ id: claimIds[0] }],
    });
    const { createEntity: event } = await write<{ createEntity: { entity: { id: string } } }>(
      url,
      'mutation { createEntity(input: { kind: EVENT, name: "The durability hearing", status: PROPOSED, startDate: "2025" }) { entity { id } } }',
      {},
    );
    await write(url, 'mutation($e: ID!, $p: ID!) { addEventParticipant(input: { eventId: $e, entityId: $p, role: "witness" }) { event { id } } }', {
      e: event.entity.id,
      p: written[1]!.id,
    });
    remember(event.entity.id, '... on Event { status startDate participants { edges { role node { id } } } }', {
      status: 'PROPOSED',
      startDate: '2025',
      participants: { edges: [{ role: 'witness', node: { id: written[1]!.id } }] },
    });
    await write(url, 'mutation($id: ID!) { updateEntity(input: { id: $id, name: "Witness Nine", occupation: null }) { entity { id } } }', {
      id: written[9]!.id,
    });
    written[9]!.expected = { name: 'Witness Nine', aliases: ['W9'], occupation: null };
    const { createEntity: doomed } = await write<{ createEntity: { entity: { id: string } } }>(
      url,
      'mutation { createEntity(input: { kind: PLACE, name: "Doomed place" }) { entity { id } } }',
      {},
    );
    await write(url, 'mutation($id: ID!) { deleteEntity(input: { id: $id }) { deletedId } }', { id: doomed.entity.id });
    // The last acknowledged write: the process dies the moment its response arrives.
    const last = await write<{ removeCitation: { deletedId: string } }>(
      url,
      'mutation($id: ID!) { removeCitation(input: { id: $id }) { deletedId } }',
      { id: addCitation.citation.id },
    );
    server.child.kill('SIGKILL');
    expect(await server.exit).toBeNull();
    written.find((w) => w.id === last.removeCitation.deletedId)!.expected = null;

    const restarted = await startServer(env);
    servers.push(restarted);
    expect(restarted.output()).not.toMatch(/seeded an empty database/);
    for (const { id, check, expected } of written) {
      const res = await post<{ node: Record<string, unknown> | null }>(restarted.url, `query($id: ID!) { node(id: $id) { ${check} } }`, { id });
      expect(res.errors, check).toBeUndefined();
      expect(res.data!.node, `${id}: ${check}`).toEqual(expected);
    }
    const gone = await post<{ node: unknown }>(restarted.url, 'query($id: ID!) { node(id: $id) { id } }', { id: doomed.entity.id });
    expect(gone.data!.node).toBeNull();
    const totals = await post<{ entities: { totalCount: number } }>(restarted.url, '{ entities { totalCount } }');
    expect(totals.data!.entities.totalCount).toBe(22 + 10 + 1);

    restarted.child.kill('SIGTERM');
    expect(await restarted.exit).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
