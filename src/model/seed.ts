import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { type Db, migrateDatabase, openDatabase } from '../db';
import type { PostgresEngine } from '../db/postgres-engine';
import { bulkLoadPostgres, readSqliteTables } from '../db/postgres';
import { entities } from '../../schema/tables';
import { fromPackageRoot } from '../package-root';
import { type ImportReport, importDocument } from './import';

export const SEED_FILE = fromPackageRoot('seed', 'article.json');

export function loadSeed(db: Db): ImportReport {
  return importDocument(db, JSON.parse(readFileSync(SEED_FILE, 'utf8')));
}

/** Seeds a database that holds no entities yet; leaves any other alone. */
export function seedIfEmpty(db: Db): ImportReport | null {
  const [row] = db.select({ n: sql<number>`count(*)` }).from(entities).all();
  return row && row.n > 0 ? null : loadSeed(db);
}

/**
 * Seeds a PostgreSQL database that holds no entities yet. The import runs as on SQLite, into a
 * database in memory (import is synchronous SQLite code until writes are async), whose rows are
 * then bulk-loaded with their ids: both engines hold the same rows under the same ids.
 */
export async function seedPostgresIfEmpty(engine: PostgresEngine): Promise<ImportReport | null> {
  const { rows } = await engine.pg.$client.query<{ n: number }>('SELECT count(*)::int AS n FROM entities');
  if (rows[0]!.n > 0) return null;
  const staging = openDatabase({ path: ':memory:' });
  try {
    migrateDatabase(staging);
    const report = loadSeed(staging);
    await bulkLoadPostgres(engine.pg, readSqliteTables(staging));
    return report;
  } finally {
    staging.$client.close();
  }
}
