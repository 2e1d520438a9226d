/**
 * The response cache: what an operation's answer depends on (scope.ts, dependencies.ts), the
 * database's change feed (feed.ts), the store that keeps answers true to the database across
 * processes (store.ts), and the yoga plugin that puts them together (plugin.ts). Live queries
 * (src/graphql/live.ts) follow the same dependencies and feed.
 */
export {
  addIds,
  type CacheContext,
  dependenciesOf,
  dependsOn,
  dependsOnRange,
  type Found,
  listFieldsOf,
  MAX_TAGS,
} from './dependencies';
export { type Changes, ChangeFeed, changeFeedOf } from './feed';
export { type CacheOutcome, cachedCost, cacheOutcome, changeAwareResponseCache, type ResponseCache } from './plugin';
export { scopeOfOperation } from './scope';
export { ChangeAwareCache, touches } from './store';
