import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { INDEXED_PREFIX, MAX_HIGHLIGHTS } from '../src/model/search';
import { createTestApp, TEST_TOKEN, type TestApp } from './support/app';

type Range = { field: string; start: number; end: number };
type Node = { __typename: string; name?: string; aliases?: string[]; description?: string | null; text?: string; title?: string; label?: string | null };
type Edge = { cursor: string; score: number; snippet: string; highlights: Range[]; node: Node };
type Page = {
  search: {
    totalCount: number;
    edges: Edge[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
};
const SEARCH = `query($q: String!, $kinds: [SearchKind!], $first: Int, $after: String, $last: Int, $before: String) {
  search(query: $q, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges {
      cursor score snippet highlights { field start end }
      node { __typename ... on Entity { name aliases description } ... on Claim { text } ... on Source { title label } }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

let app: TestApp;
const find = async (q: string, args: Record<string, unknown> = {}) => {
  const res = await app.gql<Page>(SEARCH, { q, ...args });
  expect(res.errors, `${q} ${JSON.stringify(args)}: ${JSON.stringify(res.errors)}`).toBeUndefined();
  return res.data!.search;
};
const label = (n: Node) => n.name ?? n.title ?? n.text!;
/** The text a range points at: `aliases.N` is the N-th alias. */
function slice(node: Node, { field, start, end }: Range): string {
  const [name, index] = field.split('.');
  const value = index === undefined ? (node as Record<string, unknown>)[name!] : (node as unknown as Record<string, string[]>)[name!]![Number(index)];
  expect(typeof value, `${field} of ${label(node)}`).toBe('string');
  expect(0 <= start && start < end && end <= (value as string).length, `${field} ${start}-${end}`).toBe(true);
  return (value as string).slice(start, end);
}
/** Folded as the index folds (case, diacritics), to compare a matched word with what was typed. */
const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

beforeAll(() => {
  app = createTestApp({ apiToken: TEST_TOKEN });
});

describe('type-ahead', () => {
  it('matches a single letter as a prefix: "M" finds Microsoft and Elon Musk, names that start with it first', async () => {
    const page = await find('M', { first: 20 });
    const names = page.edges.map((e) => label(e.node));
    expect(names).toContain('Microsoft');
    expect(names).toContain('Elon Musk');
    // Entities whose name starts with M; then names (and source titles) with a word that does; then the rest.
    const name = (e: Edge) => e.node.name ?? e.node.title ?? '';
    const tier = (e: Edge) => (/^m/i.test(e.node.name ?? '') ? 0 : /(^|\s)m/i.test(name(e)) ? 1 : 2);
    const tiers = page.edges.map(tier);
    expect(tiers).toEqual([...tiers].sort());
    expect(tiers[0]).toBe(0);
    expect((await find('m', { first: 20 })).edges.map((e) => label(e.node))).toEqual(names);
  });

  it('finds Microsoft at every key typed, and after a space or a begun next word', async () => {
    for (const q of ['M', 'Mi', 'Mic', 'Micr', 'Micro', 'Microsoft', 'Microsoft ', '  microsoft   ', 'Microsoft i', 'Microsoft in']) {
      const page = await find(q, { first: 20 });
      expect(page.edges.map((e) => label(e.node)), q).toContain('Microsoft');
      expect(page.totalCount, q).toBeGreaterThanOrEqual(page.edges.length);
    }
    // A trailing space changes nothing; the last word is a prefix however short.
    expect(await find('Microsoft ')).toEqual(await find('Microsoft'));
    const named = await find('Elon M', { first: 3 });
    expect(label(named.edges[0]!.node)).toBe('Elon Musk');
  });

  it('has a prefix index for every length up to INDEXED_PREFIX, one letter included', () => {
    // Without one, FTS5 answers a short prefix by merging the postings of every word it begins.
    const sql = app.db.$client.prepare("SELECT sql FROM sqlite_schema WHERE name = 'search_index'").pluck().get() as string;
    const lengths = /prefix\s*=\s*'([\d ]+)'/.exec(sql)![1]!.split(' ').map(Number);
    expect(lengths).toEqual(Array.from({ length: INDEXED_PREFIX }, (_, i) => i + 1));
  });

  it('answers every letter and digit alone', async () => {
    for (const q of [...'abcdefghijklmnopqrstuvwxyz0123456789', 'é', 'Ü', 'ø', 'ß']) {
      const page = await find(q, { first: 5 });
      for (const e of page.edges) expect(e.highlights.length, `${q}: ${label(e.node)}`).toBeGreaterThan(0);
    }
  });
});

describe('paging from the end', () => {
  it('last without before is the last page, and pages back to the first without gaps', async () => {
    const all = await find('openai', { first: 100 });
    expect(all.totalCount).toBeGreaterThan(6);
    expect(all.edges).toHaveLength(all.totalCount);
    const last = await find('openai', { last: 3 });
    expect(last.edges).toEqual(all.edges.slice(-3));
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // Back through the whole list with `before`.
    const seen: Edge[] = [...last.edges];
    let before = last.pageInfo.startCursor;
    while (before) {
      const page = await find('openai', { last: 4, before });
      seen.unshift(...page.edges);
      before = page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null;
    }
    expect(seen).toEqual(all.edges);
    // More than there are: all of them.
    expect((await find('openai', { last: 100 })).edges).toEqual(all.edges);
  });

  it('combines after, before, first and last as Relay slices them', async () => {
    const all = (await find('openai', { first: 100 })).edges;
    const at = (i: number) => all[i]!.cursor;
    expect((await find('openai', { after: at(1), before: at(6) })).edges).toEqual(all.slice(2, 6));
    expect((await find('openai', { after: at(1), before: at(6), first: 2 })).edges).toEqual(all.slice(2, 4));
    expect((await find('openai', { after: at(1), before: at(6), last: 2 })).edges).toEqual(all.slice(4, 6));
    expect((await find('openai', { first: 5, before: at(3) })).edges).toEqual(all.slice(0, 3));
    expect((await find('openai', { after: at(2), last: 2 })).edges).toEqual(all.slice(-2));
    expect((await find('openai', { after: at(all.length - 2), last: 5 })).edges).toEqual(all.slice(-1));
    expect((await find('openai', { first: 4, last: 2 })).edges).toEqual(all.slice(2, 4));
    expect((await find('openai', { last: 2, before: at(0) })).edges).toEqual([]);
    expect((await find('zzzqqq', { last: 3 })).edges).toEqual([]);
    const bad = await app.gql(SEARCH, { q: 'openai', last: 3, before: 'nope' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('highlights', () => {
  it('point at the matched words, in the field the snippet is taken from', async () => {
    for (const q of ['Microsoft', 'Musk', 'M', 'Elon M', 'board', 'cnbc', 'capped profit', 'OpenAI Tesla']) {
      const words = q.toLowerCase().split(' ');
      for (const e of (await find(q, { first: 20 })).edges) {
        expect(e.highlights.length, `${q}: ${label(e.node)}`).toBeGreaterThan(0);
        const matched = e.highlights.map((r) => slice(e.node, r));
        // Each is a word typed, the last one begun.
        for (const m of matched) {
          const w = fold(m);
          expect(words.slice(0, -1).includes(w) || w.startsWith(words.at(-1)!), `${q}: "${m}" in ${label(e.node)}`).toBe(true);
        }
        // The snippet marks the same words, those in its window, from the same field.
        const marked = [...e.snippet.matchAll(/\*\*(.+?)\*\*/g)].map((m) => m[1]!);
        expect(marked.length, `${q}: ${e.snippet}`).toBeGreaterThan(0);
        for (const m of marked) expect(matched, `${q}: ${e.snippet}`).toContain(m);
        const offsets = e.highlights.map((r) => r.start);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
    }
  });

  it('name the alias, count UTF-16 code units, and stop at the bound', async () => {
    const created = await app.mutate<{ createEntity: { entity: { id: string } } }>(
      `mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { id } } }`,
      {
        input: {
          kind: 'ORGANIZATION',
          name: 'Quillet Holdings',
          aliases: ['QH Group', 'Zorblat Corp'],
          description: `🚀 Ünïcode café — ${'Vrenqo '.repeat(MAX_HIGHLIGHTS + 8)}`,
        },
      },
    );
    expect(created.errors).toBeUndefined();

    const alias = (await find('zorblat')).edges;
    expect(alias).toHaveLength(1);
    expect(alias[0]!.highlights).toEqual([{ field: 'aliases.1', start: 0, end: 7 }]);
    expect(alias[0]!.snippet).toBe('QH Group | **Zorblat** Corp');

    // "🚀" is two code units: the first match starts after "🚀 Ünïcode café — ".
    const accented = (await find('unicode cafe')).edges[0]!;
    expect(accented.highlights).toEqual([
      { field: 'description', start: 3, end: 10 },
      { field: 'description', start: 11, end: 15 },
    ]);
    expect(accented.highlights.map((r) => slice(accented.node, r))).toEqual(['Ünïcode', 'café']);

    const many = (await find('vrenqo')).edges[0]!;
    expect(many.highlights).toHaveLength(MAX_HIGHLIGHTS);
    expect(many.highlights.every((r) => slice(many.node, r) === 'Vrenqo')).toBe(true);
  });

  it('are documented with the bound the code keeps', () => {
    for (const file of ['docs/api.md', 'docs/examples.md']) expect(readFileSync(file, 'utf8'), file).toContain(`at most ${MAX_HIGHLIGHTS}`);
  });

  it('are counted by the query budget, as lists of at most MAX_HIGHLIGHTS', async () => {
    const cost = async (selection: string) =>
      ((await app.gql(`{ search(query: "openai", first: 10) { edges { ${selection} } } }`)).extensions as { cost: { requestedNodes: number } }).cost
        .requestedNodes;
    expect((await cost('snippet highlights { start }')) - (await cost('snippet'))).toBe(10 * MAX_HIGHLIGHTS);
  });

  it('hostile text stays a search, with or without highlights', async () => {
    const hostile = [
      '"', '""', "'", 'AND', 'OR NOT', 'NEAR(a b)', '*', 'M*', '^M', '-M', 'name:M', '{name}: M', '\u0000', 'M\u0000i', '\u0002M\u0003',
      '🚀', 'M🚀', '🚀 Microsoft', 'مايكروسوفت', '\u202eMicrosoft', 'שלום M', 'Ｍｉｃｒｏ', 'ﬁ', 'M'.repeat(1000), 'M '.repeat(500), ' ', '\t\n',
    ];
    for (const q of hostile) {
      const page = await find(q, { first: 5 });
      for (const e of page.edges) for (const r of e.highlights) slice(e.node, r);
      await find(q, { last: 2 });
    }
    const long = await app.gql(SEARCH, { q: 'M'.repeat(10_000) });
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(long.errors?.[0]?.message).toMatch(/longer than 1,000 characters/);
  });
});
