import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase, type Db } from '../src/db';
import { bulkLoad } from '../src/db/bulk';
import { lastBuild } from '../src/model/adjacency';
import { type GenerateReport, generateGraph, random } from '../src/model/generate';
import { BUDGET, type Link, NEIGHBORHOOD_CAP, type PathResult, shortestPath, type Step } from '../src/model/graph';
import { importDocument } from '../src/model/import';
import { COMMON_WORD_DOCUMENTS, COUNT_CAP, INDEXED_PREFIX, search } from '../src/model/search';
import { loadSeed } from '../src/model/seed';
import { createTestApp, globalId, TEST_TOKEN, type TestApp } from './support/app';

const PATH = `query($from: ID!, $to: ID!, $maxDepth: Int) {
  path(from: $from, to: $to, maxDepth: $maxDepth) {
    length
    entities { name }
    steps { from { name } to { name } description via { __typename id } }
  }
}`;

/** A plain one-directional BFS over the same links, in SQL, to check the bidirectional search against. */
function referenceDistance(db: Db, from: number, to: number, maxDepth: number): number | null {
  const step = db.$client.prepare(`
    SELECT other_id AS b FROM relationship_ends WHERE entity_id = ?
    UNION SELECT event_id FROM event_participants WHERE entity_id = ?
    UNION SELECT entity_id FROM event_participants WHERE event_id = ?
    UNION SELECT y.entity_id FROM event_participants x JOIN event_participants y ON y.event_id = x.event_id WHERE x.entity_id = ?`);
  let frontier = new Set([from]);
  const seen = new Set([from]);
  for (let depth = 0; depth <= maxDepth; depth++) {
    if (frontier.has(to)) return depth;
    const next = new Set<number>();
    for (const node of frontier) {
      for (const { b } of step.all(node, node, node, node) as { b: number }[]) {
        if (!seen.has(b)) {
          seen.add(b);
          next.add(b);
        }
      }
    }
    frontier = next;
  }
  return null;
}

/**
 * The search as it was written in SQL, without its budget: each round reads the links of the
 * whole frontier, sorts them by from, to and link code (relationship id × 3, event id × 3 + 1 for a
 * shared event, + 2 for taking part), and the first to reach an entity is its parent. The
 * in-memory search must choose exactly the same path.
 */
function referencePath(db: Db, from: number, to: number, maxDepth: number): PathResult | null {
  if (from === to) return { entityIds: [from], steps: [] };
  const step = db.$client.prepare(`
    SELECT other_id AS b, relationship_id * 3 AS code FROM relationship_ends WHERE entity_id = @a
    UNION ALL SELECT event_id, event_id * 3 + 2 FROM event_participants WHERE entity_id = @a
    UNION ALL SELECT entity_id, event_id * 3 + 2 FROM event_participants WHERE event_id = @a
    UNION ALL SELECT y.entity_id, x.event_id * 3 + 1 FROM event_participants x
      JOIN event_participants y ON y.event_id = x.event_id AND y.entity_id <> x.entity_id WHERE x.entity_id = @a`);
  type Side = { parents: Map<number, { prev: number; code: number } | null>; frontier: number[]; depth: number };
  const [head, tail]: Side[] = [from, to].map((start) => ({ parents: new Map([[start, null]]), frontier: [start], depth: 0 }));
  const link = (code: number): Link =>
    code % 3 === 0
      ? { kind: 'relationship', relationshipId: code / 3 }
      : { kind: code % 3 === 1 ? 'shared-event' : 'participation', eventId: Math.floor(code / 3) };
  while (head!.depth + tail!.depth < maxDepth && head!.frontier.length > 0 && tail!.frontier.length > 0) {
    const [side, other] = head!.frontier.length <= tail!.frontier.length ? [head!, tail!] : [tail!, head!];
    const found = side.frontier.flatMap((a) => (step.all({ a }) as { b: number; code: number }[]).map((r) => ({ a, ...r })));
    found.sort((x, y) => x.a - y.a || x.b - y.b || x.code - y.code);
    let meeting: number | undefined;
    side.frontier = [];
    for (const { a, b, code } of found) {
      if (side.parents.has(b)) continue;
      side.parents.set(b, { prev: a, code });
      side.frontier.push(b);
      if (meeting === undefined && other.parents.has(b)) meeting = b;
    }
    side.depth++;
    if (meeting === undefined) continue;
    const steps: Step[] = [];
    for (let node = meeting, p = head!.parents.get(node); p; node = p.prev, p = head!.parents.get(node)) steps.unshift({ from: p.prev, to: node, link: link(p.code) });
    for (let node = meeting, p = tail!.parents.get(node); p; node = p.prev, p = tail!.parents.get(node)) steps.push({ from: node, to: p.prev, link: link(p.code) });
    return { entityIds: [from, ...steps.map((s) => s.to)], steps };
  }
  return null;
}

