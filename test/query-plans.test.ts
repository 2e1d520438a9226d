/**
 * Issue 5: "no query plan scans a whole table". The hot GraphQL operations run in-process on a
 * generated graph; every statement drizzle sends is captured with its parameters, and each one's
 * EXPLAIN QUERY PLAN must find its rows through an index: no step may SCAN a base table, and a
 * temp b-tree may sort only a set that is small by construction (a claim's subjects, not a hub's
 * relationships). The statements run on ANALYZEd statistics, then again without any.
 *
 * A finding here wants an index (a migration) or a different query, not a new exemption.
 * `QUERY_PLANS=1 npx vitest run test/query-plans.test.ts` prints every statement with its plan.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase, type Db } from '../src/db';
import { ENTITY_TYPE_BY_KIND } from '../src/domain/ids';
import { generateGraph } from '../src/model/generate';
import { RANKED_CANDIDATES } from '../src/model/search';
import { createTestApp, globalId, TEST_TOKEN, type TestApp } from './support/app';
import { planReads, planWrites } from './support/plan-reads';

/** Large enough that hubs hold thousands of links and a missing index changes the plan. */
const GRAPH = { entities: 20_000, relationships: 60_000, claims: 40_000, sources: 2_000, seed: 5, minCitations: 1, maxCitations: 3 };

interface Statement {
  sql: string;
  params: unknown[];
}
interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

let db: Db;
let app: TestApp;
let recording: Statement[] | null = null;
/** Every operation's statements, for the pass without statistics. */
const captured = new Map<string, Statement[]>();
const v: Record<string, string> = {};

const cursorAt = (id: number) => Buffer.from(`DC:N:${id}`).toString('base64');

