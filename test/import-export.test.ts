import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPORT_SCHEMA_FILE, printedImportSchema } from '../src/cli/print-import-schema';
import { migrateDatabase, openDatabase } from '../src/db';
import { exportDocument, serializeDocument } from '../src/model/export';
import { ImportError, importDocument, parseImportText } from '../src/model/import';
import { MAX_JSON_DEPTH } from '../src/model/json';
import { SEED_FILE } from '../src/model/seed';
import { createTestApp, TEST_TOKEN } from './support/app';
import { runCli } from './support/server';
import { snapshot } from './support/snapshot';

const SEED_TEXT = readFileSync(SEED_FILE, 'utf8');
const seedDocument = () => JSON.parse(SEED_TEXT) as Record<string, unknown>;

function emptyDb() {
  const db = openDatabase({ path: ':memory:' });
  migrateDatabase(db);
  return db;
}

const exported = (db: Parameters<typeof exportDocument>[0]) => serializeDocument(exportDocument(db));

/** Imports `doc`, expecting it refused; returns the problems as "path: message" lines. */
function problems(db: Parameters<typeof importDocument>[0], doc: unknown): string[] {
  try {
    importDocument(db, doc);
  } catch (error) {
    if (error instanceof ImportError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('the document was imported');
}

describe('export', () => {
  it('writes the seeded graph back out as exactly the seed file: the seed is in canonical form', () => {
    const app = createTestApp();
    expect(exported(app.db)).toBe(SEED_TEXT);
  });

  it('round-trips: export → import into an empty database → export gives a byte-identical file', async () => {
    const app = createTestApp({ apiToken: TEST_TOKEN });
    // Give the graph rows of every shape mutations can write.
    const ids = (await app.gql<{ musk: { id: string }; openai: { id: string }; sources: { nodes: { id: string }[] }; claims: { nodes: { id: string }[] } }>(
      '{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } sources { nodes { id } } claims(first: 2) { nodes { id } } }',
    )).data!;
    const mutations: [string, Record<string, unknown>][] = [
      ['mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }', { i: { kind: 'PRODUCT', name: 'Optimus', aliases: ['Tesla Bot', 'Optimus Gen 2'], developerId: ids.musk.id, releasedOn: '2022-09-30', description: 'A humanoid robot.' } }],
      ['mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }', { i: { kind: 'EVENT', name: 'AI Day', status: 'OCCURRED', startDate: '2022-09-30', endDate: '2022-10' } }],
      ['mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }', { i: { kind: 'PRIMARY', title: 'Complaint, Musk v. Altman', url: 'https://example.org/complaint.pdf', publishedOn: '2024-02-29', retrievedOn: '2024-03-01', publisherId: ids.musk.id, label: '[4]' } }],
      ['mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim { id } } }', { i: { text: 'OpenAI abandoned its founding agreement.', kind: 'POSITION', claimantId: ids.musk.id, attribution: 'REPORTED', appearsInId: ids.sources.nodes[0]!.id, aboutIds: [ids.openai.id, ids.musk.id], citations: [{ sourceId: ids.sources.nodes[2]!.id, stance: 'QUALIFIES', locator: 'p. 2', quote: 'A quote.' }, { sourceId: ids.sources.nodes[1]!.id, stance: 'REFUTES' }], contradictsIds: [ids.claims.nodes[1]!.id, ids.claims.nodes[0]!.id], validFrom: '2024', validTo: '2025' } }],
      ['mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { relationship { id } } }', { i: { subjectId: ids.openai.id, predicate: 'sued_by', label: 'was sued by', objectId: ids.musk.id, validFrom: '2024-02-29', claimIds: [ids.claims.nodes[1]!.id, ids.claims.nodes[0]!.id] } }],
    ];
    for (const [query, variables] of mutations) expect((await app.mutate(query, variables)).errors, query).toBeUndefined();

    const first = exported(app.db);
    const copy = emptyDb();
    importDocument(copy, JSON.parse(first));
    expect(exported(copy)).toBe(first);
    // Everything mutations write is importable, and importing it over itself changes nothing.
    const before = snapshot(copy);
    const report = importDocument(copy, JSON.parse(first));
    expect(report.created).toEqual({ entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 });
    expect(report.updated).toEqual({ entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 });
    expect(snapshot(copy)).toEqual(before);
  });

  it('leaves out absent optional fields', () => {
    const doc = exportDocument(createTestApp().db);
    expect(Object.keys(doc.entities!.many!)).toEqual(['kind', 'name', 'description']);
    expect(JSON.stringify(doc)).not.toMatch(/null|\[\]/);
  });
});

describe('import', () => {
  it('loads the seed twice without changing anything the second time, timestamps included', () => {
    const db = emptyDb();
    const first = importDocument(db, seedDocument());
    expect(first.created).toMatchObject({ entities: 22, claims: 52, relationships: 13, sources: 4, citations: 2 });
    const before = snapshot(db);
    const second = importDocument(db, seedDocument());
    expect(second.created).toEqual({ entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 });
    expect(second.updated).toEqual({ entities: 0, sources: 0, claims: 0, relationships: 0, citations: 0 });
    expect(snapshot(db)).toEqual(before);
  });

  it('reports every shape problem with its JSON path, and writes nothing', () => {
    const db = createTestApp().db;
    const before = snapshot(db);
    const doc = {
      format: 'claimgraph/v1',
      entities: {
        'Bad Key': { kind: 'PLACE', name: 'x' },
        ada: { kind: 'PERSON', name: ' ', aliases: ['Ada', 'ADA'], foundedOn: '1815' },
        expo: { kind: 'EVENT', name: 'Expo', startDate: '1851-10', endDate: '1851-05' },
      },
      claims: { c1: { text: 't', kind: 'FACT', appearsIn: 'article', about: ['ada', 'ada'], validFrom: '2018-13', contradicts: ['c2', 'c2'] } },
    };
    expect(problems(db, doc).sort()).toEqual(
      [
        '$.entities["Bad Key"]: not a valid slug: a slug is lowercase letters and digits joined by single hyphens',
        '$.entities.ada.name: must not be empty',
        '$.entities.ada.foundedOn: only ORGANIZATION entities have "foundedOn"',
        '$.entities.ada.aliases[1]: this alias, ignoring the case of ASCII letters (A-Z), is listed twice',
        '$.entities.expo.status: an event needs a status',
        '$.entities.expo.endDate: ends before startDate',
        '$.claims.c1.validFrom: a PartialDate is "YYYY", "YYYY-MM" or "YYYY-MM-DD" naming a real date',
        '$.claims.c1.about[1]: this entity is listed twice',
        '$.claims.c1.contradicts[1]: this claim is listed twice',
      ].sort(),
    );
    expect(snapshot(db)).toEqual(before);
  });

  it('checks references once the shape is valid: each missing slug is named, and nothing is written', () => {
    const db = createTestApp().db;
    const before = snapshot(db);
    const doc = {
      format: 'claimgraph/v1',
      entities: { grok2: { kind: 'PRODUCT', name: 'Grok 2', developer: 'xai' } },
      claims: { c: { text: 't', kind: 'FACT', appearsIn: 'nowhere', about: ['grok2', 'nobody'], citations: [{ source: 'note-9', stance: 'SUPPORTS' }] } },
    };
    expect(problems(db, doc)).toEqual([
      '$.claims.c.appearsIn: no source "nowhere" in the document or the database',
      '$.claims.c.about[1]: no entity "nobody" in the document or the database',
      '$.claims.c.citations[0].source: no source "note-9" in the document or the database',
    ]);
    expect(snapshot(db)).toEqual(before);
  });

  it('changes an entity\'s kind cleanly: a product loses its developer, an event its participants', () => {
    const db = createTestApp().db;
    const doc = seedDocument() as { entities: Record<string, Record<string, unknown>> };
    const grok = doc.entities.grok!;
    expect(grok.developer).toBe('xai');
    const founding = doc.entities['openai-founding']!;
    expect(founding.participants).toBeDefined();
    const report = importDocument(db, {
      format: 'claimgraph/v1',
      entities: {
        grok: { kind: 'ORGANIZATION', name: grok.name },
        'openai-founding': { kind: 'PLACE', name: founding.name },
      },
    });
    expect(report.updated.entities).toBe(2);
    const rows = db.$client.prepare("SELECT count(*) AS n FROM event_participants WHERE event_id = (SELECT id FROM entities WHERE slug = 'openai-founding')").get() as { n: number };
    expect(rows.n).toBe(0);
    const exportedDoc = exportDocument(db);
    expect(exportedDoc.entities!.grok).toEqual({ kind: 'ORGANIZATION', name: 'Grok' });
  });

  it('keeps contradictions between claims the document does not mention', () => {
    const db = createTestApp().db;
    const count = () => (db.$client.prepare('SELECT count(*) AS n FROM claim_contradictions').get() as { n: number }).n;
    const before = count();
    importDocument(db, {
      format: 'claimgraph/v1',
      claims: { extra: { text: 'A claim contradicting the secrecy claim.', kind: 'OPINION', appearsIn: 'article', about: ['openai'], contradicts: ['openai-secrecy-necessary'] } },
    });
    expect(count()).toBe(before + 2);
  });
});

/** Imports the JSON `text` as the CLI does, expecting it refused; returns the problems as "path: message" lines. */
function textProblems(db: Parameters<typeof importDocument>[0], text: string): string[] {
  try {
    importDocument(db, parseImportText(text));
  } catch (error) {
    if (error instanceof ImportError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('the document was imported');
}

describe('import refuses what the API refuses, whole, with JSON paths', () => {
  const FORMAT = '"format": "claimgraph/v1"';
  const refused = (text: string) => {
    const db = createTestApp().db;
    const before = snapshot(db);
    const found = textProblems(db, text);
    expect(snapshot(db)).toEqual(before);
    return found;
  };

  it('a key named twice in one object, a slug included, however it is escaped', () => {
    const text = `{ ${FORMAT}, "entities": {
      "ada": { "kind": "PERSON", "name": "Ada" },
      "ada": { "kind": "PERSON", "name": "Ada Lovelace", "name": "Augusta" },
      "\u0062": { "kind": "PLACE", "name": "B" }, "b": { "kind": "PLACE", "name": "B again" } } }`;
    expect(refused(text)).toEqual([
      '$.entities.ada: this key is named twice in one object (again at line 3, column 7); JSON keeps only the last, so name it once',
      '$.entities.ada.name: this key is named twice in one object (again at line 3, column 58); JSON keeps only the last, so name it once',
      '$.entities.b: this key is named twice in one object (again at line 4, column 46); JSON keeps only the last, so name it once',
    ]);
  });

  it('"__proto__" as a slug, which JSON.parse keeps and a plain object would drop', () => {
    expect(refused(`{ ${FORMAT}, "entities": { "__proto__": { "kind": "PLACE", "name": "Nowhere" } } }`)).toEqual([
      '$.entities.__proto__: not a valid slug: a slug is lowercase letters and digits joined by single hyphens',
    ]);
    expect(refused(`{ ${FORMAT}, "__proto__": { "entities": {} } }`)).toEqual(['$: Unrecognized key: "__proto__"']);
  });

  it('slugs named like Object.prototype\'s members are ordinary: "constructor" imports, or is missing with its path', () => {
    expect(refused(`{ ${FORMAT}, "relationships": { "r": { "subject": "constructor", "predicate": "knows", "label": "knows", "object": "elon-musk" } } }`)).toEqual([
      '$.relationships.r.subject: no entity "constructor" in the document or the database',
    ]);
    expect(refused(`{ ${FORMAT}, "entities": { "toString": { "kind": "PLACE", "name": "x" } } }`)).toEqual([
      '$.entities.toString: not a valid slug: a slug is lowercase letters and digits joined by single hyphens',
    ]);
    const db = createTestApp().db;
    const doc = `{ ${FORMAT}, "entities": { "constructor": { "kind": "PERSON", "name": "A Builder" } },
      "relationships": { "constructor": { "subject": "constructor", "predicate": "knows", "label": "knows", "object": "elon-musk" } } }`;
    const report = importDocument(db, parseImportText(doc));
    expect(report.created).toMatchObject({ entities: 1, relationships: 1 });
    expect(exportDocument(db).relationships!.constructor).toMatchObject({ subject: 'constructor', object: 'elon-musk' });
  });

  it('a relationship from an entity to itself, and a product that is its own developer', () => {
    expect(
      refused(`{ ${FORMAT},
        "entities": { "robot": { "kind": "PRODUCT", "name": "Robot", "developer": "robot" } },
        "relationships": { "self": { "subject": "elon-musk", "predicate": "knows", "label": "knows", "object": "elon-musk" } } }`),
    ).toEqual(['$.relationships.self.object: a relationship links two different entities']);
    expect(refused(`{ ${FORMAT}, "entities": { "robot": { "kind": "PRODUCT", "name": "Robot", "developer": "robot" } } }`)).toEqual([
      '$.entities.robot.developer: a product cannot be its own developer',
    ]);
  });

  it('the same link under two slugs, in the document or beside one in the database', () => {
    const seed = seedDocument() as { relationships: Record<string, Record<string, unknown>> };
    const [stored, link] = Object.entries(seed.relationships)[0]!;
    const twice = { format: 'claimgraph/v1', relationships: { 'link-a': { ...link, claims: [], basis: 'INFERRED', basisNote: 'A probe.' }, 'link-b': { ...link, label: 'other words' } } };
    expect(refused(JSON.stringify(twice))).toEqual([
      `$.relationships.link-a: the same link as relationship "${stored}" already in the database (subject, predicate, object and validity); record it once`,
      '$.relationships.link-b: the same link as relationship "link-a" (subject, predicate, object and validity); record it once',
    ]);
    // Moving the stored link elsewhere in the same document frees its place.
    const db = createTestApp().db;
    importDocument(db, { format: 'claimgraph/v1', relationships: { 'link-a': link, [stored]: { ...link, validFrom: '1999' } } });
  });

  it('lists longer than the API takes, text with control characters or unpaired surrogates, nesting deeper than any document', () => {
    const aliases = Array.from({ length: 51 }, (_, i) => `alias ${i}`);
    const doc = {
      format: 'claimgraph/v1',
      entities: { many: { kind: 'PLACE', name: 'Many', aliases }, nul: { kind: 'PLACE', name: '\u0000Nul' }, half: { kind: 'PLACE', name: 'Half \ud800' } },
      sources: { s: { kind: 'PRIMARY', title: 'Fine', url: 'https://example.org/\u0007' } },
    };
    expect(refused(JSON.stringify(doc)).sort()).toEqual(
      [
        '$.entities.many.aliases: at most 50 items',
        '$.entities.nul.name: must not contain control characters: U+0000 at character 0; remove it',
        '$.entities.half.name: must be well-formed Unicode: an unpaired surrogate U+D800 at character 5; send the whole character',
        '$.sources.s.url: must not contain control characters: U+0007 at character 20; remove it',
      ].sort(),
    );
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(refused(`{ ${FORMAT}, "entities": { "x": { "kind": "PLACE", "name": "x", "aliases": ${deep} } } }`)).toEqual([
      `$: arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep; no document does`,
    ]);
  });
});

describe('the JSON Schema of the import format', () => {
  it('is committed, and current (run `npm run format:print` after changing the format)', () => {
    expect(readFileSync(IMPORT_SCHEMA_FILE, 'utf8')).toBe(printedImportSchema());
  });

  it('describes the sections, the kinds and the kind-specific rules', () => {
    const schema = JSON.parse(readFileSync(IMPORT_SCHEMA_FILE, 'utf8')) as {
      $schema: string;
      required: string[];
      properties: Record<string, unknown>;
      $defs: Record<string, { allOf?: { if: unknown; then: { required?: string[] } }[]; properties?: Record<string, unknown>; required?: string[] }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['format']);
    expect(Object.keys(schema.properties)).toEqual(['$schema', 'format', 'entities', 'sources', 'claims', 'relationships']);
    expect(schema.$defs.Claim!.required).toEqual(['text', 'kind', 'appearsIn', 'about']);
    const event = schema.$defs.Entity!.allOf!.find((rule) => JSON.stringify(rule.if).includes('EVENT'))!;
    expect(event.then.required).toEqual(['status']);
  });
});

describe('npm run import / export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claimgraph-cli-'));
  const dbPath = join(dir, 'nested', 'graph.db');
  const env = { DATABASE_PATH: dbPath };
  afterAll(() => {});

  it('creates and migrates the database, imports the seed and says what it created; a second run changes nothing', async () => {
    const first = await runCli('src/cli/import.ts', [SEED_FILE], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created: 22 entities, 4 sources, 52 claims, 13 relationships, 2 citations\n {2}updated: nothing/);
    const second = await runCli('src/cli/import.ts', [SEED_FILE], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/created: nothing\n {2}updated: nothing/);
  });

  it('exports the graph to a file identical to what it imported', async () => {
    const out = join(dir, 'export.json');
    const res = await runCli('src/cli/export.ts', [out], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/22 entities, 4 sources, 52 claims, 13 relationships/);
    expect(readFileSync(out, 'utf8')).toBe(SEED_TEXT);
  });

  it('refuses an invalid file with each problem and its path, exit code 1, and writes nothing', async () => {
    const before = new Database(dbPath, { readonly: true });
    const count = () => (before.prepare('SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM claims) AS n').get() as { n: number }).n;
    const n = count();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'claimgraph/v1', entities: { ok: { kind: 'PLACE', name: 'Fine' }, bad: { kind: 'PERSON', name: '' } }, claims: { c: { text: 'x', kind: 'GUESS', appearsIn: 'article', about: ['ok'] } } }));
    const res = await runCli('src/cli/import.ts', [bad], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/nothing was written\. 2 problem\(s\):/);
    expect(res.stderr).toContain('  $.entities.bad.name: must not be empty');
    expect(res.stderr).toContain('  $.claims.c.kind: ');
    expect(count()).toBe(n);

    const twice = await runCli('src/cli/import.ts', ['-'], env, '{ "format": "claimgraph/v1", "entities": { "x": { "kind": "PLACE", "name": "A" }, "x": { "kind": "PLACE", "name": "B" } } }');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('  $.entities.x: this key is named twice in one object (again at line 1, column 83)');
    expect(count()).toBe(n);

    const notUtf8 = join(dir, 'latin1.json');
    writeFileSync(notUtf8, Buffer.from('{ "format": "claimgraph/v1", "entities": { "x": { "kind": "PLACE", "name": "Caf\xe9" } } }', 'latin1'));
    const latin1 = await runCli('src/cli/import.ts', [notUtf8], env);
    expect(latin1.code).toBe(1);
    expect(latin1.stderr).toMatch(/latin1\.json is not UTF-8 text; nothing was written/);
    expect(count()).toBe(n);

    const notJson = await runCli('src/cli/import.ts', ['-'], env, '{ "format": ');
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^claimgraph import: stdin was not imported; nothing was written\. 1 problem\(s\):\n {2}\$: not JSON: /);
    expect(count()).toBe(n);
    before.close();
  });

  it('refuses to export a database that does not exist, in one line', async () => {
    const res = await runCli('src/cli/export.ts', [join(dir, 'x.json')], { DATABASE_PATH: join(dir, 'missing.db') });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^claimgraph export: there is no database at .*missing\.db/);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});
