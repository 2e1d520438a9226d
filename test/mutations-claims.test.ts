import { beforeEach, describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, openDatabase } from '../src/db';
import { decodeGlobalID } from '../src/domain/ids';
import { createTestApp, globalId, seededFile, TEST_TOKEN, type TestApp } from './support/app';
import { snapshot } from './support/snapshot';

let app: TestApp;
let ids: { musk: string; openai: string; article: string; cnbc: string; en: string; secrecy: string };

beforeEach(async () => {
  app = createTestApp({ apiToken: TEST_TOKEN });
  const res = await app.gql<{
    musk: { id: string };
    openai: { id: string; claimsMade: { nodes: { id: string; text: string }[] } };
    sources: { nodes: { id: string; slug: string }[] };
  }>('{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id claimsMade { nodes { id text } } } sources { nodes { id slug } } }');
  const source = (slug: string) => res.data!.sources.nodes.find((s) => s.slug === slug)!.id;
  ids = {
    musk: res.data!.musk.id,
    openai: res.data!.openai.id,
    article: source('article'),
    en: source('note-1-en'),
    cnbc: source('note-2-cnbc'),
    secrecy: res.data!.openai.claimsMade.nodes.find((c) => /secrecy/.test(c.text))!.id,
  };
});

type GqlError = { message: string; extensions?: Record<string, unknown> };
type ClaimShape = {
  id: string;
  slug: string;
  text: string;
  kind: string;
  attribution: string;
  support: string;
  claimant: { name: string } | null;
  appearsIn: { slug: string };
  about: { name: string }[];
  citations: { id: string; stance: string; locator: string | null; quote: string | null; source: { slug: string } }[];
  contradicts: { id: string; updatedAt: string; contradicts: { id: string }[] }[];
  validFrom: string | null;
  validTo: string | null;
  createdAt: string;
  updatedAt: string;
};
const CLAIM = `id slug text kind attribution support claimant { name } appearsIn { slug } about { name }
  citations { id stance locator quote source { slug } } contradicts { id updatedAt contradicts { id } } validFrom validTo createdAt updatedAt`;

const createClaim = (input: Record<string, unknown>) =>
  app.mutate<{ createClaim: { claim: ClaimShape } }>(`mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { ${CLAIM} } } }`, { i: input });

function refused(res: { errors?: readonly GqlError[] }, code: string, field?: string): GqlError {
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code, error.message).toBe(code);
  if (field) {
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
  }
  return error;
}

const valid = () => ({
  text: '  Musk said in 2024 that OpenAI had abandoned its founding agreement. ',
  kind: 'FACT',
  claimantId: ids.musk,
  attribution: 'REPORTED',
  appearsInId: ids.article,
  aboutIds: [ids.musk, ids.openai],
  citations: [
    { sourceId: ids.cnbc, stance: 'SUPPORTS', locator: 'para. 3', quote: 'Musk sued OpenAI.' },
    { sourceId: ids.en, stance: 'MENTIONS' },
  ],
  contradictsIds: [ids.secrecy],
  validFrom: '2024-02',
});

