import type { Db } from '../../src/db';
import { exportDocument, serializeDocument } from '../../src/model/export';

const TABLES = [
  'entities',
  'entity_aliases',
  'event_participants',
  'relationships',
  'relationship_ends',
  'relationship_claims',
  'sources',
  'claims',
  'claim_subjects',
  'claim_contradictions',
  'citations',
] as const;
const STAMPED = ['entities', 'event_participants', 'relationships', 'sources', 'claims', 'citations'] as const;

/**
 * Everything a write could change: the exported graph, every table's row count and largest id,
 * and the newest created_at/updated_at of each stamped table. Equal snapshots: nothing changed.
 */
export function snapshot(db: Db) {
  const client = db.$client;
  const one = (sql: string) => client.prepare(sql).get() as Record<string, unknown>;
  return {
    graph: serializeDocument(exportDocument(db)),
    tables: Object.fromEntries(TABLES.map((t) => [t, one(`SELECT count(*) AS rows, max(id) AS maxId FROM ${t}`)])),
    stamps: Object.fromEntries(STAMPED.map((t) => [t, one(`SELECT max(created_at) AS created, max(updated_at) AS updated FROM ${t}`)])),
    support: client.prepare('SELECT id, support FROM claims ORDER BY id').all(),
  };
}
