import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { type SQL, sql } from 'drizzle-orm';
import type { EntityKind } from '../../../schema/enums';
import {
  claims,
  entities as entitiesTable,
  entityAliases,
  eventParticipants,
  relationships,
} from '../../../schema/tables';
import { and, countFilter, inList, overlaps } from '../../model/filters';
import { builder } from '../builder';
import { exploreArgs, type ExploreArgs, type NodeSet, orderQuery, whereOn, whereThrough } from '../filters';
import { countedConnection, pagedQuery, relatedPage, rows } from '../connections';
import { ENTITY_TYPE_BY_KIND, ENTITY_TYPE_NAMES, type EntityTypeName, rowIdOf } from '../../domain/ids';
import { FOLDED_CASE, foldCase } from '../../domain/text';
import { Claim, ClaimConnection } from './claim';
import { Relationship, RelationshipConnection } from './relationship';
import { DirectionEnum, EntityKindEnum, EventStatusEnum, PartialDate, SupportStatusEnum } from './scalars';

export const Entity = builder.drizzleInterface('entities', {
  name: 'Entity',
  description:
    'An actor or happening in the graph: an organization, person, event, product or place. All kinds share one id space.',
  interfaces: [builder.nodeInterfaceRef()],
  // The kind picks the GraphQL type and the global id; other columns only when asked for.
  select: { columns: { id: true, kind: true } },
  resolveType: (entity) => ENTITY_TYPE_BY_KIND[entity.kind],
  fields: (t) => ({
    id: t.globalID({
      description: 'Opaque global id; `node(id)` refetches it.',
      resolve: (entity) => ({ type: ENTITY_TYPE_BY_KIND[entity.kind], id: entity.id }),
    }),
    kind: t.expose('kind', { type: EntityKindEnum, description: 'What sort of entity this is.' }),
    slug: t.exposeString('slug', {
      description: 'Stable natural key, used by the import format to refer to this entity.',
    }),
    name: t.exposeString('name', { description: 'The name it is best known by.' }),
    aliases: t.stringList({
      description: 'Other names it is known by, in the order given. `entity(name)` matches these too.',
      select: { with: { aliases: { columns: { alias: true }, orderBy: { position: 'asc' } } } },
      resolve: (entity) => entity.aliases.map((a) => a.alias),
    }),
    description: t.exposeString('description', { nullable: true, description: 'A short description.' }),
    wikidataId: t.exposeString('wikidataId', {
      nullable: true,
      description: 'The matching Wikidata item, e.g. "Q317521"; null when not known. An outside fact: `wikidataSource` says where it was taken from.',
    }),

  }),
});

type DirectionArg = 'OUTGOING' | 'INCOMING' | 'BOTH';
interface EndArgs {
  direction?: DirectionArg | null;
  predicate?: readonly string[] | null;
  asOf?: string | null;
}

/** The filter on relationship_ends rows (`end`) for `Entity.relationships`' own arguments. */
function endFilter(end: SQL, args: EndArgs) {
  const conditions = [];
  if (args.direction && args.direction !== 'BOTH') conditions.push(sql`${end}.direction = ${args.direction}`);
  const onRelationship = [];
  if (args.predicate) onRelationship.push(inList(sql`r.predicate`, args.predicate));
  if (args.asOf) onRelationship.push(...overlaps(sql`r.valid_from`, sql`r.valid_to`, args.asOf, args.asOf));
  if (onRelationship.length > 0) {
    conditions.push(
      sql`EXISTS (SELECT 1 FROM ${relationships} r WHERE r.id = ${end}.relationship_id AND ${and(onRelationship)})`,
    );
  }
  return conditions;
}

/** An entity's relationships: its relationship_ends rows. */
const RELATIONSHIPS_OF: NodeSet = {
  type: 'Relationship',
  paged: 'relationship_ends',
  through: 'relationship_id',
  parentColumn: 'entity_id',
  conditions: (end, args) => [...endFilter(end, args as EndArgs), whereThrough('Relationship', args, end, 'relationship_id')],
};

const relationshipEndsPage = drizzleConnectionHelpers(builder, 'relationshipEnds', {
  args: (t) => ({
    direction: t.field({
      type: DirectionEnum,
      defaultValue: 'BOTH',
      description: 'OUTGOING: this entity is the subject; INCOMING: the object; BOTH: either.',
    }),
    predicate: t.stringList({ required: false, description: 'Only these predicates, e.g. ["co_founded"].' }),
    asOf: t.field({
      type: PartialDate,
      required: false,
      description: 'Only relationships whose validity overlaps this date.',
    }),
    ...exploreArgs((o) => t.field(o), 'Relationship'),
  }),
  query: pagedQuery(RELATIONSHIPS_OF, { id: 'asc' }) as never,
  select: (nestedSelection) => ({ columns: {}, with: { relationship: nestedSelection() } }),
  resolveNode: (end) => end.relationship,
});

