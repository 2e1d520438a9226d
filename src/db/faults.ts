import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { Db } from '.';

/** How often a file-backed connection checks that its database file is still the one it opened. */
export const FILE_CHECK_INTERVAL_MS = 1000;
/** After a request meets a storage fault (a full or failing disk, a read-only database), how long /health reports degraded unless a write succeeds first. */
export const DEGRADED_FOR_MS = 30_000;
/** What a client is told to wait before retrying a write the disk refused, or any request once the file is lost. */
export const FAULT_RETRY_AFTER_MS = 5000;

/** An error the database raised that says the storage failed, not that the request was wrong. */
export interface StorageFault {
  code: string;
  /** For a person: what happened and what to do. */
  message: string;
}

const DISK_FULL = 'The database disk is full; nothing was written. Retry once space has been freed on the server.';
const DISK_FAILED = 'The database disk failed to read or write; nothing was written. Retry later; the server log says more.';
const DAMAGED = 'The database found damaged data on its disk; nothing was written. Retry later: the server log says where, for whoever runs the database to repair it.';

/**
 * PostgreSQL's SQLSTATEs (or classes: the first two characters) that say its storage failed, in
 * SQLite's words where the meaning is the same. src/db/postgres-errors.ts answers them with these
 * texts; storageFault() finds them for /health.
 */
export const POSTGRES_STORAGE_FAULTS: readonly { match: string; message: string }[] = [
  { match: '53100', message: DISK_FULL },
  // 58000 system_error, 58030 io_error, 58P01 undefined_file, 58P02 duplicate_file.
  { match: '58', message: DISK_FAILED },
  { match: 'XX001', message: DAMAGED },
  {
    match: 'XX002',
    message: 'The database found a damaged index on its disk; nothing was written. Retry later: the server log says which, for whoever runs the database to rebuild it (REINDEX).',
  },
  { match: '25006', message: 'The database is read-only (a standby, or writes are switched off); nothing was written. Retry once it takes writes again.' },
];

/**
 * The storage fault in `error` on either engine: SQLite's codes for a disk that is full, failing,
 * read-only or gone, or for damaged data (the extended codes, SQLITE_IOERR_WRITE,
 * SQLITE_READONLY_DBMOVED, …, share their primary code's prefix), or one of POSTGRES_STORAGE_FAULTS.
 */
export function storageFault(error: unknown): StorageFault | undefined {
  const code = sqliteCode(error);
  if (code) return sqliteStorageFault(code);
  const state = sqlstate(error);
  if (!state) return undefined;
  const fault = POSTGRES_STORAGE_FAULTS.find((f) => f.match === state) ?? POSTGRES_STORAGE_FAULTS.find((f) => f.match === state.slice(0, 2));
  return fault && { code: state, message: fault.message };
}

function sqliteStorageFault(code: string): StorageFault | undefined {
  if (code === 'SQLITE_FULL') return { code, message: DISK_FULL };
  if (code.startsWith('SQLITE_IOERR')) return { code, message: DISK_FAILED };
  if (code.startsWith('SQLITE_READONLY')) return { code, message: 'The database has become read-only; nothing was written. Retry once the server can write its file again.' };
  if (code.startsWith('SQLITE_CANTOPEN')) return { code, message: 'The database file cannot be opened; nothing was written. Retry later; the server log says more.' };
  // A page damaged since start-up checked the file (SQLITE_CORRUPT_INDEX, …), as PostgreSQL's XX001.
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return { code, message: DAMAGED };
  return undefined;
}

/**
 * The SQLite result code of `error` or of the error it wraps: drizzle reports a failed statement
 * as its own error with SQLite's as the `cause`.
 */
