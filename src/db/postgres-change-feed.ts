import pg from 'pg';
import type { ChangeFeed, Changes } from './engine';

/** The channel the cache_changes triggers notify (migrations/postgres/*_cache_changes). */
export const CHANGES_CHANNEL = 'claimgraph_changes';
/** A notification's payload that means "anything may have changed": sent by a load that set the triggers aside. */
export const CHANGES_RESET = 'reset';
/** The first wait before the listener reconnects; it doubles on each failure up to RECONNECT_MAX_MS. */
export const RECONNECT_FIRST_MS = 100;
export const RECONNECT_MAX_MS = 5000;

/**
 * One look at cache_changes, in one statement so that all of it reads one snapshot: the tags of
 * the transactions that committed since the last look's snapshot ($1), the snapshot itself for the
 * next look, and the newest and oldest ids, which tell whether rows were pruned before they were
 * read. With $1 NULL (the first look after connecting) it reads no tags.
 *
 * A row is new when its transaction was not yet committed as of the last snapshot. Transactions
 * older than that snapshot's xmin had all ended by then, so the xid index bounds the scan to the
 * rows of recent transactions. `finished` says whether a transaction running at the last look has
 * committed since: its rows may carry ids below those already read, so a prune since then may have
 * taken some before they were read.
 */
const LOOK = `
  WITH s AS (SELECT pg_current_snapshot() AS now, $1::text::pg_snapshot AS last)
  SELECT s.now::text AS snapshot, pg_current_wal_lsn()::text AS lsn,
    (SELECT max(id) FROM cache_changes)::text AS newest,
    (SELECT min(id) FROM cache_changes)::text AS oldest,
    s.last IS NOT NULL AND EXISTS (SELECT 1 FROM pg_snapshot_xip(s.last) AS x(xid) WHERE pg_visible_in_snapshot(x.xid, s.now)) AS finished,
    CASE WHEN s.last IS NULL THEN '[]'::json ELSE (
      SELECT coalesce(json_agg(c.tag ORDER BY c.id), '[]'::json) FROM cache_changes c
      WHERE c.xid >= pg_snapshot_xmin(s.last) AND NOT pg_visible_in_snapshot(c.xid, s.last)
    ) END AS tags
  FROM s`;

interface Look {
  snapshot: string;
  /** The primary's WAL position at the look: every commit it reports is at or before it. */
  lsn: string;
  newest: string | null;
  oldest: string | null;
  finished: boolean;
  tags: string[];
}
type Read = Omit<Look, 'newest' | 'oldest'> & { newest: number; oldest: number };