/**
 * Event participations seen from one end, as event_participants rows: the events an entity took
 * part in (`through` event_id) or who took part in an event (`through` entity_id).
 */
function participationsPage<T extends 'event' | 'entity'>(node: T) {
  const set: NodeSet = {
    type: node === 'event' ? 'Event' : 'Entity',
    paged: 'event_participants',
    through: `${node}_id`,
    parentColumn: node === 'event' ? 'entity_id' : 'event_id',
    conditions: (link, args) => [whereThrough(set.type, args, link, `${node}_id`)],
  };
  const page = drizzleConnectionHelpers(builder, 'eventParticipants', {
    args: (t) => exploreArgs((o) => t.field(o), set.type),
    query: pagedQuery(set, { id: 'asc' }) as never,
    select: (nestedSelection) => ({ columns: { role: true }, with: { [node]: nestedSelection() } }) as never,
    resolveNode: (participation) => (participation as unknown as Record<T, unknown>)[node] as never,
  });
  return { set, page };
}

const { set: EVENTS_OF, page: eventsPage } = participationsPage('event');
const { set: PARTICIPANTS_OF, page: participantsPage } = participationsPage('entity');

function roleEdge(description: string) {
  return {
    fields: (t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<{}>, unknown>) => ({
      role: t.string({ description, resolve: (edge) => (edge as { role: string }).role }),
    }),
  };
}

export const EntityConnection = countedConnection('EntityConnection', Entity, 'A page of entities.', undefined, 'Entity');

export const EventParticipantConnection = countedConnection(
  'EventParticipantConnection',
  Entity,
  'A page of the entities that took part in an event.',
  roleEdge('The role this participant played in the event.') as never,
  'Entity',
);

function entityObject(kind: EntityKind, description: string) {
  const name: EntityTypeName = ENTITY_TYPE_BY_KIND[kind];
  return builder.drizzleNode('entities', {
    variant: name,
    description,
    interfaces: [Entity],
    select: { columns: { id: true, kind: true } },
    id: { column: (e) => e.id },
    fields: () => ({}),
  });
}

export const Organization = entityObject('ORGANIZATION', 'A company, nonprofit or other organized body.');
builder.drizzleObjectFields(Organization, (t) => ({
  foundedOn: t.expose('foundedOn', { type: PartialDate, nullable: true, description: 'When it was founded, at the precision known.' }),
  legalForm: t.exposeString('legalForm', { nullable: true, description: 'Its legal form, e.g. "capped for-profit".' }),
}));

export const Person = entityObject('PERSON', 'A single person.');
builder.drizzleObjectFields(Person, (t) => ({
  occupation: t.exposeString('occupation', { nullable: true, description: 'What they do, e.g. "software engineer".' }),
}));

export const Product = entityObject('PRODUCT', 'A product, model or service.');
builder.drizzleObjectFields(Product, (t) => ({
  developer: t.relation('developer', { type: Entity, nullable: true, description: 'Who develops it.' }),
  releasedOn: t.expose('releasedOn', { type: PartialDate, nullable: true, description: 'When it was released, at the precision known.' }),
}));

export const Place = entityObject('PLACE', 'A location: a city, region or country.');

export const Group = entityObject(
  'GROUP',
  'A collective or unnamed claimant a source speaks for: "many", "critics", "users". Never one person; it has no kind-specific fields.',
);

export const Event = entityObject('EVENT', 'Something that happened, was proposed, failed or is alleged.');
export const EntityEventConnection = countedConnection(
  'EntityEventConnection',
  Event,
  'A page of the events an entity took part in.',
  roleEdge('The role the entity played in this event, e.g. "co-founder".') as never,
  'Event',
);

builder.drizzleObjectFields(Event, (t) => ({
  startDate: t.expose('startDate', { type: PartialDate, nullable: true, description: 'When it began (or happened), at the precision known; null when undated.' }),
  endDate: t.expose('endDate', { type: PartialDate, nullable: true, description: 'When it ended, when that differs from the start.' }),
  status: t.field({
    type: EventStatusEnum,
    description: 'Whether it took place.',
    select: { columns: { status: true } },
    // The table CHECKs that every event has a status.
    resolve: (event) => event.status ?? 'OCCURRED',
  }),
  participants: t.connection(
    {
      type: Entity,
      description: 'Who took part, in the order recorded; each edge says in what role.',
      ...relatedPage('participants', PARTICIPANTS_OF, participantsPage),
    },
    EventParticipantConnection,
  ),
  claims: t.connection(
    {
      type: Claim,
      description: 'Claims that describe this event, in the order they were recorded. `support` keeps only those standings.',
      ...relatedPage('claimLinks', CLAIMS_ABOUT, claimsAboutPage),
    },
    ClaimConnection,
  ),
}));

