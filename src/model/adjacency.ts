import type BetterSqlite3 from 'better-sqlite3';
import type { Db } from '../db';
import { checkDeadline } from '../deadline';

/**
 * One list of entries per node, `width` numbers an entry, all in one array (compressed sparse
 * rows): node v's entries are `items[start[v] * width]` up to `items[start[v + 1] * width]`.
 * Nodes in `changed` were written since that layout was made: their entries now are there.
 */
export interface Lists {
  width: number;
  start: Int32Array;
  items: Int32Array;
  changed: Map<number, Int32Array>;
}

/**
 * The links the path search follows, in memory: the rows of relationship_ends and
 * event_participants, one entry per row. Node ids are entity ids, all below `size`.
 */
export interface Adjacency {
  size: number;
  /** Each entity's relationship ends, either direction: (the entity at the other end, relationship id). */
  ends: Lists;
  /** The events each entity took part in. */
  events: Lists;
  /** The entities that took part in each event. */
  members: Lists;
}

const NONE = new Int32Array(0);

/** Reads one node's entries without allocating: `items[at]` up to `items[stop]`. */
export class Cursor {
  items: Int32Array = NONE;
  at = 0;
  stop = 0;

  open(lists: Lists, node: number): this {
    const changed = lists.changed.size > 0 ? lists.changed.get(node) : undefined;
    if (changed) {
      this.items = changed;
      this.at = 0;
      this.stop = changed.length;
    } else if (node < lists.start.length - 1) {
      this.items = lists.items;
      this.at = lists.start[node]! * lists.width;
      this.stop = lists.start[node + 1]! * lists.width;
    } else {
      this.at = this.stop = 0;
    }
    return this;
  }
}

/** What the latest full build cost. */
export interface BuildReport {
  ms: number;
  /** The lists' arrays. */
  bytes: number;
  relationships: number;
  participations: number;
}

/** Rows per bulk read while building: bounds the transient strings (a few MB each). */
const CHUNK = 250_000;
/** Changed nodes kept beside the layout before it is laid out anew (a relayout costs milliseconds). */
const RELAYOUT_AFTER = 1000;
/** More new link_changes rows than this cost more to re-read one entity at a time than a rebuild. */
const REBUILD_AFTER = 2500;

interface Version {
  /** `PRAGMA schema_version`: moves with migrations, and when bulkLoad sets triggers aside. */
  schema: number;
  /** The newest link_changes row seen. */
  change: number;
}

/**
 * The adjacency of one connection, kept current. Before each use it asks SQLite one cheap
 * question (a few µs): has link_changes grown, or the schema changed? Grown: only the entities
 * named in the new rows are re-read, and kept beside the layout until enough have piled up.
 * Schema changed (a migration, a bulk load), thousands of new rows, or rows pruned before this
 * process saw them: a full rebuild. A database from before link_changes existed (read before it
 * is migrated) rebuilds whenever anything was written, going by data_version and total_changes().
 */
class LiveAdjacency {
  private graph: Adjacency | null = null;
  private version: Version | null = null;
  private fallbackKey: string | null = null;
  /** Read inside a transaction, which may yet roll back: rebuilt once the transaction is over. */
  private provisional = false;
  last: BuildReport | null = null;
  private readonly statements: ReturnType<typeof prepare>;

  constructor(private readonly client: BetterSqlite3.Database) {
    this.statements = prepare(client);
  }

  current(): Adjacency {
    const graph = this.graph;
    if (!graph || (this.provisional && !this.client.inTransaction)) return this.build();
    if (!this.version) return this.statements.fallbackKey.get() === this.fallbackKey ? graph : this.build();
    let schema: number, change: number;
    try {
      [schema, change] = this.statements.version().get() as [number, number];
    } catch {
      return this.build(); // link_changes is gone: an older file was put in place of this one
    }
    if (schema === this.version.schema && change === this.version.change) return graph;
    return this.catchUp(graph) ?? this.build();
  }

  private build(): Adjacency {
    const started = performance.now();
    const { client, statements } = this;
    const read = client.transaction(() => {
      const logged = statements.hasLog.get() !== undefined;
      return {
        version: logged ? versionOf(statements.version().get() as [number, number]) : null,
        fallbackKey: logged ? null : (statements.fallbackKey.get() as string),
        maxEntity: statements.maxEntity.get() as number,
        relationships: columns(statements.relationships, ['subject', 'object', 'relationship']),
        participations: columns(statements.participations, ['participant', 'event']),
      };
    });
    const { version, fallbackKey, maxEntity, relationships, participations } = read();
    const { subject, object, relationship } = relationships;
    const { participant, event } = participations;
    const size = 1 + Math.max(maxEntity, maxOf(subject), maxOf(object), maxOf(participant), maxOf(event));
    const graph: Adjacency = {
      size,
      ends: layout(size, [subject, object], [object, subject], [relationship, relationship]),
      events: layout(size, [participant], [event]),
      members: layout(size, [event], [participant]),
    };
    this.graph = graph;
    this.version = version;
    this.fallbackKey = fallbackKey;
    this.provisional = client.inTransaction;
    const bytes = [graph.ends, graph.events, graph.members].reduce((sum, l) => sum + l.start.byteLength + l.items.byteLength, 0);
    this.last = { ms: performance.now() - started, bytes, relationships: subject.length, participations: participant.length };
    return graph;
  }

