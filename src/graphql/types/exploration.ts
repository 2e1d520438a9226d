import { brandWithType } from '@pothos/core';
import { and, eq, or } from 'drizzle-orm';
import { eventParticipants, type EntityRow, type RelationshipRow } from '../../../schema/tables';
import { badInput, notFound } from '../../domain/errors';
import { findShortestPath, NEIGHBORHOOD_CAP, neighborhood, PATH_MAX_DEPTH, type Step } from '../../model/graph';
import { boundedList } from '../connection-limits';
import { dependsOn } from '../../cache';
import { builder, type Context } from '../builder';
import { ENTITY_TYPE_BY_KIND, ENTITY_TYPE_NAMES, rowIdOf } from '../../domain/ids';
import { Entity } from './entity';
import { plannedLoader, type TypeName } from './node';
import { Relationship } from './relationship';
import { BasisKindEnum } from './scalars';

interface PathStepShape {
  from: EntityRow;
  to: EntityRow;
  description: string;
  via: unknown;
}
interface PathShape {
  length: number;
  entities: EntityRow[];
  steps: PathStepShape[];
}
interface SubgraphShape {
  entities: EntityRow[];
  relationships: RelationshipRow[];
  truncated: boolean;
}

const PathStep = builder.objectRef<PathStepShape>('PathStep').implement({
  description: 'One step of a path: two entities and what links them.',
  fields: (t) => ({
    from: t.field({ type: Entity, description: 'Where the step starts.', resolve: (s) => s.from }),
    to: t.field({ type: Entity, description: 'Where the step ends.', resolve: (s) => s.to }),
    description: t.exposeString('description', {
      description: 'The link in words a person reads, e.g. "Microsoft invested in OpenAI".',
    }),
    via: t.field({
      type: builder.nodeInterfaceRef(),
      description: 'What links them: a Relationship, or the Event they took part in.',
      resolve: (s) => s.via as never,
    }),
  }),
});

const Path = builder.objectRef<PathShape>('Path').implement({
  description: 'The shortest connection found between two entities.',
  fields: (t) => ({
    length: t.exposeInt('length', { description: 'How many steps: 0 when both ends are the same entity.' }),
    entities: t.field({
      type: [Entity],
      description: 'The entities along the way, from `from` to `to` inclusive.',
      extensions: boundedList(PATH_MAX_DEPTH + 1, `a path takes at most ${PATH_MAX_DEPTH} steps`),
      resolve: (p) => p.entities,
    }),
    steps: t.field({
      type: [PathStep],
      description: 'The steps, in order from `from` to `to`.',
      extensions: boundedList(PATH_MAX_DEPTH, `a path takes at most ${PATH_MAX_DEPTH} steps`),
      resolve: (p) => p.steps,
    }),
  }),
});

const Subgraph = builder.objectRef<SubgraphShape>('Subgraph').implement({
  description: 'A piece of the graph around an entity, for graph views.',
  fields: (t) => ({
    entities: t.field({
      type: [Entity],
      description: 'The entities reached, the starting one first, nearer ones before farther.',
      extensions: boundedList(NEIGHBORHOOD_CAP.entities, 'the size cap of a neighborhood'),
      resolve: (g) => g.entities,
    }),
    relationships: t.field({
      type: [Relationship],
      description: 'The relationships followed to reach them.',
      extensions: boundedList(NEIGHBORHOOD_CAP.relationships, 'the size cap of a neighborhood'),
      resolve: (g) => g.relationships,
    }),
    truncated: t.exposeBoolean('truncated', {
      description: `True when the neighborhood was cut at its size cap (${NEIGHBORHOOD_CAP.entities} entities, ${NEIGHBORHOOD_CAP.relationships} relationships).`,
    }),
  }),
});

function entityId(id: { typename: string; id: string }, field: string) {
  return rowIdOf(id, ENTITY_TYPE_NAMES, field);
}

