import { describe, expect, it } from 'vitest';
import { writeAccessChecker } from '../src/auth';
import { createTestApp, TEST_TOKEN } from './support/app';
import { snapshot } from './support/snapshot';

const CREATE = 'mutation { createEntity(input: { kind: PLACE, name: "Atlantis" }) { entity { id name } } }';

describe('write authentication', () => {
  it('refuses every write while no API_TOKEN is configured, saying how to enable writes; reads stay open', async () => {
    const app = createTestApp();
    const before = snapshot(app.db);
    for (const headers of [{}, { authorization: `Bearer ${TEST_TOKEN}` }] as Record<string, string>[]) {
      const res = await app.gql(CREATE, {}, headers);
      expect(res.status).toBe(200);
      expect(res.data).toBeNull();
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0]?.message).toMatch(/writes are disabled.*API_TOKEN/i);
    }
    const read = await app.gql<{ entity: { name: string } }>('{ entity(name: "Musk") { name } }');
    expect(read.data?.entity.name).toBe('Elon Musk');
    expect(snapshot(app.db)).toEqual(before);
  });

  it('refuses a missing, malformed or wrong token with UNAUTHENTICATED and writes nothing', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const before = snapshot(app.db);
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /Authorization: Bearer/],
      [{ authorization: TEST_TOKEN }, /must read `Bearer <token>`/],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, /must read `Bearer <token>`/],
      [{ authorization: 'Bearer ' }, /must read `Bearer <token>`/],
      [{ authorization: 'Bearer wrong-token-0123456789' }, /not valid/],
      [{ authorization: `Bearer ${TEST_TOKEN}x` }, /not valid/],
      [{ authorization: `Bearer ${TEST_TOKEN.slice(0, -1)}` }, /not valid/],
    ];
    for (const [headers, message] of cases) {
      const res = await app.gql(CREATE, {}, headers);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(headers)).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0]?.message, JSON.stringify(headers)).toMatch(message);
    }
    expect(snapshot(app.db)).toEqual(before);
  });

  it('refuses before validating: an unauthenticated caller learns nothing about its input', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const res = await app.gql('mutation { deleteEntity(input: { id: "not-an-id" }) { deletedId } }');
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('accepts the configured token (the scheme is case-insensitive)', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const res = await app.gql<{ createEntity: { entity: { name: string } } }>(CREATE, {}, { authorization: `bearer ${TEST_TOKEN}` });
    expect(res.errors).toBeUndefined();
    expect(res.data?.createEntity.entity.name).toBe('Atlantis');
  });

  it('refuses a mutation sent with GET, even with the token, and writes nothing', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const before = snapshot(app.db);
    const response = await app.fetch(`/graphql?query=${encodeURIComponent(CREATE)}`, {
      method: 'GET',
      headers: { accept: 'application/json', ...app.auth },
    });
    expect(response.status).toBe(405);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toMatch(/POST/);
    expect(snapshot(app.db)).toEqual(before);
  });

  it('compares digests, so tokens of any length are checked without error', () => {
    const check = writeAccessChecker(TEST_TOKEN);
    expect(check(`Bearer ${TEST_TOKEN}`).canWrite).toBe(true);
    expect(check(`Bearer ${'x'.repeat(10_000)}`).canWrite).toBe(false);
    expect(check('Bearer a').canWrite).toBe(false);
    expect(writeAccessChecker(undefined)(`Bearer ${TEST_TOKEN}`).canWrite).toBe(false);
  });
});