beforeAll(() => {
  db = openDatabase({ path: ':memory:', onQuery: (sql, params) => recording?.push({ sql, params }) });
  migrateDatabase(db);
  generateGraph(db, GRAPH);
  db.$client.exec('ANALYZE');
  app = createTestApp({ db, apiToken: TEST_TOKEN });

  const c = db.$client;
  const num = (sql: string, ...params: unknown[]) => c.prepare(sql).pluck().get(...params) as number;
  const entity = (id: number) => globalId(ENTITY_TYPE_BY_KIND[c.prepare('SELECT kind FROM entities WHERE id = ?').pluck().get(id) as keyof typeof ENTITY_TYPE_BY_KIND], id);
  const hub = num('SELECT entity_id FROM relationship_ends GROUP BY entity_id ORDER BY count(*) DESC, entity_id LIMIT 1');
  const ordinary = num('SELECT entity_id FROM relationship_ends GROUP BY entity_id HAVING count(*) BETWEEN 4 AND 8 ORDER BY entity_id LIMIT 1');
  const twoHops = num(
    `SELECT b.other_id FROM relationship_ends a JOIN relationship_ends b ON b.entity_id = a.other_id
     WHERE a.entity_id = ? AND b.other_id <> a.entity_id ORDER BY b.id LIMIT 1`,
    ordinary,
  );
  const isolated = num(
    `SELECT id FROM entities e WHERE NOT EXISTS (SELECT 1 FROM relationship_ends r WHERE r.entity_id = e.id)
       AND NOT EXISTS (SELECT 1 FROM event_participants p WHERE p.entity_id = e.id OR p.event_id = e.id)
     ORDER BY id DESC LIMIT 1`,
  );
  const hubSource = num("SELECT source_id FROM citations WHERE stance = 'SUPPORTS' GROUP BY source_id ORDER BY count(*) DESC, source_id LIMIT 1");
  const busyEvent = num("SELECT event_id FROM event_participants GROUP BY event_id ORDER BY count(*) DESC, event_id LIMIT 1");
  const maxClaim = num('SELECT max(id) FROM claims');
  c.exec("CREATE VIRTUAL TABLE temp.plan_vocab USING fts5vocab(main, 'search_index', 'row')");
  Object.assign(v, {
    hub: entity(hub),
    ordinary: entity(ordinary),
    twoHops: entity(twoHops),
    isolated: entity(isolated),
    hubSource: globalId('Source', hubSource),
    source: globalId('Source', num('SELECT id FROM sources ORDER BY id DESC LIMIT 1')),
    claim: globalId('Claim', num('SELECT claim_id FROM claim_contradictions ORDER BY id LIMIT 1')),
    event: globalId('Event', busyEvent),
    deepCursor: cursorAt(Math.floor(maxClaim * 0.9)),
    rareWord: c.prepare('SELECT term FROM temp.plan_vocab WHERE doc BETWEEN 2 AND 20 AND length(term) > 4 ORDER BY term LIMIT 1').pluck().get() as string,
    commonWord: c.prepare('SELECT term FROM temp.plan_vocab ORDER BY doc DESC, term LIMIT 1').pluck().get() as string,
    commonLongWord: c.prepare('SELECT term FROM temp.plan_vocab WHERE length(term) > 4 ORDER BY doc DESC, term LIMIT 1').pluck().get() as string,
    personName: c.prepare("SELECT name FROM entities WHERE kind = 'PERSON' ORDER BY id DESC LIMIT 1").pluck().get() as string,
    // Weighed, but in more documents than ranking considers: the named entities are looked for too.
    manyDocumentsWord: c.prepare('SELECT term FROM temp.plan_vocab WHERE doc BETWEEN 1000 AND 9999 AND length(term) > 4 ORDER BY doc DESC, term LIMIT 1').pluck().get() as string,
    // Five letters that begin several words: searched as those words.
    begunWord: c
      .prepare("SELECT substr(term, 1, 5) FROM temp.plan_vocab WHERE length(term) > 5 AND term GLOB '[a-z]*' GROUP BY 1 HAVING count(*) BETWEEN 2 AND 4 ORDER BY sum(doc) DESC LIMIT 1")
      .pluck()
      .get() as string,
    // The letter most words begin: a one-letter prefix, as type-ahead sends at the first key.
    letter: c.prepare("SELECT substr(term, 1, 1) FROM temp.plan_vocab WHERE term GLOB '[a-z]*' GROUP BY 1 ORDER BY sum(doc) DESC LIMIT 1").pluck().get() as string,
    otherLetters: c.prepare("SELECT name FROM entities WHERE name GLOB '*[^ -~]*' ORDER BY id LIMIT 1").pluck().get() as string,
  });
}, 60_000);

// ---------------------------------------------------------------------------------------------
// Reading plans

let baseTables: Set<string>;
function tables(): Set<string> {
  baseTables ??= new Set(
    db.$client.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'").pluck().all() as string[],
  );
  return baseTables;
}

const bindable = (p: unknown) => (typeof p === 'boolean' ? Number(p) : p);
const explain = (s: Statement) => db.$client.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.params.map(bindable)) as PlanRow[];
const opcodes = (s: Statement) => (db.$client.prepare(`EXPLAIN ${s.sql}`).all(...s.params.map(bindable)) as { opcode: string }[]).map((r) => r.opcode);

