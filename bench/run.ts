/**
 * `npm run bench [-- --quick] [-- --repeat 3] [-- --engine postgres]`: claimgraph against its floors, in one run.
 *
 * Builds (or reuses) a generated graph, starts the real server (production limits, one process per
 * core over the shared WAL database) and the raw floor (the same answers from hand-written
 * better-sqlite3 statements behind node:http), checks that every workload's answer equals the
 * floor's, then drives each with autocannon at a fixed concurrency after a warm-up. Prints a
 * markdown table and writes the same figures to bench/results.json.
 *
 * With `--engine postgres` the same graph is copied into PostgreSQL (bench/postgres.ts) and the
 * read workloads run there, beside a raw floor over `pg` (bench/raw-floor-postgres.ts) and
 * PostGraphile 5 for the shapes both express (bench/postgraphile.ts): see postgresMain below.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { createApp } from '../src/app';
import { NODE_LIMIT } from '../src/graphql/budget';
import { migrateDatabase, openDatabase } from '../src/db';
import { type GenerateOptions, generateFile, random } from '../src/model/generate';
import { shortestPath } from '../src/model/graph';
import { variedRequests } from './varied';
import { ZIPF_MIX, zipfDraws } from './zipf';
import { MIX, type Params, type Workload, WORKLOADS, workload } from './workloads';
import { SHAPES } from './worst-query';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // Seconds measured per workload: 10, or 6 with --quick (which must finish within five minutes).
    duration: { type: 'string' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    workers: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '1' },
    // Off by default for the workloads, so each measures the work itself against the floor; `on`
    // measures them through the cache. The mix runs both ways: the cache is on in production.
    'response-cache': { type: 'string', default: 'off' },
    // Comma-separated workload names (and `mix`, `zipf`, `varied`) to time; all of them by default.
    only: { type: 'string' },
    // The Zipf mix's skew (bench/zipf.ts): the k-th most popular value is asked with weight 1/k^s.
    'zipf-s': { type: 'string', default: '1' },
    // Seconds the Zipf mix warms the server with the response cache on before measuring it: the
    // longer, the more of the popular answers its cache holds (the hit rate printed says how many).
    'zipf-warmup': { type: 'string', default: '10' },
    // Seconds of the varied workload (every request a new cache key) on a fresh server, whose
    // peak RSS per process is reported.
    'varied-seconds': { type: 'string', default: '30' },
    // sqlite (the default) or postgres: see postgresMain.
    engine: { type: 'string', default: 'sqlite' },
    // The PostgreSQL cluster's folder, kept between runs so the graph is loaded once.
    'pg-data': { type: 'string' },
  },
});
if (args.engine !== 'sqlite' && args.engine !== 'postgres') throw new Error(`--engine: sqlite or postgres, not "${args.engine}"`);

const SIZES: Record<'full' | 'quick', GenerateOptions> = {
  full: { entities: 100_000, relationships: 500_000, claims: 1_000_000, sources: 50_000, seed: 42, minCitations: 1, maxCitations: 3 },
  quick: { entities: 10_000, relationships: 50_000, claims: 100_000, sources: 5_000, seed: 42, minCitations: 1, maxCitations: 3 },
};
const size = args.quick ? 'quick' : 'full';
const options = SIZES[size];
const duration = Number(args.duration ?? (args.quick ? 6 : 10));
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const workers = Number(args.workers);
const repeat = Number(args.repeat);
const only = args.only?.split(',').map((name) => name.trim());
for (const name of only ?? []) {
  // lookup-source is PostgreSQL's shared shape (bench/postgraphile.ts), not a SQLite workload.
  if (name !== 'mix' && name !== 'zipf' && name !== 'varied' && name !== 'lookup-source' && !WORKLOADS.some((w) => w.name === name)) throw new Error(`--only: no workload is called "${name}"`);
}
const timed = (name: string) => !only || only.includes(name);
const TOKEN = 'bench-token-0123456789abcdef';
const zipfS = Number(args['zipf-s']);
if (!(zipfS >= 0)) throw new Error(`--zipf-s: a number ≥ 0 (0 is uniform), not "${args['zipf-s']}"`);
const zipfWarmup = Number(args['zipf-warmup']);
if (!(zipfWarmup > 0)) throw new Error(`--zipf-warmup: seconds, more than 0, not "${args['zipf-warmup']}"`);
/**
 * A server with the response cache on also serves /metrics, whose response-cache counters give
 * the hit rate printed beside its figures (the Zipf mix's servers serve it with the cache off
 * too, for their error counts). It costs a few µs a request (docs/operations.md#metrics).
 */
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const METRICS_ENV = { METRICS: 'on', METRICS_TOKEN };
const withMetrics = (env: Record<string, string>) => (env.RESPONSE_CACHE === 'on' ? { ...env, ...METRICS_ENV } : env);
const ROOT = new URL('..', import.meta.url).pathname;
const DATA = join(ROOT, 'bench', 'data');
const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };
const log = (line: string) => process.stdout.write(`${line}\n`);
// The servers run dist/ as `npm start` does: build it now if it is stale.
execFileSync(process.execPath, ['src/cli/build.mjs'], { cwd: ROOT, stdio: 'inherit' });

