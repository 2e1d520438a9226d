/**
 * `tsx bench/worst-query.ts <database>`: the CPU time and memory of the most expensive query the
 * node budget lets through, over that database (bench/run.ts runs it in a process of its own, so
 * the peak memory is this query's). Prints one JSON line.
 *
 * The worst shape found: the hundred best-linked entities through `nodes(ids:)`, a full page of
 * their relationships, and as many of their objects' relationships as the budget leaves, each
 * with both ends. Hubs fill every page, so the answer holds about as many nodes as the estimate
 * counts, and every node brings two entities that the budget does not count.
 */
import { readFileSync } from 'node:fs';
import { createApp } from '../src/app';
import { estimateNodes, NODE_LIMIT } from '../src/graphql/budget';
import { MAX_NODE_IDS, MAX_PAGE_SIZE } from '../src/graphql/connection-limits';
import { schema } from '../src/graphql/schema';
import { openDatabase } from '../src/db';
import { parse } from 'graphql';
import { gid } from './workloads';

const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };

/** nodes(ids) → relationships(first: MAX) → object → relationships(first: n), n as large as the budget allows. */
export function worstQuery(limit: number, ids: number): { query: string; inner: number } {
  const outer = ids * MAX_PAGE_SIZE;
  const inner = Math.min(MAX_PAGE_SIZE, Math.floor((limit - ids - outer) / outer));
  const link = 'predicate subject { name } object { name }';
  return {
    inner,
    query: `query Worst($ids: [ID!]!) { nodes(ids: $ids) { ... on Entity { name relationships(first: ${MAX_PAGE_SIZE}) { nodes { ${link} object { relationships(first: ${inner}) { nodes { ${link} } } } } } } } }`,
  };
}

/** The attacker's request that took minutes before the budget: 1,500 copies of one id, three hops of 100. */
export const ATTACK = `query Attack($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { ... on Entity { relationships(first: $n) { nodes { object { relationships(first: $n) { nodes { object { relationships(first: $n) { nodes { predicate } } } } } } } } } } }`;

const peakRssMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

async function main() {
  const path = process.argv[2];
  if (!path) throw new Error('usage: tsx bench/worst-query.ts <database>');
  const db = openDatabase({ path, readonly: true });
  const hubs = db.$client
    .prepare('SELECT e.id, e.kind FROM entities e JOIN (SELECT entity_id, count(*) AS n FROM relationship_ends GROUP BY entity_id ORDER BY n DESC LIMIT ?) h ON h.entity_id = e.id')
    .all(MAX_NODE_IDS) as { id: number; kind: string }[];
  const ids = hubs.map((h) => gid(TYPE[h.kind]!, h.id));
  const app = createApp({ db, responseCache: false, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const post = async (query: string, variables: object) => {
    const started = process.cpuUsage();
    const wall = performance.now();
    const response = await app.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    const cpu = process.cpuUsage(started);
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall, bytes: text.length, body: JSON.parse(text) as { errors?: { extensions: Record<string, unknown> }[]; extensions?: { cost?: unknown } } };
  };

  const { query, inner } = worstQuery(NODE_LIMIT, ids.length);
  const estimate = estimateNodes(schema, parse(query), null, { ids })!.requestedNodes;
  // Warm: the first run also compiles the statements and the plan.
  await post('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
  const baseline = rssMb();
  const runs: Awaited<ReturnType<typeof post>>[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await post(query, { ids });
    if (run.body.errors) throw new Error(`the worst accepted query was refused: ${JSON.stringify(run.body.errors[0])}`);
    runs.push(run);
  }
  const peak = peakRssMb();
  const attack = await post(ATTACK, { ids: Array.from({ length: MAX_NODE_IDS }, () => ids[0]), n: MAX_PAGE_SIZE });
  const median = (key: 'cpuMs' | 'wallMs') => runs.map((r) => r[key]).sort((a, b) => a - b)[1]!;
  process.stdout.write(
    `${JSON.stringify({
      limit: NODE_LIMIT,
      shape: `nodes(${ids.length} hubs) → relationships(first: ${MAX_PAGE_SIZE}) → object → relationships(first: ${inner}), both ends of each`,
      requestedNodes: estimate,
      cpuMs: Math.round(median('cpuMs')),
      wallMs: Math.round(median('wallMs')),
      responseMb: Number((runs[0]!.bytes / 2 ** 20).toFixed(1)),
      rssBeforeMb: Math.round(baseline),
      peakRssMb: Math.round(peak),
      attack: { refusedInMs: Number(attack.cpuMs.toFixed(1)), code: attack.body.errors?.[0]?.extensions.code },
    })}\n`,
  );
  db.$client.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    process.stderr.write(`worst-query: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
