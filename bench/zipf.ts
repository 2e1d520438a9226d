/**
 * The Zipf mix: requests that look like real traffic over the whole graph, not a few hundred
 * repeats. Each request's shape is drawn by ZIPF_MIX's weights, and its parameters by a Zipf law
 * (the k-th most popular value is asked with weight 1/k^s) over every value there is:
 *
 * - claims (lookup), sources (nested), entities (filtered, path ends, write subjects) and
 *   sources (write): every id, the popular ones scattered through the id space (a rank is mapped
 *   to an id by a fixed permutation, so the hot rows are not the first rows of the table);
 * - search words: the index's whole vocabulary, the word in most documents the most popular;
 * - pages: every page of the claims list at its depth, the first page the most popular, then the
 *   second, and so on (a page at depth k asks for the 20 claims after id 20·k, as page-deep does);
 * - writes: createClaim about two entities, with the API token, as the write workload does.
 *
 * The draws are deterministic for a seed, so every server (cache off, cache on, the raw floor)
 * gets the same sequence. Each request is one of today's workloads (bench/workloads.ts) with new
 * parameters, so claimgraph and the raw floors answer it with the code they already have.
 */
import { openDatabase } from '../src/db';
import { random } from '../src/model/generate';
import type { Params } from './workloads';

/** The shapes and their weights (out of 100): today's read shapes, and writes at 2%. */
export const ZIPF_MIX: [Shape, number][] = [
  ['lookup', 28],
  ['nested', 28],
  ['search', 20],
  ['page', 10],
  ['path', 6],
  ['filtered', 6],
  ['write', 2],
];
export type Shape = 'lookup' | 'nested' | 'search' | 'page' | 'path' | 'filtered' | 'write';

/** Claims per page (the workloads' `claims(first: 20)`). */
const PAGE = 20;

const TYPE: Record<string, string> = { ORGANIZATION: 'Organization', PERSON: 'Person', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };

/**
 * A sampler of ranks 0 … n-1 where rank k has weight 1/(k+1)^s (s = 0 is uniform): the
 * cumulative weights once, then a binary search per draw (n = 1M takes 8 MB and 20 steps).
 */
export function zipf(n: number, s: number, next: () => number): () => number {
  if (!(n >= 1)) throw new Error(`zipf: nothing to draw from (n = ${n})`);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cumulative[k] = total += (k + 1) ** -s;
  return () => {
    const u = next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/**
 * Rank → position in a list of n, a bijection (a prime multiplier, coprime to any n below it),
 * so that neighbouring ranks land far apart and the popular rows are spread over the table.
 */
const SCATTER = 2_654_435_761;
export const scatter = (rank: number, n: number, offset: number) => ((rank * (SCATTER % n)) % n + offset) % n;

/** Writes made so far, by every generator: each claim's text is new. */
let writes = 0;

export interface ZipfRequest {
  /** The workload (bench/workloads.ts) that asks it, and its parameters. */
  w: string;
  p: Params;
  shape: Shape;
}

export interface ZipfSpace {
  claims: number;
  entities: number;
  sources: number;
  words: number;
  pages: number;
}

/**
 * The draws over the graph in the SQLite file at `path` (its ids and its search vocabulary):
 * `requests(seed)` makes a generator; generators with the same seed draw the same sequence.
 */
export function zipfDraws(path: string, s: number) {
  const db = openDatabase({ path, readonly: true });
  const c = db.$client;
  const maxClaim = c.prepare('SELECT max(id) FROM claims').pluck().get() as number;
  const entities = c.prepare('SELECT id, kind FROM entities ORDER BY id').raw().all() as [number, string][];
  const sources = c.prepare('SELECT id FROM sources ORDER BY id').pluck().all() as number[];
  c.exec("CREATE VIRTUAL TABLE temp.zipf_vocab USING fts5vocab(main, 'search_index', 'row')");
  // Words as people type them: three letters or more, most documents first (ties by the word).
  const words = c.prepare('SELECT term FROM temp.zipf_vocab WHERE length(term) >= 3 ORDER BY doc DESC, term').pluck().all() as string[];
  c.close();
  const space: ZipfSpace = { claims: maxClaim, entities: entities.length, sources: sources.length, words: words.length, pages: Math.ceil(maxClaim / PAGE) };

  const requests = (seed: number): (() => ZipfRequest) => {
    const rand = random(seed);
    const claimRank = zipf(space.claims, s, rand.next);
    const entityRank = zipf(space.entities, s, rand.next);
    const sourceRank = zipf(space.sources, s, rand.next);
    const wordRank = zipf(space.words, s, rand.next);
    const pageRank = zipf(space.pages, s, rand.next);
    const total = ZIPF_MIX.reduce((sum, [, weight]) => sum + weight, 0);
    const shape = (): Shape => {
      let pick = rand.int(total);
      for (const [name, weight] of ZIPF_MIX) {
        if (pick < weight) return name;
        pick -= weight;
      }
      return ZIPF_MIX[0]![0];
    };
    const claim = () => 1 + scatter(claimRank(), space.claims, 7);
    const entity = () => {
      const [id, kind] = entities[scatter(entityRank(), space.entities, 11)]!;
      return { id, type: TYPE[kind]! };
    };
    const source = () => sources[scatter(sourceRank(), space.sources, 13)]!;
    const two = () => {
      const a = entity();
      let b = entity();
      // A path from an entity to itself, or a claim about one entity twice, is not what people ask.
      for (let tries = 0; b.id === a.id && tries < 10; tries++) b = entity();
      return [a, b] as const;
    };
    return (): ZipfRequest => {
      const which = shape();
      switch (which) {
        case 'lookup':
          return { shape: which, w: 'lookup', p: { id: claim() } };
        case 'nested':
          return { shape: which, w: 'nested', p: { id: source() } };
        case 'search':
          return { shape: which, w: 'search-rare', p: { q: words[wordRank()]! } };
        case 'page': {
          const depth = pageRank();
          return depth === 0 ? { shape: which, w: 'page-first', p: {} } : { shape: which, w: 'page-deep', p: { after: depth * PAGE } };
        }
        case 'path': {
          const [a, b] = two();
          return { shape: which, w: 'path-reachable', p: { from: a.id, fromType: a.type, to: b.id, toType: b.type } };
        }
        case 'filtered': {
          const e = entity();
          return { shape: which, w: 'filtered', p: { id: e.id, type: e.type } };
        }
        case 'write': {
          const [a, b] = two();
          return { shape: which, w: 'write', p: { text: `Zipf write ${process.pid} ${++writes}`, source: source(), a: a.id, aType: a.type, b: b.id, bType: b.type } };
        }
      }
    };
  };

  /** How many of `count` draws are distinct requests (the cache's best case is count minus this). */
  const distinct = (seed: number, count: number) => {
    const next = requests(seed);
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const r = next();
      if (r.shape !== 'write') seen.add(`${r.w} ${JSON.stringify(r.p)}`);
    }
    return seen.size;
  };

  return { space, requests, distinct };
}
