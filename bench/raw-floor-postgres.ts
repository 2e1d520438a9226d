/**
 * The raw floor on PostgreSQL: the benchmark's answers built by hand-written SQL over `pg` (one
 * prepared statement per request, the nesting done by PostgreSQL with json_agg) behind plain
 * node:http, with no GraphQL. One process, a pool of POSTGRES_POOL_SIZE connections as
 * claimgraph has, the same database (DATABASE_URL).
 * POST /raw with {"w": workload, "p": params} answers {"data": …} exactly as claimgraph would.
 * A workload without a PostgreSQL answer here answers 404.
 *
 * Two answers lean on claimgraph's own lower layers, as the SQLite floor's path does: a path is
 * found by claimgraph's traversal over its in-memory links (src/model/graph.ts, kept current from
 * the change feed), and search ranks and pages with the PostgreSQL search index's statements
 * (src/db/postgres-search.ts: its plan of the words, its ranking, its snippets), so that the floor
 * answers what claimgraph answers when that ranking changes. What those answers name (the names,
 * texts and titles, the steps' words) is read here by hand-written statements.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openPostgresEngine } from '../src/db/postgres-engine';
import { findShortestPath } from '../src/model/graph';
import { search as searchIndex } from '../src/model/search';
import { claimCursor, gid, type Params } from './workloads';

const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };
const entity = (id: number, kind: string) => gid(TYPE[kind]!, id);

// A pool of POSTGRES_POOL_SIZE connections, as claimgraph's (src/db/postgres.ts).
const engine = await openPostgresEngine(process.env.DATABASE_URL!);
const pool = engine.pg.$client;
pool.on('error', () => {});

const query = async <T>(name: string, text: string, values: unknown[]): Promise<T[]> => (await pool.query({ name, text, values })).rows as T[];

const LOOKUP = `SELECT c.id, c.text, c.kind, c.support, e.id AS eid, e.name AS ename, e.kind AS ekind
  FROM claims c LEFT JOIN entities e ON e.id = c.claimant_id WHERE c.id = $1`;
const LOOKUP_SOURCE = `SELECT c.id, c.text, c.kind, c.support, s.title FROM claims c JOIN sources s ON s.id = c.appears_in_id WHERE c.id = $1`;
// The source, its first 20 supported claims (in citation order), each claim's entities (in id
// order) and each entity's first 5 relationships (in adjacency order) with their objects.
const NESTED = `SELECT s.title, (
    SELECT coalesce(json_agg(json_build_object('id', c.id, 'text', c.text, 'about', (
      SELECT coalesce(json_agg(json_build_object('id', e.id, 'name', e.name, 'kind', e.kind, 'relationships', (
        SELECT coalesce(json_agg(json_build_object('id', r.id, 'predicate', r.predicate, 'oid', o.id, 'oname', o.name, 'okind', o.kind) ORDER BY x.id), '[]')
        FROM (SELECT relationship_id, id FROM relationship_ends WHERE entity_id = e.id ORDER BY id LIMIT 5) x
        JOIN relationships r ON r.id = x.relationship_id JOIN entities o ON o.id = r.object_id
      )) ORDER BY e.id), '[]')
      FROM claim_subjects cs JOIN entities e ON e.id = cs.entity_id WHERE cs.claim_id = c.id
    )) ORDER BY ci.id), '[]')
    FROM (SELECT id, claim_id FROM citations WHERE source_id = $1 AND stance = 'SUPPORTS' ORDER BY id LIMIT 20) ci JOIN claims c ON c.id = ci.claim_id
  ) AS claims
  FROM sources s WHERE s.id = $1`;
const PAGE = 'SELECT id, text FROM claims WHERE id > $1 ORDER BY id LIMIT 21';
const BACKED = "EXISTS (SELECT 1 FROM citations ci WHERE ci.claim_id = s.claim_id AND ci.stance = 'SUPPORTS')";
const FILTERED = `SELECT (SELECT count(*)::int FROM claim_subjects s WHERE s.entity_id = $1 AND ${BACKED}) AS total, (
    SELECT coalesce(json_agg(json_build_object('id', c.id, 'text', c.text, 'support', c.support) ORDER BY c.sid), '[]') FROM (
      SELECT s.claim_id AS sid, c.id, c.text, c.support FROM claim_subjects s JOIN claims c ON c.id = s.claim_id
      WHERE s.entity_id = $1 AND ${BACKED} ORDER BY s.claim_id LIMIT 20) c
  ) AS nodes`;

const NAMES = 'SELECT id, name, kind FROM entities WHERE id = ANY ($1::int[])';
const RELATIONSHIPS = 'SELECT id, subject_id AS s, label, object_id AS o FROM relationships WHERE id = ANY ($1::int[])';
const ROLE = 'SELECT role FROM event_participants WHERE event_id = $1 AND entity_id = $2 ORDER BY id LIMIT 1';
// The nodes a page of search hits names, in one statement: claims' texts, sources' titles, entities' names.
const HIT_NODES = `SELECT 'CLAIM' AS kind, id, text AS label, NULL AS entity_kind FROM claims WHERE id = ANY ($1::int[])
  UNION ALL SELECT 'SOURCE', id, title, NULL FROM sources WHERE id = ANY ($2::int[])
  UNION ALL SELECT 'ENTITY', id, name, kind FROM entities WHERE id = ANY ($3::int[])`;
const INSERT_CLAIM = "INSERT INTO claims (slug, text, kind, attribution, appears_in_id) VALUES ($1, $2, 'FACT', 'DIRECT', $3) RETURNING id";
const INSERT_SUBJECTS = 'INSERT INTO claim_subjects (claim_id, entity_id) VALUES ($1, $2), ($1, $3)';

/** path(from, to, maxDepth: 4) { length steps { description } }, as src/graphql/types/exploration.ts words its steps. */
async function route(p: Params) {
  const found = await findShortestPath(engine.db, Number(p.from), Number(p.to), 4);
  if (!found) return { path: null };
  const relationshipIds = found.steps.flatMap((s) => (s.link.kind === 'relationship' ? [s.link.relationshipId] : []));
  const relationships = new Map(
    (relationshipIds.length > 0 ? await query<{ id: number; s: number; label: string; o: number }>('path-relationships', RELATIONSHIPS, [relationshipIds]) : []).map((r) => [r.id, r]),
  );
  const ids = [...found.entityIds, ...found.steps.flatMap((s) => (s.link.kind === 'relationship' ? [] : [s.link.eventId]))];
  for (const r of relationships.values()) ids.push(r.s, r.o);
  const names = new Map((await query<{ id: number; name: string }>('path-names', NAMES, [ids])).map((e) => [e.id, e.name]));
  const steps = [];
  for (const step of found.steps) {
    if (step.link.kind === 'relationship') {
      const r = relationships.get(step.link.relationshipId)!;
      steps.push({ description: `${names.get(r.s)} ${r.label} ${names.get(r.o)}` });
      continue;
    }
    const event = step.link.eventId;
    if (step.link.kind === 'shared-event') {
      steps.push({ description: `${names.get(step.from)} and ${names.get(step.to)} both took part in ${names.get(event)}` });
      continue;
    }
    const member = step.from === event ? step.to : step.from;
    const [role] = await query<{ role: string | null }>('path-role', ROLE, [event, member]);
    steps.push({ description: `${names.get(member)} took part in ${names.get(event)}${role?.role ? ` (${role.role})` : ''}` });
  }
  return { path: { length: found.steps.length, steps } };
}

