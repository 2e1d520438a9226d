import type { SearchKind } from '../../schema/enums';
import { allRows, type Db } from '.';
import {
  BEYOND,
  COMMON_WORD_DOCUMENTS,
  COUNT_CAP,
  entityKindsOf,
  HIGHLIGHT_CLOSE,
  HIGHLIGHT_OPEN,
  INDEXED_PREFIX,
  type IndexedHit,
  type IndexedPage,
  MAX_COMPLETIONS,
  MAX_WEIGHED_TERMS,
  type MarkedColumns,
  NAME_CANDIDATES,
  PREFIX_WORDS_READ,
  RANKED_CANDIDATES,
  ROWID_CLASS,
  type SearchIndex,
  type SearchRequest,
  SNIPPET_CLOSE,
  SNIPPET_ELLIPSIS,
  SNIPPET_OPEN,
  SNIPPET_TOKENS,
} from './search';

/**
 * SQLite's search index: the FTS5 table search_index (migrations/sqlite/*_search, *_search_one_letter_prefix)
 * with search_term_counts beside it (migrations/sqlite/*_search_term_counts), read with statements this
 * module writes itself (`allRows`: compiled once per connection).
 */

/** Columns kind, ref_id, name, aliases, body: a name match weighs ten times body text. */
export const BM25 = 'bm25(search_index, 0, 0, 10.0, 6.0, 1.0)';
export const SNIPPET = `snippet(search_index, -1, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '${SNIPPET_ELLIPSIS}', ${SNIPPET_TOKENS})`;
/**
 * The ranking scan makes every candidate's snippet itself when the candidates are at most this
 * many per result on the page: a snippet made in the scan costs a fraction of what the
 * separate snippet statement pays per row (an FTS5 query each).
 */
export const INLINE_SNIPPETS_PER_RESULT = 6;

/** SQL text with its positional parameters. */
interface Query {
  text: string;
  params: unknown[];
}
/** A template whose Query values are spliced in and whose other values become parameters. */
function q(strings: TemplateStringsArray, ...values: unknown[]): Query {
  let text = strings[0]!;
  const params: unknown[] = [];
  values.forEach((value, i) => {
    if (isQuery(value)) {
      text += value.text;
      params.push(...value.params);
    } else {
      text += '?';
      params.push(value);
    }
    text += strings[i + 1];
  });
  return { text, params };
}
const isQuery = (value: unknown): value is Query => typeof value === 'object' && value !== null && 'text' in value && 'params' in value;
const raw = (text: string): Query => ({ text, params: [] });
const EMPTY = raw('');
const join = (parts: Query[], separator: string): Query => ({ text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) });
const run = <T>(db: Db, query: Query) => allRows<T>(db, query.text, query.params);

/**
 * One word of the query as FTS5 terms, any of which may match it; common when one of them is.
 * `documents`: at most this many documents hold it, when search_term_counts could say.
 */
interface Word {
  terms: string[];
  common: boolean;
  documents: number | null;
}

/** FTS5 ANDs phrases side by side, but not a parenthesised group: "ben" ("smith" OR "smithe") is a syntax error. */
const matchOf = (words: Word[]) => words.map((w) => (w.terms.length === 1 ? w.terms[0] : `(${w.terms.join(' OR ')})`)).join(' AND ');
/** ASCII letters and digits fold to index terms by plain lowercasing; other letters are FTS5's to fold. */
const ASCII_WORD = /^[A-Za-z0-9]+$/;
/** Whether FTS5 finds `term` in COMMON_WORD_DOCUMENTS documents: it walks that many to know. */
const probe = (term: string) => q`(SELECT rowid FROM search_index WHERE search_index MATCH ${term} LIMIT 1 ${raw(`OFFSET ${COMMON_WORD_DOCUMENTS - 1}`)}) IS NOT NULL`;

