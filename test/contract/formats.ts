import { beforeAll, describe, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeGlobalID } from '../../src/domain/ids';
import { MAX_LINKED_RELATIONSHIPS, VOCAB } from '../../src/model/jsonld';
import { expectLossless, SCHEMA } from '../support/jsonld';
import { HOSTILE_IDS } from '../support/hostile';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'formats',
  register({ app: makeApp, it }) {
    describe('JSON-LD at /id/{globalId}', () => {
      let app: EngineTestApp;
      const get = (id: string, accept = 'application/ld+json') => app.fetch(`/id/${id}`, { headers: { accept } });
      let ids: { claim: string; source: string; musk: string; group: string; relationship: string; citation: string };

      beforeAll(async () => {
        app = await makeApp();
        const { data, errors } = await app.gql<{
          claim: { nodes: { id: string; citations: { id: string }[] }[] };
          musk: { id: string; relationships: { nodes: { id: string }[] } };
          group: { nodes: { id: string }[] };
          sources: { nodes: { id: string }[] };
        }>(`{
          claim: claims(first: 1, where: { citations: { some: { stance: { eq: SUPPORTS } } } }) { nodes { id citations { id } } }
          musk: entity(name: "Musk") { id relationships(first: 1) { nodes { id } } }
          group: entities(first: 1, kind: GROUP) { nodes { id } }
          sources(first: 1) { nodes { id } }
        }`);
        expect(errors).toBeUndefined();
        ids = {
          claim: data!.claim.nodes[0]!.id,
          source: data!.sources.nodes[0]!.id,
          musk: data!.musk.id,
          group: data!.group.nodes[0]!.id,
          relationship: data!.musk.relationships.nodes[0]!.id,
          citation: data!.claim.nodes[0]!.citations[0]!.id,
        };
      });

      it('answers a claim as a schema.org Claim with its author, appearance, citations with their stance, and contradictions', async () => {
        const res = await get(ids.claim);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/ld+json; charset=utf-8');
        expect(res.headers.get('vary')).toBe('accept');
        const doc = await res.json();
        const expanded = await expectLossless(doc);
        const claim = expanded.find((node) => node['@id'] === `http://claimgraph.test/id/${ids.claim}`)!;
        expect(claim['@type']).toEqual([`${SCHEMA}Claim`]);
        for (const property of ['text', 'appearance', 'citation', 'about']) expect(claim[`${SCHEMA}${property}`], property).toBeDefined();
        // The citations with their stance are nodes of their own, in the same answer (brief) and at their own URL.
        const cites = claim[`${VOCAB}cites`] as { '@id': string }[];
        expect(cites.length).toBeGreaterThan(0);
        const citationDoc = await (await app.fetch(new URL(cites[0]!['@id']).pathname, { headers: { accept: 'application/ld+json' } })).json();
        const citation = (await expectLossless(citationDoc)).find((node) => node['@id'] === cites[0]!['@id'])!;
        expect(citation[`${VOCAB}stance`]).toEqual([{ '@value': expect.stringMatching(/^(SUPPORTS|REFUTES|QUALIFIES|MENTIONS)$/) }]);
        expect(citation[`${VOCAB}source`]).toBeDefined();
      });

      it("names a claim's claimant as its author", async () => {
        const { data } = await app.gql<{ claims: { nodes: { id: string; claimant: { id: string } | null }[] } }>('{ claims(first: 100) { nodes { id claimant { id } } } }');
        const asserted = data!.claims.nodes.find((c) => c.claimant)!;
        const doc = await (await get(asserted.id)).json();
        const claim = (await expectLossless(doc)).find((node) => node['@id'] === `http://claimgraph.test/id/${asserted.id}`)!;
        expect(claim[`${SCHEMA}author`]).toEqual([{ '@id': `http://claimgraph.test/id/${asserted.claimant!.id}` }]);
      });

      it('links contradictions with their basis, and keeps partial dates at their precision', async () => {
        const { data } = await app.gql<{ claims: { nodes: { id: string; contradictions: { basis: { kind: string } }[] }[] } }>(
          '{ claims(first: 100) { nodes { id contradictions { basis { kind } } } } }',
        );
        const contradicting = data!.claims.nodes.find((c) => c.contradictions.length > 0)!;
        const doc = await (await get(contradicting.id)).json();
        const claim = (await expectLossless(doc)).find((node) => node['@id'] === `http://claimgraph.test/id/${contradicting.id}`)!;
        const contradictions = claim[`${VOCAB}contradicts`] as Record<string, { '@value'?: string; '@id'?: string }[]>[];
        expect(contradictions).toHaveLength(contradicting.contradictions.length);
        expect(contradictions[0]![`${VOCAB}basis`]).toEqual([{ '@value': contradicting.contradictions[0]!.basis.kind }]);
        expect(contradictions[0]![`${VOCAB}claim`]![0]!['@id']).toMatch(/^http:\/\/claimgraph\.test\/id\//);

        const musk = await (await get(ids.musk)).json();
        const relationships = (musk['@graph'] as Record<string, unknown>[]).filter((node) => node['@type'] === 'cg:Relationship');
        expect(relationships.length).toBeGreaterThan(0);
        // "2015", never "2015-01-01".
        expect(relationships.map((r) => r['cg:validFrom']).filter(Boolean)).toContain('2015');
        expect(relationships.every((r) => r['cg:basis'] === 'STATED' || r['cg:basis'] === 'INFERRED')).toBe(true);
      });

      it('types entities by kind, a group as an Organization and a cg:Group, with sameAs to Wikidata', async () => {
        const musk = await (await get(ids.musk)).json();
        const person = (musk['@graph'] as Record<string, unknown>[])[0]!;
        expect(person['@type']).toBe('Person');
        expect(person.sameAs).toEqual({ '@id': 'https://www.wikidata.org/wiki/Q317521' });
        const group = (await (await get(ids.group)).json())['@graph'][0];
        expect(group['@type']).toEqual(['Organization', 'cg:Group']);
        const source = (await (await get(ids.source)).json())['@graph'][0];
        expect(source['@type']).toMatch(/Article|CreativeWork|DigitalDocument/);
      });

      it('sends a browser to the explorer page of the object (303)', async () => {
        const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
        const claim = await get(ids.claim, browser);
        expect(claim.status).toBe(303);
        expect(claim.headers.get('location')).toBe(`/claim/${encodeURIComponent(ids.claim)}`);
        expect((await get(ids.musk, browser)).headers.get('location')).toBe(`/entity/${encodeURIComponent(ids.musk)}`);
        expect((await get(ids.source, browser)).headers.get('location')).toBe(`/source/${encodeURIComponent(ids.source)}`);
        // A relationship opens at its subject, a citation at its claim.
        expect((await get(ids.relationship, browser)).headers.get('location')).toMatch(/^\/entity\//);
        expect((await get(ids.citation, browser)).headers.get('location')).toMatch(/^\/claim\//);
        // No Accept at all (curl's */*) is JSON-LD, and so is plain JSON.
        expect((await app.fetch(`/id/${ids.claim}`)).headers.get('content-type')).toMatch(/^application\/ld\+json/);
        expect((await get(ids.claim, 'application/json')).headers.get('content-type')).toMatch(/^application\/ld\+json/);
        expect((await get(ids.claim, 'text/html;q=0.5, application/ld+json')).status).toBe(200);
      });

      it('docs/formats.md states how many relationships an entity comes with', () => {
        expect(readFileSync(join(__dirname, '../../docs/formats.md'), 'utf8')).toContain(`the first ${MAX_LINKED_RELATIONSHIPS} relationships it is an end of`);
      });

      it('refuses a malformed id (400), an id of nothing (404) and an unacceptable type (406) with a contract code', async () => {
        const refusal = async (res: Response, status: number, code: string) => {
          expect(res.status).toBe(status);
          const body = await res.json();
          expect(body.errors[0].extensions.code).toBe(code);
          expect(body.errors[0].message).not.toMatch(/\n\s+at /);
        };
        await refusal(await get('not-an-id'), 400, 'BAD_USER_INPUT');
        await refusal(await get('%E0%A4%A'), 400, 'BAD_USER_INPUT');
        await refusal(await get(Buffer.from('Nope:1').toString('base64')), 400, 'BAD_USER_INPUT');
        await refusal(await get(encodeGlobalID('Claim', 999999)), 404, 'NOT_FOUND');
        // Row 1 is a person: an Organization id of it names nothing.
        await refusal(await get(encodeGlobalID('Organization', 1)), 404, 'NOT_FOUND');
        await refusal(await get(ids.claim, 'text/plain'), 406, 'BAD_USER_INPUT');
        expect((await app.fetch(`/id/${ids.claim}`, { method: 'POST' })).status).toBe(405);
        for (const id of HOSTILE_IDS) {
          const res = await get(encodeURIComponent(id));
          expect([400, 404], id.slice(0, 40)).toContain(res.status);
          expect((await res.json()).errors[0].extensions.code).toMatch(/^(BAD_USER_INPUT|NOT_FOUND)$/);
        }
      });
    });
  },
} satisfies ContractModule;