/**
 * The change feed of a process on PostgreSQL. The cache_changes triggers notify channel
 * claimgraph_changes in every writing transaction; one dedicated connection per process (not one
 * of the pool's) LISTENs, and on each notification reads the tags committed since its last look
 * (see LOOK), which it hands to every listener at once: the response cache drops what they touch,
 * live queries rerun, the path index re-reads the entities they name. `poll()` hands over what is
 * queued, synchronously, as the interface wants.
 *
 * Never stale, still useful: between a notification and the read of its tags the feed is `behind`
 * (the response cache then answers nothing from memory, and the path index waits for the read)
 * rather than reporting "anything may have changed", which would empty the cache at every write
 * of any process. A mutation of this process waits for `settle()` before its answer is sent, so
 * the next request sees its tags whichever socket the notification takes. A notification lost
 * while the connection is down cannot be recovered: while disconnected every poll reports null
 * (anything may have changed), the connection is reopened with backoff, and the first look after
 * reconnecting reports null once more.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<(changes: Changes) => void>();
  private client: pg.Client | null = null;
  private state: 'connecting' | 'connected' | 'closed' = 'connecting';
  /** Reports not yet handed to the listeners; null among them: anything may have changed. */
  private queued: Changes = [];
  private hasQueued = false;
  /** The last look's snapshot and newest and oldest ids. */
  private last: { snapshot: string; newest: number; oldest: number } | null = null;
  /** Notifications received, and how many of them the last finished look covers. */
  private notified = 0;
  private covered = 0;
  private looking = false;
  private wanted = false;
  private waiters: (() => void)[] = [];
  private delay = RECONNECT_FIRST_MS;
  private timer: NodeJS.Timeout | undefined;
  /** A listener's error while reports were handed over outside poll(): thrown by the next poll(). */
  private failed: unknown;

  /**
   * `seen`, when given, is told the primary's WAL position at each look, before the listeners
   * hear what it found: reads from replicas then wait for that position (src/db/postgres-replicas.ts).
   */
  constructor(
    private readonly config: pg.ClientConfig,
    private readonly seen?: (lsn: string) => void,
  ) {
    void this.connect();
  }

  /** True while a commit is known whose tags are not read yet, or while no commit can be heard of. */
  get behind(): boolean {
    return this.state !== 'connected' || this.covered < this.notified;
  }

  /** The server process of the listening connection (for tests that cut it); undefined while disconnected. */
  get backendPid(): number | undefined {
    return this.state === 'connected' ? (this.client as unknown as { processID?: number } | null)?.processID : undefined;
  }

  onChange(listener: (changes: Changes) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  poll(): void {
    if (this.state !== 'connected') this.queue(null);
    const failed = this.failed;
    this.failed = undefined;
    this.deliver();
    if (failed !== undefined) throw failed;
  }

  /**
   * Resolves once what was committed before the call has been read and handed to the listeners
   * (at once while disconnected: every poll then reports that anything may have changed).
   */
  settle(): Promise<void> {
    if (this.state !== 'connected') return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.look();
    });
  }

  async close(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private queue(changes: Changes) {
    if (changes === null || this.queued === null) this.queued = null;
    else this.queued.push(...changes);
    this.hasQueued = this.hasQueued || changes === null || changes.length > 0;
  }

  /** Hands what is queued to every listener, even if one throws (the first error is thrown after). */
  private deliver() {
    if (!this.hasQueued) return;
    const found = this.queued;
    this.queued = [];
    this.hasQueued = false;
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

  /** Delivers outside a poll (a look finished, the connection dropped): a listener's error waits for the next poll. */
  private deliverNow() {
    try {
      this.deliver();
    } catch (error) {
      this.failed ??= error;
    }
  }

  private async connect() {
    if (this.state === 'closed') return;
    const client = new pg.Client({ ...this.config, keepAlive: true });
    this.client = client;
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (client !== this.client || message.channel !== CHANGES_CHANNEL) return;
      if (message.payload === CHANGES_RESET) this.queue(null);
      this.notified++;
      this.look();
    });
    try {
      await client.connect();
      // Listening before the first look: whatever commits after that look's snapshot is notified.
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      const first = await this.read(client, null);
      // Closed (or given up on) meanwhile.
      if (client !== this.client) return void client.end().catch(() => {});
      this.last = first;
      this.seen?.(first.lsn);
      this.state = 'connected';
      this.delay = RECONNECT_FIRST_MS;
      // Anything may have changed while nobody listened.
      this.queue(null);
      this.deliverNow();
      // Notifications that came while the first look ran may be of commits after its snapshot.
      if (this.covered < this.notified) this.look();
    } catch {
      this.lost(client);
    }
  }

  /** The listening connection failed or closed: report that anything may change until it is back. */
  private lost(client: pg.Client) {
    if (client !== this.client || this.state === 'closed') return;
    this.client = null;
    this.state = 'connecting';
    this.last = null;
    this.covered = this.notified;
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    for (const waiter of this.waiters.splice(0)) waiter();
    this.queue(null);
    this.deliverNow();
    this.timer = setTimeout(() => void this.connect(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
  }

  /** Reads what committed since the last look; one look at a time, another after it if asked meanwhile. */
  private look() {
    this.wanted = true;
    if (this.looking) return;
    this.looking = true;
    void (async () => {
      while (this.wanted && this.state === 'connected' && this.client) {
        this.wanted = false;
        const client = this.client;
        const notified = this.notified;
        const waiters = this.waiters.splice(0);
        try {
          const now = await this.read(client, this.last);
          if (client === this.client) {
            this.take(now);
            this.covered = Math.max(this.covered, notified);
          }
        } catch {
          this.lost(client);
        }
        this.deliverNow();
        for (const waiter of waiters) waiter();
      }
      this.looking = false;
    })();
  }

  private take(now: Read) {
    const last = this.last!;
    this.seen?.(now.lsn);
    // Rows may have been pruned before they were read: ids past the last look's newest are gone,
    // or a prune ran while a transaction that was running at the last look committed since.
    const pruned = now.oldest > last.newest + 1 || (now.oldest > last.oldest && now.finished);
    this.queue(pruned ? null : now.tags);
    this.last = { snapshot: now.snapshot, newest: Math.max(now.newest, last.newest), oldest: now.oldest };
  }

  private async read(client: pg.Client, last: { snapshot: string } | null): Promise<Read> {
    const { rows } = await client.query<Look>(LOOK, [last?.snapshot ?? null]);
    const look = rows[0]!;
    return { ...look, newest: Number(look.newest ?? 0), oldest: Number(look.oldest ?? 0) };
  }
}
