import { createHash } from 'node:crypto';
import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getOperationAST,
  isObjectType,
  isInterfaceType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_RESPONSE_CACHE_MB } from './config';
import type { Db } from './db';
import { decodeGlobalID, ENTITY_KIND_BY_TYPE } from './domain/ids';

/**
 * What a cached answer depends on, decided from its operation:
 * - `objects`: its root fields are `node`/`nodes`, or root fields that declare what they read
 *   (DECLARING_ROOTS), so its dependencies are known: the objects it shows and the lists it
 *   selects on them, plus what its root fields declared (see dependenciesOf). It is dropped when
 *   a write tags one of them (see migrations/*_cache_fields).
 * - `any`: other lists, search, counts: any write may change them, so any write drops them.
 * - `never`: mutations, and anything that does not parse, are never answered from memory.
 */
type Scope = 'objects' | 'any' | 'never';

/**
 * Root fields whose answers declare everything they read: `node`/`nodes` show it; `claims` pages
 * declare the id range they cover, `path` and `neighborhood` the links of the graph and the
 * entities they name (see dependsOn).
 */
const DECLARING_ROOTS = new Set(['node', 'nodes', '__typename', 'claims', 'path', 'neighborhood']);

/**
 * The lists a write tags on their parent by name ("Entity:3#claimsAbout"), as the triggers of
 * migrations/*_cache_fields write them: an answer that selects one of these on an object depends
 * on it as well as on the object.
 */
const LIST_FIELDS = new Set(['relationships', 'events', 'claimsAbout', 'claimsMade', 'participants', 'claims', 'about', 'contradicts', 'citations', 'statedClaims']);

/** Rows of a type whose id is above the first number and at most the second: [type, above, at most]. */
type IdRange = [string, number, number];

/** The context fields the cache adds to a request it may keep the answer of. */
export interface CacheContext {
  cacheKey?: string;
  cacheDeps?: Set<string>;
  cacheRanges?: IdRange[];
}

/**
 * Declares that the answer being computed depends on these tags: "links" (any link of the graph),
 * an object ("Entity:3"), a list ("Entity:3#claimsAbout"), or with dependsOnRange every row of a
 * type in an id range. Resolvers of DECLARING_ROOTS call it for what their answer does not show.
 */
export function dependsOn(context: CacheContext, ...tags: string[]) {
  for (const tag of tags) context.cacheDeps?.add(tag);
}

/** Every tag of a `type` row whose id is above `after` and at most `upTo` (open when null). */
export function dependsOnRange(context: CacheContext, type: string, after: number | null, upTo: number | null) {
  context.cacheRanges?.push([type, after ?? -Infinity, upTo ?? Infinity]);
}

const ROW_TAG = /^(\w+):(\d+)/;

type Fragments = Map<string, FragmentDefinitionNode>;

/** The fields of a selection, through its fragments, whatever their type conditions. */
function fieldsOf(selections: readonly SelectionNode[], fragments: Fragments, seen = new Set<string>()): FieldNode[] {
  return selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet.selections, fragments, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = fragments.get(name);
    return fragment ? fieldsOf(fragment.selectionSet.selections, fragments, seen) : [];
  });
}

/** fieldsOf once per selection of a document, however many objects of a list it is asked for. */
const flattened = new WeakMap<readonly SelectionNode[], FieldNode[]>();
function fieldsOfOnce(selections: readonly SelectionNode[], fragments: Fragments) {
  let fields = flattened.get(selections);
  if (!fields) flattened.set(selections, (fields = fieldsOf(selections, fragments)));
  return fields;
}

const fragmentsOf = (definitions: readonly { kind: Kind }[]): Fragments =>
  new Map(
    definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[(d as FragmentDefinitionNode).name.value, d as FragmentDefinitionNode] as const] : [])),
  );

function scopeOf(query: string, operationName: string | null | undefined): Scope {
  let document;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return 'never';
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'query') return 'never';
  const roots = fieldsOf(operation.selectionSet.selections, fragmentsOf(document.definitions));
  return roots.every((field) => DECLARING_ROOTS.has(field.name.value)) ? 'objects' : 'any';
}

/** The alias under which the cache adds `id` to every selection of an object that has one and does not select it. */
const ADDED_ID = '__cacheId';

/**
 * A tally of the tags an answer depends on, bounded: past MAX_TAGS an answer is kept as one that
 * any write drops (scope `any`), since its tags would cost more memory than the answer.
 */
interface Tally {
  tags: Set<string>;
  overflow: boolean;
}

