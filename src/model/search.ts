import type { Db } from '../db';
import { engineOf } from '../db/engine';
import { MAX_TERMS, RANKED_CANDIDATES, refIdOf, type SearchIndex } from '../db/search';
import { sqliteSearch } from '../db/sqlite-search';

import type { SearchKind } from '../../schema/enums';
import { highlightsOf, type TextRange } from './search-highlights';

export type { SearchKind, TextRange };
export { MAX_HIGHLIGHTS } from './search-highlights';
export {
  COMMON_WORD_DOCUMENTS,
  COUNT_CAP,
  INDEXED_PREFIX,
  MAX_COMPLETIONS,
  MAX_WEIGHED_TERMS,
  NAME_CANDIDATES,
  PREFIX_WORDS_READ,
  RANKED_CANDIDATES,
} from '../db/search';
// The raw floor of the benchmark (bench/raw-floor.ts) asks FTS5 as SQLite's index does.
export { BM25, INLINE_SNIPPETS_PER_RESULT, SNIPPET } from '../db/sqlite-search';

export interface SearchHit {
  kind: SearchKind;
  refId: number;
  score: number;
  snippet: string;
  /** The matches in the field the snippet is taken from, when asked for. */
  highlights?: TextRange[];
}

export interface SearchPage {
  hits: SearchHit[];
  /** Matches counted, up to COUNT_CAP. */
  totalCount: number;
  offset: number;
  hasNextPage: boolean;
}

/**
 * The words of what a person typed: letters and digits only, so quotes, operators (AND, NEAR(, *,
 * -, :, &, |, !) and punctuation are searched for as text, never run as an index's query syntax.
 * Empty when nothing searchable is left.
 */
export function searchWords(text: string): string[] {
  return text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_TERMS) ?? [];
}

/** The search index of `db`'s engine; a SQLite database opened directly (tests, commands) has FTS5's. */
export function searchIndexOf(db: Db): SearchIndex {
  return engineOf(db)?.search ?? sqliteSearch(db);
}

/**
 * A page of matches for what a person typed, best first: every word must match, the last one as a
 * prefix. The engine's index ranks and pages them (src/db/search.ts); the highlights are read from
 * the fields it marks, the same way on either engine.
 */
export async function search(
  db: Db,
  {
    text,
    kinds,
    offset,
    limit,
    highlights = false,
  }: { text: string; kinds?: readonly SearchKind[] | null; offset: number; limit: number; highlights?: boolean },
): Promise<SearchPage> {
  const words = searchWords(text);
  if (words.length === 0 || (kinds && kinds.length === 0)) return { hits: [], totalCount: 0, offset, hasNextPage: false };
  const index = searchIndexOf(db);
  // As typed, but for spaces: "Microsoft " names Microsoft as "Microsoft" does.
  const query = text.trim().replace(/\s+/gu, ' ').toLowerCase();
  const page = await index.page({ words, query, kinds, offset, limit, highlights });
  const ranges = highlights ? await highlightsOf(index, page.hits) : null;
  return {
    hits: page.hits.map(({ rowid, kind, score, snippet }) => {
      const hit: SearchHit = { kind, refId: refIdOf(rowid), score, snippet };
      if (ranges) hit.highlights = ranges.get(rowid) ?? [];
      return hit;
    }),
    totalCount: page.totalCount,
    offset,
    hasNextPage: page.more && offset + limit < RANKED_CANDIDATES,
  };
}