/** The generated graph, built once per size and reused while its options are unchanged. */
function data(): { path: string; loadSeconds: number | null } {
  mkdirSync(DATA, { recursive: true });
  const base = join(DATA, `${size}.db`);
  const meta = join(DATA, `${size}.json`);
  const wanted = JSON.stringify(options);
  if (existsSync(base) && existsSync(meta) && JSON.parse(readFileSync(meta, 'utf8')).options === wanted) {
    return { path: base, loadSeconds: JSON.parse(readFileSync(meta, 'utf8')).loadSeconds };
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(base + suffix, { force: true });
  log(`generating the ${size} graph: ${JSON.stringify(options)}`);
  const started = performance.now();
  generateFile(base, options);
  const loadSeconds = (performance.now() - started) / 1000;
  writeFileSync(meta, JSON.stringify({ options: wanted, loadSeconds }));
  log(`generated in ${loadSeconds.toFixed(1)} s`);
  return { path: base, loadSeconds };
}

/** Parameters for every workload, drawn deterministically from the data. */
function parameters(path: string): Record<string, Params[]> {
  const db = openDatabase({ path, readonly: true });
  const c = db.$client;
  const rand = random(12345).int;
  const maxClaim = c.prepare('SELECT max(id) FROM claims').pluck().get() as number;
  const maxEntity = c.prepare('SELECT max(id) FROM entities').pluck().get() as number;
  const maxSource = c.prepare('SELECT max(id) FROM sources').pluck().get() as number;
  const kindOf = c.prepare('SELECT kind FROM entities WHERE id = ?').pluck();
  const entity = (id: number) => ({ id, type: TYPE[kindOf.get(id) as string]! });
  const sources = c
    .prepare("SELECT source_id FROM citations WHERE stance = 'SUPPORTS' GROUP BY source_id HAVING count(*) >= 20 LIMIT 5000")
    .pluck()
    .all() as number[];
  c.exec("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'search_index', 'row')");
  const common = c.prepare('SELECT term FROM temp.vocab ORDER BY doc DESC LIMIT 1').pluck().get() as string;
  const rare = c.prepare('SELECT term FROM temp.vocab WHERE doc BETWEEN 2 AND 20 AND length(term) > 4 ORDER BY term LIMIT 50').pluck().all() as string[];
  const connected = Math.floor(maxEntity * 0.99);
  const reachable: Params[] = [];
  for (let tries = 0; reachable.length < 30 && tries < 300; tries++) {
    const a = entity(1 + rand(connected));
    const b = entity(1 + rand(connected));
    const found = shortestPath(db, a.id, b.id, 4);
    if (found && found.steps.length >= 2) reachable.push({ from: a.id, fromType: a.type, to: b.id, toType: b.type });
  }
  const unreachable: Params[] = [];
  for (let i = 0; i < 30; i++) {
    const a = entity(1 + rand(connected));
    const b = entity(connected + 1 + rand(maxEntity - connected));
    unreachable.push({ from: a.id, fromType: a.type, to: b.id, toType: b.type });
  }
  let writes = 0;
  const write = (): Params => {
    const a = entity(1 + rand(connected));
    const b = entity(1 + rand(connected));
    return { text: `Benchmark write ${process.pid} ${++writes}`, source: 1 + rand(maxSource), a: a.id, aType: a.type, b: b.id, bType: b.type };
  };
  // Left open: writes draw their entities while the benchmark runs.
  return {
    lookup: Array.from({ length: 500 }, () => ({ id: 1 + rand(maxClaim) })),
    nested: Array.from({ length: 100 }, () => ({ id: sources[rand(sources.length)]! })),
    'page-first': [{}],
    'page-deep': [{ after: Math.floor(maxClaim * 0.9) }],
    'search-rare': rare.map((q) => ({ q })),
    'search-common': [{ q: common }],
    'path-reachable': reachable,
    'path-unreachable': unreachable,
    // The entities most claims are about (the hubs) and a few from further down.
    filtered: (
      c.prepare('SELECT entity_id FROM claim_subjects GROUP BY entity_id ORDER BY count(*) DESC LIMIT 20').pluck().all() as number[]
    ).map((id) => entity(id)),
    // Each write is new: generated on demand.
    write: new Proxy([] as Params[], { get: (target, key) => (key === 'length' ? 1 : key === '0' ? write() : Reflect.get(target, key)) }),
  };
}

interface Server {
  url: string;
  child: ChildProcess;
}

/** The server as `npm start` runs it (compiled, built just before the servers start); the raw floor runs through tsx. */
const SERVER = ['--enable-source-maps', 'dist/main.js'];

/** What of a server's output is kept for the message if it exits (characters). */
const OUTPUT_TAIL = 64 * 1024;

function startServer(command: string[], env: Record<string, string>, ready: RegExp, count: number): Promise<Server> {
  const child = spawn(process.execPath, command[0]!.endsWith('.ts') ? ['--import', 'tsx', ...command] : command, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // The server's output, its tail only once it is ready: a server logs a line per request, and
  // keeping all of it and searching it again on every chunk cost this process (autocannon's)
  // CPU that grew with the run, so later workloads were measured against a slower load generator.
  let output = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (started) {
        if (output.length > OUTPUT_TAIL) output = output.slice(-OUTPUT_TAIL);
        return;
      }
      const found = [...output.matchAll(new RegExp(ready, 'g'))];
      if (found.length >= count) {
        started = true;
        resolve({ url: found[0]![1]!, child });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}:\n${output}`)));
  });
}

function cycle(list: Params[]) {
  let i = 0;
  return () => list[i++ % list.length]!;
}

const gqlBody = (name: string, p: Params) => JSON.stringify({ query: workload(name).query, variables: workload(name).variables(p) });
const rawBody = (name: string, p: Params) => JSON.stringify({ w: name, p });

async function post(url: string, body: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
  // `error`: a raw floor's answer to what it cannot answer.
  return (await res.json()) as { data?: unknown; errors?: unknown; error?: string };
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /** Of the reads the response cache looked up while measured, the share it answered (null: it looked none up). */
  hitRate?: number | null;
  /** Answers that were not answers: failed connections, timeouts, non-2xx, and (from /metrics) answers with errors. */
  errors?: number;
  /** The errors by kind: `connection`, `non-2xx`, and the contract codes /metrics counted. */
  errorCodes?: Record<string, number>;
  /** From /metrics, by GraphQL operation: requests answered, their mean time in the server (ms), and the cache's hit rate. */
  operations?: Record<string, { requests: number; meanMs: number; hitRate: number | null }>;
}

/** What a server's /metrics has counted so far (summed over its workers). */
interface Counted {
  hits: number;
  misses: number;
  errors: number;
  codes: Record<string, number>;
  /** By operation: requests answered, the seconds they took in all, and the response cache's outcomes. */
  operations: Record<string, { count: number; seconds: number; hits: number; misses: number }>;
}

/** The response cache's outcomes and the answers' error codes, from the server's /metrics. */
async function counted(url: string): Promise<Counted> {
  const res = await fetch(url.replace(/\/graphql$/, '/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (!res.ok) throw new Error(`${url}: /metrics answered ${res.status}`);
  const found: Counted = { hits: 0, misses: 0, errors: 0, codes: {}, operations: {} };
  for (const line of (await res.text()).split('\n')) {
    const took = /^claimgraph_request_duration_seconds_(sum|count)\{operation="([^"]*)"\} (\S+)$/.exec(line);
    if (took) {
      const op = (found.operations[took[2]!] ??= { count: 0, seconds: 0, hits: 0, misses: 0 });
      if (took[1] === 'sum') op.seconds += Number(took[3]);
      else op.count += Number(took[3]);
      continue;
    }
    const answered = /^claimgraph_requests_total\{(?=[^}]*operation="([^"]*)")(?=[^}]*cache="(hit|miss)")[^}]*\} (\S+)$/.exec(line);
    if (answered) {
      const op = (found.operations[answered[1]!] ??= { count: 0, seconds: 0, hits: 0, misses: 0 });
      op[answered[2] === 'hit' ? 'hits' : 'misses'] += Number(answered[3]);
      continue;
    }
    const m = /^(claimgraph_response_cache_total|claimgraph_errors_total)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (m[1] === 'claimgraph_errors_total') {
      found.errors += value;
      const code = /code="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
      found.codes[code] = (found.codes[code] ?? 0) + value;
    } else if (m[2]!.includes('outcome="hit"')) found.hits += value;
    else if (m[2]!.includes('outcome="miss"')) found.misses += value;
  }
  return found;
}

interface DriveOptions {
  /** Read the hit rate and the errors from the server's /metrics (it must serve them: METRICS_ENV). */
  metrics?: boolean;
  /** Count errors and go on, rather than stop the run at the first. */
  countErrors?: boolean;
}

/**
 * The yoga floor: { __typename } through the whole GraphQL pipeline. Its body carries (empty)
 * `extensions`, which the fast path of repeated reads leaves to the pipeline: sent as a plain
 * query, the fast path would answer it after the first time, and the floor would measure that.
 */
const yogaFloorBody = () => JSON.stringify({ query: '{ __typename }', extensions: {} });

async function drive(url: string, body: () => string, warmupSeconds = warmup, seconds = duration, options: DriveOptions = {}): Promise<Figures> {
  const run = (seconds: number) =>
    autocannon({
      url,
      connections,
      duration: seconds,
      requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, setupRequest: (req) => ({ ...req, body: body() }) }],
    });
  await run(warmupSeconds);
  const runs: Required<Figures>[] = [];
  for (let i = 0; i < repeat; i++) {
    const before = options.metrics ? await counted(url) : null;
    const r = await run(seconds);
    const after = options.metrics ? await counted(url) : null;
    if ((r.errors || r.non2xx) && !options.countErrors) throw new Error(`${url}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
    const looked = before && after ? after.hits - before.hits + (after.misses - before.misses) : 0;
    const codes: Record<string, number> = {};
    if (r.errors) codes.connection = r.errors;
    if (r.non2xx) codes['non-2xx'] = r.non2xx;
    for (const [code, n] of Object.entries(after?.codes ?? {})) if (n - (before?.codes[code] ?? 0) > 0) codes[code] = n - (before?.codes[code] ?? 0);
    runs.push({
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      hitRate: before && after && looked > 0 ? (after.hits - before.hits) / looked : null,
      errors: r.errors + r.non2xx + (before && after ? after.errors - before.errors : 0),
      errorCodes: codes,
      operations: Object.fromEntries(
        // '' (no operation) is the /metrics scrapes themselves.
        Object.entries(after?.operations ?? {}).flatMap(([name, op]) => {
          if (name === '') return [];
          const was = before?.operations[name];
          const requests = op.count - (was?.count ?? 0);
          const seconds = op.seconds - (was?.seconds ?? 0);
          const hits = op.hits - (was?.hits ?? 0);
          const looked = hits + op.misses - (was?.misses ?? 0);
          const hitRate = looked > 0 ? Number((hits / looked).toFixed(4)) : null;
          return requests > 0 ? [[name, { requests, meanMs: Number(((seconds / requests) * 1000).toFixed(2)), hitRate }]] : [];
        }),
      ),
    });
  }
  const median = (k: 'rps' | 'p50' | 'p99') => runs.map((f) => f[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  const rates = runs.map((f) => f.hitRate).filter((rate) => rate !== null).sort((a, b) => a - b);
  return {
    rps: median('rps'),
    p50: median('p50'),
    p99: median('p99'),
    // The middle run's split by operation (the run whose rps is the median).
    ...(options.metrics
      ? {
          hitRate: rates.length > 0 ? rates[Math.floor(rates.length / 2)]! : null,
          operations: [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!.operations,
        }
      : {}),
    // Every run's: one error is one too many to hide behind a median.
    ...(options.metrics || options.countErrors
      ? {
          errors: runs.reduce((sum, f) => sum + f.errors, 0),
          errorCodes: runs.reduce<Record<string, number>>((all, f) => {
            for (const [code, n] of Object.entries(f.errorCodes)) all[code] = (all[code] ?? 0) + n;
            return all;
          }, {}),
        }
      : {}),
  };
}

/** A hit rate as printed: a percentage, or – where the cache looked nothing up. */
const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? '–' : `${(rate * 100).toFixed(1)}%`);

function weighted(entries: [string, number][]) {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  const rng = random(7);
  return () => {
    let pick = rng.int(total);
    for (const [name, w] of entries) {
      if (pick < w) return name;
      pick -= w;
    }
    return entries[0]![0];
  };
}

/** Resident memory high-water mark of each claimgraph worker, in MB. */
function peakMemory(primary: ChildProcess): number[] {
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['-P', String(primary.pid)]).toString().trim().split('\n').filter(Boolean);
  } catch {
    pids = [];
  }
  // Only the server processes: the primary may also have helper children (tsx's esbuild service).
  pids = pids.filter((pid) => /main\.[jt]s/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
  if (pids.length === 0) pids = [String(primary.pid)];
  return pids.map((pid) => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  });
}

/**
 * The most expensive queries the node budget accepts, each in a process of its own (its peak
 * memory is that query's), before the servers start: CPU time, wall time, peak memory.
 */
function worstAccepted(path: string) {
  const run = (which: string) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'worst-query.ts'), path, which], { cwd: ROOT }).toString()) as Record<string, unknown>;
  const shapes = SHAPES.map((_, i) => run(String(i))) as { shape: string; requestedNodes: number; cpuMs: number; wallMs: number; responseMb: number; peakRssMb: number }[];
  const attack = run('attack');
  log(`node budget ${NODE_LIMIT.toLocaleString('en-US')}: the most expensive accepted queries (median of 3, each in its own process)`);
  log('| shape | requestedNodes | CPU ms | wall ms | response MB | peak RSS MB |');
  log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const w of shapes) log(`| ${w.shape} | ${w.requestedNodes} | ${w.cpuMs} | ${w.wallMs} | ${w.responseMb} | ${w.peakRssMb} |`);
  log(`the attacker's request (100 ids, three hops of first: 100): ${attack.code} in ${attack.cpuMs} ms of CPU`);
  return { limit: NODE_LIMIT, shapes, attack };
}

