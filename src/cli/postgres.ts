import { spawnSync } from 'node:child_process';
import type pg from 'pg';
import { type Db, migrateDatabase, openDatabase } from '../db';
import { batchInsert, bulkLoad } from '../db/bulk';
import { migratePostgres, openPostgres } from '../db/postgres';
import { applyGraphChanges, copySqliteToPostgres, GRAPH_TABLES, readPostgresGraph, readSqliteGraph, sqliteColumnsOf, type TableSnapshot } from '../db/postgres-load';
import { importDocument, type ImportReport } from '../model/import';
import { CliError } from './support';

/**
 * The commands (import, export, backup, generate) on PostgreSQL, when DATABASE_URL is set. Import
 * and export reuse the SQLite code unchanged over a staging copy in memory, so validation and
 * output are the same on both engines by construction:
 * - export reads the graph in one REPEATABLE READ snapshot into a staging SQLite database and
 *   exports that (byte for byte what SQLite's export of the same rows gives);
 * - import locks the graph's tables against other writers (readers go on), copies them into a
 *   staging database, runs the import there (every check, the upsert by slug, what it replaces),
 *   then writes only what changed back to PostgreSQL, all in one transaction: on any problem
 *   nothing is written;
 * - backup is pg_dump's custom format; generate fills an empty database through a staging file.
 * The staging copy holds the whole graph in memory, as export always has.
 */

/** postgres://user:***@host/db: a URL fit for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the DATABASE_URL';
  }
}

/** Connection failures as one line that says what to check. */
function unreachable(url: string, error: unknown): never {
  const e = error as Error & { code?: string };
  throw new CliError(`cannot use PostgreSQL at ${redactUrl(url)}: ${e.message}${e.code === 'ECONNREFUSED' ? ' (is the server running, and is DATABASE_URL right?)' : ''}`);
}

/**
 * Runs `work` on one connection to the migrated database at `url` (migrated as the server
 * migrates it at start-up), then closes it. Connection failures become a CliError.
 */
export async function withPostgres<T>(url: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const db = openPostgres(url);
  try {
    let client: pg.PoolClient;
    try {
      await migratePostgres(db);
      client = await db.$client.connect();
    } catch (error) {
      if (error instanceof CliError) throw error;
      unreachable(url, error);
    }
    try {
      return await work(client);
    } catch (error) {
      // A statement PostgreSQL refused, or the connection lost: the transaction is gone with it.
      const e = error as Error & { code?: string; severity?: string };
      if (e instanceof Error && !(e instanceof CliError) && (e.severity !== undefined || /^E(CONNRESET|CONNREFUSED|PIPE)$/.test(e.code ?? '') || /Connection terminated/.test(e.message))) {
        throw new CliError(`PostgreSQL at ${redactUrl(url)}: ${e.message}${e.code && e.severity ? ` (SQLSTATE ${e.code})` : ''}; nothing was written`);
      }
      throw error;
    } finally {
      client.release();
    }
  } finally {
    await db.$client.end();
  }
}

/** Loads a snapshot of the graph's tables into a migrated, empty SQLite database (its derived data rebuilt). */
export function loadGraphIntoSqlite(staging: Db, snapshot: TableSnapshot[]): void {
  if (snapshot.every((t) => t.rows.length === 0)) return;
  bulkLoad(staging, () => {
    // Entities refer to sources and to entities: checked at commit, when every row is in.
    staging.$client.pragma('defer_foreign_keys = ON');
    for (const { table, columns, rows } of snapshot) {
      const batch = batchInsert(staging, `INSERT INTO "${table}"`, columns.map((c) => `"${c}"`));
      for (const row of rows) batch.add(...row);
      batch.flush();
    }
  });
}

function stagingDatabase(): Db {
  const staging = openDatabase({ path: ':memory:' });
  migrateDatabase(staging);
  return staging;
}

/** The graph in PostgreSQL as a SQLite database in memory, read in one snapshot; close it after use. */
export async function postgresSnapshot(url: string): Promise<Db> {
  const staging = stagingDatabase();
  try {
    const snapshot = await withPostgres(url, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await readPostgresGraph(client, sqliteColumnsOf(staging.$client));
      } finally {
        await client.query('COMMIT');
      }
    });
    loadGraphIntoSqlite(staging, snapshot);
    return staging;
  } catch (error) {
    staging.$client.close();
    throw error;
  }
}