/** The most tags an answer keeps: about TAG_BYTES each. */
export const MAX_TAGS = 2000;
/**
 * What one tag is counted as in the cache's byte accounting: the string, its place in the answer's
 * set and in the index from tag to answers (a set of its own when no other answer has the tag).
 */
const TAG_BYTES = 200;

/**
 * Walks an answer once, in place: records the tags it depends on, every object it shows
 * ("Claim:7") and every list it selects on one ("Claim:7#about"), until MAX_TAGS; and clears the
 * ids the cache added to it (undefined, which JSON leaves out, rather than a delete, which would
 * slow the serialization of every object it touches).
 */
function collectTags(value: unknown, selections: readonly SelectionNode[], fragments: Fragments, tally: Tally) {
  if (Array.isArray(value)) {
    for (const item of value) collectTags(item, selections, fragments, tally);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  const fields = fieldsOfOnce(selections, fragments);
  const added = object[ADDED_ID];
  if (added !== undefined) object[ADDED_ID] = undefined;
  if (!tally.overflow) {
    const own = tagOf(added ?? (fields.some((f) => f.name.value === 'id' && !f.alias) ? object.id : undefined));
    if (own) {
      tally.tags.add(own);
      for (const field of fields) if (LIST_FIELDS.has(field.name.value)) tally.tags.add(`${own}#${field.name.value}`);
      if (tally.tags.size > MAX_TAGS) tally.overflow = true;
    }
  }
  for (const field of fields) {
    if (field.selectionSet) collectTags(object[field.alias?.value ?? field.name.value], field.selectionSet.selections, fragments, tally);
  }
}

/**
 * The operation with `id` added (as ADDED_ID) to each selection of a type that has one and does
 * not select it, so that the answer shows what it depends on. Memoized per parsed document.
 */
const withIds = new WeakMap<DocumentNode, DocumentNode>();
function addIds(document: DocumentNode, schema: GraphQLSchema): DocumentNode {
  let added = withIds.get(document);
  if (added) return added;
  const typeInfo = new TypeInfo(schema);
  added = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node) {
        const type = typeInfo.getParentType();
        if (!type || !(isObjectType(type) || isInterfaceType(type)) || !('id' in type.getFields())) return undefined;
        if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'id' && !s.alias)) return undefined;
        const id: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'id' }, alias: { kind: Kind.NAME, value: ADDED_ID } };
        return { ...node, selections: [...node.selections, id] };
      },
    }),
  );
  withIds.set(document, added);
  return added;
}

/** The tag a write gives the object with this global id: "Claim:7"; every entity type shares "Entity". */
function tagOf(globalId: unknown): string | null {
  if (typeof globalId !== 'string' && typeof globalId !== 'number') return null;
  try {
    const { typename, id } = decodeGlobalID(String(globalId));
    return `${ENTITY_KIND_BY_TYPE.has(typename) ? 'Entity' : typename}:${id}`;
  } catch {
    return null;
  }
}

/** What an answer depends on: the tags it shows or its resolvers declared, and id ranges. */
export interface Dependencies {
  tags: Set<string>;
  ranges: IdRange[];
}

/** A kept answer: its JSON text (`{"data":…}`), nothing else of it. */
interface Entry extends Dependencies {
  json: string;
  bytes: number;
}

/**
 * What an answer is stored with: what it depends on (for scope `objects`), and whether a
 * `node`/`nodes` root answered null (its creation would tag no object the answer shows, so it is
 * kept as scope `any`), or it had more tags than MAX_TAGS (the same).
 */
export interface Found extends Dependencies {
  anyWrite: boolean;
  /** More tags than MAX_TAGS were found (and no more collected). */
  overflow?: boolean;
}

/** The bytes a string takes in memory: one a character while every one is Latin-1, else two. */
const stringBytes = (text: string) => text.length * (/[^\u0000-\u00ff]/.test(text) ? 2 : 1);

/**
 * An answer served from memory, as the executor's result: yoga writes a result with its own
 * `stringify` (result-processor/stringify), which here gives back the JSON text kept, with the
 * extensions other plugins add spliced in. It has no `data`: nothing else reads it, and parsing
 * the text back for every repeated read would cost what the cache saves.
 */
function served(json: string): ExecutionResult {
  return { stringify: (shown: ExecutionResult) => withExtras(json, shown, undefined, undefined) } as ExecutionResult;
}

/**
 * `json` (`{"data":…,"extensions":…}`, `kept` being the extensions in it, such as the query
 * budget's cost) as `shown` says it: with any extensions added since; its own text when it
 * carries errors or other data.
 */