describe('createClaim', () => {
  it('writes the claim with its about-links, citations and contradictions, and derives its support', async () => {
    const LONG_AGO = '2000-01-01T00:00:00.000Z';
    app.db.$client.prepare('UPDATE claims SET updated_at = ?').run(LONG_AGO);
    const res = await createClaim(valid());
    expect(res.errors).toBeUndefined();
    const claim = res.data!.createClaim.claim;
    expect(claim).toMatchObject({
      slug: 'musk-said-in-2024-that-openai-had-abandoned-its-founding',
      text: 'Musk said in 2024 that OpenAI had abandoned its founding agreement.',
      kind: 'FACT',
      attribution: 'REPORTED',
      support: 'SUPPORTED',
      claimant: { name: 'Elon Musk' },
      appearsIn: { slug: 'article' },
      validFrom: '2024-02',
      validTo: null,
    });
    expect(claim.about.map((e) => e.name).sort()).toEqual(['Elon Musk', 'OpenAI']);
    expect(claim.citations.map(({ id: _, ...c }) => c)).toEqual([
      { stance: 'SUPPORTS', locator: 'para. 3', quote: 'Musk sued OpenAI.', source: { slug: 'note-2-cnbc' } },
      { stance: 'MENTIONS', locator: null, quote: null, source: { slug: 'note-1-en' } },
    ]);
    // Stored both ways; the other claim records that it changed.
    expect(claim.contradicts).toHaveLength(1);
    expect(claim.contradicts[0]!.id).toBe(ids.secrecy);
    expect(claim.contradicts[0]!.contradicts.map((c) => c.id)).toContain(claim.id);
    expect(claim.contradicts[0]!.updatedAt > LONG_AGO).toBe(true);
    const untouched = await app.gql<{ claims: { nodes: { updatedAt: string }[] } }>('{ claims(first: 100) { nodes { updatedAt } } }');
    expect(untouched.data!.claims.nodes.filter((c) => c.updatedAt > LONG_AGO)).toHaveLength(2);

    const listed = await app.gql<{ claims: { totalCount: number } }>('query($id: ID!) { claims(about: $id, support: [SUPPORTED]) { totalCount } }', { id: ids.openai });
    expect(listed.data!.claims.totalCount).toBeGreaterThanOrEqual(1);
  });

  it('defaults attribution to DIRECT and needs only text, kind, source and one entity', async () => {
    const res = await createClaim({ text: 'OpenAI exists.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.openai] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createClaim.claim).toMatchObject({ attribution: 'DIRECT', support: 'UNSUPPORTED', claimant: null, citations: [], contradicts: [] });
  });

  it('refuses a half-valid claim with a bad citation, and writes none of it', async () => {
    const before = snapshot(app.db);
    const missingSource = { ...valid(), citations: [valid().citations[0], { sourceId: globalId('Source', 9999), stance: 'SUPPORTS' }] };
    refused(await createClaim(missingSource), 'NOT_FOUND', 'input.citations[1].sourceId');
    const wrongType = { ...valid(), citations: [{ sourceId: ids.musk, stance: 'SUPPORTS' }] };
    expect(refused(await createClaim(wrongType), 'BAD_USER_INPUT', 'input.citations[0].sourceId').message).toMatch(/expected the id of a Source, got the id of a Person/);
    const twice = { ...valid(), citations: [valid().citations[0], valid().citations[0]] };
    refused(await createClaim(twice), 'BAD_USER_INPUT', 'input.citations[1]');
    const emptyQuote = { ...valid(), citations: [{ sourceId: ids.cnbc, stance: 'SUPPORTS', quote: '  ' }] };
    refused(await createClaim(emptyQuote), 'BAD_USER_INPUT', 'input.citations[0].quote');
    expect(snapshot(app.db)).toEqual(before);
  });

  it('refuses bad ids, empty or repeated lists and bad dates, naming the field, and writes nothing', async () => {
    const before = snapshot(app.db);
    const cases: [Record<string, unknown>, string, string, RegExp?][] = [
      [{ text: ' ' }, 'BAD_USER_INPUT', 'input.text'],
      [{ aboutIds: [] }, 'BAD_USER_INPUT', 'input.aboutIds', /at least one entity/],
      [{ aboutIds: [ids.musk, 'bogus'] }, 'BAD_USER_INPUT', 'input.aboutIds[1]', /not a claimgraph id/],
      [{ aboutIds: [ids.musk, ids.article] }, 'BAD_USER_INPUT', 'input.aboutIds[1]', /expected the id of an entity/],
      [{ aboutIds: [ids.musk, ids.musk] }, 'BAD_USER_INPUT', 'input.aboutIds[1]', /listed twice/],
      [{ aboutIds: [ids.musk, globalId('Place', 9999)] }, 'NOT_FOUND', 'input.aboutIds[1]', /no Place has the id/],
      [{ appearsInId: ids.musk }, 'BAD_USER_INPUT', 'input.appearsInId'],
      [{ appearsInId: globalId('Source', 9999) }, 'NOT_FOUND', 'input.appearsInId'],
      [{ claimantId: globalId('Person', 9999) }, 'NOT_FOUND', 'input.claimantId'],
      [{ contradictsIds: [globalId('Claim', 9999)] }, 'NOT_FOUND', 'input.contradictsIds[0]'],
      [{ contradictsIds: [ids.musk] }, 'BAD_USER_INPUT', 'input.contradictsIds[0]'],
      [{ validFrom: '2024', validTo: '2023-12' }, 'BAD_USER_INPUT', 'input.validTo', /ends before validFrom/],
      [{ slug: 'musk-dislikes-openai-over-for-profit-shift' }, 'CONFLICT', 'input.slug'],
    ];
    for (const [change, code, field, message] of cases) {
      const error = refused(await createClaim({ ...valid(), ...change }), code, field);
      if (message) expect(error.message, field).toMatch(message);
    }
    expect(snapshot(app.db)).toEqual(before);
  });

  it('lands whole or not at all: a failure after the first rows are written rolls all of them back', async () => {
    // Make the second citation's insert fail inside the transaction, after the claim, its
    // about-links and its first citation have been written. Not a TEMP trigger: writes run on a
    // connection of their own, which would not see this one's.
    app.db.$client.exec(`CREATE TRIGGER fail_second_citation BEFORE INSERT ON citations
      WHEN NEW.stance = 'MENTIONS' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const before = snapshot(app.db);
    const res = await createClaim(valid());
    expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.errors?.[0]?.message).toBe('Unexpected error.');
    expect(snapshot(app.db)).toEqual(before);
    app.db.$client.exec('DROP TRIGGER fail_second_citation');
    expect((await createClaim(valid())).errors).toBeUndefined();
  });
});

describe('addCitation and removeCitation', () => {
  const addCitation = (input: Record<string, unknown>) =>
    app.mutate<{ addCitation: { citation: { id: string; stance: string; locator: string | null; source: { slug: string }; claim: { id: string } }; claim: { support: string; updatedAt: string } } }>(
      'mutation($i: AddCitationInput!) { addCitation(input: $i) { citation { id stance locator source { slug } claim { id } createdAt } claim { support updatedAt } } }',
      { i: input },
    );
  const removeCitation = (id: string) =>
    app.mutate<{ removeCitation: { deletedId: string; claim: { support: string } } }>(
      'mutation($id: ID!) { removeCitation(input: { id: $id }) { deletedId claim { support } } }',
      { id },
    );

  it('keeps support in step: SUPPORTS, then REFUTES makes it CONTESTED, removing brings it back', async () => {
    const claim = (await createClaim({ text: 'A new claim.', kind: 'OPINION', appearsInId: ids.article, aboutIds: [ids.openai] })).data!.createClaim.claim;
    expect(claim.support).toBe('UNSUPPORTED');
    app.db.$client.prepare("UPDATE claims SET updated_at = '2000-01-01T00:00:00.000Z'").run();

    const supports = await addCitation({ claimId: claim.id, sourceId: ids.cnbc, stance: 'SUPPORTS', locator: ' p. 1 ' });
    expect(supports.errors).toBeUndefined();
    expect(supports.data!.addCitation.citation).toMatchObject({ stance: 'SUPPORTS', locator: 'p. 1', source: { slug: 'note-2-cnbc' }, claim: { id: claim.id } });
    expect(supports.data!.addCitation.claim.support).toBe('SUPPORTED');
    expect(supports.data!.addCitation.claim.updatedAt > '2000-01-01T00:00:00.000Z').toBe(true);

    const refutes = await addCitation({ claimId: claim.id, sourceId: ids.en, stance: 'REFUTES' });
    expect(refutes.data!.addCitation.claim.support).toBe('CONTESTED');

    const removed = await removeCitation(supports.data!.addCitation.citation.id);
    expect(removed.data!.removeCitation).toEqual({ deletedId: supports.data!.addCitation.citation.id, claim: { support: 'REFUTED' } });
    expect((await removeCitation(refutes.data!.addCitation.citation.id)).data!.removeCitation.claim.support).toBe('UNSUPPORTED');

    const gone = await app.gql<{ node: unknown }>('query($id: ID!) { node(id: $id) { id } }', { id: supports.data!.addCitation.citation.id });
    expect(gone.data!.node).toBeNull();
  });

  it('refuses a duplicate citation with CONFLICT, and bad or missing ids, writing nothing', async () => {
    const resigned = await app.gql<{ sources: { nodes: { citations: { nodes: { id: string; locator: string; claim: { id: string } }[] } }[] } }>(
      '{ sources { nodes { citations { nodes { id locator claim { id } } } } } }',
    );
    const existing = resigned.data!.sources.nodes.flatMap((s) => s.citations.nodes).find((c) => c.locator === 'note [2]')!;
    const before = snapshot(app.db);
    const conflict = refused(await addCitation({ claimId: existing.claim.id, sourceId: ids.cnbc, stance: 'SUPPORTS', locator: 'note [2]' }), 'CONFLICT', 'input.sourceId');
    expect(conflict.message).toMatch(/already cites this source with stance SUPPORTS at "note \[2\]"/);
    refused(await addCitation({ claimId: globalId('Claim', 9999), sourceId: ids.cnbc, stance: 'SUPPORTS' }), 'NOT_FOUND', 'input.claimId');
    refused(await addCitation({ claimId: existing.claim.id, sourceId: globalId('Source', 9999), stance: 'SUPPORTS' }), 'NOT_FOUND', 'input.sourceId');
    refused(await addCitation({ claimId: ids.musk, sourceId: ids.cnbc, stance: 'SUPPORTS' }), 'BAD_USER_INPUT', 'input.claimId');
    refused(await removeCitation(globalId('Citation', 9999)), 'NOT_FOUND', 'input.id');
    refused(await removeCitation(ids.secrecy), 'BAD_USER_INPUT', 'input.id');
    expect(snapshot(app.db)).toEqual(before);
    // The same source with another stance or locator is another citation.
    expect((await addCitation({ claimId: existing.claim.id, sourceId: ids.cnbc, stance: 'SUPPORTS', locator: 'headline' })).errors).toBeUndefined();
  });
});

describe('a write while another process writes', () => {
  it('waits for the write lock without holding up reads, then lands', async () => {
    const path = seededFile('lock');
    const local = createTestApp({ db: openDatabase({ path }), apiToken: TEST_TOKEN });
    const other = openDatabase({ path }).$client;
    const COUNT = '{ claims { totalCount } }';
    const before = (await local.gql<{ claims: { totalCount: number } }>(COUNT)).data!.claims.totalCount;
    const refs = (await local.gql<{ musk: { id: string }; sources: { nodes: { id: string }[] } }>('{ musk: entity(name: "Musk") { id } sources(first: 1) { nodes { id } } }')).data!;

    other.exec('BEGIN IMMEDIATE');
    const create = (text: string) =>
      local.mutate<{ createClaim: { claim: { id: string } } }>('mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id } } }', {
        i: { text, kind: 'FACT', appearsInId: refs.sources.nodes[0]!.id, aboutIds: [refs.musk.id] },
      });
    const writes = [create('Written once the other process let go.'), create('Written after it, in order.')];
    let landed = 0;
    for (const write of writes) void write.then(() => landed++);
    // SQLite's own wait would hold up the whole process until it gave up; reads go on instead.
    const read = await local.gql<{ claims: { totalCount: number } }>(COUNT);
    expect(read.data!.claims.totalCount).toBe(before);
    expect(landed).toBe(0);

    other.exec('COMMIT');
    const [first, second] = await Promise.all(writes);
    expect(first!.errors).toBeUndefined();
    expect(second!.errors).toBeUndefined();
    const id = (res: typeof first) => Number(decodeGlobalID(res!.data!.createClaim.claim.id).id);
    expect(id(second)).toBeGreaterThan(id(first));
    expect((await local.gql<{ claims: { totalCount: number } }>(COUNT)).data!.claims.totalCount).toBe(before + 2);
    // The connection waits as before for everything else.
    expect(local.db.$client.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    other.close();
    local.db.$client.close();
  });
});
