import { type SQL, sql } from 'drizzle-orm';
import type { BasisKind } from '../../schema/enums';
import type { Db } from '../db';
import { selectRows } from '../db/engine';
import { checkDeadline } from '../deadline';
import { type Adjacency, adjacency, Cursor, currentAdjacency } from './adjacency';

/** How one entity reaches the next: through a relationship, or through an event. */
export type Link =
  | { kind: 'relationship'; relationshipId: number }
  /** `from` took part in event `to` (or the event `from` had `to` take part). */
  | { kind: 'participation'; eventId: number }
  /** Both took part in the same event. */
  | { kind: 'shared-event'; eventId: number };

export interface Step {
  from: number;
  to: number;
  link: Link;
}

export interface PathResult {
  entityIds: number[];
  steps: Step[];
}

/** The most steps a path may take (`path(maxDepth:)`). */
export const PATH_MAX_DEPTH = 6;

/** Bounds on a traversal, so a hub with thousands of links cannot hold the process. */
export const BUDGET = {
  /** Entities a path search may discover before it gives up. */
  visited: 50_000,
  /** Links a path search may read before it gives up. */
  linksRead: 200_000,
};

const CHUNK = 500;
/** Frontier entities a path search expands between two looks at its request's deadline. */
const ENTITIES_PER_LOOK = 256;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const ids = (values: number[]): SQL => sql.join(values.map((v) => sql`${v}`), sql`, `);

/**
 * Link codes order links as the search prefers them, and say which link it is: a relationship is
 * its id × 3, an event shared with another participant is the event's id × 3 + 1, taking part in
 * an event is its id × 3 + 2.
 */
const RELATIONSHIP = 0;
const SHARED_EVENT = 1;
const PARTICIPATION = 2;

function linkOf(code: number): Link {
  const kind = code % 3;
  const id = (code - kind) / 3;
  if (kind === RELATIONSHIP) return { kind: 'relationship', relationshipId: id };
  return { kind: kind === SHARED_EVENT ? 'shared-event' : 'participation', eventId: id };
}

/**
 * One end of the search. `order` holds the entities it found, in rounds: the frontier is
 * `order[frontier..found)`. For an entity v it found (`seen[v] === search`): `prev[v]` is the
 * entity it came from (-1 at the start) and `via[v]` the link code.
 */
interface Side {
  seen: Int32Array;
  prev: Int32Array;
  via: Float64Array;
  order: Int32Array;
  frontier: number;
  found: number;
  depth: number;
}

/** Work arrays over every entity id, reused by each search (searches never overlap: they are synchronous). */
let scratch: { size: number; sides: [Side, Side]; search: number } | undefined;
const outer = new Cursor();
const inner = new Cursor();

function sidesFor(size: number, from: number, to: number): { sides: [Side, Side]; search: number } {
  if (!scratch || scratch.size < size || scratch.search === 0x7fffffff) {
    // Room to spare: entities created later do not each cost a new set of arrays.
    const room = size + (size >> 4) + 1024;
    const side = (): Side => ({
      seen: new Int32Array(room),
      prev: new Int32Array(room),
      via: new Float64Array(room),
      order: new Int32Array(room),
      frontier: 0,
      found: 0,
      depth: 0,
    });
    scratch = { size: room, sides: [side(), side()], search: 0 };
  }
  const search = ++scratch.search;
  scratch.sides.forEach((side, i) => {
    const start = i === 0 ? from : to;
    side.seen[start] = search;
    side.prev[start] = -1;
    side.order[0] = start;
    side.frontier = 0;
    side.found = 1;
    side.depth = 0;
  });
  return { sides: scratch.sides, search };
}

/**
 * The shortest connection between two entities, found by breadth-first search from both ends
 * at once (the smaller frontier grows each round) over the in-memory adjacency: relationships
 * either way, an entity and an event it took part in, two entities that took part in the same
 * event. Null when none is within `maxDepth` steps, or when the budget runs out first (more than
 * BUDGET.visited entities found, or more than BUDGET.linksRead links read).
 *
 * Among equally short paths the choice is deterministic: a round takes its frontier in id order;
 * an entity is reached from the lowest-numbered frontier entity that links to it, by that one's
 * lowest link code; the ends meet at the first entity reached (in that order) that the other end
 * has found.
 */
export function shortestPath(db: Db, from: number, to: number, maxDepth: number): PathResult | null {
  return shortestPathIn(from === to ? null : adjacency(db), from, to, maxDepth);
}

/** shortestPath on either engine: the links as of now are read asynchronously where the engine's reads are (PostgreSQL). */
export async function findShortestPath(db: Db, from: number, to: number, maxDepth: number): Promise<PathResult | null> {
  return shortestPathIn(from === to ? null : await currentAdjacency(db), from, to, maxDepth);
}

