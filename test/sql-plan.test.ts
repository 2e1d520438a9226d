import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { compiledStatements } from '../src/db';
import { createTestApp, type TestApp } from './support/app';

let app: TestApp;
beforeAll(() => {
  app = createTestApp();
});

// The statement counts of nested reads are a contract of both engines: test/contract/statements.ts.
describe('statements on SQLite', () => {
  it('compiles each of drizzle\'s statements once per connection, handing it out in the mode asked for', async () => {
    const ids = (await app.gql<{ claims: { nodes: { id: string }[] } }>('{ claims(first: 4) { nodes { id } } }')).data!.claims.nodes.map((c) => c.id);
    const LOOKUP = 'query($id: ID!) { node(id: $id) { ... on Claim { text claimant { name } } } }';
    await app.gql(LOOKUP, { id: ids[0] });
    const afterOne = compiledStatements(app.db);
    expect(afterOne).toBeGreaterThan(0);
    app.resetQueries();
    for (const id of ids.slice(1)) expect((await app.gql(LOOKUP, { id })).errors).toBeUndefined();
    expect(app.queries).toHaveLength(3);
    expect(compiledStatements(app.db)).toBe(afterOne);
    // The same text, as arrays and then as objects.
    expect(await app.db.values(sql`SELECT 1 AS one`)).toEqual([[1]]);
    expect(await app.db.all(sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
  });

});
