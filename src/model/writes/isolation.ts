import type { Isolation } from '../../db/engine';

/**
 * The isolation each mutation's transaction runs at on PostgreSQL, and why (docs/postgres.md
 * prints this table; a test checks it there). SQLite runs one write transaction at a time and
 * needs none of it. Every level reruns the transaction on a serialization failure or deadlock, and
 * on a unique or foreign key a concurrent commit took (src/db/postgres-transaction.ts), so the
 * rerun's checks answer as SQLite would.
 */
export const ISOLATION = {
  createEntity: ['read committed', 'unique slugs and foreign keys decide; a slug taken meanwhile reruns and picks the next free one'],
  updateEntity: ['repeatable read', 'reads the row, then writes what differs: a concurrent change to the same entity aborts one, which reruns on the new values (no lost update)'],
  deleteEntity: ['read committed', 'every reference it counts is a foreign key without cascade: a reference committed meanwhile fails the delete, which reruns and refuses with the list of references'],
  addEventParticipant: ['read committed', 'the participation\'s unique key and the foreign keys decide'],
  createSource: ['read committed', 'unique slugs and foreign keys decide'],
  createClaim: ['read committed', 'each contradicted claim\'s row is updated (its updated_at moves) before its contradictions are counted against their cap: that row lock, as SELECT … FOR UPDATE would, holds other writes to the claim back until this one ends; slugs and the rest are unique keys and foreign keys'],
  addCitation: ['read committed', 'the claim\'s row is updated first (its updated_at moves), which holds back other writes to it, so the count of its citations against their cap sees theirs; the same citation twice is a unique key'],
  removeCitation: ['read committed', 'one DELETE … RETURNING decides'],
  createRelationship: ['serializable', 'the same link (subject, predicate, object, validity) is looked for first, and no unique key covers validity\'s NULLs'],
} as const satisfies Record<string, readonly [Isolation, string]>;

export type MutationName = keyof typeof ISOLATION;
