import { describe, expect, it } from 'vitest';
import { entities } from '../schema/tables';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { engineOf, transaction } from '../src/db/engine';
import { loadSeed } from '../src/model/seed';
import { createTestApp, silentLogger, type TestApp } from './support/app';

/**
 * A write transaction on SQLite spans awaits, and other requests are served between them: they
 * must read only what is committed, or they would answer (and the response cache would keep) a
 * row that a rollback then removes.
 */
const LOOK = '{ entity(name: "Uncommitted Place") { id } entities(first: 1) { totalCount } }';
type Look = { entity: { id: string } | null; entities: { totalCount: number } };

async function readDuringRolledBackWrite(app: TestApp, read: () => Promise<Look>) {
  let during: Look | undefined;
  await expect(
    transaction(app.db, async (tx) => {
      await tx.insert(entities).values({ slug: 'uncommitted-place', kind: 'PLACE', name: 'Uncommitted Place' });
      during = await read();
      throw new Error('rolled back on purpose');
    }),
  ).rejects.toThrow('rolled back on purpose');
  return during!;
}

describe('a SQLite write transaction', () => {
  it('is never seen by a read served while it is open, and is gone after it rolls back', async () => {
    const app = createTestApp();
    // With the response cache on, as in production: a row read during the write must not be kept.
    const cached = createApp({ db: app.db, logger: silentLogger, responseCache: true });
    const gql = async (): Promise<Look> => {
      const response = await cached.fetch('http://claimgraph.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: LOOK }),
      });
      return ((await response.json()) as { data: Look }).data;
    };
    const before = await gql();
    expect(before.entity).toBeNull();
    const during = await readDuringRolledBackWrite(app, gql);
    expect(during).toEqual(before);
    expect(await gql()).toEqual(before);
    expect((await app.gql<Look>(LOOK)).data).toEqual(before);
  });

  it('commits what it wrote for every later read', async () => {
    const app = createTestApp();
    await transaction(app.db, async (tx) => {
      await tx.insert(entities).values({ slug: 'uncommitted-place', kind: 'PLACE', name: 'Uncommitted Place' });
    });
    expect((await app.gql<Look>(LOOK)).data!.entity).not.toBeNull();
  });

  it("runs on the one connection of a ':memory:' database, where reads see it before it commits (tools only)", async () => {
    const db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    expect(engineOf(db).name).toBe('sqlite');
    const app = createTestApp({ db });
    const during = await readDuringRolledBackWrite(app, async () => (await app.gql<Look>(LOOK)).data!);
    // What a file database's own write connection prevents (and a cache may even keep it).
    expect(during.entity).not.toBeNull();
  });
});
