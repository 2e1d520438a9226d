import { createHash } from 'node:crypto';
import { type Cache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import {
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Db } from './db';
import { decodeGlobalID, ENTITY_KIND_BY_TYPE } from './graphql/global-id';

/**
 * What a cached answer depends on, decided from its operation:
 * - `objects`: its root fields are `node`/`nodes`, or root fields that declare what they read
 *   (DECLARING_ROOTS), so its dependencies are known: the objects it shows and the lists it
 *   selects on them, plus what its root fields declared (see useDependencies). It is dropped when
 *   a write tags one of them (see migrations/*_cache_fields).
 * - `any`: other lists, search, counts: any write may change them, so any write drops them.
 * - `never`: mutations, and anything that does not parse, are never answered from memory.
 */
type Scope = 'objects' | 'any' | 'never';

/** An object the plugin found in an answer: its type and, when selected or added, its id. */
type CacheEntityRecord = Parameters<Cache['invalidate']>[0] extends Iterable<infer T> ? T : never;

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

/**
 * The tags an answer depends on, read from it before the response-cache plugin strips the ids it
 * added: every object it shows ("Claim:7") and every list it selects on one ("Claim:7#about").
 */
function collectTags(value: unknown, selections: readonly SelectionNode[], fragments: Fragments, tags: Set<string>) {
  if (Array.isArray(value)) {
    for (const item of value) collectTags(item, selections, fragments, tags);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  const fields = fieldsOfOnce(selections, fragments);
  // The plugin adds the id as __responseCacheId unless the operation selects `id` itself.
  const id = object.__responseCacheId ?? (fields.some((f) => f.name.value === 'id' && !f.alias) ? object.id : undefined);
  const own = tagOf(id);
  if (own) tags.add(own);
  for (const field of fields) {
    if (own && LIST_FIELDS.has(field.name.value)) tags.add(`${own}#${field.name.value}`);
    if (field.selectionSet) collectTags(object[field.alias?.value ?? field.name.value], field.selectionSet.selections, fragments, tags);
  }
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
interface Dependencies {
  tags: Set<string>;
  ranges: IdRange[];
}

interface Entry extends Dependencies {
  result: ExecutionResult;
  bytes: number;
}

/** What an answer was found to depend on while it was computed (see useDependencies). */
interface Declared extends Dependencies {
  /** A `node` or `nodes` root answered null: its creation would tag no object the answer shows. */
  missing: boolean;
}

/**
 * An in-memory store of answers, kept true to the database however many processes write to it.
 * Before every lookup it asks SQLite whether anything was committed since it last looked
 * (data_version moves when another connection commits; total_changes() with this connection's
 * own writes); only then does it read the tags written since into cache_changes and drop what
 * they touch. An answer computed while a write committed is kept only if the write tagged nothing
 * it depends on: otherwise it may predate the write, whose tags were applied before it was stored.
 */
export class ChangeAwareCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly anyScope = new Set<string>();
  /** Per type, the keys of answers that cover an id range of it. */
  private readonly byRange = new Map<string, Set<string>>();
  /** Dependencies found for keys being computed, until set() stores them. */
  private readonly declared = new Map<string, Declared>();
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
    private readonly maxBytes = 16 * 2 ** 20,
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

  get(key: string) {
    if (scopeOfKey(key) === 'never') return undefined;
    this.sync();
    const entry = this.entries.get(key);
    if (!entry) {
      if (this.missedAt.size > 10_000) this.missedAt.clear();
      if (!this.missedAt.has(key)) this.missedAt.set(key, this.commits);
      return undefined;
    }
    // Most recently used last: eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.result as ExecutionResult<Record<string, unknown>>;
  }

  /** Whether the answer for `key` is being computed: looked up and missed, not yet stored. */
  computing(key: string) {
    return this.missedAt.has(key);
  }

  /** Records what the answer being computed for `key` depends on; set() reads it. */
  declare(key: string, { tags, ranges }: Dependencies, missing: boolean) {
    if (this.declared.size > 10_000) this.declared.clear();
    this.declared.set(key, { tags, ranges, missing });
  }

  /** Stores an answer; what it depends on comes from declare(), not from the plugin's list of its objects. */
  set(key: string, result: ExecutionResult, _objects?: Iterable<CacheEntityRecord>) {
    let scope = scopeOfKey(key);
    const since = this.missedAt.get(key);
    const declared = this.declared.get(key);
    this.missedAt.delete(key);
    this.declared.delete(key);
    if (scope === 'never' || since === undefined) return;
    this.sync();
    if (scope === 'objects') {
      // Without its dependencies an answer cannot be kept: nothing would say when it changes.
      if (!declared) return;
      // A missing object shows no tag that its creation would write: treat it like a list.
      if (declared.missing) scope = 'any';
    }
    // An answer any write may change is dropped by every commit, so needs no tags.
    const { tags, ranges } = scope === 'objects' ? declared! : { tags: new Set<string>(), ranges: [] };
    if (since !== this.commits && (scope === 'any' || this.touchedSince(since, { tags, ranges }))) return;
    // Only answers without errors are stored (the plugin's default), so this is all they say,
    // with the query budget's extensions.cost, the same for the same query and variables.
    const json = JSON.stringify({ data: result.data, extensions: result.extensions });
    // The object, and its JSON at one or two bytes a character.
    const bytes = json.length * 3;
    if (bytes > this.maxBytes / 8) return;
    // Serialized once: yoga writes a result with its own `stringify` (result-processor/stringify).
    // Enumerable, so the copies the plugin serves keep it; it is handed a copy without the HTTP
    // headers the plugin adds under `extensions`.
    Object.defineProperty(result, 'stringify', {
      value: (shown: ExecutionResult) => (sameAnswer(shown, result) ? json : JSON.stringify(shown)),
      enumerable: true,
    });
    this.drop(key);
    this.entries.set(key, { result, tags, ranges, bytes });
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
  }

  invalidate(entities: Iterable<CacheEntityRecord>) {
    for (const entity of entities) {
      const tag = tagOf(entity.id);
      if (tag) this.dropTagged(tag);
    }
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

/** `shown` says exactly what `stored` does: its data and extensions, and no errors. */
const sameAnswer = (shown: ExecutionResult, stored: ExecutionResult) =>
  shown.data === stored.data &&
  Object.entries(shown).every(([key, value]) => key === 'data' || key === 'stringify' || value === undefined || (key === 'extensions' && value === stored.extensions));

const scopeOfKey = (key: string): Scope => (key.startsWith('objects:') ? 'objects' : key.startsWith('any:') ? 'any' : 'never');

/**
 * Finds what each answer depends on, from the answer as executed (with the ids the response-cache
 * plugin adds to every selection, before it strips them) and from what its resolvers declared,
 * and tells the cache before the plugin stores the answer. Runs before the plugin's own hooks.
 */
function useDependencies(cache: ChangeAwareCache): Plugin {
  return {
    onExecute({ args }) {
      const context = args.contextValue as CacheContext;
      return {
        onExecuteDone({ result }) {
          const key = context.cacheKey;
          if (!key || scopeOfKey(key) !== 'objects' || !cache.computing(key) || !('data' in result) || !result.data) return;
          const operation = getOperationAST(args.document, args.operationName);
          if (!operation) return;
          const fragments = fragmentsOf(args.document.definitions);
          const tags = new Set(context.cacheDeps);
          let missing = false;
          for (const root of fieldsOf(operation.selectionSet.selections, fragments)) {
            const value = (result.data as Record<string, unknown>)[root.alias?.value ?? root.name.value];
            if ((root.name.value === 'node' || root.name.value === 'nodes') && (value === null || (Array.isArray(value) && value.includes(null)))) missing = true;
            if (root.selectionSet) collectTags(value, root.selectionSet.selections, fragments, tags);
          }
          cache.declare(key, { tags, ranges: context.cacheRanges ?? [] }, missing);
        },
      };
    },
  };
}

/**
 * Repeated reads answered from memory, per process, and never stale: see ChangeAwareCache.
 * Reads are the same for everyone: no session. The key is the operation's scope and a hash of
 * the operation, its variables and its name.
 */
export function useChangeAwareResponseCache(db: Db, maxBytes?: number): Plugin {
  const scopes = new Map<string, Scope>();
  const cache = new ChangeAwareCache(db, maxBytes);
  const responseCache = useResponseCache({
    session: () => null,
    invalidateViaMutation: false,
    includeExtensionMetadata: false,
    cache,
    buildResponseCacheKey: ({ documentString, variableValues, operationName, context }) => {
      const memo = `${operationName ?? ''}|${documentString}`;
      let scope = scopes.get(memo);
      if (!scope) {
        if (scopes.size > 1000) scopes.clear();
        scopes.set(memo, (scope = scopeOf(documentString, operationName)));
      }
      const key = `${scope}:${createHash('sha256').update(`${documentString}|${JSON.stringify(variableValues ?? {})}|${operationName ?? ''}`).digest('base64')}`;
      Object.assign(context as CacheContext, { cacheKey: key, cacheDeps: new Set<string>(), cacheRanges: [] });
      return key;
    },
  });
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useDependencies(cache));
      addPlugin(responseCache);
    },
  };
}
