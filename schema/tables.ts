import { type SQL, sql } from 'drizzle-orm';
import {
  type AnySQLiteColumn,
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import {
  ATTRIBUTIONS,
  BASIS_KINDS,
  CLAIM_KINDS,
  ENTITY_KINDS,
  EVENT_STATUSES,
  SOURCE_KINDS,
  STANCES,
  SUPPORT_STATUSES,
} from './enums';

/** ISO 8601 text, millisecond precision, UTC: sorts as it reads. */
const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

const timestamps = {
  createdAt: text('created_at').notNull().default(now),
  updatedAt: text('updated_at').notNull().default(now),
};

/** Every table's single-column Relay key. */
const id = () => integer('id').primaryKey({ autoIncrement: true });

/** The stable natural key imports upsert by. */
const slug = () => text('slug').notNull();

const SLUG_GLOB = sql.raw(`'*[^a-z0-9-]*'`);

function oneOf(column: AnySQLiteColumn, values: readonly string[]): SQL {
  return sql`${column} IN (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`;
}

/** A PartialDate: "YYYY", "YYYY-MM" or "YYYY-MM-DD" (the GraphQL scalar checks the calendar). */
function partialDate(column: AnySQLiteColumn): SQL {
  return sql`${column} IS NULL OR ${column} GLOB '[0-9][0-9][0-9][0-9]' OR ${column} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR ${column} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'`;
}

function validSlug(column: AnySQLiteColumn): SQL {
  return sql`length(${column}) BETWEEN 1 AND 200 AND ${column} NOT GLOB ${SLUG_GLOB}`;
}

/**
 * One id space for every actor and happening: organizations, people, events, products, places.
 * Kind-specific columns are NULL unless the row is of that kind (CHECKed below).
 */
export const entities = sqliteTable(
  'entities',
  {
    id: id(),
    slug: slug(),
    kind: text('kind', { enum: ENTITY_KINDS }).notNull(),
    name: text('name').notNull(),
    description: text('description'),
    wikidataId: text('wikidata_id'),
    /** Where the Wikidata id comes from: an outside fact cites its source (a Source "Wikidata"). */
    wikidataSourceId: integer('wikidata_source_id').references((): AnySQLiteColumn => sources.id),
    // ORGANIZATION
    foundedOn: text('founded_on'),
    legalForm: text('legal_form'),
    // PERSON
    occupation: text('occupation'),
    // PRODUCT
    developerId: integer('developer_id').references((): AnySQLiteColumn => entities.id),
    releasedOn: text('released_on'),
    // EVENT
    startDate: text('start_date'),
    endDate: text('end_date'),
    status: text('status', { enum: EVENT_STATUSES }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('entities_slug_unique').on(t.slug),
    index('entities_kind_idx').on(t.kind, t.id),
    index('entities_name_idx').on(t.name, t.id),
    index('entities_kind_name_idx').on(t.kind, t.name, t.id),
    index('entities_name_lower_idx').on(sql`lower(${t.name})`),
    index('entities_developer_idx').on(t.developerId),
    index('entities_wikidata_source_idx').on(t.wikidataSourceId),
    index('entities_timeline_idx').on(t.kind, sql`coalesce(${t.startDate}, '~')`, t.id),
    check('entities_slug_check', validSlug(t.slug)),
    check('entities_kind_check', oneOf(t.kind, ENTITY_KINDS)),
    check('entities_name_check', sql`length(trim(${t.name})) > 0`),
    check('entities_status_check', sql`${t.status} IS NULL OR ${oneOf(t.status, EVENT_STATUSES)}`),
    check('entities_wikidata_check', sql`${t.wikidataId} IS NULL OR ${t.wikidataId} GLOB 'Q[1-9]*'`),
    check('entities_wikidata_source_check', sql`${t.wikidataSourceId} IS NULL OR ${t.wikidataId} IS NOT NULL`),
    check('entities_founded_on_check', partialDate(t.foundedOn)),
    check('entities_released_on_check', partialDate(t.releasedOn)),
    check('entities_start_date_check', partialDate(t.startDate)),
    check('entities_end_date_check', partialDate(t.endDate)),
    check(
      'entities_organization_fields_check',
      sql`${t.kind} = 'ORGANIZATION' OR (${t.foundedOn} IS NULL AND ${t.legalForm} IS NULL)`,
    ),
    check('entities_person_fields_check', sql`${t.kind} = 'PERSON' OR ${t.occupation} IS NULL`),
    check(
      'entities_product_fields_check',
      sql`${t.kind} = 'PRODUCT' OR (${t.developerId} IS NULL AND ${t.releasedOn} IS NULL)`,
    ),
    check(
      'entities_event_fields_check',
      sql`(${t.kind} = 'EVENT') = (${t.status} IS NOT NULL) AND (${t.kind} = 'EVENT' OR (${t.startDate} IS NULL AND ${t.endDate} IS NULL))`,
    ),
  ],
);

/** Other names an entity is known by, in the order they were given. */
export const entityAliases = sqliteTable(
  'entity_aliases',
  {
    id: id(),
    entityId: integer('entity_id')
      .notNull()
      .references(() => entities.id, { onDelete: 'cascade' }),
    alias: text('alias').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [
    uniqueIndex('entity_aliases_entity_alias_unique').on(t.entityId, sql`lower(${t.alias})`),
    index('entity_aliases_entity_position_idx').on(t.entityId, t.position),
    index('entity_aliases_alias_lower_idx').on(sql`lower(${t.alias})`),
    check('entity_aliases_alias_check', sql`length(trim(${t.alias})) > 0`),
  ],
);

/** Who took part in an event, and as what. */
export const eventParticipants = sqliteTable(
  'event_participants',
  {
    id: id(),
    eventId: integer('event_id')
      .notNull()
      .references(() => entities.id, { onDelete: 'cascade' }),
    entityId: integer('entity_id')
      .notNull()
      .references(() => entities.id),
    role: text('role').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('event_participants_natural_key').on(t.eventId, t.entityId, t.role),
    index('event_participants_entity_order_idx').on(t.entityId, t.id, t.eventId),
    check('event_participants_role_check', sql`length(trim(${t.role})) > 0`),
    check('event_participants_not_self_check', sql`${t.eventId} <> ${t.entityId}`),
  ],
);

/** A directed, dated link between two entities: subject -predicate-> object. */
export const relationships = sqliteTable(
  'relationships',
  {
    id: id(),
    slug: slug(),
    subjectId: integer('subject_id')
      .notNull()
      .references(() => entities.id),
    predicate: text('predicate').notNull(),
    label: text('label').notNull(),
    objectId: integer('object_id')
      .notNull()
      .references(() => entities.id),
    validFrom: text('valid_from'),
    validTo: text('valid_to'),
    /**
     * STATED: the claims linked through relationship_claims state it; INFERRED: read from them (or
     * from nothing), with `basisNote` saying from what. Writes always set it; the default is for raw inserts.
     */
    basis: text('basis', { enum: BASIS_KINDS }).notNull().default('INFERRED'),
    basisNote: text('basis_note'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('relationships_slug_unique').on(t.slug),
    index('relationships_subject_idx').on(t.subjectId, t.predicate),
    index('relationships_object_idx').on(t.objectId, t.predicate),
    index('relationships_predicate_idx').on(t.predicate, t.id),
    check('relationships_slug_check', validSlug(t.slug)),
    check(
      'relationships_predicate_check',
      sql`length(${t.predicate}) BETWEEN 1 AND 64 AND ${t.predicate} NOT GLOB '*[^a-z0-9_]*' AND ${t.predicate} GLOB '[a-z]*'`,
    ),
    check('relationships_label_check', sql`length(trim(${t.label})) > 0`),
    check('relationships_valid_from_check', partialDate(t.validFrom)),
    check('relationships_valid_to_check', partialDate(t.validTo)),
  ],
);

/** A document claims are taken from or cited to. */
export const sources = sqliteTable(
  'sources',
  {
    id: id(),
    slug: slug(),
    kind: text('kind', { enum: SOURCE_KINDS }).notNull(),
    title: text('title').notNull(),
    url: text('url'),
    publisherId: integer('publisher_id').references(() => entities.id),
    publishedOn: text('published_on'),
    retrievedOn: text('retrieved_on'),
    label: text('label'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('sources_slug_unique').on(t.slug),
    index('sources_publisher_idx').on(t.publisherId),
    check('sources_slug_check', validSlug(t.slug)),
    check('sources_kind_check', oneOf(t.kind, SOURCE_KINDS)),
    check('sources_title_check', sql`length(trim(${t.title})) > 0`),
    check('sources_published_on_check', partialDate(t.publishedOn)),
    check('sources_retrieved_on_check', partialDate(t.retrievedOn)),
  ],
);

/**
 * Something asserted in a source. `support` is derived from the claim's citations and kept
 * current by triggers (see the citations migration), so it can be filtered and indexed in SQL.
 */
export const claims = sqliteTable(
  'claims',
  {
    id: id(),
    slug: slug(),
    text: text('text').notNull(),
    kind: text('kind', { enum: CLAIM_KINDS }).notNull(),
    claimantId: integer('claimant_id').references(() => entities.id),
    attribution: text('attribution', { enum: ATTRIBUTIONS }).notNull().default('DIRECT'),
    appearsInId: integer('appears_in_id')
      .notNull()
      .references(() => sources.id),
    validFrom: text('valid_from'),
    validTo: text('valid_to'),
    support: text('support', { enum: SUPPORT_STATUSES }).notNull().default('UNSUPPORTED'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('claims_slug_unique').on(t.slug),
    index('claims_claimant_idx').on(t.claimantId, t.id),
    index('claims_appears_in_idx').on(t.appearsInId, t.id),
    index('claims_support_idx').on(t.support, t.id),
    check('claims_slug_check', validSlug(t.slug)),
    check('claims_text_check', sql`length(trim(${t.text})) > 0`),
    check('claims_kind_check', oneOf(t.kind, CLAIM_KINDS)),
    check('claims_attribution_check', oneOf(t.attribution, ATTRIBUTIONS)),
    check('claims_support_check', oneOf(t.support, SUPPORT_STATUSES)),
    check('claims_valid_from_check', partialDate(t.validFrom)),
    check('claims_valid_to_check', partialDate(t.validTo)),
  ],
);

/** The entities a claim is about (events included). */
export const claimSubjects = sqliteTable(
  'claim_subjects',
  {
    id: id(),
    claimId: integer('claim_id')
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
    entityId: integer('entity_id')
      .notNull()
      .references(() => entities.id),
  },
  (t) => [
    uniqueIndex('claim_subjects_natural_key').on(t.claimId, t.entityId),
    index('claim_subjects_entity_idx').on(t.entityId, t.claimId),
  ],
);

/**
 * "Claim A contradicts claim B", stored in both directions so either side reads it directly; both
 * rows carry the same basis: STATED when the source juxtaposes the two (`basisQuote` holds the
 * passage), INFERRED when whoever recorded it drew the opposition (`basisNote` says from what).
 */
export const claimContradictions = sqliteTable(
  'claim_contradictions',
  {
    id: id(),
    claimId: integer('claim_id')
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
    contradictsId: integer('contradicts_id')
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
    basis: text('basis', { enum: BASIS_KINDS }).notNull().default('INFERRED'),
    basisNote: text('basis_note'),
    basisQuote: text('basis_quote'),
  },
  (t) => [
    uniqueIndex('claim_contradictions_natural_key').on(t.claimId, t.contradictsId),
    index('claim_contradictions_reverse_idx').on(t.contradictsId, t.claimId),
    check('claim_contradictions_not_self_check', sql`${t.claimId} <> ${t.contradictsId}`),
  ],
);

/** The claims that assert a relationship. */
export const relationshipClaims = sqliteTable(
  'relationship_claims',
  {
    id: id(),
    relationshipId: integer('relationship_id')
      .notNull()
      .references(() => relationships.id, { onDelete: 'cascade' }),
    claimId: integer('claim_id')
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
  },
  (t) => [
    uniqueIndex('relationship_claims_natural_key').on(t.relationshipId, t.claimId),
    index('relationship_claims_claim_idx').on(t.claimId, t.relationshipId),
  ],
);

/** A source cited for a claim, with its stance towards it. */
export const citations = sqliteTable(
  'citations',
  {
    id: id(),
    claimId: integer('claim_id')
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
    sourceId: integer('source_id')
      .notNull()
      .references(() => sources.id),
    stance: text('stance', { enum: STANCES }).notNull(),
    locator: text('locator'),
    quote: text('quote'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('citations_natural_key').on(
      t.claimId,
      t.sourceId,
      t.stance,
      sql`coalesce(${t.locator}, '')`,
    ),
    index('citations_claim_stance_idx').on(t.claimId, t.stance),
    index('citations_source_stance_order_idx').on(t.sourceId, t.stance, t.id),
    check('citations_stance_check', oneOf(t.stance, STANCES)),
  ],
);

export type EntityRow = typeof entities.$inferSelect;
export type RelationshipRow = typeof relationships.$inferSelect;
export type SourceRow = typeof sources.$inferSelect;
export type ClaimRow = typeof claims.$inferSelect;
export type CitationRow = typeof citations.$inferSelect;

/**
 * The adjacency list: each relationship once from each end, kept by triggers (see migrations/).
 * Traversals read it in either direction through one index; nothing writes it directly.
 */
export const relationshipEnds = sqliteTable(
  'relationship_ends',
  {
    id: id(),
    entityId: integer('entity_id')
      .notNull()
      .references(() => entities.id),
    relationshipId: integer('relationship_id')
      .notNull()
      .references(() => relationships.id, { onDelete: 'cascade' }),
    direction: text('direction', { enum: ['OUTGOING', 'INCOMING'] }).notNull(),
    otherId: integer('other_id')
      .notNull()
      .references(() => entities.id),
  },
  (t) => [
    uniqueIndex('relationship_ends_natural_key').on(t.relationshipId, t.direction),
    index('relationship_ends_entity_idx').on(t.entityId, t.direction, t.id),
    index('relationship_ends_entity_order_idx').on(t.entityId, t.id, t.otherId, t.relationshipId),
    index('relationship_ends_other_idx').on(t.otherId),
    check('relationship_ends_direction_check', sql`${t.direction} IN ('OUTGOING', 'INCOMING')`),
  ],
);

/**
 * What each write sent with a `clientMutationId` did, written in the write's own transaction: a
 * retry with the same key (from the same token) gets the first result back instead of writing
 * again, even when the process died before it could answer. Keyed by a hash of the bearer token
 * and the client's id; `result` holds the ids the payload is rebuilt from. Queries never read it
 * (so it has no cache triggers) and exports leave it out. Kept for a while, then pruned: see
 * src/model/writes/idempotency.ts.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    /** SHA-256 of the bearer token, hex: keys of different tokens never meet, and the token is not stored. */
    writer: text('writer').notNull(),
    clientMutationId: text('client_mutation_id').notNull(),
    /** The Mutation field, e.g. "createClaim". */
    mutation: text('mutation').notNull(),
    /** SHA-256 of the input without its clientMutationId, keys sorted: a retry must send the same. */
    inputHash: text('input_hash').notNull(),
    /** The ids the payload is rebuilt from, as the mutation returned them: {"claimId":12}. */
    result: text('result', { mode: 'json' }).notNull(),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.writer, t.clientMutationId] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
