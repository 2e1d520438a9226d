import type { EntityKind, SourceKind } from '../../schema/enums';
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { engineOf, selectRows } from '../db/engine';
import { ENTITY_TYPE_BY_KIND, encodeGlobalID } from '../domain/ids';

/**
 * The graph as JSON-LD with schema.org's vocabulary, for `GET /id/{globalId}` and
 * `npm run export -- --format jsonld`. Every object with a global id is one node whose `@id` is
 * `<base>/id/<globalId>`: the URL that serves it. What schema.org has no term for (a citation's
 * stance, an edge's basis, a claim's support) is in our own vocabulary, VOCAB below (prefix `cg:`).
 * docs/formats.md has the whole mapping.
 */

/** Our own terms: https://claimgraph.dev/ns#stance and so on. */
export const VOCAB = 'https://claimgraph.dev/ns#';

/**
 * Inline, so a reader needs nothing from the network to expand a document: schema.org is the
 * default vocabulary, `cg:` ours; references are always `{"@id": …}` objects.
 */
export const CONTEXT = { '@vocab': 'https://schema.org/', cg: VOCAB } as const;

/**
 * GROUP (a collective or unnamed claimant: "critics", "many") is an `Organization` that is also a
 * `cg:Group`: schema.org's `author` (a claim's claimant) takes a Person or an Organization, and
 * Organization is the one meant for several people speaking as one; `Audience` (an intended
 * readership) and `PerformingGroup` (a band or troupe) would say something false. The second type
 * keeps the distinction for a reader who knows ours.
 */
const ENTITY_TYPES: Record<EntityKind, string | string[]> = {
  ORGANIZATION: 'Organization',
  PERSON: 'Person',
  EVENT: 'Event',
  PRODUCT: 'Product',
  PLACE: 'Place',
  GROUP: ['Organization', 'cg:Group'],
};

/** The fitting CreativeWork subtype; the source's own kind is kept too (`cg:sourceKind`). */
const SOURCE_TYPES: Record<SourceKind, string> = {
  ARTICLE: 'Article',
  NEWS: 'NewsArticle',
  ENCYCLOPEDIA: 'Article',
  FILING: 'DigitalDocument',
  PRIMARY: 'CreativeWork',
  OTHER: 'CreativeWork',
};

export const WIKIDATA_ENTITY = 'https://www.wikidata.org/wiki/';

export type NodeType = 'Entity' | 'Source' | 'Claim' | 'Relationship' | 'Citation';
type Row = Record<string, string | number | null>;
export type JsonLdNode = Record<string, unknown>;
export interface JsonLdDocument {
  '@context': typeof CONTEXT;
  '@graph': JsonLdNode[];
}

/** Which table holds each GraphQL type's rows (the entity types share one). */
export const TABLE_OF_TYPE: Record<string, NodeType> = {
  ...Object.fromEntries(Object.values(ENTITY_TYPE_BY_KIND).map((type) => [type, 'Entity'])),
  Source: 'Source',
  Claim: 'Claim',
  Relationship: 'Relationship',
  Citation: 'Citation',
};

const TABLES: Record<NodeType, string> = {
  Entity: 'entities',
  Source: 'sources',
  Claim: 'claims',
  Relationship: 'relationships',
  Citation: 'citations',
};

