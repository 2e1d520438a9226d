import { type Cache, hashSHA256, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import { type ExecutionResult, Kind, type OperationDefinitionNode, parse, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Db } from './db';
import { decodeGlobalID, ENTITY_KIND_BY_TYPE } from './graphql/global-id';

/**
 * What a cached answer depends on, decided from its operation:
 * - `objects`: only `node`/`nodes` at the root, so the answer shows the rows it depends on; it is
 *   dropped when a write tags one of the objects in it (see migrations/*_cache_changes).
 * - `any`: lists, search, paths, counts: any write may change them, so any write drops them.
 * - `never`: mutations, and anything that does not parse, are never answered from memory.
 */
type Scope = 'objects' | 'any' | 'never';

/** An object the plugin found in an answer: its type and, when selected or added, its id. */
type CacheEntityRecord = Parameters<Cache['invalidate']>[0] extends Iterable<infer T> ? T : never;

const OBJECT_ROOTS = new Set(['node', 'nodes', '__typename']);

function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, SelectionSetNode>, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(selection.selectionSet, fragments, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = fragments.get(name);
    return fragment ? rootFields(fragment, fragments, seen) : ['(unknown fragment)'];
  });
}

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
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  return rootFields(operation.selectionSet, fragments).every((field) => OBJECT_ROOTS.has(field)) ? 'objects' : 'any';
}

/** The tag a write gives an object: "Claim:7"; every entity type shares "Entity". */
function tagOf(entity: CacheEntityRecord): string | null {
  if (entity.id == null) return null;
  try {
    const { typename, id } = decodeGlobalID(String(entity.id));
    return `${ENTITY_KIND_BY_TYPE.has(typename) ? 'Entity' : typename}:${id}`;
  } catch {
    return null;
  }
}

interface Entry {
  result: ExecutionResult;
  tags: string[];
  bytes: number;
}

/**
 * An in-memory store of answers, kept true to the database however many processes write to it.
 * Before every lookup it asks SQLite whether anything was committed since it last looked
 * (data_version moves when another connection commits; total_changes() with this connection's
 * own writes); only then does it read the tags written since into cache_changes and drop what
 * they touch. An answer computed while a write committed is not kept: it may predate the write.
 */
export class ChangeAwareCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly anyScope = new Set<string>();
  /** The commit count (`commits`) when each missed key began to be computed. */
  private readonly missedAt = new Map<string, number>();
  private bytes = 0;
  /** Commits noticed so far: an answer computed while this moved is not kept. */
  private commits = 0;
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

  set(key: string, result: ExecutionResult, entities: Iterable<CacheEntityRecord>) {
    let scope = scopeOfKey(key);
    const since = this.missedAt.get(key);
    this.missedAt.delete(key);
    if (scope === 'never' || since === undefined) return;
    this.sync();
    if (since !== this.commits) return;
    const data = (result.data ?? {}) as Record<string, unknown>;
    // A missing object shows no tag that its creation would write: treat it like a list.
    if (Object.values(data).some((value) => value === null || (Array.isArray(value) && value.includes(null)))) scope = 'any';
    const tags = scope === 'objects' ? [...new Set([...entities].map(tagOf).filter((t): t is string => t !== null))] : [];
    const bytes = JSON.stringify(result).length * 2;
    if (bytes > this.maxBytes / 8) return;
    this.drop(key);
    this.entries.set(key, { result, tags, bytes });
    this.bytes += bytes;
    if (scope === 'any') this.anyScope.add(key);
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  invalidate(entities: Iterable<CacheEntityRecord>) {
    for (const entity of entities) {
      const tag = tagOf(entity);
      if (tag) this.dropTagged(tag);
    }
  }

  /** Applies every change committed since the last look. */
  private sync() {
    const version = this.versionNow.get() as string;
    if (version === this.version) return;
    const schemaChanged = version.split('.')[2] !== this.version.split('.')[2];
    this.version = version;
    this.commits++;
    const changes = this.newer.all(this.seen) as { id: number; tag: string }[];
    const oldest = this.oldest.get() as number | null;
    // Forget it all when a commit wrote no tag, when tags were pruned before this process read
    // them, or when the schema changed: a migration, or a bulk load, which sets the triggers aside.
    if (changes.length === 0 || (oldest !== null && oldest > this.seen + 1) || schemaChanged) {
      this.clear();
    } else {
      for (const key of this.anyScope) this.drop(key);
      for (const { tag } of changes) this.dropTagged(tag);
    }
    this.seen = changes.at(-1)?.id ?? this.seen;
  }

  private dropTagged(tag: string) {
    for (const key of this.byTag.get(tag) ?? []) this.drop(key);
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
  }

  private clear() {
    this.entries.clear();
    this.byTag.clear();
    this.anyScope.clear();
    this.bytes = 0;
  }
}

const scopeOfKey = (key: string): Scope => (key.startsWith('objects:') ? 'objects' : key.startsWith('any:') ? 'any' : 'never');

/**
 * Repeated reads answered from memory, per process, and never stale: see ChangeAwareCache.
 * Reads are the same for everyone: no session. The key is the operation's scope and a hash of
 * the operation, its variables and its name.
 */
export function useChangeAwareResponseCache(db: Db, maxBytes?: number): Plugin {
  const scopes = new Map<string, Scope>();
  return useResponseCache({
    session: () => null,
    invalidateViaMutation: false,
    includeExtensionMetadata: false,
    cache: new ChangeAwareCache(db, maxBytes),
    buildResponseCacheKey: async ({ documentString, variableValues, operationName }) => {
      const memo = `${operationName ?? ''}|${documentString}`;
      let scope = scopes.get(memo);
      if (!scope) {
        if (scopes.size > 1000) scopes.clear();
        scopes.set(memo, (scope = scopeOf(documentString, operationName)));
      }
      return `${scope}:${await hashSHA256(`${documentString}|${JSON.stringify(variableValues ?? {})}|${operationName ?? ''}`)}`;
    },
  });
}
