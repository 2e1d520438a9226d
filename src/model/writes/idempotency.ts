import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import { idempotencyKeys } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict } from '../../domain/errors';
import { badField, textProblem } from './common';

/** A clientMutationId is 1 to this many characters. */
export const CLIENT_MUTATION_ID_MAX_LENGTH = 200;

/**
 * How long a key is kept: a client that retries after a crash, a restart or a lost connection
 * within this time gets the first result back. Afterwards the key is forgotten and may write again.
 */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** Expired keys each keyed write deletes at most: the table shrinks as fast as it grows, in small steps. */
export const IDEMPOTENCY_PRUNE_BATCH = 100;

/** A write's key: who sent it, the client's id for it, and what it asks for. */
export interface MutationKey {
  /** Identifies the caller's token (a hash of it, never the token). */
  writer: string;
  clientMutationId: string;
  /** The Mutation field. */
  mutation: string;
  /** The input without its clientMutationId. */
  input: unknown;
}

const FIELD = 'input.clientMutationId';

/** What a key holds while the write it belongs to runs, in the same transaction: nobody else ever reads it. */
const PENDING = {};

/**
 * Runs `write` once per key, inside the caller's transaction (`tx`). With a key, `write` and the
 * key's record commit together, so a write that committed always has its key, even if the process
 * dies before answering; a retry with the same key and input returns the stored result without
 * writing. The same key with another input or mutation is a CONFLICT. A write that fails stores
 * no key. `write` returns what the payload is rebuilt from (ids), which must survive JSON.
 *
 * The key is claimed before the write (INSERT … ON CONFLICT DO NOTHING), so two requests with one
 * key in two processes cannot both write: PostgreSQL holds the second insert until the first
 * transaction ends, then inserts nothing, and the second reads the first's result. (On SQLite,
 * writes never overlap.)
 */
export async function writeOnce<R>(tx: Db, key: MutationKey | null, write: () => Promise<R>): Promise<R> {
  if (!key) return write();
  const { writer, clientMutationId, mutation } = key;
  if (clientMutationId.length < 1 || clientMutationId.length > CLIENT_MUTATION_ID_MAX_LENGTH) {
    throw badField(FIELD, `must be 1 to ${CLIENT_MUTATION_ID_MAX_LENGTH} characters; it has ${clientMutationId.length}`);
  }
  // Stored as UTF-8, two ids with different unpaired surrogates would become the same key.
  const problem = textProblem(clientMutationId);
  if (problem) throw badField(FIELD, problem);
  const inputHash = sha256(JSON.stringify(canonical(key.input)));
  const cutoff = new Date(Date.now() - IDEMPOTENCY_KEY_HOURS * 3_600_000).toISOString();
  const thisKey = and(eq(idempotencyKeys.writer, writer), eq(idempotencyKeys.clientMutationId, clientMutationId));
  const claim = () =>
    tx
      .insert(idempotencyKeys)
      .values({ writer, clientMutationId, mutation, inputHash, result: PENDING })
      .onConflictDoNothing()
      .returning({ writer: idempotencyKeys.writer });
  // Taken on the first try, or found: read, and answered from when fresh. An expired key is
  // deleted and taken anew; a key another request deleted meanwhile is taken on the next round.
  for (let round = 1; (await claim()).length === 0; round++) {
    // The result is read as text: a JSON column comes back parsed on PostgreSQL and as text on SQLite.
    const [first] = await tx
      .select({
        mutation: idempotencyKeys.mutation,
        inputHash: idempotencyKeys.inputHash,
        createdAt: idempotencyKeys.createdAt,
        result: sql<string>`CAST(${idempotencyKeys.result} AS TEXT)`,
      })
      .from(idempotencyKeys)
      .where(thisKey)
      .limit(1);
    if (first && first.createdAt >= cutoff) {
      if (first.mutation !== mutation || first.inputHash !== inputHash) {
        const what = first.mutation === mutation ? 'with a different input' : `by ${first.mutation}`;
        throw conflict(
          `${FIELD}: "${clientMutationId}" was already used ${what} (at ${first.createdAt}). Resend the first input unchanged to get its result, or use a new clientMutationId for a new write.`,
          FIELD,
        );
      }
      return JSON.parse(first.result) as R;
    }
    if (round >= 3) throw conflict(`${FIELD}: "${clientMutationId}" is being used by other requests right now; send this one again.`, FIELD);
    if (first) await tx.delete(idempotencyKeys).where(and(thisKey, lt(idempotencyKeys.createdAt, cutoff)));
  }
  const result = await write();
  await tx.update(idempotencyKeys).set({ result: result as Record<string, unknown> }).where(thisKey);
  await pruneKeys(tx, cutoff);
  return result;
}

/** Deletes up to IDEMPOTENCY_PRUNE_BATCH keys created before `cutoff`, oldest first. */
async function pruneKeys(tx: Db, cutoff: string): Promise<void> {
  const expired = tx
    .select({ writer: idempotencyKeys.writer, clientMutationId: idempotencyKeys.clientMutationId })
    .from(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, cutoff))
    .orderBy(idempotencyKeys.createdAt)
    .limit(IDEMPOTENCY_PRUNE_BATCH);
  await tx.delete(idempotencyKeys).where(sql`(${idempotencyKeys.writer}, ${idempotencyKeys.clientMutationId}) IN ${expired}`);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The same value with every object's keys sorted, so field order does not change the hash. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((k) => [k, canonical(object[k])]),
  );
}
