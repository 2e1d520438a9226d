import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** Whether this process runs as root: PostgreSQL (and so Patroni) then runs as Debian's `postgres` user. */
export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** `postgres`'s uid and gid, for the folders its processes write. */
export function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A TCP port nothing listens on right now on loopback (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts `command` in the background, in a process group of its own, its output appended to
 * `log`; it outlives this script (`up` returns while the cluster runs). `asPostgres` switches to
 * the `postgres` user first when root (setpriv execs, so the pid is the command's own).
 */
export function startDaemon(command: string, args: string[], options: { log: string; env?: NodeJS.ProcessEnv; cwd?: string; asPostgres?: boolean }): number {
  const out = openSync(options.log, 'a');
  const [file, argv] = options.asPostgres && isRoot() ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]] : [command, args];
  // Switched to `postgres`, it starts in its log's folder (its own): the caller's folder may be
  // one `postgres` cannot enter (a checkout under a 0700 folder), and pg_ctl, which Patroni runs,
  // refuses to start where it cannot read its current directory.
  const cwd = options.cwd ?? (options.asPostgres ? dirname(options.log) : undefined);
  const child = spawn(file, argv, { detached: true, stdio: ['ignore', out, out], env: options.env ?? process.env, cwd });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

/** Whether a process with this pid exists. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILL to the process group `pid` leads (a daemon started here), and to `pid` itself. */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** The postmaster's pid from a data folder's postmaster.pid, if it is running. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = `${dataDir}/postmaster.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return alive(pid) ? pid : undefined;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined/false, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/** GET `url` as JSON with a short timeout; undefined on any failure. */
export async function getJson<T>(url: string, timeoutMs = 2000): Promise<{ status: number; body: T } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  } catch {
    return undefined;
  }
}
