import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { openDatabase } from '../src/db';
import { seededFile, silentLogger, TEST_TOKEN } from './support/app';

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
    supported: claimsAbout(support: [SUPPORTED]) { totalCount nodes { text } }
    claimsMade { totalCount nodes { text } }
  }
  ... on Event { participants { totalCount edges { role node { name } } } claims { totalCount } }
  ... on Product { developer { name } }
  ... on Claim { text support updatedAt claimant { name } about { name } appearsIn { title } citations { stance locator source { title } } contradicts { text } }
  ... on Source { title publisher { name } claims { totalCount nodes { text } } citationPage: citations { totalCount } statedClaims { totalCount } }
} }`;

describe('the response cache after every kind of write', () => {
  it('answers every object as a server without a cache does', async () => {
    const path = seededFile('consistency');
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

    // Beyond single objects: pages of claims (filtered too), paths and neighborhoods, whose
    // dependencies their resolvers declare.
    const PAGE = `query($after: String, $support: [SupportStatus!], $about: ID) {
      claims(first: 5, after: $after, support: $support, about: $about) { totalCount nodes { text support } pageInfo { hasNextPage endCursor } } }`;
    const LAST_PAGE = '{ claims(last: 3) { nodes { text } pageInfo { hasPreviousPage } } }';
    const PATH = `query($from: ID!, $to: ID!) { path(from: $from, to: $to) { length entities { name } steps { description } } }`;
    const AROUND = `query($of: ID!) { neighborhood(of: $of, depth: 2) { truncated entities { name } relationships { predicate } } }`;
    const later: [string, object][] = [];
    const reads = (): [string, object | undefined][] => {
      const [first, second, third] = all.data!.entities.nodes.map((e: { id: string }) => e.id) as string[];
      const cursor = (n: number) => Buffer.from(`DC:N:${n}`).toString('base64');
      return [
        [PAGE, {}],
        [PAGE, { after: cursor(10) }],
        [PAGE, { after: cursor(50) }],
        [PAGE, { support: ['SUPPORTED'] }],
        [PAGE, { support: ['CONTESTED', 'REFUTED'] }],
        [PAGE, { about: id.entity('OpenAI') }],
        [LAST_PAGE, undefined],
        [PATH, { from: id.entity('xAI'), to: id.entity('Tesla') }],
        [PATH, { from: first, to: third }],
        [PATH, { from: id.entity('Microsoft'), to: id.event }],
        [AROUND, { of: id.entity('OpenAI') }],
        [AROUND, { of: second }],
        ...later,
      ];
    };

    const compare = async (after: string) => {
      for (const object of objects()) {
        const [mine, theirs] = [await cached(READ, { id: object }), await truth(READ, { id: object })];
        expect(theirs.errors, after).toBeUndefined();
        expect(mine, `${after}: ${Buffer.from(object, 'base64').toString()}`).toEqual(theirs);
      }
      for (const [query, variables] of reads()) {
        const [mine, theirs] = [await cached(query, variables), await truth(query, variables)];
        expect(theirs.errors, `${after}: ${query}`).toBeUndefined();
        expect(mine, `${after}: ${query} ${JSON.stringify(variables)}`).toEqual(theirs);
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
    // Unconnected until createRelationship and addEventParticipant link it.
    later.push([PATH, { from: id.entity('xAI'), to: place.createEntity.entity.id }], [AROUND, { of: id.entity('xAI') }]);
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
