import type Database from 'better-sqlite3';
import { DUPLICATE_ROW, UserError } from '../domain/errors';
import { type Db, openWriteConnection } from '.';
import { sqliteCode } from './faults';
import { whenWritable } from './write-lock';

interface Writer {
  db: Db;
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
}

/** The write connection of each database the API reads (the same db for ':memory:', which has one connection). */
const writers = new WeakMap<Database.Database, Writer>();

function writerOf(db: Db): Writer {
  let writer = writers.get(db.$client);
  if (!writer) {
    const tx = db.$client.memory ? db : openWriteConnection(db);
    const client = tx.$client;
    writer = { db: tx, begin: client.prepare('BEGIN IMMEDIATE'), commit: client.prepare('COMMIT'), rollback: client.prepare('ROLLBACK') };
    writers.set(db.$client, writer);
  }
  return writer;
}

/**
 * The connection `db`'s write transactions run on (opened now if need be): for what is set per
 * connection, such as a test's size limit on the file.
 */
export const writeConnection = (db: Db): Db => writerOf(db).db;

/**
 * One write transaction on SQLite. It spans awaits, so it runs on a connection of its own (opened
 * on first use), never on the one requests read from: a read served between two of its statements
 * would otherwise see rows it has not committed, and could keep in a cache a row a rollback then
 * removes. Under WAL the read connection sees only what is committed. Transactions queue in the
 * process (whenWritable: one at a time, another process's lock waited for without blocking) and
 * take the lock with BEGIN IMMEDIATE, so nothing they read can change before they commit: as
 * strong as PostgreSQL's 'serializable', whichever isolation is asked for.
 *
 * A ':memory:' database has one connection, so there the transaction runs on it and other
 * requests may read its rows before it commits: fine for tools and one-off scripts, which is all
 * such a database serves.
 */
export function sqliteTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return whenWritable(db.$client, async () => {
    const writer = writerOf(db);
    const client = writer.db.$client;
    writer.begin.run();
    try {
      const result = await work(writer.db);
      writer.commit.run();
      return result;
    } catch (error) {
      if (client.inTransaction) writer.rollback.run();
      // Every unique key is checked before writing; this only catches what slips past the checks.
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new UserError('CONFLICT', DUPLICATE_ROW);
      }
      throw error;
    }
  });
}
