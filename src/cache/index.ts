/**
 * The response cache: what an operation's answer depends on (scope.ts, dependencies.ts), the
 * store that keeps answers true to the database across processes (store.ts), and the yoga plugin
 * that puts them together (plugin.ts).
 */
export { type CacheContext, dependsOn, dependsOnRange, listFieldsOf, MAX_TAGS } from './dependencies';
export { useChangeAwareResponseCache } from './plugin';
export { ChangeAwareCache } from './store';