/** What one server process may reach, in MB of resident memory, under the varied workload. */
const RSS_LIMIT_MB = 400;
const variedSeconds = Number(args['varied-seconds']);

/**
 * The varied workload (bench/varied.ts) against a server of its own with the response cache on, as
 * in production: its peak RSS per process is then this workload's alone.
 */
async function variedRun(path: string, env: Record<string, string>) {
  const next = variedRequests(path);
  const server = await startServer(SERVER, { ...env, RESPONSE_CACHE: 'on' }, /"url":"(http:\/\/[^"]+\/graphql)"/, workers);
  try {
    // A sample first: the operations must be answered, not refused.
    let errors = 0;
    const answers = 200;
    for (let i = 0; i < answers; i++) if ((await post(server.url, next())).errors) errors++;
    const figures = await drive(server.url, next, warmup, variedSeconds);
    const peakRssMb = peakMemory(server.child);
    const result = { rps: Math.round(figures.rps), p50Ms: figures.p50, p99Ms: figures.p99, seconds: variedSeconds, answers, errors, peakRssMb, limitMb: RSS_LIMIT_MB };
    if (errors > answers / 10) throw new Error(`varied: ${errors} of ${answers} sampled answers had errors`);
    return result;
  } finally {
    server.child.kill('SIGTERM');
  }
}

