import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { Db } from '../db';
import { addIds, type CacheContext, dependenciesOf } from './dependencies';
import { type Scope, scopeOf, scopeOfKey } from './scope';
import { ChangeAwareCache, servedCost, withExtras } from './store';

const hash = (text: string) => createHash('sha256').update(text).digest('base64');

/** Whether the response cache answered a request (by its GraphQL context): `none` when it did not look. */
export type CacheOutcome = 'hit' | 'miss' | 'none';
const outcomes = new WeakMap<object, 'miss' | ExecutionResult>();
export const cacheOutcome = (context: object): CacheOutcome => {
  const outcome = outcomes.get(context);
  return outcome === undefined ? 'none' : outcome === 'miss' ? 'miss' : 'hit';
};
/** The cost (extensions.cost.requestedNodes) of the answer the cache gave, when it gave one. */
export const cachedCost = (context: object): number | undefined => {
  const outcome = outcomes.get(context);
  return outcome === undefined || outcome === 'miss' ? undefined : servedCost(outcome);
};

/** Per request that missed, what it asked: its operation, and the operation with its variables (hashed). */
const remembered = new WeakMap<object, { operation: string; request: string }>();

/** The response cache: its plugin, and its lookup for the fast path of repeated reads (src/http/fast-reads.ts). */
export interface ResponseCache {
  plugin: Plugin;
  lookup(params: GraphQLParams, context: object): ExecutionResult | undefined;
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
export function changeAwareResponseCache(db: Db, maxBytes?: number): ResponseCache {
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
  /** The answer kept for these parameters, if any; otherwise notes in `context` what the execution must tell the cache. */
  const lookup = (params: GraphQLParams, context: object): ExecutionResult | undefined => {
    const document = params.query;
    if (typeof document !== 'string') return undefined;
    const operation = `${params.operationName ?? ''}|${hash(document)}`;
    let scope = scopes.get(operation);
    if (!scope) {
      if (scopes.size > 1000) scopes.clear();
      scopes.set(operation, (scope = scopeOf(document, params.operationName)));
    }
    if (scope === 'objects' && broad.has(operation)) scope = 'any';
    if (scope === 'never') return undefined;
    const request = hash(`${operation}|${JSON.stringify(params.variables ?? {})}`);
    if (tooLarge.has(request)) return undefined;
    const key = `${scope}:${request}`;
    Object.assign(context as CacheContext, { cacheKey: key, cacheDeps: new Set<string>(), cacheRanges: [] });
    const hit = cache.get(key);
    outcomes.set(context, hit ?? 'miss');
    if (!hit) remembered.set(context, { operation, request });
    return hit;
  };
  const plugin: Plugin = {
    onParams({ params, context, setResult }) {
      const hit = lookup(params, context);
      if (hit) setResult(hit);
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
          const found = objects ? dependenciesOf(result, args.document, args.operationName, context, args.schema) : undefined;
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
  return { plugin, lookup };
}
