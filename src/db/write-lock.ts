import type Database from 'better-sqlite3';
import { unavailable } from '../domain/errors';
import { databaseLost, FAULT_RETRY_AFTER_MS, noteWriteSucceeded, sqliteCode } from './faults';

/** How long a write waits for another process's write lock before it is refused as UNAVAILABLE. */
export const BUSY_TIMEOUT_MS = 5000;

/** What a write that waited BUSY_TIMEOUT_MS for another process's lock tells its client to wait before retrying. */
export const LOCK_RETRY_AFTER_MS = 1000;

const isBusy = (error: unknown) => sqliteCode(error) === 'SQLITE_BUSY';

/**
 * Runs `write`, one transaction, once the database may take SQLite's write lock, without holding
 * up the process: SQLite's own busy handler sleeps in the calling thread, so a process whose
 * write found another process writing would answer nothing meanwhile, and its waiting writes,
 * each sleeping in turn, kept losing the lock to the other process. Here the writes of one
 * database (`client`, the connection the API reads) queue in arrival order; the first tries its
 * transaction, whose connection does not wait (busy_timeout 0: see src/db/sqlite-transaction.ts),
 * and while another process has the lock tries again every millisecond or two, serving reads in
 * between, for up to BUSY_TIMEOUT_MS from its arrival. A busy transaction wrote nothing (BEGIN
 * IMMEDIATE takes the lock before its first statement), so trying it again is safe.
 */
export async function whenWritable<T>(client: Database.Database, write: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  const previous = queues.get(client) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  queues.set(client, mine);
  await previous;
  try {
    for (;;) {
      // Checked before every write, not just on the interval: a write to a deleted file would be
      // acknowledged and then lost.
      const lost = databaseLost(client);
      if (lost) throw unavailable(`The server lost its database (${lost}); nothing was written. Retry later.`, FAULT_RETRY_AFTER_MS);
      try {
        const result = await write();
        noteWriteSucceeded(client);
        return result;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (performance.now() >= deadline) {
          throw unavailable(
            `Another process (an import, another server) has held the database's write lock for ${BUSY_TIMEOUT_MS / 1000} s; nothing was written. Retry the same request later.`,
            LOCK_RETRY_AFTER_MS,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random()));
    }
  } finally {
    if (queues.get(client) === mine) queues.delete(client);
    done();
  }
}

/** Per database, the last write queued: the next one waits for it. */
const queues = new WeakMap<Database.Database, Promise<void>>();
