import { type SQL, sql } from 'drizzle-orm';
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
 * Ranking scores at most this many matches (the first found, in index order) besides the entities
 * the query names, so a term that matches half the graph costs no more than a rare one. Deeper
 * pages than this are not served.
 */
export const RANKED_CANDIDATES = 1000;
/** `totalCount` stops counting here. */
export const COUNT_CAP = 10_000;
/**
 * A word in this many documents or more is too common to weigh: bm25 reads every document of each
 * word it weighs, whatever the LIMIT, for the word's IDF (25–35 ms for a word in half a million).
 * Such a word must still match but adds nothing to the score, and a query of only such words
 * ranks the entities it names first (a name or alias that is the query, then names that start
 * with it), then its other matches in index order, each with score 0. The trade-off: among those
 * other matches, bm25's order (name before body text, short before long) is lost. Equal to
 * COUNT_CAP, so probing a one-word query for it also answers its totalCount.
 */
export const COMMON_WORD_DOCUMENTS = COUNT_CAP;
/** At most this many names that start with the query, and as many aliases that are it, rank as named. */
export const NAME_CANDIDATES = 20;
const MAX_TERMS = 16;
/** The longest prefix the index keeps (migrations/*_search: `prefix = '2 3 4'`). */
export const INDEXED_PREFIX = 4;
/** A longer last word is searched as the indexed words it begins, when they are at most this many. */
export const MAX_COMPLETIONS = 32;
/**
 * A last word that begins more indexed words than this is not weighed either, as if common: bm25
 * would count the documents of each, and every FTS5 query (each snippet's) would open each. Such a
 * word is typed half-way; the entities it names still come first.
 */
export const MAX_WEIGHED_TERMS = 4;

/** Columns kind, ref_id, name, aliases, body: a name match weighs ten times body text. */
const BM25 = 'bm25(search_index, 0, 0, 10.0, 6.0, 1.0)';
export const SNIPPET_OPEN = '**';
export const SNIPPET_CLOSE = '**';
const snippet = sql`snippet(search_index, -1, ${SNIPPET_OPEN}, ${SNIPPET_CLOSE}, '…', 12)`;
/** The index's rowid says what a row is (migrations/*_search): entity id*4, claim id*4+1, source id*4+2. */
const ROWID_CLASS = { ENTITY: 0, CLAIM: 1, SOURCE: 2 } as const;

/**
 * The words of what a person typed: letters and digits only, so quotes, operators (AND, NEAR(, *,
 * -, :) and punctuation are searched for as text, never run as FTS5 syntax. Empty when nothing
 * searchable is left.
 */
export function searchWords(text: string): string[] {
  return text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_TERMS) ?? [];
}

/** One word of the query as FTS5 terms, any of which may match it; common when one of them is. */
interface Word {
  terms: string[];
  common: boolean;
}

const matchOf = (words: Word[]) => words.map((w) => (w.terms.length === 1 ? w.terms[0] : `(${w.terms.join(' OR ')})`)).join(' ');

/**
 * The query's words as FTS5 terms, each probed for being common, in one statement. Every word but
 * the last is quoted ("word"); the last is a prefix, for type-ahead. Up to INDEXED_PREFIX letters
 * the prefix index serves it ("wo"*). A longer one FTS5 would expand by merging the postings of
 * every word it begins before the first row, so it is looked up in search_terms instead and
 * searched as those words ("words" OR "wordsmith"); only ASCII, whose folding to index terms is
 * plain lowercase. With none or too many such words, or other letters, FTS5 expands it after all.
 * A one-letter last word stays a word: as a prefix it would match nearly everything.
 */
function planWords(db: Db, words: string[]): Word[] {
  const last = words.length - 1;
  const lastWord = words[last]!;
  const quoted = words.map((w, i) => (i === last && w.length >= 2 ? `"${w}"*` : `"${w}"`));
  const prefix = lastWord.length > INDEXED_PREFIX && /^[A-Za-z0-9]+$/.test(lastWord) ? lastWord.toLowerCase() : null;
  const beyond = prefix && `${prefix}\u{10FFFF}`;
  const rows = db.all<{ word: number; term: string; common: number }>(sql`
    WITH RECURSIVE completion(term, n) AS (
      SELECT (SELECT term FROM search_terms WHERE term >= ${prefix} AND term < ${beyond} LIMIT 1), 1 WHERE ${prefix} IS NOT NULL
      UNION ALL
      -- The next word: char(1) sorts below any letter, so this seeks past the current word's rows.
      SELECT (SELECT term FROM search_terms WHERE term >= completion.term || char(1) AND term < ${beyond} LIMIT 1), n + 1
      FROM completion WHERE completion.term IS NOT NULL AND n <= ${MAX_COMPLETIONS}
    ),
    expanded(n) AS (SELECT count(term) FROM completion),
    query(word, term) AS (
      SELECT ${last}, '"' || completion.term || '"' FROM completion, expanded
      WHERE completion.term IS NOT NULL AND expanded.n <= ${MAX_COMPLETIONS}
      UNION ALL SELECT ${last}, ${quoted[last]} FROM expanded WHERE ${prefix} IS NOT NULL AND expanded.n NOT BETWEEN 1 AND ${MAX_COMPLETIONS}
      UNION ALL SELECT key, value FROM json_each(${JSON.stringify(prefix ? quoted.slice(0, last) : quoted)})
    )
    SELECT word, term, (SELECT rowid FROM search_index WHERE search_index MATCH query.term
      LIMIT 1 OFFSET ${sql.raw(String(COMMON_WORD_DOCUMENTS - 1))}) IS NOT NULL AS common
    FROM query`);
  const planned = new Map<number, Word>();
  for (const row of rows) {
    const word = planned.get(row.word) ?? { terms: [], common: false };
    word.terms.push(row.term);
    word.common ||= row.common === 1;
    planned.set(row.word, word);
  }
  return [...planned].sort(([a], [b]) => a - b).map(([, word]) => word);
}

