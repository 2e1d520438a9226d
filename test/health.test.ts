import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db';
import { createTestApp, seededFile, TEST_TOKEN } from './support/app';

/**
 * /health on SQLite beside what test/faults.test.ts covers (a full disk, a lost file): damaged
 * data is a storage fault as PostgreSQL's XX001 is (test/postgres-faults.test.ts), and SQLite's
 * answer keeps its fields (the engine is named on PostgreSQL only).
 */

const opened: Database.Database[] = [];
afterAll(() => {
  for (const client of opened) if (client.open) client.close();
});

const health = async (app: ReturnType<typeof createTestApp>) => {
  const res = await app.fetch('/health');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('/health on SQLite', () => {
  it('answers its fields as before, without an engine', async () => {
    expect(await health(createTestApp())).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('says degraded after a request reads a page damaged since start-up, and answers it UNAVAILABLE, not INTERNAL_SERVER_ERROR', async () => {
    const path = seededFile('damaged');
    // The root page of the claims table, overwritten on disk with what no b-tree page holds.
    const probe = new Database(path, { readonly: true });
    const { rootpage } = probe.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'claims'`).get() as { rootpage: number };
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    probe.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootpage - 1) * pageSize);
    closeSync(fd);

    const db = openDatabase({ path });
    opened.push(db.$client);
    const app = createTestApp({ db, apiToken: TEST_TOKEN });
    const res = await app.gql('{ claims(first: 1) { nodes { text } } }');
    expect(res.errors?.map((e) => e.extensions)).toEqual([{ code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) }]);
    expect(res.errors![0]!.message).toMatch(/damaged data on its disk/);
    const degraded = await health(app);
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^SQLITE_CORRUPT\w*: /) });
    // What does not touch the damaged page is still served.
    expect((await app.gql('{ entities(first: 1) { totalCount } }')).errors).toBeUndefined();
  });
});