/** The Zipf mix's figures for one server, as bench/results.json keeps them. */
const zipfFig = (f: Figures) => ({
  rps: Math.round(f.rps),
  p50Ms: f.p50,
  p99Ms: f.p99,
  cacheHitRate: f.hitRate === undefined || f.hitRate === null ? null : Number(f.hitRate.toFixed(4)),
  errors: f.errors ?? 0,
  errorCodes: f.errorCodes ?? {},
  operations: f.operations ?? null,
});

/** Errors as printed: the count, and by kind when there are any. */
const errorCell = (errors: number, codes: Record<string, number>) =>
  errors === 0 ? '0' : `${errors} (${Object.entries(codes).map(([code, n]) => `${code} ${n}`).join(', ')})`;

/** The first requests of the Zipf sequence whose answers are compared before it is timed. */
const ZIPF_SAMPLE = 300;
/** The draws' seed: every server is sent the same sequence. */
const ZIPF_SEED = 18;

/**
 * The Zipf mix (bench/zipf.ts) on servers of its own, started fresh so the cache holds only this
 * mix's answers: `workerCount` processes over the engine `env` names, with /metrics on (its
 * counters give the hit rate and the answers with errors), once with the response cache off and
 * once with it on, each sent the same sequence; then the raw floor at `floorUrl`, when it answers
 * every shape (it answers 404 for one it has no hand-written answer for). The first
 * ZIPF_SAMPLE requests' answers are compared first: cache on with cache off, and the floor's.
 */
async function zipfRun(engine: 'sqlite' | 'postgres', path: string, env: Record<string, string>, workerCount: number, floorUrl: string | null) {
  const draws = zipfDraws(path, zipfS);
  const distinct = draws.distinct(ZIPF_SEED, 10_000);
  const { space } = draws;
  log(
    `Zipf mix, s = ${zipfS}: over ${space.claims.toLocaleString('en-US')} claims, ${space.sources.toLocaleString('en-US')} sources, ${space.entities.toLocaleString('en-US')} entities, ${space.words.toLocaleString('en-US')} search words and ${space.pages.toLocaleString('en-US')} pages; ${distinct.toLocaleString('en-US')} distinct reads in its first 10,000 requests`,
  );
  const ready = /"url":"(http:\/\/[^"]+\/graphql)"/;
  const serverEnv = { ...env, WORKERS: String(workerCount), ...METRICS_ENV };
  const servers: Server[] = [];
  try {
    const off = await startServer(SERVER, { ...serverEnv, RESPONSE_CACHE: 'off' }, ready, workerCount);
    servers.push(off);
    const on = await startServer(SERVER, { ...serverEnv, RESPONSE_CACHE: 'on' }, ready, workerCount);
    servers.push(on);

    const sample = draws.requests(ZIPF_SEED + 1);
    let reads = 0;
    let errors = 0;
    let cacheAgrees = 0;
    let floorAgrees = 0;
    let floorMissing: string | null = null;
    for (let i = 0; i < ZIPF_SAMPLE; i++) {
      const r = sample();
      if (r.shape === 'write') {
        // A write is not compared (each side's claim is its own), but the floor must make it.
        const floor: Awaited<ReturnType<typeof post>> | null = floorUrl && floorMissing === null ? await post(floorUrl, rawBody(r.w, r.p)) : null;
        if (floor?.error !== undefined) floorMissing = `${r.w}: ${floor.error}`;
        continue;
      }
      reads++;
      type Answer = Awaited<ReturnType<typeof post>>;
      const asked: Promise<Answer> | null = floorUrl && floorMissing === null ? post(floorUrl, rawBody(r.w, r.p)) : null;
      const [ours, cached, floor]: [Answer, Answer, Answer | null] = await Promise.all([post(off.url, gqlBody(r.w, r.p)), post(on.url, gqlBody(r.w, r.p)), asked]);
      if (ours.errors) {
        errors++;
        if (errors <= 3) log(`Zipf ${r.w} ${JSON.stringify(r.p)}: claimgraph answers with errors: ${JSON.stringify(ours.errors).slice(0, 300)}`);
      }
      if (isDeepStrictEqual(cached, ours)) cacheAgrees++;
      else log(`Zipf ${r.w} ${JSON.stringify(r.p)}: the server with the response cache answers differently`);
      if (floor?.error !== undefined) {
        floorMissing = `${r.w}: ${floor.error}`;
      } else if (floor) {
        if (isDeepStrictEqual(ours.data, floor.data)) floorAgrees++;
        else if (reads - floorAgrees <= 3) {
          log(`Zipf ${r.w} ${JSON.stringify(r.p)}: claimgraph and the raw floor disagree\nclaimgraph: ${JSON.stringify(ours).slice(0, 1000)}\nraw floor:  ${JSON.stringify(floor).slice(0, 1000)}`);
        }
      }
    }
    const floorOk = floorUrl !== null && floorMissing === null;
    log(
      `Zipf sample of ${reads} reads: ${errors} with errors; cache on and off agree on ${cacheAgrees}; ${floorOk ? `the raw floor agrees on ${floorAgrees}` : `no raw floor (${floorMissing ?? 'none on this engine'})`}`,
    );

    // The same sequence for each (writes aside, whose texts stay new).
    const sequence = (body: (name: string, p: Params) => string) => {
      const next = draws.requests(ZIPF_SEED);
      return () => {
        const r = next();
        return body(r.w, r.p);
      };
    };
    const claimgraph = await drive(off.url, sequence(gqlBody), warmup, duration, { metrics: true, countErrors: true });
    log(`Zipf, cache off: ${claimgraph.rps.toFixed(0)} rps, p99 ${claimgraph.p99} ms, errors ${errorCell(claimgraph.errors!, claimgraph.errorCodes!)}`);
    off.child.kill('SIGTERM');
    // Warmed for longer, as the mix is: the cache fills with the sequence's popular answers.
    const cached = await drive(on.url, sequence(gqlBody), Math.max(warmup, zipfWarmup), duration, { metrics: true, countErrors: true });
    log(`Zipf, cache on: ${cached.rps.toFixed(0)} rps, p99 ${cached.p99} ms, hit rate ${percent(cached.hitRate)}, errors ${errorCell(cached.errors!, cached.errorCodes!)}`);
    const peakRssMb = peakMemory(on.child);
    on.child.kill('SIGTERM');
    const floor = floorOk ? await drive(floorUrl, sequence(rawBody), warmup, duration, { countErrors: true }) : null;
    if (floor) log(`Zipf, raw floor: ${floor.rps.toFixed(0)} rps, p99 ${floor.p99} ms, errors ${errorCell(floor.errors!, floor.errorCodes!)}`);
    return {
      engine,
      s: zipfS,
      seed: ZIPF_SEED,
      mix: Object.fromEntries(ZIPF_MIX),
      space,
      distinctReadsIn10k: distinct,
      workers: workerCount,
      responseCacheMb: Number(process.env.RESPONSE_CACHE_MB ?? 32),
      cachedWarmupSeconds: Math.max(warmup, zipfWarmup),
      sample: { reads, errors, cacheAgrees, floorAgrees: floorOk ? floorAgrees : null, noFloor: floorOk ? null : (floorMissing ?? 'none on this engine') },
      claimgraph: zipfFig(claimgraph),
      claimgraphResponseCache: zipfFig(cached),
      rawFloor: floor ? zipfFig(floor) : null,
      peakRssMbResponseCache: peakRssMb,
    };
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
  }
}