function withExtras(json: string, shown: ExecutionResult, data: unknown, kept: ExecutionResult['extensions']): string {
  if (shown.errors?.length || shown.data !== data) return JSON.stringify(shown.data === undefined ? { ...JSON.parse(json), ...shown } : shown);
  const added = shown.extensions && shown.extensions !== kept ? Object.entries(shown.extensions) : [];
  if (added.length === 0) return json;
  const answer = JSON.parse(json) as ExecutionResult;
  return JSON.stringify({ ...answer, extensions: { ...answer.extensions, ...Object.fromEntries(added) } });
}

/**
 * An in-memory store of answers, kept true to the database however many processes write to it.
 * Before every lookup it asks SQLite whether anything was committed since it last looked
 * (data_version moves when another connection commits; total_changes() with this connection's
 * own writes); only then does it read the tags written since into cache_changes and drop what
 * they touch. An answer computed while a write committed is kept only if the write tagged nothing
 * it depends on: otherwise it may predate the write, whose tags were applied before it was stored.
 *
 * Its memory is bounded by `maxBytes`, counted as the JSON text kept (the only copy of an answer
 * it holds) and TAG_BYTES per tag: the least recently used answers go first, and an answer larger
 * than an eighth of it is not kept at all.
 */
export class ChangeAwareCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly anyScope = new Set<string>();
  /** Per type, the keys of answers that cover an id range of it. */
  private readonly byRange = new Map<string, Set<string>>();
  /** The commit count (`commits`) when each missed key began to be computed. */
  private readonly missedAt = new Map<string, number>();
  private bytes = 0;
  /** Commits noticed so far. */
  private commits = 0;
  /** The tags of the latest commits noticed, by commit count; null when everything was forgotten. */
  private readonly recent: { commit: number; tags: string[] | null }[] = [];
  /** The newest cache_changes id applied. */
  private seen: number;
  private version = '';
  private readonly versionNow;
  private readonly newer;
  private readonly oldest;

  constructor(
    db: Db,
    readonly maxBytes = DEFAULT_RESPONSE_CACHE_MB * 2 ** 20,
  ) {
    const client = db.$client;
    this.versionNow = client.prepare(
      "SELECT (SELECT data_version FROM pragma_data_version) || '.' || total_changes() || '.' || (SELECT schema_version FROM pragma_schema_version)",
    ).pluck();
    this.newer = client.prepare('SELECT id, tag FROM cache_changes WHERE id > ? ORDER BY id');
    this.oldest = client.prepare('SELECT min(id) FROM cache_changes').pluck();
    this.seen = client.prepare('SELECT coalesce(max(id), 0) FROM cache_changes').pluck().get() as number;
    this.version = this.versionNow.get() as string;
  }

  /** The largest answer kept, in bytes of its JSON text. */
  get maxEntryBytes() {
    return this.maxBytes / 8;
  }

  /** The bytes the kept answers are counted as; never above maxBytes. */
  get size() {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The answer kept for `key`, as a result yoga writes; a miss is remembered as being computed. */
  get(key: string): ExecutionResult | undefined {
    const json = this.peek(key);
    if (json !== undefined) return served(json);
    if (scopeOfKey(key) !== 'never') {
      if (this.missedAt.size > 10_000) this.missedAt.clear();
      if (!this.missedAt.has(key)) this.missedAt.set(key, this.commits);
    }
    return undefined;
  }

  /** The JSON text kept for `key`, after applying what was committed since the last look. */
  peek(key: string): string | undefined {
    if (scopeOfKey(key) === 'never') return undefined;
    this.sync();
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last: eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.json;
  }

  /** Whether the answer for `key` is being computed: looked up and missed, not yet stored. */
  computing(key: string) {
    return this.missedAt.has(key);
  }

  /** Forgets that `key` is being computed: its answer will not be stored. */
  abandon(key: string) {
    this.missedAt.delete(key);
  }

  /**
   * Stores the answer computed for `key` (its JSON text, `{"data":…}`), unless it is larger than
   * maxEntryBytes or may predate a commit. `found`: what it depends on (scope `objects` only; an
   * answer of scope `any` depends on every write). Says whether it was kept, or why not.
   */
  store(key: string, json: string, found?: Found): 'kept' | 'too-large' | 'not-kept' {
    let scope = scopeOfKey(key);
    const since = this.missedAt.get(key);
    this.missedAt.delete(key);
    if (scope === 'never' || since === undefined) return 'not-kept';
    // Without its dependencies an answer of scope `objects` cannot be kept: nothing would say when it changes.
    if (scope === 'objects' && !found) return 'not-kept';
    if (found?.anyWrite) scope = 'any';
    // An answer any write may change is dropped by every commit, so needs no tags.
    const { tags, ranges } = scope === 'objects' ? found! : { tags: new Set<string>(), ranges: [] };
    const bytes = stringBytes(json) + (tags.size + ranges.length) * TAG_BYTES;
    if (bytes > this.maxEntryBytes) return 'too-large';
    this.sync();
    if (since !== this.commits && (scope === 'any' || this.touchedSince(since, { tags, ranges }))) return 'not-kept';
    this.drop(key);
    this.entries.set(key, { json, tags, ranges, bytes });
    this.bytes += bytes;
    if (scope === 'any') this.anyScope.add(key);
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    for (const [type] of ranges) {
      let keys = this.byRange.get(type);
      if (!keys) this.byRange.set(type, (keys = new Set()));
      keys.add(key);
    }
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
    return 'kept';
  }

  /** Whether a commit noticed after `since` tagged one of these, or made everything forgotten. */
  private touchedSince(since: number, { tags, ranges }: Dependencies) {
    if ((this.recent[0]?.commit ?? Infinity) > since + 1) return true; // no longer known
    for (const commit of this.recent) {
      if (commit.commit <= since) continue;
      if (!commit.tags) return true;
      if (commit.tags.some((tag) => tags.has(tag) || inRanges(tag, ranges))) return true;
    }
    return false;
  }

  /**
   * Applies every change committed since the last look. data_version also moves when nothing
   * was committed: another connection's checkpoint that resets the log (about 1% of the moves
   * under steady writes), or a write of this connection that was rolled back (total_changes()
   * counts it). Every table the API reads tags what it changes, and triggers cannot be skipped
   * without changing the schema, so a move with no new tag changed nothing an answer shows.
   */
  private sync() {
    const version = this.versionNow.get() as string;
    if (version === this.version) return;
    const schemaChanged = version.split('.')[2] !== this.version.split('.')[2];
    this.version = version;
    const changes = this.newer.all(this.seen) as { id: number; tag: string }[];
    const oldest = this.oldest.get() as number | null;
    // Forget it all when tags were pruned before this process read them, or when the schema
    // changed: a migration, or a bulk load, which sets the triggers aside.
    const forget = (oldest !== null && oldest > this.seen + 1) || schemaChanged;
    if (changes.length === 0 && !forget) return;
    this.commits++;
    this.recent.push({ commit: this.commits, tags: forget ? null : changes.map((c) => c.tag) });
    if (this.recent.length > 256) this.recent.shift();
    if (forget) {
      this.clear();
    } else {
      for (const key of this.anyScope) this.drop(key);
      for (const { tag } of changes) {
        this.dropTagged(tag);
        this.dropInRange(tag);
      }
    }
    this.seen = changes.at(-1)?.id ?? this.seen;
  }

  private dropTagged(tag: string) {
    for (const key of this.byTag.get(tag) ?? []) this.drop(key);
  }

  /** Drops the answers covering an id range that a row's tag ("Claim:7", "Claim:7#about") falls in. */
  private dropInRange(tag: string) {
    const keys = this.byRange.get(ROW_TAG.exec(tag)?.[1] ?? '');
    for (const key of keys ?? []) {
      if (inRanges(tag, this.entries.get(key)?.ranges ?? [])) this.drop(key);
    }
  }

  private drop(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.anyScope.delete(key);
    this.bytes -= entry.bytes;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
    for (const [type] of entry.ranges) {
      const keys = this.byRange.get(type);
      keys?.delete(key);
      if (keys?.size === 0) this.byRange.delete(type);
    }
  }

  private clear() {
    this.entries.clear();
    this.byTag.clear();
    this.byRange.clear();
    this.anyScope.clear();
    this.bytes = 0;
  }
}

