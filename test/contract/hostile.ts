import { beforeAll, describe, expect } from 'vitest';
import { schema } from '../../src/graphql/schema';
import { TEST_TOKEN } from '../support/app';
import { random, randomOperation, type Random } from '../support/hostile';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'hostile',
  register({ app: makeApp, it }) {
    /**
     * Random operations over the live schema, valid and broken, with and without the token: none may
     * answer 5xx, INTERNAL_SERVER_ERROR, an error without a contract code, or a stack. Reproducible:
     * HOSTILE_SEED picks the run, HOSTILE_OPERATIONS its length, and HOSTILE_REPORT names a file that
     * receives every failure (the assertion shows the first ten).
     */
    const SEED = Number(process.env.HOSTILE_SEED ?? 20261206);
    const OPERATIONS = Number(process.env.HOSTILE_OPERATIONS ?? 10_000);
    /** The reads-only run: every engine runs it today, writes or not. */
    const READ_OPERATIONS = Number(process.env.HOSTILE_READ_OPERATIONS ?? 3_000);
    const CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'UNAVAILABLE', 'TIMEOUT']);

    let app: EngineTestApp;
    const ids = new Map<string, string[]>();

    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
      const { data } = await app.gql<Record<string, { nodes: { id: string; __typename: string }[] }>>(
        `{ entities(first: 100) { nodes { id __typename } } claims(first: 100) { nodes { id __typename } }
           sources(first: 100) { nodes { id __typename } } relationships(first: 100) { nodes { id __typename } } }`,
      );
      for (const list of Object.values(data!)) {
        for (const { id, __typename } of list.nodes) ids.set(__typename, [...(ids.get(__typename) ?? []), id]);
      }
      const citations = await app.gql<{ claims: { nodes: { citations: { id: string }[] }[] } }>('{ claims(first: 100) { nodes { citations { id } } } }');
      ids.set('Citation', citations.data!.claims.nodes.flatMap((claim) => claim.citations.map((c) => c.id)));
    });

    interface Exchange {
      status: number;
      text: string;
    }

    /** What is wrong with an answer, or null when it is a proper answer or a proper refusal. */
    function defect({ status, text }: Exchange): string | null {
      if (status >= 500) return `HTTP ${status}`;
      if (/\n\s+at |node_modules|SQLITE_|select "|syntax error at or near|violates .* constraint|relation "/.test(text)) return 'a stack trace or SQL in the body';
      let body: { errors?: { message?: string; extensions?: { code?: string } }[] };
      try {
        body = JSON.parse(text);
      } catch {
        return status >= 400 ? null : 'a body that is not JSON';
      }
      for (const error of body.errors ?? []) {
        const code = error.extensions?.code;
        if (!code || !CODES.has(code)) return `error code ${code ?? 'missing'}: ${error.message?.slice(0, 200)}`;
      }
      return null;
    }

    async function send(init: RequestInit & { path?: string }): Promise<Exchange> {
      const response = await app.fetch(init.path ?? '/graphql', init);
      return { status: response.status, text: await response.text() };
    }

    /** Requests broken below GraphQL: bodies, methods, headers. */
    function transportCase(rng: Random): RequestInit & { path?: string } {
      const json = { 'content-type': 'application/json', accept: 'application/json' };
      const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
      switch (rng.int(0, 11)) {
        case 0:
          return { method: 'POST', headers: json, body: rng.pick(['{"query": ', 'not json', '[]', '{"query": 42}', '', 'null', '"x"', '{"query":"{__typename}","variables":[]}']) };
        case 1:
          return { method: 'POST', headers: json, body: `{"query":"{__typename}","variables":{"a":${deep(rng.int(1000, 20000))}}}` };
        case 2:
          return { method: 'POST', headers: json, body: deep(rng.int(1000, 20000)) };
        case 3:
          return { method: 'POST', headers: { 'content-type': rng.pick(['text/plain', 'application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded']) }, body: 'query={__typename}' };
        case 4:
          return { method: 'GET', headers: { accept: 'application/json' }, path: `/graphql?query=${encodeURIComponent(rng.pick(['mutation { deleteEntity(input: {id: "x"}) { deletedId } }', '{ __typename', '{ claims { totalCount } }']))}` };
        case 5:
          return { method: rng.pick(['PUT', 'DELETE', 'PATCH']), headers: json, body: '{"query":"{__typename}"}' };
        case 6:
          return { method: 'POST', headers: json, body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ claims { totalCount } }' }]) };
        case 7:
          return { method: 'POST', headers: json, body: JSON.stringify({ query: 'query A { __typename } query B { __typename }', operationName: rng.pick(['C', '', null, 42]) }) };
        case 8:
          return { method: 'POST', headers: { ...json, authorization: rng.pick(['Bearer', 'Bearer  ', 'Basic abc', `Bearer ${TEST_TOKEN}x`, 'x'.repeat(9000)]) }, body: JSON.stringify({ query: 'mutation { deleteEntity(input: {id: "x"}) { deletedId } }' }) };
        case 9:
          return { method: 'POST', headers: json, body: JSON.stringify({ query: `{ ${'__typename '.repeat(rng.int(100, 1500))} }` }) };
        case 10:
          return { method: 'POST', headers: json, body: JSON.stringify({ query: `{ ${'claims { nodes { about { claimsAbout { nodes { '.repeat(8)} id ${'} } } } }'.repeat(8)} }` }) };
        default:
          return { method: 'GET', path: rng.pick(['/health', '/nope', '/graphql/../health', '/%00', `/graphql?query=${'x'.repeat(3000)}`]), headers: { accept: 'application/json' } };
      }
    }

    /**
     * `operations` random requests from `seed`; with `readsOnly`, the operations that write, and
     * those reaching search, neighborhood or path, are drawn but not sent (the same stream, fewer sent).
     */
    async function hostileRun(operations: number, seed: number, { readsOnly = false } = {}) {
      const rng = random(seed);
      const failures: string[] = [];
      const answered = { data: 0, refused: 0 };
      for (let i = 0; i < operations; i++) {
        let request: RequestInit & { path?: string };
        let shown: string;
        if (rng.chance(0.05)) {
          request = transportCase(rng);
          shown = `${request.method} ${request.path ?? '/graphql'} ${String(request.body ?? '').slice(0, 300)}`;
        } else {
          const operation = randomOperation(rng, schema, ids);
          const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
          const sendToken = operation.mutation && rng.chance(0.8);
          if (readsOnly && (operation.mutation || ELSEWHERE.test(operation.query))) continue;
          if (sendToken) Object.assign(headers, app.auth);
          request = { method: 'POST', headers, body: JSON.stringify({ query: operation.query, variables: operation.variables }) };
          shown = `${operation.query.slice(0, 600)} ${JSON.stringify(operation.variables).slice(0, 300)}`;
        }
        const exchange = await send(request);
        const problem = defect(exchange);
        if (problem) failures.push(`#${i} ${problem}\n    request: ${shown}\n    answer: ${exchange.text.slice(0, 300)}`);
        if (exchange.status === 200 && exchange.text.includes('"data":{')) answered.data++;
        else answered.refused++;
      }
      if (process.env.HOSTILE_REPORT) (await import('node:fs')).writeFileSync(process.env.HOSTILE_REPORT, failures.join('\n'));
      expect(failures.slice(0, 10).join('\n')).toBe('');
      // The run must exercise the API, not only its refusals.
      expect(answered.data).toBeGreaterThan((answered.data + answered.refused) / 4);
      expect((await send({ method: 'GET', path: '/health' })).status).toBe(200);
    }

    /** The root fields other branches are bringing to PostgreSQL (see pending-on-postgres.ts). */
    const ELSEWHERE = /\b(search|neighborhood|path)\b/;

    describe('a standing hostile run', () => {
      it(`${OPERATIONS} random operations (seed ${SEED}) answer no 5xx, no INTERNAL_SERVER_ERROR, no stack`, () => hostileRun(OPERATIONS, SEED), 600_000);

      it(`${READ_OPERATIONS} random reads (seed ${SEED + 1}) answer no 5xx, no INTERNAL_SERVER_ERROR, no stack`, () => hostileRun(READ_OPERATIONS, SEED + 1, { readsOnly: true }), 600_000);
    });
  },
} satisfies ContractModule;
