import { loadConfig } from '../config';
import { createDatabaseFolder, migrateDatabase, openDatabase } from '../db';
import { loadSeed } from '../model/seed';
import { runCli } from './support';

/** `npm run db:seed`: imports the article's graph into the configured database (idempotent). */
await runCli('seed', () => {
  const config = loadConfig();
  createDatabaseFolder(config.DATABASE_PATH);
  const db = openDatabase({ path: config.DATABASE_PATH });
  migrateDatabase(db);
  const report = loadSeed(db);
  db.$client.close();
  process.stdout.write(`${config.DATABASE_PATH}: created ${JSON.stringify(report.created)}, updated ${JSON.stringify(report.updated)}\n`);
});
