import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBin, freePort, type PostgresCluster, queryOn, TEST_ROLE } from './postgres';

/**
 * A hot standby of a throwaway cluster (test/support/postgres.ts), streaming from it: copied with
 * `pg_basebackup -R` (which writes the primary's address and standby.signal) and started on a port
 * of its own. What a replica behind HAProxy's read port is, without Patroni: enough to test how
 * the API reads from replicas. As root, it runs as `postgres`, like the primary.
 */
export interface PostgresStandby {
  port: number;
  /** postgres://claimgraph@127.0.0.1:<port>/<database> */
  url(database: string): string;
  query<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Stops applying WAL (it keeps receiving it): the standby falls behind at will. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  halt(): void;
  resume(): void;
  stop(): void;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function run(bin: string, tool: string, args: string[]): void {
  const [command, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const result = spawnSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
}

export async function startStandby(primary: PostgresCluster): Promise<PostgresStandby> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries: apt-get install postgresql (or set PG_BIN)');
  const root = mkdtempSync(join(tmpdir(), 'claimgraph-standby-'));
  if (isRoot()) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, id('-u'), id('-g'));
  }
  chmodSync(root, 0o700);
  const data = join(root, 'data');
  run(bin, 'pg_basebackup', ['-D', data, '-R', '-X', 'stream', '--checkpoint=fast', '-h', '127.0.0.1', '-p', String(primary.port), '-U', TEST_ROLE, '--no-sync']);
  const port = await freePort();
  const options = [`-c port=${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${root}`, '-c hot_standby=on', '-c fsync=off'].join(' ');
  const start = () => run(bin, 'pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '30', 'start']);
  start();
  let running = true;
  const url = (database: string) => `postgres://${TEST_ROLE}@127.0.0.1:${port}/${database}`;
  const query = queryOn(url);
  return {
    port,
    url,
    query,
    pauseReplay: async () => void (await query('SELECT pg_wal_replay_pause()')),
    resumeReplay: async () => void (await query('SELECT pg_wal_replay_resume()')),
    halt() {
      if (!running) return;
      run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    resume() {
      if (running) return;
      start();
      running = true;
    },
    stop() {
      try {
        if (running) run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