/**
 * The query's words as FTS5 terms, each known to be common or not, in one statement. Every word
 * but the last is quoted ("word"); the last is a prefix, for type-ahead, from its first letter.
 * Up to INDEXED_PREFIX letters the prefix index serves it ("w"*, "wo"*). A longer one FTS5 would
 * expand by merging the postings of every word it begins before the first row, so it is searched
 * as those words instead ("words" OR "wordsmith"), looked up in search_term_counts; with none or
 * too many, FTS5 expands it after all. Whether a word is common, and at most how many documents
 * hold it, comes from search_term_counts for ASCII words. A prefix is common when one of its words
 * is, and not when all of them together are in too few documents (read up to PREFIX_WORDS_READ of
 * them); between the two, and for other letters (whose folding is FTS5's), FTS5 is asked.
 */
function planWords(db: Db, words: string[]): Word[] {
  const last = words.length - 1;
  const ctes: Query[] = [];
  const parts = words.map((w, i) => {
    const prefix = i === last;
    const fts = prefix ? `"${w}"*` : `"${w}"`;
    const word = raw(String(i));
    if (!ASCII_WORD.test(w)) return q`SELECT ${word} AS word, ${fts} AS term, NULL AS documents, ${probe(fts)} AS common`;
    const term = w.toLowerCase();
    if (!prefix) {
      return q`SELECT ${word} AS word, ${fts} AS term, coalesce((SELECT documents FROM search_term_counts WHERE term = ${term}), 0) AS documents, NULL AS common`;
    }
    if (w.length <= INDEXED_PREFIX) {
      // Past PREFIX_WORDS_READ words the sum is no bound: the documents are not known.
      const read = raw(String(PREFIX_WORDS_READ));
      return q`SELECT ${word} AS word, ${fts} AS term, CASE WHEN n < ${read} THEN total END AS documents,
          CASE WHEN most >= ${raw(String(COMMON_WORD_DOCUMENTS))} THEN 1
          WHEN total < ${raw(String(COMMON_WORD_DOCUMENTS))} AND n < ${read} THEN 0 ELSE ${probe(fts)} END AS common
        FROM (SELECT count(*) AS n, coalesce(max(documents), 0) AS most, coalesce(sum(documents), 0) AS total FROM (
          SELECT documents FROM search_term_counts WHERE term >= ${term} AND term < ${term + BEYOND} LIMIT ${read}))`;
    }
    const completions = raw(`completions${i}`);
    ctes.push(q`${completions} AS (SELECT term, documents FROM search_term_counts
      WHERE term >= ${term} AND term < ${term + BEYOND} ORDER BY term LIMIT ${raw(String(MAX_COMPLETIONS + 1))})`);
    // Beginning no word, it matches nothing; beginning too many, FTS5 expands it.
    return q`SELECT ${word} AS word, '"' || term || '"' AS term, documents, NULL AS common FROM ${completions}
        WHERE (SELECT count(*) FROM ${completions}) <= ${raw(String(MAX_COMPLETIONS))}
      UNION ALL
      SELECT ${word}, ${fts}, CASE WHEN n = 0 THEN 0 END, CASE WHEN n = 0 THEN 0 ELSE ${probe(fts)} END
        FROM (SELECT count(*) AS n FROM ${completions}) WHERE n = 0 OR n > ${raw(String(MAX_COMPLETIONS))}`;
  });
  const rows = run<{ word: number; term: string; documents: number | null; common: number | null }>(
    db,
    q`${ctes.length > 0 ? q`WITH ${join(ctes, ', ')}` : EMPTY} ${join(parts, ' UNION ALL ')}`,
  );
  // In the order of the parts, a word's completions in term order (the order bm25 sums them in).
  const planned: Word[] = [];
  for (const row of rows) {
    const word = (planned[row.word] ??= { terms: [], common: false, documents: 0 });
    word.terms.push(row.term);
    word.common ||= row.common === null ? row.documents! >= COMMON_WORD_DOCUMENTS : row.common === 1;
    word.documents = row.documents === null || word.documents === null ? null : word.documents + row.documents;
  }
  return planned;
}

const list = (values: readonly string[]) => join(values.map((v) => q`${v}`), ', ');

