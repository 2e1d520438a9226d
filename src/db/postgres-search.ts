import { sql } from 'drizzle-orm';
import type { SearchKind } from '../../schema/enums';
import type { PgDb } from './postgres';
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
import { documentOf, highlight, type Phrase, snippet } from './search-snippets';
import { foldWord } from './search-tokens';
import { BM25 } from './sqlite-search';

/**
 * PostgreSQL's search index: search_documents with its weighted tsvector and GIN index, and
 * beside it each word's count of documents (search_term_documents: search_term_counts and the
 * changes not folded into it yet) and search_totals (migrations/postgres/*_search, *_search_bm25,
 * *_search_term_changes). It
 * follows SQLite's plan (src/db/sqlite-search.ts) step for step, so both find the same matches and
 * page them alike: the words planned against the counts (common, or expanded into the words a long
 * last word begins); when a word is weighed, the first RANKED_CANDIDATES matches in index order
 * (rowid) and the entities the query names, ranked; otherwise the named entities, then the first
 * matches in index order. Ranking is FTS5's bm25, computed here as FTS5 computes it (`bm25` below),
 * to the last bit, with SQLite's name bonus added the same way, so scores and order are SQLite's.
 * Snippets and highlights are made here from the stored text (src/db/search-snippets.ts), as FTS5
 * makes them.
 *
 * The query is a tsquery built from words we split and fold ourselves, each quoted: what a person
 * typed is never parsed as tsquery syntax.
 */

/**
 * bm25's weight of each indexed column (name, aliases, body), read from SQLite's BM25 so the two
 * never part; the tsvector weighs them A, B and C.
 */
const COLUMN_WEIGHTS = (() => {
  // bm25(search_index, kind, ref_id, name, aliases, body)
  const [, , name, aliases, body] = BM25.slice(BM25.indexOf(',') + 1, BM25.lastIndexOf(')')).split(',').map(Number);
  return { A: name!, B: aliases!, C: body! };
})();
/** FTS5's bm25 constants (ext/fts5/fts5_aux.c), as PostgreSQL doubles. */
const K1 = "'1.2'::float8";
const B = "'0.75'::float8";
/** A tsvector keeps at most this many positions of a lexeme, and none past MAX_POSITION. */
const MAX_POSITIONS = 256;
const MAX_POSITION = 16383;

