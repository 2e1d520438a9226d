/**
 * The benchmark's workloads: each is a GraphQL operation for claimgraph and the same answer
 * asked of the raw floor (bench/raw-floor.ts), with parameters drawn from the data.
 */
export type Params = Record<string, string | number | null>;

export interface Workload {
  name: string;
  description: string;
  /** The GraphQL operation claimgraph answers. */
  query: string;
  variables(params: Params): Record<string, unknown>;
  /** Writes change the data, so their answers are not compared with the floor's. */
  writes?: boolean;
}

export const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
export const claimCursor = (id: number) => Buffer.from(`DC:N:${id}`).toString('base64');

export const WORKLOADS: Workload[] = [
  {
    name: 'lookup',
    description: 'node(id) of a claim with its claimant',
    query: 'query Lookup($id: ID!) { node(id: $id) { id ... on Claim { text kind support claimant { id name } } } }',
    variables: (p) => ({ id: gid('Claim', Number(p.id)) }),
  },
  {
    name: 'nested',
    description: 'claims supported by a source: source → 20 claims → their entities → 5 relationships each',
    query: `query Nested($id: ID!) { node(id: $id) { ... on Source { title claims(first: 20) { nodes { id text about { id name relationships(first: 5) { nodes { id predicate object { id name } } } } } } } } }`,
    variables: (p) => ({ id: gid('Source', Number(p.id)) }),
  },
  {
    name: 'page-first',
    description: 'the first page of claims',
    query: 'query Page($after: String) { claims(first: 20, after: $after) { nodes { id text } pageInfo { hasNextPage endCursor } } }',
    variables: () => ({ after: null }),
  },
  {
    name: 'page-deep',
    description: 'the page at 90% of the claims',
    query: 'query Page($after: String) { claims(first: 20, after: $after) { nodes { id text } pageInfo { hasNextPage endCursor } } }',
    variables: (p) => ({ after: claimCursor(Number(p.after)) }),
  },
  {
    name: 'search-rare',
    description: 'search for a rare word',
    query: `query Search($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { __typename ... on Entity { id name } ... on Claim { id text } ... on Source { id title } } } } }`,
    variables: (p) => ({ q: p.q }),
  },
  {
    name: 'search-common',
    description: 'search for the most common word',
    query: `query Search($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { __typename ... on Entity { id name } ... on Claim { id text } ... on Source { id title } } } } }`,
    variables: (p) => ({ q: p.q }),
  },
  {
    name: 'path-reachable',
    description: 'path between two connected entities, depth up to 4',
    query: 'query Path($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 4) { length steps { description } } }',
    variables: (p) => ({ from: gid(String(p.fromType), Number(p.from)), to: gid(String(p.toType), Number(p.to)) }),
  },
  {
    name: 'path-unreachable',
    description: 'path between two entities nothing connects',
    query: 'query Path($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 4) { length steps { description } } }',
    variables: (p) => ({ from: gid(String(p.fromType), Number(p.from)), to: gid(String(p.toType), Number(p.to)) }),
  },
  {
    name: 'filtered',
    description: 'claims about a hub entity that a SUPPORTS citation backs (a relation filter), with their count',
    query: `query Filtered($id: ID!) { node(id: $id) { ... on Entity { claimsAbout(first: 20, where: { citations: { some: { stance: { eq: SUPPORTS } } } }) { totalCount nodes { id text support } } } } }`,
    variables: (p) => ({ id: gid(String(p.type), Number(p.id)) }),
  },
  {
    name: 'write',
    description: 'createClaim about two entities',
    writes: true,
    query: 'mutation Write($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }',
    variables: (p) => ({
      input: {
        text: String(p.text),
        kind: 'FACT',
        appearsInId: gid('Source', Number(p.source)),
        aboutIds: [gid(String(p.aType), Number(p.a)), gid(String(p.bType), Number(p.b))],
      },
    }),
  },
];

/** The mix: 60% lookups and nested reads, 20% search, 10% paging, 8% path, 2% writes. */
export const MIX: [string, number][] = [
  ['lookup', 30],
  ['nested', 30],
  ['search-rare', 10],
  ['search-common', 10],
  ['page-first', 5],
  ['page-deep', 5],
  ['path-reachable', 4],
  ['path-unreachable', 4],
  ['write', 2],
];

export const workload = (name: string) => WORKLOADS.find((w) => w.name === name)!;
