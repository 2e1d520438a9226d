import { afterAll, beforeAll, describe, expect } from 'vitest';
import { TEST_TOKEN } from '../support/app';
import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

const CREATE = 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { name aliases } } }';

/**
 * Names beyond ASCII, wherever text is compared ignoring case (`entity(name:)`,
 * `entities(nameContains:)`, StringFilter's `contains` and `startsWith`, repeated aliases): both
 * engines fold the case of ASCII letters only (what SQLite's lower() and its index on lower(name)
 * do, src/domain/text.ts), so a name written as stored is always found, and a letter beyond ASCII
 * must be written in its own case. Created here, on an app of its own, so that the seed's counts
 * elsewhere do not move.
 */
export default {
  name: 'entity-names',
  register({ app: makeApp, it }) {
    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
      for (const [name, aliases, description] of [
        ['Éclair Øresund', ['ÅNGSTRÖM Labs'], 'Bäckerei ÜBER alles'],
        ['Straße AG', [], null],
      ] as const) {
        const res = await app.mutate(CREATE, { i: { kind: 'ORGANIZATION', name, aliases, description } });
        expect(res.errors).toBeUndefined();
      }
    });
    afterAll(() => app?.close());

    describe('names and text beyond ASCII', () => {
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

      it('nameContains, contains and startsWith fold the case of ASCII letters only', async () => {
        const E = 'Éclair Øresund';
        const S = 'Straße AG';
        // [argument, names it finds by nameContains and by where: { name: { contains } }, by where: { name: { startsWith } }]
        const cases: [string, string[], string[]][] = [
          ['Éclair', [E], [E]],
          ['ÉCLAIR', [E], [E]],
          ['éclair', [], []],
          ['Øresund', [E], []],
          ['øRESUND', [], []],
          ['ØRESUND', [E], []],
          ['Éclair Ø', [E], [E]],
          ['Éclair ø', [], []],
          ['straße', [S], [S]],
          ['STRAßE AG', [S], [S]],
          ['STRASSE', [], []],
          ['ß', [S], []],
        ];
        const names = '{ nodes { name } }';
        const found = [];
        for (const [text] of cases) {
          const res = await app.gql<Record<'n' | 'c' | 's', { nodes: { name: string }[] }>>(
            `query($t: String!) { n: entities(first: 100, nameContains: $t) ${names} c: entities(first: 100, where: { name: { contains: $t } }) ${names} s: entities(first: 100, where: { name: { startsWith: $t } }) ${names} }`,
            { t: text },
          );
          expect(res.errors).toBeUndefined();
          found.push([text, ...(['n', 'c', 's'] as const).map((key) => res.data![key].nodes.map((n) => n.name))]);
        }
        expect(found).toEqual(cases.map(([text, contains, startsWith]) => [text, contains, contains, startsWith]));
      });

      it('contains and startsWith on a text column without an index fold alike', async () => {
        // The description is stored as 'Bäckerei ÜBER alles', which lower() holds as 'bäckerei Über alles'.
        const cases: [string, string, boolean][] = [
          ['contains', 'ÜBER', true],
          ['contains', 'Über', true],
          ['contains', 'über', false],
          ['contains', 'BäCKEREI ÜBER', true],
          ['contains', 'BÄCKEREI', false],
          ['startsWith', 'bäck', true],
          ['startsWith', 'BäCK', true],
          ['startsWith', 'BÄCK', false],
          ['startsWith', 'bÄck', false],
        ];
        const query = `{ ${cases
          .map(([op, text], i) => `d${i}: entities(first: 100, where: { description: { ${op}: ${JSON.stringify(text)} } }) { nodes { name } }`)
          .join(' ')} }`;
        const res = await app.gql<Record<string, { nodes: { name: string }[] }>>(query);
        expect(res.errors).toBeUndefined();
        expect(cases.map(([op, text], i) => [op, text, res.data![`d${i}`]!.nodes.some((n) => n.name === 'Éclair Øresund')])).toEqual(cases);
      });

      it('aliases repeat when they differ only in the case of ASCII letters, as the unique index on lower(alias) holds them', async () => {
        const kept = await app.mutate<{ createEntity: { entity: { name: string; aliases: string[] } } }>(CREATE, {
          i: { kind: 'ORGANIZATION', name: 'Ölbryggeri Nord', aliases: ['Öl', 'öl'] },
        });
        expect(kept.errors).toBeUndefined();
        expect(kept.data!.createEntity.entity.aliases).toEqual(['Öl', 'öl']);
        const found = await app.gql<Record<string, { name: string; aliases?: string[] } | null>>('{ a: entity(name: "ÖL") { name aliases } b: entity(name: "öL") { name } }');
        expect(found.errors).toBeUndefined();
        expect(found.data).toEqual({ a: { name: 'Ölbryggeri Nord', aliases: ['Öl', 'öl'] }, b: { name: 'Ölbryggeri Nord' } });

        const refused = await app.mutate(CREATE, { i: { kind: 'ORGANIZATION', name: 'Ölbryggeri Syd', aliases: ['Öl Syd', 'ÖL SYD', 'öl syd'] } });
        expect(refused.data ?? null).toBeNull();
        expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(refused.errors?.[0]?.message).toMatch(/aliases.*1.*this alias, ignoring the case of ASCII letters \(A-Z\), is listed twice/);
      });
    });
  },
} satisfies ContractModule;
