/**
 * What the signals cost per request: in-process lookups per second through yoga.fetch (no
 * network), with each signal off and on: the request log (pino into a stream that discards),
 * metrics, and tracing (every span made and batched to an exporter that discards). Both a lookup
 * the response cache answers and one it does not (RESPONSE_CACHE off) are timed.
 *
 *   npx tsx bench/signals.ts
 */
import { Writable } from 'node:stream';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { type AppOptions, createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';

const QUERY = 'query Lookup($id: ID!) { node(id: $id) { id ... on Entity { name kind } } }';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
const logger = pino({ level: 'info' }, discard);
const exporter: SpanExporter = { export: (_spans: ReadableSpan[], done) => done({ code: 0 }), shutdown: async () => {} };

async function lookupsPerSecond(name: string, options: Partial<AppOptions>) {
  const db = openDatabase({ path: ':memory:' });
  migrateDatabase(db);
  loadSeed(db);
  const id = Buffer.from(`Person:${db.$client.prepare('SELECT id FROM entities LIMIT 1').pluck().get()}`).toString('base64');
  const yoga = createApp({ db, logger, ...options });
  const ask = async () =>
    (await yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { id } }),
    })).text();
  for (let i = 0; i < 500; i++) await ask();
  let done = 0;
  const cpu = process.cpuUsage();
  const until = performance.now() + SECONDS * 1000;
  while (performance.now() < until) {
    await Promise.all(Array.from({ length: 8 }, ask));
    done += 8;
  }
  const used = process.cpuUsage(cpu);
  db.$client.close();
  // CPU time per lookup: less swayed than wall time by the other processes on a shared machine.
  return { name, rate: done / SECONDS, cpuUs: (used.user + used.system) / done };
}

const variants: [string, Partial<AppOptions>][] = [
  ['all off', { requestLog: false }],
  ['request log', { requestLog: true }],
  ['request log + metrics', { requestLog: true, metrics: true }],
  ['request log + metrics + traces', { requestLog: true, metrics: true, tracerProvider: new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }) }],
];

// Rounds interleave the variants, and each keeps its best round: the machine's other load only slows.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
for (const cache of [true, false]) {
  const best = new Map<string, { rate: number; cpuUs: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, options] of variants) {
      const { rate, cpuUs } = await lookupsPerSecond(name, { responseCache: cache, ...options });
      const known = best.get(name);
      best.set(name, { rate: Math.max(known?.rate ?? 0, rate), cpuUs: Math.min(known?.cpuUs ?? Infinity, cpuUs) });
    }
  }
  console.log(`\nin-process lookups, response cache ${cache ? 'on (hits)' : 'off (every lookup runs)'}, best of ${ROUNDS} rounds of ${SECONDS} s:`);
  console.log(`  ${'signals'.padEnd(32)} ${'lookups/s'.padStart(9)} ${'CPU µs/lookup'.padStart(14)} ${'added'.padStart(8)}`);
  const base = best.get(variants[0]![0])!;
  for (const [name] of variants) {
    const { rate, cpuUs } = best.get(name)!;
    const added = cpuUs === base.cpuUs ? '' : `+${(cpuUs - base.cpuUs).toFixed(1)} µs`;
    console.log(`  ${name.padEnd(32)} ${Math.round(rate).toString().padStart(9)} ${cpuUs.toFixed(1).padStart(14)} ${added.padStart(8)}`);
  }
}
process.exit(0);
