import type { Db } from '.';
import type { ChangeFeed as ChangeFeedOfEngine, Changes } from './engine';

/**
 * The database's change feed, as one process sees it: the tags that triggers write into
 * cache_changes in every writing transaction, whichever connection or process commits it. `poll()`
 * first asks SQLite whether anything was committed since it last looked (data_version moves when
 * another connection commits; total_changes() with this connection's own writes), and only then
 * reads the new tags, handing them to every listener. The response cache polls before every
 * lookup; live queries poll on a timer and after every mutation of their process.
 *
 * data_version also moves when nothing was committed (another connection's checkpoint that
 * resets the log, or a write of this connection that was rolled back): every table the API reads
 * tags what it changes, and triggers cannot be skipped without changing the schema, so a move
 * with no new tag changed nothing and tells no listener.
 */
export class ChangeFeed implements ChangeFeedOfEngine {
  private readonly listeners = new Set<(changes: Changes) => void>();
  /** The newest cache_changes id read. */
  private seen: number;
  private version: string;
  private readonly versionNow;
  private readonly newer;
  private readonly oldest;

  constructor(db: Db) {
    const client = db.$client;
    this.versionNow = client.prepare(
      "SELECT (SELECT data_version FROM pragma_data_version) || '.' || total_changes() || '.' || (SELECT schema_version FROM pragma_schema_version)",
    ).pluck();
    this.newer = client.prepare('SELECT id, tag FROM cache_changes WHERE id > ? ORDER BY id');
    this.oldest = client.prepare('SELECT min(id) FROM cache_changes').pluck();
    this.seen = client.prepare('SELECT coalesce(max(id), 0) FROM cache_changes').pluck().get() as number;
    this.version = this.versionNow.get() as string;
  }

  /** Calls `listener` with what every later poll finds; returns the call that stops it. */
  onChange(listener: (changes: Changes) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads what was committed since the last look and tells every listener, if anything was. */
  poll(): void {
    const version = this.versionNow.get() as string;
    if (version === this.version) return;
    const schemaChanged = version.split('.')[2] !== this.version.split('.')[2];
    this.version = version;
    const changes = this.newer.all(this.seen) as { id: number; tag: string }[];
    const oldest = this.oldest.get() as number | null;
    const forget = (oldest !== null && oldest > this.seen + 1) || schemaChanged;
    this.seen = changes.at(-1)?.id ?? this.seen;
    if (changes.length === 0 && !forget) return;
    const found: Changes = forget ? null : changes.map((c) => c.tag);
    // Every listener hears of it, even if one throws: one that missed these tags could never learn them.
    let failed: unknown;
    for (const listener of this.listeners) {
      try {
        listener(found);
      } catch (error) {
        failed ??= error;
      }
    }
    if (failed !== undefined) throw failed;
  }
}
