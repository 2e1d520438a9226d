import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import type { PgDb } from '../src/db/postgres';
import { openPostgresEngine, type PostgresEngine } from '../src/db/postgres-engine';
import { COMMON_WORD_DOCUMENTS, COUNT_CAP } from '../src/db/search';
import { FOLD, foldWord, MAX_TERM_CHARS, tokenize } from '../src/db/search-tokens';
import { search } from '../src/model/search';
import { seedPostgresIfEmpty } from '../src/model/seed-postgres';
import { createTestApp, silentLogger, TEST_TOKEN, type TestApp } from './support/app';
import { type PostgresCluster, startPostgres } from './support/postgres';

/**
 * Search on PostgreSQL answers as on SQLite: the seeded graph on both, the same queries through
 * the API, compared. Scores differ by design (ts_rank against bm25), and so may the order of
 * results that neither engine ranks clearly apart; everything else (which results, the best one
 * where one is clearly best, snippets, highlights, counts, paging, errors) must be the same.
 */

type Range = { field: string; start: number; end: number };
type Edge = { cursor: string; score: number; snippet: string; highlights: Range[]; node: { id: string } };
type Page = {
  totalCount: number;
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
};
type Gql = (query: string, variables?: Record<string, unknown>) => Promise<{ data?: unknown; errors?: readonly { message: string; extensions?: { readonly [key: string]: unknown } }[] }>;

