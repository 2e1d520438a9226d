import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app';

let app: TestApp;
beforeAll(() => {
  app = createTestApp();
});

describe('smoke', () => {
  it('answers a nested query', async () => {
    const res = await app.gql(`{ entity(name: "musk") { __typename name aliases ... on Person { occupation } relationships(first: 50) { totalCount nodes { predicate label subject { name } object { name } validFrom validTo } } events { totalCount edges { role node { name } } } claimsMade { totalCount } } }`);
    console.log(JSON.stringify(res, null, 1).slice(0, 3000));
    expect(res.errors).toBeUndefined();
  });
});
