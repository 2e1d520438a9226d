import { isInputObjectType, isNonNullType, isObjectType } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema';
import { createTestApp, globalId, TEST_TOKEN, type TestApp } from './support/app';
import { snapshot } from './support/snapshot';

let app: TestApp;
beforeEach(() => {
  app = createTestApp({ apiToken: TEST_TOKEN });
});

type GqlError = { message: string; extensions?: Record<string, unknown> };

async function idOf(name: string): Promise<string> {
  const res = await app.gql<{ entity: { id: string } | null }>('query($n: String!) { entity(name: $n) { id } }', { n: name });
  return res.data!.entity!.id;
}

const ENTITY_FIELDS = `id __typename slug name aliases description wikidataId createdAt updatedAt
  ... on Organization { foundedOn legalForm }
  ... on Person { occupation }
  ... on Product { developer { name } releasedOn }
  ... on Event { startDate endDate status }`;

const createEntity = (input: Record<string, unknown>) =>
  app.mutate<{ createEntity: { entity: Record<string, unknown> & { id: string } } }>(
    `mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { ${ENTITY_FIELDS} } } }`,
    { input },
  );
const updateEntity = (input: Record<string, unknown>) =>
  app.mutate<{ updateEntity: { entity: Record<string, unknown> & { id: string } } }>(
    `mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { entity { ${ENTITY_FIELDS} } } }`,
    { input },
  );
const deleteEntity = (id: string) =>
  app.mutate<{ deleteEntity: { deletedId: string } }>('mutation($id: ID!) { deleteEntity(input: { id: $id }) { deletedId } }', { id });

/** Expects exactly one error, with this code and naming this field; returns it. */
function refused(res: { errors?: readonly GqlError[]; data?: unknown }, code: string, field?: string): GqlError {
  expect(res.errors, JSON.stringify(res.data)).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code, error.message).toBe(code);
  if (field) {
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
  }
  return error;
}

describe('the Mutation type', () => {
  it('has every mutation of the contract, each taking a non-null input and returning a payload', () => {
    const fields = schema.getMutationType()!.getFields();
    const expected = {
      createEntity: ['CreateEntityInput', 'CreateEntityPayload', 'entity'],
      updateEntity: ['UpdateEntityInput', 'UpdateEntityPayload', 'entity'],
      deleteEntity: ['DeleteEntityInput', 'DeleteEntityPayload', 'deletedId'],
      createSource: ['CreateSourceInput', 'CreateSourcePayload', 'source'],
      createClaim: ['CreateClaimInput', 'CreateClaimPayload', 'claim'],
      addCitation: ['AddCitationInput', 'AddCitationPayload', 'citation'],
      removeCitation: ['RemoveCitationInput', 'RemoveCitationPayload', 'deletedId'],
      createRelationship: ['CreateRelationshipInput', 'CreateRelationshipPayload', 'relationship'],
      addEventParticipant: ['AddEventParticipantInput', 'AddEventParticipantPayload', 'event'],
    };
    expect(Object.keys(fields).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [input, payload, written]] of Object.entries(expected)) {
      const field = fields[name]!;
      expect(field.args.map((a) => [a.name, String(a.type)]), name).toEqual([['input', `${input}!`]]);
      expect(String(field.type), name).toBe(`${payload}!`);
      const payloadType = isNonNullType(field.type) ? field.type.ofType : field.type;
      expect(isObjectType(payloadType) && Object.keys(payloadType.getFields()), name).toContain(written);
    }
  });

  it("takes the contract's input fields, with the contract's required ones", () => {
    const contract: Record<string, string> = {
      CreateEntityInput:
        'kind: EntityKind!, name: String!, aliases: [String!], description: String, wikidataId: String, foundedOn: PartialDate, legalForm: String, occupation: String, developerId: ID, releasedOn: PartialDate, startDate: PartialDate, endDate: PartialDate, status: EventStatus',
      UpdateEntityInput:
        'id: ID!, name: String, aliases: [String!], description: String, wikidataId: String, foundedOn: PartialDate, legalForm: String, occupation: String, developerId: ID, releasedOn: PartialDate, startDate: PartialDate, endDate: PartialDate, status: EventStatus',
      DeleteEntityInput: 'id: ID!',
      CreateSourceInput: 'kind: SourceKind!, title: String!, url: String, publisherId: ID, publishedOn: PartialDate, retrievedOn: PartialDate, label: String',
      CitationInput: 'sourceId: ID!, stance: Stance!, locator: String, quote: String',
      CreateClaimInput:
        'text: String!, kind: ClaimKind!, claimantId: ID, attribution: Attribution, appearsInId: ID!, aboutIds: [ID!]!, citations: [CitationInput!], contradictsIds: [ID!], validFrom: PartialDate, validTo: PartialDate',
      AddCitationInput: 'claimId: ID!, sourceId: ID!, stance: Stance!, locator: String, quote: String',
      RemoveCitationInput: 'id: ID!',
      CreateRelationshipInput: 'subjectId: ID!, predicate: String!, label: String, objectId: ID!, validFrom: PartialDate, validTo: PartialDate',
      AddEventParticipantInput: 'eventId: ID!, entityId: ID!, role: String!',
    };
    for (const [name, fields] of Object.entries(contract)) {
      const type = schema.getType(name);
      expect(isInputObjectType(type), name).toBe(true);
      if (!isInputObjectType(type)) continue;
      const actual = type.getFields();
      for (const spec of fields.split(', ')) {
        const [field, fieldType] = spec.split(': ');
        expect(String(actual[field!]?.type), `${name}.${field}`).toBe(fieldType);
      }
    }
    const createClaim = (schema.getType('CreateClaimInput') as import('graphql').GraphQLInputObjectType).getFields();
    expect(createClaim.attribution!.defaultValue).toBe('DIRECT');
  });
});

