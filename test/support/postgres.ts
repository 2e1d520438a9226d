import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
// A TCP port nothing listens on right now: the cluster script's own.
import { freePort } from '../../deploy/local/processes';

/**
 * Throwaway PostgreSQL clusters for tests: `initdb` into a fresh temporary folder, `pg_ctl start` on
 * loopback at a free port, trust authentication for one superuser, fsync off (nothing here has to
 * survive a power cut), and `stop()` removes it all. The server binaries come from Debian's
 * `postgresql` package (.ci/run installs it when missing); PG_BIN overrides where they are.
 *
 * initdb refuses to run as root, and CI runs as root: then the cluster runs as the `postgres` user
 * that the Debian package creates (through `runuser`), and its folder is handed to that user.
 */

/** The lowest server version claimgraph supports; `findPostgresBin` looks for it and newer. */
export const POSTGRES_MIN_MAJOR = 15;
const DEBIAN_ROOT = '/usr/lib/postgresql';
/** The role tests connect as: a superuser, since tests create and drop databases. */
export const TEST_ROLE = 'claimgraph';

export interface PostgresCluster {
  /** postgres://claimgraph@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /**
   * A URL for a fresh, empty database in this cluster (created on the spot). `icuLocale` (e.g.
   * "en-US") gives it that ICU collation as its default, as many managed servers have, instead of
   * the cluster's C.UTF-8. `template` copies that database (which must have no open connection).
   */
  createDatabase(options?: { name?: string; icuLocale?: string; template?: string }): Promise<string>;
  /** Runs one statement as the superuser, on its own connection (to `database`, default postgres). */
  query<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Stops the server and keeps its data (`pg_ctl stop -m mode`, default fast): what an outage or a restart does to clients. */
  halt(mode?: 'smart' | 'fast' | 'immediate'): void;
  /** Starts the halted server again, on the same port (nothing when it runs). */
  resume(): void;
  /** Creates a login role that must give `password` over TCP (scram-sha-256); every other role keeps trust. */
  addPasswordRole(name: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/** The folder holding initdb/pg_ctl for PostgreSQL 15 or newer, or undefined when none is installed. */
export function findPostgresBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_ROOT)
    .map(Number)
    .filter((major) => major >= POSTGRES_MIN_MAJOR && existsSync(join(DEBIAN_ROOT, String(major), 'bin', 'initdb')))
    .sort((a, b) => b - a);
  return majors.length > 0 ? join(DEBIAN_ROOT, String(majors[0]), 'bin') : undefined;
}


export { freePort };

/** A statement on a database of a cluster, over a connection of its own (closed after it). */
export function queryOn(urlOf: (database: string) => string) {
  return async <T extends Record<string, unknown>>(text: string, params: unknown[] = [], database = 'postgres') => {
    const client = new pg.Client({ connectionString: urlOf(database) });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary, as `postgres` when we are root (initdb and postgres refuse root). */
function runServerTool(bin: string, tool: string, args: string[]): void {
  const command = isRoot() ? 'runuser' : join(bin, tool);
  const argv = isRoot() ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout || result.error?.message}`);
  }
}

/** Starts a cluster; call `stop()` in afterAll. Throws a one-line reason when no server is installed. */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`no PostgreSQL ${POSTGRES_MIN_MAJOR}+ server found under ${DEBIAN_ROOT}: apt-get install postgresql (or set PG_BIN)`);
  const root = mkdtempSync(join(tmpdir(), 'claimgraph-pg-'));
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  const data = join(root, 'data');
  runServerTool(bin, 'initdb', ['-D', data, '-U', TEST_ROLE, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-c port=${port}`,
    `-c unix_socket_directories=${root}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=50',
  ].join(' ');
  const start = () => runServerTool(bin, 'pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '30', 'start']);
  start();
  let running = true;
  const url = `postgres://${TEST_ROLE}@127.0.0.1:${port}/postgres`;
  let made = 0;
  const query = queryOn((database) => `postgres://${TEST_ROLE}@127.0.0.1:${port}/${database}`);
  return {
    query,
    halt(mode = 'fast') {
      runServerTool(bin, 'pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    resume() {
      if (running) return;
      start();
      running = true;
    },
    async addPasswordRole(name, password) {
      await query(`CREATE ROLE "${name.replace(/"/g, '')}" LOGIN SUPERUSER PASSWORD '${password.replace(/'/g, "''")}'`);
      const hba = join(data, 'pg_hba.conf');
      writeFileSync(hba, `host all "${name.replace(/"/g, '')}" 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
      runServerTool(bin, 'pg_ctl', ['-D', data, 'reload']);
    },
    url,
    port,
    async createDatabase({ name = `test_${process.pid}_${++made}`, icuLocale, template }: { name?: string; icuLocale?: string; template?: string } = {}) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const quoted = (identifier: string) => `"${identifier.replace(/"/g, '')}"`;
        const locale = icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${icuLocale.replace(/'/g, '')}'` : '';
        const copy = template && !icuLocale ? ` TEMPLATE ${quoted(template)}` : '';
        await client.query(`CREATE DATABASE ${quoted(name)}${locale}${copy}`);
      } finally {
        await client.end();
      }
      return `postgres://${TEST_ROLE}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      try {
        if (running) runServerTool(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