/** Drops null fields and empty lists: a node says only what is known. */
function present(node: JsonLdNode): JsonLdNode {
  return Object.fromEntries(Object.entries(node).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

function groupBy(rows: Row[], key: string): Map<number, Row[]> {
  const groups = new Map<number, Row[]>();
  for (const row of rows) {
    const owner = row[key] as number;
    if (!groups.has(owner)) groups.set(owner, []);
    groups.get(owner)!.push(row);
  }
  return groups;
}

/** One statement the reader needs answered: `?` placeholders, then its parameters. */
interface Query {
  sql: string;
  params: unknown[];
}

/**
 * A computation that reads: it yields each statement it needs and is given back its rows. One
 * reader serves both ways of running it: synchronously over SQLite inside one read transaction
 * (the export command, runSync) and asynchronously over either engine (the /id/ route, runAsync).
 */
type Reads<T> = Generator<Query, T, Row[]>;

function runSync<T>(db: Db, reads: Reads<T>): T {
  let step = reads.next();
  while (!step.done) step = reads.next(db.$client.prepare(step.value.sql).all(...step.value.params) as Row[]);
  return step.value;
}

/** `text` with its `?` placeholders bound to `params`, as a drizzle statement either engine renders. */
function bound(text: string, params: unknown[]): SQL {
  const parts = text.split('?');
  const chunks: SQL[] = [sql.raw(parts[0]!)];
  params.forEach((param, i) => chunks.push(sql`${param}`, sql.raw(parts[i + 1]!)));
  return sql.join(chunks);
}

async function runAsync<T>(db: Db, reads: Reads<T>): Promise<T> {
  let step = reads.next();
  while (!step.done) step = reads.next(await selectRows<Row>(db, bound(step.value.sql, step.value.params)));
  return step.value;
}

function* query(sql: string, params: unknown[] = []): Reads<Row[]> {
  return yield { sql, params };
}

/** `column IN (?, ?, …)` for a list of ids: both engines read it (SQLite's json_each is its own). */
const inList = (column: string, ids: readonly number[]) => `${column} IN (${ids.map(() => '?').join(', ')})`;

/** Reads what the nodes are built from: every row (`ids` null), or the rows of the ids given. */
class Reader {
  private readonly kinds = new Map<number, EntityKind>();
  constructor(readonly base: string) {}

  /** Every entity's kind at once (for the whole graph). */
  *allKinds(): Reads<void> {
    for (const e of yield* query('SELECT id, kind FROM entities')) this.kinds.set(e.id as number, e.kind as EntityKind);
  }

  /** The kinds of the entities `ids` names that are not known yet, in one statement: iri() needs them. */
  *knowKinds(ids: readonly (number | string | null | undefined)[]): Reads<void> {
    const missing = [...new Set(ids.filter((id): id is number | string => id != null).map(Number))].filter((id) => !this.kinds.has(id));
    if (missing.length === 0) return;
    for (const e of yield* query(`SELECT id, kind FROM entities WHERE ${inList('id', missing)}`, missing)) this.kinds.set(e.id as number, e.kind as EntityKind);
  }

  private kind(id: number): EntityKind {
    const kind = this.kinds.get(id);
    if (!kind) throw new Error(`jsonld: the kind of entity ${id} was not read first (knowKinds)`);
    return kind;
  }

  *all(sql: string, params: unknown[]): Reads<Row[]> {
    return yield* query(sql, params);
  }

  /** `SELECT … WHERE column IN ids` (all rows when ids is null), ordered by `order`. */
  *rows(sql: string, column: string, ids: number[] | null, order: string): Reads<Row[]> {
    if (ids === null) return yield* query(`${sql} ORDER BY ${order}`);
    if (ids.length === 0) return [];
    return yield* query(`${sql} WHERE ${inList(column, ids)} ORDER BY ${order}`, ids);
  }

  iri(type: NodeType, id: number | string): string {
    const typename = type === 'Entity' ? ENTITY_TYPE_BY_KIND[this.kind(Number(id))] : type;
    return `${this.base}/id/${encodeGlobalID(typename, id)}`;
  }

  ref(type: NodeType, id: number | string | null | undefined): { '@id': string } | null {
    return id == null ? null : { '@id': this.iri(type, id) };
  }

  *entities(ids: number[] | null): Reads<JsonLdNode[]> {
    const aliases = groupBy(yield* this.rows('SELECT entity_id, alias FROM entity_aliases', 'entity_id', ids, 'entity_id, position, id'), 'entity_id');
    const participantRows = yield* this.rows('SELECT event_id, entity_id, role FROM event_participants', 'event_id', ids, 'event_id, id');
    const participants = groupBy(participantRows, 'event_id');
    const rows = yield* this.rows('SELECT * FROM entities', 'id', ids, 'id');
    for (const e of rows) this.kinds.set(e.id as number, e.kind as EntityKind);
    yield* this.knowKinds([...rows.map((e) => e.developer_id), ...participantRows.map((p) => p.entity_id)]);
    return rows.map((e) => {
      const id = e.id as number;
      const kind = e.kind as EntityKind;
      return present({
        '@id': this.iri('Entity', id),
        '@type': ENTITY_TYPES[kind],
        'cg:slug': e.slug,
        name: e.name,
        alternateName: (aliases.get(id) ?? []).map((a) => a.alias),
        description: e.description,
        sameAs: e.wikidata_id == null ? null : { '@id': `${WIKIDATA_ENTITY}${e.wikidata_id}` },
        'cg:wikidataSource': this.ref('Source', e.wikidata_source_id),
        foundingDate: e.founded_on,
        'cg:legalForm': e.legal_form,
        jobTitle: e.occupation,
        manufacturer: this.ref('Entity', e.developer_id),
        releaseDate: e.released_on,
        startDate: e.start_date,
        endDate: e.end_date,
        'cg:eventStatus': e.status,
        // schema.org's Role: the participant in `attendee`, the part it played in `roleName`.
        attendee: (participants.get(id) ?? []).map((p) => ({ '@type': 'Role', roleName: p.role, attendee: this.ref('Entity', p.entity_id) })),
        dateCreated: e.created_at,
        dateModified: e.updated_at,
      });
    });
  }

  *sources(ids: number[] | null): Reads<JsonLdNode[]> {
    const rows = yield* this.rows('SELECT * FROM sources', 'id', ids, 'id');
    yield* this.knowKinds(rows.map((s) => s.publisher_id));
    return rows.map((s) =>
      present({
        '@id': this.iri('Source', s.id!),
        '@type': SOURCE_TYPES[s.kind as SourceKind],
        'cg:slug': s.slug,
        'cg:sourceKind': s.kind,
        name: s.title,
        url: s.url == null ? null : { '@id': s.url },
        publisher: this.ref('Entity', s.publisher_id),
        datePublished: s.published_on,
        'cg:retrievedOn': s.retrieved_on,
        'cg:label': s.label,
      }),
    );
  }

  *claims(ids: number[] | null): Reads<JsonLdNode[]> {
    const aboutRows = yield* this.rows('SELECT claim_id, entity_id FROM claim_subjects', 'claim_id', ids, 'claim_id, id');
    const about = groupBy(aboutRows, 'claim_id');
    const citations = groupBy(yield* this.rows('SELECT id, claim_id, source_id FROM citations', 'claim_id', ids, 'claim_id, id'), 'claim_id');
    const contradictions = groupBy(
      yield* this.rows('SELECT claim_id, contradicts_id, basis, basis_note, basis_quote FROM claim_contradictions', 'claim_id', ids, 'claim_id, contradicts_id'),
      'claim_id',
    );
    const rows = yield* this.rows('SELECT * FROM claims', 'id', ids, 'id');
    yield* this.knowKinds([...rows.map((c) => c.claimant_id), ...aboutRows.map((a) => a.entity_id)]);
    return rows.map((c) => {
      const id = c.id as number;
      const cited = citations.get(id) ?? [];
      return present({
        '@id': this.iri('Claim', id),
        '@type': 'Claim',
        'cg:slug': c.slug,
        text: c.text,
        'cg:claimKind': c.kind,
        author: this.ref('Entity', c.claimant_id),
        'cg:attribution': c.attribution,
        appearance: this.ref('Source', c.appears_in_id),
        about: (about.get(id) ?? []).map((a) => this.ref('Entity', a.entity_id)),
        // schema.org's `citation` names the sources; ours (`cg:cites`) the citations, each with its stance.
        citation: [...new Set(cited.map((x) => x.source_id as number))].map((source) => this.ref('Source', source)),
        'cg:cites': cited.map((x) => this.ref('Citation', x.id)),
        'cg:support': c.support,
        'cg:validFrom': c.valid_from,
        'cg:validTo': c.valid_to,
        'cg:contradicts': (contradictions.get(id) ?? []).map((x) =>
          present({
            '@type': 'cg:Contradiction',
            'cg:claim': this.ref('Claim', x.contradicts_id),
            'cg:basis': x.basis,
            'cg:basisNote': x.basis_note,
            'cg:basisQuote': x.basis_quote,
          }),
        ),
        dateCreated: c.created_at,
        dateModified: c.updated_at,
      });
    });
  }

  *citations(ids: number[] | null): Reads<JsonLdNode[]> {
    return (yield* this.rows('SELECT * FROM citations', 'id', ids, 'id')).map((x) =>
      present({
        '@id': this.iri('Citation', x.id!),
        '@type': 'cg:Citation',
        'cg:claim': this.ref('Claim', x.claim_id),
        'cg:source': this.ref('Source', x.source_id),
        'cg:stance': x.stance,
        'cg:locator': x.locator,
        'cg:quote': x.quote,
      }),
    );
  }

  /** A relationship is a reified triple (subject, predicate, object) with its dates and basis. */
  *relationships(ids: number[] | null): Reads<JsonLdNode[]> {
    const asserting = groupBy(yield* this.rows('SELECT relationship_id, claim_id FROM relationship_claims', 'relationship_id', ids, 'relationship_id, id'), 'relationship_id');
    const rows = yield* this.rows('SELECT * FROM relationships', 'id', ids, 'id');
    yield* this.knowKinds(rows.flatMap((r) => [r.subject_id, r.object_id]));
    return rows.map((r) =>
      present({
        '@id': this.iri('Relationship', r.id!),
        '@type': 'cg:Relationship',
        'cg:slug': r.slug,
        'cg:subject': this.ref('Entity', r.subject_id),
        'cg:predicate': r.predicate,
        name: r.label,
        'cg:object': this.ref('Entity', r.object_id),
        'cg:validFrom': r.valid_from,
        'cg:validTo': r.valid_to,
        'cg:basis': r.basis,
        'cg:basisNote': r.basis_note,
        'cg:basisClaims': (asserting.get(r.id as number) ?? []).map((x) => this.ref('Claim', x.claim_id)),
      }),
    );
  }

  *nodes(type: NodeType, ids: number[] | null): Reads<JsonLdNode[]> {
    switch (type) {
      case 'Entity':
        return yield* this.entities(ids);
      case 'Source':
        return yield* this.sources(ids);
      case 'Claim':
        return yield* this.claims(ids);
      case 'Relationship':
        return yield* this.relationships(ids);
      case 'Citation':
        return yield* this.citations(ids);
    }
  }

  /** Just enough to show a link: the @id, the type and the name (or text; a citation's stance and source). */
  *brief(type: NodeType, ids: number[]): Reads<JsonLdNode[]> {
    const keep = new Set(['@id', '@type', 'name', 'text', 'cg:slug', 'cg:stance', 'cg:source']);
    return (yield* this.nodes(type, ids)).map((node) => Object.fromEntries(Object.entries(node).filter(([key]) => keep.has(key))));
  }
}

/** The whole graph as one `@graph` document: entities, sources, claims, citations, relationships. */
export function graphJsonLd(db: Db, base: string): JsonLdDocument {
  return db.$client.transaction((): JsonLdDocument => runSync(db, wholeGraph(base)))();
}

function* wholeGraph(base: string): Reads<JsonLdDocument> {
  const reader = new Reader(base);
  yield* reader.allKinds();
  const graph: JsonLdNode[] = [];
  for (const type of ['Entity', 'Source', 'Claim', 'Citation', 'Relationship'] as const) graph.push(...(yield* reader.nodes(type, null)));
  return { '@context': CONTEXT, '@graph': graph };
}

/** Every `{"@id"}` a node links to, nested ones included. */
function linksOf(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) linksOf(item, into);
  else if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === '@id') into.add(entries[0]![1] as string);
    else for (const [key, item] of entries) if (key !== '@id') linksOf(item, into);
  }
  return into;
}

