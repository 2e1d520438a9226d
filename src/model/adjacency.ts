import type BetterSqlite3 from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import type { Db } from '../db';
import { type ChangeFeed, engineOf, selectRows } from '../db/engine';
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
    const graph = assemble(maxEntity, relationships, participations);
    this.graph = graph;
    this.version = version;
    this.fallbackKey = fallbackKey;
    this.provisional = client.inTransaction;
    this.last = report(graph, started, relationships, participations);
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
    this.graph = withChanged(graph, changed);
    this.version = changed.now;
    this.provisional = client.inTransaction;
    return this.graph;
  }
}

/** The changed nodes' entries (each list's whole map of them) put into `graph`, laid out anew when enough have piled up. */
function withChanged(graph: Adjacency, changed: { ends: Map<number, Int32Array>; events: Map<number, Int32Array>; members: Map<number, Int32Array> }): Adjacency {
  let size = graph.size;
  for (const [lists, width] of [[changed.ends, 2], [changed.events, 1], [changed.members, 1]] as const) {
    for (const [node, entries] of lists) size = Math.max(size, node + 1, maxOf(entries, width) + 1);
  }
  const relayout = changed.ends.size + changed.events.size + changed.members.size > RELAYOUT_AFTER;
  const next = (lists: Lists, entries: Map<number, Int32Array>) => {
    const updated = { ...lists, changed: entries };
    return relayout ? relaid(updated, size) : updated;
  };
  return { size, ends: next(graph.ends, changed.ends), events: next(graph.events, changed.events), members: next(graph.members, changed.members) };
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

type Relationships = Record<'subject' | 'object' | 'relationship', Int32Array>;
type Participations = Record<'participant' | 'event', Int32Array>;

/** The lists of every link, from the columns of every relationship and participation. */
function assemble(maxEntity: number, { subject, object, relationship }: Relationships, { participant, event }: Participations): Adjacency {
  const size = 1 + Math.max(maxEntity, maxOf(subject), maxOf(object), maxOf(participant), maxOf(event));
  return {
    size,
    ends: layout(size, [subject, object], [object, subject], [relationship, relationship]),
    events: layout(size, [participant], [event]),
    members: layout(size, [event], [participant]),
  };
}

function report(graph: Adjacency, started: number, relationships: Relationships, participations: Participations): BuildReport {
  const bytes = [graph.ends, graph.events, graph.members].reduce((sum, l) => sum + l.start.byteLength + l.items.byteLength, 0);
  return { ms: performance.now() - started, bytes, relationships: relationships.subject.length, participations: participations.participant.length };
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
  return joined(names, parts, total);
}

/** Each name's chunks as one column. */
function joined<Name extends string>(names: readonly Name[], parts: number[][][], total: number): Record<Name, Int32Array> {
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
  return (live.get(db.$client) ?? heard.get(db))?.last ?? null;
}

/**
 * The links the path search follows, as of now, on either engine: SQLite's index is read and
 * kept synchronously (adjacency()); PostgreSQL's is kept through the change feed.
 */
export async function currentAdjacency(db: Db): Promise<Adjacency> {
  const engine = engineOf(db);
  if (!engine || engine.name === 'sqlite') return adjacency(db);
  let held = heard.get(db);
  if (!held) heard.set(db, (held = new HeardAdjacency(db, engine.changeFeed())));
  return held.current();
}

const heard = new WeakMap<Db, HeardAdjacency>();

/** `Entity:7`, `Entity:7#relationships`: the entity a tag names. */
const ENTITY_TAG = /^Entity:(\d+)/;

/**
 * The adjacency kept through the change feed, where reads are asynchronous (PostgreSQL). A
 * commit that changed a link tags `links` and both ends of each link it wrote (cache_changes
 * triggers: `Entity:n#relationships`, `#events`, `#participants`); the entities a report with
 * `links` names are re-read before the next search, all of them (ends, events, members), and a
 * report of null (anything may have changed), or too many entities, rebuilds it all. Every report
 * heard before a search starts is in the graph it searches: reports are counted, each graph knows
 * the count it reflects, and a search waits for the work that reaches its count (one piece of
 * work at a time, which the searches waiting share).
 */
class HeardAdjacency {
  private graph: Adjacency | null = null;
  /** Reports that changed the links, heard so far; the count the graph reflects. */
  private heardCount = 1;
  private reflects = 0;
  private rebuild = true;
  private dirty = new Set<number>();
  private working: Promise<void> | null = null;
  last: BuildReport | null = null;

  constructor(
    private readonly db: Db,
    private readonly feed: ChangeFeed,
  ) {
    feed.onChange((changes) => {
      if (changes === null) this.rebuild = true;
      else if (changes.includes('links')) {
        for (const tag of changes) {
          const entity = ENTITY_TAG.exec(tag);
          if (entity) this.dirty.add(Number(entity[1]));
        }
      } else return;
      this.heardCount++;
    });
  }

  async current(): Promise<Adjacency> {
    this.feed.poll();
    // A commit heard of but not yet read: read it first.
    if (this.feed.behind && this.feed.settle) await this.feed.settle();
    const wanted = this.heardCount;
    while (this.reflects < wanted || !this.graph) {
      this.working ??= this.work().finally(() => (this.working = null));
      await this.working;
    }
    return this.graph;
  }

  private async work() {
    const upTo = this.heardCount;
    const nodes = this.dirty;
    this.dirty = new Set();
    const rebuild = this.rebuild || !this.graph || nodes.size > REBUILD_AFTER;
    this.rebuild = false;
    try {
      if (rebuild) await this.build();
      else await this.catchUp(this.graph!, [...nodes]);
    } catch (error) {
      // What was to be re-read is not: the next search builds anew.
      this.rebuild = true;
      throw error;
    }
    this.reflects = upTo;
  }

  private async build() {
    const started = performance.now();
    const [[max], relationships, participations] = await Promise.all([
      selectRows<{ n: number }>(this.db, sql`SELECT coalesce(max(id), 0) AS n FROM entities`),
      chunked(this.db, ['subject', 'object', 'relationship'], (after) =>
        sql`SELECT CAST(count(*) AS integer) AS count, max(id) AS last, json_agg(subject_id) AS c0, json_agg(object_id) AS c1, json_agg(id) AS c2
            FROM (SELECT id, subject_id, object_id FROM relationships WHERE id > ${after} ORDER BY id LIMIT ${CHUNK}) AS chunk`,
      ),
      chunked(this.db, ['participant', 'event'], (after) =>
        sql`SELECT CAST(count(*) AS integer) AS count, max(id) AS last, json_agg(entity_id) AS c0, json_agg(event_id) AS c1
            FROM (SELECT id, entity_id, event_id FROM event_participants WHERE id > ${after} ORDER BY id LIMIT ${CHUNK}) AS chunk`,
      ),
    ]);
    this.graph = assemble(max!.n, relationships, participations);
    this.last = report(this.graph, started, relationships, participations);
  }

  /** Re-reads every list of the entities named, in three statements. */
  private async catchUp(graph: Adjacency, nodes: number[]) {
    if (nodes.length === 0) return;
    const list = sql.join(
      nodes.map((n) => sql`${n}`),
      sql`, `,
    );
    const [ends, events, members] = await Promise.all([
      selectRows<{ n: number; a: number; b: number }>(this.db, sql`SELECT entity_id AS n, other_id AS a, relationship_id AS b FROM relationship_ends WHERE entity_id IN (${list})`),
      selectRows<{ n: number; a: number }>(this.db, sql`SELECT entity_id AS n, event_id AS a FROM event_participants WHERE entity_id IN (${list})`),
      selectRows<{ n: number; a: number }>(this.db, sql`SELECT event_id AS n, entity_id AS a FROM event_participants WHERE event_id IN (${list})`),
    ]);
    const gather = (rows: { n: number; a: number; b?: number }[], changed: Map<number, Int32Array>, width: 1 | 2) => {
      const byNode = new Map<number, number[]>(nodes.map((n) => [n, []]));
      for (const row of rows) byNode.get(row.n)?.push(...(width === 2 ? [row.a, row.b!] : [row.a]));
      const out = new Map(changed);
      for (const [node, entries] of byNode) out.set(node, Int32Array.from(entries));
      return out;
    };
    this.graph = withChanged(graph, {
      ends: gather(ends, graph.ends.changed, 2),
      events: gather(events, graph.events.changed, 1),
      members: gather(members, graph.members.changed, 1),
    });
  }
}

/** A whole table's columns read through `chunk(after)` (count, last id, then one JSON array per column), a chunk at a time. */
async function chunked<Name extends string>(db: Db, names: readonly Name[], chunk: (after: number) => ReturnType<typeof sql>): Promise<Record<Name, Int32Array>> {
  const parts = names.map((): number[][] => []);
  let total = 0;
  // No deadline checks: the searches waiting share this build, and one's deadline must not stop it for the others.
  for (let after = 0; ; ) {
    const [row] = await selectRows<Record<string, unknown>>(db, chunk(after));
    const count = Number(row?.count ?? 0);
    if (count === 0) break;
    names.forEach((_, i) => parts[i]!.push(row![`c${i}`] as number[]));
    total += count;
    after = Number(row!.last);
  }
  return joined(names, parts, total);
}