let app: TestApp;
const ids: Record<string, string> = {};
beforeAll(async () => {
  app = createTestApp();
  const res = await app.gql<{ entities: { nodes: { id: string; name: string }[] } }>('{ entities(first: 100) { nodes { id name } } }');
  for (const e of res.data!.entities.nodes) ids[e.name] = e.id;
});

describe('search on the article, below the API', () => {
  it('stays in sync with writes', async () => {
    const db = createTestApp().db;
    const doc = (name: string, aliases: string[]) => ({
      format: 'claimgraph/v1',
      entities: { 'zyx-corp': { kind: 'ORGANIZATION', name, aliases } },
    });
    importDocument(db, doc('Zyxquonic Holdings', []));
    expect((await search(db, { text: 'zyxquonic', offset: 0, limit: 5 })).hits).toHaveLength(1);
    importDocument(db, doc('Quarblex Holdings', ['Zyxco']));
    expect((await search(db, { text: 'zyxquonic', offset: 0, limit: 5 })).hits).toHaveLength(0);
    expect((await search(db, { text: 'quarblex', offset: 0, limit: 5 })).hits).toHaveLength(1);
    expect((await search(db, { text: 'zyxco', offset: 0, limit: 5 })).hits).toHaveLength(1);
    db.$client.prepare("DELETE FROM entities WHERE slug = 'zyx-corp'").run();
    expect((await search(db, { text: 'quarblex', offset: 0, limit: 5 })).hits).toHaveLength(0);
  });
});

