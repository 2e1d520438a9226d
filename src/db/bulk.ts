import type { Statement } from 'better-sqlite3';
import type { Db } from '.';

/** FTS5 keeps this many bytes of new index entries in memory before writing them out (default 1 MB). */
const SEARCH_FILL_HASH_SIZE = 64 * 1024 * 1024;
const FTS5_DEFAULT_HASH_SIZE = 1024 * 1024;

/**
 * Rebuilds everything the triggers derive, from the tables themselves: the adjacency list, each
 * claim's support, and the search index with its word counts. Uses the same views the triggers
 * use, so both agree.
 */
export function rebuildDerived(db: Db): void {
  const client = db.$client;
  // Filling a table through its indexes costs more than building them afterwards from sorted rows.
  withSetAside(db, "type = 'index' AND tbl_name = 'relationship_ends'", () => {
    client.exec('DELETE FROM relationship_ends');
    // In entity order, so an entity's ends share pages.
    client.exec(`INSERT INTO relationship_ends (entity_id, relationship_id, direction, other_id)
      SELECT subject_id, id, 'OUTGOING', object_id FROM relationships
      UNION ALL SELECT object_id, id, 'INCOMING', subject_id FROM relationships
      ORDER BY 1, 2`);
  });
  client.exec(`UPDATE claims SET support = 'UNSUPPORTED' WHERE support <> 'UNSUPPORTED'`);
  client.exec(`UPDATE claims SET support = d.support FROM claim_support_derived d
    WHERE d.claim_id = claims.id AND claims.id IN (SELECT DISTINCT claim_id FROM citations)`);
  rebuildSearchIndex(db);
}

/**
 * Emptying an FTS5 table row by row costs as much as filling it: drop and recreate it instead,
 * from its own SQL and with its settings (the `search_index_config` rows) as they were. While it
 * fills, FTS5 may hold 64 MB of entries in memory instead of 1 MB: it writes fewer, larger
 * segments and merges less (docs/performance.md has the figures). That setting is then put back.
 */
function rebuildSearchIndex(db: Db): void {
  const client = db.$client;
  const { sql } = client.prepare("SELECT sql FROM sqlite_master WHERE name = 'search_index'").get() as { sql: string };
  // Integers stay integers (as BigInt): FTS5 rejects a setting like hashsize given as a float.
  const settings = client.prepare("SELECT k, v FROM search_index_config WHERE k <> 'version'").safeIntegers().raw().all() as [string, unknown][];
  client.exec('DROP TABLE search_index');
  client.exec(sql);
  const configure = client.prepare('INSERT INTO search_index (search_index, rank) VALUES (?, ?)');
  for (const [key, value] of settings) configure.run(key, value);
  configure.run('hashsize', BigInt(SEARCH_FILL_HASH_SIZE));
  client.exec(`INSERT INTO search_index (rowid, kind, ref_id, name, aliases, body)
    SELECT search_rowid, kind, ref_id, name, aliases, body FROM entity_search_rows`);
  client.exec(`INSERT INTO search_index (rowid, kind, ref_id, name, aliases, body)
    SELECT id * 4 + 1, 'CLAIM', id, '', '', text FROM claims`);
  client.exec(`INSERT INTO search_index (rowid, kind, ref_id, name, aliases, body)
    SELECT id * 4 + 2, 'SOURCE', id, title, '', coalesce(label, '') FROM sources`);
  // One segment, as the search_terms migration leaves it: a query seeks every segment.
  client.exec("INSERT INTO search_index (search_index) VALUES ('optimize')");
  // The triggers count words document by document; here they are counted from the index, in one pass.
  client.exec('DELETE FROM search_term_counts');
  client.exec('INSERT INTO search_term_counts (term, documents) SELECT term, doc FROM search_index_terms WHERE doc > 0');
  // A setting cannot be removed through FTS5, only set: back to what it was, or to the default.
  configure.run('hashsize', settings.find(([key]) => key === 'hashsize')?.[1] ?? BigInt(FTS5_DEFAULT_HASH_SIZE));
}

/**
 * Drops the indexes and triggers that `where` selects from sqlite_master, runs `work`, and
 * creates them again from their own SQL, indexes first.
 */
function withSetAside<T>(db: Db, where: string, work: () => T): T {
  const client = db.$client;
  const setAside = client.prepare(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND (${where}) ORDER BY type, name`).all() as {
    type: 'index' | 'trigger';
    name: string;
    sql: string;
  }[];
  for (const { type, name } of setAside) client.exec(`DROP ${type.toUpperCase()} "${name}"`);
  const result = work();
  for (const { sql } of setAside) client.exec(sql);
  return result;
}

/**
 * Runs a large load in one transaction without per-row trigger and index upkeep: triggers and
 * non-unique indexes are set aside, the load runs, derived data is rebuilt in bulk, and indexes
 * and triggers are put back exactly as they were (their SQL is read from sqlite_master). Unique
 * indexes stay, so INSERT OR IGNORE keeps its meaning. All or nothing: on error, nothing changed.
 */
export function bulkLoad<T>(db: Db, load: () => T): T {
  return db.$client.transaction(() =>
    withSetAside(db, "type = 'trigger' OR (type = 'index' AND sql NOT LIKE 'CREATE UNIQUE%')", () => {
      const result = load();
      // Before the indexes come back: the rebuild needs only the unique ones, and writes fewer.
      rebuildDerived(db);
      return result;
    }),
  )();
}

export interface Batch {
  /** Queues one row, its values in the order of the columns; a full batch is sent. */
  add(...values: unknown[]): void;
  /** Sends the queued rows, and first those of the batch this one comes `after`. */
  flush(): void;
  /** Rows inserted so far: with INSERT OR IGNORE, fewer than were added. */
  readonly changes: number;
}

/**
 * Inserts rows many to a statement, in the order they were added: a multi-row INSERT costs about
 * what a single-row one does, so this is several times faster than a statement per row.
 * `insert` is the statement up to its column list ("INSERT OR IGNORE INTO citations"). With
 * `after`, that batch is sent first whenever this one is, so rows can refer to rows queued there.
 */
export function batchInsert(db: Db, insert: string, columns: readonly string[], { after, rows = 200 }: { after?: Batch; rows?: number } = {}): Batch {
  const client = db.$client;
  const row = `(${columns.map(() => '?').join(', ')})`;
  // A batch sent early (by a batch that comes after it, or at the end) has its own length.
  const statements = new Map<number, Statement>();
  const statement = (count: number) => {
    let prepared = statements.get(count);
    if (!prepared) statements.set(count, (prepared = client.prepare(`${insert} (${columns.join(', ')}) VALUES ${Array(count).fill(row).join(', ')}`)));
    return prepared;
  };
  let queued: unknown[] = [];
  let changes = 0;
  const flush = () => {
    after?.flush();
    if (queued.length === 0) return;
    changes += statement(queued.length / columns.length).run(queued).changes;
    queued = [];
  };
  return {
    add(...values) {
      queued.push(...values);
      if (queued.length >= rows * columns.length) flush();
    },
    flush,
    get changes() {
      return changes;
    },
  };
}
