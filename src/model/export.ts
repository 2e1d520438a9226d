import type { Db } from '../db';
import { FORMAT, type ImportDocumentInput } from './import-format';

type Row = Record<string, string | number | null>;

/** Drops absent optional fields (null, or an empty list), so the file holds only what is known. */
function present<T extends Record<string, unknown>>(fields: T): T {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as T;
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
    const contradicts = groupBy(all('SELECT claim_id AS owner, contradicts_id FROM claim_contradictions ORDER BY claim_id, contradicts_id'));
    const asserting = groupBy(all('SELECT relationship_id AS owner, claim_id FROM relationship_claims ORDER BY relationship_id, id'));

    const entities: NonNullable<ImportDocumentInput['entities']> = {};
    for (const e of all('SELECT * FROM entities ORDER BY id')) {
      const id = e.id as number;
      entities[e.slug as string] = present({
        kind: e.kind as never,
        name: e.name as string,
        aliases: (aliases.get(id) ?? []).map((a) => a.alias as string),
        description: e.description as string | undefined,
        wikidataId: e.wikidata_id as string | undefined,
        foundedOn: e.founded_on as string | undefined,
        legalForm: e.legal_form as string | undefined,
        occupation: e.occupation as string | undefined,
        developer: entity(e.developer_id) ?? undefined,
        releasedOn: e.released_on as string | undefined,
        startDate: e.start_date as string | undefined,
        endDate: e.end_date as string | undefined,
        status: e.status as never,
        participants: (participants.get(id) ?? []).map((p) => ({ entity: entity(p.entity_id)!, role: p.role as string })),
      });
    }

    const sources: NonNullable<ImportDocumentInput['sources']> = {};
    for (const s of all('SELECT * FROM sources ORDER BY id')) {
      sources[s.slug as string] = present({
        kind: s.kind as never,
        title: s.title as string,
        url: s.url as string | undefined,
        publisher: entity(s.publisher_id) ?? undefined,
        publishedOn: s.published_on as string | undefined,
        retrievedOn: s.retrieved_on as string | undefined,
        label: s.label as string | undefined,
      });
    }

    const claims: NonNullable<ImportDocumentInput['claims']> = {};
    for (const c of all('SELECT * FROM claims ORDER BY id')) {
      const id = c.id as number;
      claims[c.slug as string] = present({
        text: c.text as string,
        kind: c.kind as never,
        claimant: entity(c.claimant_id) ?? undefined,
        attribution: c.attribution as never,
        appearsIn: sourceSlugs.get(c.appears_in_id as number)!,
        about: (about.get(id) ?? []).map((a) => entity(a.entity_id)!),
        citations: (citations.get(id) ?? []).map((x) =>
          present({
            source: sourceSlugs.get(x.source_id as number)!,
            stance: x.stance as never,
            locator: x.locator as string | undefined,
            quote: x.quote as string | undefined,
          }),
        ),
        contradicts: (contradicts.get(id) ?? []).map((x) => claimSlugs.get(x.contradicts_id as number)!),
        validFrom: c.valid_from as string | undefined,
        validTo: c.valid_to as string | undefined,
      });
    }

    const relationships: NonNullable<ImportDocumentInput['relationships']> = {};
    for (const r of all('SELECT * FROM relationships ORDER BY id')) {
      relationships[r.slug as string] = present({
        subject: entity(r.subject_id)!,
        predicate: r.predicate as string,
        label: r.label as string,
        object: entity(r.object_id)!,
        validFrom: r.valid_from as string | undefined,
        validTo: r.valid_to as string | undefined,
        claims: (asserting.get(r.id as number) ?? []).map((x) => claimSlugs.get(x.claim_id as number)!),
      });
    }

    return { format: FORMAT, entities, sources, claims, relationships };
  })();
}

/** The document as written to a file: two-space indented JSON and a final newline. */
export function serializeDocument(doc: ImportDocumentInput): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
