import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDocument } from '../src/model/import';
import { SEED_FILE } from '../src/model/seed';
import { createTestApp, type TestApp } from './support/app';

let app: TestApp;
beforeAll(() => {
  app = createTestApp();
});

type Claim = { text: string; support: string; claimant: { name: string } | null; attribution: string; kind: string };

describe("the article's graph", () => {
  it('has every entity the article names, of the right kind', async () => {
    const res = await app.gql<{ entities: { totalCount: number; nodes: { name: string; kind: string }[] } }>(
      '{ entities(first: 100) { totalCount nodes { name kind } } }',
    );
    const byName = Object.fromEntries(res.data!.entities.nodes.map((e) => [e.name, e.kind]));
    expect(byName).toMatchObject({
      OpenAI: 'ORGANIZATION',
      'Elon Musk': 'PERSON',
      Microsoft: 'ORGANIZATION',
      Tesla: 'ORGANIZATION',
      xAI: 'ORGANIZATION',
      CNBC: 'ORGANIZATION',
      Minh: 'PERSON',
      'Ho Chi Minh City': 'PLACE',
      'GPT-4': 'PRODUCT',
      Grok: 'PRODUCT',
    });
  });

  it('cites note [2] (CNBC) for exactly the 2018 board resignation, and note [1] for exactly the 2015 founding', async () => {
    const res = await app.gql<{ sources: { nodes: { label: string | null; kind: string; publisher: { name: string } | null; claims: { totalCount: number; nodes: Claim[] } }[] } }>(
      '{ sources { nodes { label kind publisher { name } claims(stance: SUPPORTS) { totalCount nodes { text support claimant { name } attribution kind } } } } }',
    );
    const byLabel = Object.fromEntries(res.data!.sources.nodes.map((s) => [s.label ?? 'article', s]));
    const cnbc = byLabel['[2] Cnbc']!;
    expect(cnbc.publisher?.name).toBe('CNBC');
    expect(cnbc.claims.totalCount).toBe(1);
    expect(cnbc.claims.nodes[0]!.text).toMatch(/board/);
    expect(cnbc.claims.nodes[0]!.text).toMatch(/2018/);
    expect(cnbc.claims.nodes[0]!.support).toBe('SUPPORTED');
    const en = byLabel['[1] En']!;
    expect(en.claims.totalCount).toBe(1);
    expect(en.claims.nodes[0]!.text).toMatch(/2015/);
    expect(en.claims.nodes[0]!.text).toMatch(/nonprofit/);
    expect(byLabel.article!.claims.totalCount).toBe(0);
  });

  it('holds forty or more claims, all appearing in the article, with two supported and the rest uncited', async () => {
    const res = await app.gql<Record<string, { totalCount: number }>>(
      `{ all: claims { totalCount } supported: claims(support: [SUPPORTED]) { totalCount }
         unsupported: claims(support: [UNSUPPORTED]) { totalCount } contested: claims(support: [CONTESTED, REFUTED]) { totalCount }
         stated: sources(first: 1) { nodes { statedClaims { totalCount } } } }`,
    );
    const d = res.data as unknown as { all: { totalCount: number }; supported: { totalCount: number }; unsupported: { totalCount: number }; contested: { totalCount: number }; stated: { nodes: { statedClaims: { totalCount: number } }[] } };
    expect(d.all.totalCount).toBeGreaterThanOrEqual(40);
    expect(d.supported.totalCount).toBe(2);
    expect(d.contested.totalCount).toBe(0);
    expect(d.unsupported.totalCount).toBe(d.all.totalCount - 2);
    expect(d.stated.nodes[0]!.statedClaims.totalCount).toBe(d.all.totalCount);
  });

  it("attributes claims to their claimants: the article's voice, Musk, OpenAI, many, Minh", async () => {
    const res = await app.gql<{ claims: { nodes: Claim[] } }>('{ claims(first: 100) { nodes { text kind attribution claimant { name } } } }');
    const claims = res.data!.claims.nodes;
    const claimants = new Set(claims.map((c) => c.claimant?.name ?? null));
    expect(claimants).toContain(null);
    expect(claimants).toContain('Elon Musk');
    expect(claimants).toContain('OpenAI');
    expect(claimants).toContain('Minh');
    expect([...claimants].some((n) => n !== null && /many/i.test(n))).toBe(true);
    for (const claim of claims) {
      expect(claim.attribution, claim.text).toBe(claim.claimant ? 'REPORTED' : 'DIRECT');
    }
    expect(claims.filter((c) => c.claimant?.name === 'Elon Musk').every((c) => c.kind === 'POSITION')).toBe(true);
    expect(claims.some((c) => c.kind === 'ANECDOTE')).toBe(true);
  });

  it("links Musk's positions and OpenAI's opposing one by contradicts, both ways", async () => {
    const res = await app.gql<{ entity: { claimsMade: { nodes: { text: string; contradicts: { text: string; claimant: { name: string } | null; contradicts: { text: string }[] }[] }[] } } }>(
      '{ entity(name: "OpenAI") { claimsMade { nodes { text contradicts { text claimant { name } contradicts { text } } } } } }',
    );
    const secrecy = res.data!.entity.claimsMade.nodes.find((c) => /secrecy/i.test(c.text))!;
    expect(secrecy.contradicts.length).toBeGreaterThanOrEqual(2);
    for (const other of secrecy.contradicts) {
      expect(other.claimant?.name).toBe('Elon Musk');
      expect(other.contradicts.map((c) => c.text)).toContain(secrecy.text);
    }
  });

  it('keeps dates at the precision the article gives and invents none', async () => {
    const res = await app.gql<{ events: { nodes: { name: string; startDate: string | null; endDate: string | null }[] }; openai: { foundedOn: string } }>(
      '{ events(first: 100) { nodes { name startDate endDate } } openai: entity(name: "OpenAI") { ... on Organization { foundedOn } } }',
    );
    const dated = res.data!.events.nodes.filter((e) => e.startDate !== null);
    expect(dated.map((e) => e.startDate)).toEqual(['2015', '2018']);
    expect(res.data!.events.nodes.every((e) => e.endDate === null)).toBe(true);
    expect(res.data!.openai.foundedOn).toBe('2015');
    const merger = res.data!.events.nodes.find((e) => /merge/i.test(e.name))!;
    expect(merger.startDate).toBeNull();
  });

  it('states the relationships the article does', async () => {
    const res = await app.gql<{ relationships: { nodes: { subject: { name: string }; predicate: string; object: { name: string }; claims: unknown[] }[] } }>(
      '{ relationships(first: 100) { nodes { subject { name } predicate object { name } claims { __typename } } } }',
    );
    const links = res.data!.relationships.nodes.map((r) => `${r.subject.name} ${r.predicate} ${r.object.name}`);
    expect(links).toEqual(
      expect.arrayContaining([
        'Elon Musk co_founded OpenAI',
        'Elon Musk board_member_of OpenAI',
        'Microsoft invested_in OpenAI',
        'Elon Musk founded xAI',
        'xAI develops Grok',
        'OpenAI develops GPT-4',
        'xAI competes_with OpenAI',
      ]),
    );
    expect(res.data!.relationships.nodes.every((r) => r.claims.length > 0)).toBe(true);
  });

  it('imports idempotently: loading the seed again changes nothing', () => {
    const report = importDocument(app.db, JSON.parse(readFileSync(SEED_FILE, 'utf8')));
    expect(report.created).toEqual({ entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 });
    expect(report.updated).toEqual({ entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 });
  });
});
