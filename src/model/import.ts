import type { Database } from 'better-sqlite3';
import { claims, entities, relationships, sources } from '../../schema/tables';
import type { Db } from '../db';
import { CLAIM_FIELDS, ENTITY_FIELDS, NO_BASIS_NOTE, RELATIONSHIP_FIELDS, relationshipBasis, sameNameColumns, SOURCE_FIELDS } from './fields';
import {
  type ImportClaim,
  type ImportDocument,
  type ImportEntity,
  type ImportIssue,
  type ImportRelationship,
  type ImportSource,
  jsonPath,
  parseImportDocument,
} from './import-format';
import { duplicateKeys, MAX_JSON_DEPTH, nestsDeeperThan } from './json';

/** The rules and the table of each section's rows. */
const TABLES = {
  entities: [ENTITY_FIELDS, entities],
  sources: [SOURCE_FIELDS, sources],
  claims: [CLAIM_FIELDS, claims],
  relationships: [RELATIONSHIP_FIELDS, relationships],
} as const;

/** The values of a row's fields stored as they are, by SQL column; an absent field clears its column. */
function columnValues(table: keyof typeof TABLES, row: object): Record<string, string | null> {
  const [rules, sqlTable] = TABLES[table];
  const columns = sameNameColumns(rules, sqlTable);
  return Object.fromEntries([...columns].map(([field, column]) => [column, ((row as Record<string, string | undefined>)[field]) ?? null]));
}

/**
 * Why a document was refused. `stage` says which check found the problems: the document's shape
 * is checked first, and slug references only once the shape is valid.
 */
export class ImportError extends Error {
  constructor(
    readonly issues: ImportIssue[],
    readonly stage: 'shape' | 'references' = 'shape',
  ) {
    super(
      `The document was not imported; nothing was written. ${issues.length} problem(s):\n` +
        issues
          .slice(0, 50)
          .map((i) => `  ${i.path}: ${i.message}`)
          .join('\n') +
        (issues.length > 50 ? `\n  … and ${issues.length - 50} more` : '') +
        (stage === 'shape' ? '\n(References to other rows are checked once these are fixed.)' : ''),
    );
  }
}

type Table = 'entities' | 'sources' | 'claims' | 'relationships' | 'citations';
export type ImportReport = Record<'created' | 'updated', Record<Table, number>>;

const SINGULAR = { entities: 'entity', sources: 'source', claims: 'claim' } as const;

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;

/**
 * Reads an import document from its JSON text, refusing what JSON.parse would let through
 * quietly: a key named twice in one object (the last would win, even for a slug), and nesting
 * deeper than any document has.
 */
export function parseImportText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError([{ path: '$', message: `not JSON: ${(error as Error).message}` }]);
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new ImportError([{ path: '$', message: `arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep; no document does` }]);
  }
  const repeated = duplicateKeys(text);
  if (repeated.length > 0) {
    throw new ImportError(
      repeated.map(({ path, line, column }) => ({
        path: jsonPath(path),
        message: `this key is named twice in one object (again at line ${line}, column ${column}); JSON keeps only the last, so name it once`,
      })),
    );
  }
  return value;
}

/**
 * Validates the whole document, then upserts it by natural key in one transaction.
 * Rows whose values already match are left alone, so importing the same file twice changes nothing.
 */
export function importDocument(db: Db, input: unknown): ImportReport {
  const parsed = parseImportDocument(input);
  if (!parsed.doc) throw new ImportError(parsed.issues, 'shape');
  const doc = parsed.doc;
  const client = db.$client;
  // IMMEDIATE: take the write lock before the first read, so a server writing the same file at the
  // same time cannot change what the references were checked against.
  return client.transaction(() => new Importer(client, doc).run()).immediate();
}

/** A document's sections as maps: a slug such as "constructor" is then an ordinary key. */
interface Rows {
  entities: Map<string, ImportEntity>;
  sources: Map<string, ImportSource>;
  claims: Map<string, ImportClaim>;
  relationships: Map<string, ImportRelationship>;
}

