/**
 * CPU per request of one claimgraph process on PostgreSQL, in-process (no HTTP, no load
 * generator in the same process's profile): `node --cpu-prof --import tsx bench/profile-postgres.ts
 * <shape> [requests] [concurrency]` against a throwaway cluster seeded with the article, or
 * PROFILE_URL=postgres://… for a loaded database. Prints µs of CPU and wall per request.
 */
import { readFileSync } from 'node:fs';
import { createApp } from '../src/app';
import { openPostgresEngine } from '../src/db/postgres-engine';
import { seedPostgresIfEmpty } from '../src/model/seed-postgres';
import { startPostgres } from '../test/support/postgres';
import { LOOKUP_SOURCE } from './postgraphile';
import { WORKLOADS } from './workloads';

const [shape = 'lookup', requests = '3000', concurrency = '16'] = process.argv.slice(2);
// PROFILE_BENCH=1: the benchmark's loaded cluster (bench/data/pg, reused as loaded, never reloaded here).
const bench = process.env.PROFILE_BENCH
  ? await (async () => {
      const { benchCluster } = await import('./postgres');
      const dir = new URL('./data/pg', import.meta.url).pathname;
      const { key } = JSON.parse(readFileSync(`${dir}/loaded.json`, 'utf8')) as { key: string };
      const { data } = JSON.parse(key) as { data: string };
      return benchCluster(dir, '/nonexistent', data, console.log);
    })()
  : undefined;
const cluster = process.env.PROFILE_URL || bench ? undefined : await startPostgres();
try {
  const url = bench?.url ?? process.env.PROFILE_URL ?? (await cluster!.createDatabase());
  const engine = await openPostgresEngine(url);
  await seedPostgresIfEmpty(engine);
  const app = createApp({ db: engine.db, apiToken: 'profile-token-0123456789abcdef', responseCache: process.env.PROFILE_CACHE === 'on', logger: { debug() {}, info() {}, warn() {}, error: console.error } });
  const ids = async (table: string) => (await engine.pg.$client.query<{ id: number }>(`SELECT id FROM ${table} WHERE id % 997 = 0 ORDER BY id LIMIT 200`)).rows.map((r) => r.id);
  const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
  const claims = await ids('claims');
  const sources = await ids('sources');
  const w = WORKLOADS.find((x) => x.name === (shape === 'lookup-source' ? 'lookup' : shape))!;
  const query = shape === 'lookup-source' ? LOOKUP_SOURCE.query : w.query;
  const variables = (i: number): Record<string, unknown> =>
    shape === 'nested' ? { id: gid('Source', sources[i % sources.length]!) } : shape.startsWith('page') ? { after: shape === 'page-deep' ? Buffer.from(`Claim:${claims[Math.floor(claims.length * 0.9)]}`).toString('base64') : null } : { id: gid('Claim', claims[i % claims.length]!) };
  const one = async (i: number) => {
    const res = await app.fetch('http://profile/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: variables(i) }) });
    const text = await res.text();
    if (text.includes('"errors"')) throw new Error(text.slice(0, 500));
  };
  await one(0);
  console.log((await (await app.fetch('http://profile/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: variables(0) }) })).text()).slice(0, 300));
  for (let i = 0; i < 300; i++) await one(i); // warm-up
  const n = Number(requests);
  let next = 0;
  // Marks on the process clock: the samples between them are the measured requests.
  console.log(`window start ${process.hrtime.bigint() / 1000n}`);
  // PostgreSQL's side: the CPU of the backends serving this database (they share the 2 cores).
  const backends = async () => (await engine.pg.$client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)).rows.map((r) => r.pid);
  const ticks = (pids: number[]) => pids.reduce((sum, pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return sum + Number(f[11]) + Number(f[12]); } catch { return sum; } }, 0);
  const pids = await backends();
  const pgBefore = ticks(pids);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
    while (next < n) await one(next++);
  }));
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const pgUs = (ticks(pids) - pgBefore) * 10_000;
  console.log(`window end ${process.hrtime.bigint() / 1000n}`);
  console.log(`${shape}: ${n} requests, ${concurrency} at once: ${(((used.user + used.system) / n)).toFixed(0)} µs CPU/request (user ${(used.user / n).toFixed(0)}, system ${(used.system / n).toFixed(0)}), ${((wall * 1000) / n).toFixed(0)} µs wall/request; PostgreSQL ${(pgUs / n).toFixed(0)} µs CPU/request`);
  await engine.close();
} finally {
  await cluster?.stop();
  bench?.stop();
}
