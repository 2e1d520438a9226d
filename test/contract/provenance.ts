import { beforeAll, describe, expect } from 'vitest';
import { NO_BASIS_NOTE } from '../../src/model/fields';
import { TEST_TOKEN } from '../support/app';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'provenance',
  register({ app: makeApp, it }) {
    /*
     * Issue 15: every edge of the seed says why it is there. The article (see README, "What the
     * seeded graph holds") states some relationships and implies others; it juxtaposes one pair of
     * claims and the graph's author drew the rest. These tests pin each correction of the seed.
     */

    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
    });

    type Basis = { kind: string; note: string | null; quote: string | null; claims: { slug: string }[] };
    type Rel = { slug: string; basis: Basis; claims: { slug: string }[] };

    const RELATIONSHIPS = `nodes { slug claims { slug } basis { kind note quote claims { slug } } }`;

    /** The relationships the article implies but never states. */
    const INFERRED_RELATIONSHIPS = [
      'microsoft-partner-of-openai',
      'elon-musk-co-founded-openai',
      'openai-develops-gpt-4',
      'xai-develops-grok',
      'xai-competes-with-openai',
    ];

    describe('relationships', () => {
      it('every relationship has a basis; the inferred ones are exactly those the article does not state, each with a note', async () => {
        const res = await app.gql<{ relationships: { totalCount: number; nodes: Rel[] } }>(`{ relationships(first: 100) { totalCount ${RELATIONSHIPS} } }`);
        const all = res.data!.relationships.nodes;
        expect(all).toHaveLength(res.data!.relationships.totalCount);
        for (const r of all) expect(['STATED', 'INFERRED'], r.slug).toContain(r.basis.kind);
        const inferred = all.filter((r) => r.basis.kind === 'INFERRED');
        expect(inferred.map((r) => r.slug).sort()).toEqual([...INFERRED_RELATIONSHIPS].sort());
        for (const r of inferred) expect(r.basis.note, r.slug).toMatch(/\S{10,}/);
        // The basis lists the relationship's claims.
        for (const r of all) expect(r.basis.claims, r.slug).toEqual(r.claims);
      });

      it('each implied relationship says which words it was read from', async () => {
        const res = await app.gql<{ relationships: { nodes: Rel[] } }>(`{ relationships(first: 100) { ${RELATIONSHIPS} } }`);
        const note = (slug: string) => res.data!.relationships.nodes.find((r) => r.slug === slug)!.basis.note;
        expect(note('elon-musk-co-founded-openai')).toMatch(/"co-founder collaboration"/);
        expect(note('microsoft-partner-of-openai')).toMatch(/closer alignment with commercial entities like Microsoft/);
        expect(note('openai-develops-gpt-4')).toMatch(/GPT-4/);
        expect(note('xai-develops-grok')).toMatch(/introducing the Grok assistant/);
        expect(note('xai-competes-with-openai')).toMatch(/without naming OpenAI/);
      });

      it('filtered to STATED, leaves only edges each backed by the claims that state them', async () => {
        const res = await app.gql<{ stated: { totalCount: number; nodes: Rel[] }; all: { totalCount: number }; groups: { groupBy: { key: string; count: number }[] } }>(
          `{ stated: relationships(first: 100, where: { basis: { eq: STATED } }) { totalCount ${RELATIONSHIPS} }
             all: relationships { totalCount }
             groups: relationships { groupBy(field: BASIS) { key count } } }`,
        );
        const stated = res.data!.stated;
        expect(stated.totalCount).toBe(res.data!.all.totalCount - INFERRED_RELATIONSHIPS.length);
        expect(stated.nodes.length).toBe(stated.totalCount);
        for (const r of stated.nodes) {
          expect(r.basis.kind).toBe('STATED');
          expect(r.basis.claims.length, r.slug).toBeGreaterThan(0);
        }
        expect(Object.fromEntries(res.data!.groups.groupBy.map((g) => [g.key, g.count]))).toEqual({ STATED: stated.totalCount, INFERRED: INFERRED_RELATIONSHIPS.length });
      });

      it("an entity's relationships filter by basis too", async () => {
        const res = await app.gql<{ entity: { stated: { nodes: Rel[] }; inferred: { nodes: Rel[] } } }>(
          `{ entity(name: "Elon Musk") {
               stated: relationships(first: 50, where: { basis: { eq: STATED } }) { ${RELATIONSHIPS} }
               inferred: relationships(first: 50, where: { basis: { eq: INFERRED } }) { ${RELATIONSHIPS} } } }`,
        );
        expect(res.data!.entity.inferred.nodes.map((r) => r.slug)).toEqual(['elon-musk-co-founded-openai']);
        expect(res.data!.entity.stated.nodes.map((r) => r.slug)).not.toContain('elon-musk-co-founded-openai');
      });

      it('neighborhood(basis: STATED) follows only stated links', async () => {
        const res = await app.gql<any>(
          `query($of: ID!) { all: neighborhood(of: $of) { relationships { slug basis { kind } } } stated: neighborhood(of: $of, basis: STATED) { relationships { slug basis { kind } } entities { name } } }`,
          { of: (await app.gql<any>('{ entity(name: "xAI") { id } }')).data.entity.id },
        );
        const slugs = (g: { relationships: { slug: string }[] }) => g.relationships.map((r) => r.slug).sort();
        expect(slugs(res.data.all)).toEqual(['elon-musk-founded-xai', 'xai-competes-with-openai', 'xai-develops-grok']);
        expect(slugs(res.data.stated)).toEqual(['elon-musk-founded-xai']);
        expect(res.data.stated.entities.map((e: { name: string }) => e.name)).toEqual(['xAI', 'Elon Musk']);
      });
    });

    type Contradiction = { claim: { slug: string }; basis: Basis };
    type ClaimWith = { id: string; slug: string; contradicts: { slug: string }[]; contradictions: Contradiction[] };

    async function contradictions() {
      const res = await app.gql<{ claims: { nodes: ClaimWith[] } }>(
        // basis.claims is left out: the query budget counts it at a relationship's longest, under every contradiction.
        '{ claims(first: 100) { nodes { id slug contradicts { slug } contradictions { claim { slug } basis { kind note quote } } } } }',
      );
      return res.data!.claims.nodes;
    }

    describe('contradictions', () => {
      it('every contradiction has a basis; only the pair the article juxtaposes is STATED, with its passage', async () => {
        const claims = await contradictions();
        const pairs = claims.flatMap((c) => c.contradictions.map((x) => ({ from: c.slug, ...x })));
        expect(pairs.length).toBeGreaterThan(0);
        for (const p of pairs) {
          expect(['STATED', 'INFERRED']).toContain(p.basis.kind);
          if (p.basis.kind === 'INFERRED') expect(p.basis.note, `${p.from} ↔ ${p.claim.slug}`).toMatch(/does not set these two against each other/);
        }
        const secrecy = claims.find((c) => c.slug === 'openai-secrecy-necessary')!;
        const one = await app.gql<any>('query($id: ID!) { node(id: $id) { ... on Claim { contradictions { claim { slug } basis { claims { slug } } } } } }', { id: secrecy.id });
        for (const x of one.data.node.contradictions) expect(x.basis.claims.map((c: { slug: string }) => c.slug)).toEqual([secrecy.slug, x.claim.slug]);
        const stated = pairs.filter((p) => p.basis.kind === 'STATED');
        expect(stated.map((p) => [p.from, p.claim.slug].sort().join(' ↔ '))).toEqual([
          'musk-transparency-essential-for-safety ↔ openai-secrecy-necessary',
          'musk-transparency-essential-for-safety ↔ openai-secrecy-necessary',
        ]);
        expect(stated[0]!.basis.quote).toBe(
          'Musk argues that transparency is essential for AI safety, while OpenAI emphasizes that competitive secrecy is necessary for development.',
        );
      });

      it('holds the missing pair: withholding the technology breaches the founding agreement ↔ secrecy is necessary (inferred)', async () => {
        const claims = await contradictions();
        const withholding = claims.find((c) => c.slug === 'musk-withholding-breaches-founding-agreement')!;
        expect(withholding.contradictions).toEqual([expect.objectContaining({ claim: { slug: 'openai-secrecy-necessary' }, basis: expect.objectContaining({ kind: 'INFERRED' }) })]);
      });

      it('keeps Claim.contradicts working: the same claims as contradictions, both ways', async () => {
        const claims = await contradictions();
        for (const c of claims) expect(c.contradicts.map((x) => x.slug), c.slug).toEqual(c.contradictions.map((x) => x.claim.slug));
        const secrecy = claims.find((c) => c.slug === 'openai-secrecy-necessary')!;
        expect(secrecy.contradicts).toHaveLength(5);
      });
    });

    describe('outside facts and claimants', () => {
      it('every Wikidata id cites the Wikidata source, never the article', async () => {
        const res = await app.gql<{ entities: { nodes: { name: string; wikidataId: string | null; wikidataSource: { title: string; kind: string } | null }[] } }>(
          '{ entities(first: 100) { nodes { name wikidataId wikidataSource { title kind } } } }',
        );
        const withId = res.data!.entities.nodes.filter((e) => e.wikidataId);
        expect(withId.length).toBeGreaterThan(0);
        for (const e of withId) expect(e.wikidataSource, e.name).toEqual({ title: 'Wikidata', kind: 'ENCYCLOPEDIA' });
        expect(res.data!.entities.nodes.find((e) => e.name === 'Elon Musk')!.wikidataId).toBe('Q317521');
      });

      it('"Many" is a Group, and filtering for people leaves it out', async () => {
        const res = await app.gql<{ many: { __typename: string; kind: string }; people: { nodes: { name: string }[] }; groups: { nodes: { name: string }[] } }>(
          `{ many: entity(name: "Many (unnamed observers)") { __typename kind }
             people: entities(first: 100, kind: PERSON) { nodes { name } }
             groups: entities(first: 100, where: { kind: { eq: GROUP } }) { nodes { name } } }`,
        );
        expect(res.data!.many).toEqual({ __typename: 'Group', kind: 'GROUP' });
        expect(res.data!.people.nodes.map((p) => p.name)).not.toContain('Many (unnamed observers)');
        expect(res.data!.groups.nodes.map((p) => p.name)).toEqual(['Many (unnamed observers)']);
      });

      it("Musk's part in OpenAI's founding says it is inferred from the article's words", async () => {
        const res = await app.gql<any>('{ entity(name: "Founding of OpenAI") { ... on Event { participants { edges { role node { name } } } } } }');
        const musk = res.data.entity.participants.edges.find((e: { node: { name: string } }) => e.node.name === 'Elon Musk');
        expect(musk.role).toMatch(/inferred from the article's "co-founder collaboration"/);
      });

      it('claims whose text is evaluative are not FACTs', async () => {
        const res = await app.gql<{ claims: { nodes: { slug: string; kind: string }[] } }>('{ claims(first: 100) { nodes { slug kind } } }');
        const kind = Object.fromEntries(res.data!.claims.nodes.map((c) => [c.slug, c.kind]));
        expect(kind['for-profit-shift-core-contention']).toBe('OPINION');
        expect(kind['rift-deepened-after-musk-left']).toBe('OPINION');
        expect(kind['xai-truth-seeking-reasoning']).toBe('OPINION');
      });
    });

    describe('writes and imports take a basis', () => {
      const ids = async () => {
        const res = await app.gql<any>('{ musk: entity(name: "Elon Musk") { id } tesla: entity(name: "Tesla") { id } claims(first: 2) { nodes { id } } }');
        return { musk: res.data.musk.id as string, tesla: res.data.tesla.id as string, claims: res.data.claims.nodes.map((c: { id: string }) => c.id) as string[] };
      };
      const create = `mutation($input: CreateRelationshipInput!) { createRelationship(input: $input) { relationship { basis { kind note claims { id } } } } }`;

      it('createRelationship: STATED needs claims, INFERRED a note; left out, it follows the claims', async () => {
        const { musk, tesla, claims } = await ids();
        const noClaims = await app.mutate(create, { input: { subjectId: musk, predicate: 'probe_stated', objectId: tesla, basis: 'STATED' } });
        expect(noClaims.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(noClaims.errors?.[0]?.message).toMatch(/claimIds/);
        const noNote = await app.mutate(create, { input: { subjectId: musk, predicate: 'probe_inferred', objectId: tesla, basis: 'INFERRED' } });
        expect(noNote.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(noNote.errors?.[0]?.message).toMatch(/basisNote/);
        const withClaims = await app.mutate<any>(create, { input: { subjectId: musk, predicate: 'probe_default_stated', objectId: tesla, claimIds: [claims[0]] } });
        expect(withClaims.data.createRelationship.relationship.basis).toEqual({ kind: 'STATED', note: null, claims: [{ id: claims[0] }] });
        const bare = await app.mutate<any>(create, { input: { subjectId: musk, predicate: 'probe_default_inferred', objectId: tesla } });
        expect(bare.data.createRelationship.relationship.basis).toEqual({ kind: 'INFERRED', note: NO_BASIS_NOTE, claims: [] });
      });

      it('createClaim: contradictions carry their basis both ways; contradictsIds are INFERRED without one', async () => {
        const { musk, claims } = await ids();
        const article = (await app.gql<any>('{ sources { nodes { id slug } } }')).data.sources.nodes.find((s: { slug: string }) => s.slug === 'article').id;
        const res = await app.mutate<any>(
          `mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { contradictions { claim { id } basis { kind note quote } } } } }`,
          {
            input: {
              text: 'A probe of a stated contradiction.',
              kind: 'POSITION',
              appearsInId: article,
              aboutIds: [musk],
              contradictions: [{ claimId: claims[0], basis: 'STATED', quote: 'the passage' }],
              contradictsIds: [claims[1]],
            },
          },
        );
        expect(res.errors).toBeUndefined();
        expect(res.data.createClaim.claim.contradictions).toEqual([
          { claim: { id: claims[0] }, basis: { kind: 'STATED', note: null, quote: 'the passage' } },
          { claim: { id: claims[1] }, basis: { kind: 'INFERRED', note: NO_BASIS_NOTE, quote: null } },
        ]);
        const refused = await app.mutate(`mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }`, {
          input: { text: 'A probe.', kind: 'FACT', appearsInId: article, aboutIds: [musk], contradictions: [{ claimId: claims[0], basis: 'INFERRED' }] },
        });
        expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(refused.errors?.[0]?.message).toMatch(/contradictions\[0\]\.note/);
      });

    });

    describe('what is refused', () => {
      it('a write: a Wikidata source without an id', async () => {
        const wikidata = (await app.gql<any>('{ sources { nodes { id title } } }')).data.sources.nodes.find((s: { title: string }) => s.title === 'Wikidata').id;
        const res = await app.mutate(`mutation($input: CreateEntityInput!) { createEntity(input: $input) { entity { id } } }`, {
          input: { kind: 'GROUP', name: 'Critics', wikidataSourceId: wikidata },
        });
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.message).toMatch(/wikidataSourceId.*give the id too/);
      });
    });
  },
} satisfies ContractModule;