class Importer {
  private readonly report: ImportReport = {
    created: { entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 },
    updated: { entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 },
  };
  private readonly ids: Record<'entities' | 'sources' | 'claims', Map<string, number>> = {
    entities: new Map(),
    sources: new Map(),
    claims: new Map(),
  };

  private readonly doc: Rows;

  constructor(
    private readonly client: Database,
    doc: ImportDocument,
  ) {
    this.doc = {
      entities: new Map(Object.entries(doc.entities)),
      sources: new Map(Object.entries(doc.sources)),
      claims: new Map(Object.entries(doc.claims)),
      relationships: new Map(Object.entries(doc.relationships)),
    };
  }

  run(): ImportReport {
    this.checkReferences();
    for (const [slug, entity] of this.doc.entities) this.upsertEntity(slug, entity);
    for (const [slug, entity] of this.doc.entities) this.linkEntity(slug, entity);
    for (const [slug, source] of this.doc.sources) {
      const id = this.upsert('sources', slug, {
        ...columnValues('sources', source),
        publisher_id: source.publisher ? this.idOf('entities', source.publisher) : null,
      });
      this.ids.sources.set(slug, id);
    }
    for (const [slug, entity] of this.doc.entities) this.linkWikidataSource(slug, entity);
    for (const [slug, claim] of this.doc.claims) {
      const id = this.upsert('claims', slug, {
        ...columnValues('claims', claim),
        claimant_id: claim.claimant ? this.idOf('entities', claim.claimant) : null,
        appears_in_id: this.idOf('sources', claim.appearsIn),
      });
      this.ids.claims.set(slug, id);
    }
    for (const [slug, claim] of this.doc.claims) this.linkClaim(slug, claim);
    this.linkContradictions();
    for (const [slug, rel] of this.doc.relationships) {
      const basis = relationshipBasis(rel.basis, rel.basisNote, rel.claims?.length ?? 0);
      const id = this.upsert('relationships', slug, {
        ...columnValues('relationships', rel),
        basis: basis.basis,
        basis_note: basis.basisNote,
        subject_id: this.idOf('entities', rel.subject),
        object_id: this.idOf('entities', rel.object),
      });
      const wanted = (rel.claims ?? []).map((c) => this.idOf('claims', c));
      if (this.syncSet('relationship_claims', 'relationship_id', id, 'claim_id', wanted)) {
        this.touch('relationships', id, this.wasCreated('relationships', id));
      }
    }
    return this.report;
  }

  /** Every slug a document refers to must be in the document or already in the database. */
  private checkReferences() {
    const issues: ImportIssue[] = [];
    const exists = (table: 'entities' | 'sources' | 'claims', slug: string) =>
      this.doc[table].has(slug) || this.client.prepare(`SELECT 1 FROM ${table} WHERE slug = ?`).get(slug) !== undefined;
    const kindOf = (slug: string): string | undefined =>
      this.doc.entities.get(slug)?.kind ??
      (this.client.prepare('SELECT kind FROM entities WHERE slug = ?').get(slug) as { kind: string } | undefined)?.kind;
    const need = (table: 'entities' | 'sources' | 'claims', slug: string | undefined, path: PropertyKey[]) => {
      if (slug !== undefined && !exists(table, slug)) {
        issues.push({ path: jsonPath(path), message: `no ${SINGULAR[table]} "${slug}" in the document or the database` });
      }
    };
    for (const [slug, e] of this.doc.entities) {
      need('entities', e.developer, ['entities', slug, 'developer']);
      need('sources', e.wikidataSource, ['entities', slug, 'wikidataSource']);
      if (e.developer === slug) issues.push({ path: jsonPath(['entities', slug, 'developer']), message: 'a product cannot be its own developer' });
      e.participants?.forEach((p, i) => {
        need('entities', p.entity, ['entities', slug, 'participants', i, 'entity']);
        if (p.entity === slug) issues.push({ path: jsonPath(['entities', slug, 'participants', i, 'entity']), message: 'an event cannot take part in itself' });
      });
    }
    for (const [slug, s] of this.doc.sources) need('entities', s.publisher, ['sources', slug, 'publisher']);
    for (const [slug, c] of this.doc.claims) {
      need('entities', c.claimant, ['claims', slug, 'claimant']);
      need('sources', c.appearsIn, ['claims', slug, 'appearsIn']);
      c.about.forEach((a, i) => need('entities', a, ['claims', slug, 'about', i]));
      c.citations?.forEach((cit, i) => need('sources', cit.source, ['claims', slug, 'citations', i, 'source']));
      c.contradicts?.forEach((other, i) => {
        need('claims', other, ['claims', slug, 'contradicts', i]);
        if (other === slug) issues.push({ path: jsonPath(['claims', slug, 'contradicts', i]), message: 'a claim cannot contradict itself' });
      });
      c.contradictions?.forEach((x, i) => {
        need('claims', x.claim, ['claims', slug, 'contradictions', i, 'claim']);
        if (x.claim === slug) issues.push({ path: jsonPath(['claims', slug, 'contradictions', i, 'claim']), message: 'a claim cannot contradict itself' });
      });
    }
    issues.push(...this.samePairs());
    for (const [slug, r] of this.doc.relationships) {
      need('entities', r.subject, ['relationships', slug, 'subject']);
      need('entities', r.object, ['relationships', slug, 'object']);
      r.claims?.forEach((c, i) => need('claims', c, ['relationships', slug, 'claims', i]));
    }
    for (const [slug, e] of this.doc.entities) {
      if (e.participants && kindOf(slug) !== 'EVENT') {
        issues.push({ path: jsonPath(['entities', slug, 'participants']), message: 'only events have participants' });
      }
    }
    issues.push(...this.sameRelationships());
    if (issues.length > 0) throw new ImportError(issues, 'references');
  }