const quoted = (tables: readonly string[]) => tables.map((t) => `"${t}"`).join(', ');
const GRAPH_TABLE_NAMES = ['entities', 'entity_aliases', 'sources', 'event_participants', 'relationships', 'claims', 'claim_subjects', 'claim_contradictions', 'relationship_claims', 'citations'];
if (GRAPH_TABLE_NAMES.length !== GRAPH_TABLES.length) throw new Error('GRAPH_TABLE_NAMES must name every table of GRAPH_TABLES');

/**
 * Imports a parsed document into PostgreSQL with SQLite's semantics (see the module comment). An
 * ImportError (the document's problems) leaves the database as it was.
 */
export async function importIntoPostgres(url: string, document: unknown): Promise<ImportReport> {
  return withPostgres(url, async (client) => {
    const staging = stagingDatabase();
    await client.query('BEGIN');
    try {
      // Other writers wait until this import commits or rolls back; readers are not blocked.
      await client.query(`LOCK TABLE ${quoted(GRAPH_TABLE_NAMES)} IN SHARE ROW EXCLUSIVE MODE`);
      const before = await readPostgresGraph(client, sqliteColumnsOf(staging.$client));
      loadGraphIntoSqlite(staging, before);
      const report = importDocument(staging, document);
      await applyGraphChanges(client, before, readSqliteGraph(staging.$client));
      await client.query('COMMIT');
      return report;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      staging.$client.close();
    }
  });
}

/** Row counts of the main tables, for the commands' summaries. */
export async function postgresCounts(client: pg.ClientBase): Promise<Record<string, number>> {
  const tables = ['entities', 'sources', 'claims', 'relationships', 'citations'];
  const { rows } = await client.query<Record<string, number>>(`SELECT ${tables.map((t) => `(SELECT count(*)::int FROM "${t}") AS "${t}"`).join(', ')}`);
  return rows[0]!;
}

/** The URL without its password, and the password for PGPASSWORD: pg_dump's argv is visible to every user. */
function passwordApart(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  if (!parsed.password) return { url, env: process.env };
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), env: { ...process.env, PGPASSWORD: password } };
}

/**
 * `pg_dump --format=custom` of the database at `url` into `file`, then `pg_restore --list` of it
 * (a check that the archive reads). pg_dump comes with PostgreSQL's client programs.
 */
export function dumpPostgres(url: string, file: string): void {
  const { url: bare, env } = passwordApart(url);
  const dump = spawnSync('pg_dump', ['--format=custom', `--file=${file}`, `--dbname=${bare}`], { env, encoding: 'utf8' });
  if ((dump.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new CliError("pg_dump is not on PATH: install PostgreSQL's client programs (Debian: apt-get install postgresql-client), at least the server's version");
  }
  if (dump.status !== 0) throw new CliError(`pg_dump failed: ${(dump.stderr || dump.error?.message || '').trim().split('\n')[0]}`);
  const list = spawnSync('pg_restore', ['--list', file], { encoding: 'utf8' });
  if (list.status !== 0 && (list.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') {
    throw new CliError(`the archive does not read back (pg_restore --list: ${(list.stderr || '').trim().split('\n')[0]})`);
  }
}

/** Throws when the database already holds entities: generate fills an empty one. */
export async function refuseAGraph(client: pg.ClientBase, url: string): Promise<void> {
  const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM entities');
  if (rows[0]!.n > 0) throw new CliError(`${redactUrl(url)} already holds a graph (${rows[0]!.n} entities): generate fills an empty database; --fresh empties it first`);
}

/**
 * Fills the database at `url` with the graph in the SQLite file `source` (ids kept). The graph's
 * tables must be empty, or `fresh` empties them first (in the same transaction).
 */
export async function loadGeneratedIntoPostgres(url: string, source: Db, fresh: boolean): Promise<void> {
  await withPostgres(url, async (client) => {
    await client.query('BEGIN');
    try {
      const tables = [...GRAPH_TABLE_NAMES, 'relationship_ends'];
      if (fresh) await client.query(`TRUNCATE ${quoted(tables)} RESTART IDENTITY CASCADE`);
      await refuseAGraph(client, url);
      await copySqliteToPostgres(source.$client, client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    await client.query('ANALYZE');
  });
}
