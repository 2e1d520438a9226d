import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZIPF_MIX, scatter, zipf, zipfDraws } from '../bench/zipf';
import { generateFile, random } from '../src/model/generate';

// The Zipf mix's draws (bench/zipf.ts): what the benchmark's figures are measured over.

describe('the Zipf sampler', () => {
  const counts = (n: number, s: number, draws: number) => {
    const next = zipf(n, s, random(1).next);
    const seen = new Array<number>(n).fill(0);
    for (let i = 0; i < draws; i++) seen[next()]!++;
    return seen;
  };

  it('draws rank k with weight 1/(k+1)^s', () => {
    const n = 1000;
    const draws = 200_000;
    const seen = counts(n, 1, draws);
    const harmonic = Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    // Rank 0 has 1/H(n) of the draws (about 13% of 1000 ranks), rank 1 half of that, rank 9 a tenth.
    expect(seen[0]! / draws).toBeCloseTo(1 / harmonic, 2);
    expect(seen[1]! / seen[0]!).toBeCloseTo(0.5, 1);
    expect(seen[9]! / seen[0]!).toBeCloseTo(0.1, 1);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(draws);
  });

  it('is uniform at s = 0 and reaches every rank', () => {
    const seen = counts(100, 0, 100_000);
    expect(Math.min(...seen)).toBeGreaterThan(800);
    expect(Math.max(...seen)).toBeLessThan(1200);
  });

  it('scatters ranks over the whole list, each position once', () => {
    for (const n of [1, 2, 7, 1000, 50_000]) {
      const positions = new Set(Array.from({ length: n }, (_, rank) => scatter(rank, n, 13)));
      expect(positions.size).toBe(n);
      expect(Math.min(...positions)).toBe(0);
      expect(Math.max(...positions)).toBe(n - 1);
    }
    // The most popular ranks are not neighbours in the table.
    expect(Math.abs(scatter(1, 50_000, 0) - scatter(0, 50_000, 0))).toBeGreaterThan(100);
  });
});

describe('the Zipf mix over a generated graph', () => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'claimgraph-zipf-'));
    path = join(dir, 'graph.db');
    generateFile(path, { entities: 300, relationships: 1_000, claims: 3_000, sources: 100, seed: 3, minCitations: 1, maxCitations: 3 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('draws every shape by its weight, over the whole graph, the same for the same seed', () => {
    const draws = zipfDraws(path, 1);
    expect(draws.space).toMatchObject({ claims: 3_000, entities: 300, sources: 100, pages: 150 });
    expect(draws.space.words).toBeGreaterThan(100);
    const a = draws.requests(5);
    const b = draws.requests(5);
    const shapes: Record<string, number> = {};
    const claims = new Set<number>();
    const texts = new Set<string>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const r = a();
      const again = b();
      expect(again.w).toBe(r.w);
      if (r.shape !== 'write') expect(again.p).toEqual(r.p);
      else {
        texts.add(String(r.p.text));
        texts.add(String(again.p.text));
        expect(r.p.a).not.toBe(r.p.b);
      }
      shapes[r.shape] = (shapes[r.shape] ?? 0) + 1;
      if (r.shape === 'lookup') claims.add(Number(r.p.id));
      if (r.shape === 'path') expect(r.p.from).not.toBe(r.p.to);
      if (r.w === 'page-deep') expect(Number(r.p.after) % 20).toBe(0);
    }
    for (const [shape, weight] of ZIPF_MIX) expect(Math.abs(shapes[shape]! / n - weight / 100)).toBeLessThan(0.01);
    // Every write is a new claim: its text is never repeated, not even by another sequence.
    expect(texts.size).toBe(2 * shapes.write!);
    // Lookups reach far into the claims, not a few hundred of them.
    expect(claims.size).toBeGreaterThan(1_000);
    expect(Math.max(...claims)).toBeGreaterThan(2_900);
    expect(draws.distinct(5, 1_000)).toBeLessThan(1_000);
  });
});