/** Only index rows of these kinds; the rowid tells claims and sources apart without reading the row. */
function kindFilter(kinds: readonly SearchKind[] | null | undefined): Query {
  if (!kinds) return EMPTY;
  const entityKinds = entityKindsOf(kinds);
  const classes = [
    ...(kinds.includes('CLAIM') ? [raw(`rowid % 4 = ${ROWID_CLASS.CLAIM}`)] : []),
    ...(kinds.includes('SOURCE') ? [raw(`rowid % 4 = ${ROWID_CLASS.SOURCE}`)] : []),
    ...(entityKinds.length > 0 ? [q`(rowid % 4 = ${raw(String(ROWID_CLASS.ENTITY))} AND kind IN (${list(entityKinds)}))`] : []),
  ];
  return q`AND (${join(classes, ' OR ')})`;
}

/**
 * bm25 alone can rank a claim that mentions "Musk" twice above Elon Musk, or an event named
 * "Microsoft's investment…" above Microsoft for "Micro". A name or alias that is the query goes
 * first; then names that start with it, then names with a word that starts with it ("Elon Musk"
 * for "Mu"), the closer to the whole name the better.
 */
function nameBonus(query: string) {
  return q`(CASE
    WHEN lower(name) = ${query} OR instr(' | ' || lower(aliases) || ' | ', ${` | ${query} | `}) > 0 THEN 100
    WHEN substr(lower(name), 1, ${query.length}) = ${query} THEN 50 + 10.0 * ${query.length} / length(name)
    WHEN instr(' ' || lower(name), ${` ${query}`}) > 0 THEN 25 + 10.0 * ${query.length} / length(name)
    ELSE 0 END)`;
}

/** The name bonus of an index row. A claim has no name, so its row is not read for one. */
const indexedNameBonus = (query: string) => q`(CASE WHEN rowid % 4 = ${raw(String(ROWID_CLASS.CLAIM))} THEN 0 ELSE ${nameBonus(query)} END)`;

/**
 * The ids of the entities the query names, found through the name indexes rather than among the
 * first matches, so the name bonus reaches them however common the words: names that are the
 * query or start with it (the first NAME_CANDIDATES in name order, read from the index on
 * lower(name), however short the query) and aliases that are it.
 */
function namedEntities(query: string) {
  const limit = raw(String(NAME_CANDIDATES));
  return q`
    SELECT id FROM (SELECT id FROM entities WHERE lower(name) >= ${query} AND lower(name) < ${query + BEYOND} ORDER BY lower(name) LIMIT ${limit})
    UNION ALL
    SELECT entity_id FROM (SELECT entity_id FROM entity_aliases WHERE lower(alias) = ${query} LIMIT ${limit})`;
}

/**
 * better-sqlite3 binds a JS number as REAL, and FTS5 ignores a REAL rowid bound next to MATCH
 * (a lone `rowid = ?`, or `IN (?)` with one value, then returns every match): the rowids go in as
 * integer literals. They come from the index itself.
 */
const rowidList = (rowids: number[]) => raw(rowids.map((r) => String(Math.trunc(r))).join(', '));

/**
 * A page of matches for what a person typed, best first. Two statements when the words are rare:
 * the words, planned; the candidates ranked, with their snippets, and the page cut. Otherwise the
 * ranking considers the entities the query names as well, and a third statement makes the page's
 * snippets (unless nothing is weighed: the first page's come from the ranking scan). A fourth
 * counts the matches when the others could not.
 */