/** The most relationships an entity's answer at /id/ holds (the oldest); GraphQL pages through the rest. */
export const MAX_LINKED_RELATIONSHIPS = 100;

/**
 * One object and its immediate links: its own node in full (for an entity, with the first
 * MAX_LINKED_RELATIONSHIPS relationships it is an end of), then a brief node (id, type, name) for everything those link to. Null when
 * there is no such row.
 */
export async function objectJsonLd(db: Db, base: string, typename: string, id: number): Promise<JsonLdDocument | null> {
  const type = TABLE_OF_TYPE[typename];
  if (!type) return null;
  const reads = objectReads(base, type, typename, id);
  // SQLite: one read transaction, as before; other engines: statement by statement.
  return engineOf(db) === undefined || engineOf(db)!.name === 'sqlite' ? db.$client.transaction(() => runSync(db, reads))() : runAsync(db, reads);
}

function* objectReads(base: string, type: NodeType, typename: string, id: number): Reads<JsonLdDocument | null> {
  const [row] = yield* query(`SELECT ${type === 'Entity' ? 'kind' : 'id'} AS k FROM ${TABLES[type]} WHERE id = ?`, [id]);
  // An entity's id names its kind: Person:3 is no id of an organization.
  if (!row || (type === 'Entity' && ENTITY_TYPE_BY_KIND[row.k as EntityKind] !== typename)) return null;
  const reader = new Reader(base);
  const full = yield* reader.nodes(type, [id]);
  if (type === 'Entity') {
    const edges = yield* reader.all('SELECT id FROM relationships WHERE subject_id = ? OR object_id = ? ORDER BY id LIMIT ?', [id, id, MAX_LINKED_RELATIONSHIPS]);
    full.push(...(yield* reader.relationships(edges.map((e) => e.id as number))));
  }
  const shown = new Set(full.map((node) => node['@id'] as string));
  const wanted = new Map<NodeType, number[]>();
  for (const iri of linksOf(full, new Set())) {
    if (shown.has(iri) || !iri.startsWith(`${base}/id/`)) continue;
    const { typename: linked, id: linkedId } = decodeIri(iri.slice(`${base}/id/`.length));
    const linkedType = TABLE_OF_TYPE[linked]!;
    wanted.set(linkedType, [...(wanted.get(linkedType) ?? []), linkedId]);
  }
  const brief: JsonLdNode[] = [];
  for (const [linkedType, ids] of wanted) brief.push(...(yield* reader.brief(linkedType, ids)));
  return { '@context': CONTEXT, '@graph': [...full, ...brief] };
}

/** A global id this module wrote (a base64 id may hold a slash, so the caller cuts the base off). */
function decodeIri(globalId: string): { typename: string; id: number } {
  const raw = Buffer.from(globalId, 'base64').toString('utf8');
  const [typename, id] = raw.split(':');
  return { typename: typename!, id: Number(id) };
}
