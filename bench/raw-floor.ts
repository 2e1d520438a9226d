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
import { RANKED_CANDIDATES, COUNT_CAP, SNIPPET_CLOSE, SNIPPET_OPEN, toFtsQuery } from '../src/model/search';
import { claimCursor, gid, type Params } from './workloads';

const TYPE: Record<string, string> = {
  ORGANIZATION: 'Organization',
  PERSON: 'Person',
  EVENT: 'Event',
  PRODUCT: 'Product',
  PLACE: 'Place',
};

function handlers(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const orm = drizzle({ client: db, relations });

  const claimById = db.prepare(
    'SELECT c.id, c.text, c.kind, c.support, e.id AS eid, e.name AS ename, e.kind AS ekind FROM claims c LEFT JOIN entities e ON e.id = c.claimant_id WHERE c.id = ?',
  );
  const sourceTitle = db.prepare('SELECT title FROM sources WHERE id = ?').pluck();
  const supported = db.prepare(
    "SELECT c.id, c.text FROM citations ci JOIN claims c ON c.id = ci.claim_id WHERE ci.source_id = ? AND ci.stance = 'SUPPORTS' ORDER BY ci.id LIMIT 20",
  );
  const about = db.prepare('SELECT e.id, e.name, e.kind FROM claim_subjects s JOIN entities e ON e.id = s.entity_id WHERE s.claim_id = ? ORDER BY e.id');
  const relationshipsOf = db.prepare(
    `SELECT r.id, r.predicate, o.id AS oid, o.name AS oname, o.kind AS okind FROM relationship_ends x
     JOIN relationships r ON r.id = x.relationship_id JOIN entities o ON o.id = r.object_id
     WHERE x.entity_id = ? ORDER BY x.id LIMIT 5`,
  );
  const page = db.prepare('SELECT id, text FROM claims WHERE id > ? ORDER BY id LIMIT 21');
  const ranked = db.prepare(
    `SELECT rowid AS rowid, kind, ref_id AS refId, score FROM (
       SELECT rowid, kind, ref_id, -bm25(search_index, 0, 0, 10.0, 6.0, 1.0) + (CASE
         WHEN lower(name) = @q OR instr(' | ' || lower(aliases) || ' | ', @qa) > 0 THEN 100
         WHEN substr(lower(name), 1, @ql) = @q THEN 50 + 10.0 * @ql / length(name)
         ELSE 0 END) AS score
       FROM search_index WHERE search_index MATCH @match LIMIT ${RANKED_CANDIDATES}
     ) ORDER BY score DESC, rowid LIMIT 10`,
  );
  // FTS5 ignores a lone `rowid = ?` next to MATCH here, so ask for the page's rows with IN, as claimgraph does.
  const snippets = new Map<number, Database.Statement>();
  const snippetsFor = (count: number) => {
    if (!snippets.has(count)) {
      snippets.set(
        count,
        db.prepare(
          `SELECT rowid AS rowid, snippet(search_index, -1, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 12) AS snippet
           FROM search_index WHERE search_index MATCH ? AND rowid IN (${Array(count).fill('?').join(', ')})`,
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
    const match = toFtsQuery(text);
    const q = text.trim().toLowerCase();
    const hits = ranked.all({ match, q, qa: ` | ${q} | `, ql: q.length }) as { rowid: number; kind: string; refId: number; score: number }[];
    const snippet = new Map(
      hits.length
        ? (snippetsFor(hits.length).all(match, ...hits.map((h) => h.rowid)) as { rowid: number; snippet: string }[]).map((r) => [r.rowid, r.snippet])
        : [],
    );
    return {
      search: {
        totalCount: matches.get(match),
        edges: hits.map((h) => {
          const node =
            h.kind === 'CLAIM'
              ? { __typename: 'Claim', id: gid('Claim', h.refId), text: claimText.get(h.refId) }
              : h.kind === 'SOURCE'
                ? { __typename: 'Source', id: gid('Source', h.refId), title: sourceTitle.get(h.refId) }
                : { __typename: TYPE[h.kind], id: gid(TYPE[h.kind]!, h.refId), name: entityRef(h.refId).name };
          return { score: h.score, snippet: snippet.get(h.rowid) ?? '', node };
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
      const title = sourceTitle.get(Number(p.id));
      const claims = supported.all(Number(p.id)) as { id: number; text: string }[];
      return {
        node: {
          title,
          claims: {
            nodes: claims.map((c) => ({
              id: gid('Claim', c.id),
              text: c.text,
              about: (about.all(c.id) as { id: number; name: string; kind: string }[]).map((e) => ({
                id: gid(TYPE[e.kind]!, e.id),
                name: e.name,
                relationships: {
                  nodes: (relationshipsOf.all(e.id) as { id: number; predicate: string; oid: number; oname: string; okind: string }[]).map((r) => ({
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