/** The tables each FROM/JOIN alias of the statement stands for (drizzle reuses d1, d2… per subquery). */
function aliases(sql: string): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const m of sql.matchAll(/\b(?:from|join|update|into)\s+[`"]?(\w+)[`"]?(?:\s+(?:as\s+)?[`"]?(\w+)[`"]?)?/gi)) {
    const [, table, alias] = m;
    if (!table || !tables().has(table)) continue;
    for (const name of [table, alias]) if (name) map.set(name, (map.get(name) ?? new Set()).add(table));
  }
  return map;
}

/**
 * A connection's page read in key order with nothing filtered: the scan stops after `first + 1`
 * rows (LIMIT, no sort), so it reads a page, not the table. Only the outer loop qualifies. As
 * drizzle writes it (`from "claims" as "d0" order by "d0"."id" asc`) or compiled reads do
 * (`FROM "claims" p ORDER BY p.id`).
 */
const PAGE_IN_KEY_ORDER =
  /\sfrom "(\w+)" (?:as )?"?(\w+)"?(?: where \(*(?:1|TRUE)\)*)? order by "?\2"?\."?\w+"?(?: asc| desc)?(?:, "?\2"?\."?\w+"?(?: asc| desc)?)* limit (?:\?|\d+)$/i;

function isPageInKeyOrder(s: Statement, row: PlanRow, plan: PlanRow[], name: string): boolean {
  if (row.parent !== 0 || plan.some((r) => r.parent === 0 && r.id !== row.id && /^(SEARCH|SCAN|USE TEMP)/.test(r.detail))) return false;
  const tail = s.sql.slice(s.sql.toLowerCase().lastIndexOf(' from "'));
  const m = PAGE_IN_KEY_ORDER.exec(tail);
  return m?.[2] === name;
}

/**
 * SQLite counts an unfiltered table by walking b-tree pages (the Count opcode), not rows: well
 * under a millisecond at a million rows. Any WHERE, even `where TRUE`, turns it into a row scan.
 */
const isBtreeCount = (s: Statement) => /^select count\(\*\) from "\w+"$/i.test(s.sql.trim()) && opcodes(s).includes('Count');

/**
 * Sorts that stay small whatever the graph's size: the rows come from a lookup whose fan-out is
 * bounded by the domain (or by a LIMIT), never by how big a hub is. `throughList`: only as the
 * IN (subquery) list that drives the sorted loop.
 */
const BOUNDED_SORTS: { rows: RegExp; sql?: RegExp; throughList?: boolean; why: string }[] = [
  { rows: /INDEX claim_subjects_natural_key \(claim_id=\?/, why: 'the entities one claim is about (a bounded list: MAX_ITEMS.claimAbout)' },
  { rows: /INDEX citations_\w+ \(claim_id=\?/, why: "one claim's citations" },
  { rows: /INDEX claim_contradictions_natural_key \(claim_id=\?/, why: 'the claims one claim contradicts' },
  { rows: /INDEX relationship_claims_natural_key \(relationship_id=\?/, why: 'the claims that assert one relationship' },
  { rows: /INDEX entity_aliases_\w+ \(entity_id=\?/, why: "one entity's aliases (at most 50)" },
  { rows: /INDEX event_participants_natural_key \(event_id=\?/, why: "one event's participants" },
  { rows: /INDEX entities_name_lower_idx \(<expr>=\?\)/, why: 'the entities with exactly this name' },
  { rows: /INDEX entity_aliases_alias_lower_idx \(<expr>=\?\)/, why: 'the entities with exactly this alias' },
  { rows: /USING INTEGER PRIMARY KEY \(rowid=\?\)/, why: 'rows fetched by the ids the statement lists' },
  {
    rows: /INDEX event_participants_entity_\w+ \(entity_id=\?\)/,
    throughList: true,
    why: 'the events one entity took part in, put in timeline order (hundreds for the biggest hub at a million claims)',
  },
  {
    rows: /^SCAN \(subquery-\d+\)$/,
    // The first matches, up to RANKED_CANDIDATES (a page's worth when no word is rare enough to
    // weigh), then the entities the query names (NAME_CANDIDATES of each kind of name), unless the
    // words are in fewer documents than that: then the first matches are all of them.
    sql: new RegExp(
      `FROM search_index\\s+WHERE search_index MATCH \\?[^;]*?LIMIT (?:${RANKED_CANDIDATES}|\\d{1,${String(RANKED_CANDIDATES).length - 1}})\\s*\\)\\s*(?:UNION ALL|ORDER BY)`,
    ),
    why: `search ranks at most ${RANKED_CANDIDATES} candidates and the entities it names`,
  },
  {
    rows: /^SCAN (?:\(subquery-\d+\)|grouped|ranked)$/,
    sql: /row_number\(\) OVER \(PARTITION BY parent ORDER BY count DESC, key NULLS FIRST\)/,
    why: 'groupBy ranks the groups it counted (one per value), not the rows',
  },
];

const subtree = (plan: PlanRow[], root: PlanRow): PlanRow[] => {
  const children = plan.filter((r) => r.parent === root.id);
  return [root, ...children.flatMap((c) => subtree(plan, c))];
};

/**
 * Where the rows a temp b-tree sorts come from: the outermost loop of its scope, or, when that
 * loop looks rows up by id from an IN (subquery) list, the search that makes the list.
 */
function sortedRows(plan: PlanRow[], sort: PlanRow): { rows: PlanRow[]; throughList: boolean } {
  const scope = plan.filter((r) => r.parent === sort.parent && r.id < sort.id);
  const driver = scope.find((r) => /^(SEARCH|SCAN|MULTI-INDEX OR)/.test(r.detail));
  if (!driver) return { rows: [], throughList: false };
  const searches = (root: PlanRow) => subtree(plan, root).filter((r) => /^(SEARCH|SCAN)/.test(r.detail));
  if (driver.detail === 'MULTI-INDEX OR') return { rows: searches(driver), throughList: false };
  const list = scope.find((r) => /^LIST SUBQUERY/.test(r.detail));
  if (list && /[( ](?:rowid|id)=\?\)$/.test(driver.detail)) return { rows: searches(list).slice(0, 1), throughList: true };
  return { rows: [driver], throughList: false };
}

function problemsOf(s: Statement, plan: PlanRow[]): string[] {
  const problems: string[] = [];
  const names = aliases(s.sql);
  for (const row of plan) {
    const scan = /^SCAN (\w+)/.exec(row.detail);
    if (scan) {
      const name = scan[1]!;
      const scanned = tables().has(name) ? [name] : [...(names.get(name) ?? [])];
      if (scanned.length === 0) continue; // a subquery, a co-routine, a VALUES clause, a constant row
      if (isPageInKeyOrder(s, row, plan, name) || isBtreeCount(s)) continue;
      problems.push(`full scan of ${scanned.join('|')}: ${row.detail}`);
    }
    if (/^USE TEMP B-TREE FOR .*ORDER BY/.test(row.detail)) {
      const { rows, throughList } = sortedRows(plan, row);
      const bounded =
        rows.length > 0 &&
        rows.every((r) => BOUNDED_SORTS.some((b) => b.rows.test(r.detail) && (!b.sql || b.sql.test(s.sql)) && (!b.throughList || throughList)));
      if (!bounded) {
        const from = rows.map((r) => r.detail).join(' + ') || 'an unknown loop';
        problems.push(`sorts every row of ${from} (${row.detail})`);
      }
    }
  }
  return problems;
}

function printPlan(plan: PlanRow[]): string {
  const depth = new Map<number, number>([[0, 0]]);
  return plan
    .map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d)}${r.detail}`;
    })
    .join('\n');
}

