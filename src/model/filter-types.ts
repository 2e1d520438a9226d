import { type SQL, sql } from 'drizzle-orm';
import {
  ATTRIBUTIONS,
  BASIS_KINDS,
  CLAIM_KINDS,
  ENTITY_KINDS,
  type EntityKind,
  EVENT_STATUSES,
  SOURCE_KINDS,
  STANCES,
  SUPPORT_STATUSES,
} from '../../schema/enums';
import { ENTITY_TYPE_BY_KIND, ENTITY_TYPE_NAMES } from '../domain/ids';
import { FOLDED_CASE } from '../domain/text';

/**
 * What each type of the graph can be filtered, ordered and grouped by: declared once here, from
 * which src/model/filter-language.ts compiles SQL and src/graphql/filters.ts builds the GraphQL
 * inputs (`ClaimFilter`, `ClaimOrderBy`, `ClaimGroupField`, …) with these descriptions.
 */

export type FilterType = 'Claim' | 'Entity' | 'Event' | 'Relationship' | 'Source' | 'Citation';

type Row = SQL;

interface Described {
  description: string;
  /** For Entity: the kinds that have this field (all when absent). */
  kinds?: readonly EntityKind[];
}

export type ScalarField = Described &
  (
    | { kind: 'id'; column: string; types: readonly string[] }
    | { kind: 'text'; column: string; nullable: boolean }
    | { kind: 'enum'; column: string; values: readonly string[]; enumName: string; nullable: boolean }
    | { kind: 'date'; column: string }
    | { kind: 'timestamp'; column: string }
  );

/** A to-one relation through a column of the row: the filter is the target's. */
export type OneRelation = Described & { kind: 'one'; target: FilterType; column: string };
/** Whether a nullable to-one relation is set (`claimantExists: true`). */
export type ExistsField = Described & { kind: 'exists'; column: string };
/**
 * A to-many relation: the related rows (`target` aliases them) joined to the row, as a FROM and a
 * WHERE of a correlated subquery. `link` aliases a link table when there is one.
 */
export type ManyRelation = Described & {
  kind: 'many';
  target: FilterType;
  join: (row: Row, target: Row, link: Row) => { from: SQL; where: SQL };
  /** Types whose tags cover the link rows, besides the target's. */
  linkTags?: readonly FilterType[];
};

export type FieldSpec = ScalarField | OneRelation | ExistsField | ManyRelation;

export interface OrderSpec {
  description: string;
  expression: (row: Row) => SQL;
  nullable: boolean;
  /** Text values (else whole numbers). */
  text: boolean;
}

export interface GroupSpec {
  description: string;
  key: (row: Row) => SQL;
  /** The key is a global id's "Type:id" (an object), not a value. */
  object?: boolean;
}

export interface TypeSpec {
  table: string;
  /** The cache tag type of its rows. */
  tag: string;
  /** A condition every row of this type meets within its table (events among entities). */
  only?: (row: Row) => SQL;
  fields: Record<string, FieldSpec>;
  order: Record<string, OrderSpec>;
  group: Record<string, GroupSpec>;
}

/** Rows known only by their id, as a link row names them: see rowKnownById. */
const linkedIds = new WeakMap<Row, SQL>();
/** The rows of linkedIds whose other columns a condition asked for. */
const readColumns = new WeakSet<Row>();

/**
 * A row of which only the id is at hand (`claim_subjects.claim_id` for a claim): a condition on it
 * that reads nothing but its id needs no lookup of the row itself, which at a hub of 40,000 links
 * is most of the work. `readsColumns` says afterwards whether the condition read more.
 */
export function rowKnownById(id: SQL): Row {
  const row = sql`${sql.identifier('n')}`;
  linkedIds.set(row, id);
  return row;
}
export const readsColumns = (row: Row) => readColumns.has(row);

/** A column of a row (its table or alias). */
export function col(row: Row, name: string): SQL {
  const id = linkedIds.get(row);
  if (id && name === 'id') return id;
  if (id) readColumns.add(row);
  return sql`${row}.${sql.identifier(name)}`;
}
const tbl = (name: string) => sql.identifier(name);