  /**
   * A link (subject, predicate, object and validity) is recorded once, as createRelationship
   * insists: two slugs for the same link, in the document or one of them in the database, are refused.
   */
  private sameRelationships(): ImportIssue[] {
    const issues: ImportIssue[] = [];
    const key = (r: ImportRelationship) => JSON.stringify([r.subject, r.predicate, r.object, r.validFrom ?? null, r.validTo ?? null]);
    const first = new Map<string, string>();
    const stored = this.client.prepare(
      `SELECT r.slug FROM relationships r JOIN entities s ON s.id = r.subject_id JOIN entities o ON o.id = r.object_id
       WHERE s.slug = ? AND r.predicate = ? AND o.slug = ? AND r.valid_from IS ? AND r.valid_to IS ? AND r.slug <> ?`,
    );
    for (const [slug, r] of this.doc.relationships) {
      const other = first.get(key(r));
      if (other !== undefined) {
        issues.push({ path: jsonPath(['relationships', slug]), message: `the same link as relationship "${other}" (subject, predicate, object and validity); record it once` });
        continue;
      }
      first.set(key(r), slug);
      const rows = stored.all(r.subject, r.predicate, r.object, r.validFrom ?? null, r.validTo ?? null, slug) as { slug: string }[];
      // A stored link the document moves elsewhere no longer counts; the document's own rows were compared above.
      const clash = rows.find((row) => !this.doc.relationships.has(row.slug));
      if (clash) {
        issues.push({ path: jsonPath(['relationships', slug]), message: `the same link as relationship "${clash.slug}" already in the database (subject, predicate, object and validity); record it once` });
      }
    }
    return issues;
  }

  /** A pair listed on both of its claims must give the same basis on both: it is one link. */
  private samePairs(): ImportIssue[] {
    const issues: ImportIssue[] = [];
    const seen = new Map<string, { basis: string; from: string }>();
    for (const [slug, claim] of this.doc.claims) {
      for (const [i, x] of this.contradictionsIn(claim).entries()) {
        const pair = [slug, x.claim].sort().join('\u0000');
        const basis = JSON.stringify([x.basis, x.note, x.quote]);
        const before = seen.get(pair);
        if (!before) seen.set(pair, { basis, from: slug });
        else if (before.basis !== basis) {
          issues.push({
            path: jsonPath(i < (claim.contradictions?.length ?? 0) ? ['claims', slug, 'contradictions', i] : ['claims', slug, 'contradicts', i - (claim.contradictions?.length ?? 0)]),
            message: `claim "${before.from}" lists this contradiction with another basis; it is one link: give it once, or the same on both`,
          });
        }
      }
    }
    return issues;
  }

