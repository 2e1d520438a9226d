/**
 * search_term_counts (migrations/sqlite/*_search_term_counts) says how many documents of the search index
 * hold each word; search reads it to tell common words from rare ones and to expand a long last
 * word. It must equal the index itself after every kind of write: mutations, imports, cascades,
 * plain SQL and bulk loads.
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db';
import { bulkLoad } from '../src/db/bulk';
import { generateGraph } from '../src/model/generate';
import { importDocument } from '../src/model/import';
import { COMMON_WORD_DOCUMENTS, COUNT_CAP, search } from '../src/model/search';
import { createTestApp, globalId, TEST_TOKEN } from './support/app';

/** The words search_term_counts holds and the index does not, or with other counts; and the reverse. */
function miscounted(db: Db) {
  const c = db.$client;
  const rows = (sql: string) => c.prepare(sql).raw().all();
  return {
    counted: rows('SELECT term, documents FROM search_term_counts EXCEPT SELECT term, doc FROM search_index_terms WHERE doc > 0'),
    indexed: rows('SELECT term, doc FROM search_index_terms WHERE doc > 0 EXCEPT SELECT term, documents FROM search_term_counts'),
  };
}
const EXACT = { counted: [], indexed: [] };

describe('search_term_counts', () => {
  it('counts the seeded graph', () => {
    const { db } = createTestApp();
    expect(db.$client.prepare('SELECT count(*) FROM search_term_counts').pluck().get()).toBeGreaterThan(300);
    expect(miscounted(db)).toEqual(EXACT);
  });

  it('stays exact through every kind of write', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    const c = app.db.$client;
    const mutate = async <T>(query: string, variables: Record<string, unknown>) => {
      const res = await app.mutate<T>(query, variables);
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      expect(miscounted(app.db), query.slice(0, 60)).toEqual(EXACT);
      return res.data!;
    };
    const sqlWrite = (sql: string, ...params: unknown[]) => {
      c.prepare(sql).run(...params);
      expect(miscounted(app.db), sql).toEqual(EXACT);
    };
    const someSource = globalId('Source', c.prepare('SELECT id FROM sources ORDER BY id LIMIT 1').pluck().get() as number);

    const { createEntity } = await mutate<{ createEntity: { entity: { id: string } } }>(
      'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }',
      { i: { kind: 'ORGANIZATION', name: 'Quorvex Analytics', aliases: ['QVX', 'Quorvex'], description: 'Counts words for a living.' } },
    );
    const org = createEntity.entity.id;
    await mutate('mutation($i: UpdateEntityInput!) { updateEntity(input: $i) { entity { id } } }', {
      i: { id: org, name: 'Quorvex Labs', aliases: ['QVX Labs'], description: 'No longer counts words.' },
    });
    await mutate('mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }', {
      i: { kind: 'NEWS', title: 'Quorvex Labs counts words again', publisherId: org, publishedOn: '2024-05' },
    });
    const { createClaim } = await mutate<{ createClaim: { claim: { id: string } } }>(
      'mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id } } }',
      { i: { text: 'Quorvex Labs counted every word twice in 2024.', kind: 'FACT', appearsInId: someSource, aboutIds: [org] } },
    );
    const claimId = Number(Buffer.from(createClaim.claim.id, 'base64').toString().split(':')[1]);
    sqlWrite("UPDATE claims SET text = 'Quorvex Labs counted each word once.' WHERE id = ?", claimId);
    sqlWrite("UPDATE sources SET title = 'Quorvex Labs, revisited', label = 'a second look' WHERE title LIKE 'Quorvex%'");
    sqlWrite("UPDATE entity_aliases SET alias = 'Quorvex Laboratories' WHERE alias = 'QVX Labs'");
    sqlWrite("INSERT INTO entity_aliases (entity_id, alias, position) SELECT entity_id, 'Wordcounters', 9 FROM entity_aliases WHERE alias = 'Quorvex Laboratories'");
    sqlWrite("DELETE FROM entity_aliases WHERE alias = 'Wordcounters'");
    importDocument(app.db, {
      format: 'claimgraph/v1',
      entities: { 'quorvex-rival': { kind: 'ORGANIZATION', name: 'Zentrivo Counting', aliases: ['Zentrivo'], description: 'Counts, too.' } },
    });
    expect(miscounted(app.db)).toEqual(EXACT);
    importDocument(app.db, {
      format: 'claimgraph/v1',
      entities: { 'quorvex-rival': { kind: 'ORGANIZATION', name: 'Zentrivo Tallies', aliases: [] } },
    });
    expect(miscounted(app.db)).toEqual(EXACT);
    sqlWrite('DELETE FROM claims WHERE id = ?', claimId);
    sqlWrite("DELETE FROM sources WHERE title LIKE 'Quorvex%'");
    await mutate('mutation($id: ID!) { deleteEntity(input: { id: $id }) { deletedId } }', { id: org });
    // Gone with their last document.
    expect(c.prepare("SELECT count(*) FROM search_term_counts WHERE term IN ('quorvex', 'qvx', 'laboratories')").pluck().get()).toBe(0);
  });

  it('is counted from the index by a bulk load, as the triggers count it', () => {
    const { db } = createTestApp({ seed: false });
    generateGraph(db, { entities: 300, relationships: 600, claims: 600, sources: 30, seed: 4, minCitations: 0, maxCitations: 2 });
    expect(miscounted(db)).toEqual(EXACT);
    db.$client.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ('after-bulk', 'Written after the bulk load.', 'FACT', 'DIRECT', 1)").run();
    expect(miscounted(db)).toEqual(EXACT);
    bulkLoad(db, () => db.$client.prepare("DELETE FROM claims WHERE slug = 'after-bulk'").run());
    expect(miscounted(db)).toEqual(EXACT);
  });

  it('makes a word common at its 10,000th document and rare again below, as search sees it', async () => {
    const { db } = createTestApp();
    const c = db.$client;
    const source = c.prepare('SELECT id FROM sources ORDER BY id LIMIT 1').pluck().get() as number;
    const insert = c.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES (?, ?, 'FACT', 'DIRECT', ?)");
    // Quickly to one document short, in bulk; then one at a time through the triggers.
    bulkLoad(db, () => {
      for (let i = 1; i < COMMON_WORD_DOCUMENTS; i++) insert.run(`vexillum-${i}`, `Claim ${i} mentions the vexillum.`, source);
    });
    const documents = () => c.prepare("SELECT documents FROM search_term_counts WHERE term = 'vexillum'").pluck().get();
    const vexillum = () => search(db, { text: 'vexillum', offset: 0, limit: 3 });
    expect(documents()).toBe(COMMON_WORD_DOCUMENTS - 1);
    expect((await vexillum()).hits[0]!.score).toBeGreaterThan(0);
    expect((await vexillum()).totalCount).toBe(COMMON_WORD_DOCUMENTS - 1);

    insert.run('vexillum-last', 'The last vexillum.', source);
    expect(documents()).toBe(COMMON_WORD_DOCUMENTS);
    expect((await vexillum()).hits.map((h) => h.score)).toEqual([0, 0, 0]);
    expect((await vexillum()).totalCount).toBe(COUNT_CAP);

    c.prepare("UPDATE claims SET text = 'The last flag.' WHERE slug = 'vexillum-last'").run();
    expect(documents()).toBe(COMMON_WORD_DOCUMENTS - 1);
    expect((await vexillum()).hits[0]!.score).toBeGreaterThan(0);
    expect(miscounted(db)).toEqual(EXACT);
  }, 60_000);
});
