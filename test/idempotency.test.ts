import { beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_MUTATION_ID_MAX_LENGTH, IDEMPOTENCY_KEY_HOURS, IDEMPOTENCY_PRUNE_BATCH } from '../src/model/writes/idempotency';
import { createTestApp, TEST_TOKEN, type TestApp } from './support/app';

let app: TestApp;
let ids: { musk: string; openai: string; article: string; cnbc: string };

beforeEach(async () => {
  app = createTestApp({ apiToken: TEST_TOKEN });
  const res = await app.gql<{ musk: { id: string }; openai: { id: string }; sources: { nodes: { id: string; slug: string }[] } }>(
    '{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } sources { nodes { id slug } } }',
  );
  const source = (slug: string) => res.data!.sources.nodes.find((s) => s.slug === slug)!.id;
  ids = { musk: res.data!.musk.id, openai: res.data!.openai.id, article: source('article'), cnbc: source('note-2-cnbc') };
});

type GqlError = { message: string; extensions?: Record<string, unknown> };
const count = (table: string) => app.db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

const CREATE_ENTITY = 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { clientMutationId entity { id slug name } } }';
type CreatedEntity = { createEntity: { clientMutationId: string | null; entity: { id: string; slug: string; name: string } } };
const createEntity = (input: Record<string, unknown>, on = app) => on.mutate<CreatedEntity>(CREATE_ENTITY, { i: input });

function refused(res: { data?: unknown; errors?: readonly GqlError[] }, code: string, field: string): GqlError {
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code, error.message).toBe(code);
  expect(error.extensions?.field).toBe(field);
  expect(error.message).toContain(field);
  return error;
}

