import { loadConfig } from '../config';
import { migrateDatabase, openDatabase } from '../db';
import { loadSeed } from '../model/seed';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** `npm run db:seed`: imports the article's graph into the configured database (idempotent). */
const config = loadConfig();
mkdirSync(dirname(config.DATABASE_PATH), { recursive: true });
const db = openDatabase({ path: config.DATABASE_PATH });
migrateDatabase(db);
const report = loadSeed(db);
db.$client.close();
process.stdout.write(`${config.DATABASE_PATH}: created ${JSON.stringify(report.created)}, updated ${JSON.stringify(report.updated)}\n`);