/**
 * Findings that need a change in src/ rather than an index; each says which. A listed finding
 * that stops occurring fails the test too, so the list shrinks as they are fixed.
 */
const KNOWN: { operation: RegExp; problem: RegExp; why: string }[] = [
  {
    operation: /nameContains without a kind/,
    problem: /^full scan of entities/,
    why: 'a substring match (instr) can use no b-tree index: it needs a trigram FTS5 index over names.',
  },
  {
    operation: /^where: .*(newest first|ordered by start)/,
    problem: /^sorts every row of SEARCH d1 USING COVERING INDEX (claim_subjects_entity_idx|relationship_ends_entity_order_idx)/,
    why: "an orderBy other than a nested list's own order sorts that parent's rows (all of a hub's): an index per ordering of every link would be needed; the deadline bounds it (docs/performance.md)",
  },
];

function report(operation: string, statements: Statement[], { requireKnown }: { requireKnown: boolean }): string[] {
  const failures: string[] = [];
  const seen = new Set<number>();
  for (const s of statements) {
    const plan = explain(s);
    if (process.env.QUERY_PLANS) console.info(`\n[${operation}] ${s.sql}\n${JSON.stringify(s.params).slice(0, 300)}\n${printPlan(plan)}`);
    const problems = problemsOf(s, plan).filter((p) => {
      const known = KNOWN.findIndex((k) => k.operation.test(operation) && k.problem.test(p));
      if (known >= 0) seen.add(known);
      return known < 0;
    });
    if (problems.length > 0) {
      failures.push(
        `${operation}\n  ${problems.join('\n  ')}\n  SQL: ${s.sql}\n  params: ${JSON.stringify(s.params).slice(0, 500)}\n  plan:\n${printPlan(plan)}`,
      );
    }
  }
  if (requireKnown) {
    KNOWN.forEach((k, i) => {
      if (k.operation.test(operation) && !seen.has(i)) failures.push(`${operation}: KNOWN[${i}] no longer occurs; remove it from KNOWN (${k.why})`);
    });
  }
  return failures;
}

