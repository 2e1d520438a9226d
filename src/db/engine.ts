import type { SQL } from 'drizzle-orm';
import type { Db } from '.';
import type { SearchIndex } from './search';

/**
 * The seam between claimgraph and the database engine under it. Everything above src/db/ reads
 * through drizzle (relational queries and `sql` templates, which both dialects render); what the
 * engines do differently sits behind this interface, one implementation per engine:
 * src/db/sqlite-engine.ts (today's code, unchanged) and src/db/postgres-engine.ts.
 *
 * Grown one capability at a time: liveness, the change feed, transactions, search
 * (src/db/search.ts) and closing are here (opening, migrating and bulk loading are each engine's
 * own functions).
 */
export type EngineName = 'sqlite' | 'postgres';

/**
 * What one look at the database found committed since the last: the tags written since, in
 * order, or null when they can no longer be known (tags pruned before this process read them, or
 * the schema changed: a migration, or a bulk load, which sets the triggers aside), which means
 * anything may have changed.
 */
export type Changes = string[] | null;

/** A process's view of what other connections and processes commit: see src/cache/feed.ts. */
export interface ChangeFeed {
  /** Calls `listener` with what every later poll finds; returns the call that stops it. */
  onChange(listener: (changes: Changes) => void): () => void;
  /** Reads what was committed since the last look and tells every listener, if anything was. */
  poll(): void;
  /**
   * Where commits are heard of asynchronously (PostgreSQL's LISTEN): true while a commit is known
   * whose tags are not read yet, or while none can be heard of; answers kept may then predate one.
   */
  readonly behind?: boolean;
  /** Where commits are heard of asynchronously: resolves once what committed before the call has been told to every listener. */
  settle?(): Promise<void>;
}

/**
 * How strongly a write transaction is kept apart from others running at the same time. SQLite
 * runs one write transaction at a time, which is as strong as 'serializable': it ignores this.
 * On PostgreSQL each mutation picks its level (src/model/writes/isolation.ts says which and why).
 */
export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  /** 'read committed' unless given. */
  isolation?: Isolation;
}

export interface Engine {
  readonly name: EngineName;
  /** The database as the API reads it. */
  readonly db: Db;
  /** Throws when the database does not answer a trivial query: /health's probe. */
  ping(): Promise<void>;
  /** The rows of a statement written with drizzle's `sql`, as objects keyed by column name. */
  rows<T extends Record<string, unknown>>(statement: SQL): Promise<T[]>;
  /**
   * The rows of a statement in the engine's own SQL text and placeholders (`?` on SQLite, `$1` on
   * PostgreSQL), kept compiled or prepared by its text: for hot reads that write their own SQL
   * (src/graphql/compiled-reads.ts), where building it through drizzle would cost more than running it.
   */
  query<T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]>;
  /**
   * Runs `work` in one write transaction and commits it, or rolls all of it back when `work`
   * throws. `tx` is the database to write (and read what the transaction wrote) through; other
   * requests meanwhile read only what is committed. A unique key that a concurrent write took is
   * a CONFLICT; on PostgreSQL, serialization failures and deadlocks run `work` again (so it must
   * do nothing but through `tx`), and past a few tries answer UNAVAILABLE with retryAfterMs.
   */
  transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** The one change feed of this process, shared by the response cache and live queries. */
  changeFeed(): ChangeFeed;
  /** The full-text search index (src/db/search.ts). */
  readonly search: SearchIndex;
  close(): Promise<void>;
}

const engines = new WeakMap<Db, Engine>();

/** Remembers which engine serves `db`, so code that holds only `db` finds the engine's parts. */
export function registerEngine(engine: Engine): Engine {
  engines.set(engine.db, engine);
  return engine;
}

/** What serves a db no engine registered: SQLite's, set by src/db/sqlite-engine.ts when it loads (it imports this file, not the reverse). */
let unregistered: ((db: Db) => Engine) | undefined;

/** Called once, by src/db/sqlite-engine.ts: a database opened directly is SQLite. */
export function serveUnregisteredWith(factory: (db: Db) => Engine): void {
  unregistered = factory;
}

/**
 * The engine `db` was opened by. A SQLite database opened directly (tests, commands) gets a SQLite
 * engine on first use, so every db has one (src/app.ts loads the SQLite engine for that).
 */
export function engineOf(db: Db): Engine {
  const engine = engines.get(db) ?? unregistered?.(db);
  if (!engine) throw new Error('no engine serves this database: import src/db/sqlite-engine.ts before using a SQLite database opened directly');
  return engine;
}

/**
 * The rows of `statement` on whichever engine `db` is: what code that writes its own SQL calls
 * instead of SQLite's synchronous `db.all`.
 */
export async function selectRows<T extends Record<string, unknown>>(db: Db, statement: SQL): Promise<T[]> {
  return engineOf(db).rows<T>(statement);
}

/** `engineOf(db).transaction(work, options)`: the one way every write runs, on either engine. */
export function transaction<T>(db: Db, work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T> {
  return engineOf(db).transaction(work, options);
}