describe('search where a word is too common to weigh', () => {
  // Every generated entity with a description says it "is part of the synthetic graph g3".
  let db: Db;
  const count = (match: string, kinds = '') =>
    db.$client.prepare(`SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ? ${kinds} LIMIT ${COUNT_CAP})`).pluck().get(match) as number;
  beforeAll(() => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    generateGraph(db, { entities: 22_000, relationships: 2_000, claims: 2_000, sources: 100, seed: 3 });
    // Named after the common word, and added last: far past the first matches in index order.
    importDocument(db, {
      format: 'claimgraph/v1',
      entities: {
        'synthetic-minds': { kind: 'ORGANIZATION', name: 'Synthetic Minds Lab' },
        synthetic: { kind: 'PRODUCT', name: 'Synthetic' },
        'synth-co': { kind: 'ORGANIZATION', name: 'Zorblat Holdings', aliases: ['Synthetic'] },
      },
    });
  }, 60_000);

  it('has such a word', () => {
    expect(count('"synthetic"')).toBeGreaterThanOrEqual(COMMON_WORD_DOCUMENTS);
  });

  it('ranks the entities the word names first, then its other matches in index order', async () => {
    const page = (await search(db, { text: 'Synthetic', offset: 0, limit: 10 }));
    expect(page.totalCount).toBe(COUNT_CAP);
    const names = page.hits.slice(0, 3).map((h) => db.$client.prepare('SELECT name FROM entities WHERE id = ?').pluck().get(h.refId));
    expect(names).toEqual(['Synthetic', 'Zorblat Holdings', 'Synthetic Minds Lab']);
    expect(page.hits.slice(0, 3).map((h) => h.score)).toEqual([100, 100, 50 + (10 * 9) / 19]);
    const rest = page.hits.slice(3);
    expect(rest.every((h) => h.score === 0 && /\*\*synthetic\*\*/i.test(h.snippet))).toBe(true);
    const rowids = rest.map((h) => h.refId * 4 + (h.kind === 'CLAIM' ? 1 : h.kind === 'SOURCE' ? 2 : 0));
    expect(rowids).toEqual([...rowids].sort((a, b) => a - b));
  });

  it('pages through them without repeating or skipping, a page of one included', async () => {
    const all = (await search(db, { text: 'synthetic', offset: 0, limit: 40 })).hits;
    const paged = (await Promise.all([0, 7, 14, 21, 28, 35].map(async (offset) => (await search(db, { text: 'synthetic', offset, limit: Math.min(7, 40 - offset) })).hits))).flat();
    expect(paged).toEqual(all);
    expect((await search(db, { text: 'synthetic', offset: 4, limit: 1 })).hits).toEqual([all[4]]);
  });

  it('expands a long last word into the words it begins, common or not', async () => {
    expect((await search(db, { text: 'syntheti', offset: 0, limit: 1 }))).toMatchObject({ totalCount: COUNT_CAP, hits: [{ kind: 'PRODUCT' }] });
    const { name, id } = db.$client.prepare("SELECT name, id FROM entities WHERE description IS NOT NULL ORDER BY id DESC LIMIT 1").get() as { name: string; id: number };
    const word = name.split(' ')[0]!;
    const begun = (await search(db, { text: word.slice(0, INDEXED_PREFIX + 2), offset: 0, limit: 50 }));
    expect(begun.hits.map((h) => h.refId)).toContain(id);
    expect(begun.totalCount).toBe(count(`"${word.slice(0, INDEXED_PREFIX + 2).toLowerCase()}"*`));
  });

  it('weighs the rare words of a query by bm25 and only requires the common ones', async () => {
    const { name, id } = db.$client.prepare("SELECT name, id FROM entities WHERE description IS NOT NULL ORDER BY id LIMIT 1 OFFSET 500").get() as { name: string; id: number };
    const page = (await search(db, { text: `synthetic ${name}`, offset: 0, limit: 5 }));
    expect(page.hits[0]).toMatchObject({ refId: id });
    expect(page.hits[0]!.score).toBeGreaterThan(page.hits[1]?.score ?? 0);
    expect(page.totalCount).toBe(count(`"synthetic" ${name.split(' ').map((w, i, all) => (i === all.length - 1 ? `"${w}"*` : `"${w}"`)).join(' ')}`));
  });

  it('filters a common word by kind', async () => {
    const page = (await search(db, { text: 'synthetic', kinds: ['PRODUCT', 'CLAIM'], offset: 0, limit: 10 }));
    expect(page.hits[0]).toMatchObject({ kind: 'PRODUCT', score: 100 });
    expect(page.hits.every((h) => h.kind === 'PRODUCT' || h.kind === 'CLAIM')).toBe(true);
    expect(page.totalCount).toBe(count('"synthetic"', "AND (kind = 'PRODUCT' OR kind = 'CLAIM')"));
  });
});