export function sqliteCode(error: unknown): string | undefined {
  for (let at = error, depth = 0; at && typeof at === 'object' && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/** The SQLSTATE of a PostgreSQL error (a code with a severity, as node-postgres reports it) in `error` or the errors it wraps. */
function sqlstate(error: unknown): string | undefined {
  for (let at = error, depth = 0; at && typeof at === 'object' && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const { code, severity } = at as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export type DatabaseHealth =
  | { status: 'ok' }
  /** Reads are served; requests have been meeting storage faults (disk full, I/O error, read-only, damaged data). */
  | { status: 'degraded'; reason: string; since: string }
  /** The file was deleted or replaced under the server: nothing is served from it any more. */
  | { status: 'unavailable'; reason: string; since: string };

interface Watch {
  path: string;
  dev: number;
  ino: number;
  checkedAt: number;
  lost?: { reason: string; since: string };
  onLost: Set<(reason: string) => void>;
}

const watches = new WeakMap<Database.Database, Watch>();

/**
 * Remembers which file `client` opened (device and inode), and checks every
 * FILE_CHECK_INTERVAL_MS that `path` still names it, until the connection closes. SQLite itself
 * never notices: writes to a deleted file are acknowledged and gone at the next start, and a file
 * replaced under it is overwritten from stale pages.
 */
export function watchFile(client: Database.Database, path: string): void {
  if (path === ':memory:' || path === '') return;
  const absolute = resolve(path);
  const { dev, ino } = statSync(absolute);
  watches.set(client, { path: absolute, dev, ino, checkedAt: performance.now(), onLost: new Set() });
  const timer = setInterval(() => {
    if (!client.open) clearInterval(timer);
    else databaseLost(client);
  }, FILE_CHECK_INTERVAL_MS);
  timer.unref();
}

/**
 * Why the file `client` opened is no longer at its path (deleted, or replaced by another file),
 * or undefined while it is. Once lost, it stays lost: the process must be restarted. With
 * `maxAgeMs`, a check younger than that is trusted (requests that only read use the interval's).
 */
export function databaseLost(client: Database.Database, maxAgeMs = 0): string | undefined {
  const watch = watches.get(client);
  if (!watch) return undefined;
  if (watch.lost) return watch.lost.reason;
  const now = performance.now();
  if (now - watch.checkedAt < maxAgeMs) return undefined;
  watch.checkedAt = now;
  let reason: string | undefined;
  try {
    const { dev, ino } = statSync(watch.path);
    if (dev !== watch.dev || ino !== watch.ino) reason = `the database file ${watch.path} was replaced by another file while the server ran`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    reason =
      code === 'ENOENT'
        ? `the database file ${watch.path} was deleted while the server ran`
        : `the database file ${watch.path} cannot be checked (${code ?? (error as Error).message})`;
  }
  if (!reason) return undefined;
  watch.lost = { reason, since: new Date().toISOString() };
  for (const listener of watch.onLost) listener(reason);
  return reason;
}

/** Calls `listener` once, when the file `client` opened is found deleted or replaced. */
export function onDatabaseLost(client: Database.Database, listener: (reason: string) => void): () => void {
  const watch = watches.get(client);
  if (!watch) return () => {};
  watch.onLost.add(listener);
  return () => watch.onLost.delete(listener);
}

/**
 * A database the API reads, on either engine: its `db`, or the `db.$client` it holds (SQLite's
 * connection, PostgreSQL's pool), which is what its state is kept by.
 */
export type DatabaseRef = { readonly $client: object } | Db['$client'];

const keyOf = (database: DatabaseRef): Db['$client'] => ('$client' in database ? database.$client : database) as Db['$client'];

/** Since when, and why, each database's storage has been failing, and when it last did (performance.now()). */
const degradedBy = new WeakMap<object, { reason: string; since: string; at: number }>();

/**
 * Records a storage fault (storageFault()) a request met on `database`, on either engine: /health
 * reports degraded until a write succeeds or DEGRADED_FOR_MS pass.
 */
export function noteStorageFault(database: DatabaseRef, fault: StorageFault): void {
  const key = keyOf(database);
  const now = performance.now();
  const ongoing = degradedBy.get(key);
  const since = ongoing && now - ongoing.at < DEGRADED_FOR_MS ? ongoing.since : new Date().toISOString();
  degradedBy.set(key, { reason: `${fault.code}: ${fault.message}`, since, at: now });
}

/** A write committed on `database`: its storage works again. */
export function noteWriteSucceeded(database: DatabaseRef): void {
  degradedBy.delete(keyOf(database));
}

/**
 * What /health says of `database`, on either engine. Lost (a SQLite file deleted or replaced)
 * outranks degraded; degraded lapses DEGRADED_FOR_MS after the last fault.
 */
export function databaseHealth(database: DatabaseRef): DatabaseHealth {
  const key = keyOf(database);
  const watch = watches.get(key);
  if (watch) {
    databaseLost(key, FILE_CHECK_INTERVAL_MS);
    if (watch.lost) return { status: 'unavailable', ...watch.lost };
  }
  const degraded = degradedBy.get(key);
  if (degraded && performance.now() - degraded.at >= DEGRADED_FOR_MS) degradedBy.delete(key);
  else if (degraded) return { status: 'degraded', reason: degraded.reason, since: degraded.since };
  return { status: 'ok' };
}

export class UnwritableDatabaseError extends Error {}

/**
 * Refuses, before SQLite opens it, a database it could not write: a file, `-wal` or `-shm`
 * without write permission, or a folder SQLite cannot create those two in, or a read-only file
 * system. The mode bits are checked as well as access(2), which tells root that everything is
 * writable: SQLite would then open a 0444 file for writing and leave a 0444 `-shm` behind.
 */
export function assertWritable(path: string): void {
  if (path === ':memory:' || path === '') return;
  const absolute = resolve(path);
  const folder = dirname(absolute);
  const fix = 'make it writable for the server, or set DATABASE_PATH to a writable location';
  if (existsSync(absolute) && statSync(absolute).isDirectory()) {
    throw new UnwritableDatabaseError(`DATABASE_PATH ${path} is a folder: set it to a file in it, e.g. ${join(path, 'claimgraph.db')}`);
  }
  for (const file of [absolute, `${absolute}-wal`, `${absolute}-shm`]) {
    if (!existsSync(file)) continue;
    refuseUnwritable(file, statSync(file).mode, `${file} is read-only`, fix);
  }
  refuseUnwritable(
    folder,
    statSync(folder).mode,
    `the folder ${folder} is read-only, and SQLite keeps its -wal and -shm files beside the database`,
    'make the folder writable for the server, or set DATABASE_PATH to a writable location',
  );
}

function refuseUnwritable(file: string, mode: number, what: string, fix: string): void {
  const bits = `mode ${(mode & 0o777).toString(8).padStart(4, '0')}`;
  if ((mode & 0o222) === 0) throw new UnwritableDatabaseError(`${what} (${bits}): ${fix}`);
  try {
    accessSync(file, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'EROFS' ? 'on a read-only file system' : `${bits}, not writable by this user`;
    throw new UnwritableDatabaseError(`${what} (${detail}): ${fix}`);
  }
}

/**
 * Creates the folder the database file `path` goes in (and its parents), or says in one line what
 * to change: a file where a folder must be (`/dev/null/x.db`), a folder this user may not create in,
 * a read-only file system.
 */
export function createDatabaseFolder(path: string): void {
  if (path === ':memory:' || path === '') return;
  const folder = dirname(resolve(path));
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const blocker = fileInTheWay(folder);
    const why = blocker
      ? `${blocker} is a file, not a folder`
      : code === 'EACCES' || code === 'EPERM'
        ? `this user may not create the folder ${folder}`
        : code === 'EROFS'
          ? `${folder} would be on a read-only file system`
          : `the folder ${folder} cannot be created (${code ?? (error as Error).message})`;
    throw new UnwritableDatabaseError(`cannot create the database at DATABASE_PATH ${path}: ${why}. Set DATABASE_PATH to a file in a folder the server can write, e.g. data/claimgraph.db`);
  }
}

/** The nearest existing ancestor of `folder` (or itself) when it is not a folder. */
function fileInTheWay(folder: string): string | undefined {
  for (let at = folder; ; at = dirname(at)) {
    if (existsSync(at)) return statSync(at).isDirectory() ? undefined : at;
    if (dirname(at) === at) return undefined;
  }
}