const SEARCH = `query($q: String!, $kinds: [SearchKind!], $first: Int, $after: String, $last: Int, $before: String) {
  search(query: $q, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor score snippet highlights { field start end } node { ... on Node { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

let cluster: PostgresCluster;
let engine: PostgresEngine;
let pg: PgDb;
let sqlite: TestApp;
let onPostgres: Gql;

const pgRows = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await pg.$client.query<T>(text, params)).rows;

async function find(gql: Gql, q: string, args: Record<string, unknown> = {}): Promise<Page> {
  const res = await gql(SEARCH, { q, ...args });
  expect(res.errors, `${q} ${JSON.stringify(args)}: ${JSON.stringify(res.errors)}`).toBeUndefined();
  return (res.data as { search: Page }).search;
}
/** Both engines' answers to one search. */
const both = async (q: string, args: Record<string, unknown> = {}) => ({ lite: await find(sqlite.gql, q, args), pg: await find(onPostgres, q, args) });
/** An edge as both engines must give it: all but its score. */
const shown = ({ node, snippet, highlights }: Edge) => ({ id: node.id, snippet, highlights });
const byId = (edges: Edge[]) => edges.map(shown).sort((a, b) => a.id.localeCompare(b.id));

beforeAll(async () => {
  cluster = await startPostgres();
  // An ICU collation by default, as managed servers often have: words must still split and fold as FTS5's.
  engine = await openPostgresEngine(await cluster.createDatabase({ icuLocale: 'en-US' }));
  pg = engine.pg;
  await seedPostgresIfEmpty(engine);
  sqlite = createTestApp({ apiToken: TEST_TOKEN });
  const yoga = createApp({ db: engine.db, logger: silentLogger });
  onPostgres = async (query, variables) => {
    const response = await yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Awaited<ReturnType<Gql>>;
  };
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await cluster?.stop();
});

describe('words', () => {
  it('are split and folded as FTS5 splits and folds them, for every code point', async () => {
    // Each code point at the start of a word and inside one, through FTS5, in blocks of 1,024.
    const text = (c: number) => (c === 0 || (c >= 0xd800 && c <= 0xdfff) ? '' : `${String.fromCodePoint(c)}q${String.fromCodePoint(c)} `);
    const block = (codes: number[]) => codes.map(text).join('');
    const blocks: number[][] = [];
    for (let c = 0; c <= 0x3ffff; c += 1024) blocks.push(Array.from({ length: 1024 }, (_, i) => c + i));
    // PostgreSQL's index holds the same tables as JavaScript: every code point either folds or bounds a separator range, and a sample of the rest.
    const special = new Set<number>();
    for (const c of FOLD.from() + FOLD.to()) special.add(c.codePointAt(0)!);
    for (const [, a, b] of FOLD.separators.matchAll(/\\u\{([0-9A-F]+)\}(?:-\\u\{([0-9A-F]+)\})?/g)) {
      for (const c of [parseInt(a!, 16), parseInt(b ?? a!, 16)]) for (const d of [c - 1, c, c + 1]) special.add(d);
    }
    for (let c = 0; c <= 0x3ffff; c += 61) special.add(c);
    const sampled = [...special].filter((c) => c > 0 && c <= 0x3ffff).sort((a, b) => a - b);
    for (let i = 0; i < sampled.length; i += 1024) blocks.push(sampled.slice(i, i + 1024));
    const fts = new Database(':memory:');
    fts.exec(`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2');
      CREATE VIRTUAL TABLE v USING fts5vocab('t', 'instance');`);
    const insert = fts.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)');
    fts.transaction(() => blocks.forEach((codes, i) => insert.run(i + 1, block(codes))))();
    const expected = blocks.map(() => [] as string[]);
    for (const { doc, term } of fts.prepare('SELECT doc, term FROM v ORDER BY doc, offset').iterate() as Iterable<{ doc: number; term: string }>) expected[doc - 1]!.push(term);
    fts.close();
    const first = (got: string[][]) => {
      const i = got.findIndex((terms, b) => JSON.stringify(terms) !== JSON.stringify(expected[b]));
      return i < 0 ? null : { block: blocks[i]![0]!.toString(16), got: got[i]!.find((t, j) => t !== expected[i]![j]), want: expected[i]!.find((t, j) => t !== got[i]![j]) };
    };
    expect(first(blocks.map((codes) => tokenize(block(codes)).map((t) => t.term)))).toBeNull();
    const sampledBlocks = blocks.slice(256);
    const folded = await pgRows<{ n: number; folded: string }>('SELECT n::int, search_fold(t) AS folded FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n)', [
      sampledBlocks.map(block),
    ]);
    const got = blocks.map((_, b) => (b < 256 ? expected[b]! : folded[b - 256]!.folded.split(' ').filter((t) => t !== '')));
    expect(first(got)).toBeNull();
  }, 120_000);

  it("are not PostgreSQL's parser's: hosts, hyphens, numbers and e-mail addresses split as on SQLite", async () => {
    const text = 'Visit openai.com, GPT-4 costs 3.5 dollars; mail a.b@example.org — "self-driving" Ünïcode café';
    const [{ terms }] = (await pgRows<{ terms: string[] }>('SELECT tsvector_to_array(search_vector($1)) AS terms', [text])) as [{ terms: string[] }];
    expect(terms).toEqual([...new Set(tokenize(text).map((t) => t.term))].sort());
    expect(terms).toEqual(expect.arrayContaining(['openai', 'com', 'gpt', '4', '3', '5', 'example', 'org', 'self', 'driving', 'unicode', 'cafe']));
    // A word longer than a lexeme may be is indexed by its beginning.
    const long = 'x'.repeat(MAX_TERM_CHARS + 100);
    expect(await pgRows('SELECT tsvector_to_array(search_vector($1)) AS terms', [long])).toEqual([{ terms: [foldWord(long)] }]);
  });

  it('are counted per document as on SQLite, after seeding', async () => {
    const lite = sqlite.db.all<{ term: string; documents: number }>(sql`SELECT term, documents FROM search_term_counts ORDER BY term`);
    const counted = await pgRows<{ term: string; documents: number }>('SELECT term, documents FROM search_term_documents ORDER BY term');
    expect(lite.length).toBeGreaterThan(300);
    expect(counted).toEqual(lite);
  });
});

const QUERIES: [string, Record<string, unknown>?][] = [
  ['M', { first: 20 }],
  ['m', { first: 20 }],
  ['Mi', { first: 20 }],
  ['Micro', { first: 20 }],
  ['Microsoft', { first: 20 }],
  ['Microsoft ', { first: 20 }],
  ['  microsoft   ', { first: 20 }],
  ['Microsoft i', { first: 20 }],
  ['Microsoft in', { first: 20 }],
  ['Elon M', { first: 3 }],
  ['musk', { first: 50 }],
  ['board', { first: 50, kinds: ['CLAIM'] }],
  ['cnbc', { first: 10, kinds: ['SOURCE'] }],
  ['capped profit', { first: 50 }],
  ['OpenAI Tesla', { first: 50 }],
  ['openai', { first: 100 }],
  ["Musk's board", { first: 50 }],
  ['investm', { first: 50 }],
  ['Sam Altman', { first: 50 }],
  ['zzzqqq', { first: 5 }],
  ['elon musk openai o', { first: 10 }],
  [`${'musk '.repeat(15)}mu`, { first: 10 }],
  ['openai microsoft inv', { first: 10, kinds: ['CLAIM', 'ORGANIZATION'] }],
];
const HOSTILE = [
  '"', '""', "'", 'AND', 'OR NOT', 'NEAR(a b)', '*', 'M*', '^M', '-M', 'name:M', '{name}: M', '\u0000', 'M\u0000i', '\u0002M\u0003',
  'a & b', 'a | b', '!a', '(a)', 'a:*', "a' | 'b", 'ope\\nai', 'open:ai', 'o & (p | !e)', "'openai':*", '\\', '::', '&|!():*',
  '🚀', 'M🚀', '🚀 Microsoft', 'مايكروسوفت', '\u202eMicrosoft', 'שלום M', 'Ｍｉｃｒｏ', 'ﬁ', 'é', 'Ü', 'ø', 'ß', 'M'.repeat(1000), 'M '.repeat(500), ' ', '\t\n', '...',
];

describe('answers', () => {
  it('give the same pages, scores included, to the bit', async () => {
    for (const [q, args] of QUERIES) {
      const { lite, pg: onPg } = await both(q, args);
      expect(onPg, q).toEqual(lite);
    }
  });

  it('page alike: first/after, last/before, and past the end', async () => {
    for (const gql of [sqlite.gql, onPostgres]) {
      const all = (await find(gql, 'openai', { first: 100 })).edges;
      expect(all.length).toBeGreaterThan(6);
      const at = (i: number) => all[i]!.cursor;
      expect((await find(gql, 'openai', { last: 3 })).edges).toEqual(all.slice(-3));
      expect((await find(gql, 'openai', { after: at(1), before: at(6) })).edges).toEqual(all.slice(2, 6));
      expect((await find(gql, 'openai', { after: at(1), before: at(6), last: 2 })).edges).toEqual(all.slice(4, 6));
      expect((await find(gql, 'openai', { first: 4, last: 2 })).edges).toEqual(all.slice(2, 4));
      expect((await find(gql, 'openai', { after: at(all.length - 2), last: 5 })).edges).toEqual(all.slice(-1));
      const seen: Edge[] = [];
      let after: string | null = null;
      do {
        const page: Page = await find(gql, 'openai', { first: 7, ...(after ? { after } : {}) });
        seen.push(...page.edges);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      expect(seen).toEqual(all);
    }
    const { lite, pg: onPg } = await both('openai', { first: 100 });
    expect(onPg.edges.map((e) => e.cursor)).toEqual(lite.edges.map((e) => e.cursor));
    expect(byId(onPg.edges)).toEqual(byId(lite.edges));
  });

  it('treat hostile text as words to find, never as syntax', async () => {
    for (const q of HOSTILE) {
      const { lite, pg: onPg } = await both(q, { first: 10 });
      expect(onPg, JSON.stringify(q)).toEqual(lite);
      expect(await find(onPostgres, q, { last: 2 }), JSON.stringify(q)).toEqual(await find(sqlite.gql, q, { last: 2 }));
    }
    for (const variables of [{ q: 'M'.repeat(10_000) }, { q: 'openai', after: 'nope' }, { q: 'openai', last: 3, before: 'nope' }]) {
      const lite = await sqlite.gql(SEARCH, variables);
      const onPg = await onPostgres(SEARCH, variables);
      expect(onPg.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(onPg.errors?.map((e) => e.message)).toEqual(lite.errors?.map((e) => e.message));
    }
  });
});

describe('bm25', () => {
  /** What FTS5's bm25 reads besides each document: how many documents, and how many words in all. */
  const totals = async () => ({
    lite: sqlite.db.$client.prepare('SELECT (SELECT count(*) FROM search_index) AS documents, (SELECT sum(cnt) FROM search_index_terms) AS tokens').get(),
    pg: (await pgRows<{ documents: number; tokens: number }>('SELECT sum(documents)::int AS documents, sum(tokens)::int AS tokens FROM search_totals'))[0],
  });

  it('reads the same totals as FTS5, kept by every write', async () => {
    const before = await totals();
    expect(before.pg).toEqual(before.lite);
    const [source] = await pgRows<{ id: number }>('SELECT id FROM sources ORDER BY id LIMIT 1');
    const insert = sqlite.db.$client.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES (?, ?, 'FACT', 'DIRECT', ?)");
    insert.run('totals-1', 'Two more words.', source!.id);
    await pgRows(`INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ('totals-1', 'Two more words.', 'FACT', 'DIRECT', $1)`, [source!.id]);
    const grown = await totals();
    expect(grown.pg).toEqual(grown.lite);
    expect(grown.pg).toEqual({ documents: before.pg!.documents + 1, tokens: before.pg!.tokens + 3 });
    sqlite.db.$client.prepare("DELETE FROM claims WHERE slug = 'totals-1'").run();
    await pgRows("DELETE FROM claims WHERE slug = 'totals-1'");
    expect((await totals()).pg).toEqual(before.pg);
  });

  it("scores long documents as FTS5 does, though a tsvector drops a word's 257th position and every position past 16,383", async () => {
    const [source] = await pgRows<{ id: number }>('SELECT id FROM sources ORDER BY id LIMIT 1');
    const texts = [
      'zqlong '.repeat(300), // 300 times one word: the tsvector keeps 256 positions
      `${'filler '.repeat(20_000)} zqlong zqlongish at the end`, // past position 16,383
      `zqlong ${'Ünïcode '.repeat(300)}`, // other letters, recounted through the fold
      'A short zqlong claim.',
    ];
    const insert = sqlite.db.$client.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES (?, ?, 'FACT', 'DIRECT', ?)");
    for (const [i, text] of texts.entries()) {
      insert.run(`zqlong-${i}`, text, source!.id);
      await pgRows(`INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ($1, $2, 'FACT', 'DIRECT', $3)`, [`zqlong-${i}`, text, source!.id]);
    }
    try {
      const grown = await totals();
      expect(grown.pg).toEqual(grown.lite);
      // Not "filler": its 20,000 matches in one document make a snippet slow to choose (every match's
      // window is scored against every match, in JavaScript on PostgreSQL): not what this test is about.
      for (const q of ['zqlong', 'zql', 'zqlongi', 'unicode zq', 'zqlong claim']) {
        const { lite, pg: onPg } = await both(q, { first: 10 });
        expect(lite.edges.length, q).toBeGreaterThan(0);
        expect(onPg, q).toEqual(lite);
      }
    } finally {
      sqlite.db.$client.prepare("DELETE FROM claims WHERE slug LIKE 'zqlong-%'").run();
      await pgRows("DELETE FROM claims WHERE slug LIKE 'zqlong-%'");
    }
  }, 60_000);
});

describe('the index on PostgreSQL', () => {
  /** Words the counts hold that the index does not, or with another count, and the reverse. */
  const miscounted = () =>
    pgRows(`(SELECT term, documents FROM search_term_documents
        EXCEPT SELECT term, count(*)::int FROM search_documents, unnest(tsvector_to_array(tsv)) AS term GROUP BY term)
      UNION ALL
      (SELECT term, count(*)::int FROM search_documents, unnest(tsvector_to_array(tsv)) AS term GROUP BY term
        EXCEPT SELECT term, documents FROM search_term_documents)`);
  const hits = async (text: string) => (await search(engine.db, { text, offset: 0, limit: 10, highlights: true })).hits;

  it('follows writes made with plain SQL, counts included', async () => {
    const [entity] = await pgRows<{ id: number }>(
      `INSERT INTO entities (slug, kind, name, description) VALUES ('zyxquonic', 'ORGANIZATION', 'Zyxquonic Holdings', 'Makes Ünïcode café tables.') RETURNING id`,
    );
    expect((await hits('zyxquonic')).map((h) => h.refId)).toEqual([entity!.id]);
    expect((await hits('unicode cafe'))[0]!.highlights).toEqual([
      { field: 'description', start: 6, end: 13 },
      { field: 'description', start: 14, end: 18 },
    ]);
    await pgRows(`INSERT INTO entity_aliases (entity_id, alias, position) VALUES ($1, 'QH Group', 0), ($1, 'Zorblatix Corp', 1)`, [entity!.id]);
    expect((await hits('zorblatix'))[0]).toMatchObject({ refId: entity!.id, snippet: 'QH Group | **Zorblatix** Corp', highlights: [{ field: 'aliases.1', start: 0, end: 9 }] });
    await pgRows(`UPDATE entities SET name = 'Quarblex Holdings' WHERE id = $1`, [entity!.id]);
    expect(await hits('zyxquonic')).toEqual([]);
    expect((await hits('quarblex')).map((h) => h.refId)).toEqual([entity!.id]);
    await pgRows(`DELETE FROM entity_aliases WHERE alias = 'Zorblatix Corp'`);
    expect(await hits('zorblatix')).toEqual([]);

    const [source] = await pgRows<{ id: number }>('SELECT id FROM sources ORDER BY id LIMIT 1');
    const [claim] = await pgRows<{ id: number }>(
      `INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ('vrenqo', 'Quarblex counted the vrenqo twice.', 'FACT', 'DIRECT', $1) RETURNING id`,
      [source!.id],
    );
    expect(await hits('vrenqo')).toMatchObject([{ kind: 'CLAIM', refId: claim!.id, snippet: 'Quarblex counted the **vrenqo** twice.' }]);
    await pgRows(`UPDATE claims SET text = 'Quarblex counted once.' WHERE id = $1`, [claim!.id]);
    expect(await hits('vrenqo')).toEqual([]);
    await pgRows(`UPDATE sources SET label = 'the vrenqo edition' WHERE id = $1`, [source!.id]);
    expect(await hits('vrenqo')).toMatchObject([{ kind: 'SOURCE', refId: source!.id }]);
    expect(await miscounted()).toEqual([]);

    await pgRows('DELETE FROM claims WHERE id = $1', [claim!.id]);
    await pgRows('DELETE FROM entities WHERE id = $1', [entity!.id]);
    expect(await hits('quarblex')).toEqual([]);
    expect(await pgRows(`SELECT term FROM search_term_documents WHERE term IN ('quarblex', 'zyxquonic', 'zorblatix')`)).toEqual([]);
    expect(await miscounted()).toEqual([]);
  });

  it("keeps word counts and bm25's totals without making writers wait on each other, folding as they go", async () => {
    const [source] = await pgRows<{ id: number }>('SELECT id FROM sources ORDER BY id LIMIT 1');
    const recounted = async () =>
      (await pgRows('SELECT count(*)::int AS documents, coalesce(sum(search_tokens(tsv, name, aliases, body)), 0)::int AS tokens FROM search_documents'))[0];
    const totals = async () => (await pgRows('SELECT sum(documents)::int AS documents, sum(tokens)::int AS tokens FROM search_totals'))[0];
    const changes = async () => Number((await pgRows('SELECT count(*) AS n FROM search_term_changes'))[0]!.n);
    // Two transactions each write 500 claims that share two words ("fold", "shared"), each
    // holding its rows until both are done: each crosses a fold of the word counts (every 1,024
    // changes) and of the totals (every 128).
    const [first, second] = [await pg.$client.connect(), await pg.$client.connect()];
    try {
      for (const client of [first, second]) await client.query("BEGIN; SET LOCAL lock_timeout = '5s'");
      const write = (client: typeof first, word: string) =>
        client.query(
          `INSERT INTO claims (slug, text, kind, attribution, appears_in_id)
           SELECT 'fold-${word}-' || i, 'Fold shared ${word}' || i, 'FACT', 'DIRECT', $1 FROM generate_series(1, 500) AS i`,
          [source!.id],
        );
      await write(first, 'alpha');
      // The second writes the words the first holds changes of, and meets the fold the first
      // holds: it neither waits (lock_timeout would fail it) nor folds what it cannot lock.
      await write(second, 'beta').catch(async (error) => {
        throw new Error(`the second writer waited on the first: ${error}`);
      });
      await second.query('COMMIT');
      await first.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    expect(await changes()).toBeLessThan(3000);
    expect(Number((await pgRows('SELECT count(*) AS n FROM search_totals'))[0]!.n)).toBeLessThan(1000);
    expect(await miscounted()).toEqual([]);
    expect(await totals()).toEqual(await recounted());
    // A later write folds what both left.
    await pgRows("DELETE FROM claims WHERE slug LIKE 'fold-%'");
    expect(await changes()).toBeLessThan(1024);
    expect(await miscounted()).toEqual([]);
    expect(await totals()).toEqual(await recounted());
    expect(await pgRows("SELECT term FROM search_term_documents WHERE term IN ('alpha1', 'beta500')")).toEqual([]);
    expect(await pgRows('SELECT term FROM search_term_counts WHERE documents <= 0')).toEqual([]);
  });

  // Last: it adds ten thousand claims to both databases.
  it('stops weighing a word at its 10,000th document, as SQLite does, and pages it alike', async () => {
    const [source] = await pgRows<{ id: number }>('SELECT id FROM sources ORDER BY id LIMIT 1');
    const insert = sqlite.db.$client.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES (?, ?, 'FACT', 'DIRECT', ?)");
    sqlite.db.$client.transaction(() => {
      for (let i = 1; i < COMMON_WORD_DOCUMENTS; i++) insert.run(`vexillum-${i}`, `Claim ${i} mentions the vexillum.`, source!.id);
    })();
    await pgRows(
      `INSERT INTO claims (slug, text, kind, attribution, appears_in_id)
       SELECT 'vexillum-' || i, 'Claim ' || i || ' mentions the vexillum.', 'FACT', 'DIRECT', $1 FROM generate_series(1, $2::int) AS i`,
      [source!.id, COMMON_WORD_DOCUMENTS - 1],
    );
    // Weighed: every result scored above 0 on both.
    let { lite, pg: onPg } = await both('vexillum', { first: 5 });
    expect(onPg.totalCount).toBe(COMMON_WORD_DOCUMENTS - 1);
    expect(onPg.totalCount).toBe(lite.totalCount);
    expect(onPg.edges.every((e) => e.score > 0)).toBe(true);

    insert.run('vexillum-last', 'The last vexillum.', source!.id);
    await pgRows(`INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ('vexillum-last', 'The last vexillum.', 'FACT', 'DIRECT', $1)`, [source!.id]);
    // Common: scores 0, in index order, so the very same pages.
    for (const args of [{ first: 10 }, { first: 10, after: Buffer.from('offset:95').toString('base64') }, { last: 4 }, { first: 3, kinds: ['CLAIM'] }]) {
      ({ lite, pg: onPg } = await both('vexillum', args));
      expect(onPg.edges.map((e) => e.score)).toEqual(onPg.edges.map(() => 0));
      // The claims' ids differ (the test above wrote to PostgreSQL only); "Claim N" tells them apart.
      const unnamed = (page: Page) => ({ ...page, edges: page.edges.map(({ node: _, ...edge }) => edge) });
      expect(unnamed(onPg)).toEqual(unnamed(lite));
    }
    expect(lite.totalCount).toBe(COUNT_CAP);
    ({ lite, pg: onPg } = await both('the vexillum', { first: 10 }));
    expect(onPg.totalCount).toBe(lite.totalCount);
    expect(onPg.edges.map((e) => e.snippet)).toEqual(lite.edges.map((e) => e.snippet));
  }, 120_000);
});
