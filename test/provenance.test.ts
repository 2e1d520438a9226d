import { describe, expect, it } from 'vitest';
import { NO_BASIS_NOTE } from '../src/model/fields';
import { ImportError, importDocument } from '../src/model/import';
import { createTestApp } from './support/app';

/*
 * Issue 15, the parts that are SQLite's own: importing a document (import writes through SQLite;
 * PostgreSQL is seeded through it) and the SQLite migration that added the bases. What the API
 * answers about bases is in the shared contract suite (test/contract/provenance.ts).
 */

describe('imports take a basis', () => {
  it('an older document imports: contradicts become INFERRED with a note, a relationship with claims STATED', () => {
    const db = createTestApp().db;
    importDocument(db, {
      format: 'claimgraph/v1',
      claims: { 'old-a': { text: 'Old A.', kind: 'FACT', appearsIn: 'article', about: ['openai'], contradicts: ['old-b'] }, 'old-b': { text: 'Old B.', kind: 'FACT', appearsIn: 'article', about: ['openai'] } },
      relationships: {
        'old-stated': { subject: 'elon-musk', predicate: 'old_probe', label: 'old probe', object: 'tesla', claims: ['old-a'] },
        'old-bare': { subject: 'elon-musk', predicate: 'old_bare', label: 'old bare', object: 'tesla' },
      },
    });
    const rows = db.$client.prepare("SELECT slug, basis, basis_note AS note FROM relationships WHERE slug LIKE 'old-%' ORDER BY slug").all();
    expect(rows).toEqual([
      { slug: 'old-bare', basis: 'INFERRED', note: NO_BASIS_NOTE },
      { slug: 'old-stated', basis: 'STATED', note: null },
    ]);
    const pairs = db.$client
      .prepare("SELECT a.slug AS a, b.slug AS b, x.basis, x.basis_note AS note FROM claim_contradictions x JOIN claims a ON a.id = x.claim_id JOIN claims b ON b.id = x.contradicts_id WHERE a.slug LIKE 'old-%' ORDER BY a.slug")
      .all();
    expect(pairs).toEqual([
      { a: 'old-a', b: 'old-b', basis: 'INFERRED', note: NO_BASIS_NOTE },
      { a: 'old-b', b: 'old-a', basis: 'INFERRED', note: NO_BASIS_NOTE },
    ]);
  });
});

describe('the migration that adds bases', () => {
  it('gives stored rows a basis, keeps the triggers that name entities working, and lets entities be GROUPs', async () => {
    const { cpSync, mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { migrate } = await import('drizzle-orm/better-sqlite3/migrator');
    const { MIGRATIONS_FOLDER, migrateDatabase, openDatabase } = await import('../src/db/index');
    // The migrations before this one, applied to a database holding rows of the old shape.
    const before = mkdtempSync(join(tmpdir(), 'claimgraph-migrations-'));
    try {
      for (const name of readdirSync(MIGRATIONS_FOLDER).filter((n) => n < '20261206044100')) cpSync(join(MIGRATIONS_FOLDER, name), join(before, name), { recursive: true });
      const db = openDatabase({ path: ':memory:' });
      migrate(db, { migrationsFolder: before });
      const c = db.$client;
      c.exec(`
        INSERT INTO entities (slug, kind, name) VALUES ('a', 'PERSON', 'Ann'), ('b', 'ORGANIZATION', 'Bee Corp');
        INSERT INTO entity_aliases (entity_id, alias, position) VALUES (1, 'Annie', 0);
        INSERT INTO sources (slug, kind, title) VALUES ('s', 'ARTICLE', 'A source');
        INSERT INTO claims (slug, text, kind, appears_in_id) VALUES ('c1', 'One.', 'FACT', 1), ('c2', 'Two.', 'FACT', 1);
        INSERT INTO claim_contradictions (claim_id, contradicts_id) VALUES (1, 2), (2, 1);
        INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('with-claims', 1, 'knows', 'knows', 2), ('bare', 1, 'likes', 'likes', 2);
        INSERT INTO relationship_claims (relationship_id, claim_id) VALUES (1, 1);
      `);
      migrateDatabase(db);
      expect(c.prepare('SELECT slug, basis, basis_note IS NOT NULL AS noted FROM relationships ORDER BY id').all()).toEqual([
        { slug: 'with-claims', basis: 'STATED', noted: 0 },
        { slug: 'bare', basis: 'INFERRED', noted: 1 },
      ]);
      expect(c.prepare('SELECT DISTINCT basis, basis_note IS NOT NULL AS noted FROM claim_contradictions').all()).toEqual([{ basis: 'INFERRED', noted: 1 }]);
      // Rows, aliases and the adjacency list survived the rebuild of `entities`; foreign keys hold.
      expect(c.prepare('SELECT count(*) FROM entity_aliases').pluck().get()).toBe(1);
      expect(c.prepare('SELECT count(*) FROM relationship_ends').pluck().get()).toBe(4);
      expect(c.pragma('foreign_key_check')).toEqual([]);
      expect(c.pragma('foreign_keys', { simple: true })).toBe(1);
      // The search and cache triggers on entities are back.
      c.prepare("INSERT INTO entities (slug, kind, name) VALUES ('critics', 'GROUP', 'Critics')").run();
      expect(c.prepare("SELECT count(*) FROM search_index WHERE search_index MATCH 'critics'").pluck().get()).toBeGreaterThan(0);
      expect(c.prepare("SELECT count(*) FROM cache_changes WHERE tag = 'Entity:3'").pluck().get()).toBe(1);
      c.prepare("UPDATE entity_aliases SET alias = 'Annabel' WHERE id = 1").run();
      expect(c.prepare("SELECT count(*) FROM search_index WHERE search_index MATCH 'annabel'").pluck().get()).toBeGreaterThan(0);
    } finally {
      rmSync(before, { recursive: true, force: true });
    }
  });
});

describe('what is refused', () => {
  const issues = (doc: unknown) => {
    try {
      importDocument(createTestApp().db, doc);
    } catch (error) {
      if (error instanceof ImportError) return error.issues.map((i) => `${i.path}: ${i.message}`);
      throw error;
    }
    return [];
  };

  it('an import: a Wikidata source without an id, an inferred edge without a note, one pair with two bases', () => {
    expect(issues({ format: 'claimgraph/v1', entities: { x: { kind: 'GROUP', name: 'Critics', wikidataSource: 'wikidata' } } })).toEqual([
      '$.entities.x.wikidataSource: a wikidataSource is the source of a wikidataId: give the id too',
    ]);
    expect(
      issues({ format: 'claimgraph/v1', relationships: { r: { subject: 'elon-musk', predicate: 'probes', label: 'probes', object: 'tesla', basis: 'INFERRED' } } }),
    ).toEqual(['$.relationships.r.basisNote: an INFERRED edge says from what it was inferred: give basisNote']);
    const claim = (contradictions: unknown[]) => ({ text: 'A probe.', kind: 'POSITION', appearsIn: 'article', about: ['elon-musk'], contradictions });
    expect(
      issues({
        format: 'claimgraph/v1',
        claims: {
          'probe-a': claim([{ claim: 'probe-b', basis: 'STATED', quote: 'A passage.' }]),
          'probe-b': claim([{ claim: 'probe-a', basis: 'INFERRED', note: 'Read from both.' }]),
        },
      }),
    ).toEqual(['$.claims.probe-b.contradictions[0]: claim "probe-a" lists this contradiction with another basis; it is one link: give it once, or the same on both']);
  });

});
