/**
 * The raw floor on PostgreSQL: the benchmark's answers built by hand-written SQL over `pg` (one
 * prepared statement per request, the nesting done by PostgreSQL with json_agg) behind plain
 * node:http, with no GraphQL. One process, a pool of POSTGRES_POOL_SIZE connections as
 * claimgraph has, the same database (DATABASE_URL).
 * POST /raw with {"w": workload, "p": params} answers {"data": …} exactly as claimgraph would.
 * Workloads without a hand-written PostgreSQL answer yet (search, path, writes) answer 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { POSTGRES_POOL_SIZE } from '../src/db/postgres';
import { claimCursor, gid, type Params } from './workloads';

const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };
const entity = (id: number, kind: string) => gid(TYPE[kind]!, id);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POSTGRES_POOL_SIZE });
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
  process.on('SIGTERM', () => server.close(() => pool.end().finally(() => process.exit(0))));
}

serve();