const ENTITY_KINDS_OF = (kinds: readonly SearchKind[]) => kinds.filter((k) => k !== 'CLAIM' && k !== 'SOURCE');
const list = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);

/** Only index rows of these kinds; the rowid tells claims and sources apart without reading the row. */
function kindFilter(kinds: readonly SearchKind[] | null | undefined): SQL {
  if (!kinds) return sql``;
  const entityKinds = ENTITY_KINDS_OF(kinds);
  const classes = [
    ...(kinds.includes('CLAIM') ? [sql`rowid % 4 = ${sql.raw(String(ROWID_CLASS.CLAIM))}`] : []),
    ...(kinds.includes('SOURCE') ? [sql`rowid % 4 = ${sql.raw(String(ROWID_CLASS.SOURCE))}`] : []),
    ...(entityKinds.length > 0 ? [sql`(rowid % 4 = ${sql.raw(String(ROWID_CLASS.ENTITY))} AND kind IN (${list(entityKinds)}))`] : []),
  ];
  return sql`AND (${sql.join(classes, sql` OR `)})`;
}

/**
 * bm25 alone can rank a claim that mentions "Musk" twice above Elon Musk, or an event named
 * "Microsoft's investment…" above Microsoft for "Micro". A name or alias that is the query goes
 * first; then names that start with it, the closer to the whole name the better.
 */
function nameBonus(q: string) {
  return sql`(CASE
    WHEN lower(name) = ${q} OR instr(' | ' || lower(aliases) || ' | ', ${` | ${q} | `}) > 0 THEN 100
    WHEN substr(lower(name), 1, ${q.length}) = ${q} THEN 50 + 10.0 * ${q.length} / length(name)
    ELSE 0 END)`;
}

/** The name bonus of an index row. A claim has no name, so its row is not read for one. */
const indexedNameBonus = (q: string) => sql`(CASE WHEN rowid % 4 = ${sql.raw(String(ROWID_CLASS.CLAIM))} THEN 0 ELSE ${nameBonus(q)} END)`;

/**
 * The ids of the entities the query names, found through the name indexes rather than among the
 * first matches, so the name bonus reaches them however common the words: names that are the
 * query or start with it (the first NAME_CANDIDATES in name order; only names that are it when
 * the last word is one letter, which is no prefix) and aliases that are it.
 */
function namedEntities(q: string, lastWord: string) {
  const limit = sql.raw(String(NAME_CANDIDATES));
  const named = lastWord.length >= 2 ? sql`lower(name) >= ${q} AND lower(name) < ${`${q}\u{10FFFF}`}` : sql`lower(name) = ${q}`;
  return sql`
    SELECT id FROM (SELECT id FROM entities WHERE ${named} ORDER BY lower(name) LIMIT ${limit})
    UNION ALL
    SELECT entity_id FROM (SELECT entity_id FROM entity_aliases WHERE lower(alias) = ${q} LIMIT ${limit})`;
}

/**
 * better-sqlite3 binds a JS number as REAL, and FTS5 ignores a REAL rowid bound next to MATCH
 * (a lone `rowid = ?`, or `IN (?)` with one value, then returns every match): the rowids go in as
 * integer literals. They come from the index itself.
 */
const rowidList = (rowids: number[]) => sql.raw(rowids.map((r) => String(Math.trunc(r))).join(', '));

/**
 * A page of matches for what a person typed, best first. Three statements: the words, probed for
 * being common; the candidates ranked and the page cut (with its snippets when nothing is
 * weighed); the page's snippets. A fourth counts the matches when the others could not.
 */
