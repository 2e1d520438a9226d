import { beforeAll, describe, expect } from 'vitest';
import { globalId } from '../support/app';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'read-api',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp();
    });

    type Page<T> = { totalCount: number; nodes: T[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

    describe('node and nodes', () => {
      it('refetches every kind of object by the id it returned', async () => {
        const { data } = await app.gql<{ entities: Page<{ id: string; __typename: string; name: string }> }>(
          '{ entities(first: 100) { nodes { id __typename name } } }',
        );
        const entities = data!.entities.nodes;
        expect(new Set(entities.map((e) => e.__typename))).toEqual(new Set(['Organization', 'Person', 'Event', 'Product', 'Place', 'Group']));
        const res = await app.gql<{ nodes: ({ id: string; __typename: string } | null)[] }>(
          'query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }',
          { ids: entities.map((e) => e.id) },
        );
        expect(res.data!.nodes.map((n) => n?.id)).toEqual(entities.map((e) => e.id));
        expect(res.data!.nodes.map((n) => n?.__typename)).toEqual(entities.map((e) => e.__typename));
      });

      it('returns null for an id of the wrong entity kind or of a missing row', async () => {
        const { data } = await app.gql<{ entity: { id: string } }>('{ entity(name: "OpenAI") { id } }');
        const rowId = Buffer.from(data!.entity.id, 'base64').toString().split(':')[1]!;
        const res = await app.gql<{ asPerson: unknown; missing: unknown; asOrg: { name: string } }>(
          `query($p: ID!, $m: ID!, $o: ID!) { asPerson: node(id: $p) { id } missing: node(id: $m) { id } asOrg: node(id: $o) { ... on Organization { name } } }`,
          { p: globalId('Person', rowId), m: globalId('Claim', 99999), o: globalId('Organization', rowId) },
        );
        expect(res.errors).toBeUndefined();
        expect(res.data).toEqual({ asPerson: null, missing: null, asOrg: { name: 'OpenAI' } });
      });
    });

    describe('entity(name)', () => {
      it('matches a name or an alias, ignoring case', async () => {
        const res = await app.gql<{ a: { name: string }; b: { name: string }; c: null }>(
          '{ a: entity(name: "elon musk") { name } b: entity(name: "MUSK") { name } c: entity(name: "Nobody") { name } }',
        );
        expect(res.data).toEqual({ a: { name: 'Elon Musk' }, b: { name: 'Elon Musk' }, c: null });
      });
    });

    describe('connections', () => {
      it('pages forward and backward with stable cursors and a totalCount', async () => {
        const all = await app.gql<{ claims: Page<{ id: string }> }>('{ claims(first: 100) { totalCount nodes { id } } }');
        const ids = all.data!.claims.nodes.map((c) => c.id);
        expect(ids).toHaveLength(all.data!.claims.totalCount);
        const seen: string[] = [];
        let after: string | null = null;
        for (;;) {
          const page: { data?: { claims: Page<{ id: string }> } | null } = await app.gql(
            'query($after: String) { claims(first: 7, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }',
            { after },
          );
          seen.push(...page.data!.claims.nodes.map((c) => c.id));
          if (!page.data!.claims.pageInfo.hasNextPage) break;
          after = page.data!.claims.pageInfo.endCursor;
        }
        expect(seen).toEqual(ids);
        const last = await app.gql<{ claims: { nodes: { id: string }[] } }>('{ claims(last: 3) { nodes { id } } }');
        expect(last.data!.claims.nodes.map((c) => c.id)).toEqual(ids.slice(-3));
      });

      it('defaults to 20 and refuses more than 100 with a clear error', async () => {
        const page = await app.gql<{ claims: { nodes: unknown[] } }>('{ claims { nodes { id } } }');
        expect(page.data!.claims.nodes).toHaveLength(20);
        for (const query of ['{ claims(first: 101) { nodes { id } } }', '{ sources { nodes { claims(first: 500) { nodes { id } } } } }', '{ claims(last: -1) { nodes { id } } }']) {
          const res = await app.gql(query);
          expect(res.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
          expect(res.errors?.[0]?.message, query).toMatch(/first|last/);
        }
      });

      it('rejects a forged cursor as bad input', async () => {
        const res = await app.gql('{ claims(after: "not-a-cursor") { nodes { id } } }');
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      });
    });

    describe('claims', () => {
      it('filters by about, claimant and support in SQL, with matching totals', async () => {
        const ids = await app.gql<{ musk: { id: string }; openai: { id: string } }>(
          '{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } }',
        );
        const { musk, openai } = ids.data!;
        const res = await app.gql<{ made: Page<{ claimant: { name: string } }>; about: Page<{ about: { name: string }[] }>; both: Page<unknown> }>(
          `query($musk: ID!, $openai: ID!) {
            made: claims(claimant: $musk, first: 100) { totalCount nodes { claimant { name } } }
            about: claims(about: $openai, first: 100) { totalCount nodes { about { name } } }
            both: claims(claimant: $musk, about: $openai, support: [UNSUPPORTED], first: 100) { totalCount nodes { id } }
          }`,
          { musk: musk.id, openai: openai.id },
        );
        const { made, about, both } = res.data!;
        expect(made.totalCount).toBeGreaterThan(0);
        expect(made.nodes).toHaveLength(made.totalCount);
        expect(made.nodes.every((c) => c.claimant.name === 'Elon Musk')).toBe(true);
        expect(about.nodes).toHaveLength(about.totalCount);
        expect(about.nodes.every((c) => c.about.some((e) => e.name === 'OpenAI'))).toBe(true);
        expect(both.totalCount).toBeLessThanOrEqual(made.totalCount);
        expect(both.nodes).toHaveLength(both.totalCount);
      });

      it("filters an entity's claimsAbout by support, with matching totals", async () => {
        const res = await app.gql<{ entity: { all: { totalCount: number; nodes: unknown[] }; supported: { totalCount: number; nodes: { support: string; text: string }[] } } }>(
          '{ entity(name: "Musk") { all: claimsAbout(first: 100) { totalCount nodes { id } } supported: claimsAbout(support: [SUPPORTED]) { totalCount nodes { support text } } } }',
        );
        const { all, supported } = res.data!.entity;
        expect(all.nodes).toHaveLength(all.totalCount);
        expect(supported.totalCount).toBe(1);
        expect(supported.nodes).toEqual([{ support: 'SUPPORTED', text: expect.stringMatching(/board.*2018/) }]);
      });

      it('rejects an id that is not an entity for about/claimant', async () => {
        const res = await app.gql('query($id: ID!) { claims(about: $id) { totalCount } }', { id: globalId('Claim', 1) });
        expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.message).toMatch(/about/);
      });
    });

    describe('events', () => {
      it('is a timeline: oldest first, undated last, precision kept', async () => {
        const res = await app.gql<{ events: Page<{ name: string; startDate: string | null }> }>(
          '{ events(first: 100) { totalCount nodes { name startDate } } }',
        );
        const dates = res.data!.events.nodes.map((e) => e.startDate);
        expect(dates.slice(0, 2)).toEqual(['2015', '2018']);
        expect(dates.slice(2).every((d) => d === null)).toBe(true);
      });

      it('keeps events overlapping from/to and those involving an entity', async () => {
        const tesla = await app.gql<{ entity: { id: string } }>('{ entity(name: "Tesla") { id } }');
        const res = await app.gql<{ y2018: Page<{ startDate: string }>; month: Page<unknown>; before: Page<unknown>; tesla: Page<{ name: string }> }>(
          `query($tesla: ID!) {
            y2018: events(from: "2018-01", to: "2018-12-31") { totalCount nodes { startDate } }
            month: events(from: "2018-06") { totalCount }
            before: events(to: "2014") { totalCount }
            tesla: events(involving: $tesla) { totalCount nodes { name } }
          }`,
          { tesla: tesla.data!.entity.id },
        );
        expect(res.data!.y2018.nodes).toEqual([{ startDate: '2018' }]);
        expect(res.data!.month.totalCount).toBe(1);
        expect(res.data!.before.totalCount).toBe(0);
        expect(res.data!.tesla.nodes.map((e) => e.name)).toEqual([expect.stringMatching(/merge/i)]);
      });

      it('lists participants with roles, and each entity its events with roles', async () => {
        const res = await app.gql<{ entity: { events: { totalCount: number; edges: { role: string; node: { name: string; participants: { edges: { role: string; node: { name: string } }[] } } }[] } } }>(
          '{ entity(name: "Tesla") { events { totalCount edges { role node { name participants { edges { role node { name } } } } } } } }',
        );
        const events = res.data!.entity.events;
        expect(events.totalCount).toBe(1);
        const participants = events.edges[0]!.node.participants.edges.map((e) => e.node.name);
        expect(participants).toEqual(expect.arrayContaining(['Tesla', 'OpenAI']));
        expect(events.edges[0]!.role.length).toBeGreaterThan(0);
      });

      it('rejects a date that is not a PartialDate', async () => {
        for (const bad of ['2018-13', '2018-02-30', '18', 'yesterday']) {
          const res = await app.gql('query($d: PartialDate) { events(from: $d) { totalCount } }', { d: bad });
          expect(res.errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
        }
      });
    });

    describe('relationships', () => {
      it('filters by predicate, direction and asOf', async () => {
        const res = await app.gql<Record<string, { relationships: Page<{ predicate: string }> }>>(
          `{
            y2017: entity(name: "Musk") { relationships(asOf: "2017", predicate: ["board_member_of"]) { totalCount nodes { predicate } } }
            y2020: entity(name: "Musk") { relationships(asOf: "2020", predicate: ["board_member_of"]) { totalCount nodes { predicate } } }
            incoming: entity(name: "Musk") { relationships(direction: INCOMING) { totalCount nodes { predicate } } }
            outgoing: entity(name: "Musk") { relationships(direction: OUTGOING) { totalCount nodes { predicate } } }
            all: entity(name: "Musk") { relationships { totalCount nodes { predicate } } }
          }`,
        );
        const d = res.data!;
        expect(d.y2017!.relationships.nodes).toEqual([{ predicate: 'board_member_of' }]);
        expect(d.y2020!.relationships.totalCount).toBe(0);
        expect(d.incoming!.relationships.totalCount + d.outgoing!.relationships.totalCount).toBe(d.all!.relationships.totalCount);
        const root = await app.gql<{ relationships: Page<{ predicate: string; claims: { text: string }[] }> }>(
          '{ relationships(predicate: ["invested_in"]) { totalCount nodes { predicate claims { text } } } }',
        );
        expect(root.data!.relationships.nodes).toEqual([{ predicate: 'invested_in', claims: [expect.objectContaining({ text: expect.stringMatching(/billion/i) })] }]);
      });
    });
  },
} satisfies ContractModule;
