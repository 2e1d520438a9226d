import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { batchInsert, bulkLoad, rebuildDerived } from '../src/db/bulk';
import { generateFile, generateGraph } from '../src/model/generate';
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

/**
 * Columns left out of the fingerprint: timestamps, and the provenance columns added after it was
 * pinned, which the generator leaves at their defaults (so its graph did not change).
 */
const UNHASHED = ['created_at', 'updated_at', 'basis', 'basis_note', 'basis_quote', 'wikidata_source_id'].map((c) => `'${c}'`).join(', ');

/** Every row of the base tables but their timestamps, hashed: equal hashes, equal graphs. */
function fingerprint(client: Database.Database): string {
  const hash = createHash('sha256');
  for (const table of BASE_TABLES) {
    const columns = client.prepare(`SELECT name FROM pragma_table_info('${table}') WHERE name NOT IN (${UNHASHED})`).pluck().all() as string[];
    for (const row of client.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY id`).raw().all()) hash.update(JSON.stringify(row));
  }
  return hash.digest('hex');
}

const SETTINGS = "SELECT k, v FROM search_index_config WHERE k <> 'version' ORDER BY k";

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

describe('batchInsert', () => {
  it('inserts in the order rows were added, sends a batch `after` first, and counts what INSERT OR IGNORE kept', () => {
    const { db } = createTestApp({ seed: false });
    const entities = batchInsert(db, 'INSERT INTO entities', ['id', 'slug', 'kind', 'name'], { rows: 3 });
    const aliases = batchInsert(db, 'INSERT OR IGNORE INTO entity_aliases', ['entity_id', 'alias', 'position'], { after: entities, rows: 2 });
    for (let i = 1; i <= 7; i++) {
      entities.add(i, `e${i}`, 'PLACE', `Place ${i}`);
      // Each alias names the entity just queued: the aliases' batch must send the entities' first.
      aliases.add(i, `Alias ${i}`, 0);
      if (i % 2) aliases.add(i, `alias ${i}`, 1); // the same alias (case aside): ignored
    }
    aliases.flush();
    const c = db.$client;
    expect(c.prepare('SELECT id FROM entities ORDER BY rowid').pluck().all()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(c.prepare('SELECT entity_id FROM entity_aliases ORDER BY id').pluck().all()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(aliases.changes).toBe(7);
    expect(entities.changes).toBe(7);
  });
});

describe('the generated graph', () => {
  const OPTIONS = { entities: 300, relationships: 1500, claims: 600, sources: 30, seed: 3, minCitations: 0, maxCitations: 3 };

  it('is the same row for row as it has always been for these options', () => {
    // Benchmarks compare runs across versions: a faster generator must not change the graph.
    const { db } = createTestApp({ seed: false });
    generateGraph(db, OPTIONS);
    expect(fingerprint(db.$client)).toBe('710ce755a76b8cb2de5767343f7c9a4f956ec0242d6d05a575577c27316e5682');
  });

  it('comes out of generateFile the same, in WAL mode, with statistics and a one-segment search index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'claimgraph-generate-'));
    try {
      const path = join(dir, 'graph.db');
      const report = generateFile(path, OPTIONS);
      const file = new Database(path, { readonly: true });
      try {
        const memory = createTestApp({ seed: false }).db;
        expect(generateGraph(memory, OPTIONS)).toEqual(report);
        expect(fingerprint(file)).toBe(fingerprint(memory.$client));
        expect(file.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(file.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").pluck().get()).toBe(1);
        expect(file.prepare('SELECT count(DISTINCT segid) FROM search_index_idx').pluck().get()).toBe(1);
        expect(file.prepare(SETTINGS).all()).toEqual([{ k: 'hashsize', v: 1024 * 1024 }]);
      } finally {
        file.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is checked for references to missing rows, and a new file whose load fails is removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'claimgraph-generate-'));
    try {
      const path = join(dir, 'graph.db');
      // One entity, but links drawn among two: the second does not exist.
      expect(() => generateFile(path, { entities: 1, relationships: 20, claims: 0, sources: 1, seed: 1 })).toThrow(/refer to missing rows/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rebuilding the search index keeps its settings', () => {
    const { db } = createTestApp();
    const c = db.$client;
    c.exec("INSERT INTO search_index (search_index, rank) VALUES ('rank', 'bm25(1.0, 1.0, 10.0, 5.0, 1.0)')");
    c.exec("INSERT INTO search_index (search_index, rank) VALUES ('hashsize', 65536)");
    const before = c.prepare(SETTINGS).all();
    const rows = c.prepare('SELECT count(*) FROM search_index').pluck().get();
    c.transaction(() => rebuildDerived(db))();
    expect(c.prepare(SETTINGS).all()).toEqual(before);
    expect(c.prepare('SELECT count(*) FROM search_index').pluck().get()).toBe(rows);
  });
});
