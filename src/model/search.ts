import { sql } from 'drizzle-orm';
import type { Db } from '../db';

import type { SearchKind } from '../../schema/enums';

export type { SearchKind };

export interface SearchHit {
  kind: SearchKind;
  refId: number;
  score: number;
  snippet: string;
}

export interface SearchPage {
  hits: SearchHit[];
  /** Matches counted, up to COUNT_CAP. */
  totalCount: number;
  offset: number;
  hasNextPage: boolean;
}

/**
 * Ranking scores at most this many matches (the first found, in index order), so a term that
 * matches half the graph costs no more than a rare one. Deeper pages than this are not served.
 */
export const RANKED_CANDIDATES = 1000;
/** `totalCount` stops counting here. */
export const COUNT_CAP = 10_000;
const MAX_TERMS = 16;

/** Columns kind, ref_id, name, aliases, body: a name match weighs ten times body text. */
const BM25 = 'bm25(search_index, 0, 0, 10.0, 6.0, 1.0)';
export const SNIPPET_OPEN = '**';
export const SNIPPET_CLOSE = '**';

/**
 * Turns whatever a person typed into an FTS5 query that cannot be a syntax error: the words are
 * taken out (letters and digits only), quoted, and ANDed; the last one is a prefix for type-ahead.
 * Quotes, operators (AND, NEAR(, *, -, :) and punctuation are thereby searched for as text, never
 * run as syntax. Null when nothing searchable is left.
 */
export function toFtsQuery(text: string): string | null {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_TERMS) ?? [];
  if (words.length === 0) return null;
  return words
    .map((word, i) => {
      const quoted = `"${word}"`;
      // A one-letter prefix would match nearly everything and has no prefix index to use.
      return i === words.length - 1 && word.length >= 2 ? `${quoted}*` : quoted;
    })
    .join(' ');
}

/**
 * bm25 alone can rank a claim that mentions "Musk" twice above Elon Musk, or an event named
 * "Microsoft's investment…" above Microsoft for "Micro". A name or alias that is the query goes
 * first; then names that start with it, the closer to the whole name the better.
 */
function nameBonus(text: string) {
  const q = text.trim().toLowerCase();
  return sql`(CASE
    WHEN lower(name) = ${q} OR instr(' | ' || lower(aliases) || ' | ', ${` | ${q} | `}) > 0 THEN 100
    WHEN substr(lower(name), 1, ${q.length}) = ${q} THEN 50 + 10.0 * ${q.length} / length(name)
    ELSE 0 END)`;
}

export function search(
  db: Db,
  { text, kinds, offset, limit }: { text: string; kinds?: readonly SearchKind[] | null; offset: number; limit: number },
): SearchPage {
  const match = toFtsQuery(text);
  if (!match || (kinds && kinds.length === 0)) return { hits: [], totalCount: 0, offset, hasNextPage: false };
  const kindFilter = kinds ? sql`AND kind IN (${sql.join(kinds.map((k) => sql`${k}`), sql`, `)})` : sql``;

  const ranked = db.all<{ rowid: number; kind: SearchKind; refId: number; score: number }>(sql`
    SELECT rowid AS rowid, kind, ref_id AS refId, score FROM (
      SELECT rowid, kind, ref_id, -${sql.raw(BM25)} + ${nameBonus(text)} AS score FROM search_index
      WHERE search_index MATCH ${match} ${kindFilter} LIMIT ${sql.raw(String(RANKED_CANDIDATES))}
    ) ORDER BY score DESC, rowid LIMIT ${limit + 1} OFFSET ${offset}`);

  const page = ranked.slice(0, limit);
  const snippets = new Map<number, string>();
  if (page.length > 0) {
    const rows = db.all<{ rowid: number; snippet: string }>(sql`
      SELECT rowid AS rowid, snippet(search_index, -1, ${SNIPPET_OPEN}, ${SNIPPET_CLOSE}, '…', 12) AS snippet
      FROM search_index WHERE search_index MATCH ${match} AND rowid IN (${sql.join(page.map((r) => sql`${r.rowid}`), sql`, `)})`);
    for (const row of rows) snippets.set(row.rowid, row.snippet);
  }

  const [counted] = db.all<{ n: number }>(sql`
    SELECT count(*) AS n FROM (SELECT 1 FROM search_index WHERE search_index MATCH ${match} ${kindFilter} LIMIT ${sql.raw(String(COUNT_CAP))})`);

  return {
    hits: page.map((r) => ({ kind: r.kind, refId: r.refId, score: r.score, snippet: snippets.get(r.rowid) ?? '' })),
    totalCount: counted?.n ?? 0,
    offset,
    hasNextPage: ranked.length > limit && offset + limit < RANKED_CANDIDATES,
  };
}