  /** Re-reads the entities named in link_changes since the last look; null: rebuild instead. */
  private catchUp(graph: Adjacency): Adjacency | null {
    const { client, statements } = this;
    const seen = this.version!;
    const read = client.transaction(() => {
      const now = versionOf(statements.version().get() as [number, number]);
      if (now.schema !== seen.schema || now.change < seen.change) return null;
      const rows = statements.changes().all(seen.change) as [number, string, number, number][];
      // Rows are numbered without gaps: a gap means older rows were pruned before we saw them.
      if (rows[0]?.[0] !== seen.change + 1 || rows.at(-1)![0] !== now.change || rows.length > REBUILD_AFTER) return null;
      const dirty = { ends: new Set<number>(), events: new Set<number>(), members: new Set<number>() };
      for (const [, kind, entity, other] of rows) {
        if (kind === 'RELATIONSHIP') dirty.ends.add(entity).add(other);
        else {
          dirty.events.add(entity);
          dirty.members.add(other);
        }
      }
      const ends = new Map(graph.ends.changed);
      const events = new Map(graph.events.changed);
      const members = new Map(graph.members.changed);
      for (const node of dirty.ends) ends.set(node, Int32Array.from((statements.endsOf.all(node) as number[][]).flat()));
      for (const node of dirty.events) events.set(node, Int32Array.from(statements.eventsOf.all(node) as number[]));
      for (const node of dirty.members) members.set(node, Int32Array.from(statements.membersOf.all(node) as number[]));
      return { now, ends, events, members };
    });
    const changed = read();
    if (!changed) return null;
    let size = graph.size;
    for (const [lists, width] of [[changed.ends, 2], [changed.events, 1], [changed.members, 1]] as const) {
      for (const [node, entries] of lists) size = Math.max(size, node + 1, maxOf(entries, width) + 1);
    }
    const relayout = changed.ends.size + changed.events.size + changed.members.size > RELAYOUT_AFTER;
    const next = (lists: Lists, entries: Map<number, Int32Array>) => {
      const updated = { ...lists, changed: entries };
      return relayout ? relaid(updated, size) : updated;
    };
    this.graph = { size, ends: next(graph.ends, changed.ends), events: next(graph.events, changed.events), members: next(graph.members, changed.members) };
    this.version = changed.now;
    this.provisional = client.inTransaction;
    return this.graph;
  }
}

/**
 * Plain better-sqlite3 statements, prepared once per connection: this runs before every path
 * search, and drizzle would prepare each statement anew. The full reads are deliberate scans.
 */
function prepare(client: BetterSqlite3.Database) {
  let version: BetterSqlite3.Statement | undefined;
  let changes: BetterSqlite3.Statement | undefined;
  return {
    hasLog: client.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'link_changes'"),
    // Prepared on first use: the table does not exist before its migration.
    version: () =>
      (version ??= client
        .prepare('SELECT (SELECT schema_version FROM pragma_schema_version), coalesce((SELECT max(id) FROM link_changes), 0)')
        .raw()),
    changes: () => (changes ??= client.prepare('SELECT id, kind, entity_id, other_id FROM link_changes WHERE id > ? ORDER BY id').raw()),
    fallbackKey: client.prepare("SELECT (SELECT data_version FROM pragma_data_version) || '.' || total_changes()").pluck(),
    maxEntity: client.prepare('SELECT coalesce(max(id), 0) FROM entities').pluck(),
    // One JSON array per column per chunk: reading a million rows one at a time through
    // better-sqlite3 costs several times what SQLite spends scanning them.
    relationships: client
      .prepare(
        `SELECT count(*), max(id), json_group_array(subject_id), json_group_array(object_id), json_group_array(id)
         FROM (SELECT id, subject_id, object_id FROM relationships WHERE id > ? ORDER BY id LIMIT ${CHUNK})`,
      )
      .raw(),
    participations: client
      .prepare(
        `SELECT count(*), max(id), json_group_array(entity_id), json_group_array(event_id)
         FROM (SELECT id, entity_id, event_id FROM event_participants WHERE id > ? ORDER BY id LIMIT ${CHUNK})`,
      )
      .raw(),
    endsOf: client.prepare('SELECT other_id, relationship_id FROM relationship_ends WHERE entity_id = ?').raw(),
    eventsOf: client.prepare('SELECT event_id FROM event_participants WHERE entity_id = ?').pluck(),
    membersOf: client.prepare('SELECT entity_id FROM event_participants WHERE event_id = ?').pluck(),
  };
}