async function entitiesById(db: Context['db'], ids: number[]) {
  const rows = ids.length ? await db.query.entities.findMany({ where: { id: { in: [...new Set(ids)] } } }) : [];
  return new Map(rows.map((r) => [r.id, r]));
}

type GlobalId = { typename: string; id: string };

/**
 * The row ids of entity arguments. Each must name an entity of the type its id says: all kinds
 * share one id space, so "Organization:1" for a person is an id this API never issued.
 */
async function requireEntities<F extends string>(db: Context['db'], wanted: Record<F, GlobalId>): Promise<Record<F, number>> {
  const fields = Object.keys(wanted) as F[];
  const ids = Object.fromEntries(fields.map((field) => [field, entityId(wanted[field], field)])) as Record<F, number>;
  const found = await entitiesById(db, Object.values(ids));
  for (const field of fields) {
    const row = found.get(ids[field]);
    if (!row || ENTITY_TYPE_BY_KIND[row.kind] !== wanted[field].typename) {
      throw notFound(`${field}: no ${wanted[field].typename} has this id`, field);
    }
  }
  return ids;
}

async function describeSteps(db: Context['db'], steps: Step[], entities: Map<number, EntityRow>): Promise<PathStepShape[]> {
  const relationshipIds = steps.flatMap((s) => (s.link.kind === 'relationship' ? [s.link.relationshipId] : []));
  const relationships = relationshipIds.length
    ? await db.query.relationships.findMany({ where: { id: { in: relationshipIds } } })
    : [];
  const byId = new Map(relationships.map((r) => [r.id, r]));
  const participations = steps.filter((s) => s.link.kind === 'participation');
  const roles = new Map<string, string>();
  if (participations.length) {
    const rows = await db
      .select({ eventId: eventParticipants.eventId, entityId: eventParticipants.entityId, role: eventParticipants.role })
      .from(eventParticipants)
      .where(
        or(
          ...participations.map((s) => {
            const eventId = (s.link as { eventId: number }).eventId;
            const member = s.from === eventId ? s.to : s.from;
            return and(eq(eventParticipants.eventId, eventId), eq(eventParticipants.entityId, member));
          }),
        ),
      )
      // An entity may take part in one event more than once: its first participation names the role, on either engine.
      .orderBy(eventParticipants.id);
    for (const r of rows) if (!roles.has(`${r.eventId}:${r.entityId}`)) roles.set(`${r.eventId}:${r.entityId}`, r.role);
  }
  return steps.map((step) => {
    const from = entities.get(step.from)!;
    const to = entities.get(step.to)!;
    if (step.link.kind === 'relationship') {
      const r = byId.get(step.link.relationshipId)!;
      const subject = entities.get(r.subjectId)!;
      const object = entities.get(r.objectId)!;
      brandWithType(r, 'Relationship' as never);
      return { from, to, description: `${subject.name} ${r.label} ${object.name}`, via: r };
    }
    const event = entities.get(step.link.eventId)!;
    // `via` is a Node: the brand tells the Node interface which type this row is.
    brandWithType(event, 'Event' as never);
    const via = event;
    if (step.link.kind === 'shared-event') {
      return { from, to, description: `${from.name} and ${to.name} both took part in ${event.name}`, via };
    }
    const member = step.from === event.id ? to : from;
    const role = roles.get(`${event.id}:${member.id}`);
    return { from, to, description: `${member.name} took part in ${event.name}${role ? ` (${role})` : ''}`, via };
  });
}