/** A tsquery operand: a folded word (letters and digits only) quoted as tsquery input wants it. */
const lexeme = (term: string) => `'${term.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

interface Word {
  phrases: Phrase[];
  common: boolean;
  documents: number | null;
}

const tsquery = (words: Word[]) =>
  words
    .map((w) => {
      const terms = w.phrases.map((p) => lexeme(p.term) + (p.prefix ? ':*' : ''));
      return terms.length === 1 ? terms[0]! : `(${terms.join(' | ')})`;
    })
    .join(' & ');

/** SQL text with `$n` parameters, built piece by piece. */
class Statement {
  readonly params: unknown[] = [];
  param(value: unknown, type?: string): string {
    this.params.push(value);
    return `$${this.params.length}${type ? `::${type}` : ''}`;
  }
}

const ASCII_WORD = /^[A-Za-z0-9]+$/;

/**
 * Runs a statement through drizzle, as every other read does: its logger checks the request's
 * deadline first and tells the statement to whoever counts them (the plan tests). Not as a named
 * prepared statement (src/db/postgres-prepared.ts names texts that begin with SELECT or WITH):
 * a search's best plan depends on its words (how many documents a tsquery matches), which a
 * generic plan cannot see, and its texts, one per shape of query, would use up the names' bound.
 */
const UNNAMED = '/* search: planned for its words */ ';
async function rows<T>(pg: PgDb, text: string, params: unknown[]): Promise<T[]> {
  const chunks = text.split(/\$(\d+)/).map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql.param(params[Number(part) - 1])));
  return ((await pg.execute(sql.join([sql.raw(UNNAMED), ...chunks]))) as unknown as { rows: T[] }).rows;
}

/** Whether the index holds COMMON_WORD_DOCUMENTS documents matching `query`: it reads that many to know. */
const probe = (s: Statement, query: string) =>
  `((SELECT count(*) FROM (SELECT 1 FROM search_documents WHERE tsv @@ ${s.param(query, 'tsquery')} LIMIT ${COMMON_WORD_DOCUMENTS}) AS probed) >= ${COMMON_WORD_DOCUMENTS})`;

/**
 * The query's words as index terms, each known to be common or not, in one statement, as
 * SQLite's planWords decides: an ASCII word by its count of documents (search_term_documents), a
 * last word of up to INDEXED_PREFIX letters as a prefix (common when the documents its words are
 * in reach the bound), a longer one as the words it begins when they are at most MAX_COMPLETIONS,
 * other words by asking the index.
 */
async function planWords(pg: PgDb, words: string[]): Promise<Word[]> {
  const s = new Statement();
  const last = words.length - 1;
  const parts = words.map((w, i) => {
    const prefix = i === last;
    const term = foldWord(w);
    const own = `${lexeme(term)}${prefix ? ':*' : ''}`;
    const head = () => `SELECT ${i} AS word, ${s.param(term, 'text')} AS term, ${prefix} AS prefix`;
    if (!ASCII_WORD.test(w)) return `${head()}, NULL::int AS documents, ${probe(s, own)} AS common`;
    if (!prefix) {
      return `${head()}, coalesce((SELECT documents FROM search_term_documents WHERE term = ${s.param(term, 'text')}), 0) AS documents, NULL::boolean AS common`;
    }
    const from = s.param(term, 'text');
    const to = s.param(term + BEYOND, 'text');
    if (w.length <= INDEXED_PREFIX) {
      return `${head()}, CASE WHEN n < ${PREFIX_WORDS_READ} THEN total END::int AS documents,
          CASE WHEN most >= ${COMMON_WORD_DOCUMENTS} THEN TRUE
          WHEN total < ${COMMON_WORD_DOCUMENTS} AND n < ${PREFIX_WORDS_READ} THEN FALSE ELSE ${probe(s, own)} END AS common
        FROM (SELECT count(*) AS n, coalesce(max(documents), 0) AS most, coalesce(sum(documents), 0) AS total FROM (
          SELECT documents FROM search_term_documents WHERE term >= ${from} AND term < ${to} ORDER BY term LIMIT ${PREFIX_WORDS_READ}) AS read) AS counted`;
    }
    // Beginning no word, it matches nothing; beginning too many, it stays a prefix.
    return `(WITH completions AS (SELECT term, documents FROM search_term_documents
        WHERE term >= ${from} AND term < ${to} ORDER BY term LIMIT ${MAX_COMPLETIONS + 1})
      SELECT ${i} AS word, term, FALSE AS prefix, documents, NULL::boolean AS common FROM completions
        WHERE (SELECT count(*) FROM completions) <= ${MAX_COMPLETIONS}
      UNION ALL
      SELECT ${i}, ${s.param(term, 'text')}, TRUE, CASE WHEN n = 0 THEN 0 END, CASE WHEN n = 0 THEN FALSE ELSE ${probe(s, own)} END
        FROM (SELECT count(*) AS n FROM completions) AS c WHERE n = 0 OR n > ${MAX_COMPLETIONS})`;
  });
  const found = await rows<{ word: number; term: string; prefix: boolean; documents: number | null; common: boolean | null }>(
    pg,
    // In the order of the parts, a word's completions in term order (as SQLite lists them).
    parts.map((p) => `(${p})`).join(' UNION ALL '),
    s.params,
  );
  const planned: Word[] = [];
  for (const row of found) {
    const word = (planned[row.word] ??= { phrases: [], common: false, documents: 0 });
    word.phrases.push({ term: row.term, prefix: row.prefix });
    word.common ||= row.common === null ? row.documents! >= COMMON_WORD_DOCUMENTS : row.common;
    word.documents = row.documents === null || word.documents === null ? null : word.documents + Number(row.documents);
  }
  return planned;
}

/** Only documents of these kinds. */
const kindFilter = (s: Statement, kinds: readonly SearchKind[] | null | undefined) => (kinds ? `AND kind = ANY (${s.param(kinds, 'text[]')})` : '');

/**
 * SQLite's name bonus (src/db/sqlite-search.ts nameBonus), in the same terms and the same double
 * arithmetic (SQLite's 10.0 is a double; PostgreSQL's would be numeric): lower() of a "C" text
 * folds ASCII only, as SQLite's does.
 */
function nameBonus(s: Statement, query: string | null) {
  if (query === null) return '0::float8';
  const q = s.param(query, 'text');
  const length = s.param(query.length, 'float8');
  return `(CASE
    WHEN lower(name) = ${q} OR instr(' | ' || lower(aliases) || ' | ', ${s.param(` | ${query} | `, 'text')}) > 0 THEN 100::float8
    WHEN substr(lower(name), 1, ${s.param(query.length, 'int')}) = ${q} THEN 50::float8 + 10::float8 * ${length} / nullif(length(name), 0)::float8
    WHEN instr(' ' || lower(name), ${s.param(` ${query}`, 'text')}) > 0 THEN 25::float8 + 10::float8 * ${length} / nullif(length(name), 0)::float8
    ELSE 0::float8 END)`;
}

/** The ids of the entities the query names: names that are it or start with it (the first NAME_CANDIDATES), and aliases that are it. */
function namedEntities(s: Statement, query: string | null) {
  if (query === null) return 'SELECT NULL::int AS id WHERE FALSE';
  return `SELECT id FROM (SELECT id FROM entities WHERE lower(name) >= ${s.param(query, 'text')} AND lower(name) < ${s.param(query + BEYOND, 'text')}
      ORDER BY lower(name), id LIMIT ${NAME_CANDIDATES}) AS by_name
    UNION ALL
    SELECT entity_id FROM (SELECT entity_id FROM entity_aliases WHERE lower(alias) = ${s.param(query, 'text')} ORDER BY id LIMIT ${NAME_CANDIDATES}) AS by_alias`;
}

/** A ranked row, with its document as the same snapshot holds it (null fields: no longer there). */
interface Ranked extends Partial<Document> {
  rowid: string;
  score: number;
  candidates: number;
  /** Whether the document matches the whole query. */
  matching: boolean | null;
}

/** A document's stored fields, as its snippet and highlights are made from. */
interface Document {
  kind: SearchKind;
  ref_id: number;
  name: string;
  aliases: string;
  body: string;
}

/**
 * FTS5's bm25 (ext/fts5/fts5_aux.c) of a document `d` of search_documents for `phrases` (the
 * weighed words' terms, in the order FTS5 numbers them), in the same double arithmetic, operation
 * for operation, so the score is SQLite's to the bit (PostgreSQL's ln() is the C library's log(),
 * as FTS5's is). `stats` is a CTE's body: the average document length and each phrase's IDF,
 * read in the ranking statement's snapshot as FTS5 reads them in its transaction; `from` joins
 * the document's length and each phrase's weighted frequency (`f`) to `d`; `score` sums the phrases.
 *
 *   idf = log((N - hits + 0.5) / (hits + 0.5)), 1e-6 when not above 0
 *   score = Σ idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl))
 *
 * N and the words in all come from search_totals; a word's documents (hits) from
 * search_term_documents, a prefix's from the index. D and f come from the tsvector: each position is
 * one word of the document, weighted by its column, unless the tsvector dropped positions (see
 * the migration), when they are counted in the text.
 */
function bm25(s: Statement, phrases: Phrase[]) {
  const hits = phrases.map((p) =>
    p.prefix
      ? `(SELECT count(*) FROM search_documents WHERE tsv @@ ${s.param(`${lexeme(p.term)}:*`, 'tsquery')})`
      : `coalesce((SELECT documents FROM search_term_documents WHERE term = ${s.param(p.term, 'text')}), 0)`,
  );
  // Each count once (OFFSET 0: not pulled up into every use of it).
  const idf = (i: number) => `(SELECT CASE WHEN x > 0 THEN x ELSE '1e-6'::float8 END FROM (
      SELECT CASE WHEN t.documents >= h${i}.n THEN ln(((t.documents - h${i}.n)::float8 + '0.5'::float8) / (h${i}.n::float8 + '0.5'::float8)) END AS x) AS idf)`;
  const stats = `SELECT CASE WHEN t.documents > 0 THEN t.tokens::float8 / t.documents::float8 END AS avgdl
      ${hits.map((_, i) => `, ${idf(i)} AS idf${i}`).join('')}
    FROM (SELECT coalesce(sum(documents), 0) AS documents, coalesce(sum(tokens), 0) AS tokens FROM search_totals) AS t
    ${hits.map((h, i) => `CROSS JOIN LATERAL (SELECT ${h} AS n OFFSET 0) AS h${i}`).join(' ')}`;

  const terms = phrases.map((p) => ({ term: s.param(p.term, 'text'), prefix: p.prefix }));
  const matches = ({ term, prefix }: (typeof terms)[number]) => (prefix ? `starts_with(u.lexeme, ${term})` : `u.lexeme = ${term} COLLATE "C"`);
  // Whole-number weights: the frequency is exact whatever the order FTS5 adds them in.
  const weighted = Object.entries(COLUMN_WEIGHTS)
    .map(([label, weight]) => `${weight} * cardinality(array_positions(u.weights, '${label}'))`)
    .join(' + ');
  const recounted = (i: number) =>
    `(SELECT ${COLUMN_WEIGHTS.A} * f[1] + ${COLUMN_WEIGHTS.B} * f[2] + ${COLUMN_WEIGHTS.C} * f[3] FROM search_frequency(d.name, d.aliases, d.body, ${terms[i]!.term}, ${terms[i]!.prefix}) AS f)`;
  const from = `CROSS JOIN LATERAL (
      SELECT sum(cardinality(u.positions)) AS tokens,
        bool_and(cardinality(u.positions) < ${MAX_POSITIONS} AND u.positions[cardinality(u.positions)] < ${MAX_POSITION}) AS whole
        ${terms.map((t, i) => `, sum(CASE WHEN ${matches(t)} THEN ${weighted} END) AS f${i}`).join('')}
      FROM unnest(d.tsv) AS u) AS v
    CROSS JOIN LATERAL (SELECT
      (CASE WHEN v.whole IS FALSE THEN search_tokens(d.tsv, d.name, d.aliases, d.body) ELSE coalesce(v.tokens, 0) END)::float8 AS dl
      ${terms.map((_, i) => `, (CASE WHEN v.whole IS FALSE THEN ${recounted(i)} ELSE coalesce(v.f${i}, 0) END)::float8 AS f${i}`).join('')}
    ) AS r`;
  const one = (i: number) =>
    `stats.idf${i} * ((r.f${i} * (${K1} + '1.0'::float8)) / (r.f${i} + ${K1} * (('1'::float8 - ${B}) + ${B} * r.dl / stats.avgdl)))`;
  const score = `(0::float8${phrases.map((_, i) => ` + ${one(i)}`).join('')})`;
  return { stats, from, score };
}

async function page(pg: PgDb, { words, query: typed, kinds, offset, limit, highlights }: SearchRequest): Promise<IndexedPage> {
  if (kinds && kinds.length === 0) return { hits: [], totalCount: 0, more: false };
  // PostgreSQL's text holds no NUL: a query with one names no entity (no name holds one), as on SQLite.
  const query = typed.includes('\u0000') ? null : typed;
  const planned = await planWords(pg, words);
  if (planned.some((w) => w.phrases.some((p) => p.term === ''))) return { hits: [], totalCount: 0, more: false };
  const match = tsquery(planned);
  const weighed = planned.filter((w) => !w.common && w.phrases.length <= MAX_WEIGHED_TERMS);
  // At most this many documents match: those of the rarest word.
  const matches = Math.min(...planned.map((w) => w.documents ?? Infinity));

  const s = new Statement();
  const matching = `tsv @@ ${s.param(match, 'tsquery')} ${kindFilter(s, kinds)}`;
  let ranking: string;
  let firstMatches: number;
  if (weighed.length > 0) {
    // bm25 weighs the words that are not common; the common ones only have to match.
    const rank = bm25(s, weighed.flatMap((w) => w.phrases));
    const scored = (documents: string) => `WITH stats AS MATERIALIZED (${rank.stats})
      SELECT d.search_rowid AS rowid,
        ${rank.score} + CASE WHEN d.search_rowid % 4 = ${ROWID_CLASS.CLAIM} THEN 0::float8 ELSE ${nameBonus(s, query)} END AS score,
        count(*) OVER () AS candidates
      FROM ${documents} CROSS JOIN stats ${rank.from}`;
    firstMatches = RANKED_CANDIDATES;
    if (matches < firstMatches) {
      // Every match is a candidate, the named entities among them.
      ranking = scored(`(SELECT * FROM search_documents WHERE ${matching}) AS d`);
    } else {
      // The named entities are mostly among the first matches already: each document once.
      ranking = scored(`(SELECT DISTINCT ON (search_rowid) * FROM (
          (SELECT * FROM search_documents WHERE ${matching} ORDER BY search_rowid LIMIT ${firstMatches})
          UNION ALL
          SELECT * FROM search_documents WHERE search_rowid IN (SELECT id::bigint * 4 FROM (${namedEntities(s, query)}) AS named) AND ${matching}
        ) AS candidates ORDER BY search_rowid) AS d`);
    }
  } else {
    // Nothing to weigh: the named entities first, by their name bonus, then the first matches in index order.
    const entityKinds = kinds ? entityKindsOf(kinds) : null;
    firstMatches = Math.min(offset + limit + 1, RANKED_CANDIDATES);
    ranking = `SELECT rowid, max(score) AS score, count(*) OVER () AS candidates FROM (
        (SELECT search_rowid AS rowid, 0::float8 AS score FROM search_documents WHERE ${matching} ORDER BY search_rowid LIMIT ${firstMatches})
        UNION ALL
        SELECT search_rowid, ${nameBonus(s, query)} FROM entity_search_rows WHERE ref_id IN (${namedEntities(s, query)})
        ${entityKinds ? `AND kind = ANY (${s.param(entityKinds, 'text[]')})` : ''}
      ) AS candidates GROUP BY rowid`;
  }
  // The page's documents come with it, from the same snapshot: one statement for ranking and text.
  const ranked = await rows<Ranked>(
    pg,
    `SELECT ranked.rowid, ranked.score, ranked.candidates::int AS candidates,
        d.kind, d.ref_id, d.name, d.aliases, d.body, d.tsv @@ ${s.param(match, 'tsquery')} AS matching
      FROM (SELECT rowid, score, candidates FROM (${ranking}) AS ranked ORDER BY score DESC, rowid LIMIT ${limit + 1} OFFSET ${offset}) AS ranked
      LEFT JOIN search_documents AS d ON d.search_rowid = ranked.rowid
      ORDER BY ranked.score DESC, ranked.rowid`,
    s.params,
  );

  const page = ranked.slice(0, limit);
  const shown = documents(page, planned, highlights);

  // Past the last row the window count is not there to read: 0 rows at offset 0 means no match.
  const candidates = ranked[0]?.candidates ?? (offset === 0 ? 0 : undefined);
  const only = planned.length === 1 ? planned[0]! : null;
  let totalCount: number;
  if (candidates !== undefined && candidates < firstMatches) {
    totalCount = candidates;
  } else if (only?.common && !kinds) {
    totalCount = COUNT_CAP;
  } else if (only && only.phrases.length === 1 && only.documents !== null && !only.phrases[0]!.prefix && !kinds) {
    totalCount = Math.min(only.documents, COUNT_CAP);
  } else {
    const c = new Statement();
    const [counted] = await rows<{ n: number }>(
      pg,
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM search_documents WHERE tsv @@ ${c.param(match, 'tsquery')} ${kindFilter(c, kinds)} LIMIT ${COUNT_CAP}) AS matched`,
      c.params,
    );
    totalCount = counted?.n ?? 0;
  }

  return {
    // A row no longer there, or no longer matching, was deleted or changed since it was ranked.
    hits: page.flatMap((r) => {
      const doc = shown.get(String(r.rowid));
      return doc ? [{ ...doc, score: r.score }] : [];
    }),
    totalCount,
    more: ranked.length > limit,
  };
}

