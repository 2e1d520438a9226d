import { getIntrospectionQuery, getNamedType, isInterfaceType, isIntrospectionType, isListType, isObjectType, getNullableType, parse } from 'graphql';
import { beforeAll, describe, expect } from 'vitest';
import { LIMITS } from '../../src/app';
import { estimateNodes, multiplierOf, NODE_LIMIT } from '../../src/graphql/budget';
import { DEFAULT_PAGE_SIZE, MAX_NODE_IDS, MAX_PAGE_SIZE } from '../../src/graphql/connection-limits';
import { PLAYGROUND_TABS } from '../../src/graphql/playground';
import { schema } from '../../src/graphql/schema';
import { FORMAT, parseImportDocument } from '../../src/model/import-format';
import { MAX_ITEMS } from '../../src/model/list-caps';
import { globalId, TEST_TOKEN } from '../support/app';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'budget',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
      muskId = globalId('Person', (await app.sql<{ id: number }>("SELECT id FROM entities WHERE slug = 'elon-musk'"))[0]!.id);
    });
    let muskId: string;

    type Cost = { requestedNodes: number; limit: number };
    type Refusal = { message: string; extensions: { code: string; cost: Cost; largest: { path: string; nodes: number; perParent: number; parents: number } } };

    async function ask(query: string, variables?: Record<string, unknown>) {
      const res = await app.gql(query, variables);
      return res as typeof res & { extensions?: { cost?: Cost }; errors?: Refusal[] };
    }

    const MUSK = () => muskId;

    /** The request that took 239 s and 4.4 GB before: one id over and over, three hops of relationships, pages from a variable. */
    const ATTACK = `query Attack($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { ... on Entity { relationships(first: $n) { nodes { object { relationships(first: $n) {
      nodes { object { relationships(first: $n) { nodes { predicate subject { name } } } } } } } } } } } }`;

    describe('the node budget', () => {
      it("refuses the attacker's request before running anything, naming the field to change", async () => {
        app.resetQueries();
        const res = await ask(ATTACK, { ids: Array.from({ length: MAX_NODE_IDS }, MUSK), n: 100 });
        expect(app.queries).toEqual([]);
        const error = res.errors![0]!;
        expect(error.extensions.code).toBe('QUERY_TOO_COMPLEX');
        // Each object the answer could hold: a connection and its page of 100, an object, for each above.
        const third = 1 + 1 + 100 + 100; // object, its connection, 100 relationships, each one's subject
        const second = 1 + 1 + 100 + 100 * third;
        const perId = 1 + 100 + 100 * second;
        expect(error.extensions.cost).toEqual({ requestedNodes: 100 + 100 * perId, limit: NODE_LIMIT });
        expect(error.extensions.largest).toMatchObject({ path: 'nodes.relationships.object.relationships.object.relationships', perParent: 100, parents: 100 ** 3 });
        expect(error.message).toContain(`${(100 + 100 * perId).toLocaleString('en-US')} nodes; the limit is ${NODE_LIMIT.toLocaleString('en-US')}`);
        expect(error.message).toContain('nodes.relationships.object.relationships.object.relationships (first: 100, ×1,000,000 parents): 101,000,000 nodes; lower its `first`');
        expect(res.extensions?.cost).toEqual(error.extensions.cost);
      });

      it('takes 1,500 ids no better: nodes(ids) is refused past its maximum, naming it', async () => {
        const res = await ask('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 1500 }, MUSK) });
        expect(res.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'ids' } });
        expect(res.errors![0]!.message).toContain(`at most ${MAX_NODE_IDS}`);
        const full = await ask('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: MAX_NODE_IDS }, MUSK) });
        expect(full.errors).toBeUndefined();
        expect(full.extensions?.cost).toEqual({ requestedNodes: MAX_NODE_IDS, limit: NODE_LIMIT });
      });

      it('counts pages given in variables like literal ones, and the default page when none is given', async () => {
        const literal = await ask('{ sources(first: 100) { nodes { claims(first: 60) { nodes { about { name } } } } } }');
        const variables = await ask('query($a: Int, $b: Int!) { sources(first: $a) { nodes { claims(first: $b) { nodes { about { name } } } } } }', { a: 100, b: 60 });
        const defaults = await ask('query($a: Int = 100, $b: Int = 60) { sources(first: $a) { nodes { claims(first: $b) { nodes { about { name } } } } } }');
        expect(literal.errors![0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
        // The sources connection and its 100, their claims connections and 60 each, each claim's entities.
        const expected = 1 + 100 + 100 * (1 + 60) + 100 * 60 * MAX_ITEMS.claimAbout;
        for (const res of [literal, variables, defaults]) expect(res.errors![0]!.extensions.cost.requestedNodes).toBe(expected);
        expect(literal.errors![0]!.message).toContain(
          `sources.claims.about (up to ${MAX_ITEMS.claimAbout} per Claim: the most entities a claim is about; ×6,000 parents): ${(6000 * MAX_ITEMS.claimAbout).toLocaleString('en-US')} nodes`,
        );

        const unpaged = await ask('{ claims { nodes { id } } }');
        expect(unpaged.extensions?.cost?.requestedNodes).toBe(1 + DEFAULT_PAGE_SIZE);
        const last = await ask('query($n: Int) { claims(last: $n) { nodes { id } } }', { n: 7 });
        expect(last.extensions?.cost?.requestedNodes).toBe(1 + 7);
      });

      it("refuses the limits example as docs/operations.md shows it", async () => {
        const res = await ask('{ sources(first: 100) { edges { node { claims(first: 60) { nodes { about { name } } } } } } }');
        expect(res.errors).toEqual([
          {
            message:
              'This query asks for up to 126,201 nodes; the limit is 110,000 (counting every object its answer could hold: each connection and its page, each list at its longest, each single object, for every object above them). Most come from sources.claims.about (up to 20 per Claim: the most entities a claim is about; ×6,000 parents): 120,000 nodes; ask for it under fewer parents: lower the `first` of the connections above it, or split the query.',
            extensions: {
              code: 'QUERY_TOO_COMPLEX',
              cost: { requestedNodes: 126201, limit: 110000 },
              largest: { path: 'sources.claims.about', nodes: 120000, perParent: 20, parents: 6000, by: { kind: 'list', type: 'Claim', field: 'about', why: 'the most entities a claim is about' } },
            },
          },
        ]);
        expect(res.extensions).toEqual({ cost: { requestedNodes: 126201, limit: 110000 } });
      });

      it('lets the ordinary shapes through, each answer carrying its cost', async () => {
        const musk = MUSK();
        const shapes: [string, Record<string, unknown> | undefined, number][] = [
          ['{ sources(first: 100) { edges { node { claims(first: 50) { nodes { about { name } } } } } } }', undefined, 101 + 100 * 51 + 100 * 50 * MAX_ITEMS.claimAbout],
          [
            'query($id: ID!) { node(id: $id) { ... on Entity { relationships(first: 50) { nodes { object { name relationships(first: 50) { nodes { predicate object { name } } } } } } } } }',
            { id: musk },
            1 + 51 + 50 + 50 * 51 + 50 * 50,
          ],
          ['{ events(first: 100) { nodes { name participants(first: 50) { edges { role node { name } } } } } }', undefined, 101 + 100 * 51],
          [
            '{ entities(first: 100) { nodes { name relationships(first: 100) { nodes { predicate object { name relationships(first: 5) { nodes { predicate } } } } } } } }',
            undefined,
            101 + 100 * 101 + 100 * 100 + 100 * 100 * 6,
          ],
          // A connection asked only for its count returns none of its items: only itself.
          ['{ entities(first: 100) { nodes { claimsAbout { totalCount } } } }', undefined, 101 + 100],
        ];
        for (const [query, variables, nodes] of shapes) {
          const res = await ask(query, variables);
          expect(res.errors, query).toBeUndefined();
          expect(res.extensions?.cost, query).toEqual({ requestedNodes: nodes, limit: LIMITS.maxNodes });
        }
        for (const tab of PLAYGROUND_TABS) {
          const res = await ask(tab.query);
          expect(res.errors, tab.query).toBeUndefined();
          expect(res.extensions?.cost?.limit).toBe(NODE_LIMIT);
        }
      });

      it('counts fragments, inline fragments and aliases; an object of an abstract type costs its costliest type', async () => {
        const query = `query($id: ID!) { a: node(id: $id) { ...Links } b: node(id: $id) { ... on Entity { relationships(first: 3) { nodes { id } } } }
          c: node(id: $id) { ... on Claim { about { id } } ... on Source { claims(first: 2) { nodes { id } } } } }
          fragment Links on Person { relationships(first: 10) { nodes { ...Ends } } } fragment Ends on Relationship { claims { id } }`;
        const res = await ask(query, { id: MUSK() });
        expect(res.errors).toBeUndefined();
        // Each node(id) is one; a: 10 relationships and their claims; b: 3; c: a Claim's entities, the costlier type.
        expect(res.extensions?.cost?.requestedNodes).toBe(1 + 11 + 10 * MAX_ITEMS.relationshipClaims + 1 + 4 + 1 + MAX_ITEMS.claimAbout);
      });

      it('leaves out what @skip and @include leave out', async () => {
        const query = 'query($all: Boolean!) { sources(first: 10) { nodes { claims(first: 10) @include(if: $all) { nodes { id } } statedClaims(first: 5) @skip(if: $all) { nodes { id } } } } }';
        expect((await ask(query, { all: true })).extensions?.cost?.requestedNodes).toBe(11 + 10 * 11);
        expect((await ask(query, { all: false })).extensions?.cost?.requestedNodes).toBe(11 + 10 * 6);
      });

      it('walks a fragment bomb once per fragment, and refuses it without running it', async () => {
        // Each fragment spreads the one before twice: 2^40 paths through the document.
        const levels = 40;
        const fragments = Array.from({ length: levels }, (_, i) =>
          i === 0 ? 'fragment F0 on Relationship { predicate }' : `fragment F${i} on Relationship { subject { relationships(first: 2) { nodes { ...F${i - 1} } } } object { relationships(first: 2) { nodes { ...F${i - 1} } } } }`,
        ).join('\n');
        const document = parse(`{ relationships(first: 1) { nodes { ...F${levels - 1} } } }\n${fragments}`);
        const estimate = estimateNodes(schema, document)!;
        expect(estimate.requestedNodes).toBeGreaterThan(4 ** (levels - 1));
        app.resetQueries();
        const res = await ask(`{ relationships(first: 1) { nodes { ...F${levels - 1} } } }\n${fragments}`);
        expect(res.errors![0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
        expect(app.queries).toEqual([]);
      });

      it('keeps introspection usable, and bounds it like any other query', async () => {
        const res = await ask(getIntrospectionQuery({ inputValueDeprecation: true, descriptions: true, specifiedByUrl: true }));
        expect(res.errors).toBeUndefined();
        expect(res.extensions?.cost?.requestedNodes).toBeGreaterThan(0);
        let nested = 'name';
        for (let i = 0; i < 6; i++) nested = `fields { type { ${nested} } } name`;
        const deep = await ask(`{ __schema { types { ${nested} } } }`);
        expect(deep.errors![0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
        expect(deep.errors![0]!.message).toMatch(/more than 3 levels deep\. Ask for fewer levels/);
      });

      it('answers from the response cache with the cost it stored with the answer', async () => {
        const query = '{ sources(first: 3) { nodes { title statedClaims(first: 4) { nodes { text } } } } }';
        const first = await ask(query);
        app.resetQueries();
        const hit = await ask(query);
        expect(app.queries).toEqual([]);
        expect(hit).toEqual(first);
        expect(hit.extensions?.cost).toEqual({ requestedNodes: 4 + 3 * 5, limit: NODE_LIMIT });
      });
    });

    describe('every list field declares how long it can be', () => {
      it('knows a multiplier for every list and connection of the schema', () => {
        const unknown: string[] = [];
        let lists = 0;
        for (const type of Object.values(schema.getTypeMap())) {
          if (isIntrospectionType(type) || !(isObjectType(type) || isInterfaceType(type))) continue;
          for (const field of Object.values(type.getFields())) {
            const list = isListType(getNullableType(field.type));
            if (!list && !field.args.some((a) => a.name === 'first')) continue;
            lists++;
            if (!multiplierOf(schema, type, field)) unknown.push(`${type.name}.${field.name}: ${getNamedType(field.type).name}`);
          }
        }
        expect(lists).toBeGreaterThan(20);
        expect(unknown, 'lists of objects without first/last must declare boundedList(max, why) in their extensions').toEqual([]);
      });

      it('stops each bounded list at its bound when writing', async () => {
        const first = async (table: string) => (await app.sql<{ id: number }>(`SELECT id FROM ${table} ORDER BY id LIMIT 1`))[0]!.id;
        const claim = globalId('Claim', await first('claims'));
        const source = globalId('Source', await first('sources'));
        const add = (i: number) =>
          app.mutate<{ addCitation: { claim: { id: string } } }>(
            'mutation($input: AddCitationInput!) { addCitation(input: $input) { claim { id } } }',
            { input: { claimId: claim, sourceId: source, stance: 'MENTIONS', locator: `p. ${i}` } },
          );
        const [{ n: existing }] = (await app.sql<{ n: number }>('SELECT CAST(count(*) AS integer) AS n FROM citations WHERE claim_id = (SELECT id FROM claims ORDER BY id LIMIT 1)')) as [{ n: number }];
        for (let i = existing; i < MAX_ITEMS.claimCitations; i++) expect((await add(i)).errors, String(i)).toBeUndefined();
        const refused = await add(MAX_ITEMS.claimCitations);
        expect(refused.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'input.claimId' } });
        expect(refused.errors![0]!.message).toContain(`already has ${MAX_ITEMS.claimCitations} citations`);
        const read = await ask('query($id: ID!) { node(id: $id) { ... on Claim { citations { id } } } }', { id: claim });
        expect((read.data as { node: { citations: unknown[] } }).node.citations).toHaveLength(MAX_ITEMS.claimCitations);
      });

      it('refuses a new claim that would give another claim one contradiction too many', async () => {
        const [target, ...others] = (await app.sql<{ id: number }>('SELECT id FROM claims ORDER BY id')).map((r) => r.id);
        // The seed has too few claims to contradict one fifty times through the API: link them here.
        for (const other of others.slice(0, MAX_ITEMS.claimContradicts)) {
          await app.sql('INSERT INTO claim_contradictions (claim_id, contradicts_id) VALUES (?, ?) ON CONFLICT DO NOTHING', target, other);
        }
        expect(await app.sql('SELECT CAST(count(*) AS integer) AS n FROM claim_contradictions WHERE claim_id = ?', target)).toEqual([{ n: MAX_ITEMS.claimContradicts }]);
        const [source] = await app.sql<{ id: number }>('SELECT id FROM sources ORDER BY id LIMIT 1');
        const res = await app.mutate('mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id } } }', {
          i: {
            text: 'One contradiction too many',
            kind: 'FACT',
            appearsInId: globalId('Source', source!.id),
            aboutIds: [MUSK()],
            contradictsIds: [globalId('Claim', target!)],
          },
        });
        expect(res.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'input.contradictsIds[0]' } });
      });

      it('refuses an import whose lists are longer than their bounds', () => {
        const slugs = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
        const result = parseImportDocument({
          format: FORMAT,
          claims: { c: { text: 'About many', kind: 'FACT', appearsIn: 's', about: slugs(MAX_ITEMS.claimAbout + 1, 'e'), contradicts: slugs(MAX_ITEMS.claimContradicts + 1, 'c') } },
          relationships: { r: { subject: 'a', predicate: 'knows', label: 'knows', object: 'b', claims: slugs(MAX_ITEMS.relationshipClaims + 1, 'c') } },
        });
        expect(result.issues).toEqual([
          { path: '$.claims.c.about', message: `at most ${MAX_ITEMS.claimAbout} items` },
          { path: '$.claims.c.contradicts', message: `at most ${MAX_ITEMS.claimContradicts} items` },
          { path: '$.relationships.r.claims', message: `at most ${MAX_ITEMS.relationshipClaims} items` },
        ]);
      });

      it('pages are still refused past MAX_PAGE_SIZE by the field itself, counted at most MAX_PAGE_SIZE', async () => {
        const res = await ask('query($n: Int) { claims(first: $n) { nodes { id } } }', { n: MAX_PAGE_SIZE + 1 });
        expect(res.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
        expect(res.extensions?.cost?.requestedNodes).toBe(1 + MAX_PAGE_SIZE);
      });
    });
  },
} satisfies ContractModule;