  /** A claim's contradictions with their bases: those of `contradicts` are INFERRED, with NO_BASIS_NOTE. */
  private contradictionsIn(claim: ImportClaim): { claim: string; basis: string; note: string | null; quote: string | null }[] {
    return [
      ...(claim.contradictions ?? []).map((x) => ({ claim: x.claim, basis: x.basis, note: x.note ?? null, quote: x.quote ?? null })),
      ...(claim.contradicts ?? []).map((other) => ({ claim: other, basis: 'INFERRED', note: NO_BASIS_NOTE, quote: null })),
    ];
  }

  /** An entity's wikidataSource, set once the document's sources have ids. */
  private linkWikidataSource(slug: string, e: ImportEntity) {
    const id = this.idOf('entities', slug);
    const sourceId = e.wikidataSource ? this.idOf('sources', e.wikidataSource) : null;
    const current = this.client.prepare('SELECT wikidata_source_id AS s FROM entities WHERE id = ?').get(id) as { s: number | null };
    if (current.s === sourceId) return;
    this.client.prepare('UPDATE entities SET wikidata_source_id = ? WHERE id = ?').run(sourceId, id);
    this.touch('entities', id, this.wasCreated('entities', id));
  }

  private idOf(table: 'entities' | 'sources' | 'claims', slug: string): number {
    const known = this.ids[table].get(slug);
    if (known !== undefined) return known;
    const row = this.client.prepare(`SELECT id FROM ${table} WHERE slug = ?`).get(slug) as { id: number } | undefined;
    if (!row) throw new ImportError([{ path: '$', message: `no ${SINGULAR[table]} "${slug}"` }], 'references');
    this.ids[table].set(slug, row.id);
    return row.id;
  }

  private upsertEntity(slug: string, e: ImportEntity) {
    const id = this.upsert('entities', slug, {
      kind: e.kind,
      ...columnValues('entities', e),
      // Cleared in the same statement as a change of kind (the table CHECKs that only products
      // have a developer); a developer is set by linkEntity once every entity has an id.
      ...(e.developer === undefined ? { developer_id: null } : {}),
      // Likewise its Wikidata source (the table CHECKs that it goes with an id), set by linkWikidataSource.
      ...(e.wikidataSource === undefined ? { wikidata_source_id: null } : {}),
    });
    this.ids.entities.set(slug, id);
  }

  /** References between entities, set once every entity of the document has an id. */
  private linkEntity(slug: string, e: ImportEntity) {
    const id = this.idOf('entities', slug);
    let changed = false;
    const developerId = e.developer ? this.idOf('entities', e.developer) : null;
    const current = this.client.prepare('SELECT developer_id AS d FROM entities WHERE id = ?').get(id) as { d: number | null };
    if (current.d !== developerId) {
      this.client.prepare('UPDATE entities SET developer_id = ? WHERE id = ?').run(developerId, id);
      changed = true;
    }
    const aliases = e.aliases ?? [];
    const existing = (
      this.client.prepare('SELECT alias FROM entity_aliases WHERE entity_id = ? ORDER BY position').all(id) as { alias: string }[]
    ).map((a) => a.alias);
    if (existing.join('\u0000') !== aliases.join('\u0000')) {
      this.client.prepare('DELETE FROM entity_aliases WHERE entity_id = ?').run(id);
      const insert = this.client.prepare('INSERT INTO entity_aliases (entity_id, alias, position) VALUES (?, ?, ?)');
      aliases.forEach((alias, position) => insert.run(id, alias, position));
      changed = true;
    }
    // Synced for every kind: an entity that stops being an event loses its participants.
    if (this.syncParticipants(id, e.participants ?? [])) changed = true;
    if (changed) this.touch('entities', id, this.wasCreated('entities', id));
  }