function page(db: Db, { words, query, kinds, offset, limit, highlights }: SearchRequest): IndexedPage {
  if (kinds && kinds.length === 0) return { hits: [], totalCount: 0, more: false };
  const planned = planWords(db, words);
  const match = matchOf(planned);
  const weighed = planned.filter((w) => !w.common && w.terms.length <= MAX_WEIGHED_TERMS);
  // At most this many documents match: those of the rarest word.
  const matches = Math.min(...planned.map((w) => w.documents ?? Infinity));
  const kindsOnly = kindFilter(kinds);

  let ranking: Query;
  let firstMatches: number;
  if (weighed.length > 0) {
    // bm25 weighs the words that are not common; the common ones only have to match.
    const score = q`-${raw(BM25)} + ${indexedNameBonus(query)}`;
    const ranked = matchOf(weighed);
    const mixed = weighed.length < planned.length;
    const alsoMatching = mixed ? q`AND +rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH ${match})` : EMPTY;
    firstMatches = RANKED_CANDIDATES;
    const first = (columns: Query) => q`
      SELECT rowid, ${score} AS score, ${columns} FROM search_index
      WHERE search_index MATCH ${ranked} ${alsoMatching} ${kindsOnly} LIMIT ${raw(String(firstMatches))}`;
    if (matches < firstMatches) {
      // Every match is a candidate, the named entities among them: one scan. Few enough, and
      // matched by the same words as the page, it makes their snippets too.
      const snippets = !mixed && matches <= INLINE_SNIPPETS_PER_RESULT * limit;
      ranking = q`
        SELECT rowid AS rowid, score, kind, snippet, count(*) OVER () AS candidates FROM (
          ${first(raw(snippets ? `kind AS kind, ${SNIPPET} AS snippet` : 'NULL AS kind, NULL AS snippet'))}
        )
        ORDER BY score DESC, rowid LIMIT ${limit + 1} OFFSET ${offset}`;
    } else {
      // The named entities are picked out of one scan of the matches (`+rowid`: not one FTS5 query
      // per entity, each of which would count the words' documents for bm25 again). With a single
      // max(), the other columns of a group come from its row with the highest score.
      ranking = q`
        SELECT rowid AS rowid, max(score) AS score, kind, snippet, count(*) OVER () AS candidates FROM (
          SELECT * FROM (${first(raw('NULL AS kind, NULL AS snippet'))})
          UNION ALL
          SELECT rowid, ${score}, NULL, NULL FROM search_index
          WHERE search_index MATCH ${ranked} AND +rowid IN (SELECT id * 4 FROM (${namedEntities(query)})) ${alsoMatching} ${kindsOnly}
        )
        GROUP BY rowid ORDER BY score DESC, rowid LIMIT ${limit + 1} OFFSET ${offset}`;
    }
  } else {
    // Nothing to weigh: the named entities first, by their name bonus, then the first matches in
    // index order, only as many as this page needs; on the first page with their snippets, from
    // the same scan. The named entities come from the tables (their names start with the query,
    // so they hold its words), not from one FTS5 query each.
    const entityKinds = kinds ? entityKindsOf(kinds) : null;
    firstMatches = Math.min(offset + limit + 1, RANKED_CANDIDATES);
    ranking = q`
      SELECT rowid AS rowid, max(score) AS score, kind, snippet, count(*) OVER () AS candidates FROM (
        SELECT * FROM (
          SELECT rowid, 0 AS score, ${raw(offset === 0 ? `kind AS kind, ${SNIPPET} AS snippet` : 'NULL AS kind, NULL AS snippet')} FROM search_index
          WHERE search_index MATCH ${match} ${kindsOnly} LIMIT ${raw(String(firstMatches))}
        )
        UNION ALL
        SELECT search_rowid, ${nameBonus(query)}, kind, NULL FROM entity_search_rows WHERE ref_id IN (${namedEntities(query)})
        ${entityKinds ? (entityKinds.length > 0 ? q`AND kind IN (${list(entityKinds)})` : raw('AND 0')) : EMPTY}
      )
      GROUP BY rowid ORDER BY score DESC, rowid LIMIT ${limit + 1} OFFSET ${offset}`;
  }
  const ranked = run<{ rowid: number; score: number; kind: SearchKind | null; snippet: string | null; candidates: number }>(db, ranking);

  const page = ranked.slice(0, limit);
  const shown = new Map<number, { kind: SearchKind; snippet: string }>();
  for (const r of page) if (r.kind !== null && r.snippet !== null) shown.set(r.rowid, { kind: r.kind, snippet: r.snippet });
  const unshown = page.filter((r) => !shown.has(r.rowid)).map((r) => r.rowid);
  if (unshown.length > 0) {
    const rows = run<{ rowid: number; kind: SearchKind; snippet: string }>(
      db,
      q`SELECT rowid AS rowid, kind, ${raw(SNIPPET)} AS snippet FROM search_index
      WHERE search_index MATCH ${match} AND rowid IN (${rowidList(unshown)})`,
    );
    for (const row of rows) shown.set(row.rowid, row);
  }
  const marked = highlights ? markedColumns(db, match, [...shown.keys()]) : null;

  // Past the last row the window count is not there to read: 0 rows at offset 0 means no match.
  const candidates = ranked[0]?.candidates ?? (offset === 0 ? 0 : undefined);
  const only = planned.length === 1 ? planned[0]! : null;
  let totalCount: number;
  if (candidates !== undefined && candidates < firstMatches) {
    totalCount = candidates; // every match was a candidate (the named entities are among them)
  } else if (only?.common && !kinds) {
    totalCount = COUNT_CAP; // the one word is in at least as many documents
  } else if (only && only.terms.length === 1 && only.documents !== null && !only.terms[0]!.endsWith('*') && !kinds) {
    totalCount = Math.min(only.documents, COUNT_CAP); // one indexed word: its documents are its matches
  } else {
    const [counted] = run<{ n: number }>(
      db,
      q`SELECT count(*) AS n FROM (SELECT 1 FROM search_index WHERE search_index MATCH ${match} ${kindsOnly} LIMIT ${raw(String(COUNT_CAP))})`,
    );
    totalCount = counted?.n ?? 0;
  }

  return {
    // A row without a snippet no longer matches: deleted or changed since it was ranked.
    hits: page.flatMap((r) => {
      const row = shown.get(r.rowid);
      if (!row) return [];
      const hit: IndexedHit = { rowid: r.rowid, kind: row.kind, score: r.score, snippet: row.snippet };
      if (marked) {
        const columns = marked.get(r.rowid);
        if (columns) hit.marked = columns;
      }
      return [hit];
    }),
    totalCount,
    more: ranked.length > limit,
  };
}