describe('on a generated graph of 10,000 entities and 50,000 relationships', () => {
  let db: Db;
  let report: GenerateReport;
  const options = { entities: 10_000, relationships: 50_000, claims: 4_000, sources: 400, seed: 7 };
  beforeAll(() => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    report = generateGraph(db, options);
  }, 120_000);

  const one = <T>(query: string, ...params: unknown[]) => db.$client.prepare(query).get(...params) as T;

  it('is deterministic, power-law shaped, with hubs, cycles and unreachable entities', () => {
    expect(report.entities).toBe(10_000);
    expect(report.relationships).toBe(50_000);
    expect(report.isolated).toBeGreaterThan(0);
    const hub = one<{ n: number }>('SELECT count(*) AS n FROM relationship_ends GROUP BY entity_id ORDER BY n DESC LIMIT 1');
    expect(hub.n).toBeGreaterThan(1000);
    const median = one<{ n: number }>(
      'SELECT n FROM (SELECT count(*) AS n FROM relationship_ends GROUP BY entity_id ORDER BY n) LIMIT 1 OFFSET (SELECT count(DISTINCT entity_id) / 2 FROM relationship_ends)',
    );
    expect(median.n).toBeLessThan(hub.n / 50);
    const precisions = db.$client.prepare('SELECT DISTINCT length(valid_from) AS l FROM relationships').all() as { l: number | null }[];
    expect(new Set(precisions.map((p) => p.l))).toEqual(new Set([null, 4, 7, 10]));
    const triangle = db.$client
      .prepare(
        `SELECT 1 FROM relationship_ends x
         JOIN relationship_ends y ON y.entity_id = x.other_id AND y.other_id <> x.entity_id
         JOIN relationship_ends z ON z.entity_id = y.other_id AND z.other_id = x.entity_id
         WHERE x.entity_id > 100 LIMIT 1`,
      )
      .get();
    expect(triangle, 'the graph has cycles').toBeDefined();

    const again = openDatabase({ path: ':memory:' });
    migrateDatabase(again);
    generateGraph(again, { ...options, entities: 500, relationships: 2000, claims: 100, sources: 10 });
    const fingerprint = (d: Db) =>
      d.$client.prepare("SELECT group_concat(name || ':' || kind, '|') AS f FROM (SELECT name, kind FROM entities ORDER BY id LIMIT 200)").get();
    const third = openDatabase({ path: ':memory:' });
    migrateDatabase(third);
    generateGraph(third, { ...options, entities: 500, relationships: 2000, claims: 100, sources: 10 });
    expect(fingerprint(third)).toEqual(fingerprint(again));
  });

  it('finds shortest paths whose every step is a real link, matching a plain BFS', () => {
    const linked = db.$client.prepare(`
      SELECT 1 FROM relationship_ends WHERE entity_id = ? AND other_id = ? AND relationship_id = ?`);
    const pairs: [number, number][] = [[1, 2], [3, 4000], [250, 7100], [9000, 10], [5555, 6666], [1, 9899], [42, 4242]];
    for (const [from, to] of pairs) {
      const found = shortestPath(db, from, to, 4);
      const expected = referenceDistance(db, from, to, 4);
      expect(found?.steps.length ?? null, `${from}→${to}`).toBe(expected);
      expect(found, `${from}→${to}: the same choice among equally short paths`).toEqual(referencePath(db, from, to, 4));
      if (!found) continue;
      expect(found.entityIds[0]).toBe(from);
      expect(found.entityIds.at(-1)).toBe(to);
      expect(new Set(found.entityIds).size).toBe(found.entityIds.length);
      for (const s of found.steps) {
        if (s.link.kind === 'relationship') expect(linked.get(s.from, s.to, s.link.relationshipId)).toBeDefined();
      }
    }
  });

  it('answers null for unreachable pairs, through hubs, within its budget', () => {
    const isolated = one<{ id: number }>('SELECT max(id) AS id FROM entities').id;
    expect(shortestPath(db, 1, isolated, 6)).toBeNull();
    expect(shortestPath(db, isolated - 1, isolated, 6)).toBeNull();
    expect(BUDGET.visited).toBeLessThanOrEqual(100_000);
  });

  it('gives up with null when its budget runs out, even on a pair it can connect', () => {
    const found = shortestPath(db, 3, 4000, 4);
    expect(found?.steps.length).toBeGreaterThanOrEqual(2);
    const saved = { ...BUDGET };
    try {
      BUDGET.visited = 2;
      expect(shortestPath(db, 3, 4000, 4)).toBeNull();
      Object.assign(BUDGET, saved, { linksRead: 1 });
      expect(shortestPath(db, 3, 4000, 4)).toBeNull();
    } finally {
      Object.assign(BUDGET, saved);
    }
    expect(shortestPath(db, 3, 4000, 4)).toEqual(found);
  });

  it('cuts a hub neighborhood at its cap and says so', async () => {
    const generated = createTestApp({ db });
    const res = await generated.gql<{ neighborhood: { truncated: boolean; entities: unknown[]; relationships: unknown[] } }>(
      'query($of: ID!) { neighborhood(of: $of, depth: 2) { truncated entities { __typename } relationships { id } } }',
      { of: globalId('Organization', 1) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.neighborhood.truncated).toBe(true);
    expect(res.data!.neighborhood.entities.length).toBe(NEIGHBORHOOD_CAP.entities);
    expect(res.data!.neighborhood.relationships.length).toBeLessThanOrEqual(NEIGHBORHOOD_CAP.relationships);
  });

  it('bounds the cost of a very common search term and still ranks a rare one', async () => {
    const common = (await search(db, { text: 'the', offset: 0, limit: 20 }));
    expect(common.hits).toHaveLength(20);
    expect(common.totalCount).toBeLessThanOrEqual(COUNT_CAP);
    const name = one<{ name: string }>('SELECT name FROM entities WHERE id = 4321').name;
    const rare = (await search(db, { text: name, offset: 0, limit: 5 }));
    expect(rare.hits[0]).toMatchObject({ refId: 4321 });
  });
});