/** "Organization:3" for an entity row id: the type its global id is of. */
const entityRef = (id: SQL) =>
  sql`(SELECT CASE k.kind ${sql.raw(
    Object.entries(ENTITY_TYPE_BY_KIND)
      .map(([kind, type]) => `WHEN '${kind}' THEN '${type}:'`)
      .join(' '),
  )} END || k.id FROM entities k WHERE k.id = ${id})`;
const ref = (type: string, id: SQL) => sql`CASE WHEN ${id} IS NULL THEN NULL ELSE ${`${type}:`} || ${id} END`;
const year = (date: SQL) => sql`substr(${date}, 1, 4)`;

const id = (types: readonly string[], what: string): ScalarField => ({ kind: 'id', column: 'id', types, description: `The ${what}'s global id.` });
const text = (column: string, description: string, nullable = false, kinds?: readonly EntityKind[]): ScalarField => ({ kind: 'text', column, nullable, description, kinds });
const date = (column: string, description: string, kinds?: readonly EntityKind[]): ScalarField => ({ kind: 'date', column, description, kinds });
const enumField = (column: string, enumName: string, values: readonly string[], description: string, nullable = false, kinds?: readonly EntityKind[]): ScalarField => ({
  kind: 'enum',
  column,
  enumName,
  values,
  nullable,
  description,
  kinds,
});
const timestamps = {
  createdAt: { kind: 'timestamp', column: 'created_at', description: 'When it was recorded (ISO 8601 UTC; a prefix such as "2026-11" compares as text).' },
  updatedAt: { kind: 'timestamp', column: 'updated_at', description: 'When it last changed (ISO 8601 UTC).' },
} satisfies Record<string, FieldSpec>;

const column = (name: string, description: string, nullable: boolean, isText = true): OrderSpec => ({
  description,
  expression: (row) => col(row, name),
  nullable,
  text: isText,
});
const timestampOrders = {
  CREATED_AT: column('created_at', 'When it was recorded.', false),
  UPDATED_AT: column('updated_at', 'When it last changed.', false),
};
const ID_ORDER = column('id', 'The order it was recorded in (its row id).', false, false);

const claimsOf = (where: (row: Row, target: Row) => SQL): ManyRelation['join'] => (row, target) => ({
  from: sql`${tbl('claims')} ${target}`,
  where: where(row, target),
});

