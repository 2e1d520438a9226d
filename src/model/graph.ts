import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db';

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

/** Bounds on a traversal, so a hub with thousands of links cannot hold the process. */
export const BUDGET = {
  /** Entities a path search may discover before it gives up. */
  visited: 50_000,
  /** Link rows a path search may read before it gives up. */
  linksRead: 200_000,
};

const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const ids = (values: number[]): SQL => sql.join(values.map((v) => sql`${v}`), sql`, `);

interface Neighbor {
  from: number;
  to: number;
  link: Link;
}

/**
 * Every entity one step from `frontier`: over relationships either way, from an entity to the
 * events it took part in and back, and between two entities that took part in the same event.
 * Reads at most `limit` rows; `exhausted` says the limit cut it short.
 */
function neighbors(db: Db, frontier: number[], limit: number): { found: Neighbor[]; exhausted: boolean } {
  const found: Neighbor[] = [];
  for (const part of chunks(frontier)) {
    const remaining = limit - found.length;
    if (remaining <= 0) return { found, exhausted: true };
    const rows = db.all<{ a: number; b: number; via: number; k: 'r' | 'p' | 'e' | 's' }>(sql`
      SELECT entity_id AS a, other_id AS b, relationship_id AS via, 'r' AS k FROM relationship_ends WHERE entity_id IN (${ids(part)})
      UNION ALL
      SELECT entity_id, event_id, event_id, 'p' FROM event_participants WHERE entity_id IN (${ids(part)})
      UNION ALL
      SELECT event_id, entity_id, event_id, 'e' FROM event_participants WHERE event_id IN (${ids(part)})
      UNION ALL
      SELECT x.entity_id, y.entity_id, x.event_id, 's' FROM event_participants x
        JOIN event_participants y ON y.event_id = x.event_id AND y.entity_id <> x.entity_id
        WHERE x.entity_id IN (${ids(part)})
      LIMIT ${remaining + 1}`);
    for (const row of rows.slice(0, remaining)) {
      const link: Link =
        row.k === 'r'
          ? { kind: 'relationship', relationshipId: row.via }
          : row.k === 's'
            ? { kind: 'shared-event', eventId: row.via }
            : { kind: 'participation', eventId: row.via };
      found.push({ from: row.a, to: row.b, link });
    }
    if (rows.length > remaining) return { found, exhausted: true };
  }
  return { found, exhausted: false };
}

const linkOrder = (l: Link) => (l.kind === 'relationship' ? l.relationshipId * 3 : l.eventId * 3 + (l.kind === 'shared-event' ? 1 : 2));

/**
 * The shortest connection between two entities, found by breadth-first search from both ends
 * at once (the smaller frontier grows each round). Null when none is within `maxDepth` steps,
 * or when the budget runs out first. Among equally short paths the choice is deterministic.
 */
export function shortestPath(db: Db, from: number, to: number, maxDepth: number): PathResult | null {
  if (from === to) return { entityIds: [from], steps: [] };
  type Parent = { prev: number; link: Link } | null;
  interface Side {
    parents: Map<number, Parent>;
    frontier: number[];
    depth: number;
  }
  const sides: [Side, Side] = [
    { parents: new Map([[from, null]]), frontier: [from], depth: 0 },
    { parents: new Map([[to, null]]), frontier: [to], depth: 0 },
  ];
  let linksRead = 0;

  while (sides[0].depth + sides[1].depth < maxDepth && sides[0].frontier.length > 0 && sides[1].frontier.length > 0) {
    const grow = sides[0].frontier.length <= sides[1].frontier.length ? 0 : 1;
    const side = sides[grow];
    const other = sides[1 - grow]!;
    const { found, exhausted } = neighbors(db, side.frontier, BUDGET.linksRead - linksRead);
    linksRead += found.length;
    found.sort((x, y) => x.from - y.from || x.to - y.to || linkOrder(x.link) - linkOrder(y.link));
    const next: number[] = [];
    let meeting: number | undefined;
    for (const n of found) {
      if (side.parents.has(n.to)) continue;
      side.parents.set(n.to, { prev: n.from, link: n.link });
      next.push(n.to);
      if (meeting === undefined && other.parents.has(n.to)) meeting = n.to;
    }
    side.frontier = next;
    side.depth++;
    if (meeting !== undefined) return assemble(sides[0].parents, sides[1].parents, meeting);
    if (exhausted || sides[0].parents.size + sides[1].parents.size > BUDGET.visited) return null;
  }
  return null;
}

function assemble(
  fromSide: Map<number, { prev: number; link: Link } | null>,
  toSide: Map<number, { prev: number; link: Link } | null>,
  meeting: number,
): PathResult {
  const head: Step[] = [];
  for (let node = meeting, p = fromSide.get(node); p; node = p.prev, p = fromSide.get(node)) {
    head.unshift({ from: p.prev, to: node, link: p.link });
  }
  const tail: Step[] = [];
  for (let node = meeting, p = toSide.get(node); p; node = p.prev, p = toSide.get(node)) {
    tail.push({ from: node, to: p.prev, link: p.link });
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
export function neighborhood(db: Db, of: number, depth: number): Subgraph {
  const entities = new Set([of]);
  const relationships = new Set<number>();
  let frontier = [of];
  let truncated = false;
  for (let level = 0; level < depth && frontier.length > 0 && !truncated; level++) {
    const next: number[] = [];
    for (const part of chunks(frontier)) {
      const budget = NEIGHBORHOOD_CAP.relationships - relationships.size;
      const rows = db.all<{ b: number; r: number }>(sql`
        SELECT other_id AS b, relationship_id AS r FROM relationship_ends
        WHERE entity_id IN (${ids(part)}) ORDER BY entity_id, id LIMIT ${budget * 2 + 1}`);
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