/** search(query: $q, first: 10) { totalCount edges { score snippet node { … } } } */
async function search(p: Params) {
  const page = await searchIndex(engine.db, { text: String(p.q), kinds: null, offset: 0, limit: 10 });
  const of = (kinds: string[]) => page.hits.filter((h) => kinds.includes(h.kind)).map((h) => h.refId);
  const rows = await query<{ kind: string; id: number; label: string; entity_kind: string | null }>('search-nodes', HIT_NODES, [
    of(['CLAIM']),
    of(['SOURCE']),
    page.hits.filter((h) => h.kind !== 'CLAIM' && h.kind !== 'SOURCE').map((h) => h.refId),
  ]);
  const nodes = new Map(rows.map((r) => [`${r.kind}:${r.id}`, r]));
  return {
    search: {
      totalCount: page.totalCount,
      edges: page.hits.flatMap((h) => {
        const group = h.kind === 'CLAIM' || h.kind === 'SOURCE' ? h.kind : 'ENTITY';
        const row = nodes.get(`${group}:${h.refId}`);
        if (!row) return [];
        const node =
          group === 'CLAIM'
            ? { __typename: 'Claim', id: gid('Claim', row.id), text: row.label }
            : group === 'SOURCE'
              ? { __typename: 'Source', id: gid('Source', row.id), title: row.label }
              : { __typename: TYPE[row.entity_kind!], id: entity(row.id, row.entity_kind!), name: row.label };
        return [{ score: h.score, snippet: h.snippet, node }];
      }),
    },
  };
}

