/**
 * `tsx bench/worst-query.ts <database> <shape>`: the CPU time and memory of one of the most
 * expensive queries the node budget lets through, over that database (bench/run.ts runs each in a
 * process of its own, so the peak memory is that query's). Prints one JSON line.
 *
 * The shapes tried start from the hundred best-linked entities through `nodes(ids:)` and go two
 * connections deep, the inner page as large as the budget allows. Hubs fill every page, so the
 * answer holds about as many objects as the estimate counts.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { createApp, LIMITS } from '../src/app';
import { estimateNodes, NODE_LIMIT } from '../src/graphql/budget';
import { MAX_NODE_IDS, MAX_PAGE_SIZE } from '../src/graphql/connection-limits';
import { schema } from '../src/graphql/schema';
import { openDatabase } from '../src/db';
import { gid } from './workloads';

const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };

const LINK = 'predicate subject { name } object { name }';
const CLAIM = 'text kind support claimant { name } appearsIn { title publisher { name } }';

/**
 * Shapes with `$inner` for the inner page, or built from the hubs' ids; `hubs` says which
 * entities they start from.
 */
export const SHAPES: { name: string; hubs: string; query: string | ((ids: string[]) => string) }[] = [
  {
    name: 'relationships of relationships, both ends of each',
    hubs: 'relationship_ends',
    query: `query Worst($ids: [ID!]!, $inner: Int) { nodes(ids: $ids) { ... on Entity { name relationships(first: ${MAX_PAGE_SIZE}) { nodes { ${LINK.replace('object { name }', 'object { name relationships(first: $inner) { nodes { ' + LINK + ' } } }')} } } } } }`,
  },
  {
    name: 'relationships of relationships, ids only',
    hubs: 'relationship_ends',
    query: `query Worst($ids: [ID!]!, $inner: Int) { nodes(ids: $ids) { ... on Entity { relationships(first: ${MAX_PAGE_SIZE}) { nodes { id object { relationships(first: $inner) { nodes { id } } } } } } } }`,
  },
  {
    name: 'claims about hubs, their claimants\' claims, with source and publisher',
    hubs: 'claim_subjects',
    query: `query Worst($ids: [ID!]!, $inner: Int) { nodes(ids: $ids) { ... on Entity { claimsAbout(first: ${MAX_PAGE_SIZE}) { nodes { ${CLAIM.replace('claimant { name }', 'claimant { name claimsMade(first: $inner) { nodes { ' + CLAIM + ' } } }')} } } } } }`,
  },
  {
    name: `depth-3 neighborhoods of ${LIMITS.maxAliases} hubs (each an alias), both ends of each relationship`,
    hubs: 'relationship_ends',
    query: (ids) =>
      `query Worst { ${ids
        .slice(0, LIMITS.maxAliases)
        .map((id, i) => `n${i}: neighborhood(of: "${id}", depth: 3) { truncated entities { id name } relationships { id ${LINK} } }`)
        .join(' ')} }`,
  },
];

/** The largest inner page that keeps the shape within the budget. */
export function innerPage(query: string, ids: string[], limit: number): number {
  const document = parse(query);
  let inner = 0;
  while (inner < MAX_PAGE_SIZE && estimateNodes(schema, document, null, { ids, inner: inner + 1 })!.requestedNodes <= limit) inner++;
  return inner;
}

/** The attacker's request that took minutes before the budget: 1,500 copies of one id, three hops of 100. */
export const ATTACK = `query Attack($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { ... on Entity { relationships(first: $n) { nodes { object { relationships(first: $n) { nodes { object { relationships(first: $n) { nodes { predicate } } } } } } } } } } }`;

const peakRssMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

/** Measures one shape of SHAPES (by index) over the database, or, given "attack", times the attacker's refusal. */
async function main() {
  const [path, which] = process.argv.slice(2);
  if (!path || !which) throw new Error('usage: tsx bench/worst-query.ts <database> <shape index | attack>');
  const db = openDatabase({ path, readonly: true });
  const hubsBy = (table: string) =>
    (db.$client
      .prepare(`SELECT e.id, e.kind FROM entities e JOIN (SELECT entity_id, count(*) AS n FROM ${table} GROUP BY entity_id ORDER BY n DESC LIMIT ?) h ON h.entity_id = e.id`)
      .all(MAX_NODE_IDS) as { id: number; kind: string }[]).map((h) => gid(TYPE[h.kind]!, h.id));
  const app = createApp({ db, responseCache: false, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const post = async (query: string, variables: object) => {
    const started = process.cpuUsage();
    const wall = performance.now();
    const response = await app.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    const cpu = process.cpuUsage(started);
    type Body = { errors?: { extensions: Record<string, unknown> }[]; extensions?: { cost?: { requestedNodes: number } } };
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall, bytes: text.length, body: JSON.parse(text) as Body };
  };
  const print = (figures: object) => process.stdout.write(`${JSON.stringify(figures)}\n`);

  if (which === 'attack') {
    const hub = hubsBy('relationship_ends')[0]!;
    await post('{ __typename }', {});
    const attack = await post(ATTACK, { ids: Array.from({ length: MAX_NODE_IDS }, () => hub), n: MAX_PAGE_SIZE });
    print({ cpuMs: Number(attack.cpuMs.toFixed(1)), code: attack.body.errors?.[0]?.extensions.code, requestedNodes: attack.body.extensions?.cost?.requestedNodes });
    return;
  }
  const shape = SHAPES[Number(which)]!;
  const ids = hubsBy(shape.hubs);
  const query = typeof shape.query === 'string' ? shape.query : shape.query(ids);
  const paged = query.includes('$inner');
  const inner = paged ? innerPage(query, ids, NODE_LIMIT) : 0;
  // Warm: the first run also prepares the statements and builds the plans.
  await post(query, { ids, inner: 1 });
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  const runs: Awaited<ReturnType<typeof post>>[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await post(query, paged ? { ids, inner } : {});
    if (run.body.errors) throw new Error(`${shape.name}: refused: ${JSON.stringify(run.body.errors[0])}`);
    runs.push(run);
  }
  const median = (key: 'cpuMs' | 'wallMs') => runs.map((r) => r[key]).sort((a, b) => a - b)[1]!;
  print({
    shape: paged ? `${shape.name} (${ids.length} hubs, pages of ${MAX_PAGE_SIZE} and ${inner})` : shape.name,
    requestedNodes: runs[0]!.body.extensions!.cost!.requestedNodes,
    cpuMs: Math.round(median('cpuMs')),
    wallMs: Math.round(median('wallMs')),
    responseMb: Number((runs[0]!.bytes / 2 ** 20).toFixed(1)),
    rssBeforeMb: Math.round(rssBefore),
    peakRssMb: Math.round(peakRssMb()),
  });
  db.$client.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    process.stderr.write(`worst-query: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