/** The page's documents that match, with their snippets (and marked columns), made as FTS5 makes them. */
function documents(page: Ranked[], planned: Word[], highlights: boolean) {
  const shown = new Map<string, Omit<IndexedHit, 'score'>>();
  const phrases = planned.flatMap((w) => w.phrases);
  for (const row of page) {
    if (!row.matching) continue;
    const { kind, ref_id, name, aliases, body } = row as Ranked & Document;
    // FTS5's columns: kind, ref_id (not indexed), name, aliases, body.
    const doc = documentOf([kind, String(ref_id), name, aliases, body], phrases, (column) => column >= 2);
    const hit: Omit<IndexedHit, 'score'> = {
      rowid: Number(row.rowid),
      kind,
      snippet: snippet(doc, phrases.length, SNIPPET_OPEN, SNIPPET_CLOSE, SNIPPET_ELLIPSIS, SNIPPET_TOKENS),
    };
    if (highlights) {
      hit.marked = {
        name,
        aliases,
        body,
        h_name: highlight(doc, 2, HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE),
        h_aliases: highlight(doc, 3, HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE),
        h_body: highlight(doc, 4, HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE),
      };
    }
    shown.set(String(row.rowid), hit);
  }
  return shown;
}

/** Each entity's aliases, in their order (Entity.aliases'). */
async function aliasLists(pg: PgDb, entityIds: number[]): Promise<Map<number, string[]>> {
  const lists = new Map<number, string[]>();
  const found = await rows<{ entity_id: number; alias: string }>(
    pg,
    'SELECT entity_id, alias FROM entity_aliases WHERE entity_id = ANY ($1::int[]) ORDER BY entity_id, position, id',
    [entityIds],
  );
  for (const { entity_id: id, alias } of found) {
    const list = lists.get(id);
    if (list) list.push(alias);
    else lists.set(id, [alias]);
  }
  return lists;
}

export function postgresSearch(pg: PgDb): SearchIndex {
  return {
    page: (request) => page(pg, request),
    aliases: (entityIds) => aliasLists(pg, entityIds),
  };
}
