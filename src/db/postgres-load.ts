import type BetterSqlite3 from 'better-sqlite3';
import { getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import * as pgTables from '../../schema/pg/tables';
import { CHANGES_CHANNEL, CHANGES_RESET } from './postgres-change-feed';

/**
 * Copying a SQLite database's rows into PostgreSQL, ids kept: how the seed (staged in SQLite by
 * the import) reaches PostgreSQL, and fast enough for the benchmark's million claims. Plain
 * node-postgres: no COPY package is needed.
 *
 * - Each table is streamed from SQLite in key order and sent as JSON, COPY_BATCH_ROWS rows per
 *   statement (`INSERT … SELECT … FROM json_populate_recordset(…)`: one parameter per statement,
 *   so PostgreSQL's 65,535-parameter cap does not bound the batch). The next batch is read while
 *   PostgreSQL writes the last.
 * - Derived rows are copied with the rows they derive from (relationship_ends, claims.support):
 *   the SQLite database's triggers derived them by the same rules and under the same ids (an
 *   entity's relationships page by relationship_ends.id, so its ids make the cursors). The
 *   PostgreSQL triggers that would derive them again row by row (DERIVING_TRIGGERS) are set
 *   aside for the copy and put back before it ends, as are the cache tags' (CACHE_TRIGGERS: the
 *   copy sends the change feed's reset instead); every foreign key stays on.
 * - The references that make a cycle are filled in once both ends exist, then every identity is
 *   moved past the largest id copied.
 *
 * Runs on a client the caller holds inside a transaction (BEGIN … COMMIT): all or nothing.
 */

/** Rows per statement: large enough that a statement's overhead vanishes, small enough to stream. */
export const COPY_BATCH_ROWS = 5000;

/** In the order rows may be inserted: each table after those it references, cycles aside (CYCLIC_COLUMNS). */
export const COPY_ORDER = [
  'entities',
  'entityAliases',
  'sources',
  'eventParticipants',
  'relationships',
  'relationshipEnds',
  'claims',
  'claimSubjects',
  'claimContradictions',
  'relationshipClaims',
  'citations',
  'idempotencyKeys',
] as const satisfies readonly (keyof typeof pgTables)[];

/** The columns filled in after every row is in: entities refer to sources and to entities. */
const CYCLIC_COLUMNS: Partial<Record<(typeof COPY_ORDER)[number], readonly string[]>> = { entities: ['developer_id', 'wikidata_source_id'] };

/** The PostgreSQL triggers whose rows the copy brings along (migrations/postgres/*_derived). */
const DERIVING_TRIGGERS = [
  ['relationships', 'relationships_ends_insert'],
  ['citations', 'citations_support_insert'],
] as const;

/**
 * The triggers that tag each written row in cache_changes (migrations/postgres/*_cache_changes).
 * Left on, a million-claim copy would write a tag row per row copied (about 7 million inserts,
 * pruned as they go) to tell running processes what they can learn in one word: everything
 * changed. So they are set aside like DERIVING_TRIGGERS, and the copy sends the change feed's
 * reset notification instead (CHANGE_FEED_RESET), delivered when the caller commits.
 */
const CACHE_TRIGGERS = [
  ['entities', 'entities_cache'],
  ['entity_aliases', 'entity_aliases_cache'],
  ['sources', 'sources_cache'],
  ['event_participants', 'event_participants_cache'],
  ['relationships', 'relationships_cache'],
  ['claims', 'claims_cache'],
  ['claim_subjects', 'claim_subjects_cache'],
  ['claim_contradictions', 'claim_contradictions_cache'],
  ['relationship_claims', 'relationship_claims_cache'],
  ['citations', 'citations_cache'],
] as const;

/** What a write that bypassed the cache triggers tells every process (src/db/postgres-change-feed.ts). */
export const CHANGE_FEED_RESET = `NOTIFY ${CHANGES_CHANNEL}, '${CHANGES_RESET}'`;

/**
 * The triggers that keep the search index (migrations/postgres/*_search, *_search_bm25,
 * *_search_term_changes). Row by row, each insert appends a change per word it holds and folds
 * them now and then, so a big copy in one transaction slows down as it goes (20,000 claims took
 * 36 s, 97 s when each word's count row was updated in place); the copy sets them aside and
 * rebuilds the index in a few statements (REBUILD_SEARCH).
 */
const SEARCH_TRIGGERS = [
  ['entities', 'entities_search_insert'],
  ['entity_aliases', 'entity_aliases_search_insert'],
  ['claims', 'claims_search_insert'],
  ['sources', 'sources_search_insert'],
  ['search_documents', 'search_documents_count'],
] as const;

/** The search index, its word counts and its totals made anew from the tables, as the migrations first fill them. */
const REBUILD_SEARCH = [
  'DELETE FROM search_documents',
  `INSERT INTO search_documents (search_rowid, kind, ref_id, name, aliases, body)
    SELECT search_rowid, kind, ref_id, name, aliases, body FROM entity_search_rows`,
  `INSERT INTO search_documents (search_rowid, kind, ref_id, name, aliases, body)
    SELECT id::bigint * 4 + 1, 'CLAIM', id, '', '', text FROM claims`,
  `INSERT INTO search_documents (search_rowid, kind, ref_id, name, aliases, body)
    SELECT id::bigint * 4 + 2, 'SOURCE', id, title, '', coalesce(label, '') FROM sources`,
  'DELETE FROM search_term_counts',
  'DELETE FROM search_term_changes',
  `INSERT INTO search_term_counts (term, documents)
    SELECT term, count(*) FROM search_documents, unnest(tsvector_to_array(tsv)) AS term GROUP BY term`,
  // What bm25 reads besides (migrations/postgres/*_search_bm25): the documents and their words in all, as one row.
  'DELETE FROM search_totals',
  `INSERT INTO search_totals (documents, tokens)
    SELECT count(*), coalesce(sum(search_tokens(tsv, name, aliases, body)), 0) FROM search_documents`,
];

const SET_ASIDE = [...DERIVING_TRIGGERS, ...CACHE_TRIGGERS, ...SEARCH_TRIGGERS];

export type CopiedRows = Record<string, number>;

/** Column names and types of a PostgreSQL table, in order. */
async function pgColumns(client: pg.ClientBase, table: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return new Map(rows.map((r) => [r.name, r.type]));
}

/** Whether a PostgreSQL table has an `id` identity column. */
const hasIdentity = async (client: pg.ClientBase, table: string) =>
  (await client.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES'`, [table]))
    .rowCount === 1;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Copies every table of COPY_ORDER from `source` (a migrated claimgraph SQLite database) into the
 * PostgreSQL database `client` is connected to, whose tables should hold none of these ids yet.
 * `client` must be inside a transaction. Returns the rows copied per table.
 */
export async function copySqliteToPostgres(
  source: BetterSqlite3.Database,
  client: pg.ClientBase,
  { batchRows = COPY_BATCH_ROWS, onTable }: { batchRows?: number; onTable?: (table: string, rows: number, seconds: number) => void } = {},
): Promise<CopiedRows> {
  const copied: CopiedRows = {};
  const fills: (() => Promise<void>)[] = [];
  for (const [table, trigger] of SET_ASIDE) await client.query(`ALTER TABLE ${quote(table)} DISABLE TRIGGER ${quote(trigger)}`);
  for (const name of COPY_ORDER) {
    const started = performance.now();
    const table = getTableName(pgTables[name] as PgTable);
    const target = await pgColumns(client, table);
    const sourceColumns = (source.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; pk: number }[]);
    const columns = sourceColumns.map((c) => c.name).filter((c) => target.has(c));
    const deferred = new Set((CYCLIC_COLUMNS[name] ?? []).filter((c) => columns.includes(c)));
    const json = columns.filter((c) => target.get(c) === 'jsonb');
    const key = sourceColumns.some((c) => c.name === 'id') ? 'id' : 'rowid';
    const insert = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')})
      SELECT ${columns.map(quote).join(', ')} FROM json_populate_recordset(NULL::${quote(table)}, $1)`;
    let pending: Promise<unknown> | undefined;
    let batch: Record<string, unknown>[] = [];
    let count = 0;
    const send = async () => {
      const text = JSON.stringify(batch);
      batch = [];
      await pending;
      pending = client.query(insert, [text]);
    };
    for (const row of source.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ORDER BY ${key}`).iterate() as IterableIterator<Record<string, unknown>>) {
      for (const c of deferred) row[c] = null;
      for (const c of json) if (typeof row[c] === 'string') row[c] = JSON.parse(row[c] as string);
      batch.push(row);
      count++;
      if (batch.length >= batchRows) await send();
    }
    if (batch.length > 0) await send();
    await pending;
    // Once every table is in: a cyclic reference may point at a later table (entities -> sources).
    if (deferred.size > 0) fills.push(async () => {
      const cols = [...deferred];
      const fill = source.prepare(`SELECT id, ${cols.map(quote).join(', ')} FROM ${quote(table)} WHERE ${cols.map((c) => `${quote(c)} IS NOT NULL`).join(' OR ')} ORDER BY id`);
      const update = `UPDATE ${quote(table)} t SET ${cols.map((c) => `${quote(c)} = v.${quote(c)}`).join(', ')}
        FROM json_populate_recordset(NULL::${quote(table)}, $1) v WHERE t.id = v.id`;
      const rows = fill.all() as Record<string, unknown>[];
      for (let i = 0; i < rows.length; i += batchRows) await client.query(update, [JSON.stringify(rows.slice(i, i + batchRows))]);
    });
    if (await hasIdentity(client, table)) {
      await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce((SELECT max(id) FROM ${quote(table)}), 0) + 1, false)`, [table]);
    }
    copied[table] = count;
    onTable?.(table, count, (performance.now() - started) / 1000);
  }
  for (const fill of fills) await fill();
  for (const statement of REBUILD_SEARCH) await client.query(statement);
  for (const [table, trigger] of SET_ASIDE) await client.query(`ALTER TABLE ${quote(table)} ENABLE TRIGGER ${quote(trigger)}`);
  // Delivered at the caller's COMMIT (not at all on ROLLBACK): every process forgets what it cached.
  await client.query(CHANGE_FEED_RESET);
  return copied;
}

/** copySqliteToPostgres in a transaction of its own, on a connection of `pg`'s pool. */
export async function loadSqliteIntoPostgres(pool: pg.Pool, source: BetterSqlite3.Database): Promise<CopiedRows> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const copied = await copySqliteToPostgres(source, client);
    await client.query('COMMIT');
    return copied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The tables a staging copy of a PostgreSQL graph holds: what import writes and export reads.
 * relationship_ends is derived (the staging database's own triggers and rebuild make it) and
 * idempotency_keys belongs to the server's writes, not to the graph.
 */
export const GRAPH_TABLES = COPY_ORDER.filter((name) => name !== 'relationshipEnds' && name !== 'idempotencyKeys');

/** One table's rows, each an array in `columns` order, in id order. */
export interface TableSnapshot {
  table: string;
  columns: string[];
  rows: unknown[][];
}

/** Rows read per statement: keyset pages, so a large table never sits in one result. */
const READ_PAGE_ROWS = 20_000;

/**
 * Every row of the graph's tables in the PostgreSQL database `client` is connected to, table by
 * table in id order (the columns both engines have). For one consistent view, call it inside a
 * REPEATABLE READ transaction or with the tables locked.
 */
export async function readPostgresGraph(client: pg.ClientBase, sqliteColumns: (table: string) => string[]): Promise<TableSnapshot[]> {
  const out: TableSnapshot[] = [];
  for (const name of GRAPH_TABLES) {
    const table = getTableName(pgTables[name] as PgTable);
    const target = await pgColumns(client, table);
    const columns = sqliteColumns(table).filter((c) => target.has(c));
    const idAt = columns.indexOf('id');
    const rows: unknown[][] = [];
    for (let after = 0; ; ) {
      const page = await client.query<unknown[]>({
        text: `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} WHERE id > $1 ORDER BY id LIMIT ${READ_PAGE_ROWS}`,
        values: [after],
        rowMode: 'array',
      });
      for (const row of page.rows) rows.push(row);
      if (page.rows.length < READ_PAGE_ROWS) break;
      after = page.rows.at(-1)![idAt] as number;
    }
    out.push({ table, columns, rows });
  }
  return out;
}

/** The same tables of a SQLite database, in the same form. */
export function readSqliteGraph(source: BetterSqlite3.Database): TableSnapshot[] {
  return GRAPH_TABLES.map((name) => {
    const table = getTableName(pgTables[name] as PgTable);
    const columns = (source.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string }[]).map((c) => c.name);
    const rows = source.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ORDER BY id`).raw().all() as unknown[][];
    return { table, columns, rows };
  });
}

