import type { Db } from '../db';
import { type ChangeFeed as AnyChangeFeed, engineOf } from '../db/engine';
import { ChangeFeed } from '../db/sqlite-change-feed';

/**
 * What one look at the database found committed since the last: the tags written since, in
 * order, or null when they can no longer be known (tags pruned before this process read them, or
 * the schema changed: a migration, or a bulk load, which sets the triggers aside), which means
 * anything may have changed.
 */
export type { Changes } from '../db/engine';
export { ChangeFeed };

const feeds = new WeakMap<Db, AnyChangeFeed>();

/** The one change feed of a connection, shared by everything in the process that reads it. */
export function changeFeedOf(db: Db): AnyChangeFeed {
  let feed = feeds.get(db);
  if (!feed) feeds.set(db, (feed = engineOf(db)?.changeFeed() ?? new ChangeFeed(db)));
  return feed;
}