  /** Makes an event's participants those listed, keeping the rows (and their ids) that stay. */
  private syncParticipants(eventId: number, participants: { entity: string; role: string }[]): boolean {
    let changed = false;
    const wanted = new Map(participants.map((p) => [`${this.idOf('entities', p.entity)}\u0000${p.role}`, p]));
    const rows = this.client
      .prepare('SELECT id, entity_id AS entityId, role FROM event_participants WHERE event_id = ? ORDER BY id')
      .all(eventId) as { id: number; entityId: number; role: string }[];
    for (const row of rows) {
      if (!wanted.delete(`${row.entityId}\u0000${row.role}`)) {
        this.client.prepare('DELETE FROM event_participants WHERE id = ?').run(row.id);
        changed = true;
      }
    }
    const insert = this.client.prepare('INSERT INTO event_participants (event_id, entity_id, role) VALUES (?, ?, ?)');
    for (const p of wanted.values()) {
      insert.run(eventId, this.idOf('entities', p.entity), p.role);
      changed = true;
    }
    return changed;
  }

  private linkClaim(slug: string, claim: ImportClaim) {
    const id = this.idOf('claims', slug);
    let changed = this.syncSet('claim_subjects', 'claim_id', id, 'entity_id', claim.about.map((a) => this.idOf('entities', a)));
    const wanted = new Map(
      (claim.citations ?? []).map((c) => [`${this.idOf('sources', c.source)}\u0000${c.stance}\u0000${c.locator ?? ''}`, c]),
    );
    const rows = this.client
      .prepare("SELECT id, source_id AS s, stance, coalesce(locator, '') AS l, quote FROM citations WHERE claim_id = ? ORDER BY id")
      .all(id) as { id: number; s: number; stance: string; l: string; quote: string | null }[];
    for (const row of rows) {
      const key = `${row.s}\u0000${row.stance}\u0000${row.l}`;
      const want = wanted.get(key);
      if (!want) {
        this.client.prepare('DELETE FROM citations WHERE id = ?').run(row.id);
        changed = true;
      } else {
        wanted.delete(key);
        if ((want.quote ?? null) !== row.quote) {
          this.client.prepare(`UPDATE citations SET quote = ?, updated_at = ${NOW} WHERE id = ?`).run(want.quote ?? null, row.id);
          this.report.updated.citations++;
        }
      }
    }
    const insert = this.client.prepare('INSERT INTO citations (claim_id, source_id, stance, locator, quote) VALUES (?, ?, ?, ?, ?)');
    for (const c of wanted.values()) {
      insert.run(id, this.idOf('sources', c.source), c.stance, c.locator ?? null, c.quote ?? null);
      this.report.created.citations++;
      changed = true;
    }
    if (changed) this.touch('claims', id, this.wasCreated('claims', id));
  }

  /**
   * Contradictions are symmetric: a link listed on either claim is stored both ways, with the same
   * basis on both rows.
   */
  private linkContradictions() {
    type Basis = { basis: string; note: string | null; quote: string | null };
    const wanted = new Map<number, Map<number, Basis>>();
    const add = (a: number, b: number, basis: Basis) => {
      if (!wanted.has(a)) wanted.set(a, new Map());
      wanted.get(a)!.set(b, basis);
    };
    const inDocument = new Set<number>();
    for (const [slug, claim] of this.doc.claims) {
      const id = this.idOf('claims', slug);
      inDocument.add(id);
      if (!wanted.has(id)) wanted.set(id, new Map());
      for (const x of this.contradictionsIn(claim)) {
        const otherId = this.idOf('claims', x.claim);
        const basis = { basis: x.basis, note: x.note, quote: x.quote };
        add(id, otherId, basis);
        add(otherId, id, basis);
      }
    }
    const upsert = this.client.prepare(
      `INSERT INTO claim_contradictions (claim_id, contradicts_id, basis, basis_note, basis_quote) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (claim_id, contradicts_id) DO UPDATE SET basis = excluded.basis, basis_note = excluded.basis_note, basis_quote = excluded.basis_quote
       WHERE basis IS NOT excluded.basis OR basis_note IS NOT excluded.basis_note OR basis_quote IS NOT excluded.basis_quote`,
    );
    const remove = this.client.prepare('DELETE FROM claim_contradictions WHERE (claim_id = ? AND contradicts_id = ?) OR (claim_id = ? AND contradicts_id = ?)');
    for (const [id, others] of wanted) {
      // A claim the document does not list keeps its other links; it gains the reverse rows below.
      if (!inDocument.has(id)) continue;
      const before = this.contradictionsOf(id);
      const changed = new Set<number>();
      for (const other of before.keys()) {
        if (!others.has(other)) {
          remove.run(id, other, other, id);
          changed.add(other);
        }
      }
      for (const [other, b] of others) {
        const row = before.get(other);
        if (row && row.basis === b.basis && row.note === b.note && row.quote === b.quote) continue;
        upsert.run(id, other, b.basis, b.note, b.quote);
        upsert.run(other, id, b.basis, b.note, b.quote);
        changed.add(other);
      }
      if (changed.size > 0) {
        this.touch('claims', id, this.wasCreated('claims', id));
        // The claims that gained, lost or changed the link changed too, in the document or not.
        for (const other of changed) this.touch('claims', other, this.wasCreated('claims', other));
      }
    }
  }