export function search(
  db: Db,
  { text, kinds, offset, limit }: { text: string; kinds?: readonly SearchKind[] | null; offset: number; limit: number },
): SearchPage {
  const words = searchWords(text);
  if (words.length === 0 || (kinds && kinds.length === 0)) return { hits: [], totalCount: 0, offset, hasNextPage: false };
  const planned = planWords(db, words);
  const match = matchOf(planned);
  const weighed = planned.filter((w) => !w.common && w.terms.length <= MAX_WEIGHED_TERMS);
  const q = text.trim().toLowerCase();
  const named = namedEntities(q, words.at(-1)!);
  const kindsOnly = kindFilter(kinds);

  let scored: SQL;
  let firstMatches: number;
  if (weighed.length > 0) {
    // bm25 weighs the words that are not common; the common ones only have to match. The named
    // entities are picked out of one scan of the matches (`+rowid`: not one FTS5 query per entity,
    // each of which would count the words' documents for bm25 again).
    const score = sql`-${sql.raw(BM25)} + ${indexedNameBonus(q)}`;
    const ranking = matchOf(weighed);
    const alsoMatching =
      weighed.length < planned.length ? sql`AND +rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH ${match})` : sql``;
    firstMatches = RANKED_CANDIDATES;
    scored = sql`
      SELECT * FROM (
        SELECT rowid, ${score} AS score, NULL AS kind, NULL AS snippet FROM search_index
        WHERE search_index MATCH ${ranking} ${alsoMatching} ${kindsOnly} LIMIT ${sql.raw(String(firstMatches))}
      )
      UNION ALL
      SELECT rowid, ${score}, NULL, NULL FROM search_index
      WHERE search_index MATCH ${ranking} AND +rowid IN (SELECT id * 4 FROM (${named})) ${alsoMatching} ${kindsOnly}`;
  } else {
    // Nothing to weigh: the named entities first, by their name bonus, then the first matches in
    // index order, only as many as this page needs; on the first page with their snippets, from
    // the same scan. The named entities come from the tables (their names start with the query,
    // so they hold its words), not from one FTS5 query each.
    const entityKinds = kinds ? ENTITY_KINDS_OF(kinds) : null;
    firstMatches = Math.min(offset + limit + 1, RANKED_CANDIDATES);
    scored = sql`
      SELECT * FROM (
        SELECT rowid, 0 AS score, ${offset === 0 ? sql`kind AS kind, ${snippet} AS snippet` : sql`NULL AS kind, NULL AS snippet`} FROM search_index
        WHERE search_index MATCH ${match} ${kindsOnly} LIMIT ${sql.raw(String(firstMatches))}
      )
      UNION ALL
      SELECT search_rowid, ${nameBonus(q)}, kind, NULL FROM entity_search_rows WHERE ref_id IN (${named})
      ${entityKinds ? (entityKinds.length > 0 ? sql`AND kind IN (${list(entityKinds)})` : sql`AND 0`) : sql``}`;
  }
  // With a single max(), the other columns of a group come from its row with the highest score.
  const ranked = db.all<{ rowid: number; score: number; kind: SearchKind | null; snippet: string | null; candidates: number }>(sql`
    SELECT rowid AS rowid, max(score) AS score, kind, snippet, count(*) OVER () AS candidates FROM (${scored})
    GROUP BY rowid ORDER BY score DESC, rowid LIMIT ${limit + 1} OFFSET ${offset}`);

  const page = ranked.slice(0, limit);
  const shown = new Map<number, { kind: SearchKind; snippet: string }>();
  for (const r of page) if (r.kind !== null && r.snippet !== null) shown.set(r.rowid, { kind: r.kind, snippet: r.snippet });
  const unshown = page.filter((r) => !shown.has(r.rowid)).map((r) => r.rowid);
  if (unshown.length > 0) {
    const rows = db.all<{ rowid: number; kind: SearchKind; snippet: string }>(sql`
      SELECT rowid AS rowid, kind, ${snippet} AS snippet FROM search_index
      WHERE search_index MATCH ${match} AND rowid IN (${rowidList(unshown)})`);
    for (const row of rows) shown.set(row.rowid, row);
  }

  // Past the last row the window count is not there to read: 0 rows at offset 0 means no match.
  const candidates = ranked[0]?.candidates ?? (offset === 0 ? 0 : undefined);
  let totalCount: number;
  if (candidates !== undefined && candidates < firstMatches) {
    totalCount = candidates; // every match was a candidate (the named entities are among them)
  } else if (planned.length === 1 && planned[0]!.common && !kinds) {
    totalCount = COUNT_CAP; // probed: the one word is in at least as many documents
  } else {
    const [counted] = db.all<{ n: number }>(sql`
      SELECT count(*) AS n FROM (SELECT 1 FROM search_index WHERE search_index MATCH ${match} ${kindsOnly} LIMIT ${sql.raw(String(COUNT_CAP))})`);
    totalCount = counted?.n ?? 0;
  }

  return {
    // A row without a snippet no longer matches: deleted or changed since it was ranked.
    hits: page.flatMap((r) => {
      const row = shown.get(r.rowid);
      return row ? [{ kind: row.kind, refId: Math.floor(r.rowid / 4), score: r.score, snippet: row.snippet }] : [];
    }),
    totalCount,
    offset,
    hasNextPage: ranked.length > limit && offset + limit < RANKED_CANDIDATES,
  };
}