/** createClaim about two entities: the claim and its subjects in one transaction. */
async function write(p: Params) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const slug = `bench-raw-${p.text}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 180);
    const { rows } = await client.query<{ id: number }>({ name: 'write-claim', text: INSERT_CLAIM, values: [slug, p.text, Number(p.source)] });
    await client.query({ name: 'write-subjects', text: INSERT_SUBJECTS, values: [rows[0]!.id, Number(p.a), Number(p.b)] });
    await client.query('COMMIT');
    return { createClaim: { claim: { id: gid('Claim', rows[0]!.id) } } };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function pageAfter(after: number) {
  const rows = await query<{ id: number; text: string }>('page', PAGE, [after]);
  const nodes = rows.slice(0, 20);
  return {
    claims: {
      nodes: nodes.map((c) => ({ id: gid('Claim', c.id), text: c.text })),
      pageInfo: { hasNextPage: rows.length > 20, endCursor: nodes.length ? claimCursor(nodes.at(-1)!.id) : null },
    },
  };
}

type Nested = { title: string; claims: { id: number; text: string; about: { id: number; name: string; kind: string; relationships: { id: number; predicate: string; oid: number; oname: string; okind: string }[] }[] }[] };

export const RAW_POSTGRES: Record<string, (p: Params) => Promise<unknown>> = {
  async lookup(p) {
    const [c] = await query<{ id: number; text: string; kind: string; support: string; eid: number | null; ename: string; ekind: string }>('lookup', LOOKUP, [Number(p.id)]);
    if (!c) return { node: null };
    return { node: { id: gid('Claim', c.id), text: c.text, kind: c.kind, support: c.support, claimant: c.eid ? { id: entity(c.eid, c.ekind), name: c.ename } : null } };
  },
  async 'lookup-source'(p) {
    const [c] = await query<{ id: number; text: string; kind: string; support: string; title: string }>('lookup-source', LOOKUP_SOURCE, [Number(p.id)]);
    if (!c) return { node: null };
    return { node: { id: gid('Claim', c.id), text: c.text, kind: c.kind, support: c.support, appearsIn: { title: c.title } } };
  },
  async nested(p) {
    const [s] = await query<Nested>('nested', NESTED, [Number(p.id)]);
    if (!s) return { node: null };
    return {
      node: {
        title: s.title,
        claims: {
          nodes: s.claims.map((c) => ({
            id: gid('Claim', c.id),
            text: c.text,
            about: c.about.map((e) => ({
              id: entity(e.id, e.kind),
              name: e.name,
              relationships: { nodes: e.relationships.map((r) => ({ id: gid('Relationship', r.id), predicate: r.predicate, object: { id: entity(r.oid, r.okind), name: r.oname } })) },
            })),
          })),
        },
      },
    };
  },
  'page-first': () => pageAfter(0),
  'page-deep': (p) => pageAfter(Number(p.after)),
  'search-rare': search,
  'search-common': search,
  'path-reachable': route,
  'path-unreachable': route,
  write,
  async filtered(p) {
    const [r] = await query<{ total: number; nodes: { id: number; text: string; support: string }[] }>('filtered', FILTERED, [Number(p.id)]);
    return { node: { claimsAbout: { totalCount: r!.total, nodes: r!.nodes.map((c) => ({ id: gid('Claim', c.id), text: c.text, support: c.support })) } } };
  },
};

function serve() {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let w: string;
      let p: Params;
      try {
        ({ w, p } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { w: string; p: Params });
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
        return;
      }
      const answer = RAW_POSTGRES[w];
      if (!answer) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no PostgreSQL floor for ${w}` }));
        return;
      }
      answer(p).then(
        (data) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data })),
        (error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })),
      );
    });
  });
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`raw floor listening on ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => engine.close().finally(() => process.exit(0))));
}

serve();
