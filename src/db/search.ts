import type { SearchKind } from '../../schema/enums';

/**
 * What search needs from an engine's full-text index: the matches of a query's words, ranked and
 * paged, with snippets, counts and (when asked) the matched words marked in each field. One
 * implementation per engine: src/db/sqlite-search.ts (FTS5) and src/db/postgres-search.ts
 * (tsvector). Both follow the same plan, so the same query finds the same results on either, in
 * the same order wherever one is clearly better, under the same paging; only scores differ (bm25
 * against ts_rank). The limits below are that plan's, shared by both.
 */

/**
 * Ranking scores at most this many matches (the first found, in index order) besides the entities
 * the query names, so a term that matches half the graph costs no more than a rare one. Deeper
 * pages than this are not served.
 */
export const RANKED_CANDIDATES = 1000;
/** `totalCount` stops counting here. */
export const COUNT_CAP = 10_000;
/**
 * A word in this many documents or more is too common to weigh: bm25 reads every document of each
 * word it weighs, whatever the LIMIT, for the word's IDF (see docs/performance.md#search).
 * Such a word must still match but adds nothing to the score, and a query of only such words
 * ranks the entities it names first (a name or alias that is the query, then names that start
 * with it), then its other matches in index order, each with score 0. The trade-off: among those
 * other matches, bm25's order (name before body text, short before long) is lost. Equal to
 * COUNT_CAP, so a one-word query found common also has its totalCount.
 */
export const COMMON_WORD_DOCUMENTS = COUNT_CAP;
/** At most this many names that start with the query, and as many aliases that are it, rank as named. */
export const NAME_CANDIDATES = 20;
/** Words of a query searched for; the rest are ignored. */
export const MAX_TERMS = 16;
/** The longest prefix the index keeps (migrations/sqlite/*_search_one_letter_prefix: `prefix = '1 2 3 4'`). */
export const INDEXED_PREFIX = 4;
/**
 * A short last word reads at most this many of the words it begins in search_term_counts to tell
 * whether it is common; past that, the index is asked (a one-letter prefix can begin tens of thousands).
 */
export const PREFIX_WORDS_READ = 4096;
/** A longer last word is searched as the indexed words it begins, when they are at most this many. */
export const MAX_COMPLETIONS = 32;
/**
 * A last word that begins more indexed words than this is not weighed either, as if common: bm25
 * would count the documents of each, and every FTS5 query (each snippet's) would open each. Such a
 * word is typed half-way; the entities it names still come first.
 */
export const MAX_WEIGHED_TERMS = 4;
/** What a snippet wraps each matched word in, and its length in words. */
export const SNIPPET_OPEN = '**';
export const SNIPPET_CLOSE = '**';
export const SNIPPET_ELLIPSIS = '…';
export const SNIPPET_TOKENS = 12;
/** The index's rowid says what a row is (migrations/sqlite/*_search): entity id*4, claim id*4+1, source id*4+2. */
export const ROWID_CLASS = { ENTITY: 0, CLAIM: 1, SOURCE: 2 } as const;
/** Sorts after any word that begins with what precedes it. */
export const BEYOND = '\u{10FFFF}';

/** The indexed columns of a search document, in the order the index holds them (and snippet() weighs a tie). */
export const SEARCH_COLUMNS = ['name', 'aliases', 'body'] as const;
export type SearchColumn = (typeof SEARCH_COLUMNS)[number];
/** What highlight() wraps each match in: control characters a text hardly holds (see src/model/search-highlights.ts). */
export const HIGHLIGHT_OPEN = '\u0002';
export const HIGHLIGHT_CLOSE = '\u0003';
/** A document's indexed columns, and each as highlight() marks it. */
export type MarkedColumns = Record<SearchColumn | `h_${SearchColumn}`, string>;

export interface SearchRequest {
  /** The words typed (src/model/search.ts searchWords): every one must match, the last as a prefix. */
  words: string[];
  /** What was typed, trimmed, spaces collapsed, lowercased: what names and aliases are compared with. */
  query: string;
  kinds?: readonly SearchKind[] | null;
  offset: number;
  limit: number;
  /** Whether each hit should carry its fields as highlight() marks them. */
  highlights: boolean;
}

export interface IndexedHit {
  /** The document's rowid (ROWID_CLASS). */
  rowid: number;
  kind: SearchKind;
  score: number;
  snippet: string;
  marked?: MarkedColumns;
}

export interface IndexedPage {
  /** The page, best first: rows changed since they were ranked so that they no longer match are left out. */
  hits: IndexedHit[];
  /** Matches counted, up to COUNT_CAP. */
  totalCount: number;
  /** Whether ranking found more matches past the page. */
  more: boolean;
}

export interface SearchIndex {
  page(request: SearchRequest): Promise<IndexedPage>;
  /** Each entity's aliases, in their order (Entity.aliases'). */
  aliases(entityIds: number[]): Promise<Map<number, string[]>>;
}

/** The kinds of entity among `kinds`. */
export const entityKindsOf = (kinds: readonly SearchKind[]) => kinds.filter((k) => k !== 'CLAIM' && k !== 'SOURCE');

/** The kind of row a search document is, by its rowid. */
export const refIdOf = (rowid: number) => Math.floor(rowid / 4);
