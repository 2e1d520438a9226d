import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../config';
import { counts, CliError, fileArgument, openConfiguredDatabase, runCli } from './support';

/**
 * `npm run backup -- FILE`: copies DATABASE_PATH to FILE through SQLite's online backup API,
 * safe while the server is serving and writing. The copy is one consistent snapshot; it is
 * checked (PRAGMA integrity_check) before it takes its name, so FILE is either whole or absent.
 * With DATABASE_URL: `pg_dump --format=custom` of that database (pg_dump on PATH), checked with
 * `pg_restore --list`, under the same rules; restore with pg_restore (docs/postgres.md).
 */
await runCli('backup', async () => {
  const file = fileArgument('npm run backup -- FILE   (a new file: an existing one is never overwritten)');
  if (existsSync(file)) throw new CliError(`${file} already exists; name a new file`);
  const url = loadConfig().DATABASE_URL;
  if (url) {
    const { dumpPostgres, postgresCounts, redactUrl, withPostgres } = await import('./postgres');
    const partial = `${file}.partial-${process.pid}`;
    try {
      dumpPostgres(url, partial);
      renameSync(partial, file);
    } finally {
      rmSync(partial, { force: true });
    }
    const summary = counts(await withPostgres(url, postgresCounts));
    process.stdout.write(
      `backed up ${redactUrl(url)} to ${file} (pg_dump custom format): ${summary}; restore into a new, empty database with: pg_restore --no-owner --dbname=postgres://…/NEW ${file}\n`,
    );
    return;
  }
  const { db, path } = openConfiguredDatabase({ create: false });
  if (resolve(path) === resolve(file)) throw new CliError('the backup must go to another file than the database');

  const partial = `${file}.partial-${process.pid}`;
  const discard = () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${partial}${suffix}`, { force: true });
  };
  let pages: number;
  try {
    // One step copies every page under one read transaction: a snapshot, however busy the server.
    const result = await db.$client.backup(partial, { progress: () => 0x7fffffff });
    pages = result.totalPages;
  } catch (error) {
    discard();
    throw new CliError(`cannot back up ${path} to ${file}: ${(error as Error).message}`);
  } finally {
    db.$client.close();
  }

  let summary: string;
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      // The copy inherits WAL mode; a backup is better as one self-contained file.
      copy.pragma('journal_mode = DELETE');
      const verdict = (copy.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
      if (verdict !== 'ok') throw new CliError(`the copy failed its integrity check (${verdict.slice(0, 200)}); ${file} was not written`);
      const count = (table: string) => (copy.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      summary = counts({
        entities: count('entities'),
        sources: count('sources'),
        claims: count('claims'),
        relationships: count('relationships'),
        citations: count('citations'),
      });
    } finally {
      copy.close();
    }
    renameSync(partial, file);
  } catch (error) {
    discard();
    throw error;
  }
  process.stdout.write(`backed up ${path} to ${file}: ${pages} pages, integrity ok; ${summary}\n`);
});
