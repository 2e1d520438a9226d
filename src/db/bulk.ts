import type { Db } from '.';

/**
 * Rebuilds everything the triggers derive, from the tables themselves: the adjacency list, each
 * claim's support, and the search index. Uses the same views the triggers use, so both agree.
 */
export function rebuildDerived(db: Db): void {
  const client = db.$client;
  // Emptying an FTS5 table row by row costs as much as filling it: drop and recreate it instead.
  const { sql: searchIndex } = client.prepare("SELECT sql FROM sqlite_master WHERE name = 'search_index'").get() as { sql: string };
  client.exec('DROP TABLE search_index');
  client.exec(searchIndex);
  client.exec(`
    DELETE FROM relationship_ends;
    INSERT INTO relationship_ends (entity_id, relationship_id, direction, other_id)
      SELECT subject_id, id, 'OUTGOING', object_id FROM relationships
      UNION ALL SELECT object_id, id, 'INCOMING', subject_id FROM relationships
      ORDER BY 1, 2;
    UPDATE claims SET support = 'UNSUPPORTED' WHERE support <> 'UNSUPPORTED';
    UPDATE claims SET support = d.support FROM claim_support_derived d
      WHERE d.claim_id = claims.id AND claims.id IN (SELECT DISTINCT claim_id FROM citations);
    INSERT INTO search_index (rowid, kind, ref_id, name, aliases, body)
      SELECT search_rowid, kind, ref_id, name, aliases, body FROM entity_search_rows;
    INSERT INTO search_index (rowid, kind, ref_id, name, aliases, body)
      SELECT id * 4 + 1, 'CLAIM', id, '', '', text FROM claims;
    INSERT INTO search_index (rowid, kind, ref_id, name, aliases, body)
      SELECT id * 4 + 2, 'SOURCE', id, title, '', coalesce(label, '') FROM sources;
  `);
}

/**
 * Runs a large load in one transaction without per-row trigger and index upkeep: triggers and
 * non-unique indexes are set aside, the load runs, derived data is rebuilt in bulk, and indexes
 * and triggers are put back exactly as they were (their SQL is read from sqlite_master). Unique
 * indexes stay, so INSERT OR IGNORE keeps its meaning. All or nothing: on error, nothing changed.
 */
export function bulkLoad<T>(db: Db, load: () => T): T {
  const client = db.$client;
  return client.transaction(() => {
    const setAside = client
      .prepare(
        `SELECT type, name, sql FROM sqlite_master
         WHERE sql IS NOT NULL AND (type = 'trigger' OR (type = 'index' AND sql NOT LIKE 'CREATE UNIQUE%'))
         ORDER BY type DESC, name`,
      )
      .all() as { type: 'trigger' | 'index'; name: string; sql: string }[];
    for (const { type, name } of setAside) client.exec(`DROP ${type.toUpperCase()} "${name}"`);
    const result = load();
    for (const { type, sql } of setAside) if (type === 'index') client.exec(sql);
    rebuildDerived(db);
    for (const { type, sql } of setAside) if (type === 'trigger') client.exec(sql);
    return result;
  })();
}
