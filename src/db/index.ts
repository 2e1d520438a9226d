import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { relations } from '../../schema/relations';
import { checkDeadline } from '../deadline';
import { fromPackageRoot } from '../package-root';
import { assertWritable, watchFile } from './faults';
import { readWal, type WalReport, walWarning } from './wal';
import { BUSY_TIMEOUT_MS } from './write-lock';

export * from './faults';
export { readWal, type WalReport, walWarning } from './wal';
export { BUSY_TIMEOUT_MS, LOCK_RETRY_AFTER_MS, whenWritable } from './write-lock';

export const MIGRATIONS_FOLDER = fromPackageRoot('migrations', 'sqlite');

export interface OpenOptions {
  /** A file path, or ":memory:". */
  path: string;
  /** Called with every SQL statement drizzle sends (once it may run): the tests and the benchmark count them. */
  onQuery?: (sql: string, params: unknown[]) => void;
  readonly?: boolean;
}

export function openDatabase({ path, onQuery, readonly = false }: OpenOptions) {
  const client = new Database(path, { readonly });
  try {
    if (path !== ':memory:' && !readonly) client.pragma('journal_mode = WAL');
    // FULL: a write is on disk before it is acknowledged, even across power loss, not just a kill.
    client.pragma('synchronous = FULL');
    client.pragma('foreign_keys = ON');
    client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // 32 MB of page cache per connection (the default is 2 MB): hot index pages stay in memory.
    client.pragma('cache_size = -32768');
  } catch (error) {
    client.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new CorruptDatabaseError(`${path} is not a usable SQLite database (${(error as Error).message})`);
    }
    throw error;
  }
  watchFile(client, path);
  registerDeadlineCheck(client);
  const db = drizzle({
    client,
    relations,
    logger: { logQuery: (query, params) => beforeStatement(client, query, params, onQuery) },
  });
  if (onQuery) loggers.set(client, onQuery);
  // drizzle 1.0.0-rc.5's session prepares through `session.client` (pinned version: a test
  // fails if this stops reusing statements).
  const session = (db as unknown as { session: { client: Database.Database } }).session;
  session.client = reusingStatements(client);
  return db;
}

export type Db = ReturnType<typeof openDatabase>;

/**
 * A second connection to the file `db` reads, for write transactions (src/db/sqlite-transaction.ts):
 * set up as `db` was (pragmas, SQL functions, the statement logger and timing), except that it
 * never waits for another process's lock (busy_timeout 0: the write queue retries instead, serving
 * reads meanwhile). Closing `db` closes it too.
 */
export function openWriteConnection(db: Db): Db {
  const client = db.$client;
  const writer = openDatabase({ path: client.name, onQuery: loggers.get(client) });
  writer.$client.pragma('busy_timeout = 0');
  const timing = timedBy.get(client);
  if (timing) timedBy.set(writer.$client, { observe: timing.observe, statements: new WeakMap() });
  writersOf.set(client, writer.$client);
  const close = client.close.bind(client);
  client.close = () => {
    if (writer.$client.open) writer.$client.close();
    return close();
  };
  return writer;
}

/** The SQL function a long statement calls as it goes: see registerDeadlineCheck. */
export const WITHIN_DEADLINE = 'within_deadline';

/**
 * `within_deadline()`, which a statement may call for each row it looks at: it returns 1 and, every
 * 64 calls, throws the request's TIMEOUT once its deadline has passed, which stops the statement
 * in SQLite. better-sqlite3 cannot interrupt a statement from outside, and one filtered count over
 * a million claims with nested relation filters could otherwise hold the thread for minutes. The
 * filter language puts it in every condition it compiles (src/model/filter-language.ts).
 */
function registerDeadlineCheck(client: Database.Database) {
  let calls = 0;
  client.function(WITHIN_DEADLINE, { deterministic: false }, () => {
    if ((++calls & 63) === 0) checkDeadline();
    return 1;
  });
}

