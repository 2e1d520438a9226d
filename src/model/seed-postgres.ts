import { migrateDatabase, openDatabase } from '../db';
import type { PostgresEngine } from '../db/postgres-engine';
import { loadSqliteIntoPostgres } from '../db/postgres-load';
import type { ImportReport } from './import';
import { loadSeed } from './seed';

/**
 * Seeds a PostgreSQL database that holds no entities yet. The import runs as on SQLite, into a
 * database in memory (import is synchronous SQLite code until writes are async), whose rows are
 * then copied with their ids (src/db/postgres-load.ts): both engines hold the same rows under the same ids.
 */
export async function seedPostgresIfEmpty(engine: PostgresEngine): Promise<ImportReport | null> {
  const { rows } = await engine.pg.$client.query<{ n: number }>('SELECT count(*)::int AS n FROM entities');
  if (rows[0]!.n > 0) return null;
  const staging = openDatabase({ path: ':memory:' });
  try {
    migrateDatabase(staging);
    const report = loadSeed(staging);
    await loadSqliteIntoPostgres(engine.pg.$client, staging.$client);
    return report;
  } finally {
    staging.$client.close();
  }
}
