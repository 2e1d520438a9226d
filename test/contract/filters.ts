import { beforeAll, describe, expect } from 'vitest';
import { FILTER_LIMITS } from '../../src/model/filter-language';
import { generateGraph } from '../../src/model/generate';
import { globalId, TEST_TOKEN } from '../support/app';
import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'filters',
  register({ app: makeApp, it }) {
    /**
     * Issue 13: `where`, `orderBy` and `groupBy` on every connection, compiled to SQL. Checked on the
     * seeded article (whose answers a person can verify) and, for paging and ordering, on a generated
     * graph against the same question asked of SQLite directly.
     */

    type Data = Record<string, any>;

    let app: EngineTestApp;
    beforeAll(async () => {
      app = await makeApp({ apiToken: TEST_TOKEN });
    });

    async function data(query: string, variables: Record<string, unknown> = {}, on = app): Promise<Data> {
      const result = await on.gql(query, variables);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return result.data as Data;
    }

    async function refusal(query: string, variables: Record<string, unknown> = {}) {
      const result = await app.gql(query, variables);
      expect(result.status).toBe(200);
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      return result.errors![0]!.message;
    }

    /** Rows of a statement on the app's own database (counts cast to integer: PostgreSQL's are bigint). */
    const sql = <T extends Record<string, unknown>>(query: string, ...params: unknown[]) => app.sql<T>(query.replace(/count\(\*\)/g, 'CAST(count(*) AS integer)'), ...params);
    const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
    const rowIds = (nodes: { id: string }[]) => nodes.map((n) => Number(Buffer.from(n.id, 'base64').toString().split(':')[1]));

    describe('where on the seeded article', () => {
      it('compares enums, text (ignoring case for contains/startsWith), missing values and ids', async () => {
        const d = await data(`{
          opinions: claims(first: 100, where: { kind: { eq: OPINION } }) { totalCount nodes { kind } }
          notFacts: claims(where: { kind: { notIn: [FACT, OPINION] } }) { totalCount }
          secrecy: claims(first: 100, where: { text: { contains: "SECRECY" } }) { nodes { text } }
          openai: entities(first: 100, where: { name: { startsWith: "openai" } }) { nodes { name } }
          direct: claims(where: { claimantExists: false }) { totalCount }
          named: entities(where: { wikidataId: { isNull: false } }) { totalCount }
        }`);
        const count = async (where: string, ...p: unknown[]) => (await sql<{ n: number }>(`SELECT count(*) AS n FROM claims WHERE ${where}`, ...p))[0]!.n;
        expect(d.opinions.totalCount).toBe(await count("kind = 'OPINION'"));
        expect(d.opinions.nodes.every((n: Data) => n.kind === 'OPINION')).toBe(true);
        expect(d.notFacts.totalCount).toBe(await count("kind NOT IN ('FACT', 'OPINION')"));
        expect(d.secrecy.nodes.length).toBeGreaterThan(0);
        expect(d.secrecy.nodes.length).toBe(await count("lower(text) LIKE '%secrecy%'"));
        expect(d.openai.nodes.map((n: Data) => n.name).sort()).toEqual(
          (await sql<{ name: string }>("SELECT name FROM entities WHERE lower(name) LIKE 'openai%'")).map((r) => r.name).sort(),
        );
        expect(d.direct.totalCount).toBe(await count('claimant_id IS NULL'));
        expect(d.named.totalCount).toBe((await sql<{ n: number }>('SELECT count(*) AS n FROM entities WHERE wikidata_id IS NOT NULL'))[0]!.n);

        const musk = (await sql<{ id: number }>("SELECT id FROM entities WHERE name = 'Elon Musk'"))[0]!.id;
        const byId = await data(`query($id: ID!) { entities(where: { id: { in: [$id] } }) { nodes { name } } }`, { id: globalId('Person', musk) });
        expect(byId.entities.nodes).toEqual([{ name: 'Elon Musk' }]);
      });

      it('answers the issue\'s questions: backed by a NEWS source, entities none of whose claims is supported, claims by organizations, uncited', async () => {
        const d = await data(`{
          backedByNews: claims(where: { citations: { some: { stance: { eq: SUPPORTS }, source: { kind: { eq: NEWS } } } } }) { nodes { text support } }
          unsupportedEntities: entities(first: 100, where: { claimsAbout: { some: {}, none: { support: { eq: SUPPORTED } } } }) { totalCount }
          byOrganizations: claims(first: 100, where: { claimant: { kind: { eq: ORGANIZATION } } }) { nodes { claimant { kind name } } }
          uncited: claims(where: { citations: { none: {} } }) { totalCount }
          unsupported: claims(support: [UNSUPPORTED]) { totalCount }
        }`);
        const news = (await sql<{ text: string }>(
          `SELECT c.text FROM claims c WHERE EXISTS (SELECT 1 FROM citations ci JOIN sources s ON s.id = ci.source_id WHERE ci.claim_id = c.id AND ci.stance = 'SUPPORTS' AND s.kind = 'NEWS')`,
        ));
        expect(news.length).toBeGreaterThan(0);
        expect(d.backedByNews.nodes.map((n: Data) => n.text)).toEqual(news.map((r) => r.text));
        expect(d.backedByNews.nodes.every((n: Data) => n.support === 'SUPPORTED')).toBe(true);
        expect(d.unsupportedEntities.totalCount).toBe(
          (await sql<{ n: number }>(
            `SELECT count(*) AS n FROM entities e WHERE EXISTS (SELECT 1 FROM claim_subjects s WHERE s.entity_id = e.id)
               AND NOT EXISTS (SELECT 1 FROM claim_subjects s JOIN claims c ON c.id = s.claim_id WHERE s.entity_id = e.id AND c.support = 'SUPPORTED')`,
          ))[0]!.n,
        );
        expect(d.byOrganizations.nodes.length).toBeGreaterThan(0);
        expect(d.byOrganizations.nodes.every((n: Data) => n.claimant.kind === 'ORGANIZATION')).toBe(true);
        expect(d.uncited.totalCount).toBe((await sql<{ n: number }>('SELECT count(*) AS n FROM claims c WHERE NOT EXISTS (SELECT 1 FROM citations WHERE claim_id = c.id)'))[0]!.n);
        // UNSUPPORTED counts the claims no citation supports; uncited ones are a subset of them.
        expect(d.uncited.totalCount).toBeLessThanOrEqual(d.unsupported.totalCount);
      });

      it('and/or/not compose, with not keeping rows whose value is missing', async () => {
        const d = await data(`{
          either: claims(where: { or: [{ kind: { eq: FACT } }, { kind: { eq: OPINION } }] }) { totalCount }
          both: claims(where: { and: [{ kind: { eq: FACT } }, { support: { eq: SUPPORTED } }] }) { totalCount }
          notDated: claims(where: { not: { validFrom: { gte: "1900" } } }) { totalCount }
          all: claims { totalCount }
          dated: claims(where: { validFrom: { gte: "1900" } }) { totalCount }
          none: claims(where: { or: [] }) { totalCount }
        }`);
        const count = async (where: string) => (await sql<{ n: number }>(`SELECT count(*) AS n FROM claims WHERE ${where}`))[0]!.n;
        expect(d.either.totalCount).toBe(await count("kind IN ('FACT', 'OPINION')"));
        expect(d.both.totalCount).toBe(await count("kind = 'FACT' AND support = 'SUPPORTED'"));
        expect(d.notDated.totalCount + d.dated.totalCount).toBe(d.all.totalCount);
        expect(d.none.totalCount).toBe(0);
      });

      it('reads partial dates as intervals in lt/lte/gt/gte', async () => {
        const founding = await data(`{
          gte2015: events(where: { startDate: { gte: "2015" } }) { nodes { name startDate } }
          gte2015_06: events(where: { startDate: { gte: "2015-06" } }) { nodes { startDate } }
          lte2015_06: events(where: { startDate: { lte: "2015-06" } }) { nodes { startDate } }
          lte2015: events(where: { startDate: { lte: "2015" } }) { nodes { startDate } }
          gt2015: events(where: { startDate: { gt: "2015" } }) { nodes { startDate } }
          lt2018: events(where: { startDate: { lt: "2018" } }) { nodes { startDate } }
          undated: events(where: { startDate: { isNull: true } }) { totalCount }
        }`);
        const dates = (list: Data) => list.nodes.map((n: Data) => n.startDate);
        // The seed dates the founding to "2015" and the resignation to "2018".
        expect(dates(founding.gte2015)).toEqual(['2015', '2018']);
        // "2015" may lie before June 2015: it does not start within or after it, nor end before it.
        expect(dates(founding.gte2015_06)).toEqual(['2018']);
        expect(dates(founding.lte2015_06)).toEqual([]);
        expect(dates(founding.lte2015)).toEqual(['2015']);
        expect(dates(founding.gt2015)).toEqual(['2018']);
        expect(dates(founding.lt2018)).toEqual(['2015']);
        expect(founding.undated.totalCount).toBe((await sql<{ n: number }>("SELECT count(*) AS n FROM entities WHERE kind = 'EVENT' AND start_date IS NULL"))[0]!.n);
      });

      it('filters nested connections, counting and paging them the same way', async () => {
        const d = await data(`{
          entity(name: "OpenAI") {
            id
            claimsAbout(first: 2, where: { kind: { eq: FACT } }) { totalCount nodes { kind } pageInfo { hasNextPage endCursor } }
            all: claimsAbout(first: 100) { nodes { kind } }
            relationships(where: { predicate: { eq: "invested_in" } }) { nodes { predicate } }
          }
          sources(where: { kind: { eq: NEWS } }) { nodes { title claims(where: { kind: { in: [FACT, POSITION, OPINION, ANECDOTE] } }) { totalCount } citations(where: { stance: { eq: SUPPORTS } }) { totalCount } } }
        }`);
        const facts = d.entity.all.nodes.filter((n: Data) => n.kind === 'FACT').length;
        expect(d.entity.claimsAbout.totalCount).toBe(facts);
        expect(d.entity.claimsAbout.nodes.every((n: Data) => n.kind === 'FACT')).toBe(true);
        const next = await data(`query($after: String) { entity(name: "OpenAI") { claimsAbout(first: 100, after: $after, where: { kind: { eq: FACT } }) { nodes { kind } } } }`, {
          after: d.entity.claimsAbout.pageInfo.endCursor,
        });
        expect(d.entity.claimsAbout.nodes.length + next.entity.claimsAbout.nodes.length).toBe(facts);
        expect(d.entity.relationships.nodes.every((n: Data) => n.predicate === 'invested_in')).toBe(true);
        expect(d.sources.nodes).toHaveLength(1);
        expect(d.sources.nodes[0].claims.totalCount).toBe(1);
      });

      it('counts relations: claims with at least two distinct supporting sources', async () => {
        const fresh = await makeApp({ apiToken: TEST_TOKEN });
        const claim = (await sql<{ id: number }>("SELECT claim_id AS id FROM citations WHERE stance = 'SUPPORTS' ORDER BY id LIMIT 1"))[0]!.id;
        const query = `{ claims(where: { citations: { count: { where: { stance: { eq: SUPPORTS } }, distinct: SOURCE, gte: 2 } } }) { nodes { id } } }`;
        expect((await data(query, {}, fresh)).claims.nodes).toEqual([]);
        const source = await fresh.mutate<Data>(`mutation { createSource(input: { kind: NEWS, title: "A second report" }) { source { id } } }`);
        const sourceId = source.data!.createSource.source.id;
        const cite = (stance: string, locator: string) =>
          fresh.mutate(`mutation($c: ID!, $s: ID!) { addCitation(input: { claimId: $c, sourceId: $s, stance: ${stance}, locator: "${locator}" }) { citation { id } } }`, {
            c: globalId('Claim', claim),
            s: sourceId,
          });
        // A MENTIONS citation from a second source is not support; two SUPPORTS from one source are one source.
        await cite('MENTIONS', 'p. 1');
        expect((await data(query, {}, fresh)).claims.nodes).toEqual([]);
        await cite('SUPPORTS', 'p. 2');
        expect((await data(query, {}, fresh)).claims.nodes).toEqual([{ id: globalId('Claim', claim) }]);
      });
    });

    describe('orderBy', () => {
      it('orders by the fields asked, ties broken by id, missing values last in both directions', async () => {
        const d = await data(`{
          asc: claims(first: 100, orderBy: [KIND_ASC]) { nodes { id kind } }
          desc: claims(first: 100, orderBy: [KIND_DESC, CREATED_AT_ASC]) { nodes { id kind } }
          dates: events(first: 100, orderBy: [START_DATE_DESC]) { nodes { startDate } }
          names: entities(first: 100, orderBy: [NAME_DESC]) { nodes { name } }
        }`);
        expect(rowIds(d.asc.nodes)).toEqual(ids((await sql('SELECT id FROM claims ORDER BY kind, id'))));
        expect(rowIds(d.desc.nodes)).toEqual(ids((await sql('SELECT id FROM claims ORDER BY kind DESC, created_at, id'))));
        const dates = d.dates.nodes.map((n: Data) => n.startDate);
        expect(dates.slice(0, 2)).toEqual(['2018', '2015']);
        expect(dates.slice(2).every((x: unknown) => x === null)).toBe(true);
        expect(d.names.nodes.map((n: Data) => n.name)).toEqual((await sql<{ name: string }>('SELECT name FROM entities ORDER BY name DESC, id DESC')).map((r) => r.name));
      });

      it('pages through a generated graph under an ordering, forwards and backwards, each row once', async () => {
        const big = await makeApp({
          build: (db) => generateGraph(db, { entities: 300, relationships: 600, claims: 700, sources: 40, seed: 3, minCitations: 0, maxCitations: 3 }),
        });
        const expected = await big.sql<{ id: number }>("SELECT id FROM claims WHERE kind <> 'FACT' ORDER BY coalesce(valid_from, '~') DESC, support, id DESC");
        // Missing dates sort last in DESC too: coalesce to '' in that direction.
        const expectedDesc = await big.sql<{ id: number }>("SELECT id FROM claims WHERE kind <> 'FACT' ORDER BY coalesce(valid_from, '') DESC, support DESC, id DESC");
        expect(expected.length).toBeGreaterThan(200);
        const query = `query($after: String, $before: String, $first: Int, $last: Int) {
          claims(first: $first, after: $after, last: $last, before: $before, where: { kind: { ne: FACT } }, orderBy: [VALID_FROM_DESC, SUPPORT_DESC]) {
            totalCount nodes { id } pageInfo { endCursor startCursor hasNextPage hasPreviousPage }
          }
        }`;
        const seen: number[] = [];
        let after: string | null = null;
        for (;;) {
          const page: Data = await data(query, { first: 37, after }, big);
          seen.push(...rowIds(page.claims.nodes));
          if (!page.claims.pageInfo.hasNextPage) break;
          after = page.claims.pageInfo.endCursor;
        }
        expect(seen).toEqual(ids(expectedDesc));
        const back: number[] = [];
        let before: string | null = null;
        for (;;) {
          const page: Data = await data(query, { last: 41, before }, big);
          back.unshift(...rowIds(page.claims.nodes));
          if (!page.claims.pageInfo.hasPreviousPage) break;
          before = page.claims.pageInfo.startCursor;
        }
        expect(back).toEqual(ids(expectedDesc));
        expect(expected.length).toBe(expectedDesc.length);
      });

      it('refuses a cursor issued under another ordering, and an ordering named twice', async () => {
        const first = await data(`{ claims(first: 1) { pageInfo { endCursor } } }`);
        const message = await refusal(`query($after: String) { claims(first: 1, after: $after, orderBy: [CREATED_AT_DESC]) { nodes { id } } }`, {
          after: first.claims.pageInfo.endCursor,
        });
        expect(message).toMatch(/same orderBy/);
        expect(await refusal(`{ claims(orderBy: [KIND_ASC, KIND_DESC]) { nodes { id } } }`)).toMatch(/KIND is already in the ordering/);
      });
    });

    describe('groupBy', () => {
      it('orders groups of one count by key, the missing key first', async () => {
        const d = await data(`{ entities(nameContains: "Musk") { groupBy(field: STATUS) { key count } } }`);
        expect(d.entities.groupBy).toEqual([
          { key: 'OCCURRED', count: 2 },
          { key: null, count: 1 },
          { key: 'FAILED', count: 1 },
        ]);
      });

      it('counts claims by kind, support and claimant, citations by stance and events by year, honouring where', async () => {
        const d = await data(`{
          claims { byKind: groupBy(field: KIND) { key count } bySupport: groupBy(field: SUPPORT) { key count } byClaimant: groupBy(field: CLAIMANT) { key count } }
          facts: claims(where: { kind: { eq: FACT } }) { groupBy(field: KIND) { key count } }
          events { groupBy(field: START_YEAR) { key count } }
          sources { nodes { citations { groupBy(field: STANCE) { key count } } } }
        }`);
        const groups = async (column: string, table = 'claims') =>
          (await sql<{ key: string | null; count: number }>(`SELECT ${column} AS key, count(*) AS count FROM ${table} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST`));
        expect(d.claims.byKind).toEqual(await groups('kind'));
        expect(d.claims.bySupport).toEqual(await groups('support'));
        const byClaimant = (await sql<{ key: number | null; count: number }>('SELECT claimant_id AS key, count(*) AS count FROM claims GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST'));
        expect(d.claims.byClaimant.map((g: Data) => g.count)).toEqual(byClaimant.map((g) => g.count));
        const musk = d.claims.byClaimant.find((g: Data) => g.key !== null);
        expect(Buffer.from(musk.key, 'base64').toString()).toMatch(/^(Person|Organization):\d+$/);
        expect(d.facts.groupBy).toEqual([{ key: 'FACT', count: (await sql<{ n: number }>("SELECT count(*) AS n FROM claims WHERE kind = 'FACT'"))[0]!.n }]);
        expect(d.events.groupBy).toEqual([
          { key: null, count: 8 },
          { key: '2015', count: 1 },
          { key: '2018', count: 1 },
        ]);
        expect(d.sources.nodes.flatMap((s: Data) => s.citations.groupBy)).toEqual([
          { key: 'SUPPORTS', count: 1 },
          { key: 'SUPPORTS', count: 1 },
        ]);
      });

      it('is offered by every connection that takes a where, the role-carrying ones included', async () => {
        const d = await data(`{
          events(first: 100) { nodes { name participants { totalCount groupBy(field: KIND) { key count } } } }
          entity(name: "Elon Musk") { events { totalCount groupBy(field: START_YEAR) { key count } } }
        }`);
        for (const event of d.events.nodes) {
          const kinds = (await sql<{ key: string; count: number }>(
            `SELECT e.kind AS key, count(*) AS count FROM event_participants p JOIN entities e ON e.id = p.entity_id JOIN entities v ON v.id = p.event_id
             WHERE v.name = ? GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST`,
            event.name,
          ));
          expect(event.participants.groupBy).toEqual(kinds);
          expect(kinds.reduce((n, g) => n + g.count, 0)).toBe(event.participants.totalCount);
        }
        const years = d.entity.events.groupBy;
        expect(years.reduce((n: number, g: Data) => n + g.count, 0)).toBe(d.entity.events.totalCount);
        expect(years.map((g: Data) => g.key)).toContain('2018');
      });

      it('counts a nested connection for every parent in one statement', async () => {
        const query = `{ entities(first: 30) { nodes { name claimsAbout { groupBy(field: SUPPORT) { key count } } } } }`;
        app.resetQueries();
        const d = await data(query);
        const statements = app.queries.length;
        // The page of entities, and one GROUP BY for all their claims.
        expect(statements).toBe(2);
        for (const entity of d.entities.nodes) {
          const expected = (await sql<{ key: string; count: number }>(
            `SELECT c.support AS key, count(*) AS count FROM claim_subjects s JOIN claims c ON c.id = s.claim_id JOIN entities e ON e.id = s.entity_id
             WHERE e.name = ? GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST`,
            entity.name,
          ));
          expect(entity.claimsAbout.groupBy).toEqual(expected);
        }
      });
    });

    describe('planned into SQL', () => {
      it('a filtered nested read issues as many statements as an unfiltered one', async () => {
        const plain = `{ entities(first: 20) { nodes { name claimsAbout(first: 5) { totalCount nodes { text citations { source { title } } } } } } }`;
        const filtered = `{ entities(first: 20, where: { kind: { ne: PLACE } }) { nodes { name claimsAbout(first: 5, where: { citations: { none: {} } }, orderBy: [KIND_DESC]) { totalCount nodes { text citations { source { title } } } } } } }`;
        app.resetQueries();
        await data(plain);
        const before = app.queries.length;
        app.resetQueries();
        await data(filtered);
        expect(app.queries.length).toBe(before);
      });

      it('filters a nested list through its links without reading the node rows when the filter reads only their relations', async () => {
        app.resetQueries();
        const byRelation = await data(`{ entity(name: "OpenAI") { claimsAbout(where: { citations: { some: {} } }) { totalCount } } }`);
        expect(app.queries.join('\n')).not.toMatch(/FROM "claims" "n"/);
        app.resetQueries();
        const byColumn = await data(`{ entity(name: "OpenAI") { claimsAbout(where: { citations: { some: {} }, kind: { ne: ANECDOTE } }) { totalCount } } }`);
        expect(app.queries.join('\n')).toMatch(/FROM "claims" "n"/);
        expect(byRelation.entity.claimsAbout.totalCount).toBeGreaterThanOrEqual(byColumn.entity.claimsAbout.totalCount);
        expect(byRelation.entity.claimsAbout.totalCount).toBe(
          (await sql<{ n: number }>(
            `SELECT count(*) AS n FROM claim_subjects s JOIN entities e ON e.id = s.entity_id WHERE e.name = 'OpenAI' AND EXISTS (SELECT 1 FROM citations WHERE claim_id = s.claim_id)`,
          ))[0]!.n,
        );
      });
    });

    describe('bounds', () => {
      it('refuses filters too big, too deep or too long, saying what to change, and writes nothing', async () => {
        const many = Array.from({ length: FILTER_LIMITS.conditions + 1 }, (_, i) => `{ text: { contains: "w${i}" } }`).join(', ');
        expect(await refusal(`{ claims(where: { or: [${many}] }) { totalCount } }`)).toMatch(/at most 50 conditions/);
        let deep = '{ kind: { eq: FACT } }';
        for (let i = 0; i < FILTER_LIMITS.depth + 1; i++) deep = `{ not: ${deep} }`;
        expect(await refusal(`{ claims(where: ${deep}) { totalCount } }`)).toMatch(/nest at most 6 levels/);
        const hops = `{ citations: { some: { claim: { about: { some: { claimsMade: { some: { kind: { eq: FACT } } } } } } } } }`;
        expect(await refusal(`{ claims(where: ${hops}) { totalCount } }`)).toMatch(/at most 3 relations/);
        const values = Array.from({ length: FILTER_LIMITS.inValues + 1 }, (_, i) => `"x${i}"`).join(', ');
        expect(await refusal(`{ entities(where: { name: { in: [${values}] } }) { totalCount } }`)).toMatch(/at most 100/);
        expect(await refusal(`{ claims(where: { validFrom: { gte: "2018-13" } }) { totalCount } }`)).toMatch(/PartialDate/);
        expect(await refusal(`{ claims(where: { createdAt: { gte: "yesterday" } }) { totalCount } }`)).toMatch(/ISO 8601/);
        expect(await refusal(`{ claims(where: { id: { eq: "nonsense" } }) { totalCount } }`)).toMatch(/not a claimgraph id/);
        expect(await refusal(`{ claims(where: { text: { contains: "${'x'.repeat(FILTER_LIMITS.textLength + 1)}" } }) { totalCount } }`)).toMatch(/at most 500/);
        expect(await refusal(`{ claims(where: { citations: { count: { gte: -1 } } }) { totalCount } }`)).toMatch(/whole number/);
      });

      it('treats hostile text as text', async () => {
        for (const text of [`'; DROP TABLE claims; --`, '%', '_', '\\', '"', '%_%', '\u202e', '😀']) {
          const d = await data(`query($t: String!) { claims(where: { text: { contains: $t } }) { totalCount } e: entities(where: { name: { startsWith: $t } }) { totalCount } }`, { t: text });
          expect(d.claims.totalCount).toBe((await sql<{ n: number }>('SELECT count(*) AS n FROM claims WHERE instr(lower(text), lower(?)) > 0', text))[0]!.n);
        }
        expect((await sql<{ n: number }>('SELECT count(*) AS n FROM claims'))[0]!.n).toBeGreaterThan(0);
      });
    });

    describe('the response cache', () => {
      it('answers a filtered list anew after a write that changes which rows match', async () => {
        const fresh = await makeApp({ apiToken: TEST_TOKEN });
        const query = `{ claims(where: { citations: { some: { source: { kind: { eq: NEWS } } } } }) { totalCount nodes { id } } }`;
        const before = (await data(query, {}, fresh)).claims.totalCount;
        expect((await data(query, {}, fresh)).claims.totalCount).toBe(before);
        const claim = (await sql<{ id: number }>('SELECT id FROM claims c WHERE NOT EXISTS (SELECT 1 FROM citations WHERE claim_id = c.id) LIMIT 1'))[0]!.id;
        const news = (await sql<{ id: number }>("SELECT id FROM sources WHERE kind = 'NEWS' LIMIT 1"))[0]!.id;
        const added = await fresh.mutate(`mutation($c: ID!, $s: ID!) { addCitation(input: { claimId: $c, sourceId: $s, stance: MENTIONS }) { citation { id } } }`, {
          c: globalId('Claim', claim),
          s: globalId('Source', news),
        });
        expect(added.errors).toBeUndefined();
        expect((await data(query, {}, fresh)).claims.totalCount).toBe(before + 1);
      });
    });
  },
} satisfies ContractModule;
