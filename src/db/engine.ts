import type { SQL } from 'drizzle-orm';
import type { Db } from '.';
import type { SearchIndex } from './search';

/**
 * The seam between claimgraph and the database engine under it. Everything above src/db/ reads
 * through drizzle (relational queries and `sql` templates, which both dialects render); what the
 * engines do differently sits behind this interface, one implementation per engine:
 * src/db/sqlite-engine.ts (today's code, unchanged) and src/db/postgres-engine.ts.
 *
 * Grown one capability at a time: liveness, the change feed and closing are here (opening,
 * migrating and bulk loading are each engine's own functions so far); the async transaction
 * helper, backup and the filter language's SQL dialect come next; search is here (src/db/search.ts).
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
}

export interface Engine {
  readonly name: EngineName;
  /** The database as the API reads it. */
  readonly db: Db;
  /** Throws when the database does not answer a trivial query: /health's probe. */
  ping(): Promise<void>;
  /** The rows of a statement written with drizzle's `sql`, as objects keyed by column name. */
  rows<T extends Record<string, unknown>>(statement: SQL): Promise<T[]>;
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

/** The engine `db` was opened by, or undefined for a SQLite database opened directly (tests, commands). */
export function engineOf(db: Db): Engine | undefined {
  return engines.get(db);
}

/**
 * The rows of `statement` on whichever engine `db` is: what code that writes its own SQL calls
 * instead of SQLite's synchronous `db.all` (a database opened directly, as tests do, is SQLite).
 */
export async function selectRows<T extends Record<string, unknown>>(db: Db, statement: SQL): Promise<T[]> {
  const engine = engineOf(db);
  return engine ? engine.rows<T>(statement) : db.all<T>(statement);
}

/**
 * A change feed that knows nothing of what was written, so says on every poll that anything may
 * have changed: the response cache then keeps nothing and live queries rerun on every tick. Never
 * stale, never useful: the PostgreSQL engine's feed until LISTEN/NOTIFY carries the tags.
 */
export class EverythingChangesFeed implements ChangeFeed {
  private readonly listeners = new Set<(changes: Changes) => void>();
  onChange(listener: (changes: Changes) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  poll(): void {
    for (const listener of this.listeners) listener(null);
  }
}
