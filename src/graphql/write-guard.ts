import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import type { WriteAccess } from '../auth';
import { BUSY_TIMEOUT_MS, databaseLost, type Db, FAULT_RETRY_AFTER_MS, noteWriteSucceeded } from '../db';
import { UserError, unavailable } from '../errors';

/** What a write that waited BUSY_TIMEOUT_MS for another process's lock tells its client to wait before retrying. */
export const LOCK_RETRY_AFTER_MS = 1000;

const isBusy = (error: unknown) => (error as { code?: string } | null)?.code === 'SQLITE_BUSY';

/**
 * Runs a mutation's resolver, which writes in one synchronous transaction, waiting for the write
 * lock without holding up the process. SQLite's own busy handler sleeps in the calling thread:
 * a process whose write found another process writing answered nothing meanwhile (up to 5 s
 * behind an import), and its waiting writes, each sleeping in turn, lost the lock to the other
 * process again and again (p99 ~260 ms with every connection writing, against ~100 ms here).
 * Here this process's writes queue in arrival order; the first tries its transaction without
 * SQLite's wait and, while another process has the lock, tries again every millisecond or two,
 * serving reads in between, for up to BUSY_TIMEOUT_MS from its arrival. A busy transaction wrote
 * nothing (BEGIN IMMEDIATE takes the lock before its first statement), so trying it again is safe.
 */
async function whenWritable<T>(db: Db, write: () => T): Promise<Awaited<T>> {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  const previous = queues.get(db) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  queues.set(db, mine);
  await previous;
  try {
    for (;;) {
      // Checked before every write, not just on the interval: a write to a deleted file would be
      // acknowledged and then lost.
      const lost = databaseLost(db.$client);
      if (lost) throw unavailable(`The server lost its database (${lost}); nothing was written. Retry later.`, FAULT_RETRY_AFTER_MS);
      try {
        const result = await withoutWaiting(db, write);
        noteWriteSucceeded(db.$client);
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
    if (queues.get(db) === mine) queues.delete(db);
    done();
  }
}

/** Per connection, the last write queued: the next one waits for it. */
const queues = new WeakMap<Db, Promise<void>>();

/**
 * Runs `write` with SQLite's busy wait off. The resolver writes before it returns, so the wait is
 * put back before anything else can use the connection.
 */
function withoutWaiting<T>(db: Db, write: () => T): T {
  db.$client.pragma('busy_timeout = 0');
  try {
    return write();
  } finally {
    db.$client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/**
 * Every Mutation field checks the caller's write access before anything else runs, so no
 * mutation can forget to, and waits for the write lock as whenWritable does. Reads are never
 * guarded.
 */
class WriteGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Mutation') return resolver;
    return (parent, args, context, info) => {
      const access = context as WriteAccess;
      if (!access.canWrite) throw new UserError('UNAUTHENTICATED', access.writeRefusal ?? 'Writes need a bearer token.');
      return whenWritable((context as { db: Db }).db, () => resolver(parent, args, context, info));
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      writeGuard: WriteGuardPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('writeGuard', WriteGuardPlugin);
