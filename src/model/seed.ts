import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { Db } from '../db';
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

