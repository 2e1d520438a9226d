/**
 * The raw floor: the benchmark's answers built by hand-written better-sqlite3 statements behind
 * plain node:http, with no GraphQL. Same processes per core as claimgraph, same database.
 * POST /raw with {"w": workload, "p": params} answers {"data": …} exactly as claimgraph would.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { relations } from '../schema/relations';
import { shortestPath } from '../src/model/graph';
import {
  BM25,
  COMMON_WORD_DOCUMENTS,
  COUNT_CAP,
  INDEXED_PREFIX,
  INLINE_SNIPPETS_PER_RESULT,
  MAX_COMPLETIONS,
  MAX_WEIGHED_TERMS,
  NAME_CANDIDATES,
  PREFIX_WORDS_READ,
  RANKED_CANDIDATES,
  SNIPPET,
  searchWords,
} from '../src/model/search';
import { claimCursor, gid, type Params } from './workloads';

const TYPE: Record<string, string> = {
  ORGANIZATION: 'Organization',
  PERSON: 'Person',
  EVENT: 'Event',
  PRODUCT: 'Product',
  PLACE: 'Place',
};

interface NestedClaim {
  id: number;
  text: string;
  about: { id: number; kind: string; name: string; relationships: { id: number; predicate: string; oid: number; oname: string; okind: string }[] }[];
}

function handlers(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // The same page cache as claimgraph's connections (src/db), so the floor reads no faster.
  db.pragma('cache_size = -32768');
  const orm = drizzle({ client: db, relations });

  const claimById = db.prepare(
    'SELECT c.id, c.text, c.kind, c.support, e.id AS eid, e.name AS ename, e.kind AS ekind FROM claims c LEFT JOIN entities e ON e.id = c.claimant_id WHERE c.id = ?',
  );
  const sourceTitle = db.prepare('SELECT title FROM sources WHERE id = ?').pluck();
  // The source, its first 20 supported claims (in citation order), each claim's entities (in id
  // order) and each entity's first 5 relationships (in adjacency order) with their objects: one
  // statement, the nesting done by SQLite's JSON functions (json() keeps each inner array JSON,
  // not text), as the PostgreSQL floor does it with json_agg. Ids are encoded here.
  const nestedJson = db.prepare(
    `SELECT s.title AS title, (
      SELECT json_group_array(json_object('id', c.id, 'text', c.text, 'about', json((
        SELECT json_group_array(json_object('id', e.id, 'kind', e.kind, 'name', e.name, 'relationships', json((
          SELECT json_group_array(json_object('id', r.id, 'predicate', r.predicate, 'oid', o.id, 'oname', o.name, 'okind', o.kind))
          FROM (SELECT relationship_id FROM relationship_ends WHERE entity_id = e.id ORDER BY id LIMIT 5) x
          JOIN relationships r ON r.id = x.relationship_id JOIN entities o ON o.id = r.object_id
        ))))
        FROM (SELECT e.id, e.name, e.kind FROM claim_subjects cs JOIN entities e ON e.id = cs.entity_id WHERE cs.claim_id = c.id ORDER BY e.id) e
      ))))
      FROM (SELECT c.id, c.text FROM citations ci JOIN claims c ON c.id = ci.claim_id
            WHERE ci.source_id = s.id AND ci.stance = 'SUPPORTS' ORDER BY ci.id LIMIT 20) c
    ) AS claims FROM sources s WHERE s.id = ?`,
  );
  const page = db.prepare('SELECT id, text FROM claims WHERE id > ? ORDER BY id LIMIT 21');
  const backed = "EXISTS (SELECT 1 FROM citations ci WHERE ci.claim_id = s.claim_id AND ci.stance = 'SUPPORTS')";
  const backedAbout = db.prepare(
    `SELECT c.id, c.text, c.support FROM claim_subjects s JOIN claims c ON c.id = s.claim_id WHERE s.entity_id = ? AND ${backed} ORDER BY s.claim_id LIMIT 20`,
  );
  const backedAboutCount = db.prepare(`SELECT count(*) FROM claim_subjects s WHERE s.entity_id = ? AND ${backed}`).pluck();
  // Search, as src/model/search.ts asks it, for a first page of 10 without kinds: the words planned
  // from search_term_counts (the last a prefix from its first letter; a long one expanded into the
  // words it begins; a short one read up to PREFIX_WORDS_READ words; FTS5 asked whether a word is
  // common only where the counts cannot tell); the candidates ranked (bm25 over the words that are
  // not common, plus the name bonus), in one scan with their snippets when the words are in few
  // documents, with the named entities otherwise; snippets; a count when needed.
  const probe = `(SELECT rowid FROM search_index WHERE search_index MATCH ? LIMIT 1 OFFSET ${COMMON_WORD_DOCUMENTS - 1}) IS NOT NULL`;
  const plans = new Map<string, Database.Statement>();
  /** The plan statement for words of these kinds: t(erm), p(refix), c(ompletions), o(ther letters). */
  const planFor = (shape: string) => {
    if (!plans.has(shape)) {
      const ctes: string[] = [];
      const parts = [...shape].map((kind, i) => {
        if (kind === 'o') return `SELECT ${i} AS word, ? AS term, NULL AS documents, ${probe} AS common`;
        if (kind === 't') return `SELECT ${i} AS word, ? AS term, coalesce((SELECT documents FROM search_term_counts WHERE term = ?), 0) AS documents, NULL AS common`;
        if (kind === 'p') {
          // Past PREFIX_WORDS_READ words the sum is no bound: the documents are not known.
          return `SELECT ${i} AS word, ? AS term, CASE WHEN n < ${PREFIX_WORDS_READ} THEN total END AS documents,
              CASE WHEN most >= ${COMMON_WORD_DOCUMENTS} THEN 1 WHEN total < ${COMMON_WORD_DOCUMENTS} AND n < ${PREFIX_WORDS_READ} THEN 0 ELSE ${probe} END AS common
            FROM (SELECT count(*) AS n, coalesce(max(documents), 0) AS most, coalesce(sum(documents), 0) AS total FROM (
              SELECT documents FROM search_term_counts WHERE term >= ? AND term < ? LIMIT ${PREFIX_WORDS_READ}))`;
        }
        ctes.push(`completions${i} AS (SELECT term, documents FROM search_term_counts WHERE term >= ? AND term < ? ORDER BY term LIMIT ${MAX_COMPLETIONS + 1})`);
        return `SELECT ${i} AS word, '"' || term || '"' AS term, documents, NULL AS common FROM completions${i}
            WHERE (SELECT count(*) FROM completions${i}) <= ${MAX_COMPLETIONS}
          UNION ALL
          SELECT ${i}, ?, CASE WHEN n = 0 THEN 0 END, CASE WHEN n = 0 THEN 0 ELSE ${probe} END
            FROM (SELECT count(*) AS n FROM completions${i}) WHERE n = 0 OR n > ${MAX_COMPLETIONS}`;
      });
      plans.set(shape, db.prepare(`${ctes.length > 0 ? `WITH ${ctes.join(', ')}` : ''} ${parts.join(' UNION ALL ')}`));
    }
    return plans.get(shape)!;
  };
  // A name or alias that is the query, then names that start with it, then names with a word that does.
  const bonus = `(CASE
    WHEN lower(name) = @q OR instr(' | ' || lower(aliases) || ' | ', @qa) > 0 THEN 100
    WHEN substr(lower(name), 1, @ql) = @q THEN 50 + 10.0 * @ql / length(name)
    WHEN instr(' ' || lower(name), @qw) > 0 THEN 25 + 10.0 * @ql / length(name)
    ELSE 0 END)`;
  const rankings = new Map<string, Database.Statement>();
  /**
   * weighed: some word is weighed by bm25; mixed: and others only have to match; all: every match
   * is among the first RANKED_CANDIDATES; inline: and few enough to make their snippets in the same
   * scan. The named entities are those whose names start with the query, however short.
   */
  const rankedBy = (weighed: boolean, mixed: boolean, all: boolean, inline: boolean) => {
    const key = `${weighed} ${mixed} ${all} ${inline}`;
    if (!rankings.has(key)) {
      const named = `SELECT id FROM (SELECT id FROM entities WHERE lower(name) >= @q AND lower(name) < @qBeyond ORDER BY lower(name) LIMIT ${NAME_CANDIDATES})
        UNION ALL SELECT entity_id FROM (SELECT entity_id FROM entity_aliases WHERE lower(alias) = @q LIMIT ${NAME_CANDIDATES})`;
      const score = `-${BM25} + (CASE WHEN rowid % 4 = 1 THEN 0 ELSE ${bonus} END)`;
      const also = mixed ? 'AND +rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH @match)' : '';
      const first = `SELECT rowid, ${score} AS score, ${inline ? `kind AS kind, ${SNIPPET} AS snippet` : 'NULL AS kind, NULL AS snippet'} FROM search_index WHERE search_index MATCH @ranking ${also} LIMIT ${RANKED_CANDIDATES}`;
      const ranking =
        weighed && all
          ? `SELECT rowid AS rowid, score, kind, snippet, count(*) OVER () AS candidates FROM (${first}) ORDER BY score DESC, rowid LIMIT 11`
          : `SELECT rowid AS rowid, max(score) AS score, kind, snippet, count(*) OVER () AS candidates FROM (${
              weighed
                ? `SELECT * FROM (${first})
                   UNION ALL SELECT rowid, ${score}, NULL, NULL FROM search_index WHERE search_index MATCH @ranking AND +rowid IN (SELECT id * 4 FROM (${named})) ${also}`
                : `SELECT * FROM (SELECT rowid, 0 AS score, kind AS kind, ${SNIPPET} AS snippet FROM search_index WHERE search_index MATCH @match LIMIT 11)
                   UNION ALL SELECT search_rowid, ${bonus}, kind, NULL FROM entity_search_rows WHERE ref_id IN (${named})`
            }) GROUP BY rowid ORDER BY score DESC, rowid LIMIT 11`;
      rankings.set(key, db.prepare(ranking));
    }
    return rankings.get(key)!;
  };
  // Rowids bound as BigInt (INTEGER): FTS5 drops a REAL rowid next to MATCH and returns every match.
  const snippets = new Map<number, Database.Statement>();
  const snippetsFor = (count: number) => {
    if (!snippets.has(count)) {
      snippets.set(
        count,
        db.prepare(
          `SELECT rowid AS rowid, kind, ${SNIPPET} AS snippet FROM search_index WHERE search_index MATCH ? AND rowid IN (${Array(count).fill('?').join(', ')})`,
        ),
      );
    }
    return snippets.get(count)!;
  };
  const matches = db.prepare(`SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ? LIMIT ${COUNT_CAP})`).pluck();
  const entityById = db.prepare('SELECT id, name, kind FROM entities WHERE id = ?');
  const claimText = db.prepare('SELECT text FROM claims WHERE id = ?').pluck();
  const relationshipById = db.prepare('SELECT subject_id AS s, label, object_id AS o FROM relationships WHERE id = ?');
  const participantRole = db.prepare('SELECT role FROM event_participants WHERE event_id = ? AND entity_id = ? ORDER BY id LIMIT 1').pluck();
  const insertClaim = db.prepare("INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES (?, ?, 'FACT', 'DIRECT', ?)");
  const insertSubject = db.prepare('INSERT INTO claim_subjects (claim_id, entity_id) VALUES (?, ?)');

  const entityRef = (id: number) => entityById.get(id) as { id: number; name: string; kind: string };

  const search = (p: Params) => {
    const text = String(p.q);
    const words = searchWords(text);
    if (words.length === 0) return { search: { totalCount: 0, edges: [] } };
    const last = words.length - 1;
    let shape = '';
    const ctes: unknown[] = [];
    const parts: unknown[] = [];
    words.forEach((w, i) => {
      const fts = i === last ? `"${w}"*` : `"${w}"`;
      const term = w.toLowerCase();
      if (!/^[A-Za-z0-9]+$/.test(w)) (shape += 'o'), parts.push(fts, fts);
      else if (!fts.endsWith('*')) (shape += 't'), parts.push(fts, term);
      else if (w.length <= INDEXED_PREFIX) (shape += 'p'), parts.push(fts, fts, term, `${term}\u{10FFFF}`);
      else (shape += 'c'), ctes.push(term, `${term}\u{10FFFF}`), parts.push(fts, fts);
    });
    const all: { terms: string[]; common: boolean; documents: number | null }[] = [];
    for (const row of planFor(shape).all(...ctes, ...parts) as { word: number; term: string; documents: number | null; common: number | null }[]) {
      const word = (all[row.word] ??= { terms: [], common: false, documents: 0 });
      word.terms.push(row.term);
      word.common ||= row.common === null ? row.documents! >= COMMON_WORD_DOCUMENTS : row.common === 1;
      word.documents = row.documents === null || word.documents === null ? null : word.documents + row.documents;
    }
    const matchOf = (ws: typeof all) => ws.map((w) => (w.terms.length === 1 ? w.terms[0] : `(${w.terms.join(' OR ')})`)).join(' AND ');
    const match = matchOf(all);
    const weighed = all.filter((w) => !w.common && w.terms.length <= MAX_WEIGHED_TERMS);
    const mixed = weighed.length > 0 && weighed.length < all.length;
    const documents = Math.min(...all.map((w) => w.documents ?? Infinity));
    const everything = weighed.length > 0 && documents < RANKED_CANDIDATES;
    const q = text.trim().replace(/\s+/gu, ' ').toLowerCase();
    const hits = rankedBy(weighed.length > 0, mixed, everything, everything && !mixed && documents <= INLINE_SNIPPETS_PER_RESULT * 10).all({
      match,
      ranking: matchOf(weighed),
      q,
      qa: ` | ${q} | `,
      qw: ` ${q}`,
      ql: q.length,
      qBeyond: `${q}\u{10FFFF}`,
    }) as { rowid: number; score: number; kind: string | null; snippet: string | null; candidates: number }[];
    const page = hits.slice(0, 10);
    const shown = new Map(page.flatMap((h) => (h.kind !== null && h.snippet !== null ? [[h.rowid, { kind: h.kind, snippet: h.snippet }] as const] : [])));
    const unshown = page.filter((h) => !shown.has(h.rowid));
    if (unshown.length > 0) {
      for (const r of snippetsFor(unshown.length).all(match, ...unshown.map((h) => BigInt(h.rowid))) as { rowid: number; kind: string; snippet: string }[]) {
        shown.set(r.rowid, r);
      }
    }
    const candidates = hits[0]?.candidates ?? 0;
    const only = all.length === 1 ? all[0]! : null;
    const totalCount =
      candidates < (weighed.length === 0 ? 11 : RANKED_CANDIDATES)
        ? candidates
        : only?.common
          ? COUNT_CAP
          : only && only.terms.length === 1 && only.documents !== null && !only.terms[0]!.endsWith('*')
            ? Math.min(only.documents, COUNT_CAP)
            : matches.get(match);
    return {
      search: {
        totalCount,
        edges: page.flatMap((h) => {
          const row = shown.get(h.rowid);
          if (!row) return [];
          const refId = Math.floor(h.rowid / 4);
          const node =
            row.kind === 'CLAIM'
              ? { __typename: 'Claim', id: gid('Claim', refId), text: claimText.get(refId) }
              : row.kind === 'SOURCE'
                ? { __typename: 'Source', id: gid('Source', refId), title: sourceTitle.get(refId) }
                : { __typename: TYPE[row.kind], id: gid(TYPE[row.kind]!, refId), name: entityRef(refId).name };
          return [{ score: h.score, snippet: row.snippet, node }];
        }),
      },
    };
  };

  const route = (p: Params) => {
    const found = shortestPath(orm, Number(p.from), Number(p.to), 4);
    if (!found) return { path: null };
    return {
      path: {
        length: found.steps.length,
        steps: found.steps.map((step) => {
          const from = entityRef(step.from);
          const to = entityRef(step.to);
          if (step.link.kind === 'relationship') {
            const r = relationshipById.get(step.link.relationshipId) as { s: number; label: string; o: number };
            return { description: `${entityRef(r.s).name} ${r.label} ${entityRef(r.o).name}` };
          }
          const event = entityRef(step.link.eventId);
          if (step.link.kind === 'shared-event') return { description: `${from.name} and ${to.name} both took part in ${event.name}` };
          const member = step.from === event.id ? to : from;
          const role = participantRole.get(event.id, member.id);
          return { description: `${member.name} took part in ${event.name}${role ? ` (${role})` : ''}` };
        }),
      },
    };
  };

  const answers: Record<string, (p: Params) => unknown> = {
    lookup: (p: Params) => {
      const c = claimById.get(Number(p.id)) as { id: number; text: string; kind: string; support: string; eid: number | null; ename: string; ekind: string } | undefined;
      if (!c) return { node: null };
      return {
        node: {
          id: gid('Claim', c.id),
          text: c.text,
          kind: c.kind,
          support: c.support,
          claimant: c.eid ? { id: gid(TYPE[c.ekind]!, c.eid), name: c.ename } : null,
        },
      };
    },
    nested: (p: Params) => {
      const row = nestedJson.get(Number(p.id)) as { title: string; claims: string } | undefined;
      const claims = JSON.parse(row?.claims ?? '[]') as NestedClaim[];
      return {
        node: {
          title: row?.title,
          claims: {
            nodes: claims.map((c) => ({
              id: gid('Claim', c.id),
              text: c.text,
              about: c.about.map((e) => ({
                id: gid(TYPE[e.kind]!, e.id),
                name: e.name,
                relationships: {
                  nodes: e.relationships.map((r) => ({
                    id: gid('Relationship', r.id),
                    predicate: r.predicate,
                    object: { id: gid(TYPE[r.okind]!, r.oid), name: r.oname },
                  })),
                },
              })),
            })),
          },
        },
      };
    },
    'page-first': () => pageAfter(0),
    'page-deep': (p: Params) => pageAfter(Number(p.after)),
    'search-rare': search,
    'search-common': search,
    'path-reachable': route,
    'path-unreachable': route,
    filtered: (p: Params) => ({
      node: {
        claimsAbout: {
          totalCount: backedAboutCount.get(Number(p.id)),
          nodes: (backedAbout.all(Number(p.id)) as { id: number; text: string; support: string }[]).map((c) => ({ id: gid('Claim', c.id), text: c.text, support: c.support })),
        },
      },
    }),
    write: (p: Params) => {
      const id = db.transaction(() => {
        const claim = Number(insertClaim.run(`bench-raw-${p.text}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 180), p.text, p.source).lastInsertRowid);
        insertSubject.run(claim, p.a);
        insertSubject.run(claim, p.b);
        return claim;
      })();
      return { createClaim: { claim: { id: gid('Claim', id) } } };
    },
  };
  return answers;

  function pageAfter(after: number) {
    const rows = page.all(after) as { id: number; text: string }[];
    const nodes = rows.slice(0, 20);
    return {
      claims: {
        nodes: nodes.map((c) => ({ id: gid('Claim', c.id), text: c.text })),
        pageInfo: { hasNextPage: rows.length > 20, endCursor: nodes.length ? claimCursor(nodes.at(-1)!.id) : null },
      },
    };
  }
}

function serve() {
  const answer = handlers(process.env.DATABASE_PATH!);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const { w, p } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { w: string; p: Params };
        const body = JSON.stringify({ data: answer[w]!(p) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      }
    });
  });
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`raw floor listening on ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

const workers = Number(process.env.WORKERS ?? 1);
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  });
} else {
  serve();
}
