import { parse } from 'graphql';
import { beforeAll, describe, expect } from 'vitest';
import { WORKLOADS } from '../../bench/workloads';
import { planOf } from '../../src/graphql/compiled-reads';
import { schema } from '../../src/graphql/schema';
import { generateGraph } from '../../src/model/generate';
import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

const workload = (name: string) => WORKLOADS.find((w) => w.name === name)!.query;
const planned = (query: string) => planOf(schema, parse(query), undefined) !== null;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const cursor = (id: number) => Buffer.from(`DC:N:${id}`).toString('base64');

/**
 * Compiled reads (src/graphql/compiled-reads.ts). Every app of the contract suite runs with
 * compiledReads 'verify': each compiled answer is also computed by the executor, and a request
 * whose two answers differ in any byte (or in the id ranges they declare to the response cache)
 * fails. So every query of the suite, the hostile runs included, compares the two paths; these
 * tests make sure the plain reads really are compiled, over a graph with hubs, deep pages and
 * every entity kind, and that they stay a fixed number of statements: on PostgreSQL one, which
 * builds the whole answer (src/graphql/compiled/statement.ts).
 */
export default {
  name: 'compiled reads',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({
        build: (db) => generateGraph(db, { entities: 400, relationships: 1500, claims: 1200, sources: 30, seed: 11, minCitations: 0, maxCitations: 3 }),
      });
    });

    /** Runs `query` and returns its data and how many statements answered it. */
    async function read<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) {
      app.resetQueries();
      const res = await app.gql<T>(query, variables);
      expect(res.errors).toBeUndefined();
      return { data: res.data!, statements: app.queries.length };
    }

    describe('what is compiled', () => {
      it('plans the benchmark’s plain reads and leaves search, paths and filters to the executor', () => {
        for (const name of ['lookup', 'nested', 'page-first', 'page-deep']) expect(planned(workload(name)), name).toBe(true);
        for (const name of ['search-common', 'path-reachable', 'filtered']) expect(planned(workload(name)), name).toBe(false);
        expect(planned('{ entity(name: "x") { id } }')).toBe(false);
        expect(planned('query($s: Boolean!) { claims { nodes { text @include(if: $s) } } }')).toBe(false);
        expect(planned('mutation { deleteClaim(input: { id: "x" }) { deletedId } }')).toBe(false);
      });

      it('leaves to the executor a plan that would multiply past MAX_PLAN_FIELDS, each entity type asking for its own', () => {
        // Each link asks every entity type for a field of its own and follows the link again:
        // six times the plan per link. The depth limit refuses this many links over HTTP; the plan
        // is bounded on its own all the same.
        const chain = (links: number) => {
          const own = ['occupation', 'legalForm', 'description', 'releasedOn', 'slug', 'name'];
          const types = ['Person', 'Organization', 'Event', 'Product', 'Place', 'Group'];
          const fragments = Array.from({ length: links }, (_, i) => {
            const next = i + 1 < links ? `...F${i + 1}` : 'id';
            return `fragment F${i} on Entity { ${types.map((type, k) => `... on ${type} { ${own[k]} wikidataSource { publisher { ${next} } } }`).join(' ')} }`;
          });
          return `{ node(id: "x") { ...F0 } } ${fragments.join(' ')}`;
        };
        expect(planned(chain(2))).toBe(true);
        expect(planned(chain(6))).toBe(false);
      });
    });

    describe('the benchmark’s reads, both ways', () => {
      it.each([[1], [7], [19]])('answers the nested read of source %s in the same statements however many rows it shows', async (source) => {
        const { data, statements } = await read<{ node: { claims: { nodes: { about: unknown[] }[] } } }>(workload('nested'), { id: gid('Source', source) });
        expect(data.node.claims.nodes.length).toBeGreaterThan(0);
        // SQLite: the source, its page of claims, what they are about, and those entities'
        // relationships with their objects (joined). PostgreSQL: one statement builds the whole answer.
        expect(statements).toBe(app.engine === 'postgres' ? 1 : 4);
      });

      it('answers lookups of every claim kind with their claimant, and a null for a missing row', async () => {
        for (const id of [1, 2, 500, 1200]) {
          const { data, statements } = await read<{ node: { text: string } }>(workload('lookup'), { id: gid('Claim', id) });
          expect(data.node.text.length).toBeGreaterThan(0);
          // The claimant is read in the claim's statement.
          expect(statements).toBe(1);
        }
        expect((await read(workload('lookup'), { id: gid('Claim', 999_999) })).data).toEqual({ node: null });
      });

      it('writes one statement text per shape of the arguments, and fills in each request’s values', async () => {
        type Lookup = { node: { id?: string } | null };
        const texts: string[] = [];
        const lookup = async (type: string, id: number) => {
          const { data } = await read<Lookup>(workload('lookup'), { id: gid(type, id) });
          texts.push(app.queries.join('\n'));
          return data.node;
        };
        expect(await lookup('Claim', 3)).toMatchObject({ id: gid('Claim', 3) });
        expect(await lookup('Claim', 5)).toMatchObject({ id: gid('Claim', 5) });
        // A source's id: its id, none of the claim fragment's fields, from another table.
        expect(await lookup('Source', 2)).toEqual({ id: gid('Source', 2) });
        expect(await lookup('Claim', 7)).toMatchObject({ id: gid('Claim', 7) });
        if (app.engine === 'postgres') expect(texts.map((text) => texts.indexOf(text))).toEqual([0, 0, 2, 0]);
        const page = async (after: number | null) => {
          const { data } = await read<{ claims: { nodes: { id: string }[] } }>(workload('page-deep'), { after: after === null ? null : cursor(after) });
          texts.push(app.queries.join('\n'));
          return data.claims.nodes[0]!.id;
        };
        expect(await page(100)).toBe(gid('Claim', 101));
        expect(await page(null)).toBe(gid('Claim', 1));
        expect(await page(500)).toBe(gid('Claim', 501));
        if (app.engine === 'postgres') expect(texts.slice(4).map((text) => texts.indexOf(text))).toEqual([4, 5, 4]);
      });

      it('pages claims at the start, deep, and past the end', async () => {
        const first = await read<{ claims: { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(workload('page-first'), {});
        expect(first.data.claims.nodes).toHaveLength(20);
        expect(first.statements).toBe(1);
        const deep = await read<{ claims: { nodes: unknown[]; pageInfo: { hasNextPage: boolean } } }>(workload('page-deep'), { after: cursor(1100) });
        expect(deep.data.claims.nodes).toHaveLength(20);
        const last = await read<{ claims: { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(workload('page-deep'), { after: cursor(1195) });
        expect(last.data.claims.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
        const beyond = await read<{ claims: { nodes: unknown[]; pageInfo: { endCursor: string | null } } }>(workload('page-deep'), { after: cursor(5000) });
        expect(beyond.data.claims).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
      });
    });

    describe('shapes beyond the benchmark', () => {
      it('answers an entity page with fragments, aliases, counts, edges and both directions of its relationships', async () => {
        const hubs = await read<{ relationships: { nodes: { subject: { id: string } }[] } }>('{ relationships(first: 100) { nodes { subject { id } } } }');
        const ids = [...new Set(hubs.data.relationships.nodes.map((r) => r.subject.id))].slice(0, 12);
        const query = `query($ids: [ID!]!) {
          nodes(ids: $ids) {
            __typename id
            ... on Entity { name kind aliases description createdAt
              out: relationships(direction: OUTGOING, first: 3) { totalCount edges { cursor node { predicate label validFrom object { __typename id name } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
              all: relationships { totalCount nodes { subject { name } } }
              claimsAbout(first: 2) { totalCount nodes { text support claimant { name } appearsIn { title publisher { name } } } }
              claimsMade(first: 2) { nodes { kind attribution validFrom validTo } }
            }
            ... on Person { occupation }
            ... on Organization { foundedOn legalForm }
            ... on Product { developer { name } releasedOn }
          }
        }`;
        const few = await read<{ nodes: unknown[] }>(query, { ids: ids.slice(0, 2) });
        const many = await read<{ nodes: unknown[] }>(query, { ids });
        expect(many.data.nodes).toHaveLength(ids.length);
        expect(many.statements).toBe(few.statements);
        // Links to one row, down to a source's publisher, are joined into their parents' statements.
        const links = await read<{ claims: { nodes: { appearsIn: { publisher: unknown } }[] } }>('{ claims(first: 30) { nodes { claimant { name } appearsIn { title publisher { name kind } } } } }');
        expect(links.data.claims.nodes).toHaveLength(30);
        expect(links.statements).toBe(1);
      });

      it('answers through the per-field statements a read whose one statement would pass MAX_STATEMENT_FIELDS', async () => {
        // Entity types that ask for different fields each get a branch of the statement with
        // everything under them written again: here about 1,300 fields for a plan of a few hundred.
        const entity = ['Person', 'Organization', 'Event', 'Product', 'Place', 'Group']
          .map((type) => `... on ${type} { id name slug description kind createdAt updatedAt aliases }`)
          .join(' ');
        const own = { Person: 'occupation', Organization: 'legalForm', Event: 'slug', Product: 'releasedOn', Place: 'name', Group: 'description' };
        const query = `query($ids: [ID!]!) { nodes(ids: $ids) { ...A } }
          fragment A on Entity { ${Object.entries(own).map(([type, field]) => `... on ${type} { ${field} ...R }`).join(' ')} }
          fragment R on Entity {
            relationships(first: 2) { nodes { predicate subject { ...B } object { ...B } } }
            claimsAbout(first: 1) { nodes { text claimant { ...B } } }
            claimsMade(first: 1) { nodes { text claimant { ...B } } }
          }
          fragment B on Entity { ${entity} }`;
        expect(planned(query)).toBe(true);
        const hubs = await read<{ relationships: { nodes: { subject: { id: string } }[] } }>('{ relationships(first: 50) { nodes { subject { id } } } }');
        const ids = [...new Set(hubs.data.relationships.nodes.map((r) => r.subject.id))].slice(0, 4);
        const { data, statements } = await read<{ nodes: unknown[] }>(query, { ids });
        expect(data.nodes).toHaveLength(ids.length);
        // One statement would have been compiled; past the bound the plan's statements answer.
        if (app.engine === 'postgres') expect(statements).toBeGreaterThan(1);
      });

      it('answers a source’s cited and stated claims and its citations, each page after a cursor too', async () => {
        const query = `query($id: ID!, $after: String) {
          node(id: $id) { ... on Source { title kind url label publishedOn
            supports: claims(first: 3, after: $after) { totalCount edges { cursor node { text } } pageInfo { hasPreviousPage endCursor } }
            refutes: claims(stance: REFUTES) { totalCount nodes { text } }
            statedClaims(first: 2) { nodes { slug } }
            citations(first: 2) { nodes { stance claim { text } source { title } } }
          } }
        }`;
        const start = await read<{ node: { supports: { pageInfo: { endCursor: string | null } } } }>(query, { id: gid('Source', 3) });
        const next = await read<{ node: { supports: { pageInfo: { hasPreviousPage: boolean } } } }>(query, { id: gid('Source', 3), after: start.data.node.supports.pageInfo.endCursor });
        expect(next.data.node.supports.pageInfo.hasPreviousPage).toBe(true);
        expect(next.statements).toBe(start.statements);
        if (app.engine === 'postgres') expect(next.statements).toBe(1);
      });
    });

    describe('what stays the executor’s', () => {
      it('refuses a malformed id, a forged cursor and a page too large with the executor’s own errors', async () => {
        const bad = await app.gql(workload('lookup'), { id: 'not-an-id' });
        expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const forged = await app.gql(workload('page-deep'), { after: Buffer.from('DC:N:1.5').toString('base64') });
        expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const large = await app.gql('{ claims(first: 101) { nodes { id } } }');
        expect(large.errors?.[0]?.message).toMatch(/at most 100/);
      });
    });
  },
} satisfies ContractModule;