builder.drizzleInterfaceFields(Entity, (t) => ({
  relationships: t.connection(
    {
      type: Relationship,
      description:
        'Relationships this entity is the subject or object of, oldest link first. `predicate` keeps only those predicates; `asOf` keeps those whose validity interval overlaps that date (an unknown start or end is open).',
      ...relatedPage('relationshipEnds', RELATIONSHIPS_OF, relationshipEndsPage),
    },
    RelationshipConnection,
  ),
  events: t.connection(
    {
      type: Event,
      description: 'Events this entity took part in, in the order recorded; each edge says in what role.',
      ...relatedPage('participations', EVENTS_OF, eventsPage),
    },
    EntityEventConnection,
  ),
  claimsAbout: t.connection(
    {
      type: Claim,
      description: 'Claims about this entity, in the order they were recorded. `support` keeps only those standings.',
      ...relatedPage('claimLinks', CLAIMS_ABOUT, claimsAboutPage),
    },
    ClaimConnection,
  ),
  claimsMade: t.connection(
    {
      type: Claim,
      description: 'Claims this entity is the claimant of, in the order they were recorded.',
      ...relatedPage('claimsMade', CLAIMS_MADE, claimsMadePage),
    },
    ClaimConnection,
  ),
}));

/**
 * The claims about an entity: its claim_subjects links, paged in claim_id order, which the
 * (entity_id, claim_id) index yields as stored; paging the claims themselves by claims.id made
 * SQLite sort all of a hub's claims.
 */
const CLAIMS_ABOUT: NodeSet = {
  type: 'Claim',
  paged: 'claim_subjects',
  through: 'claim_id',
  parentColumn: 'entity_id',
  conditions: (link, args) => {
    const { support } = args as { support?: readonly string[] | null };
    return [
      support ? sql`EXISTS (SELECT 1 FROM ${claims} c WHERE c.id = ${link}.claim_id AND ${inList(sql`c.support`, support)})` : null,
      whereThrough('Claim', args, link, 'claim_id'),
    ];
  },
};

const claimsAboutPage = drizzleConnectionHelpers(builder, 'claimSubjects', {
  args: (t) => ({
    support: t.field({ type: [SupportStatusEnum], required: false, description: 'Only these standings.' }),
    ...exploreArgs((o) => t.field(o), 'Claim'),
  }),
  query: pagedQuery(CLAIMS_ABOUT, { claimId: 'asc' }) as never,
  select: (nestedSelection) => ({ columns: {}, with: { claim: nestedSelection() } }),
  resolveNode: (link) => link.claim,
});

/** The claims an entity is the claimant of. */
const CLAIMS_MADE: NodeSet = { type: 'Claim', paged: 'claims', parentColumn: 'claimant_id', conditions: (row, args) => [whereOn('Claim', args, row)] };

const claimsMadePage = drizzleConnectionHelpers(builder, 'claims', {
  args: (t) => exploreArgs((o) => t.field(o), 'Claim'),
  query: pagedQuery(CLAIMS_MADE, { id: 'asc' }) as never,
});