/** A SQLite table's columns (PRAGMA table_info), for readPostgresGraph's `sqliteColumns`. */
export const sqliteColumnsOf = (db: BetterSqlite3.Database) => (table: string) =>
  (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string }[]).map((c) => c.name);

/**
 * Applies to PostgreSQL what changed between `before` (the rows `client` held, as
 * readPostgresGraph read them under a lock) and `after` (the same tables once the import ran on a
 * staging copy): rows gone are deleted (children first), new rows inserted with their ids (in
 * reference order, the cyclic references filled in last), changed rows updated. The database's
 * triggers derive relationship_ends and claims.support as on any write. `client` must be inside
 * the transaction that read `before`.
 */
export async function applyGraphChanges(client: pg.ClientBase, before: TableSnapshot[], after: TableSnapshot[]): Promise<void> {
  const byTable = (snapshots: TableSnapshot[]) => new Map(snapshots.map((s) => [s.table, s]));
  const old = byTable(before);
  const plans = after.map((now) => {
    const was = old.get(now.table)!;
    const idAt = now.columns.indexOf('id');
    const wasColumns = new Map(was.columns.map((c, i) => [c, i]));
    const previous = new Map(was.rows.map((row) => [row[was.columns.indexOf('id')] as number, row]));
    const kept = new Set<number>();
    const inserted: Record<string, unknown>[] = [];
    const updated: Record<string, unknown>[] = [];
    const name = GRAPH_TABLES.find((n) => getTableName(pgTables[n] as PgTable) === now.table)!;
    const deferred = (CYCLIC_COLUMNS[name] ?? []).filter((c) => now.columns.includes(c));
    const filled: Record<string, unknown>[] = [];
    for (const row of now.rows) {
      const id = row[idAt] as number;
      const object = Object.fromEntries(now.columns.map((c, i) => [c, row[i]]));
      const prior = previous.get(id);
      if (!prior) {
        inserted.push({ ...object, ...Object.fromEntries(deferred.map((c) => [c, null])) });
        if (deferred.some((c) => object[c] != null)) filled.push(object);
        continue;
      }
      kept.add(id);
      const changed = now.columns.filter((c) => !deferred.includes(c) && !isSame(prior[wasColumns.get(c)!], object[c]));
      if (changed.length > 0) updated.push(object);
      if (deferred.some((c) => !isSame(prior[wasColumns.get(c)!], object[c]))) filled.push(object);
    }
    const deleted = [...previous.keys()].filter((id) => !kept.has(id));
    return { table: now.table, columns: now.columns.filter((c) => !deferred.includes(c)), allColumns: now.columns, deferred, inserted, updated, filled, deleted };
  });
  for (const plan of [...plans].reverse()) {
    for (let i = 0; i < plan.deleted.length; i += COPY_BATCH_ROWS) {
      await client.query(`DELETE FROM ${quote(plan.table)} WHERE id = ANY($1::int[])`, [plan.deleted.slice(i, i + COPY_BATCH_ROWS)]);
    }
  }
  for (const plan of plans) {
    const cols = plan.allColumns;
    for (let i = 0; i < plan.inserted.length; i += COPY_BATCH_ROWS) {
      await client.query(
        `INSERT INTO ${quote(plan.table)} (${cols.map(quote).join(', ')}) SELECT ${cols.map(quote).join(', ')} FROM json_populate_recordset(NULL::${quote(plan.table)}, $1)`,
        [JSON.stringify(plan.inserted.slice(i, i + COPY_BATCH_ROWS))],
      );
    }
    const set = plan.columns.filter((c) => c !== 'id');
    for (let i = 0; i < plan.updated.length; i += COPY_BATCH_ROWS) {
      await client.query(
        `UPDATE ${quote(plan.table)} t SET ${set.map((c) => `${quote(c)} = v.${quote(c)}`).join(', ')} FROM json_populate_recordset(NULL::${quote(plan.table)}, $1) v WHERE t.id = v.id`,
        [JSON.stringify(plan.updated.slice(i, i + COPY_BATCH_ROWS))],
      );
    }
  }
  for (const plan of plans.filter((p) => p.deferred.length > 0)) {
    for (let i = 0; i < plan.filled.length; i += COPY_BATCH_ROWS) {
      await client.query(
        `UPDATE ${quote(plan.table)} t SET ${plan.deferred.map((c) => `${quote(c)} = v.${quote(c)}`).join(', ')} FROM json_populate_recordset(NULL::${quote(plan.table)}, $1) v WHERE t.id = v.id`,
        [JSON.stringify(plan.filled.slice(i, i + COPY_BATCH_ROWS))],
      );
    }
  }
  // Each identity past the largest id now used (never back: ids of deleted rows are not handed out again).
  for (const plan of plans) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, 'id'), m) FROM (SELECT max(id) AS m FROM ${quote(plan.table)}) x
       WHERE m > coalesce((SELECT last_value FROM pg_sequences WHERE schemaname = current_schema() AND sequencename = split_part(pg_get_serial_sequence($1, 'id'), '.', 2)), 0)`,
      [plan.table],
    );
  }
}

const isSame = (a: unknown, b: unknown) => a === b || (a !== null && b !== null && typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b));