export const FILTER_TYPES: Record<FilterType, TypeSpec> = {
  Claim: {
    table: 'claims',
    tag: 'Claim',
    fields: {
      id: id(['Claim'], 'claim'),
      text: text('text', `The assertion; \`contains\`/\`startsWith\` ignore ${FOLDED_CASE}.`),
      kind: enumField('kind', 'ClaimKind', CLAIM_KINDS, 'Fact, position, opinion or anecdote.'),
      attribution: enumField('attribution', 'Attribution', ATTRIBUTIONS, 'DIRECT or REPORTED.'),
      support: enumField('support', 'SupportStatus', SUPPORT_STATUSES, 'Its standing, derived from its citations.'),
      validFrom: date('valid_from', 'From when it holds (a partial date is an interval).'),
      validTo: date('valid_to', 'Until when it holds.'),
      ...timestamps,
      claimant: { kind: 'one', target: 'Entity', column: 'claimant_id', description: 'Who asserts it: claims whose claimant matches.' },
      claimantExists: { kind: 'exists', column: 'claimant_id', description: 'true: it has a claimant; false: the source asserts it in its own voice.' },
      appearsIn: { kind: 'one', target: 'Source', column: 'appears_in_id', description: 'The document it was taken from.' },
      about: {
        kind: 'many',
        target: 'Entity',
        description: 'The entities it is about.',
        linkTags: ['Claim'],
        join: (row, target, link) => ({
          from: sql`${tbl('claim_subjects')} ${link} JOIN ${tbl('entities')} ${target} ON ${target}.id = ${link}.entity_id`,
          where: sql`${link}.claim_id = ${col(row, 'id')}`,
        }),
      },
      citations: {
        kind: 'many',
        target: 'Citation',
        description: 'Its citations: `{ none: {} }` is an uncited claim, `{ some: { stance: { eq: SUPPORTS } } }` a backed one.',
        join: (row, target) => ({ from: sql`${tbl('citations')} ${target}`, where: sql`${target}.claim_id = ${col(row, 'id')}` }),
      },
      contradicts: {
        kind: 'many',
        target: 'Claim',
        description: 'The claims it contradicts.',
        join: (row, target, link) => ({
          from: sql`${tbl('claim_contradictions')} ${link} JOIN ${tbl('claims')} ${target} ON ${target}.id = ${link}.contradicts_id`,
          where: sql`${link}.claim_id = ${col(row, 'id')}`,
        }),
      },
      relationships: {
        kind: 'many',
        target: 'Relationship',
        description: 'The relationships it asserts.',
        linkTags: ['Claim'],
        join: (row, target, link) => ({
          from: sql`${tbl('relationship_claims')} ${link} JOIN ${tbl('relationships')} ${target} ON ${target}.id = ${link}.relationship_id`,
          where: sql`${link}.claim_id = ${col(row, 'id')}`,
        }),
      },
    },
    order: {
      ID: ID_ORDER,
      VALID_FROM: column('valid_from', 'From when it holds; undated last.', true),
      VALID_TO: column('valid_to', 'Until when it holds; undated last.', true),
      KIND: column('kind', 'Its kind, alphabetically.', false),
      SUPPORT: column('support', 'Its standing, alphabetically.', false),
      ...timestampOrders,
    },
    group: {
      KIND: { description: 'Its kind.', key: (row) => col(row, 'kind') },
      SUPPORT: { description: 'Its standing.', key: (row) => col(row, 'support') },
      ATTRIBUTION: { description: 'DIRECT or REPORTED.', key: (row) => col(row, 'attribution') },
      CLAIMANT: { description: 'Its claimant (null: the source’s own voice).', key: (row) => entityRef(col(row, 'claimant_id')), object: true },
      APPEARS_IN: { description: 'The source it appears in.', key: (row) => ref('Source', col(row, 'appears_in_id')), object: true },
    },
  },
  Entity: {
    table: 'entities',
    tag: 'Entity',
    fields: {
      id: id(ENTITY_TYPE_NAMES, 'entity'),
      kind: enumField('kind', 'EntityKind', ENTITY_KINDS, 'What sort of entity it is.'),
      name: text('name', `Its name; \`contains\`/\`startsWith\` ignore ${FOLDED_CASE}.`),
      description: text('description', 'Its description.', true),
      wikidataId: text('wikidata_id', 'Its Wikidata item, e.g. "Q317521".', true),
      ...timestamps,
      foundedOn: date('founded_on', 'Organizations: when founded.', ['ORGANIZATION']),
      legalForm: text('legal_form', 'Organizations: the legal form.', true, ['ORGANIZATION']),
      occupation: text('occupation', 'People: the occupation.', true, ['PERSON']),
      releasedOn: date('released_on', 'Products: when released.', ['PRODUCT']),
      developer: { kind: 'one', target: 'Entity', column: 'developer_id', description: 'Products: who develops it.', kinds: ['PRODUCT'] },
      startDate: date('start_date', 'Events: when it began.', ['EVENT']),
      endDate: date('end_date', 'Events: when it ended.', ['EVENT']),
      status: enumField('status', 'EventStatus', EVENT_STATUSES, 'Events: whether it took place.', true, ['EVENT']),
      claimsAbout: {
        kind: 'many',
        target: 'Claim',
        description: 'The claims about it: `{ none: { support: { eq: SUPPORTED } } }` is an entity none of whose claims is supported.',
        linkTags: ['Claim'],
        join: (row, target, link) => ({
          from: sql`${tbl('claim_subjects')} ${link} JOIN ${tbl('claims')} ${target} ON ${target}.id = ${link}.claim_id`,
          where: sql`${link}.entity_id = ${col(row, 'id')}`,
        }),
      },
      claimsMade: { kind: 'many', target: 'Claim', description: 'The claims it is the claimant of.', join: claimsOf((row, t) => sql`${t}.claimant_id = ${col(row, 'id')}`) },
      relationships: {
        kind: 'many',
        target: 'Relationship',
        description: 'The relationships it is the subject or object of.',
        join: (row, target, link) => ({
          from: sql`${tbl('relationship_ends')} ${link} JOIN ${tbl('relationships')} ${target} ON ${target}.id = ${link}.relationship_id`,
          where: sql`${link}.entity_id = ${col(row, 'id')}`,
        }),
      },
      events: {
        kind: 'many',
        target: 'Event',
        description: 'The events it took part in.',
        linkTags: ['Entity'],
        join: (row, target, link) => ({
          from: sql`${tbl('event_participants')} ${link} JOIN ${tbl('entities')} ${target} ON ${target}.id = ${link}.event_id`,
          where: sql`${link}.entity_id = ${col(row, 'id')}`,
        }),
      },
      participants: {
        kind: 'many',
        target: 'Entity',
        description: 'Events: who took part.',
        kinds: ['EVENT'],
        join: (row, target, link) => ({
          from: sql`${tbl('event_participants')} ${link} JOIN ${tbl('entities')} ${target} ON ${target}.id = ${link}.entity_id`,
          where: sql`${link}.event_id = ${col(row, 'id')}`,
        }),
      },
    },
    order: {
      ID: ID_ORDER,
      NAME: column('name', 'Its name, in code-point order.', false),
      KIND: column('kind', 'Its kind, alphabetically.', false),
      START_DATE: column('start_date', 'Events: when it began; undated (and other kinds) last.', true),
      ...timestampOrders,
    },
    group: {
      KIND: { description: 'Its kind.', key: (row) => col(row, 'kind') },
      STATUS: { description: 'Events: whether it took place (null for other kinds).', key: (row) => col(row, 'status') },
      START_YEAR: { description: 'Events: the year it began (null when undated).', key: (row) => year(col(row, 'start_date')) },
    },
  },
  // Filled in below: an Entity restricted to events, without the fields other kinds have.
  Event: undefined as never,
  Relationship: {
    table: 'relationships',
    tag: 'Relationship',
    fields: {
      id: id(['Relationship'], 'relationship'),
      predicate: text('predicate', 'Its snake_case key, e.g. "co_founded".'),
      label: text('label', 'Its human wording.'),
      basis: enumField('basis', 'BasisKind', BASIS_KINDS, 'STATED: its claims state it; INFERRED: read from them or from elsewhere. `{ eq: STATED }` keeps only stated links.'),
      validFrom: date('valid_from', 'When it began to hold.'),
      validTo: date('valid_to', 'When it stopped holding.'),
      ...timestamps,
      subject: { kind: 'one', target: 'Entity', column: 'subject_id', description: 'The entity it starts from.' },
      object: { kind: 'one', target: 'Entity', column: 'object_id', description: 'The entity it points to.' },
      claims: {
        kind: 'many',
        target: 'Claim',
        description: 'The claims that assert it.',
        linkTags: ['Relationship'],
        join: (row, target, link) => ({
          from: sql`${tbl('relationship_claims')} ${link} JOIN ${tbl('claims')} ${target} ON ${target}.id = ${link}.claim_id`,
          where: sql`${link}.relationship_id = ${col(row, 'id')}`,
        }),
      },
    },
    order: {
      ID: ID_ORDER,
      PREDICATE: column('predicate', 'Its predicate, alphabetically.', false),
      VALID_FROM: column('valid_from', 'When it began; unknown last.', true),
      VALID_TO: column('valid_to', 'When it ended; unknown last.', true),
      ...timestampOrders,
    },
    group: {
      PREDICATE: { description: 'Its predicate.', key: (row) => col(row, 'predicate') },
      BASIS: { description: 'STATED or INFERRED.', key: (row) => col(row, 'basis') },
      SUBJECT: { description: 'The entity it starts from.', key: (row) => entityRef(col(row, 'subject_id')), object: true },
      OBJECT: { description: 'The entity it points to.', key: (row) => entityRef(col(row, 'object_id')), object: true },
      VALID_FROM_YEAR: { description: 'The year it began to hold (null when unknown).', key: (row) => year(col(row, 'valid_from')) },
    },
  },
  Source: {
    table: 'sources',
    tag: 'Source',
    fields: {
      id: id(['Source'], 'source'),
      title: text('title', 'Its title.'),
      kind: enumField('kind', 'SourceKind', SOURCE_KINDS, 'What sort of document it is.'),
      url: text('url', 'Where to read it.', true),
      label: text('label', 'How the citing document prints it.', true),
      publishedOn: date('published_on', 'When it was published.'),
      retrievedOn: date('retrieved_on', 'When it was read.'),
      ...timestamps,
      publisher: { kind: 'one', target: 'Entity', column: 'publisher_id', description: 'Who published it.' },
      publisherExists: { kind: 'exists', column: 'publisher_id', description: 'Whether its publisher is known.' },
      citations: {
        kind: 'many',
        target: 'Citation',
        description: 'The citations of it.',
        join: (row, target) => ({ from: sql`${tbl('citations')} ${target}`, where: sql`${target}.source_id = ${col(row, 'id')}` }),
      },
      statedClaims: { kind: 'many', target: 'Claim', description: 'The claims that appear in it.', join: claimsOf((row, t) => sql`${t}.appears_in_id = ${col(row, 'id')}`) },
    },
    order: {
      ID: ID_ORDER,
      TITLE: column('title', 'Its title, in code-point order.', false),
      PUBLISHED_ON: column('published_on', 'When it was published; unknown last.', true),
      ...timestampOrders,
    },
    group: {
      KIND: { description: 'What sort of document it is.', key: (row) => col(row, 'kind') },
      PUBLISHER: { description: 'Who published it.', key: (row) => entityRef(col(row, 'publisher_id')), object: true },
      PUBLISHED_YEAR: { description: 'The year it was published.', key: (row) => year(col(row, 'published_on')) },
    },
  },
  Citation: {
    table: 'citations',
    tag: 'Citation',
    fields: {
      id: id(['Citation'], 'citation'),
      stance: enumField('stance', 'Stance', STANCES, 'SUPPORTS, REFUTES, QUALIFIES or MENTIONS.'),
      locator: text('locator', 'Where in the source.', true),
      quote: text('quote', 'The passage relied on.', true),
      ...timestamps,
      claim: { kind: 'one', target: 'Claim', column: 'claim_id', description: 'The claim it is cited for.' },
      source: { kind: 'one', target: 'Source', column: 'source_id', description: 'The cited source.' },
    },
    order: {
      ID: ID_ORDER,
      STANCE: column('stance', 'Its stance, alphabetically.', false),
      ...timestampOrders,
    },
    group: {
      STANCE: { description: 'Its stance.', key: (row) => col(row, 'stance') },
      SOURCE: { description: 'The cited source.', key: (row) => ref('Source', col(row, 'source_id')), object: true },
      CLAIM: { description: 'The claim it is cited for.', key: (row) => ref('Claim', col(row, 'claim_id')), object: true },
    },
  },
};

const forEvents = <T extends Described>(entries: Record<string, T>, drop: readonly string[] = []) =>
  Object.fromEntries(Object.entries(entries).filter(([name, f]) => !drop.includes(name) && (!f.kinds || f.kinds.includes('EVENT'))));

FILTER_TYPES.Event = {
  table: 'entities',
  tag: 'Entity',
  only: (row) => sql`${col(row, 'kind')} = 'EVENT'`,
  fields: forEvents(FILTER_TYPES.Entity.fields, ['kind']),
  order: forEvents(FILTER_TYPES.Entity.order, ['KIND']),
  group: forEvents(FILTER_TYPES.Entity.group, ['KIND']),
};
