/**
 * The benchmark's PostgreSQL: a cluster whose folder persists between runs (bench/data/pg by
 * default, `--pg-data DIR` elsewhere), so the million claims are loaded once and reused while the
 * generated graph and the migrations are unchanged. Started on loopback at a free port for the
 * run and stopped after it. Like the test clusters (test/support/postgres.ts, whose helpers it
 * uses) it runs with fsync, synchronous_commit and full_page_writes off: reads are measured, and
 * the data is rebuilt from the SQLite file if a crash ever loses it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migratePostgres, openPostgres, POSTGRES_MIGRATIONS_FOLDER } from '../src/db/postgres';
import { copySqliteToPostgres } from '../src/db/postgres-load';
import { findPostgresBin, freePort, POSTGRES_MIN_MAJOR, TEST_ROLE } from '../test/support/postgres';

/** The server settings of the benchmark's cluster, printed with the results. */
export const BENCH_PG_SETTINGS = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_buffers: '1GB',
  effective_cache_size: '4GB',
  work_mem: '16MB',
  max_connections: '100',
};
const DATABASE = 'claimgraph_bench';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function run(bin: string, tool: string, args: string[]) {
  const command = isRoot() ? 'runuser' : join(bin, tool);
  const argv = isRoot() ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout || result.error?.message}`);
}

export interface BenchCluster {
  /** postgres://claimgraph@127.0.0.1:<port>/claimgraph_bench */
  url: string;
  /** Seconds the copy from SQLite took in this run, or null when the loaded data was reused. */
  loadSeconds: number | null;
  /** The copy's seconds when it was made (this run or an earlier one). */
  loadedSeconds: number;
  stop(): void;
}

/**
 * Starts the cluster in `dir` (created on first use) and makes sure its database holds the
 * graph of `sqlitePath` (described by `dataKey`): copied afresh when the key or the migrations
 * differ from what the cluster last loaded.
 */
export async function benchCluster(dir: string, sqlitePath: string, dataKey: string, log: (line: string) => void): Promise<BenchCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`no PostgreSQL ${POSTGRES_MIN_MAJOR}+ server found under /usr/lib/postgresql: apt-get install postgresql (or set PG_BIN)`);
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    log(`creating a PostgreSQL cluster in ${data}`);
    run(bin, 'initdb', ['-D', data, '-U', TEST_ROLE, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C.UTF-8']);
  }
  const port = await freePort();
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-c port=${port}`,
    `-c unix_socket_directories=${dir}`,
    ...Object.entries(BENCH_PG_SETTINGS).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  run(bin, 'pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const stop = () => run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  try {
    const admin = `postgres://${TEST_ROLE}@127.0.0.1:${port}/postgres`;
    const url = `postgres://${TEST_ROLE}@127.0.0.1:${port}/${DATABASE}`;
    // The database's content: what it was copied from, and under which migrations.
    const marker = join(dir, 'loaded.json');
    const migrations = readdirSync(POSTGRES_MIGRATIONS_FOLDER).sort().join(',');
    const wanted = JSON.stringify({ data: dataKey, migrations });
    const previous = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as { key: string; loadSeconds: number }) : null;
    if (previous?.key === wanted) {
      log(`PostgreSQL: reusing the graph loaded earlier into ${dir} (copied in ${previous.loadSeconds.toFixed(0)} s)`);
      return { url, loadSeconds: null, loadedSeconds: previous.loadSeconds, stop };
    }
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
      await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
    const db = openPostgres(url);
    try {
      await migratePostgres(db);
    } finally {
      await db.$client.end();
    }
    log(`PostgreSQL: copying ${sqlitePath} into ${DATABASE} (ids kept)`);
    const started = performance.now();
    const source = new Database(sqlitePath, { readonly: true });
    const target = new pg.Client({ connectionString: url });
    await target.connect();
    try {
      await target.query('BEGIN');
      await copySqliteToPostgres(source, target, { onTable: (table, rows, seconds) => log(`  ${table}: ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s`) });
      await target.query('COMMIT');
      const copiedSeconds = (performance.now() - started) / 1000;
      // Statistics for the planner and the visibility map for index-only scans, as a database in
      // service would have them after autovacuum.
      await target.query('VACUUM (ANALYZE)');
      const loadSeconds = (performance.now() - started) / 1000;
      log(`PostgreSQL: loaded in ${loadSeconds.toFixed(1)} s (copy ${copiedSeconds.toFixed(1)} s, VACUUM ANALYZE ${(loadSeconds - copiedSeconds).toFixed(1)} s)`);
      writeFileSync(marker, JSON.stringify({ key: wanted, loadSeconds }));
      return { url, loadSeconds, loadedSeconds: loadSeconds, stop };
    } finally {
      source.close();
      await target.end();
    }
  } catch (error) {
    stop();
    throw error;
  }
}