type ZipfResult = Awaited<ReturnType<typeof zipfRun>>;

function printZipf(z: ZipfResult) {
  log(
    `Zipf mix (s = ${z.s}; ${Object.entries(z.mix)
      .map(([shape, weight]) => `${shape} ${weight}%`)
      .join(', ')}) on ${z.engine}, ${z.workers} worker(s), ${connections} connections, ${duration} s × ${repeat}; ${z.distinctReadsIn10k.toLocaleString('en-US')} distinct reads in 10,000 requests:`,
  );
  log('| Zipf mix | rps | p50 ms | p99 ms | cache hit rate | errors |');
  log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const row = (name: string, f: ReturnType<typeof zipfFig> | null) =>
    f && log(`| ${name} | ${f.rps} | ${f.p50Ms} | ${f.p99Ms} | ${percent(f.cacheHitRate)} | ${errorCell(f.errors, f.errorCodes)} |`);
  row('claimgraph, response cache off', z.claimgraph);
  row('claimgraph, response cache on', z.claimgraphResponseCache);
  if (z.rawFloor) row('raw floor', z.rawFloor);
  else log(`| raw floor | ${z.sample.noFloor} | | | | |`);
  log('');
  const split = (name: string, f: ReturnType<typeof zipfFig>) =>
    f.operations &&
    log(
      `${name}, by operation: mean ms in the server (requests${name.endsWith('on') ? ', hit rate' : ''}): ${Object.entries(f.operations)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, o]) => `${op} ${o.meanMs} (${o.requests}${o.hitRate === null ? '' : `, ${percent(o.hitRate)}`})`)
        .join(', ')}`,
    );
  split('cache off', z.claimgraph);
  split('cache on', z.claimgraphResponseCache);
  log('');
}

