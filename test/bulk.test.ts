import { describe, expect, it } from 'vitest';
import { bulkLoad, rebuildDerived } from '../src/db/bulk';
import { generateGraph } from '../src/model/generate';
import { createTestApp } from './support/app';

const BASE_TABLES = [
  'entities',
  'entity_aliases',
  'event_participants',
  'relationships',
  'sources',
  'claims',
  'claim_subjects',
  'claim_contradictions',
  'relationship_claims',
  'citations',
];

/** Everything the triggers derive, in a comparable form. */
function derived(db: ReturnType<typeof createTestApp>['db']) {
  const c = db.$client;
  return {
    ends: c.prepare('SELECT entity_id, relationship_id, direction, other_id FROM relationship_ends ORDER BY relationship_id, direction').all(),
    support: c.prepare('SELECT id, support FROM claims ORDER BY id').all(),
    search: c.prepare('SELECT rowid, kind, ref_id, name, aliases, body FROM search_index ORDER BY rowid').all(),
    schema: c.prepare("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name").all(),
  };
}

describe('derived data', () => {
  it('rebuilt in bulk equals what the triggers maintain row by row', () => {
    // The generator loads in bulk; copying its rows one INSERT at a time makes the triggers work.
    const bulk = createTestApp({ seed: false }).db;
    generateGraph(bulk, { entities: 300, relationships: 1500, claims: 600, sources: 30, seed: 3, minCitations: 0, maxCitations: 3 });
    const rowByRow = createTestApp({ seed: false }).db;
    for (const table of BASE_TABLES) {
      const rows = bulk.$client.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Record<string, unknown>[];
      if (rows.length === 0) continue;
      const columns = Object.keys(rows[0]!);
      const insert = rowByRow.$client.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
      rowByRow.$client.transaction(() => rows.forEach((row) => insert.run(row)))();
    }
    const triggered = derived(rowByRow);
    expect(triggered.support.some((r) => (r as { support: string }).support === 'CONTESTED')).toBe(true);
    expect(triggered.ends.length).toBe(3000);
    // Row ids of the adjacency list may differ; everything else must not.
    expect(derived(bulk)).toEqual(triggered);
    rowByRow.$client.transaction(() => rebuildDerived(rowByRow))();
    expect(derived(rowByRow)).toEqual(triggered);
  });

  it('bulkLoad puts every trigger and index back, and keeps them working', () => {
    const { db } = createTestApp();
    const schemaBefore = derived(db).schema;
    bulkLoad(db, () => {
      db.$client.exec("INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('bulk-r', 1, 'knows', 'knows', 2)");
    });
    expect(derived(db).schema).toEqual(schemaBefore);
    db.$client.exec("INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('after-r', 2, 'knows', 'knows', 3)");
    const ends = db.$client.prepare("SELECT count(*) AS n FROM relationship_ends e JOIN relationships r ON r.id = e.relationship_id WHERE r.slug IN ('bulk-r', 'after-r')").get() as { n: number };
    expect(ends.n).toBe(4);
  });

  it('bulkLoad changes nothing when the load fails', () => {
    const { db } = createTestApp();
    const before = derived(db);
    expect(() =>
      bulkLoad(db, () => {
        db.$client.exec("INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('doomed', 1, 'knows', 'knows', 2)");
        throw new Error('load failed');
      }),
    ).toThrow('load failed');
    expect(derived(db)).toEqual(before);
  });
});