const versionOf = ([schema, change]: [number, number]): Version => ({ schema, change });

/** Reads a whole table through `statement` (count, max id, then one JSON array per column), a chunk at a time. */
function columns<Name extends string>(statement: BetterSqlite3.Statement, names: readonly Name[]): Record<Name, Int32Array> {
  const parts = names.map((): number[][] => []);
  let total = 0;
  for (let after = 0; ; ) {
    // Between two chunks: a request past its deadline stops here (the next one builds anew).
    checkDeadline();
    const [count, last, ...arrays] = statement.get(after) as [number, number | null, ...string[]];
    if (count === 0) break;
    arrays.forEach((json, i) => parts[i]!.push(JSON.parse(json) as number[]));
    total += count;
    after = last!;
  }
  const out = {} as Record<Name, Int32Array>;
  names.forEach((name, i) => {
    const column = new Int32Array(total);
    let at = 0;
    for (const chunk of parts[i]!) {
      column.set(chunk, at);
      at += chunk.length;
    }
    out[name] = column;
  });
  return out;
}

/** The largest node id in `values`: every entry's first number (entries are `width` numbers). */
function maxOf(values: Int32Array, width = 1): number {
  let max = 0;
  for (let i = 0; i < values.length; i += width) if (values[i]! > max) max = values[i]!;
  return max;
}

/**
 * Lists from columns of rows: row i of `keys[k]` gets an entry whose numbers are
 * `values[0][k][i], values[1][k][i]…`. With several key columns a row counts once for each
 * (a relationship is an entry at its subject and another at its object).
 */
function layout(size: number, keys: Int32Array[], ...values: Int32Array[][]): Lists {
  const width = values.length;
  const start = new Int32Array(size + 1);
  for (const key of keys) for (let i = 0; i < key.length; i++) start[key[i]! + 1]!++;
  for (let v = 0; v < size; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, size);
  const items = new Int32Array(start[size]! * width);
  keys.forEach((key, k) => {
    for (let i = 0; i < key.length; i++) {
      const at = fill[key[i]!]!++ * width;
      for (let w = 0; w < width; w++) items[at + w] = values[w]![k]![i]!;
    }
  });
  return { width, start, items, changed: new Map() };
}

/** The same lists over `size` nodes, laid out anew with the changed nodes' entries in place. */
function relaid({ width, start: old, items: oldItems, changed }: Lists, size: number): Lists {
  const before = old.length - 1;
  if (changed.size === 0 && size === before) return { width, start: old, items: oldItems, changed };
  const oldStart = (v: number) => old[Math.min(v, before)]!;
  const nodes = [...changed.keys()].sort((x, y) => x - y);
  let total = old[before]!;
  for (const v of nodes) total += changed.get(v)!.length / width - (oldStart(v + 1) - oldStart(v));
  const start = new Int32Array(size + 1);
  const items = new Int32Array(total * width);
  // Between two changed nodes every list moves by the same amount: copy each run in one go.
  let shift = 0;
  let from = 0;
  for (const v of [...nodes, size + 1]) {
    for (let u = from; u < Math.min(v, size + 1); u++) start[u] = oldStart(u) + shift;
    if (oldStart(v) > oldStart(from)) items.set(oldItems.subarray(oldStart(from) * width, oldStart(v) * width), (oldStart(from) + shift) * width);
    if (v > size) break;
    const entries = changed.get(v)!;
    start[v] = oldStart(v) + shift;
    items.set(entries, start[v]! * width);
    shift += entries.length / width - (oldStart(v + 1) - oldStart(v));
    from = v + 1;
  }
  return { width, start, items, changed: new Map() };
}

const live = new WeakMap<BetterSqlite3.Database, LiveAdjacency>();

function liveOf(db: Db): LiveAdjacency {
  let held = live.get(db.$client);
  if (!held) live.set(db.$client, (held = new LiveAdjacency(db.$client)));
  return held;
}

/**
 * The links the path search follows, as of now: every write any connection has committed to
 * this database is in it. Built on first use (src/main.ts builds it right after start: at a
 * million claims it takes long enough to be felt by one request), then kept current.
 */
export function adjacency(db: Db): Adjacency {
  return liveOf(db).current();
}

/** What the latest full build of `db`'s adjacency cost; null before the first. */
export function lastBuild(db: Db): BuildReport | null {
  return live.get(db.$client)?.last ?? null;
}
