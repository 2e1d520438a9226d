import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { relations } from '../../schema/relations';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface OpenOptions {
  /** A file path, or ":memory:". */
  path: string;
  /** Called with every SQL statement drizzle sends: the tests and the benchmark count them. */
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
    client.pragma('busy_timeout = 5000');
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
  return drizzle({
    client,
    relations,
    logger: onQuery ? { logQuery: (query, params) => onQuery(query, params) } : false,
  });
}

export type Db = ReturnType<typeof openDatabase>;

/** Applies every migration in `migrations/` that has not run yet. */
export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

export class CorruptDatabaseError extends Error {}

/**
 * Refuses a file that is not a healthy SQLite database, before anything reads or writes it.
 * quick_check is O(N) like integrity_check but skips the index cross-checks, so start-up stays fast.
 */
export function assertIntact(db: Db, path: string): void {
  let verdict: string;
  try {
    const rows = db.$client.pragma('quick_check') as { quick_check: string }[];
    verdict = rows.map((r) => r.quick_check).join('; ');
  } catch (error) {
    throw new CorruptDatabaseError(`${path} is not a usable SQLite database (${(error as Error).message})`);
  }
  if (verdict !== 'ok') throw new CorruptDatabaseError(`${path} failed its integrity check: ${verdict.slice(0, 200)}`);
}
