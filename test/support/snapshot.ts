import type { Db } from '../../src/db';
import type { EngineTestApp } from './engines';
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

/**
 * `snapshot` on either engine. PostgreSQL has no export yet (src/cli is being ported): there the
 * graph is every row of every table, in id order, which a write cannot change unseen either.
 */
export async function snapshotOf(app: EngineTestApp) {
  if (app.engine === 'sqlite') return snapshot(app.db);
  const one = async (sql: string) => (await app.sql(sql))[0];
  return {
    graph: Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await app.sql(`SELECT * FROM ${t} ORDER BY id`)] as const))),
    tables: Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await one(`SELECT CAST(count(*) AS integer) AS rows, max(id) AS "maxId" FROM ${t}`)] as const))),
    stamps: Object.fromEntries(
      await Promise.all(STAMPED.map(async (t) => [t, await one(`SELECT max(created_at) AS created, max(updated_at) AS updated FROM ${t}`)] as const)),
    ),
    support: await app.sql('SELECT id, support FROM claims ORDER BY id'),
  };
}
