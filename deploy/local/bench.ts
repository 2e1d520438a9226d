import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { sleep, waitFor } from './processes';
import { apiReady, apiUrl, type ClusterState, killApiNode, startApiNode } from './topology';

/** Connections autocannon keeps open to HAProxy's HTTP front. */
const CONNECTIONS = 16;
/** Distinct request bodies, cycled through by every connection. */
const REQUESTS = 400;

/** The CPU time (user + system) a process has used, in milliseconds, from /proc. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Whether HAProxy's stats say exactly the `up` API nodes are UP. */
async function haproxySees(state: ClusterState, up: string[]): Promise<boolean> {
  const csv = await (await fetch(`http://127.0.0.1:${state.haproxy.statsPort}/;csv`)).text();
  const rows = csv.split('\n').map((line) => line.split(','));
  const api = rows.filter((row) => row[0] === 'claimgraph_api' && row[1]!.startsWith('api'));
  return api.every((row) => (row[17]!.startsWith('UP') ? up.includes(row[1]!) : !up.includes(row[1]!)));
}

/** Read-only requests over the seeded graph: node lookups, nested reads, a page, paths (the benchmark's read shapes). */
async function readRequests(state: ClusterState): Promise<string[]> {
  const ask = async (query: string) => ((await (await fetch(`${apiUrl(state)}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json()) as { data: Record<string, { edges: { node: { id: string } }[] }> }).data;
  const found = await ask('{ claims(first: 100) { edges { node { id } } } sources(first: 100) { edges { node { id } } } entities(first: 100) { edges { node { id } } } }');
  const ids = (field: string) => found[field]!.edges.map((edge) => edge.node.id);
  const [claims, sources, entities] = [ids('claims'), ids('sources'), ids('entities')];
  const pick = (list: string[], i: number) => list[(i * 7919) % list.length]!;
  const shapes = [
    (i: number) => ({ query: 'query Lookup($id: ID!) { node(id: $id) { id ... on Claim { text kind support claimant { id name } } } }', variables: { id: pick(claims, i) } }),
    (i: number) => ({ query: 'query Nested($id: ID!) { node(id: $id) { ... on Source { title claims(first: 20) { nodes { id text about { id name relationships(first: 5) { nodes { id predicate object { id name } } } } } } } } }', variables: { id: pick(sources, i) } }),
    (i: number) => ({ query: 'query Page($n: Int!) { claims(first: $n) { nodes { id text } pageInfo { hasNextPage endCursor } } }', variables: { n: 1 + (i % 20) } }),
    (i: number) => ({ query: 'query Path($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 4) { length steps { description } } }', variables: { from: pick(entities, i), to: pick(entities, i + 1) } }),
  ];
  return Array.from({ length: REQUESTS }, (_, i) => JSON.stringify(shapes[i % shapes.length]!(i)));
}

export interface BenchRow {
  nodes: number;
  requestsPerSecond: number;
  perNode: number;
  /** API processes' CPU per request (user + system), in milliseconds. */
  cpuMsPerRequest: number;
  errors: number;
  p99Ms: number;
}

/**
 * The read shapes through HAProxy's HTTP front with 1, 2, … API nodes (the others stopped and out
 * of HAProxy's pool), `seconds` each: requests per second, per node, and the API processes' CPU
 * per request, from which what N machines would serve follows (1000 / CPU ms per request, per core).
 */
export async function runBench(state: ClusterState, options: { seconds: number; cache: 'on' | 'off'; say?: (line: string) => void }): Promise<BenchRow[]> {
  const say = options.say ?? console.log;
  const rows: BenchRow[] = [];
  const env = { RESPONSE_CACHE: options.cache };
  for (const node of state.api) {
    killApiNode(state, node);
  }
  let bodies: string[] | undefined;
  for (let n = 1; n <= state.api.length; n++) {
    const running = state.api.slice(0, n);
    for (const node of running) if (!node.pid) startApiNode(state, node, env);
    for (const node of running) await waitFor(`${node.name} to answer`, () => apiReady(node), 60_000);
    await waitFor('HAProxy to route to exactly these nodes', () => haproxySees(state, running.map((node) => node.name)), 30_000, 250);
    bodies ??= await readRequests(state);
    // Warm: prepared statements, the path index, the cache when on.
    await autocannon({ url: `${apiUrl(state)}/graphql`, connections: CONNECTIONS, duration: 2, requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })) });
    const before = running.map((node) => cpuMs(node.pid));
    const result = await autocannon({
      url: `${apiUrl(state)}/graphql`,
      connections: CONNECTIONS,
      duration: options.seconds,
      requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })),
    });
    const cpu = running.reduce((sum, node, i) => sum + cpuMs(node.pid) - before[i]!, 0);
    const total = result.requests.total;
    const row: BenchRow = {
      nodes: n,
      requestsPerSecond: Math.round(result.requests.average),
      perNode: Math.round(result.requests.average / n),
      cpuMsPerRequest: total > 0 ? Number((cpu / total).toFixed(2)) : Number.NaN,
      errors: result.errors + result.non2xx,
      p99Ms: result.latency.p99,
    };
    rows.push(row);
    say(`${n} API node${n > 1 ? 's' : ''}: ${row.requestsPerSecond} req/s (${row.perNode} per node), ${row.cpuMsPerRequest} ms API CPU per request, p99 ${row.p99Ms} ms, ${row.errors} errors`);
    await sleep(500);
  }
  // Every node back, with the cache as deployed.
  for (const node of state.api) killApiNode(state, node);
  for (const node of state.api) startApiNode(state, node);
  for (const node of state.api) await waitFor(`${node.name} to answer`, () => apiReady(node), 60_000);
  return rows;
}