/**
 * Each row's indexed columns, and each as highlight() marks the matches of `match` (the query the
 * snippets were made with) in it: one FTS5 query for the page.
 */
function markedColumns(db: Db, match: string, rowids: number[]): Map<number, MarkedColumns> {
  if (rowids.length === 0) return new Map();
  const rows = allRows<{ rowid: number } & MarkedColumns>(
    db,
    `SELECT rowid AS rowid, name, aliases, body,
       highlight(search_index, 2, ?, ?) AS h_name, highlight(search_index, 3, ?, ?) AS h_aliases, highlight(search_index, 4, ?, ?) AS h_body
     FROM search_index WHERE search_index MATCH ? AND rowid IN (${rowidList(rowids).text})`,
    [HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE, match],
  );
  return new Map(rows.map(({ rowid, ...columns }) => [rowid, columns]));
}

/** Each entity's aliases, in their order (Entity.aliases'). */
function aliasLists(db: Db, entityIds: number[]): Map<number, string[]> {
  const lists = new Map<number, string[]>();
  if (entityIds.length === 0) return lists;
  const rows = allRows<{ entityId: number; alias: string }>(
    db,
    'SELECT entity_id AS entityId, alias FROM entity_aliases WHERE entity_id IN (SELECT value FROM json_each(?)) ORDER BY entity_id, position',
    [JSON.stringify(entityIds)],
  );
  for (const { entityId, alias } of rows) {
    const list = lists.get(entityId);
    if (list) list.push(alias);
    else lists.set(entityId, [alias]);
  }
  return lists;
}

/** The search index of a SQLite database; its statements run synchronously, as they always have. */
export function sqliteSearch(db: Db): SearchIndex {
  return {
    page: async (request) => page(db, request),
    aliases: async (entityIds) => aliasLists(db, entityIds),
  };
}