describe('a retry with the same clientMutationId', () => {
  it('createClaim: writes once and returns the same claim, echoing the key', async () => {
    const claims = count('claims');
    const subjects = count('claim_subjects');
    const query = 'mutation($i: CreateClaimInput!) { createClaim(input: $i) { clientMutationId claim { id slug support } } }';
    const input = {
      clientMutationId: 'claim-1',
      text: 'OpenAI retried this claim.',
      kind: 'FACT',
      appearsInId: ids.article,
      aboutIds: [ids.openai, ids.musk],
      citations: [{ sourceId: ids.cnbc, stance: 'SUPPORTS', locator: 'para. 1' }],
    };
    const first = await app.mutate<{ createClaim: { clientMutationId: string; claim: { id: string; slug: string; support: string } } }>(query, { i: input });
    expect(first.errors).toBeUndefined();
    expect(first.data!.createClaim.clientMutationId).toBe('claim-1');
    const second = await app.mutate(query, { i: input });
    expect(second).toEqual(first);
    expect(count('claims')).toBe(claims + 1);
    expect(count('claim_subjects')).toBe(subjects + 2);
  });

  it('createEntity: writes once, whatever the order of the input fields', async () => {
    const entities = count('entities');
    const first = await createEntity({ clientMutationId: 'e-1', kind: 'PERSON', name: 'Retried Person', aliases: ['RP'], occupation: 'tester' });
    expect(first.errors).toBeUndefined();
    const reordered = await createEntity({ occupation: 'tester', aliases: ['RP'], name: 'Retried Person', kind: 'PERSON', clientMutationId: 'e-1' });
    expect(reordered.data).toEqual(first.data);
    expect(count('entities')).toBe(entities + 1);
    // Without the key, the same input writes again: a second entity with the next free slug.
    const again = await createEntity({ kind: 'PERSON', name: 'Retried Person' });
    expect(again.data!.createEntity).toMatchObject({ clientMutationId: null, entity: { slug: 'retried-person-2' } });
  });

  it('addCitation: writes once; without the key the second would be a CONFLICT', async () => {
    const query =
      'mutation($i: AddCitationInput!) { addCitation(input: $i) { clientMutationId citation { id stance } claim { id citations { id } } } }';
    const claim = await app.mutate<{ createClaim: { claim: { id: string } } }>(
      'mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id } } }',
      { i: { text: 'A claim to cite.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.openai] } },
    );
    const input = { claimId: claim.data!.createClaim.claim.id, sourceId: ids.cnbc, stance: 'SUPPORTS', locator: 'p. 4' };
    const citations = count('citations');
    const first = await app.mutate<{ addCitation: { citation: { id: string } } }>(query, { i: { ...input, clientMutationId: 'cite' } });
    expect(first.errors).toBeUndefined();
    const retried = await app.mutate(query, { i: { ...input, clientMutationId: 'cite' } });
    expect(retried).toEqual(first);
    expect(count('citations')).toBe(citations + 1);
    refused(await app.mutate(query, { i: input }), 'CONFLICT', 'input.sourceId');
  });

  it('deleteEntity: answers the same deletedId; without the key the second would be NOT_FOUND', async () => {
    const query = 'mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { clientMutationId deletedId } }';
    const created = await createEntity({ kind: 'PLACE', name: 'Doomed place' });
    const id = created.data!.createEntity.entity.id;
    const first = await app.mutate(query, { i: { id, clientMutationId: 'delete-doomed' } });
    expect(first.data).toEqual({ deleteEntity: { clientMutationId: 'delete-doomed', deletedId: id } });
    expect(await app.mutate(query, { i: { id, clientMutationId: 'delete-doomed' } })).toEqual(first);
    refused(await app.mutate(query, { i: { id } }), 'NOT_FOUND', 'input.id');
  });

  it('updateEntity: returns the entity as it is now, without touching it again', async () => {
    const query = 'mutation($i: UpdateEntityInput!) { updateEntity(input: $i) { entity { id name updatedAt } } }';
    const created = await createEntity({ kind: 'PERSON', name: 'Before' });
    const id = created.data!.createEntity.entity.id;
    const first = await app.mutate<{ updateEntity: { entity: { updatedAt: string } } }>(query, { i: { id, name: 'After', clientMutationId: 'rename' } });
    expect(first.errors).toBeUndefined();
    const second = await app.mutate<{ updateEntity: { entity: { updatedAt: string } } }>(query, { i: { id, name: 'Later', clientMutationId: 'rename-2' } });
    const retried = await app.mutate<{ updateEntity: { entity: { name: string; updatedAt: string } } }>(query, {
      i: { id, name: 'After', clientMutationId: 'rename' },
    });
    // The first rename is not applied again over the second: the key answers with today's entity, untouched since.
    expect(retried.data!.updateEntity.entity.name).toBe('Later');
    expect(retried.data!.updateEntity.entity.updatedAt).toBe(second.data!.updateEntity.entity.updatedAt);
  });

  it('arriving twice at once, writes once', async () => {
    const entities = count('entities');
    const input = { clientMutationId: 'twice', kind: 'PERSON', name: 'Sent twice' };
    const [a, b] = await Promise.all([createEntity(input), createEntity(input)]);
    expect(a.errors).toBeUndefined();
    expect(b).toEqual(a);
    expect(count('entities')).toBe(entities + 1);
  });

  it('whose entity has been deleted since is NOT_FOUND, not a failure', async () => {
    const first = await createEntity({ clientMutationId: 'gone', kind: 'PLACE', name: 'Short-lived' });
    await app.mutate('mutation($id: ID!) { deleteEntity(input: { id: $id }) { deletedId } }', { id: first.data!.createEntity.entity.id });
    const retried = await createEntity({ clientMutationId: 'gone', kind: 'PLACE', name: 'Short-lived' });
    expect(retried.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(retried.errors![0]!.message).toMatch(/deleted since/);
    expect(count("entities WHERE name = 'Short-lived'")).toBe(0);
  });
});

describe('the same clientMutationId', () => {
  it('with a different input is a CONFLICT naming it, and writes nothing', async () => {
    await createEntity({ clientMutationId: 'k', kind: 'PERSON', name: 'First' });
    const entities = count('entities');
    const error = refused(await createEntity({ clientMutationId: 'k', kind: 'PERSON', name: 'Second' }), 'CONFLICT', 'input.clientMutationId');
    expect(error.message).toMatch(/"k" was already used with a different input/);
    // Null and omitted are different inputs: on update, null clears a field.
    await createEntity({ clientMutationId: 'n', kind: 'PERSON', name: 'Third' });
    refused(await createEntity({ clientMutationId: 'n', kind: 'PERSON', name: 'Third', description: null }), 'CONFLICT', 'input.clientMutationId');
    expect(count('entities')).toBe(entities + 1);
  });

  it('sent to another mutation is a CONFLICT naming it', async () => {
    await createEntity({ clientMutationId: 'shared', kind: 'PERSON', name: 'First' });
    const res = await app.mutate('mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }', {
      i: { clientMutationId: 'shared', kind: 'NEWS', title: 'Unrelated' },
    });
    expect(refused(res, 'CONFLICT', 'input.clientMutationId').message).toMatch(/already used by createEntity/);
    expect(count("sources WHERE title = 'Unrelated'")).toBe(0);
  });

  it('from another token is independent', async () => {
    const other = createTestApp({ db: app.db, apiToken: 'another-token-0123456789' });
    const mine = await createEntity({ clientMutationId: 'same', kind: 'PERSON', name: 'Mine' });
    const theirs = await createEntity({ clientMutationId: 'same', kind: 'PERSON', name: 'Theirs' }, other);
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data!.createEntity.entity.id).not.toBe(mine.data!.createEntity.entity.id);
    // Each token's retry finds its own first result.
    expect((await createEntity({ clientMutationId: 'same', kind: 'PERSON', name: 'Theirs' }, other)).data).toEqual(theirs.data);
    expect((await createEntity({ clientMutationId: 'same', kind: 'PERSON', name: 'Mine' })).data).toEqual(mine.data);
    expect(count('idempotency_keys')).toBe(2);
    // The token itself is not stored.
    expect(JSON.stringify(app.db.$client.prepare('SELECT * FROM idempotency_keys').all())).not.toContain(TEST_TOKEN);
  });
});

describe('without a clientMutationId', () => {
  it('every request writes, and no key is kept', async () => {
    const entities = count('entities');
    const input = { kind: 'PERSON', name: 'No key' };
    const [a, b] = [await createEntity(input), await createEntity(input)];
    expect(a.data!.createEntity.entity.id).not.toBe(b.data!.createEntity.entity.id);
    expect(a.data!.createEntity.clientMutationId).toBeNull();
    expect(count('entities')).toBe(entities + 2);
    expect(count('idempotency_keys')).toBe(0);
  });
});

describe('a refused write', () => {
  it('stores no key: the same key with a corrected input then writes', async () => {
    refused(await createEntity({ clientMutationId: 'fix-me', kind: 'PERSON', name: '   ' }), 'BAD_USER_INPUT', 'input.name');
    refused(await createEntity({ clientMutationId: 'fix-me', kind: 'PERSON', name: 'Musk', slug: 'elon-musk' }), 'CONFLICT', 'input.slug');
    refused(await createEntity({ clientMutationId: 'fix-me', kind: 'PERSON', name: 'X', developerId: ids.article }), 'BAD_USER_INPUT', 'input.developerId');
    expect(count('idempotency_keys')).toBe(0);
    const fixed = await createEntity({ clientMutationId: 'fix-me', kind: 'PERSON', name: 'Fixed' });
    expect(fixed.errors).toBeUndefined();
    expect(count('idempotency_keys')).toBe(1);
  });

  it(`refuses a clientMutationId that is empty or longer than ${CLIENT_MUTATION_ID_MAX_LENGTH} characters`, async () => {
    const entities = count('entities');
    for (const key of ['', 'k'.repeat(CLIENT_MUTATION_ID_MAX_LENGTH + 1)]) {
      const error = refused(await createEntity({ clientMutationId: key, kind: 'PERSON', name: 'Bounded' }), 'BAD_USER_INPUT', 'input.clientMutationId');
      expect(error.message).toContain(`1 to ${CLIENT_MUTATION_ID_MAX_LENGTH} characters`);
    }
    expect(count('entities')).toBe(entities);
    const longest = 'k'.repeat(CLIENT_MUTATION_ID_MAX_LENGTH);
    expect((await createEntity({ clientMutationId: longest, kind: 'PERSON', name: 'Bounded' })).data!.createEntity.clientMutationId).toBe(longest);
  });
});

describe('keys', () => {
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  const age = (key: string, hours: number) =>
    app.db.$client.prepare('UPDATE idempotency_keys SET created_at = ? WHERE client_mutation_id = ?').run(hoursAgo(hours), key);

  it(`are honoured for ${IDEMPOTENCY_KEY_HOURS} hours; an older one is forgotten and writes again`, async () => {
    const first = await createEntity({ clientMutationId: 'old', kind: 'PERSON', name: 'Aged' });
    age('old', IDEMPOTENCY_KEY_HOURS - 0.1);
    expect((await createEntity({ clientMutationId: 'old', kind: 'PERSON', name: 'Aged' })).data).toEqual(first.data);
    age('old', IDEMPOTENCY_KEY_HOURS + 0.1);
    const later = await createEntity({ clientMutationId: 'old', kind: 'PERSON', name: 'Aged' });
    expect(later.data!.createEntity.entity.id).not.toBe(first.data!.createEntity.entity.id);
    expect(count("idempotency_keys WHERE client_mutation_id = 'old'")).toBe(1);
  });

  it(`expired are pruned by keyed writes, at most ${IDEMPOTENCY_PRUNE_BATCH} per write, oldest first`, async () => {
    const expired = IDEMPOTENCY_PRUNE_BATCH + 20;
    const insert = app.db.$client.prepare(
      "INSERT INTO idempotency_keys (writer, client_mutation_id, mutation, input_hash, result, created_at) VALUES ('w', ?, 'createEntity', 'h', '{}', ?)",
    );
    for (let i = 0; i < expired; i++) insert.run(`expired-${i}`, hoursAgo(IDEMPOTENCY_KEY_HOURS + 1 + (expired - i) / 100));
    insert.run('fresh', hoursAgo(1));
    await createEntity({ clientMutationId: 'p-1', kind: 'PERSON', name: 'Pruner 1' });
    expect(count("idempotency_keys WHERE client_mutation_id LIKE 'expired-%'")).toBe(expired - IDEMPOTENCY_PRUNE_BATCH);
    // The newest expired ones are what is left.
    expect(count(`idempotency_keys WHERE client_mutation_id = 'expired-${expired - 1}'`)).toBe(1);
    await createEntity({ clientMutationId: 'p-2', kind: 'PERSON', name: 'Pruner 2' });
    expect(app.db.$client.prepare('SELECT client_mutation_id FROM idempotency_keys ORDER BY client_mutation_id').pluck().all()).toEqual([
      'fresh',
      'p-1',
      'p-2',
    ]);
  });
});

describe('a key and its write', () => {
  it('commit together: when the key cannot be stored, the write is undone too', async () => {
    const entities = count('entities');
    app.db.$client.exec("CREATE TRIGGER refuse_keys BEFORE INSERT ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'no keys today'); END");
    const res = await createEntity({ clientMutationId: 'atomic', kind: 'PERSON', name: 'Half written' });
    expect(res.errors).toHaveLength(1);
    expect(count('entities')).toBe(entities);
    app.db.$client.exec('DROP TRIGGER refuse_keys');
    expect((await createEntity({ clientMutationId: 'atomic', kind: 'PERSON', name: 'Half written' })).errors).toBeUndefined();
    expect(count('entities')).toBe(entities + 1);
  });
});