/** Whether a row's tag ("Claim:7", "Claim:7#about") falls in one of these id ranges. */
function inRanges(tag: string, ranges: IdRange[]) {
  if (ranges.length === 0) return false;
  const row = ROW_TAG.exec(tag);
  if (!row) return false;
  const id = Number(row[2]);
  return ranges.some(([type, above, upTo]) => type === row[1] && id > above && id <= upTo);
}

const scopeOfKey = (key: string): Scope => (key.startsWith('objects:') ? 'objects' : key.startsWith('any:') ? 'any' : 'never');

const hash = (text: string) => createHash('sha256').update(text).digest('base64');

/** What an answer of scope `objects` depends on: read from it (see collectTags), and what its resolvers declared. */
function dependenciesOf(result: ExecutionResult, document: DocumentNode, operationName: string | null | undefined, context: CacheContext): Found | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation || !result.data) return undefined;
  const fragments = fragmentsOf(document.definitions);
  const tally: Tally = { tags: new Set(context.cacheDeps), overflow: false };
  let missing = false;
  for (const root of fieldsOf(operation.selectionSet.selections, fragments)) {
    const value = (result.data as Record<string, unknown>)[root.alias?.value ?? root.name.value];
    if ((root.name.value === 'node' || root.name.value === 'nodes') && (value === null || (Array.isArray(value) && value.includes(null)))) missing = true;
    if (root.selectionSet) collectTags(value, root.selectionSet.selections, fragments, tally);
  }
  return { tags: tally.tags, ranges: context.cacheRanges ?? [], anyWrite: missing || tally.overflow, overflow: tally.overflow };
}

