import { beforeAll, describe, expect } from 'vitest';
import { decodeGlobalID } from '../../src/domain/ids';
import { globalId } from '../support/app';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'exploration',
  register({ app: makeApp, it }) {
    type Hit = { score: number; snippet: string; cursor: string; node: { __typename: string; name?: string; text?: string; title?: string } };
    type SearchPage = { search: { totalCount: number; edges: Hit[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const SEARCH = `query($q: String!, $kinds: [SearchKind!], $first: Int, $after: String) {
      search(query: $q, kinds: $kinds, first: $first, after: $after) {
        totalCount
        edges { score snippet cursor node { __typename ... on Entity { name } ... on Claim { text } ... on Source { title } } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const PATH = `query($from: ID!, $to: ID!, $maxDepth: Int) {
      path(from: $from, to: $to, maxDepth: $maxDepth) {
        length
        entities { name }
        steps { from { name } to { name } description via { __typename id } }
      }
    }`;

    let app: EngineTestApp;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      app = await makeApp();
      const res = await app.gql<{ entities: { nodes: { id: string; name: string }[] } }>('{ entities(first: 100) { nodes { id name } } }');
      for (const e of res.data!.entities.nodes) ids[e.name] = e.id;
    });

    describe('search on the article', () => {
      it('finds Microsoft from "Micro", name first, with the match in context', async () => {
        const res = await app.gql<SearchPage>(SEARCH, { q: 'Micro' });
        const [first] = res.data!.search.edges;
        expect(first!.node).toEqual({ __typename: 'Organization', name: 'Microsoft' });
        expect(first!.snippet).toContain('**Microsoft**');
        const scores = res.data!.search.edges.map((e) => e.score);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
      });

      it('finds an entity by its alias, and filters by kind', async () => {
        const musk = await app.gql<SearchPage>(SEARCH, { q: 'musk' });
        expect(musk.data!.search.edges[0]!.node).toEqual({ __typename: 'Person', name: 'Elon Musk' });
        const claims = await app.gql<SearchPage>(SEARCH, { q: 'board', kinds: ['CLAIM'] });
        expect(claims.data!.search.totalCount).toBeGreaterThan(0);
        expect(claims.data!.search.edges.every((e) => e.node.__typename === 'Claim')).toBe(true);
        const sources = await app.gql<SearchPage>(SEARCH, { q: 'cnbc', kinds: ['SOURCE'] });
        expect(sources.data!.search.edges.map((e) => e.node.title)).toEqual([expect.stringContaining('CNBC')]);
      });

      it('treats any text as words to look for, never as syntax', async () => {
        for (const q of ['"', "Musk's", 'AND', 'NEAR(', '*', '-', ':', 'open AND source', 'title:OpenAI', '"unclosed', '((()))', 'a OR b NOT c', '^', "'; DROP TABLE claims; --", '']) {
          const res = await app.gql<SearchPage>(SEARCH, { q });
          expect(res.errors, q).toBeUndefined();
          expect(res.data!.search.totalCount, q).toBeGreaterThanOrEqual(0);
        }
        const res = await app.gql<SearchPage>(SEARCH, { q: "Musk's board" });
        expect(res.data!.search.edges.some((e) => /board/.test(e.node.text ?? ''))).toBe(true);
      });

      it('pages with cursors without repeating or skipping', async () => {
        const all = await app.gql<SearchPage>(SEARCH, { q: 'openai', first: 100 });
        const seen: string[] = [];
        let after: string | null = null;
        do {
          const page: { data?: SearchPage | null } = await app.gql<SearchPage>(SEARCH, { q: 'openai', first: 7, after });
          seen.push(...page.data!.search.edges.map((e) => JSON.stringify(e.node)));
          after = page.data!.search.pageInfo.hasNextPage ? page.data!.search.pageInfo.endCursor : null;
        } while (after);
        expect(seen).toEqual(all.data!.search.edges.map((e) => JSON.stringify(e.node)));
        expect(seen.length).toBe(all.data!.search.totalCount);
        const bad = await app.gql(SEARCH, { q: 'openai', after: 'nope' });
        expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      });

    });

    describe('path on the article', () => {
      it('describes each step in words', async () => {
        const res = await app.gql<{ path: { length: number; entities: { name: string }[]; steps: { description: string; via: { __typename: string } }[] } }>(
          PATH,
          { from: ids.Microsoft, to: ids.xAI },
        );
        const path = res.data!.path;
        expect(path.length).toBe(2);
        expect(path.entities.map((e) => e.name)).toEqual(['Microsoft', 'OpenAI', 'xAI']);
        expect(path.steps.map((s) => s.via.__typename)).toEqual(['Relationship', 'Relationship']);
        expect(path.steps[0]!.description).toMatch(/^Microsoft .+ OpenAI$/);
        expect(path.steps[1]!.description).toBe('xAI competes with OpenAI');
      });

      it('goes through an event two entities took part in', async () => {
        const res = await app.gql<{ path: { length: number; steps: { description: string; via: { __typename: string } }[] } }>(PATH, {
          from: ids.Tesla,
          to: ids['Elon Musk'],
        });
        expect(res.data!.path.length).toBe(1);
        expect(res.data!.path.steps[0]!.via.__typename).toBe('Event');
        expect(res.data!.path.steps[0]!.description).toMatch(/^Tesla and Elon Musk both took part in .*merger/);
      });

      it('answers length 0 for the same entity, null when unreachable, and refuses bad arguments', async () => {
        const same = await app.gql<{ path: { length: number; entities: { name: string }[] } }>(PATH, { from: ids.Grok, to: ids.Grok });
        expect(same.data!.path).toEqual({ length: 0, entities: [{ name: 'Grok' }], steps: [] });
        const none = await app.gql(PATH, { from: ids.Minh, to: ids.OpenAI, maxDepth: 6 });
        expect(none.errors).toBeUndefined();
        expect(none.data).toEqual({ path: null });
        for (const maxDepth of [0, 7, -1]) {
          const res = await app.gql(PATH, { from: ids.Minh, to: ids.OpenAI, maxDepth });
          expect(res.errors?.[0]?.extensions?.code, String(maxDepth)).toBe('BAD_USER_INPUT');
        }
        const unknown = await app.gql(PATH, { from: globalId('Person', 999999), to: ids.OpenAI });
        expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        const notEntity = await app.gql(PATH, { from: globalId('Claim', 1), to: ids.OpenAI });
        expect(notEntity.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        // Musk's row id under another entity type: an id this API never issued.
        const muskRow = Number(decodeGlobalID(ids['Elon Musk']!).id);
        const forged = await app.gql(PATH, { from: globalId('Organization', muskRow), to: ids.OpenAI });
        expect(forged.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect(forged.errors?.[0]?.message).toBe('from: no Organization has this id');
        const around = await app.gql('query($of: ID!) { neighborhood(of: $of) { truncated } }', { of: globalId('Product', muskRow) });
        expect(around.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      });

      it('respects maxDepth', async () => {
        const short = await app.gql(PATH, { from: ids.Microsoft, to: ids.xAI, maxDepth: 1 });
        expect(short.data).toEqual({ path: null });
      });
    });

    describe('neighborhood on the article', () => {
      it('returns the entities and relationships within reach, and refuses a depth outside 1 to 3', async () => {
        const res = await app.gql<{ neighborhood: { truncated: boolean; entities: { name: string }[]; relationships: { subject: { name: string }; predicate: string; object: { name: string } }[] } }>(
          'query($of: ID!) { neighborhood(of: $of) { truncated entities { name } relationships { subject { name } predicate object { name } } } }',
          { of: ids.Microsoft },
        );
        const g = res.data!.neighborhood;
        expect(g.truncated).toBe(false);
        expect(g.entities.map((e) => e.name)).toEqual(['Microsoft', 'OpenAI']);
        expect(g.relationships.map((r) => `${r.subject.name} ${r.predicate} ${r.object.name}`).sort()).toEqual([
          'Microsoft invested_in OpenAI',
          'Microsoft partner_of OpenAI',
        ]);
        const wider = await app.gql<{ neighborhood: { entities: unknown[] } }>('query($of: ID!) { neighborhood(of: $of, depth: 2) { entities { __typename } } }', { of: ids.Microsoft });
        expect(wider.data!.neighborhood.entities.length).toBeGreaterThan(2);
        for (const depth of [0, 4]) {
          const bad = await app.gql('query($of: ID!, $d: Int) { neighborhood(of: $of, depth: $d) { truncated } }', { of: ids.Microsoft, d: depth });
          expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        }
      });
    });
  },
} satisfies ContractModule;