  private contradictionsOf(id: number): Map<number, { basis: string; note: string | null; quote: string | null }> {
    const rows = this.client
      .prepare('SELECT contradicts_id AS v, basis, basis_note AS note, basis_quote AS quote FROM claim_contradictions WHERE claim_id = ?')
      .all(id) as { v: number; basis: string; note: string | null; quote: string | null }[];
    return new Map(rows.map((r) => [r.v, { basis: r.basis, note: r.note, quote: r.quote }]));
  }

  /** Makes the set of `valueColumn` for `ownerId` equal `wanted`; true when anything changed. */
  private syncSet(table: string, ownerColumn: string, ownerId: number, valueColumn: string, wanted: number[]): boolean {
    const have = new Set(
      (this.client.prepare(`SELECT ${valueColumn} AS v FROM ${table} WHERE ${ownerColumn} = ?`).all(ownerId) as { v: number }[]).map((r) => r.v),
    );
    const want = new Set(wanted);
    let changed = false;
    for (const v of have) {
      if (!want.has(v)) {
        this.client.prepare(`DELETE FROM ${table} WHERE ${ownerColumn} = ? AND ${valueColumn} = ?`).run(ownerId, v);
        changed = true;
      }
    }
    const insert = this.client.prepare(`INSERT INTO ${table} (${ownerColumn}, ${valueColumn}) VALUES (?, ?)`);
    for (const v of want) {
      if (!have.has(v)) {
        insert.run(ownerId, v);
        changed = true;
      }
    }
    return changed;
  }

  private readonly created = new Set<string>();
  private wasCreated(table: Table, id: number) {
    return this.created.has(`${table}:${id}`);
  }

  /** Marks a row changed through its links: bumps updated_at, counted once per row. */
  private readonly touched = new Set<string>();
  private touch(table: Table, id: number, created: boolean) {
    const key = `${table}:${id}`;
    if (created || this.touched.has(key)) return;
    this.touched.add(key);
    this.client.prepare(`UPDATE ${table} SET updated_at = ${NOW} WHERE id = ?`).run(id);
    this.report.updated[table]++;
  }

  /** Inserts the row, or updates it when any value differs; returns its id. */
  private upsert(table: Table, slug: string, values: Record<string, string | number | null>): number {
    const columns = Object.keys(values);
    const existing = this.client.prepare(`SELECT id, ${columns.join(', ')} FROM ${table} WHERE slug = ?`).get(slug) as
      | Record<string, string | number | null>
      | undefined;
    if (!existing) {
      const result = this.client
        .prepare(`INSERT INTO ${table} (slug, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`)
        .run(slug, ...Object.values(values));
      const id = Number(result.lastInsertRowid);
      this.created.add(`${table}:${id}`);
      this.report.created[table]++;
      return id;
    }
    const id = existing.id as number;
    const changed = columns.filter((c) => existing[c] !== values[c]);
    if (changed.length > 0) {
      this.client
        .prepare(`UPDATE ${table} SET ${changed.map((c) => `${c} = ?`).join(', ')}, updated_at = ${NOW} WHERE id = ?`)
        .run(...changed.map((c) => values[c]), id);
      this.touched.add(`${table}:${id}`);
      this.report.updated[table]++;
    }
    return id;
  }
}