builder.queryFields((t) => {
  const load = plannedLoader(t);
  return {
  path: t.field({
    type: Path,
    nullable: true,
    description:
      'Shortest connection between two entities through relationships (either direction) and event participation: an entity and an event it took part in are one step apart, and so are two entities that took part in the same event. Null when nothing connects them within `maxDepth` steps (or before the search budget of 50,000 entities runs out, which only hubs reach).',
    args: {
      from: t.arg.globalID({ required: true, description: 'The entity to start from.' }),
      to: t.arg.globalID({ required: true, description: 'The entity to reach.' }),
      maxDepth: t.arg.int({ defaultValue: 4, description: `The most steps to consider, 1 to ${PATH_MAX_DEPTH}.` }),
    },
    resolve: async (_root, args, context) => {
      const { db } = context;
      const maxDepth = args.maxDepth ?? 4;
      if (maxDepth < 1 || maxDepth > PATH_MAX_DEPTH) throw badInput(`"maxDepth" is ${maxDepth}; it must be 1 to ${PATH_MAX_DEPTH}`, 'maxDepth');
      const { from, to } = await requireEntities(db, { from: args.from, to: args.to });
      // The shortest path changes only with the links; its words, with the names it shows.
      dependsOn(context, 'links', `Entity:${from}`, `Entity:${to}`);
      const found = await findShortestPath(db, from, to, maxDepth);
      if (!found) return null;
      const relationshipEnds = found.steps.flatMap((s) => (s.link.kind === 'relationship' ? [s.from, s.to] : []));
      const events = found.steps.flatMap((s) => (s.link.kind === 'relationship' ? [] : [s.link.eventId]));
      const named = [...found.entityIds, ...relationshipEnds, ...events];
      dependsOn(context, ...named.map((id) => `Entity:${id}`));
      const entities = await entitiesById(db, named);
      return {
        length: found.steps.length,
        entities: found.entityIds.map((id) => entities.get(id)!),
        steps: await describeSteps(db, found.steps, entities),
      };
    },
  }),
  neighborhood: t.field({
    type: Subgraph,
    description:
      'Everything within `depth` relationship hops of an entity (1 to 3), for graph views: the entities and the relationships followed to reach them, nearest first. Cut at a size cap, with `truncated` saying so.',
    args: {
      of: t.arg.globalID({ required: true, description: 'The entity at the centre.' }),
      depth: t.arg.int({ defaultValue: 1, description: 'How many hops out, 1 to 3.' }),
      basis: t.arg({
        type: BasisKindEnum,
        required: false,
        description: 'Follow only relationships of this basis: STATED keeps the links the sources state. Omitted: every relationship.',
      }),
    },
    resolve: async (_root, args, context, info) => {
      const { db } = context;
      const depth = args.depth ?? 1;
      if (depth < 1 || depth > 3) throw badInput(`"depth" is ${depth}; it must be 1 to 3`, 'depth');
      const { of } = await requireEntities(db, { of: args.of });
      // Which entities and relationships are reached changes only with the links; the answer
      // shows the objects themselves.
      dependsOn(context, 'links', `Entity:${of}`);
      const graph = await neighborhood(db, of, depth, args.basis ?? null);
      // What the operation selects on them is planned into the same statements (one per entity
      // type and one for the relationships), not resolved row by row.
      const byType = new Map<TypeName, number[]>();
      const kinds = graph.entityIds.length
        ? await db.query.entities.findMany({ columns: { id: true, kind: true }, where: { id: { in: graph.entityIds } } })
        : [];
      for (const row of kinds) {
        const type = ENTITY_TYPE_BY_KIND[row.kind];
        byType.set(type, [...(byType.get(type) ?? []), row.id]);
      }
      const [entityMaps, relationships] = await Promise.all([
        Promise.all([...byType].map(([type, ids]) => load(type, ids, context, info, [[{ name: 'entities' }]]))),
        graph.relationshipIds.length ? load('Relationship', graph.relationshipIds, context, info, [[{ name: 'relationships' }]]) : new Map(),
      ]);
      const entities = new Map(entityMaps.flatMap((map) => [...map]));
      return {
        entities: graph.entityIds.map((id) => entities.get(id)! as EntityRow),
        relationships: graph.relationshipIds.map((id) => relationships.get(id)! as RelationshipRow),
        truncated: graph.truncated,
      };
    },
  }),
  };
});