/**
 * Runs before every statement drizzle sends (drizzle's logger is called outside its error
 * wrapping, so the TIMEOUT thrown here reaches the client as it is) and every `allRows`: the
 * request being served stops here once its deadline has passed or its client has gone. A
 * statement inside a transaction tells the deadline so, which then lets the write finish.
 */
function beforeStatement(client: Database.Database, source: string, params: unknown[], onQuery: OpenOptions['onQuery']) {
  checkDeadline(client.inTransaction);
  onQuery?.(source, params);
}

/** Statements kept compiled per connection; the least recently used is dropped beyond this. */
export const STATEMENT_CACHE_SIZE = 500;

const compiledBy = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const timedBy = new WeakMap<Database.Database, { observe: StatementObserver; statements: WeakMap<Database.Statement, Database.Statement> }>();

/** Told of every statement drizzle or `allRows` ran: its SQL, when it started and how long it took (performance.now() milliseconds). */
export type StatementObserver = (source: string, startedAt: number, ms: number) => void;

/** The calls that run a statement (of `iterate` only the call is timed, not the rows read after it; nothing here iterates). */
const RUNS = new Set<string | symbol>(['all', 'get', 'run', 'iterate']);
const CHAINS = new Set<string | symbol>(['raw', 'pluck', 'expand', 'safeIntegers', 'bind']);

/**
 * Times every statement of `db` from now on (metrics and traces: src/http/signals.ts). Off unless
 * called: without an observer a statement is handed out as it is, so timing costs nothing then;
 * with one, two performance.now() calls per statement run.
 */
export function timeStatements(db: Db, observe: StatementObserver): void {
  timedBy.set(db.$client, { observe, statements: new WeakMap() });
  const writer = writersOf.get(db.$client);
  if (writer) timedBy.set(writer, { observe, statements: new WeakMap() });
}

