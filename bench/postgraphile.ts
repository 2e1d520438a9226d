/**
 * PostGraphile 5 beside claimgraph on the same PostgreSQL database, for the shapes both can
 * express. PostGraphile is not a dependency of claimgraph (it declares node >= 22): it lives in
 * bench/peers/postgraphile with its own package.json and package-lock.json, installed there on
 * first use, and runs in a process of its own with a preload that gives Node 20 the one Node 22
 * built-in it needs (Promise.withResolvers).
 *
 * Each shape is asked of claimgraph as a GraphQL operation and of PostGraphile as the operation
 * its amber preset's schema offers for the same data; `same` reduces both answers to the same
 * plain form (numeric ids, the same nesting) so they can be compared.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workload, type Params } from './workloads';

export const PEER = new URL('peers/postgraphile/', import.meta.url).pathname;

/** Installs the peer folder's locked packages when they are missing (engine warnings there concern only that folder). */
export function installPostgraphile(log: (line: string) => void): void {
  if (existsSync(join(PEER, 'node_modules', 'postgraphile', 'package.json'))) return;
  log('installing PostGraphile into bench/peers/postgraphile (npm ci, first use only)');
  execFileSync('npm', ['ci', '--prefix', PEER, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
}

/** The command that runs the PostGraphile server (the node binary is the benchmark's own). */
export const POSTGRAPHILE_COMMAND = ['--import', join(PEER, 'polyfill.mjs'), join(PEER, 'server.mjs')];

/** The answers' shapes, as each server's operation asks for them. */
type Named = { rowId: number; name: string };
type Page<T> = { nodes: T[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
interface Claimgraph {
  node: {
    id: string;
    text: string;
    kind: string;
    support: string;
    appearsIn: { title: string };
    title: string;
    claims: { nodes: { id: string; text: string; about: { id: string; name: string; relationships: { nodes: { id: string; predicate: string; object: { id: string; name: string } }[] } }[] }[] };
  } | null;
  claims: Page<{ id: string; text: string }>;
}
interface Postgraphile {
  claimByRowId: { rowId: number; text: string; kind: string; support: string; sourceByAppearsInId: { title: string } } | null;
  sourceByRowId: {
    title: string;
    citationsBySourceId: {
      nodes: {
        claimByClaimId: {
          rowId: number;
          text: string;
          claimSubjectsByClaimId: { nodes: { entityByEntityId: Named & { relationshipEndsByEntityId: { nodes: { relationshipByRelationshipId: { rowId: number; predicate: string; entityByObjectId: Named } }[] } } }[] };
        };
      }[];
    };
  };
  allClaims: Page<{ rowId: number; text: string }>;
}

/** The number in a claimgraph global id ("Claim:12" in base64). */
const num = (id: string) => Number(Buffer.from(id, 'base64').toString('utf8').split(':')[1]);

export interface SharedShape {
  name: string;
  description: string;
  /** claimgraph's workload (bench/workloads.ts or LOOKUP_SOURCE) asked for this shape. */
  workload: string;
  postgraphile: string;
  /** PostGraphile's variables; `pageCursor` is its cursor after a claim id, learned from its own first page. */
  postgraphileVariables(p: Params, pageCursor: (after: number) => string): Record<string, unknown>;
  /** claimgraph's data, and PostGraphile's, in one plain form. */
  fromClaimgraph(data: Claimgraph): unknown;
  fromPostgraphile(data: Postgraphile): unknown;
}

/** A claim by id with its source's title: the lookup both servers can express. */
export const LOOKUP_SOURCE = {
  name: 'lookup-source',
  description: "node(id) of a claim with its source's title",
  query: 'query LookupSource($id: ID!) { node(id: $id) { id ... on Claim { text kind support appearsIn { title } } } }',
  variables: (p: Params) => ({ id: Buffer.from(`Claim:${Number(p.id)}`).toString('base64') }),
};

const pageOf = (nodes: { id: number; text: string }[], hasNextPage: boolean) => ({ nodes, hasNextPage });
const PAGE = `query Page($after: Cursor) { allClaims(first: 20, after: $after, orderBy: PRIMARY_KEY_ASC) { nodes { rowId text } pageInfo { hasNextPage endCursor } } }`;

export const SHARED_SHAPES: SharedShape[] = [
  {
    name: 'lookup-source',
    description: LOOKUP_SOURCE.description,
    workload: 'lookup-source',
    postgraphile: 'query LookupSource($id: Int!) { claimByRowId(rowId: $id) { rowId text kind support sourceByAppearsInId { title } } }',
    postgraphileVariables: (p) => ({ id: Number(p.id) }),
    fromClaimgraph: ({ node }) => node && { id: num(node.id), text: node.text, kind: node.kind, support: node.support, title: node.appearsIn.title },
    fromPostgraphile: (d) =>
      d.claimByRowId && { id: d.claimByRowId.rowId, text: d.claimByRowId.text, kind: d.claimByRowId.kind, support: d.claimByRowId.support, title: d.claimByRowId.sourceByAppearsInId.title },
  },
  {
    name: 'nested',
    description: workload('nested').description,
    workload: 'nested',
    postgraphile: `query Nested($id: Int!) { sourceByRowId(rowId: $id) { title
      citationsBySourceId(first: 20, condition: { stance: "SUPPORTS" }, orderBy: PRIMARY_KEY_ASC) { nodes { claimByClaimId { rowId text
        claimSubjectsByClaimId(orderBy: ENTITY_ID_ASC) { nodes { entityByEntityId { rowId name
          relationshipEndsByEntityId(first: 5, orderBy: PRIMARY_KEY_ASC) { nodes { relationshipByRelationshipId { rowId predicate entityByObjectId { rowId name } } } } } } } } } } } }`,
    postgraphileVariables: (p) => ({ id: Number(p.id) }),
    fromClaimgraph: ({ node }) => ({
      title: node!.title,
      claims: node!.claims.nodes.map((c) => ({
        id: num(c.id),
        text: c.text,
        about: c.about.map((e) => ({
          id: num(e.id),
          name: e.name,
          relationships: e.relationships.nodes.map((r) => ({ id: num(r.id), predicate: r.predicate, object: { id: num(r.object.id), name: r.object.name } })),
        })),
      })),
    }),
    fromPostgraphile: (d) => ({
      title: d.sourceByRowId.title,
      claims: d.sourceByRowId.citationsBySourceId.nodes.map(({ claimByClaimId: c }) => ({
        id: c.rowId,
        text: c.text,
        about: c.claimSubjectsByClaimId.nodes.map(({ entityByEntityId: e }) => ({
          id: e.rowId,
          name: e.name,
          relationships: e.relationshipEndsByEntityId.nodes.map(({ relationshipByRelationshipId: r }) => ({
            id: r.rowId,
            predicate: r.predicate,
            object: { id: r.entityByObjectId.rowId, name: r.entityByObjectId.name },
          })),
        })),
      })),
    }),
  },
  ...(['page-first', 'page-deep'] as const).map(
    (name): SharedShape => ({
      name,
      description: workload(name).description,
      workload: name,
      postgraphile: PAGE,
      postgraphileVariables: (p, pageCursor) => ({ after: p.after ? pageCursor(Number(p.after)) : null }),
      fromClaimgraph: (d) => pageOf(d.claims.nodes.map((c) => ({ id: num(c.id), text: c.text })), d.claims.pageInfo.hasNextPage),
      fromPostgraphile: (d) => pageOf(d.allClaims.nodes.map((c) => ({ id: c.rowId, text: c.text })), d.allClaims.pageInfo.hasNextPage),
    }),
  ),
];

/**
 * PostGraphile's cursors are its own: read the first page's end cursor and write the claim id
 * into it (an ordered primary-key cursor holds the key's value as JSON text inside base64).
 */
export function cursorMaker(firstPage: Pick<Postgraphile, 'allClaims'>): (after: number) => string {
  const end = firstPage.allClaims.pageInfo.endCursor!;
  const last = String(firstPage.allClaims.nodes.at(-1)!.rowId);
  const decoded = Buffer.from(end, 'base64').toString('utf8');
  const at = decoded.lastIndexOf(last);
  if (at < 0) throw new Error(`PostGraphile's cursor ${decoded} does not hold the last id ${last}: cannot page at 90%`);
  return (after) => Buffer.from(decoded.slice(0, at) + String(after) + decoded.slice(at + last.length)).toString('base64');
}

export const POSTGRAPHILE_FIRST_PAGE = PAGE;
