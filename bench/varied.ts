/**
 * The varied workload: every request a different operation or different ids, so that none is a
 * repeat the response cache could answer and every answer is a new entry for it to keep (or
 * refuse). It measures what many distinct reads cost a server process in memory: the cache up to
 * its bound, the parsed documents yoga keeps, the statements kept compiled.
 */
import { openDatabase } from '../src/db';
import { random } from '../src/model/generate';
import { claimCursor, gid } from './workloads';

const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };

/** A generator of request bodies, each a distinct operation or the same one with new ids. */
export function variedRequests(path: string, seed = 99): () => string {
  const db = openDatabase({ path, readonly: true });
  const c = db.$client;
  const maxClaim = c.prepare('SELECT max(id) FROM claims').pluck().get() as number;
  const maxSource = c.prepare('SELECT max(id) FROM sources').pluck().get() as number;
  const entities = c.prepare('SELECT id, kind FROM entities ORDER BY id').raw().all() as [number, string][];
  c.exec("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'search_index', 'row')");
  const words = c.prepare('SELECT term FROM temp.vocab WHERE doc BETWEEN 5 AND 5000 AND length(term) > 3 ORDER BY term LIMIT 2000').pluck().all() as string[];
  c.close();

  const rand = random(seed);
  const entity = () => {
    const [id, kind] = entities[rand.int(entities.length)]!;
    return gid(TYPE[kind]!, id);
  };
  const claim = () => gid('Claim', 1 + rand.int(maxClaim));
  const source = () => gid('Source', 1 + rand.int(maxSource));
  const page = () => 1 + rand.int(30);
  const some = (...fields: string[]) => fields.filter(() => rand.next() < 0.6).join(' ') || fields[0]!;
  let n = 0;

  const shapes: (() => { query: string; variables: Record<string, unknown> })[] = [
    () => ({
      query: `query Claim${n}($id: ID!) { node(id: $id) { id ... on Claim { ${some('text', 'kind', 'support', 'createdAt')} claimant { name } about { name relationships(first: ${page()}) { nodes { predicate object { name } } } } } } }`,
      variables: { id: claim() },
    }),
    () => ({
      query: `query Entity${n}($id: ID!) { node(id: $id) { ... on Entity { ${some('name', 'description', 'aliases')} claimsAbout(first: ${page()}) { totalCount nodes { id text ${some('kind', 'support')} } } relationships(first: ${page()}) { nodes { predicate subject { name } object { name } } } } } }`,
      variables: { id: entity() },
    }),
    () => ({
      query: `query Source${n}($id: ID!) { node(id: $id) { ... on Source { title claims(first: ${page()}) { nodes { id text about { id name } } } } } }`,
      variables: { id: source() },
    }),
    () => ({
      query: `query Nodes${n}($ids: [ID!]!) { nodes(ids: $ids) { id ... on Entity { name relationships(first: ${page()}) { nodes { predicate object { name } } } } ... on Claim { text } } }`,
      variables: { ids: Array.from({ length: 1 + rand.int(20) }, () => (rand.next() < 0.5 ? entity() : claim())) },
    }),
    () => ({
      query: `query Search${n}($q: String!) { search(query: $q, first: ${Math.min(page(), 25)}) { totalCount edges { score snippet node { __typename ... on Entity { id name } ... on Claim { id text } ... on Source { id title } } } } }`,
      variables: { q: words.length > 0 ? `${rand.pick(words)} ${rand.next() < 0.3 ? rand.pick(words) : ''}`.trim() : 'a' },
    }),
    () => ({
      query: `query Page${n}($after: String) { claims(first: ${page()}, after: $after) { nodes { id text ${some('kind', 'support')} } pageInfo { hasNextPage endCursor } } }`,
      variables: { after: claimCursor(rand.int(maxClaim)) },
    }),
    () => ({
      query: `query Path${n}($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 4) { length steps { description } } }`,
      variables: { from: entity(), to: entity() },
    }),
  ];
  return () => {
    n++;
    return JSON.stringify(rand.pick(shapes)());
  };
}
