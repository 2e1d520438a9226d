import type { ElementDefinition } from 'cytoscape';
import { validIn } from '../dates';
import type { GraphEntityFragment, GraphEventsQuery, GraphRelationshipFragment, NeighborhoodQuery } from '../gql';

export type GraphEntity = GraphEntityFragment;
export interface GraphData {
  entities: Map<string, GraphEntity>;
  relationships: Map<string, GraphRelationshipFragment>;
  truncated: boolean;
}
export interface Filters {
  hiddenKinds: ReadonlySet<string>;
  hiddenPredicates: ReadonlySet<string>;
  /** Only relationships valid at some time in this year; null: any time. */
  asOf: number | null;
  /** Only relationships a source states (and the events' participations), not inferred ones. */
  statedOnly?: boolean;
}
export interface GraphView {
  elements: ElementDefinition[];
  /** The entities drawn, nearest first, each with how many of its links are not drawn. */
  shown: { entity: GraphEntity; level: number; hidden: number }[];
  /** How many links are drawn (relationships and "took part in"). */
  links: number;
}

/**
 * The most new neighbours drawn around one entity: a hub's thousands of links become one "and N
 * more" node instead of thousands of nodes the page would take seconds to lay out.
 */
export const MAX_NEIGHBOURS = 12;

export function emptyGraph(): GraphData {
  return { entities: new Map(), relationships: new Map(), truncated: false };
}

export function merge(into: GraphData, answer: NeighborhoodQuery['neighborhood']): GraphData {
  const entities = new Map(into.entities);
  const relationships = new Map(into.relationships);
  for (const entity of answer.entities) entities.set(entity.id, entity);
  for (const relationship of answer.relationships) relationships.set(relationship.id, relationship);
  return { entities, relationships, truncated: into.truncated || answer.truncated };
}

/** Drawn as links, though not relationships: an entity took part in an event. */
export const TOOK_PART = { predicate: 'took_part_in', label: 'took part in' } as const;
const isParticipation = (id: string) => id.startsWith('took:');

/** An entity's events and their participants, as "took part in" links. */
export function mergeEvents(into: GraphData, of: string, answer: GraphEventsQuery): GraphData {
  const node = answer.node;
  if (!node || !('events' in node)) return into;
  const entities = new Map(into.entities);
  const relationships = new Map(into.relationships);
  const link = (who: string, event: string) =>
    relationships.set(`took:${who}:${event}`, { __typename: 'Relationship', id: `took:${who}:${event}`, ...TOOK_PART, validFrom: null, validTo: null, subject: { __typename: 'Person', id: who }, object: { __typename: 'Event', id: event } } as GraphRelationshipFragment);
  for (const event of node.events.nodes) {
    entities.set(event.id, entities.get(event.id) ?? event);
    link(of, event.id);
    for (const participant of event.participants.nodes) {
      entities.set(participant.id, entities.get(participant.id) ?? participant);
      link(participant.id, event.id);
    }
  }
  return { ...into, entities, relationships };
}

/** What to draw: from the roots outward, at most MAX_NEIGHBOURS new neighbours each, filters applied. */
export function layoutView(data: GraphData, roots: readonly string[], filters: Filters): GraphView {
  const allowedEntity = (id: string) => {
    const entity = data.entities.get(id);
    return !!entity && (roots.includes(id) || !filters.hiddenKinds.has(entity.kind));
  };
  const adjacency = new Map<string, GraphRelationshipFragment[]>();
  const allowed: GraphRelationshipFragment[] = [];
  for (const link of data.relationships.values()) {
    if (filters.hiddenPredicates.has(link.predicate)) continue;
    if (filters.asOf !== null && !validIn(filters.asOf, link.validFrom, link.validTo)) continue;
    if (filters.statedOnly && link.basis?.kind === 'INFERRED') continue;
    if (!allowedEntity(link.subject.id) || !allowedEntity(link.object.id)) continue;
    allowed.push(link);
    for (const end of [link.subject.id, link.object.id]) {
      let list = adjacency.get(end);
      if (!list) adjacency.set(end, (list = []));
      list.push(link);
    }
  }
  const level = new Map<string, number>();
  const queue: string[] = [];
  for (const root of roots) {
    if (data.entities.has(root) && !level.has(root)) {
      level.set(root, 0);
      queue.push(root);
    }
  }
  for (let index = 0; index < queue.length; index++) {
    const at = queue[index]!;
    let added = 0;
    for (const link of adjacency.get(at) ?? []) {
      const other = link.subject.id === at ? link.object.id : link.subject.id;
      if (level.has(other) || added >= MAX_NEIGHBOURS) continue;
      added++;
      level.set(other, level.get(at)! + 1);
      queue.push(other);
    }
  }
  const drawnLinks = allowed.filter((link) => level.has(link.subject.id) && level.has(link.object.id));
  const degree = new Map<string, number>();
  for (const link of drawnLinks) {
    if (isParticipation(link.id)) continue;
    for (const end of [link.subject.id, link.object.id]) degree.set(end, (degree.get(end) ?? 0) + 1);
  }

  const elements: ElementDefinition[] = [];
  const shown: GraphView['shown'] = [];
  for (const id of queue) {
    const entity = data.entities.get(id)!;
    const depth = level.get(id)!;
    const hidden = Math.max(0, entity.relationships.totalCount - (degree.get(id) ?? 0));
    shown.push({ entity, level: depth, hidden });
    elements.push({ group: 'nodes', data: { id, label: entity.name, kind: entity.kind, level: depth }, classes: depth === 0 ? 'centre' : '' });
    // Summarized where it matters: around a root, or around a hub.
    if (hidden > 0 && (depth === 0 || hidden >= MAX_NEIGHBOURS)) {
      const more = `more:${id}`;
      elements.push({ group: 'nodes', data: { id: more, of: id, label: `and ${hidden.toLocaleString('en')} more`, level: depth + 1 }, classes: 'more' });
      elements.push({ group: 'edges', data: { id: `${more}:link`, source: id, target: more }, classes: 'more' });
    }
  }
  for (const link of drawnLinks) {
    elements.push({ group: 'edges', data: { id: link.id, source: link.subject.id, target: link.object.id, label: link.label, predicate: link.predicate, basis: link.basis?.kind ?? 'STATED' } });
  }
  return { elements, shown, links: drawnLinks.length };
}