async function main() {
  const { path: base, loadSeconds } = data();
  const path = join(DATA, `${size}-run.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  copyFileSync(base, path);
  // Migrated before anything reads it: a graph generated by an older version may lack a newer
  // migration, and the server would otherwise apply it while the first workload is timed.
  const migrating = openDatabase({ path });
  migrateDatabase(migrating);
  migrating.$client.close();
  const params = parameters(path);
  if (args.engine === 'postgres') return postgresMain(path, params);
  const budget = worstAccepted(path);

  // SQL statements per request, counted in-process over the same data.
  let statements = 0;
  const counted = openDatabase({ path, onQuery: () => statements++ });
  const inProcess = createApp({ db: counted, apiToken: TOKEN, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const sqlPerRequest: Record<string, number> = {};
  for (const w of WORKLOADS) {
    const samples = params[w.name]!;
    const n = Math.min(10, samples.length);
    statements = 0;
    for (let i = 0; i < n; i++) {
      await inProcess.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: gqlBody(w.name, samples[i]!) });
    }
    sqlPerRequest[w.name] = statements / n;
  }
  counted.$client.close();

  const env = { DATABASE_PATH: path, PORT: '0', HOST: '127.0.0.1', WORKERS: String(workers), API_TOKEN: TOKEN, LOG_LEVEL: 'info', RESPONSE_CACHE: args['response-cache'] };
  const app = await startServer(SERVER, withMetrics(env), /"url":"(http:\/\/[^"]+\/graphql)"/, workers);
  const cachedApp = await startServer(SERVER, withMetrics({ ...env, RESPONSE_CACHE: 'on' }), /"url":"(http:\/\/[^"]+\/graphql)"/, workers);
  const raw = await startServer(['bench/raw-floor.ts'], env, /raw floor listening on (\d+)/, workers).then((s) => ({ ...s, url: `http://127.0.0.1:${s.url}/raw` }));
  const stop = () => {
    app.child.kill('SIGTERM');
    cachedApp.child.kill('SIGTERM');
    raw.child.kill('SIGTERM');
  };
  process.on('exit', stop);

  try {
    for (const w of WORKLOADS.filter((w) => !w.writes)) {
      for (const p of params[w.name]!.slice(0, 10)) {
        const [ours, cached, floor] = await Promise.all([post(app.url, gqlBody(w.name, p)), post(cachedApp.url, gqlBody(w.name, p)), post(raw.url, rawBody(w.name, p))]);
        if (!isDeepStrictEqual(cached, ours)) throw new Error(`${w.name} ${JSON.stringify(p)}: the server with the response cache answers differently`);
        if (ours.errors || !isDeepStrictEqual(ours.data, floor.data)) {
          throw new Error(`${w.name} ${JSON.stringify(p)}: claimgraph and the raw floor disagree\nclaimgraph: ${JSON.stringify(ours).slice(0, 2000)}\nraw floor:  ${JSON.stringify(floor).slice(0, 2000)}`);
        }
      }
    }
    for (let i = 0; i < 3; i++) {
      const written = await post(app.url, gqlBody('write', params.write![0]!));
      if (written.errors) throw new Error(`write: claimgraph refused it: ${JSON.stringify(written.errors).slice(0, 500)}`);
    }
    log(`answers agree with the raw floor on every workload; timing ${duration} s × ${repeat} after ${warmup} s warm-up, ${connections} connections, ${workers} worker(s)`);

    const yoga = await drive(app.url, yogaFloorBody);
    log(`yoga floor ({ __typename }): ${yoga.rps.toFixed(0)} rps`);
    const rows: { name: string; ours: Figures; floor: Figures; sql: number }[] = [];
    const cachedRuns = args['response-cache'] === 'on';
    for (const w of WORKLOADS.filter((w) => !w.writes && timed(w.name))) {
      const next = cycle(params[w.name]!);
      const ours = await drive(app.url, () => gqlBody(w.name, next()), warmup, duration, { metrics: cachedRuns });
      const nextRaw = cycle(params[w.name]!);
      const floor = await drive(raw.url, () => rawBody(w.name, nextRaw()));
      rows.push({ name: w.name, ours, floor, sql: sqlPerRequest[w.name]! });
      log(`${w.name}: ${ours.rps.toFixed(0)} rps (raw floor ${floor.rps.toFixed(0)})`);
    }
    // Each server gets the same sequence of the mix's requests.
    const mixOf = (body: (name: string, p: Params) => string) => {
      const pick = weighted(MIX);
      const nexts = Object.fromEntries(WORKLOADS.map((w) => [w.name, cycle(params[w.name]!)]));
      return () => {
        const name = pick();
        return body(name, nexts[name]!());
      };
    };
    if (timed('mix')) {
      const mixOurs = await drive(app.url, mixOf(gqlBody), warmup, duration, { metrics: cachedRuns });
      // Warmed for longer: each process fills its own cache, and at a 3 s warm-up most of the
      // parameters would not have been asked yet.
      const mixCached = await drive(cachedApp.url, mixOf(gqlBody), Math.max(warmup, 10), duration, { metrics: true });
      const mixFloor = await drive(raw.url, mixOf(rawBody));
      const mixSql = MIX.reduce((sum, [name, w]) => sum + w * sqlPerRequest[name]!, 0) / MIX.reduce((sum, [, w]) => sum + w, 0);
      rows.push({ name: 'mix', ours: mixOurs, floor: mixFloor, sql: mixSql });
      rows.push({ name: 'mix, response cache on', ours: mixCached, floor: mixFloor, sql: mixSql });
    }
    const memory = [...peakMemory(app.child), ...peakMemory(cachedApp.child)];
    const zipfResult = timed('zipf') ? await zipfRun('sqlite', path, env, workers, raw.url) : null;
    const varied = timed('varied') ? await variedRun(path, env) : null;

    const results = {
      engine: 'sqlite',
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      data: { size, ...options, loadSeconds },
      settings: { duration, warmup, connections, workers, repeat, responseCache: args['response-cache'], only: only ?? null },
      yogaFloorRps: yoga.rps,
      peakRssMb: memory,
      budget,
      zipf: zipfResult,
      varied,
      workloads: rows.map((r) => ({
        name: r.name,
        rps: Math.round(r.ours.rps),
        p50Ms: r.ours.p50,
        p99Ms: r.ours.p99,
        sqlPerRequest: Number(r.sql.toFixed(2)),
        rawFloorRatio: Number((r.floor.rps / r.ours.rps).toFixed(2)),
        yogaFloorRatio: Number((yoga.rps / r.ours.rps).toFixed(2)),
        rawFloorRps: Math.round(r.floor.rps),
        // The share of reads the response cache answered while measured (null: the cache was off).
        cacheHitRate: r.ours.hitRate === undefined || r.ours.hitRate === null ? null : Number(r.ours.hitRate.toFixed(4)),
      })),
    };
    writeResults({ ...results, postgres: previousResults().postgres });
    log('');
    log(`| workload | rps | p50 ms | p99 ms | cache hit rate | SQL/request | × raw floor | × yoga floor |`);
    log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const w of results.workloads) {
      log(`| ${w.name} | ${w.rps} | ${w.p50Ms} | ${w.p99Ms} | ${percent(w.cacheHitRate)} | ${w.sqlPerRequest} | ${w.rawFloorRatio} | ${w.yogaFloorRatio} |`);
    }
    log('');
    if (zipfResult) printZipf(zipfResult);
    log(`response cache ${args['response-cache']}; ${results.machine.cpus} × ${results.machine.model}, ${results.machine.memoryGb} GB, Node ${results.machine.node}; ${size} graph (${options.claims.toLocaleString('en')} claims${loadSeconds ? `, generated in ${loadSeconds.toFixed(0)} s` : ''}); yoga floor ${yoga.rps.toFixed(0)} rps; peak RSS per worker ${memory.join(', ')} MB`);
    if (varied) {
      log(
        `varied reads (every request a new cache key, response cache on, ${variedSeconds} s): ${varied.rps} rps, p99 ${varied.p99Ms} ms; ${varied.answers} answers sampled, ${varied.errors} with errors; peak RSS per process ${varied.peakRssMb.join(', ')} MB (${Math.max(...varied.peakRssMb) > RSS_LIMIT_MB ? 'OVER' : 'under'} the ${RSS_LIMIT_MB} MB limit)`,
      );
    }
    log('wrote bench/results.json');
  } finally {
    stop();
  }
}