builder.queryFields((t) => ({
  entity: t.drizzleField({
    type: Entity,
    nullable: true,
    description:
      `The entity with this exact name or alias, ignoring ${FOLDED_CASE}: "MUSK" finds "Musk", but "éclair" does not find "Éclair". A name match wins over an alias match; among equals, the oldest entity. Null when none matches.`,
    args: { name: t.arg.string({ required: true, description: 'A name or alias, e.g. "Musk".' }) },
    resolve: (query, _root, { name }, { db }) => {
      // Folded here, not by lower() in SQL: on PostgreSQL that folds a parameter by the database's
      // collation (all of Unicode) and a COLLATE "C" column by ASCII only, so a name beyond ASCII
      // was not found even as stored.
      const folded = foldCase(name);
      return db.query.entities.findFirst(
        query({
          where: {
            RAW: (e) =>
              // Two lookups, each through its lower() index: PostgreSQL cannot split an OR of the two
              // into index scans and reads every entity (SQLite's MULTI-INDEX OR could).
              sql`${e.id} IN (SELECT ${entitiesTable.id} FROM ${entitiesTable} WHERE lower(${entitiesTable.name}) = ${folded} UNION ALL SELECT ${entityAliases.entityId} FROM ${entityAliases} WHERE lower(${entityAliases.alias}) = ${folded})`,
          },
          orderBy: (e) => [sql`lower(${e.name}) = ${folded} DESC`, e.id],
        }),
      );
    },
  }),
  entities: t.drizzleConnection(
    {
      type: Entity,
      description: 'Entities by name (then id). Filter by `kind` and by `nameContains`.',
      args: {
        kind: t.arg({ type: [EntityKindEnum], required: false, description: 'Only these kinds.' }),
        nameContains: t.arg.string({ required: false, description: `Only names containing this text, ignoring ${FOLDED_CASE}: "é" does not match "É".` }),
        ...exploreArgs(t.arg, 'Entity'),
      },
      extensions: { nodeSet: ALL_ENTITIES },
      totalCount: (_root, args, { db }) => db.$count(entitiesTable, countFilter(entityConditions(sql`${entitiesTable}`, args))),
      resolve: (query, _root, args, { db }) =>
        rows(db.query.entities.findMany(
          query({
            where: { RAW: (e) => and(entityConditions(sql`${e}`, args)) },
            ...(orderQuery('Entity', args) ?? { orderBy: { name: 'asc' } }),
          }),
        )),
    },
    EntityConnection as never,
  ),
  events: t.drizzleConnection(
    {
      type: Event,
      description:
        'The timeline: events oldest first, undated last; equal dates keep the order they were recorded in. `from`/`to` keep events whose dates overlap that span, read as intervals ("2018" lies within from: "2018-01" since 2018 may include January; an event of "2018-03" is not within to: "2018-02"); undated events drop out once either is given. `involving` keeps events an entity took part in.',
      args: {
        from: t.arg({ type: PartialDate, required: false, description: 'Earliest date, inclusive.' }),
        to: t.arg({ type: PartialDate, required: false, description: 'Latest date, inclusive.' }),
        involving: t.arg.globalID({ required: false, description: 'Only events this entity took part in.' }),
        ...exploreArgs(t.arg, 'Event'),
      },
      extensions: { nodeSet: ALL_EVENTS },
      totalCount: (_root, args, { db }) => db.$count(entitiesTable, and(eventConditions(sql`${entitiesTable}`, args))),
      resolve: (query, _root, args, { db }) =>
        rows(db.query.entities.findMany(
          query({
            where: { RAW: (e) => and(eventConditions(sql`${e}`, args)) },
            ...(orderQuery('Event', args) ?? {
              extras: { timelineKey: (e) => sql<string>`coalesce(${e.startDate}, '~')` },
              orderBy: { timelineKey: 'asc', id: 'asc' },
            }),
          }),
        )),
    },
    EventConnection as never,
  ),
}));

export const EventConnection = countedConnection('EventConnection', Event, 'A page of the timeline.', undefined, 'Event');

/** The conditions of `entities`' arguments on an entities row (`e` is its table or alias). */
function entityConditions(e: SQL, args: { kind?: readonly string[] | null; nameContains?: string | null } & ExploreArgs) {
  const conditions = [];
  if (args.kind) conditions.push(inList(sql`${e}.kind`, args.kind));
  // Folded in JS as entity(name:) is: PostgreSQL's lower() of a parameter folds more than of a name.
  if (args.nameContains) conditions.push(sql`instr(lower(${e}.name), ${foldCase(args.nameContains)}) > 0`);
  const where = whereOn('Entity', args, e);
  if (where) conditions.push(where);
  return conditions;
}

/** The conditions of `events`' arguments on an entities row. */
function eventConditions(
  e: SQL,
  args: { from?: string | null; to?: string | null; involving?: { typename: string; id: string } | null } & ExploreArgs,
) {
  const conditions = [sql`${e}.kind = 'EVENT'`];
  if (args.from || args.to) {
    conditions.push(sql`${e}.start_date IS NOT NULL`);
    conditions.push(...overlaps(sql`${e}.start_date`, sql`coalesce(${e}.end_date, ${e}.start_date)`, args.from, args.to));
  }
  if (args.involving) {
    const id = rowIdOf(args.involving, ENTITY_TYPE_NAMES, 'involving');
    conditions.push(
      sql`${e}.id IN (SELECT ${eventParticipants.eventId} FROM ${eventParticipants} WHERE ${eventParticipants.entityId} = ${id})`,
    );
  }
  const where = whereOn('Event', args, e);
  if (where) conditions.push(where);
  return conditions;
}

const ALL_ENTITIES: NodeSet = { type: 'Entity', paged: 'entities', conditions: (row, args) => entityConditions(row, args) };
const ALL_EVENTS: NodeSet = { type: 'Event', paged: 'entities', conditions: (row, args) => eventConditions(row, args) };