/**
 * Repeated reads answered from memory, per process, and never stale: see ChangeAwareCache.
 * Reads are the same for everyone: no session. The key is the operation's scope and a hash of
 * the operation, its variables and its name.
 *
 * Written for this cache rather than through @graphql-yoga/plugin-response-cache, whose work per
 * object of an answer was out of proportion to the answer: it added `__typename` and `id` to every
 * selection of every answer, copied the whole answer to strip them (each list twice over, at every
 * level of nesting) and listed every object it met, all before deciding whether to keep it. Here
 * ids are added only to answers of scope `objects` that will be stored if small enough, the answer
 * is walked once, in place, and it is serialized once: the text yoga writes is the text kept.
 */
export function useChangeAwareResponseCache(db: Db, maxBytes?: number): Plugin {
  const scopes = new Map<string, Scope>();
  /** Operations whose answers had more than MAX_TAGS tags: kept as scope `any`, with no ids added. */
  const broad = new Set<string>();
  /** Requests (operation and variables) whose answers were too large to keep: not walked again. */
  const tooLarge = new Set<string>();
  const cache = new ChangeAwareCache(db, maxBytes);
  const remember = (set: Set<string>, key: string) => {
    if (set.size >= 10_000) set.clear();
    set.add(key);
  };
  return {
    onParams({ params, context, setResult }) {
      const document = params.query;
      if (typeof document !== 'string') return;
      const operation = `${params.operationName ?? ''}|${hash(document)}`;
      let scope = scopes.get(operation);
      if (!scope) {
        if (scopes.size > 1000) scopes.clear();
        scopes.set(operation, (scope = scopeOf(document, params.operationName)));
      }
      if (scope === 'objects' && broad.has(operation)) scope = 'any';
      if (scope === 'never') return;
      const request = hash(`${operation}|${JSON.stringify(params.variables ?? {})}`);
      if (tooLarge.has(request)) return;
      const key = `${scope}:${request}`;
      Object.assign(context as CacheContext, { cacheKey: key, cacheDeps: new Set<string>(), cacheRanges: [] });
      const hit = cache.get(key);
      if (hit) setResult(hit);
      else remembered.set(context as object, { operation, request });
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as CacheContext;
      const key = context.cacheKey;
      const asked = remembered.get(context);
      if (!key || !asked || !cache.computing(key)) return undefined;
      const objects = scopeOfKey(key) === 'objects';
      if (objects) setExecuteFn((execution) => executeFn({ ...execution, document: addIds(execution.document, execution.schema) }));
      return {
        onExecuteDone({ result }) {
          if (!('data' in result) || !result.data) return cache.abandon(key);
          // Walked even when not kept: the ids it added must not reach the client.
          const found = objects ? dependenciesOf(result, args.document, args.operationName, context) : undefined;
          if (found?.overflow) remember(broad, asked.operation);
          if (result.errors?.length) return cache.abandon(key);
          // With its extensions (the query budget's cost): the same for the same query and variables.
          const { data, extensions } = result;
          const json = JSON.stringify(extensions ? { data, extensions } : { data });
          if (cache.store(key, json, found) === 'too-large') remember(tooLarge, asked.request);
          // Serialized once: kept or not, yoga writes this text rather than serializing it again.
          Object.defineProperty(result, 'stringify', { value: (shown: ExecutionResult) => withExtras(json, shown, data, extensions), enumerable: true });
        },
      };
    },
  };
}

/** Per request that missed, what it asked: its operation, and the operation with its variables (hashed). */
const remembered = new WeakMap<object, { operation: string; request: string }>();
