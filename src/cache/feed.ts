import type { Db } from '../db';
import { type ChangeFeed as AnyChangeFeed, engineOf } from '../db/engine';
import { ChangeFeed } from '../db/sqlite-change-feed';

/** The change feed's types live with the engines (src/db/engine.ts); SQLite's feed is src/db/sqlite-change-feed.ts. */
export type { Changes } from '../db/engine';
export { ChangeFeed };

const feeds = new WeakMap<Db, AnyChangeFeed>();

/** The one change feed of a connection, shared by everything in the process that reads it. */
export function changeFeedOf(db: Db): AnyChangeFeed {
  let feed = feeds.get(db);
  if (!feed) feeds.set(db, (feed = engineOf(db)?.changeFeed() ?? new ChangeFeed(db)));
  return feed;
}