async function run<T>(operation: string, query: string, variables: Record<string, unknown> = {}, write = false) {
  const statements: Statement[] = [];
  recording = statements;
  let res: Awaited<ReturnType<TestApp['gql']>>;
  try {
    res = write ? await app.mutate(query, variables) : await app.gql(query, variables);
  } finally {
    recording = null;
  }
  expect(res.errors, `${operation}: ${JSON.stringify(res.errors)}`).toBeUndefined();
  expect(statements.length, `${operation} sent no SQL: answered from the response cache? Give each operation its own query or variables`).toBeGreaterThan(0);
  captured.set(operation, statements);
  return { data: res.data as T, statements };
}

async function expectPlansSearch(operation: string, query: string, variables: () => Record<string, unknown> = () => ({})) {
  const { statements } = await run(operation, query, variables());
  const failures = report(operation, statements, { requireKnown: true });
  expect(failures.length, failures.join('\n\n')).toBe(0);
}

// ---------------------------------------------------------------------------------------------
// The operations

const READS = planReads(v);

describe('with statistics (ANALYZE)', () => {
  it('picks its parameters from the generated graph', () => {
    for (const [name, value] of Object.entries(v)) expect(value, name).toBeTruthy();
  });

  for (const [operation, query, variables] of READS) {
    it(`${operation}: every statement searches`, async () => {
      if (operation === 'entities(kind:) second page') {
        const first = await app.gql<{ entities: { pageInfo: { endCursor: string } } }>('{ entities(kind: [ORGANIZATION], first: 20) { pageInfo { endCursor } } }');
        await expectPlansSearch(operation, query, () => ({ after: first.data!.entities.pageInfo.endCursor }));
        return;
      }
      await expectPlansSearch(operation, query, variables);
    });
  }

  it('the path and neighborhood plans above are of real work: found, not found, cut at the cap', async () => {
    const connected = await app.gql<{ path: { length: number } | null }>('query($a: ID!, $b: ID!) { path(from: $a, to: $b) { length } }', { a: v.ordinary, b: v.twoHops });
    expect(connected.data!.path?.length).toBeGreaterThan(0);
    const unconnected = await app.gql<{ path: null }>('query($a: ID!, $b: ID!) { path(from: $a, to: $b) { length } }', { a: v.hub, b: v.isolated });
    expect(unconnected.data!.path).toBeNull();
    const hood = await app.gql<{ neighborhood: { truncated: boolean } }>('query($e: ID!) { neighborhood(of: $e, depth: 2) { truncated } }', { e: v.hub });
    expect(hood.data!.neighborhood.truncated, 'the hub reaches the neighborhood cap').toBe(true);
  });

  it('no search statement binds a rowid next to MATCH', () => {
    // better-sqlite3 binds numbers as REAL; FTS5 drops a REAL rowid bound next to MATCH (a lone
    // `rowid = ?`, or `IN (?)` of one value, which SQLite turns into `=`) and returns every match.
    const searches = [...captured].filter(([operation]) => operation.startsWith('search:'));
    expect(searches.length).toBeGreaterThan(0);
    for (const [operation, statements] of searches) {
      for (const s of statements.filter((st) => /\bMATCH\b/.test(st.sql))) {
        expect(s.sql, operation).not.toMatch(/\browid\s*(?:=|>=?|<=?|IN\s*\()\s*\?/i);
      }
    }
  });

  it('every mutation searches: its statements, its foreign-key checks and its cascades', async () => {
    const failures: string[] = [];
    const mutate = async <T>(operation: string, query: string, variables: Record<string, unknown>) => {
      const { data, statements } = await run<T>(operation, query, variables, true);
      failures.push(...report(operation, statements, { requireKnown: true }));
      return data;
    };
    await planWrites(mutate, v);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  });

  it('every trigger body searches', () => {
    const failures: string[] = [];
    const triggers = db.$client.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").all() as { name: string; sql: string }[];
    expect(triggers.length).toBeGreaterThan(0);
    for (const trigger of triggers) {
      const body = trigger.sql.slice(trigger.sql.search(/\bBEGIN\b/) + 'BEGIN'.length, trigger.sql.search(/\bEND\s*;?\s*$/));
      for (const text of body.split(';').map((t) => t.trim()).filter(Boolean)) {
        // NEW.x and OLD.x are one row's values: parameters to the planner.
        const sql = text.replace(/\b(?:NEW|OLD)\.(?:`\w+`|"\w+"|\w+)/g, '?');
        const statement = { sql, params: Array.from({ length: sql.split('?').length - 1 }, () => 1) };
        failures.push(...report(`trigger ${trigger.name}`, [statement], { requireKnown: false }));
      }
    }
    expect(failures.length, failures.join('\n\n')).toBe(0);
  });

  it('every foreign key finds its child rows through an index (deleting a parent scans nothing)', () => {
    const c = db.$client;
    const missing: string[] = [];
    for (const table of tables()) {
      const keys = c.prepare('SELECT "from" AS col, "table" AS parent, id FROM pragma_foreign_key_list(?)').all(table) as { col: string; parent: string; id: number }[];
      const leading = (c.prepare('SELECT name FROM pragma_index_list(?)').pluck().all(table) as string[]).map(
        (index) => (c.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').pluck().all(index) as string[]),
      );
      const byKey = new Map<number, typeof keys>();
      for (const k of keys) byKey.set(k.id, [...(byKey.get(k.id) ?? []), k]);
      for (const columns of byKey.values()) {
        const cols = columns.map((k) => k.col);
        if (!leading.some((ix) => cols.every((col) => ix.slice(0, cols.length).includes(col)))) {
          missing.push(`${table}(${cols.join(', ')}) → ${columns[0]!.parent}`);
        }
      }
    }
    expect(missing, 'child columns no index leads: deleting a parent row scans the child table').toEqual([]);
  });
});

describe('without statistics', () => {
  it('the same statements still search before ANALYZE has run', () => {
    expect(captured.size, 'run the whole file: this pass re-plans the statements captured above').toBeGreaterThan(READS.length);
    const stats = db.$client.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'").pluck().all() as string[];
    for (const table of stats) db.$client.exec(`DELETE FROM ${table}`);
    db.$client.exec('ANALYZE sqlite_schema'); // makes the planner reload the (now empty) statistics
    const failures = [...captured].flatMap(([operation, statements]) => report(`${operation} (no statistics)`, statements, { requireKnown: false }));
    expect(failures.length, failures.join('\n\n')).toBe(0);
  });
});
