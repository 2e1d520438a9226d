import { conflict, DUPLICATE_ROW, unavailable } from '../domain/errors';
import type { Db } from '.';
import type { TransactionOptions } from './engine';
import { noteWriteSucceeded } from './faults';
import { asApiDb, type PgDb } from './postgres';
import { isRetryable, postgresCode } from './postgres-errors';

/** Tries of one transaction on PostgreSQL before a serialization failure or deadlock is answered UNAVAILABLE. */
export const PG_TRANSACTION_ATTEMPTS = 8;

/** What a client whose write lost every try is told to wait before sending it again. */
export const PG_RETRY_AFTER_MS = 200;

/** Backoff before try n+1: up to this many ms × 2^(n-1), at random, so that the writers that collided do not collide again. */
const BACKOFF_MS = 4;

/**
 * 23505 unique_violation, 23503 foreign_key_violation: a concurrent transaction committed a row
 * the checks could not see yet (the same slug, the same citation) or deleted one they found. Run
 * again, the checks see it and refuse with the same message as SQLite gives (CONFLICT, NOT_FOUND,
 * naming the field); a violation that outlives the tries is a CONFLICT (unique) or left to the
 * error mapping (foreign key).
 */
const RECHECKED = new Set(['23505', '23503']);

/**
 * One write transaction on PostgreSQL, on a connection of the pool, at the isolation asked for
 * ('read committed' by default). `work` runs again, after a short random wait, when PostgreSQL
 * aborts the transaction for a serialization failure or a deadlock (or a unique or foreign key a
 * concurrent commit took: see RECHECKED), up to PG_TRANSACTION_ATTEMPTS tries.
 */
export async function postgresTransaction<T>(pg: PgDb, work: (tx: Db) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const isolationLevel = options.isolation ?? 'read committed';
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await pg.transaction(async (tx) => work(asApiDb(tx as unknown as PgDb)), { isolationLevel });
      // As on SQLite (src/db/write-lock.ts): a committed write ends what /health reports degraded.
      noteWriteSucceeded(pg);
      return result;
    } catch (error) {
      const state = postgresCode(error);
      if (!state || !(isRetryable(error) || RECHECKED.has(state))) throw error;
      if (attempt >= PG_TRANSACTION_ATTEMPTS) {
        if (state === '23505') throw conflict(DUPLICATE_ROW);
        if (RECHECKED.has(state)) throw error;
        throw unavailable(
          `The write collided with other writes to the same rows ${PG_TRANSACTION_ATTEMPTS} times; nothing was written. Send the same request again.`,
          PG_RETRY_AFTER_MS,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}