/** bench/results.json as the last runs left it: each engine's run keeps the other's figures. */
function previousResults(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function writeResults(results: Record<string, unknown>) {
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

const fig = (f: Figures) => ({ rps: Math.round(f.rps), p50Ms: f.p50, p99Ms: f.p99 });
const cell = (f: Figures | null | undefined) => (f ? `${Math.round(f.rps)} / ${f.p50} / ${f.p99}` : '–');

/**
 * `--engine postgres`: the generated graph copied into PostgreSQL (ids kept, so the parameters
 * drawn from the SQLite file hold), then each read workload timed on claimgraph (one process,
 * response cache off) beside the raw floor over `pg`, and the shapes PostGraphile can express
 * also on claimgraph with the response cache on and on PostGraphile 5. Same load generator,
 * connections and duration for all; answers compared before anything is timed.
 */
async function postgresMain(path: string, params: Record<string, Params[]>) {
  const { benchCluster, BENCH_PG_SETTINGS } = await import('./postgres');
  const { installPostgraphile, POSTGRAPHILE_COMMAND, POSTGRAPHILE_FIRST_PAGE, SHARED_SHAPES, LOOKUP_SOURCE, cursorMaker } = await import('./postgraphile');
  // PostGraphile only when a shape it shares is timed (not for `--only zipf`, say).
  const sharedShapes = SHARED_SHAPES.filter((s) => timed(s.name) || timed(s.workload));
  if (sharedShapes.length > 0) installPostgraphile(log);
  const cluster = await benchCluster(args['pg-data'] ?? join(DATA, 'pg'), path, JSON.stringify({ size, options }), log);
  log(
    `PostgreSQL runs with fsync, synchronous_commit and full_page_writes off (reads are measured; the data is reloaded from the SQLite file if lost): ${Object.entries(BENCH_PG_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  const workloads: Workload[] = [...WORKLOADS, { ...LOOKUP_SOURCE }];
  params['lookup-source'] = params.lookup!;
  const body = (name: string, p: Params) => JSON.stringify({ query: workloads.find((w) => w.name === name)!.query, variables: workloads.find((w) => w.name === name)!.variables(p) });
  // SQL statements per request, counted in-process over the same database.
  const { openPostgresEngine } = await import('../src/db/postgres-engine');
  let statements = 0;
  const counted = await openPostgresEngine(cluster.url, { onQuery: () => statements++ });
  const inProcess = createApp({ db: counted.db, apiToken: TOKEN, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const sqlPerRequest: Record<string, number> = {};
  for (const w of workloads.filter((w) => !w.writes)) {
    const n = Math.min(10, params[w.name]!.length);
    statements = 0;
    for (const p of params[w.name]!.slice(0, n)) {
      await inProcess.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: body(w.name, p) });
    }
    sqlPerRequest[w.name] = statements / n;
  }
  await counted.close();
  // One process each, as PostGraphile runs (the Zipf mix below runs `workers`).
  const env = { DATABASE_URL: cluster.url, PORT: '0', HOST: '127.0.0.1', WORKERS: '1', API_TOKEN: TOKEN, LOG_LEVEL: 'info', RESPONSE_CACHE: 'off' };
  const servers: Server[] = [];
  const stop = () => {
    for (const s of servers) s.child.kill('SIGTERM');
  };
  process.on('exit', stop);
  try {
    const app = await startServer(SERVER, env, /"url":"(http:\/\/[^"]+\/graphql)"/, 1);
    servers.push(app);
    const cachedApp = await startServer(SERVER, withMetrics({ ...env, RESPONSE_CACHE: 'on' }), /"url":"(http:\/\/[^"]+\/graphql)"/, 1);
    servers.push(cachedApp);
    const raw = await startServer(['bench/raw-floor-postgres.ts'], { DATABASE_URL: cluster.url, PORT: '0' }, /raw floor listening on (\d+)/, 1).then((s) => ({ ...s, url: `http://127.0.0.1:${s.url}/raw` }));
    servers.push(raw);
    const pgl =
      sharedShapes.length > 0
        ? await startServer(POSTGRAPHILE_COMMAND, { DATABASE_URL: cluster.url, PORT: '0', POOL_SIZE: '10' }, /postgraphile listening on (\d+)/, 1).then((s) => ({
            ...s,
            url: `http://127.0.0.1:${s.url}/graphql`,
          }))
        : null;
    if (pgl) servers.push(pgl);

    // What runs, and whether each side's answers agree, before anything is timed.
    const skipped: { name: string; skipped: string }[] = [];
    const runnable: { name: string; floor: boolean; agrees: boolean }[] = [];
    for (const w of workloads) {
      if (w.writes) {
        const written = await post(app.url, body(w.name, params[w.name]![0]!));
        if (written.errors) throw new Error(`${w.name}: claimgraph refused it on PostgreSQL: ${JSON.stringify(written.errors).slice(0, 500)}`);
        else runnable.push({ name: w.name, floor: false, agrees: true });
        continue;
      }
      let floor = true;
      let agrees = true;
      let failed: string | null = null;
      for (const p of params[w.name]!.slice(0, 10)) {
        const [ours, cached, theirs] = await Promise.all([post(app.url, body(w.name, p)), post(cachedApp.url, body(w.name, p)), post(raw.url, JSON.stringify({ w: w.name, p }))]);
        if (ours.errors) {
          failed = JSON.stringify(ours.errors).slice(0, 300);
          break;
        }
        if (!isDeepStrictEqual(cached, ours)) agrees = false;
        if ((theirs as { error?: string }).error) floor = false;
        else if (!isDeepStrictEqual(ours.data, theirs.data)) {
          agrees = false;
          log(`${w.name} ${JSON.stringify(p)}: claimgraph and the raw floor disagree\nclaimgraph: ${JSON.stringify(ours).slice(0, 1000)}\nraw floor:  ${JSON.stringify(theirs).slice(0, 1000)}`);
        }
      }
      if (failed !== null) {
        log(`${w.name}: claimgraph fails on PostgreSQL: ${failed}`);
        skipped.push({ name: w.name, skipped: `claimgraph fails on PostgreSQL: ${failed}` });
        continue;
      }
      runnable.push({ name: w.name, floor, agrees });
      log(`${w.name}: claimgraph ${floor ? `and the raw floor ${agrees ? 'agree' : 'DISAGREE'}` : 'answers (no raw floor on PostgreSQL yet)'}`);
    }
    for (const s of skipped) log(`${s.name}: skipped: ${s.skipped}`);

    // PostGraphile: the same data for the same parameters, in each side's own form.
    let pageCursor = (_after: number) => '';
    if (pgl) {
      const first = await post(pgl.url, JSON.stringify({ query: POSTGRAPHILE_FIRST_PAGE, variables: { after: null } }));
      if (first.errors) throw new Error(`PostGraphile's first page: ${JSON.stringify(first.errors).slice(0, 500)}`);
      pageCursor = cursorMaker(first.data as Parameters<typeof cursorMaker>[0]);
    }
    const pglBody = (shape: (typeof SHARED_SHAPES)[number], p: Params) => JSON.stringify({ query: shape.postgraphile, variables: shape.postgraphileVariables(p, pageCursor) });
    const sameData: Record<string, boolean> = {};
    for (const shape of pgl ? SHARED_SHAPES : []) {
      let same = true;
      for (const p of params[shape.workload]!.slice(0, 10)) {
        const [ours, theirs] = await Promise.all([post(app.url, body(shape.workload, p)), post(pgl!.url, pglBody(shape, p))]);
        const a = ours.data ? shape.fromClaimgraph(ours.data as Parameters<typeof shape.fromClaimgraph>[0]) : ours.errors;
        const b = theirs.data ? shape.fromPostgraphile(theirs.data as Parameters<typeof shape.fromPostgraphile>[0]) : theirs.errors;
        if (!isDeepStrictEqual(a, b)) {
          if (same) log(`${shape.name} ${JSON.stringify(p)}:\n  claimgraph:   ${JSON.stringify(a).slice(0, 600)}\n  PostGraphile: ${JSON.stringify(b).slice(0, 600)}`);
          same = false;
        }
      }
      sameData[shape.name] = same;
      log(`${shape.name}: PostGraphile's answers carry the same data as claimgraph's: ${same ? 'ok' : 'mismatch'}`);
    }
    log(`timing ${duration} s × ${repeat} after ${warmup} s warm-up, ${connections} connections, one process per server`);

    const yoga = await drive(app.url, yogaFloorBody);
    log(`yoga floor ({ __typename }): ${yoga.rps.toFixed(0)} rps`);
    const rows: { name: string; ours: Figures; floor: Figures | null; agrees: boolean }[] = [];
    for (const r of runnable.filter((r) => timed(r.name))) {
      const next = cycle(params[r.name]!);
      const ours = await drive(app.url, () => body(r.name, next()));
      const nextRaw = cycle(params[r.name]!);
      const floor = r.floor ? await drive(raw.url, () => JSON.stringify({ w: r.name, p: nextRaw() })) : null;
      rows.push({ name: r.name, ours, floor, agrees: r.agrees });
      log(`${r.name}: ${ours.rps.toFixed(0)} rps (raw floor ${floor ? floor.rps.toFixed(0) : '–'})`);
    }
    const shared: { shape: string; claimgraph: Figures; cached: Figures; floor: Figures | null; postgraphile: Figures; same: boolean }[] = [];
    for (const shape of pgl ? sharedShapes : []) {
      const row = rows.find((r) => r.name === shape.workload);
      if (!row) continue;
      const nextCached = cycle(params[shape.workload]!);
      const cached = await drive(cachedApp.url, () => body(shape.workload, nextCached()), warmup, duration, { metrics: true });
      const nextPgl = cycle(params[shape.workload]!);
      const postgraphile = await drive(pgl!.url, () => pglBody(shape, nextPgl()));
      shared.push({ shape: shape.name, claimgraph: row.ours, cached, floor: row.floor, postgraphile, same: sameData[shape.name]! });
      log(`${shape.name}: claimgraph ${row.ours.rps.toFixed(0)} rps, cache on ${cached.rps.toFixed(0)}, PostGraphile ${postgraphile.rps.toFixed(0)}`);
    }
    const memory = { claimgraph: peakMemory(app.child), claimgraphCached: peakMemory(cachedApp.child), postgraphile: pgl ? peakMemory(pgl.child) : [] };
    // PostGraphile cannot express search, path or the relation filter: the Zipf mix is claimgraph's
    // and the raw floor's only, with WORKERS as on SQLite.
    const zipfResult = timed('zipf') ? await zipfRun('postgres', path, { ...env, WORKERS: String(workers) }, workers, raw.url) : null;

    const results = {
      engine: 'postgres',
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      data: { size, ...options, loadSeconds: cluster.loadedSeconds, loadedThisRun: cluster.loadSeconds !== null },
      settings: { duration, warmup, connections, workers: 1, repeat, responseCache: 'off', only: only ?? null, postgres: BENCH_PG_SETTINGS },
      yogaFloorRps: yoga.rps,
      peakRssMb: memory,
      workloads: [
        ...rows.map((r) => ({
          name: r.name,
          rps: Math.round(r.ours.rps),
          p50Ms: r.ours.p50,
          p99Ms: r.ours.p99,
          sqlPerRequest: Number(sqlPerRequest[r.name]!.toFixed(2)),
          rawFloorRatio: r.floor && r.ours.rps > 0 ? Number((r.floor.rps / r.ours.rps).toFixed(2)) : null,
          yogaFloorRatio: r.ours.rps > 0 ? Number((yoga.rps / r.ours.rps).toFixed(2)) : null,
          rawFloorRps: r.floor ? Math.round(r.floor.rps) : null,
          rawFloorP50Ms: r.floor?.p50 ?? null,
          rawFloorP99Ms: r.floor?.p99 ?? null,
          answersAgree: r.agrees,
        })),
        ...skipped,
      ],
      postgraphile: shared.map((s) => ({
        shape: s.shape,
        claimgraph: fig(s.claimgraph),
        claimgraphResponseCache: { ...fig(s.cached), cacheHitRate: s.cached.hitRate === undefined || s.cached.hitRate === null ? null : Number(s.cached.hitRate.toFixed(4)) },
        rawFloor: s.floor ? fig(s.floor) : null,
        postgraphile: fig(s.postgraphile),
        sameData: s.same,
      })),
      zipf: zipfResult,
    };
    writeResults({ ...previousResults(), postgres: results });
    log('');
    log('| workload (PostgreSQL) | rps | p50 ms | p99 ms | SQL/request | × raw floor | raw floor rps / p50 / p99 |');
    log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      log(`| ${r.name} | ${Math.round(r.ours.rps)} | ${r.ours.p50} | ${r.ours.p99} | ${Number(sqlPerRequest[r.name]!.toFixed(2))} | ${r.floor && r.ours.rps > 0 ? (r.floor.rps / r.ours.rps).toFixed(2) : '–'} | ${cell(r.floor)} |`);
    }
    for (const s of skipped) log(`| ${s.name} | skipped: ${s.skipped} | | | | | |`);
    log('');
    log('| shape (rps / p50 ms / p99 ms) | claimgraph | claimgraph, response cache on | cache hit rate | raw floor | PostGraphile 5 | same data |');
    log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const s of shared) log(`| ${s.shape} | ${cell(s.claimgraph)} | ${cell(s.cached)} | ${percent(s.cached.hitRate)} | ${cell(s.floor)} | ${cell(s.postgraphile)} | ${s.same ? 'ok' : 'mismatch'} |`);
    log('');
    if (zipfResult) printZipf(zipfResult);
    log(
      `PostgreSQL (fsync off); ${results.machine.cpus} × ${results.machine.model}, ${results.machine.memoryGb} GB, Node ${results.machine.node}; ${size} graph (${options.claims.toLocaleString('en')} claims, loaded into PostgreSQL in ${cluster.loadedSeconds.toFixed(0)} s${cluster.loadSeconds === null ? ' by an earlier run' : ''}); yoga floor ${yoga.rps.toFixed(0)} rps; peak RSS claimgraph ${memory.claimgraph.join(', ')} MB, with the cache ${memory.claimgraphCached.join(', ')} MB, PostGraphile ${memory.postgraphile.join(', ') || '–'} MB`,
    );
    log('wrote bench/results.json (its "postgres" entry)');
  } finally {
    stop();
    process.removeListener('exit', stop);
    cluster.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

