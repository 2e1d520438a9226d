import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { claims as claimsTable, entities as entitiesTable, relationships as relationshipsTable, sources as sourcesTable } from '../../schema/tables';
import type { Db } from '../db';
import { CITATION_FIELDS, CLAIM_FIELDS, CONTRADICTION_FIELDS, ENTITY_FIELDS, RELATIONSHIP_FIELDS, type Rules, sameNameColumns, SOURCE_FIELDS } from './fields';
import { FORMAT, type ImportDocumentInput } from './import-format';

type Row = Record<string, string | number | null>;

/** Drops absent optional fields (null, or an empty list), so the file holds only what is known. */
function present<T extends Record<string, unknown>>(fields: T): T {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as T;
}

/**
 * A row's fields in the order of their rules: those stored as they are from the column of the
 * same name, the others (references, lists) from `linked`.
 */
function fieldsOf(rules: Rules, table: SQLiteTable | null, row: Row, linked: Record<string, unknown>): never {
  const columns: ReadonlyMap<string, string> = table ? sameNameColumns(rules, table) : new Map();
  return Object.fromEntries(
    Object.keys(rules).map((field) => [field, field in linked ? linked[field] : columns.has(field) ? row[columns.get(field)!] : row[field]]),
  ) as never;
}

/** The rows of `sql`, grouped by their `owner` column, in query order. */
function groupBy(rows: Row[]): Map<number, Row[]> {
  const groups = new Map<number, Row[]>();
  for (const row of rows) {
    const owner = row.owner as number;
    if (!groups.has(owner)) groups.set(owner, []);
    groups.get(owner)!.push(row);
  }
  return groups;
}

/**
 * The whole graph as one import document. Rows come in the order they were recorded, fields in
 * the format's order, lists in the order they were given (contradictions by the other claim's
 * age), and absent optional fields are left out. Importing the result into an empty database
 * records everything in the same order, so exporting that gives the same document again.
 */
export function exportDocument(db: Db): ImportDocumentInput {
  const client = db.$client;
  // One read transaction: a consistent snapshot even while a server writes the same file.
  return client.transaction((): ImportDocumentInput => {
    const all = (sql: string) => client.prepare(sql).all() as Row[];
    const slugs = new Map((all('SELECT id, slug FROM entities') as { id: number; slug: string }[]).map((e) => [e.id, e.slug]));
    const sourceSlugs = new Map((all('SELECT id, slug FROM sources') as { id: number; slug: string }[]).map((s) => [s.id, s.slug]));
    const claimSlugs = new Map((all('SELECT id, slug FROM claims') as { id: number; slug: string }[]).map((c) => [c.id, c.slug]));
    const entity = (id: number | string | null | undefined) => (id == null ? null : slugs.get(id as number)!);

    const aliases = groupBy(all('SELECT entity_id AS owner, alias FROM entity_aliases ORDER BY entity_id, position, id'));
    const participants = groupBy(all('SELECT event_id AS owner, entity_id, role FROM event_participants ORDER BY event_id, id'));
    const about = groupBy(all('SELECT claim_id AS owner, entity_id FROM claim_subjects ORDER BY claim_id, id'));
    const citations = groupBy(all('SELECT claim_id AS owner, source_id, stance, locator, quote FROM citations ORDER BY claim_id, id'));
    const contradicts = groupBy(
      all('SELECT claim_id AS owner, contradicts_id, basis, basis_note AS note, basis_quote AS quote FROM claim_contradictions ORDER BY claim_id, contradicts_id'),
    );
    const asserting = groupBy(all('SELECT relationship_id AS owner, claim_id FROM relationship_claims ORDER BY relationship_id, id'));

    const entities: NonNullable<ImportDocumentInput['entities']> = {};
    for (const e of all('SELECT * FROM entities ORDER BY id')) {
      const id = e.id as number;
      entities[e.slug as string] = present({
        kind: e.kind,
        ...(fieldsOf(ENTITY_FIELDS, entitiesTable, e, {
          aliases: (aliases.get(id) ?? []).map((a) => a.alias as string),
          developer: entity(e.developer_id) ?? undefined,
          wikidataSource: e.wikidata_source_id == null ? undefined : sourceSlugs.get(e.wikidata_source_id as number)!,
        }) as object),
        participants: (participants.get(id) ?? []).map((p) => ({ entity: entity(p.entity_id)!, role: p.role as string })),
      }) as never;
    }

    const sources: NonNullable<ImportDocumentInput['sources']> = {};
    for (const s of all('SELECT * FROM sources ORDER BY id')) {
      sources[s.slug as string] = present(fieldsOf(SOURCE_FIELDS, sourcesTable, s, { publisher: entity(s.publisher_id) ?? undefined }));
    }

    const claims: NonNullable<ImportDocumentInput['claims']> = {};
    for (const c of all('SELECT * FROM claims ORDER BY id')) {
      const id = c.id as number;
      claims[c.slug as string] = present(
        fieldsOf(CLAIM_FIELDS, claimsTable, c, {
          claimant: entity(c.claimant_id) ?? undefined,
          appearsIn: sourceSlugs.get(c.appears_in_id as number)!,
          about: (about.get(id) ?? []).map((a) => entity(a.entity_id)!),
          // The citations query names its columns as the fields are named.
          citations: (citations.get(id) ?? []).map((x) => present(fieldsOf(CITATION_FIELDS, null, x, { source: sourceSlugs.get(x.source_id as number)! }))),
          // Every contradiction with its basis, on both of its claims (the import takes a pair given the same way twice).
          contradicts: undefined,
          contradictions: (contradicts.get(id) ?? []).map((x) =>
            present(fieldsOf(CONTRADICTION_FIELDS, null, x, { claim: claimSlugs.get(x.contradicts_id as number)! })),
          ),
        }),
      );
    }

    const relationships: NonNullable<ImportDocumentInput['relationships']> = {};
    for (const r of all('SELECT * FROM relationships ORDER BY id')) {
      relationships[r.slug as string] = present(
        fieldsOf(RELATIONSHIP_FIELDS, relationshipsTable, r, {
          subject: entity(r.subject_id)!,
          object: entity(r.object_id)!,
          claims: (asserting.get(r.id as number) ?? []).map((x) => claimSlugs.get(x.claim_id as number)!),
        }),
      );
    }

    return { format: FORMAT, entities, sources, claims, relationships };
  })();
}

/** The document as written to a file: two-space indented JSON and a final newline. */
export function serializeDocument(doc: ImportDocumentInput): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
