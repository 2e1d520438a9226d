import { stringify } from 'csv-stringify/sync';
import type { EntityKind } from '../../schema/enums';
import type { Db } from '../db';
import { ENTITY_TYPE_BY_KIND, encodeGlobalID } from '../domain/ids';

/**
 * The graph as CSV: one RFC 4180 file per table (comma-separated, CRLF line ends, fields with a
 * comma, quote or line break in double quotes, a header line first, UTF-8 without a byte-order
 * mark). Rows come in the order they were recorded. A link names its row twice: by global id (the
 * API's `id`, and `/id/<id>`) and by slug (the import format's key; citations and links between
 * tables have none). An absent value is an empty field. docs/formats.md lists the columns.
 */

type Row = Record<string, string | number | null>;
type Reference = 'Entity' | 'Source' | 'Claim' | 'Relationship' | 'Citation';

interface CsvTable {
  /** The statement's columns, in order: the file's header. */
  sql: string;
  /** The columns that hold a row id, and the table it names: written as global ids. */
  ids: Record<string, Reference>;
}

const entityLink = (column: string, alias: string) =>
  `${column} AS ${alias}_id, (SELECT slug FROM entities WHERE id = ${column}) AS ${alias}_slug`;
const link = (table: string, column: string, alias: string) =>
  `${column} AS ${alias}_id, (SELECT slug FROM ${table} WHERE id = ${column}) AS ${alias}_slug`;

/** Each file, by name: the columns declared once here, in the SQL that reads them. */
export const CSV_TABLES = {
  'entities.csv': {
    sql: `SELECT id, slug, kind, name, description, wikidata_id, ${link('sources', 'wikidata_source_id', 'wikidata_source')},
      founded_on, legal_form, occupation, ${entityLink('developer_id', 'developer')}, released_on, start_date, end_date, status,
      created_at, updated_at FROM entities ORDER BY id`,
    ids: { id: 'Entity', wikidata_source_id: 'Source', developer_id: 'Entity' },
  },
  'aliases.csv': {
    sql: `SELECT ${entityLink('entity_id', 'entity')}, position, alias FROM entity_aliases ORDER BY entity_id, position, id`,
    ids: { entity_id: 'Entity' },
  },
  'participants.csv': {
    sql: `SELECT ${entityLink('event_id', 'event')}, ${entityLink('entity_id', 'entity')}, role, created_at FROM event_participants ORDER BY event_id, id`,
    ids: { event_id: 'Entity', entity_id: 'Entity' },
  },
  'sources.csv': {
    sql: `SELECT id, slug, kind, title, url, ${entityLink('publisher_id', 'publisher')}, published_on, retrieved_on, label, created_at, updated_at
      FROM sources ORDER BY id`,
    ids: { id: 'Source', publisher_id: 'Entity' },
  },
  'claims.csv': {
    sql: `SELECT id, slug, text, kind, ${entityLink('claimant_id', 'claimant')}, attribution, ${link('sources', 'appears_in_id', 'appears_in')},
      valid_from, valid_to, support, created_at, updated_at FROM claims ORDER BY id`,
    ids: { id: 'Claim', claimant_id: 'Entity', appears_in_id: 'Source' },
  },
  'claim_subjects.csv': {
    sql: `SELECT ${link('claims', 'claim_id', 'claim')}, ${entityLink('entity_id', 'entity')} FROM claim_subjects ORDER BY claim_id, id`,
    ids: { claim_id: 'Claim', entity_id: 'Entity' },
  },
  'citations.csv': {
    sql: `SELECT id, ${link('claims', 'claim_id', 'claim')}, ${link('sources', 'source_id', 'source')}, stance, locator, quote, created_at, updated_at
      FROM citations ORDER BY claim_id, id`,
    ids: { id: 'Citation', claim_id: 'Claim', source_id: 'Source' },
  },
  // Stored in both directions; each pair once here, the older claim first.
  'contradictions.csv': {
    sql: `SELECT ${link('claims', 'claim_id', 'claim')}, ${link('claims', 'contradicts_id', 'contradicts')}, basis, basis_note, basis_quote
      FROM claim_contradictions WHERE claim_id < contradicts_id ORDER BY claim_id, contradicts_id`,
    ids: { claim_id: 'Claim', contradicts_id: 'Claim' },
  },
  'relationships.csv': {
    sql: `SELECT id, slug, ${entityLink('subject_id', 'subject')}, predicate, label, ${entityLink('object_id', 'object')}, valid_from, valid_to,
      basis, basis_note, created_at, updated_at FROM relationships ORDER BY id`,
    ids: { id: 'Relationship', subject_id: 'Entity', object_id: 'Entity' },
  },
  'relationship_claims.csv': {
    sql: `SELECT ${link('relationships', 'relationship_id', 'relationship')}, ${link('claims', 'claim_id', 'claim')} FROM relationship_claims
      ORDER BY relationship_id, id`,
    ids: { relationship_id: 'Relationship', claim_id: 'Claim' },
  },
} as const satisfies Record<string, CsvTable>;

export type CsvFile = keyof typeof CSV_TABLES;

export interface CsvExport {
  /** File name → its text. */
  files: Record<CsvFile, string>;
  /** File name → its number of rows (the header not counted). */
  rows: Record<CsvFile, number>;
}

/** Every table as CSV text, read in one transaction (a consistent snapshot). */
export function exportCsv(db: Db): CsvExport {
  const client = db.$client;
  return client.transaction((): CsvExport => {
    const kinds = new Map((client.prepare('SELECT id, kind FROM entities').all() as { id: number; kind: EntityKind }[]).map((e) => [e.id, e.kind]));
    const globalId = (type: Reference, id: number) => encodeGlobalID(type === 'Entity' ? ENTITY_TYPE_BY_KIND[kinds.get(id)!] : type, id);
    const files = {} as Record<CsvFile, string>;
    const counts = {} as Record<CsvFile, number>;
    for (const [file, table] of Object.entries(CSV_TABLES) as [CsvFile, CsvTable][]) {
      const statement = client.prepare(table.sql);
      const columns = statement.columns().map((c) => c.name);
      const rows = (statement.all() as Row[]).map((row) =>
        columns.map((column) => {
          const value = row[column];
          if (value == null) return '';
          const type = table.ids[column];
          return type ? globalId(type, value as number) : String(value);
        }),
      );
      files[file] = stringify([columns, ...rows], { record_delimiter: '\r\n' });
      counts[file] = rows.length;
    }
    return { files, rows: counts };
  })();
}

/** The header line of each file, as exported: what docs/formats.md lists. */
export function csvHeaders(db: Db): Record<CsvFile, string[]> {
  return Object.fromEntries(
    Object.entries(CSV_TABLES).map(([file, table]) => [file, db.$client.prepare(table.sql).columns().map((c) => c.name)]),
  ) as Record<CsvFile, string[]>;
}