function timed(statement: Database.Statement, source: string, observe: StatementObserver): Database.Statement {
  const proxy: Database.Statement = new Proxy(statement, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (RUNS.has(key)) {
        return (...args: unknown[]) => {
          const startedAt = performance.now();
          try {
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          } finally {
            observe(source, startedAt, performance.now() - startedAt);
          }
        };
      }
      if (CHAINS.has(key)) {
        return (...args: unknown[]) => {
          (value as (...a: unknown[]) => unknown).apply(target, args);
          return proxy;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return proxy;
}
const loggers = new WeakMap<Database.Database, NonNullable<OpenOptions['onQuery']>>();
/** The write connection of a connection the API reads, once it has one. */
const writersOf = new WeakMap<Database.Database, Database.Database>();

/**
 * `source` compiled once per connection: drizzle prepares its statement anew for every query,
 * and compiling costs about as much as running a lookup (docs/performance.md). drizzle asks for `raw()` when it wants arrays and otherwise expects objects, so a
 * statement handed out again is first put back to objects.
 */
function compiledStatement(client: Database.Database, source: string): Database.Statement {
  let compiled = compiledBy.get(client);
  if (!compiled) compiledBy.set(client, (compiled = new Map()));
  let statement = compiled.get(source);
  if (statement) {
    compiled.delete(source);
    if (statement.reader) statement.raw(false);
  } else {
    statement = client.prepare(source);
    if (compiled.size >= STATEMENT_CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  }
  compiled.set(source, statement);
  const timing = timedBy.get(client);
  if (!timing) return statement;
  let wrapped = timing.statements.get(statement);
  if (!wrapped) timing.statements.set(statement, (wrapped = timed(statement, source, timing.observe)));
  return wrapped;
}

/**
 * The connection as drizzle sees it, compiling each SQL text once (compiledStatement). Only
 * drizzle's statements and `allRows`' are shared: the project's own `$client.prepare` calls are
 * untouched.
 */
function reusingStatements(client: Database.Database): Database.Database {
  const prepare = (source: string) => compiledStatement(client, source);
  return new Proxy(client, {
    get(target, key) {
      if (key === 'prepare') return prepare;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The rows of a statement whose text a hot path writes itself (search), compiled once per
 * connection like drizzle's and reported to `onQuery` like them: building a query through drizzle
 * costs more JS than running these does. Parameters are positional.
 */
export function allRows<T>(db: Db, source: string, params: unknown[]): T[] {
  const client = db.$client;
  beforeStatement(client, source, params, loggers.get(client));
  return compiledStatement(client, source).all(...params) as T[];
}

/** How many of drizzle's statements `db` holds compiled. */
export function compiledStatements(db: Db): number {
  return compiledBy.get(db.$client)?.size ?? 0;
}

/**
 * Applies every migration in `migrations/sqlite/` that has not run yet. Foreign keys are off while they
 * run, as SQLite's table-rebuild procedure requires (the pragma is a no-op inside the migrations'
 * transaction, and with it on, dropping a rebuilt table would cascade to its children); they are
 * checked once the migrations are done.
 */
export function migrateDatabase(db: Db): void {
  const enforced = db.$client.pragma('foreign_keys', { simple: true }) === 1;
  db.$client.pragma('foreign_keys = OFF');
  try {
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    const broken = db.$client.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    if (broken.length > 0) {
      const first = broken[0]!;
      throw new Error(`migrating left ${broken.length} row(s) pointing at missing rows, e.g. ${first.table} row ${first.rowid} -> ${first.parent}`);
    }
  } finally {
    if (enforced) db.$client.pragma('foreign_keys = ON');
  }
}

export class CorruptDatabaseError extends Error {}

/** Files up to this size are read in full at every start; larger ones only after an unclean stop. */
export const FULL_CHECK_MAX_BYTES = 256 * 2 ** 20;

/**
 * Whether opening `path` should read every page first: always for a small file, and for a large
 * one when its write-ahead log still holds frames (the last process did not close it cleanly).
 * Call it before opening: a clean close checkpoints and removes the log. A full read of a large
 * file takes seconds (docs/operations.md#start-up-checks), which a routine restart should not pay.
 */
export function fullCheckDue(path: string, maxBytes = FULL_CHECK_MAX_BYTES): boolean {
  if (path === ':memory:' || !existsSync(path)) return false;
  if (statSync(path).size <= maxBytes) return true;
  return existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
}

/**
 * Refuses a file that is not a healthy SQLite database, before anything reads or writes it.
 * `full`: quick_check, which reads every page (O(N) like integrity_check, without the index
 * cross-checks); otherwise the header and the schema are read, which a file that is not a
 * database, or is truncated, fails.
 */
export function assertIntact(db: Db, path: string, full = true): void {
  let verdict: string;
  try {
    if (full) {
      const rows = db.$client.pragma('quick_check') as { quick_check: string }[];
      verdict = rows.map((r) => r.quick_check).join('; ');
    } else {
      db.$client.prepare('SELECT count(*) FROM sqlite_master').get();
      verdict = 'ok';
    }
  } catch (error) {
    throw new CorruptDatabaseError(`${path} is not a usable SQLite database (${(error as Error).message})`);
  }
  if (verdict !== 'ok') throw new CorruptDatabaseError(`${path} failed its integrity check: ${verdict.slice(0, 200)}`);
}

/**
 * Opens a database file as the server and the commands must: refuses, before SQLite opens it, a
 * file it could not write (it would leave a read-only -shm behind); tells `warn` of a write-ahead
 * log SQLite will not replay in full (it drops a torn or damaged tail without a word); checks the
 * file's integrity and migrates it.
 */
export function openCheckedDatabase(path: string, warn: (message: string, wal: WalReport) => void): Db {
  assertWritable(path);
  const wal = readWal(path);
  const discarded = walWarning(wal);
  if (discarded) warn(discarded, wal!);
  const full = fullCheckDue(path);
  const db = openDatabase({ path });
  try {
    assertIntact(db, path, full);
    migrateDatabase(db);
  } catch (error) {
    db.$client.close();
    throw error;
  }
  return db;
}