function shortestPathIn(graph: Adjacency | null, from: number, to: number, maxDepth: number): PathResult | null {
  if (from === to || !graph) return { entityIds: [from], steps: [] };
  // An entity with an id past every linked one has no links.
  if (Math.max(from, to) >= graph.size || Math.min(from, to) < 0) return null;
  const { ends, events, members } = graph;
  const { sides, search } = sidesFor(graph.size, from, to);
  const [a, b] = sides;
  let linksRead = 0;

  while (a.depth + b.depth < maxDepth && a.found > a.frontier && b.found > b.frontier) {
    const side = a.found - a.frontier <= b.found - b.frontier ? a : b;
    const { seen, prev, via, order } = side;
    const elsewhere = (side === a ? b : a).seen;
    const end = side.found;
    order.subarray(side.frontier, end).sort();
    let f = 0;
    let meeting = -1;
    const reach = (v: number, code: number) => {
      if (seen[v] === search) {
        if (prev[v] === f && code < via[v]!) via[v] = code;
        return;
      }
      seen[v] = search;
      prev[v] = f;
      via[v] = code;
      order[side.found++] = v;
      if (elsewhere[v] === search && (meeting < 0 || v < meeting)) meeting = v;
    };
    for (let i = side.frontier; i < end; i++) {
      if ((i - side.frontier) % ENTITIES_PER_LOOK === 0) checkDeadline();
      f = order[i]!;
      const related = outer.open(ends, f);
      for (let j = related.at; j < related.stop; j += 2) reach(related.items[j]!, related.items[j + 1]! * 3 + RELATIONSHIP);
      linksRead += (related.stop - related.at) / 2;
      const participants = outer.open(members, f);
      for (let j = participants.at; j < participants.stop; j++) reach(participants.items[j]!, f * 3 + PARTICIPATION);
      linksRead += participants.stop - participants.at;
      const took = outer.open(events, f);
      for (let j = took.at; j < took.stop; j++) {
        const event = took.items[j]!;
        reach(event, event * 3 + PARTICIPATION);
        const others = inner.open(members, event);
        for (let k = others.at; k < others.stop; k++) if (others.items[k] !== f) reach(others.items[k]!, event * 3 + SHARED_EVENT);
        linksRead += 1 + others.stop - others.at;
      }
      // Every later frontier entity has a higher id: nothing it reaches would come first.
      if (meeting >= 0) return assemble(sides, meeting);
      if (linksRead > BUDGET.linksRead) return null;
    }
    side.frontier = end;
    side.depth++;
    if (a.found + b.found > BUDGET.visited) return null;
  }
  return null;
}

function assemble([fromSide, toSide]: [Side, Side], meeting: number): PathResult {
  const head: Step[] = [];
  for (let node = meeting; fromSide.prev[node]! >= 0; node = fromSide.prev[node]!) {
    head.unshift({ from: fromSide.prev[node]!, to: node, link: linkOf(fromSide.via[node]!) });
  }
  const tail: Step[] = [];
  for (let node = meeting; toSide.prev[node]! >= 0; node = toSide.prev[node]!) {
    tail.push({ from: node, to: toSide.prev[node]!, link: linkOf(toSide.via[node]!) });
  }
  const steps = [...head, ...tail];
  return { entityIds: [steps[0]!.from, ...steps.map((s) => s.to)], steps };
}

export interface Subgraph {
  entityIds: number[];
  relationshipIds: number[];
  truncated: boolean;
}

export const NEIGHBORHOOD_CAP = { entities: 250, relationships: 1000 };

/**
 * Entities within `depth` relationship hops of `of`, and the relationships that join them,
 * nearest first. Cut at NEIGHBORHOOD_CAP, saying so.
 */
export async function neighborhood(db: Db, of: number, depth: number, basis: BasisKind | null = null): Promise<Subgraph> {
  // Only edges of this basis (STATED: those the source states), when one is given.
  const onBasis = basis ? sql` AND EXISTS (SELECT 1 FROM relationships r WHERE r.id = relationship_id AND r.basis = ${basis})` : sql``;
  const entities = new Set([of]);
  const relationships = new Set<number>();
  let frontier = [of];
  let truncated = false;
  for (let level = 0; level < depth && frontier.length > 0 && !truncated; level++) {
    const next: number[] = [];
    for (const part of chunks(frontier)) {
      const budget = NEIGHBORHOOD_CAP.relationships - relationships.size;
      const rows = await selectRows<{ b: number; r: number }>(db, sql`
        SELECT other_id AS b, relationship_id AS r FROM relationship_ends
        WHERE entity_id IN (${ids(part)})${onBasis} ORDER BY entity_id, id LIMIT ${budget * 2 + 1}`);
      for (const row of rows) {
        if (!entities.has(row.b)) {
          if (entities.size >= NEIGHBORHOOD_CAP.entities) {
            truncated = true;
            continue;
          }
          entities.add(row.b);
          next.push(row.b);
        }
        if (!relationships.has(row.r)) {
          if (relationships.size >= NEIGHBORHOOD_CAP.relationships) {
            truncated = true;
            continue;
          }
          relationships.add(row.r);
        }
      }
      if (rows.length > budget * 2) truncated = true;
    }
    frontier = next;
  }
  return { entityIds: [...entities], relationshipIds: [...relationships], truncated };
}
