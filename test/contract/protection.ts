import { beforeAll, describe, expect } from 'vitest';
import { LIMITS } from '../../src/app';
import { PLAYGROUND_TABS } from '../../src/graphql/playground';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'protection',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp();
    });

    const COUNTS = '{ entities { totalCount } claims { totalCount } sources { totalCount } relationships { totalCount } }';

    async function post(body: string, headers: Record<string, string> = {}) {
      const response = await app.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body,
      });
      const text = await response.text();
      return { status: response.status, text, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
    }

    /** The answer is a client error or a coded GraphQL error, never a 500, a stack or SQL. */
    function expectRefused(res: { status: number; text: string; json?: { errors?: { extensions?: { code?: string } }[] } }, codes: string[]) {
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(/\n\s+at |SQLITE|select "|node_modules/);
      if (res.status === 200 || res.json?.errors) {
        expect(codes).toContain(res.json?.errors?.[0]?.extensions?.code);
      } else {
        expect(res.status).toBeGreaterThanOrEqual(400);
      }
    }

    function nested(depth: number): string {
      // claims → about → claimsAbout → about → … : real schema all the way down, in pages of 2.
      let inner = depth % 2 === 0 ? 'text' : 'name';
      for (let i = depth - 1; i >= 0; i--) inner = i % 2 === 0 ? `about { ${inner} }` : `claimsAbout(first: 2) { nodes { text ${inner} } }`;
      return `{ claims(first: 1) { nodes { ${inner} } } }`;
    }

    describe('bad input is refused clearly and changes nothing', () => {
      let before: unknown;
      beforeAll(async () => {
        before = (await app.gql(COUNTS)).data;
      });

      it('malformed JSON', async () => {
        for (const body of ['{"query": ', 'not json', '[]', '{"query": 42}', '']) {
          expectRefused(await post(body), ['BAD_USER_INPUT']);
        }
      });

      it('invalid GraphQL: syntax errors, unknown fields, wrong variable types', async () => {
        expectRefused(await post(JSON.stringify({ query: '{ entities { ' })), ['BAD_USER_INPUT']);
        expectRefused(await post(JSON.stringify({ query: '{ nope }' })), ['BAD_USER_INPUT']);
        expectRefused(await post(JSON.stringify({ query: 'query($n: Int) { claims(first: $n) { totalCount } }', variables: { n: 'ten' } })), ['BAD_USER_INPUT']);
        expectRefused(await post(JSON.stringify({ query: '{ claims(support: [MAYBE]) { totalCount } }' })), ['BAD_USER_INPUT']);
      });

      it('25 levels of nesting', async () => {
        const res = await post(JSON.stringify({ query: nested(25) }));
        expectRefused(res, ['QUERY_TOO_COMPLEX']);
        expect(res.json.errors[0].message).toMatch(new RegExp(`levels deep; the limit is ${LIMITS.maxDepth}\\. Ask for fewer levels`));
      });

      it('2,000 aliases', async () => {
        const query = `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: sources { totalCount }`).join(' ')} }`;
        expectRefused(await post(JSON.stringify({ query })), ['QUERY_TOO_COMPLEX']);
        const few = `{ ${Array.from({ length: LIMITS.maxAliases + 1 }, (_, i) => `a${i}: sources { totalCount }`).join(' ')} }`;
        const res = await post(JSON.stringify({ query: few }));
        expectRefused(res, ['QUERY_TOO_COMPLEX']);
        expect(res.json.errors[0].message).toBe(
          `The query uses ${LIMITS.maxAliases + 1} aliases; the limit is ${LIMITS.maxAliases}. Fetch many objects with one nodes(ids:) instead of one aliased field each, or split the query.`,
        );
      });

      it('a field repeated hundreds of times in one selection is too complex, and says what to change', async () => {
        for (const query of [
          `{ ${Array.from({ length: 1000 }, () => '__typename').join(' ')} }`,
          `{ ${Array.from({ length: 450 }, () => 'sources { totalCount }').join(' ')} }`,
        ]) {
          const res = await post(JSON.stringify({ query }));
          expectRefused(res, ['QUERY_TOO_COMPLEX']);
          expect(res.json.errors[0].message, query.slice(0, 40)).toMatch(/repeats a field or fragment .* Ask for each field once per selection/);
        }
      });

      it('too many tokens or directives: QUERY_TOO_COMPLEX saying what to change', async () => {
        const long = `{ ${Array.from({ length: LIMITS.maxTokens }, (_, i) => `f${i}`).join(' ')} }`;
        const tokens = await post(JSON.stringify({ query: long }));
        expectRefused(tokens, ['QUERY_TOO_COMPLEX']);
        expect(tokens.json.errors[0].message).toMatch(new RegExp(`longer than ${LIMITS.maxTokens} tokens.*Ask for fewer fields`));
        const skips = `{ ${Array.from({ length: LIMITS.maxDirectives + 1 }, () => '__typename @skip(if: false)').join(' ')} }`;
        const directives = await post(JSON.stringify({ query: skips }));
        expectRefused(directives, ['QUERY_TOO_COMPLEX']);
        expect(directives.json.errors[0].message).toMatch(new RegExp(`uses ${LIMITS.maxDirectives + 1} directives; the limit is ${LIMITS.maxDirectives}\\. Use fewer`));
      });

      it('a 2 MB string', async () => {
        const big = 'x'.repeat(2 * 1024 * 1024);
        expectRefused(await post(JSON.stringify({ query: `{ entity(name: "${big}") { name } }` })), ['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX']);
        expectRefused(await post(JSON.stringify({ query: 'query($n: String!) { entity(name: $n) { name } }', variables: { n: big } })), ['BAD_USER_INPUT']);
      });

      it('garbage and forged ids', async () => {
        for (const id of ['garbage', '', '=====', Buffer.from('Claim:abc').toString('base64'), Buffer.from('Secret:1').toString('base64'), Buffer.from('Claim:1 OR 1=1').toString('base64')]) {
          const res = await post(JSON.stringify({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id } }));
          expectRefused(res, ['BAD_USER_INPUT']);
          expect(res.json.errors[0].message, id).toMatch(/not a claimgraph id/);
        }
        const forged = await app.gql('query($id: ID!) { node(id: $id) { id } }', { id: Buffer.from('Claim:987654321').toString('base64') });
        expect(forged.errors).toBeUndefined();
        expect(forged.data).toEqual({ node: null });
      });

      it('SQL-looking and hostile strings are data, not SQL', async () => {
        for (const text of ["'; DROP TABLE entities; --", '%', '_', "' OR '1'='1", '\u0000', '🙂', '"\\']) {
          const res = await app.gql<{ entity: null; entities: { totalCount: number } }>(
            'query($t: String!) { entity(name: $t) { name } entities(nameContains: $t) { totalCount } }',
            { t: text },
          );
          expect(res.errors, text).toBeUndefined();
          expect(res.data!.entity).toBeNull();
          expect(res.data!.entities.totalCount, text).toBe(0);
        }
      });

      it('left the data untouched', async () => {
        expect((await app.gql(COUNTS)).data).toEqual(before);
      });
    });

    describe('limits fit our own deepest legitimate query', () => {
      it('accepts the nested read the playground and frontends use', async () => {
        for (const query of [
          nested(4),
          '{ entities(first: 20) { nodes { name events { edges { role node { name participants { edges { role node { name claimsAbout { totalCount } } } } claims { nodes { text } } } } } claimsMade { nodes { text contradicts { text } } } } } }',
          ...PLAYGROUND_TABS.map((tab) => tab.query),
        ]) {
          const res = await app.gql(query);
          expect(res.errors, query).toBeUndefined();
        }
      });
    });

    describe('unexpected failures', () => {
      it('are masked, coded and never a 500', async () => {
        const broken = await makeApp();
        await broken.close();
        const res = await broken.fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query: '{ claims { totalCount } }' }),
        });
        const text = await res.text();
        expect(res.status).toBeLessThan(500);
        // SQLite's closed handle is an unexpected failure, masked; PostgreSQL's closed pool is a
        // lost connection, which the client may retry (src/db/postgres-errors.ts).
        const error = JSON.parse(text).errors[0];
        if (error.extensions.code === 'UNAVAILABLE') expect(error.extensions.retryAfterMs).toBeGreaterThan(0);
        else expect(error).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
        // Neither driver's own words ("The database connection is not open", "Cannot use a pool after calling end") nor a stack.
        expect(text).not.toMatch(/SQLITE|is not open|after calling end|\n\s+at /);
      });
    });
  },
} satisfies ContractModule;
