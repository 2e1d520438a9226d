import { afterAll, beforeAll, describe, expect } from 'vitest';
import { TEST_TOKEN } from '../support/app';
import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

const CREATE = 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { name } } }';

/**
 * `entity(name:)` with names beyond ASCII: both engines fold the case of ASCII letters only (what
 * SQLite's lower() and its index on lower(name) do), so a name written as stored is always found,
 * and a letter beyond ASCII must be written in its own case. Created here, on an app of its own,
 * so that the seed's counts elsewhere do not move.
 */
export default {
  name: 'entity-names',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
      for (const [name, aliases] of [
        ['Éclair Øresund', ['ÅNGSTRÖM Labs']],
        ['Straße AG', []],
      ] as const) {
        const res = await app.mutate(CREATE, { i: { kind: 'ORGANIZATION', name, aliases } });
        expect(res.errors).toBeUndefined();
      }
    });
    afterAll(() => app?.close());

    describe('entity(name) beyond ASCII', () => {
      it('finds a name or alias as written, folding the case of its ASCII letters only', async () => {
        const lookups: [string, string | null][] = [
          ['Éclair Øresund', 'Éclair Øresund'],
          ['ÉCLAIR ØRESUND', 'Éclair Øresund'],
          ['éclair øresund', null],
          ['Éclair øresund', null],
          ['ÅNGSTRÖM Labs', 'Éclair Øresund'],
          ['ÅNGSTRÖM LABS', 'Éclair Øresund'],
          ['Ångström Labs', null],
          ['straße ag', 'Straße AG'],
          ['STRASSE AG', null],
        ];
        const query = `{ ${lookups.map(([name], i) => `n${i}: entity(name: ${JSON.stringify(name)}) { name }`).join(' ')} }`;
        const res = await app.gql<Record<string, { name: string } | null>>(query);
        expect(res.errors).toBeUndefined();
        expect(lookups.map(([name], i) => [name, res.data![`n${i}`]?.name ?? null])).toEqual(lookups);
      });
    });
  },
} satisfies ContractModule;
