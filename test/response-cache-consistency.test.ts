import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { silentLogger, TEST_TOKEN } from './support/app';

/**
 * The cache against the truth: after each kind of write, made by another process, every cached
 * answer about every object in the graph must equal the answer of a server that caches nothing.
 */
function app(path: string, responseCache: boolean) {
  const db = openDatabase({ path });
  const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN, responseCache });
  return async (query: string, variables?: object) => {
    const res = await yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  };
}

const READ = `query($id: ID!) { node(id: $id) {
  ... on Entity {
    name aliases updatedAt
    relationships { totalCount nodes { predicate label validTo subject { name } object { name } claims { text } } }
    events { totalCount edges { role node { name } } }
    claimsAbout { totalCount nodes { text support } }
    claimsMade { totalCount nodes { text } }
  }
  ... on Event { participants { totalCount edges { role node { name } } } claims { totalCount } }
  ... on Product { developer { name } }
  ... on Claim { text support updatedAt claimant { name } about { name } appearsIn { title } citations { stance locator source { title } } contradicts { text } }
  ... on Source { title publisher { name } claims { totalCount nodes { text } } citationPage: citations { totalCount } statedClaims { totalCount } }
} }`;

describe('the response cache after every kind of write', () => {
  it('answers every object as a server without a cache does', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'claimgraph-consistency-')), 'cache.db');
    const setup = openDatabase({ path });
    migrateDatabase(setup);
    loadSeed(setup);
    setup.$client.close();
    const cached = app(path, true);
    const truth = app(path, false);
    const writer = app(path, false);

    const all = await truth(`{ entities(first: 100) { nodes { id name } } claims(first: 100) { nodes { id text } } sources { nodes { id } }
      events(first: 100) { nodes { id name } } }`);
    const id = {
      entity: (name: string) => all.data!.entities.nodes.find((e: { name: string }) => e.name === name).id as string,
      event: all.data!.events.nodes[0].id as string,
      claims: all.data!.claims.nodes.map((c: { id: string }) => c.id) as string[],
      sources: all.data!.sources.nodes.map((s: { id: string }) => s.id) as string[],
    };
    const objects = () => [...all.data!.entities.nodes, ...all.data!.claims.nodes, ...all.data!.sources.nodes].map((o: { id: string }) => o.id);

    const compare = async (after: string) => {
      for (const object of objects()) {
        const [mine, theirs] = [await cached(READ, { id: object }), await truth(READ, { id: object })];
        expect(theirs.errors, after).toBeUndefined();
        expect(mine, `${after}: ${Buffer.from(object, 'base64').toString()}`).toEqual(theirs);
      }
    };
    const write = async (mutation: string, input: object) => {
      const res = await writer(mutation, { input });
      expect(res.errors, mutation).toBeUndefined();
      return res.data!;
    };

    await compare('before any write');
    await compare('read again, from memory');

    const place = await write('mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { id } } }', {
      kind: 'PRODUCT', name: 'A new product', developerId: id.entity('OpenAI'),
    });
    all.data!.entities.nodes.push(place.createEntity.entity);
    await compare('createEntity');
    await write('mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { entity { id } } }', {
      id: id.entity('Tesla'), name: 'Tesla, renamed', aliases: ['T'],
    });
    await compare('updateEntity');
    await write('mutation($input: CreateRelationshipInput!) { createRelationship(input: $input) { relationship { id } } }', {
      subjectId: id.entity('xAI'), predicate: 'partners_with', objectId: place.createEntity.entity.id, claimIds: [id.claims[3]],
    });
    await compare('createRelationship');
    await write('mutation($input: AddEventParticipantInput!) { addEventParticipant(input: $input) { event { id } } }', {
      eventId: id.event, entityId: place.createEntity.entity.id, role: 'observer',
    });
    await compare('addEventParticipant');
    const source = await write('mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id } } }', {
      kind: 'NEWS', title: 'A new report', publisherId: id.entity('Microsoft'),
    });
    all.data!.sources.nodes.push(source.createSource.source);
    await compare('createSource');
    const claim = await write('mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }', {
      text: 'A new claim about two entities.', kind: 'FACT', appearsInId: id.sources[0], claimantId: id.entity('Elon Musk'),
      aboutIds: [id.entity('OpenAI'), place.createEntity.entity.id], contradictsIds: [id.claims[5]],
      citations: [{ sourceId: source.createSource.source.id, stance: 'SUPPORTS', locator: 'p. 1' }],
    });
    all.data!.claims.nodes.push(claim.createClaim.claim);
    await compare('createClaim');
    const cited = await write('mutation($input: AddCitationInput!) { addCitation(input: $input) { citation { id } } }', {
      claimId: id.claims[7], sourceId: id.sources[1], stance: 'REFUTES',
    });
    await compare('addCitation');
    await write('mutation($input: RemoveCitationInput!) { removeCitation(input: $input) { deletedId } }', { id: cited.addCitation.citation.id });
    await compare('removeCitation');
    const lonely = await write('mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { id } } }', {
      kind: 'PLACE', name: 'A place to delete',
    });
    all.data!.entities.nodes.push(lonely.createEntity.entity);
    await compare('createEntity again');
    await write('mutation($input: DeleteEntityInput!) { deleteEntity(input: $input) { deletedId } }', { id: lonely.createEntity.entity.id });
    await compare('deleteEntity');
  });
});
