import type { ExecutionResult } from 'graphql';
import { DEFAULT_RESPONSE_CACHE_MB } from '../config';
import type { Db } from '../db';
import type { Dependencies, Found, IdRange } from './dependencies';
import type { ChangeFeed } from '../db/engine';
import { type Changes, changeFeedOf } from './feed';
import { scopeOfKey } from './scope';

/**
 * What one tag is counted as in the cache's byte accounting: the string, its place in the answer's
 * set and in the index from tag to answers (a set of its own when no other answer has the tag).
 */
const TAG_BYTES = 200;

/** A row's tag ("Claim:7", "Claim:7#about"): its type and id. */
const ROW_TAG = /^(\w+):(\d+)/;

/** A kept answer: its JSON text (`{"data":…}`), nothing else of it. */
interface Entry extends Dependencies {
  json: string;
  bytes: number;
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
  const result = { stringify: (shown: ExecutionResult) => withExtras(json, shown, undefined, undefined) } as ExecutionResult;
  texts.set(result, json);
  return result;
}

const texts = new WeakMap<ExecutionResult, string>();

/**
 * extensions.cost.requestedNodes of an answer served from memory, read from its text: the
 * extensions come last, and a key's quotes are the only unescaped ones, so the last
 * `"requestedNodes":` is the cost's (an alias of that name in the data comes before it).
 */
export function servedCost(result: ExecutionResult): number | undefined {
  const json = texts.get(result);
  const at = json?.lastIndexOf('"requestedNodes":');
  if (json === undefined || at === undefined || at < 0) return undefined;
  const cost = Number.parseInt(json.slice(at + 17, at + 40), 10);
  return Number.isNaN(cost) ? undefined : cost;
}

/**
 * `json` (`{"data":…,"extensions":…}`, `kept` being the extensions in it, such as the query
 * budget's cost) as `shown` says it: with any extensions added since; its own text when it
 * carries errors or other data.
 */
export function withExtras(json: string, shown: ExecutionResult, data: unknown, kept: ExecutionResult['extensions']): string {
  if (shown.errors?.length || shown.data !== data) return JSON.stringify(shown.data === undefined ? { ...JSON.parse(json), ...shown } : shown);
  const added = shown.extensions && shown.extensions !== kept ? Object.entries(shown.extensions) : [];
  if (added.length === 0) return json;
  const answer = JSON.parse(json) as ExecutionResult;
  return JSON.stringify({ ...answer, extensions: { ...answer.extensions, ...Object.fromEntries(added) } });
}

/**
 * An in-memory store of answers, kept true to the database however many processes write to it.
 * Before every lookup it polls the database's change feed (feed.ts), which hands it the tags
 * committed since the last look, by any connection, and it drops the answers they touch. An answer computed while a write committed is kept only if the write tagged nothing
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
  private readonly feed: ChangeFeed;

  constructor(
    db: Db,
    readonly maxBytes = DEFAULT_RESPONSE_CACHE_MB * 2 ** 20,
  ) {
    this.feed = changeFeedOf(db);
    this.feed.onChange((changes) => this.apply(changes));
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
    // A commit known but not yet read (PostgreSQL): what is kept may predate it.
    if (this.feed.behind) return undefined;
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
      if (touches(commit.tags, { tags, ranges })) return true;
    }
    return false;
  }

  /** Applies every change committed since the last look (see ChangeFeed). */
  private sync() {
    this.feed.poll();
  }

  /** Drops what a commit's tags touch; everything when they are not known. */
  private apply(tags: Changes) {
    this.commits++;
    this.recent.push({ commit: this.commits, tags });
    if (this.recent.length > 256) this.recent.shift();
    if (!tags) return this.clear();
    for (const key of this.anyScope) this.drop(key);
    for (const tag of tags) {
      this.dropTagged(tag);
      this.dropInRange(tag);
    }
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

/** Whether any of a commit's tags is one an answer depends on, or falls in one of its id ranges. */
export function touches(changed: readonly string[], { tags, ranges }: Dependencies): boolean {
  return changed.some((tag) => tags.has(tag) || inRanges(tag, ranges));
}

/** Whether a row's tag ("Claim:7", "Claim:7#about") falls in one of these id ranges. */
function inRanges(tag: string, ranges: IdRange[]) {
  if (ranges.length === 0) return false;
  const row = ROW_TAG.exec(tag);
  if (!row) return false;
  const id = Number(row[2]);
  return ranges.some(([type, above, upTo]) => type === row[1] && id > above && id <= upTo);
}
