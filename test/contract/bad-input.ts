import { beforeAll, describe, expect } from 'vitest';
import { MAX_CURSOR_LENGTH } from '../../src/graphql/connection-limits';
import { MAX_JSON_DEPTH } from '../../src/model/json';
import { TEST_TOKEN } from '../support/app';
import { snapshotOf } from '../support/snapshot';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'bad-input',
  register({ app: makeApp, it }) {
    type GqlError = { message: string; extensions?: Record<string, unknown> };
    type Result = { errors?: readonly GqlError[]; data?: unknown; status: number };

    const base64 = (text: string) => Buffer.from(text).toString('base64');

    /** Expects one BAD_USER_INPUT error naming `field`, in a 200 or 400 answer; returns it. */
    function badInput(res: Result, field: string): GqlError {
      expect(res.errors, JSON.stringify(res.data)).toHaveLength(1);
      const error = res.errors![0]!;
      expect(error.extensions?.code, error.message).toBe('BAD_USER_INPUT');
      expect(error.extensions?.field, error.message).toBe(field);
      expect(error.message).toContain(field);
      return error;
    }

    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
    });

    describe('cursors', () => {
      // Cursors in the drizzle plugin's own format that no connection of ours issues, and others.
      const NOT_OURS: [string, string][] = [
        ['an empty tuple', base64('DC:T:[]')],
        ['a tuple longer than any ordering', base64('DC:T:["N:1","S:x","Z:q"]')],
        ['a (name, id) pair on an id connection', base64('DC:T:["S:x","N:1"]')],
        ['an object chunk', base64('DC:O:{}')],
        ['a date chunk', base64('DC:D:5')],
        ['a string where an id goes', base64('DC:S:x')],
        ['a fractional id', base64('DC:N:1.5')],
        ['a search cursor', base64('offset:3')],
        ['base64 that is not in its one canonical form', `${base64('DC:N:1')}==`],
        ['bytes that are not UTF-8', Buffer.from([0x44, 0x43, 0x3a, 0xff]).toString('base64')],
        ['not base64 at all', 'not a cursor!'],
        ['the empty string', ''],
      ];

      const ROOT = 'query($c: String) { claims(after: $c) { edges { cursor } } }';
      const NESTED = 'query($c: String) { sources(first: 2) { edges { node { claims(after: $c) { edges { cursor } } } } } }';
      const IN_FRAGMENT = `query($c: String) { entities(first: 5) { nodes { ...Claims } } }
        fragment Claims on Entity { claimsAbout(before: $c) { totalCount } }`;

      it.each(NOT_OURS)('refuses %s with BAD_USER_INPUT naming the argument, on a root connection and on nested ones', async (_, cursor) => {
        badInput(await app.gql(ROOT, { c: cursor }), 'after');
        badInput(await app.gql(NESTED, { c: cursor }), 'after');
        badInput(await app.gql(IN_FRAGMENT, { c: cursor }), 'before');
      });

      it('refuses a pair whose shape is another connection\'s: (name, id) from entities on claimsAbout, and the reverse', async () => {
        const entities = await app.gql<{ entities: { edges: { cursor: string }[] } }>('{ entities(first: 1) { edges { cursor } } }');
        const pair = entities.data!.entities.edges[0]!.cursor;
        const refusal = badInput(await app.gql(IN_FRAGMENT, { c: pair }), 'before');
        expect(refusal.message).toMatch(/Entity\.claimsAbout/);
        const about = await app.gql<{ entities: { nodes: { claimsAbout: { edges: { cursor: string }[] } }[] } }>(
          '{ entities(first: 40) { nodes { claimsAbout(first: 1) { edges { cursor } } } } }',
        );
        const idPair = about.data!.entities.nodes.flatMap((n) => n.claimsAbout.edges)[0]!.cursor;
        badInput(await app.gql('query($c: String) { entities(after: $c) { totalCount } }', { c: idPair }), 'after');
      });

      it('names first/last of a nested connection when they are out of range, before the parent plans it', async () => {
        for (const [n, message] of [[-1, 'must be 0 or more'], [1000, 'a page holds at most 100']] as const) {
          const res = await app.gql('query($n: Int) { sources(first: 2) { edges { node { claims(first: $n) { totalCount } } } } }', { n });
          expect(badInput(res, 'first').message).toContain(message);
          badInput(await app.gql('query($n: Int) { sources(first: 2) { nodes { claims(last: $n) { totalCount } } } }', { n }), 'last');
        }
      });

      it('refuses a 200 KB cursor without echoing it', async () => {
        const huge = base64('DC:N:1').padEnd(200_000, 'A');
        for (const query of [ROOT, NESTED]) {
          const error = badInput(await app.gql(query, { c: huge }), 'after');
          expect(error.message).toContain(`ours are at most ${MAX_CURSOR_LENGTH}`);
          expect(error.message.length).toBeLessThan(400);
        }
      });

      /** Every connection, as a query whose {ARGS} are its paging arguments. */
      const CONNECTIONS: [string, string][] = [
        ['Query.claims', 'claims({ARGS}) { edges { cursor } }'],
        ['Query.relationships', 'relationships({ARGS}) { edges { cursor } }'],
        ['Query.entities', 'entities({ARGS}) { edges { cursor } }'],
        ['Query.events', 'events({ARGS}) { edges { cursor } }'],
        ['Query.search', 'search(query: "musk", {ARGS}) { edges { cursor } }'],
        ['Source.citations', 'sources(first: 3) { nodes { citations({ARGS}) { edges { cursor } } } }'],
        ['Source.claims', 'sources(first: 3) { nodes { claims({ARGS}) { edges { cursor } } } }'],
        ['Source.statedClaims', 'sources(first: 3) { nodes { statedClaims({ARGS}) { edges { cursor } } } }'],
        ['Entity.relationships', 'entities(first: 100) { nodes { relationships({ARGS}) { edges { cursor } } } }'],
        ['Entity.events', 'entities(first: 100) { nodes { events({ARGS}) { edges { cursor } } } }'],
        ['Entity.claimsAbout', 'entities(first: 100) { nodes { claimsAbout({ARGS}) { edges { cursor } } } }'],
        ['Entity.claimsMade', 'entities(first: 100) { nodes { claimsMade({ARGS}) { edges { cursor } } } }'],
        ['Event.participants', 'entities(first: 100) { nodes { ... on Event { participants({ARGS}) { edges { cursor } } } } }'],
        ['Event.claims', 'entities(first: 100) { nodes { ... on Event { claims({ARGS}) { edges { cursor } } } } }'],
      ];

      const cursorsIn = (value: unknown): string[] =>
        Array.isArray(value)
          ? value.flatMap(cursorsIn)
          : value && typeof value === 'object'
            ? Object.entries(value).flatMap(([key, child]) => (key === 'cursor' ? [child as string] : cursorsIn(child)))
            : [];

      it.each(CONNECTIONS)('takes back every cursor %s issues, as after and as before', async (_, selection) => {
        const page = await app.gql(`{ ${selection.replace('{ARGS}', 'first: 2')} }`);
        expect(page.errors).toBeUndefined();
        const cursors = [...new Set(cursorsIn(page.data))];
        expect(cursors.length).toBeGreaterThan(0);
        for (const c of cursors) {
          for (const args of ['first: 1, after: $c', 'last: 1, before: $c']) {
            const replay = await app.gql(`query($c: String!) { ${selection.replace('{ARGS}', args)} }`, { c });
            expect(replay.errors, `${args} ${Buffer.from(c, 'base64').toString()}`).toBeUndefined();
          }
        }
      });
    });

    describe('text', () => {
      let ids: { person: string; event: string; source: string; claim: string; other: string };
      beforeAll(async () => {
        const res = await app.gql<{ entities: { nodes: { id: string; __typename: string }[] }; sources: { nodes: { id: string }[] }; claims: { nodes: { id: string }[] } }>(
          '{ entities(first: 100) { nodes { id __typename } } sources { nodes { id } } claims(first: 1) { nodes { id } } }',
        );
        const nodes = res.data!.entities.nodes;
        const people = nodes.filter((n) => n.__typename === 'Person');
        ids = {
          person: people[0]!.id,
          other: people[1]!.id,
          event: nodes.find((n) => n.__typename === 'Event')!.id,
          source: res.data!.sources.nodes[0]!.id,
          claim: res.data!.claims.nodes[0]!.id,
        };
      });

      /** The seven writes that store text, each with one text field set to `value`, and the field's name. */
      const writes = (value: string): [string, string, Record<string, unknown>, string][] => [
        ['createEntity', 'CreateEntityInput', { kind: 'PERSON', name: value }, 'input.name'],
        ['createEntity', 'CreateEntityInput', { kind: 'PERSON', name: 'Someone', aliases: ['Fine', value] }, 'input.aliases[1]'],
        ['updateEntity', 'UpdateEntityInput', { id: ids.person, occupation: value }, 'input.occupation'],
        ['addEventParticipant', 'AddEventParticipantInput', { eventId: ids.event, entityId: ids.person, role: value }, 'input.role'],
        ['createSource', 'CreateSourceInput', { kind: 'PRIMARY', title: value }, 'input.title'],
        ['createSource', 'CreateSourceInput', { kind: 'PRIMARY', title: 'A page', url: `https://example.org/${value}` }, 'input.url'],
        ['createClaim', 'CreateClaimInput', { text: value, kind: 'FACT', appearsInId: ids.source, aboutIds: [ids.person] }, 'input.text'],
        ['createClaim', 'CreateClaimInput', { text: 'Fine.', kind: 'FACT', appearsInId: ids.source, aboutIds: [ids.person], citations: [{ sourceId: ids.source, stance: 'SUPPORTS', quote: value }] }, 'input.citations[0].quote'],
        ['addCitation', 'AddCitationInput', { claimId: ids.claim, sourceId: ids.source, stance: 'MENTIONS', locator: value }, 'input.locator'],
        ['createRelationship', 'CreateRelationshipInput', { subjectId: ids.person, predicate: 'knows', label: value, objectId: ids.other }, 'input.label'],
      ];

      const write = (mutation: string, type: string, input: Record<string, unknown>) =>
        app.mutate(`mutation($input: ${type}!) { ${mutation}(input: $input) { __typename } }`, { input });

      const REFUSED: [string, string][] = [
        ['a leading NUL', '\u0000Elon'],
        ['a NUL inside', 'El\u0000on'],
        ['a C0 control', 'Elon\u0001'],
        ['an escape', '\u001b[31mElon'],
        ['DEL', 'Elon\u007f'],
        ['a C1 control', 'Elon\u0085'],
        ['a lone high surrogate', 'Elon \ud800'],
        ['a lone low surrogate', '\udc00 Elon'],
        ['surrogates in the wrong order', '\udc00\ud800'],
      ];

      it.each(REFUSED)('refuses %s in every text of every write, naming the field, and writes nothing', async (_, value) => {
        const before = await snapshotOf(app);
        for (const [mutation, type, input, field] of writes(value)) {
          const error = badInput(await write(mutation, type, input), field);
          expect(error.message).toMatch(/control characters|well-formed Unicode/);
        }
        expect(await snapshotOf(app)).toEqual(before);
      });

      it.each(REFUSED)('refuses %s in a clientMutationId, naming it', async (_, value) => {
        const before = await snapshotOf(app);
        const res = await app.mutate('mutation($input: CreateSourceInput!) { createSource(input: $input) { __typename } }', {
          input: { kind: 'PRIMARY', title: 'A page', clientMutationId: `retry-${value}` },
        });
        badInput(res, 'input.clientMutationId');
        expect(await snapshotOf(app)).toEqual(before);
      });

      it('refuses a lone surrogate sent as the JSON escape "\\ud800", as a client writes it', async () => {
        const body = `{"query":"mutation($input: CreateEntityInput!) { createEntity(input: $input) { __typename } }","variables":{"input":{"kind":"PERSON","name":"Elon \\ud800"}}}`;
        const res = await app.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...app.auth }, body });
        const error = badInput({ ...((await res.json()) as Result), status: res.status }, 'input.name');
        expect(error.message).toContain('U+D800');
      });

      it('keeps tabs, newlines, carriage returns and whole characters outside the BMP', async () => {
        const res = await write('createEntity', 'CreateEntityInput', { kind: 'PERSON', name: 'Tab\there', description: 'Line one\r\nline two 😀' });
        expect(res.errors).toBeUndefined();
      });
    });

    describe('deeply nested JSON', () => {
      const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
      const post = async (body: string) => {
        const res = await app.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return { ...((await res.json()) as Result), status: res.status };
      };

      it.each([
        ['variables', `{"query":"query($a: String) { __typename }","variables":{"a":${deep(100_000)}}}`],
        ['variables', `{"query":"{ __typename }","variables":${deep(100_000)}}`],
        ['extensions', `{"query":"{ __typename }","extensions":{"a":${deep(100_000)}}}`],
        ['query', `{"query":${deep(100_000)}}`],
        ['operationName', `{"query":"{ __typename }","operationName":${deep(100_000)}}`],
      ])('refuses %s nested 100,000 deep with 400 and BAD_USER_INPUT naming it', async (field, body) => {
        const res = await post(body);
        expect(res.status).toBe(400);
        badInput(res, field);
      });

      it(`takes ${MAX_JSON_DEPTH} levels and refuses one more`, async () => {
        const at = (n: number) => `{"query":"{ __typename }","extensions":{"a":${deep(n - 1)}}}`;
        expect((await post(at(MAX_JSON_DEPTH))).errors).toBeUndefined();
        expect((await post(at(MAX_JSON_DEPTH + 1))).status).toBe(400);
      });

      it('refuses them over GET too', async () => {
        const query = encodeURIComponent('query($a: String) { __typename }');
        const res = await app.fetch(`/graphql?query=${query}&variables=${encodeURIComponent(`{"a":${deep(5_000)}}`)}`);
        expect(res.status).toBe(400);
        badInput({ ...((await res.json()) as Result), status: res.status }, 'variables');
      });
    });
  },
} satisfies ContractModule;
