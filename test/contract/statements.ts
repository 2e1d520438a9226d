import { beforeAll, describe, expect } from 'vitest';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'statements',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp();
    });

    const NESTED = `query Nested($sources: Int, $claims: Int, $about: Int) {
      sources(first: $sources) {
        totalCount
        nodes {
          title
          claims(stance: SUPPORTS, first: $claims) {
            totalCount
            nodes {
              text
              claimant { name }
              about {
                name
                relationships(first: $about) {
                  totalCount
                  nodes { predicate subject { name } object { name } claims { text } }
                }
              }
            }
          }
          statedClaims(first: $claims) { nodes { text about { name } citations { stance source { title } } } }
        }
      }
    }`;

    async function statementsFor(variables: Record<string, number>) {
      app.resetQueries();
      const res = await app.gql(NESTED, variables);
      expect(res.errors).toBeUndefined();
      return { count: app.queries.length, data: res.data };
    }

    describe('nested reads are planned into SQL', () => {
      it('issues the same few statements for sources → claims → about → relationships whatever the page sizes', async () => {
        const small = await statementsFor({ sources: 1, claims: 1, about: 1 });
        // As large as the node budget lets this query be (a relationship's claims count 50 each).
        const large = await statementsFor({ sources: 5, claims: 5, about: 3 });
        expect(JSON.stringify(large.data).length).toBeGreaterThan(JSON.stringify(small.data).length * 5);
        expect(large.count).toBe(small.count);
        // The page itself and the root totalCount.
        expect(large.count).toBeLessThanOrEqual(2);
      });

      it('reads only the columns the query selects', async () => {
        app.resetQueries();
        const res = await app.gql('{ sources(first: 5) { nodes { title claims { nodes { text about { name } } } } } }');
        expect(res.errors).toBeUndefined();
        const statement = app.queries.join('\n');
        for (const wanted of ['"title"', '"text"', '"name"']) expect(statement).toContain(wanted);
        // Unasked text columns and timestamps stay in the table: a nested page carries only what is shown.
        for (const unread of ['"url"', '"description"', '"created_at"', '"quote"', '"slug"']) expect(statement).not.toContain(unread);
      });

      it('plans entity → events → participants → claims into one statement', async () => {
        app.resetQueries();
        const res = await app.gql(
          '{ entities(first: 20) { nodes { name events { edges { role node { name participants { edges { role node { name claimsAbout { totalCount } } } } claims { nodes { text } } } } } claimsMade { nodes { text contradicts { text } } } } } }',
        );
        expect(res.errors).toBeUndefined();
        expect(app.queries).toHaveLength(1);
      });

      it('loads a nodes() batch and what it selects in a few statements, however many ids it names', async () => {
        const all = await app.gql<{ claims: { nodes: { id: string }[] } }>('{ claims(first: 50) { nodes { id } } }');
        const statements = async (ids: string[]) => {
          app.resetQueries();
          const res = await app.gql<{ nodes: { about: unknown[] }[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Claim { text about { name } } } }', { ids });
          expect(res.errors).toBeUndefined();
          expect(res.data!.nodes).toHaveLength(ids.length);
          return app.queries.length;
        };
        const ids = all.data!.claims.nodes.map((c) => c.id);
        const few = await statements(ids.slice(0, 2));
        expect(await statements(ids)).toBe(few);
        // The claims, and the entities they are about (compiled reads: src/graphql/compiled-reads.ts).
        expect(few).toBeLessThanOrEqual(2);
      });

      it('plans what a neighborhood selects on its entities and relationships into the statements that load them', async () => {
        const musk = await app.gql<{ entity: { id: string } }>('{ entity(name: "Elon Musk") { id } }');
        const statements = async (selection: string) => {
          await app.gql('query($e: ID!) { neighborhood(of: $e, depth: 3) { truncated } }', { e: musk.data!.entity.id });
          app.resetQueries();
          const res = await app.gql<{ neighborhood: { relationships: unknown[] } }>(
            `query($e: ID!) { neighborhood(of: $e, depth: 3) { ${selection} } }`,
            { e: musk.data!.entity.id },
          );
          expect(res.errors).toBeUndefined();
          expect(res.data!.neighborhood.relationships.length).toBeGreaterThan(5);
          return app.queries.length;
        };
        const bare = await statements('entities { id } relationships { id }');
        const rich = await statements(`
          entities { id name ... on Person { occupation } claimsMade(first: 2) { nodes { text } } }
          relationships { predicate subject { name } object { name ... on Organization { foundedOn } } claims { text } }`);
        // Nested lists and objects ride in the same statements: the centre's check, the entities'
        // kinds, one per entity type reached, one for the relationships.
        expect(rich).toBe(bare);
      });

      it('plans search results and what they select: two statements for a rare word, one per table hit', async () => {
        app.resetQueries();
        const res = await app.gql<{ search: { edges: unknown[] } }>(
          '{ search(query: "openai", first: 50) { edges { node { __typename ... on Claim { text claimant { name } about { name } citations { source { title } } } ... on Entity { name aliases } ... on Source { title publisher { name } } } } } }',
        );
        expect(res.errors).toBeUndefined();
        const types = new Set((res.data!.search.edges as { node: { __typename: string } }[]).map((e) => e.node.__typename));
        const tables = new Set([...types].map((type) => (type === 'Claim' ? 'claims' : type === 'Source' ? 'sources' : 'entities')));
        // Entity kinds that select alike load in one statement.
        expect(types.size).toBeGreaterThan(tables.size);
        expect(app.queries).toHaveLength(2 + tables.size);
      });

      it('counts a connection only when its totalCount is asked for', async () => {
        const query = (withCount: boolean) =>
          `{ entities(first: 5) { nodes { relationships(first: 2) { ${withCount ? 'totalCount' : ''} nodes { id } } } } }`;
        app.resetQueries();
        await app.gql(query(false));
        expect(app.queries.join('\n')).not.toMatch(/count\(\*\) FROM "relationship_ends"/);
        app.resetQueries();
        const counted = await app.gql<{ entities: { nodes: { relationships: { totalCount: number } }[] } }>(query(true));
        expect(app.queries.join('\n')).toMatch(/count\(\*\) FROM "relationship_ends"/);
        expect(counted.data!.entities.nodes.some((e) => e.relationships.totalCount > 2)).toBe(true);
      });
    });
  },
} satisfies ContractModule;