describe('createEntity', () => {
  it('creates each kind with its own fields, trims text, derives a slug and stamps the row', async () => {
    const microsoft = await idOf('Microsoft');
    const org = await createEntity({ kind: 'ORGANIZATION', name: '  Anthropic ', foundedOn: '2021', legalForm: 'public-benefit corporation', wikidataId: 'Q116758847' });
    expect(org.errors).toBeUndefined();
    expect(org.data!.createEntity.entity).toMatchObject({
      __typename: 'Organization',
      slug: 'anthropic',
      name: 'Anthropic',
      aliases: [],
      foundedOn: '2021',
      legalForm: 'public-benefit corporation',
    });
    const { createdAt, updatedAt } = org.data!.createEntity.entity as unknown as { createdAt: string; updatedAt: string };
    expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(updatedAt).toBe(createdAt);

    const product = await createEntity({ kind: 'PRODUCT', name: 'Copilot', developerId: microsoft, releasedOn: '2023-02' });
    expect(product.data!.createEntity.entity).toMatchObject({ __typename: 'Product', developer: { name: 'Microsoft' }, releasedOn: '2023-02' });

    const event = await createEntity({ kind: 'EVENT', name: 'Dev Day', status: 'OCCURRED', startDate: '2023-11-06', endDate: '2023-11-06' });
    expect(event.data!.createEntity.entity).toMatchObject({ __typename: 'Event', status: 'OCCURRED', startDate: '2023-11-06' });

    const person = await createEntity({ kind: 'PERSON', name: 'Ada Lovelace', aliases: ['Augusta Ada King', ' Countess of Lovelace '], occupation: 'mathematician' });
    expect(person.data!.createEntity.entity).toMatchObject({ aliases: ['Augusta Ada King', 'Countess of Lovelace'], occupation: 'mathematician' });

    // Written for real: refetchable, and found by name and alias.
    const found = await app.gql<{ a: { id: string }; b: { id: string } }>('{ a: entity(name: "countess of lovelace") { id } b: entity(name: "Anthropic") { id } }');
    expect(found.data!.a.id).toBe(person.data!.createEntity.entity.id);
    expect(found.data!.b.id).toBe(org.data!.createEntity.entity.id);
  });

  it('keeps the search index in step', async () => {
    await createEntity({ kind: 'PERSON', name: 'Grace Hopper', aliases: ['Amazing Grace'] });
    const res = await app.gql<{ search: { nodes: { name?: string }[] } }>('{ search(query: "Amazing Grace") { nodes { ... on Person { name } } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.search.nodes.map((n) => n.name)).toContain('Grace Hopper');
  });

  it('derives a free slug when the name is taken, and refuses a taken explicit slug with CONFLICT', async () => {
    const again = await createEntity({ kind: 'PERSON', name: 'Elon Musk' });
    expect(again.data!.createEntity.entity.slug).toBe('elon-musk-2');
    const third = await createEntity({ kind: 'PERSON', name: 'Elon  Musk!' });
    expect(third.data!.createEntity.entity.slug).toBe('elon-musk-3');
    const nonLatin = await createEntity({ kind: 'PLACE', name: '東京' });
    expect(nonLatin.data!.createEntity.entity.slug).toBe('place');
    const explicit = await createEntity({ kind: 'PLACE', name: 'Paris', slug: 'paris-france' });
    expect(explicit.data!.createEntity.entity.slug).toBe('paris-france');

    const before = snapshot(app.db);
    const error = refused(await createEntity({ kind: 'PERSON', name: 'Someone', slug: 'elon-musk' }), 'CONFLICT', 'input.slug');
    expect(error.message).toMatch(/"elon-musk" already exists/);
    refused(await createEntity({ kind: 'PERSON', name: 'Someone', slug: 'Not A Slug' }), 'BAD_USER_INPUT', 'input.slug');
    expect(snapshot(app.db)).toEqual(before);
  });

  it('refuses bad input, naming each field, and writes nothing', async () => {
    const before = snapshot(app.db);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ kind: 'PERSON', name: '   ' }, 'input.name', /must not be empty/],
      [{ kind: 'PERSON', name: 'x'.repeat(501) }, 'input.name', /at most 500/],
      [{ kind: 'PERSON', name: 'A', aliases: ['B', ' '] }, 'input.aliases[1]', /must not be empty/],
      [{ kind: 'PERSON', name: 'A', aliases: ['Bee', 'BEE'] }, 'input.aliases[1]', /listed twice/],
      [{ kind: 'PERSON', name: 'A', wikidataId: '317521' }, 'input.wikidataId', /Q317521/],
      [{ kind: 'PERSON', name: 'A', foundedOn: '2015' }, 'input.foundedOn', /only ORGANIZATION entities have foundedOn; this one is a PERSON/],
      [{ kind: 'ORGANIZATION', name: 'A', occupation: 'x' }, 'input.occupation', /only PERSON/],
      [{ kind: 'PLACE', name: 'A', status: 'OCCURRED' }, 'input.status', /only EVENT/],
      [{ kind: 'PERSON', name: 'A', developerId: globalId('Organization', 2) }, 'input.developerId', /only PRODUCT/],
      [{ kind: 'EVENT', name: 'A' }, 'input.status', /an EVENT needs a status/],
      [{ kind: 'EVENT', name: 'A', status: 'OCCURRED', startDate: '2020-05', endDate: '2020-04-30' }, 'input.endDate', /ends before startDate/],
      [{ kind: 'PRODUCT', name: 'A', developerId: 'nonsense' }, 'input.developerId', /not a claimgraph id/],
      [{ kind: 'PRODUCT', name: 'A', developerId: globalId('Source', 1) }, 'input.developerId', /expected the id of an entity, got the id of a Source/],
    ];
    for (const [input, field, message] of cases) {
      const error = refused(await createEntity(input), 'BAD_USER_INPUT', field);
      expect(error.message, field).toMatch(message);
      expect(error.extensions?.problems, field).toContainEqual(expect.objectContaining({ field }));
    }
    // Missing rows are NOT_FOUND; an id minted for another entity type names nothing.
    refused(await createEntity({ kind: 'PRODUCT', name: 'A', developerId: globalId('Organization', 9999) }), 'NOT_FOUND', 'input.developerId');
    refused(await createEntity({ kind: 'PRODUCT', name: 'A', developerId: globalId('Person', 2) }), 'NOT_FOUND', 'input.developerId');
    // A PartialDate is checked by its scalar before the resolver runs.
    expect((await createEntity({ kind: 'EVENT', name: 'A', status: 'OCCURRED', startDate: '2018-13' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(snapshot(app.db)).toEqual(before);
  });

  it('reports every problem of an input at once in extensions.problems', async () => {
    const error = refused(await createEntity({ kind: 'ORGANIZATION', name: ' ', occupation: 'x', aliases: ['', 'y'] }), 'BAD_USER_INPUT', 'input.name');
    expect((error.extensions!.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(['input.aliases[0]', 'input.name', 'input.occupation']);
  });
});

describe('updateEntity', () => {
  it('changes the given fields, clears those set to null, replaces aliases, and moves updatedAt', async () => {
    const created = await createEntity({ kind: 'PERSON', name: 'Ada', aliases: ['A. L.'], occupation: 'writer', description: 'x' });
    const { id, createdAt } = created.data!.createEntity.entity as unknown as { id: string; createdAt: string };
    await new Promise((r) => setTimeout(r, 5));
    const res = await updateEntity({ id, name: 'Ada Lovelace', occupation: null, aliases: ['Augusta Ada King', 'Countess of Lovelace'] });
    expect(res.errors).toBeUndefined();
    const entity = res.data!.updateEntity.entity;
    expect(entity).toMatchObject({ name: 'Ada Lovelace', occupation: null, description: 'x', aliases: ['Augusta Ada King', 'Countess of Lovelace'], slug: 'ada', createdAt });
    expect(entity.updatedAt as string > createdAt).toBe(true);

    const aliasesOnly = await updateEntity({ id, aliases: null });
    expect(aliasesOnly.data!.updateEntity.entity.aliases).toEqual([]);
    expect(aliasesOnly.data!.updateEntity.entity.updatedAt as string >= (entity.updatedAt as string)).toBe(true);
  });

  it('leaves updatedAt alone when nothing changes', async () => {
    const id = await idOf('OpenAI');
    const before = snapshot(app.db);
    const res = await updateEntity({ id, name: 'OpenAI', foundedOn: '2015', legalForm: 'capped for-profit' });
    expect(res.errors).toBeUndefined();
    expect(snapshot(app.db)).toEqual(before);
  });

  it("keeps an event's dates in order and its status, and kind-specific fields to their kind", async () => {
    const founding = await idOf('Founding of OpenAI');
    const musk = await idOf('Musk');
    const before = snapshot(app.db);
    refused(await updateEntity({ id: founding, endDate: '2014' }), 'BAD_USER_INPUT', 'input.endDate');
    refused(await updateEntity({ id: founding, status: null }), 'BAD_USER_INPUT', 'input.status');
    refused(await updateEntity({ id: founding, occupation: 'x' }), 'BAD_USER_INPUT', 'input.occupation');
    refused(await updateEntity({ id: musk, name: null }), 'BAD_USER_INPUT', 'input.name');
    refused(await updateEntity({ id: musk, name: '' }), 'BAD_USER_INPUT', 'input.name');
    refused(await updateEntity({ id: globalId('Person', 9999), name: 'x' }), 'NOT_FOUND', 'input.id');
    refused(await updateEntity({ id: globalId('Organization', Buffer.from(musk, 'base64').toString().split(':')[1]!), name: 'x' }), 'NOT_FOUND', 'input.id');
    refused(await updateEntity({ id: globalId('Claim', 1), name: 'x' }), 'BAD_USER_INPUT', 'input.id');
    expect(snapshot(app.db)).toEqual(before);
    // Clearing another kind's field is harmless.
    const ok = await updateEntity({ id: musk, foundedOn: null, description: 'Entrepreneur.' });
    expect(ok.data!.updateEntity.entity.description).toBe('Entrepreneur.');
  });

  it('refuses a product as its own developer', async () => {
    const grok = await idOf('Grok');
    refused(await updateEntity({ id: grok, developerId: grok }), 'BAD_USER_INPUT', 'input.developerId');
    const musk = await idOf('Musk');
    const res = await updateEntity({ id: grok, developerId: musk });
    expect(res.data!.updateEntity.entity.developer).toEqual({ name: 'Elon Musk' });
  });
});

describe('deleteEntity', () => {
  it('refuses with CONFLICT while anything refers to the entity, saying what', async () => {
    const before = snapshot(app.db);
    const error = refused(await deleteEntity(await idOf('Musk')), 'CONFLICT', 'input.id');
    expect(error.message).toMatch(/^input.id: Person "Elon Musk" is still referenced: \d+ claims are about it, it is the claimant of \d+ claims, it is in \d+ relationships, it takes part in \d+ events/);
    expect(error.extensions?.references).toMatchObject({ claimsAbout: expect.any(Number), relationships: expect.any(Number) });
    const cnbc = refused(await deleteEntity(await idOf('CNBC')), 'CONFLICT');
    expect(cnbc.message).toMatch(/it is the publisher of 1 source/);
    const xai = refused(await deleteEntity(await idOf('xAI')), 'CONFLICT');
    expect(xai.message).toMatch(/it is the developer of 1 product/);
    expect(snapshot(app.db)).toEqual(before);
  });

  it('deletes an unreferenced entity with its aliases and, for an event, its participant list', async () => {
    const place = (await createEntity({ kind: 'PLACE', name: 'Atlantis', aliases: ['Atlantida'] })).data!.createEntity.entity.id;
    const event = (await createEntity({ kind: 'EVENT', name: 'Sinking of Atlantis', status: 'ALLEGED' })).data!.createEntity.entity.id;
    const added = await app.mutate('mutation($e: ID!, $p: ID!) { addEventParticipant(input: { eventId: $e, entityId: $p, role: "place sunk" }) { event { id } } }', { e: event, p: place });
    expect(added.errors).toBeUndefined();
    refused(await deleteEntity(place), 'CONFLICT');
    const gone = await deleteEntity(event);
    expect(gone.data!.deleteEntity.deletedId).toBe(event);
    const deleted = await deleteEntity(place);
    expect(deleted.data!.deleteEntity.deletedId).toBe(place);
    const res = await app.gql<{ nodes: unknown[]; entity: unknown }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } entity(name: "Atlantida") { id } }', { ids: [place, event] });
    expect(res.data).toEqual({ nodes: [null, null], entity: null });
    refused(await deleteEntity(place), 'NOT_FOUND', 'input.id');
  });
});

describe('addEventParticipant', () => {
  it('adds a participant in a role and returns the event; a repeat is a CONFLICT', async () => {
    const event = await idOf('Founding of OpenAI');
    const microsoft = await idOf('Microsoft');
    const add = (role: string, eventId = event, entityId = microsoft) =>
      app.mutate<{ addEventParticipant: { event: { name: string; updatedAt: string; participants: { edges: { role: string; node: { name: string } }[] } }; participant: { name: string } } }>(
        'mutation($i: AddEventParticipantInput!) { addEventParticipant(input: $i) { event { name updatedAt participants { edges { role node { name } } } } participant { name } } }',
        { i: { eventId, entityId, role } },
      );
    app.db.$client.prepare("UPDATE entities SET updated_at = '2000-01-01T00:00:00.000Z'").run();
    const res = await add('  observer ');
    expect(res.errors).toBeUndefined();
    expect(res.data!.addEventParticipant.event.updatedAt > '2000').toBe(true);
    const microsoftStamp = await app.gql<{ node: { updatedAt: string } }>('query($id: ID!) { node(id: $id) { ... on Organization { updatedAt } } }', { id: microsoft });
    expect(microsoftStamp.data!.node.updatedAt).toBe('2000-01-01T00:00:00.000Z');
    expect(res.data!.addEventParticipant.participant.name).toBe('Microsoft');
    expect(res.data!.addEventParticipant.event.participants.edges).toContainEqual({ role: 'observer', node: { name: 'Microsoft' } });

    const before = snapshot(app.db);
    expect(refused(await add('observer'), 'CONFLICT', 'input.role').message).toMatch(/already takes part in "Founding of OpenAI" as "observer"/);
    refused(await add('host', event, event), 'BAD_USER_INPUT', 'input.entityId');
    refused(await add('x', microsoft), 'BAD_USER_INPUT', 'input.eventId');
    refused(await add('x', globalId('Event', Buffer.from(microsoft, 'base64').toString().split(':')[1]!)), 'NOT_FOUND', 'input.eventId');
    refused(await add(' '), 'BAD_USER_INPUT', 'input.role');
    expect(snapshot(app.db)).toEqual(before);
    // Another role is another participation.
    expect((await add('investor')).errors).toBeUndefined();
  });
});

describe('createSource', () => {
  it('creates a source with its publisher, and validates its URL', async () => {
    const cnbc = await idOf('CNBC');
    const res = await app.mutate<{ createSource: { source: Record<string, unknown> } }>(
      'mutation($i: CreateSourceInput!) { createSource(input: $i) { source { slug title kind url publisher { name } publishedOn retrievedOn label createdAt } } }',
      { i: { kind: 'NEWS', title: 'Musk sues OpenAI', url: 'https://www.cnbc.com/2024/03/01/musk-sues-openai.html', publisherId: cnbc, publishedOn: '2024-03-01', retrievedOn: '2024-03-02', label: '[3] Cnbc' } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createSource.source).toMatchObject({ slug: 'musk-sues-openai', kind: 'NEWS', publisher: { name: 'CNBC' }, publishedOn: '2024-03-01', label: '[3] Cnbc' });

    const before = snapshot(app.db);
    const create = (i: Record<string, unknown>) => app.mutate('mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }', { i });
    refused(await create({ kind: 'NEWS', title: 'x', url: 'ftp://example.com/x' }), 'BAD_USER_INPUT', 'input.url');
    refused(await create({ kind: 'NEWS', title: 'x', url: 'not a url' }), 'BAD_USER_INPUT', 'input.url');
    refused(await create({ kind: 'NEWS', title: '' }), 'BAD_USER_INPUT', 'input.title');
    refused(await create({ kind: 'NEWS', title: 'x', publisherId: globalId('Organization', 9999) }), 'NOT_FOUND', 'input.publisherId');
    refused(await create({ kind: 'NEWS', title: 'x', slug: 'article' }), 'CONFLICT', 'input.slug');
    expect(snapshot(app.db)).toEqual(before);
  });
});

describe('createRelationship', () => {
  it('links two entities, derives label and slug, and shows up from both ends', async () => {
    const [musk, microsoft] = [await idOf('Musk'), await idOf('Microsoft')];
    const claims = await app.gql<{ claims: { nodes: { id: string }[] } }>('{ claims(first: 1) { nodes { id } } }');
    const claimId = claims.data!.claims.nodes[0]!.id;
    const res = await app.mutate<{ createRelationship: { relationship: Record<string, unknown> } }>(
      'mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { relationship { slug predicate label subject { name } object { name } validFrom validTo claims { id } } } }',
      { i: { subjectId: musk, predicate: 'criticizes', objectId: microsoft, validFrom: '2023', claimIds: [claimId] } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createRelationship.relationship).toEqual({
      slug: 'elon-musk-criticizes-microsoft',
      predicate: 'criticizes',
      label: 'criticizes',
      subject: { name: 'Elon Musk' },
      object: { name: 'Microsoft' },
      validFrom: '2023',
      validTo: null,
      claims: [{ id: claimId }],
    });
    const incoming = await app.gql<{ entity: { relationships: { nodes: { predicate: string; subject: { name: string } }[] } } }>(
      '{ entity(name: "Microsoft") { relationships(direction: INCOMING, predicate: ["criticizes"]) { nodes { predicate subject { name } } } } }',
    );
    expect(incoming.data!.entity.relationships.nodes).toEqual([{ predicate: 'criticizes', subject: { name: 'Elon Musk' } }]);
  });

  it('refuses a bad predicate, a self-link, a duplicate link and bad ids, writing nothing', async () => {
    const [musk, openai] = [await idOf('Musk'), await idOf('OpenAI')];
    const create = (i: Record<string, unknown>) => app.mutate('mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { relationship { id } } }', { i });
    const before = snapshot(app.db);
    refused(await create({ subjectId: musk, predicate: 'Co-Founded', objectId: openai }), 'BAD_USER_INPUT', 'input.predicate');
    refused(await create({ subjectId: musk, predicate: 'knows', objectId: musk }), 'BAD_USER_INPUT', 'input.objectId');
    refused(await create({ subjectId: musk, predicate: 'knows', objectId: openai, validFrom: '2020', validTo: '2019' }), 'BAD_USER_INPUT', 'input.validTo');
    refused(await create({ subjectId: musk, predicate: 'knows', objectId: globalId('Source', 1) }), 'BAD_USER_INPUT', 'input.objectId');
    refused(await create({ subjectId: musk, predicate: 'knows', objectId: openai, claimIds: [globalId('Claim', 9999)] }), 'NOT_FOUND', 'input.claimIds[0]');
    const duplicate = refused(await create({ subjectId: musk, predicate: 'co_founded', objectId: openai, validFrom: '2015' }), 'CONFLICT');
    expect(duplicate.message).toMatch(/"Elon Musk" co_founded "OpenAI" is already recorded/);
    refused(await create({ subjectId: musk, predicate: 'knows', objectId: openai, slug: 'xai-develops-grok' }), 'CONFLICT', 'input.slug');
    expect(snapshot(app.db)).toEqual(before);
  });
});