type PathFound = { path: { length: number; steps: { description: string; via: { __typename: string } }[] } | null };

describe('path while other server processes write to the same database file', () => {
  it('sees a link another connection writes at the very next search, and loses it once deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claimgraph-path-'));
    const file = join(dir, 'claimgraph.db');
    const readerDb = openDatabase({ path: file });
    migrateDatabase(readerDb);
    loadSeed(readerDb);
    const reader = createTestApp({ db: readerDb });
    const writer = createTestApp({ db: openDatabase({ path: file }), apiToken: TEST_TOKEN });
    try {
      const named: Record<string, string> = {};
      const all = await reader.gql<{ entities: { nodes: { id: string; name: string }[] } }>('{ entities(first: 100) { nodes { id name } } }');
      for (const e of all.data!.entities.nodes) named[e.name] = e.id;
      const rowId = (name: string) => writer.db.$client.prepare('SELECT id FROM entities WHERE name = ?').pluck().get(name) as number;
      const between = async (from: string, to: string) => (await reader.gql<PathFound>(PATH, { from: named[from], to: named[to], maxDepth: 6 })).data!.path;

      expect(await between('Minh', 'OpenAI')).toBeNull();
      const created = await writer.mutate(
        'mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { relationship { id } } }',
        { i: { subjectId: named.Minh, predicate: 'relies_on', label: 'relies on', objectId: named.OpenAI } },
      );
      expect(created.errors).toBeUndefined();
      expect(await between('Minh', 'OpenAI')).toMatchObject({ length: 1, steps: [{ description: 'Minh relies on OpenAI', via: { __typename: 'Relationship' } }] });
      writer.db.$client.prepare('DELETE FROM relationships WHERE subject_id = ? AND object_id = ?').run(rowId('Minh'), rowId('OpenAI'));
      expect(await between('Minh', 'OpenAI')).toBeNull();

      const joined = await writer.mutate(
        'mutation($i: AddEventParticipantInput!) { addEventParticipant(input: $i) { event { id } } }',
        { i: { eventId: named['Founding of OpenAI'], entityId: named.Minh, role: 'witness' } },
      );
      expect(joined.errors).toBeUndefined();
      expect(await between('Minh', 'Founding of OpenAI')).toMatchObject({ length: 1, steps: [{ description: 'Minh took part in Founding of OpenAI (witness)' }] });
      expect(await between('Minh', 'OpenAI')).not.toBeNull();
      writer.db.$client.prepare("DELETE FROM event_participants WHERE entity_id = ? AND role = 'witness'").run(rowId('Minh'));
      expect(await between('Minh', 'Founding of OpenAI')).toBeNull();
    } finally {
      reader.db.$client.close();
      writer.db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers as the SQL search would through inserts, moves, deletes, a bulk load and a pruned change log, rebuilding only when it must', () => {
    const db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    const { isolated } = generateGraph(db, { entities: 2000, relationships: 8000, claims: 200, sources: 20, seed: 11 });
    const c = db.$client;
    const maxEntity = c.prepare('SELECT max(id) FROM entities').pluck().get() as number;
    // Writes draw from the linked entities; the generator leaves the last few isolated.
    const linked = maxEntity - isolated;
    const events = c.prepare("SELECT id FROM entities WHERE kind = 'EVENT' AND id <= ?").pluck().all(linked) as number[];
    const rand = random(5).int;
    const agrees = (when: string) => {
      for (let i = 0; i < 30; i++) {
        const [from, to] = [1 + rand(maxEntity), 1 + rand(maxEntity)];
        expect(shortestPath(db, from, to, 4), `${when}: ${from}→${to}`).toEqual(referencePath(db, from, to, 4));
      }
    };
    const link = c.prepare("INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES (?, ?, 'churns_with', 'churns with', ?)");
    // OR IGNORE: a drawn pair may repeat, or be an event joining itself.
    const join = c.prepare("INSERT OR IGNORE INTO event_participants (event_id, entity_id, role) VALUES (?, ?, 'churn')");
    let made = 0;
    const write = (relationships: number, participations: number) =>
      c.transaction(() => {
        for (let i = 0; i < relationships; i++) link.run(`churn-${made++}`, 1 + rand(linked), 1 + rand(linked));
        for (let i = 0; i < participations; i++) join.run(events[rand(events.length)], 1 + rand(linked));
      })();

    agrees('as generated');
    const built = lastBuild(db);
    c.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ('links-nothing', 'A claim.', 'FACT', 'DIRECT', (SELECT min(id) FROM sources))").run();
    shortestPath(db, 1, 2, 4);
    expect(lastBuild(db), 'a write that touches no link costs no rebuild').toBe(built);

    write(40, 15);
    agrees('after inserts');
    c.prepare("UPDATE relationships SET object_id = (object_id * 7) % ? + 1 WHERE slug LIKE 'churn-%' AND id % 3 = 0").run(linked);
    agrees('after moving relationships');
    c.prepare("DELETE FROM relationships WHERE slug LIKE 'churn-%' AND id % 2 = 0").run();
    c.prepare("DELETE FROM event_participants WHERE role = 'churn' AND id % 2 = 0").run();
    agrees('after deletes');
    write(1500, 0);
    agrees('after enough changes to lay the lists out anew');
    expect(lastBuild(db), 'links written row by row are read back, not rebuilt').toBe(built);

    // bulkLoad sets the triggers aside: the schema changes, and the next search rebuilds.
    expect(shortestPath(db, maxEntity, 1, 4)).toBeNull();
    bulkLoad(db, () => link.run('churn-bulk', maxEntity, 1));
    expect(shortestPath(db, maxEntity, 1, 4)?.steps.length).toBe(1);
    const rebuilt = lastBuild(db);
    expect(rebuilt).not.toBe(built);

    // More than the 10,000 changes link_changes keeps: the rows this process had not seen are gone.
    c.prepare("DELETE FROM relationships WHERE slug LIKE 'churn-%'").run();
    write(5000, 0);
    c.prepare("DELETE FROM relationships WHERE slug LIKE 'churn-%'").run();
    expect(c.prepare('SELECT count(*) FROM link_changes').pluck().get()).toBe(10_000);
    agrees('after the change log was pruned');
    expect(lastBuild(db)).not.toBe(rebuilt);
  });

  it('on a database from before link_changes, rebuilds after any write', () => {
    const { db } = createTestApp();
    const c = db.$client;
    for (const name of c.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE '%link_changes%'").pluck().all() as string[]) {
      c.exec(`DROP TRIGGER ${name}`);
    }
    c.exec('DROP TABLE link_changes');
    const [minh, openai] = ['Minh', 'OpenAI'].map((name) => c.prepare('SELECT id FROM entities WHERE name = ?').pluck().get(name) as number);
    expect(shortestPath(db, minh!, openai!, 6)).toBeNull();
    c.prepare("INSERT INTO relationships (slug, subject_id, predicate, label, object_id) VALUES ('minh-relies-on-openai', ?, 'relies_on', 'relies on', ?)").run(minh, openai);
    expect(shortestPath(db, minh!, openai!, 6)?.steps).toEqual([{ from: minh, to: openai, link: { kind: 'relationship', relationshipId: expect.any(Number) } }]);
  });
});
