import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import Database from 'better-sqlite3';
import { parse as parseCsv } from 'csv-parse/sync';
import Graph from 'graphology';
import { parse as parseGraphml } from 'graphology-graphml';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '../src/domain/ids';
import { CSV_TABLES, csvHeaders } from '../src/model/csv';
import { VOCAB } from '../src/model/jsonld';
import { createTestApp, seededFile } from './support/app';
import { expectLossless, SCHEMA } from './support/jsonld';
import { runCli } from './support/server';


/** Hostile text for every format: separators, quotes, line breaks, unicode, XML and control characters. */
const HOSTILE = 'Commas, "quotes", \'single\'\r\nCRLF\nLF\rCR; tabs\tand 🧠 émoji, עברית, \u202eright-to-left, <b>&amp;</b> ]]> \u0007bell';

/** A seeded database file with an entity, a source and a claim whose text is hostile. */
function hostileFile(): string {
  const path = seededFile('formats');
  const db = new Database(path);
  db.prepare(`INSERT INTO entities (slug, kind, name, description) VALUES ('hostile', 'GROUP', ?, ?)`).run(HOSTILE, `${HOSTILE} (description)`);
  db.prepare(`INSERT INTO sources (slug, kind, title, url) VALUES ('hostile-source', 'OTHER', ?, 'https://example.org/a,b?"c"')`).run(HOSTILE);
  db.prepare(
    `INSERT INTO claims (slug, text, kind, claimant_id, appears_in_id, valid_from) VALUES ('hostile-claim', ?, 'OPINION',
      (SELECT id FROM entities WHERE slug = 'hostile'), (SELECT id FROM sources WHERE slug = 'hostile-source'), '2018-02')`,
  ).run(HOSTILE);
  db.close();
  return path;
}

describe('npm run export -- --format', () => {
  let dbPath: string;
  let dir: string;
  let db: Database.Database;
  const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  beforeAll(() => {
    dbPath = hostileFile();
    dir = mkdtempSync(join(tmpdir(), 'claimgraph-formats-'));
    db = new Database(dbPath, { readonly: true });
    return () => db.close();
  });

  it('to stdout: a reader that stops early ends the export quietly, exit 0 and no stack', () => {
    // The exit status is the export's (bash's PIPESTATUS), not head's.
    const run = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx src/cli/export.ts --format jsonld - | head -c 10; exit \${PIPESTATUS[0]}`], {
      env: { ...process.env, DATABASE_PATH: dbPath },
      encoding: 'utf8',
    });
    expect(run.stdout).toBe('{\n  "@cont');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('jsonld: the whole graph as one @graph document, every object once, lossless through a JSON-LD processor', async () => {
    const out = join(dir, 'graph.jsonld');
    const res = await runCli('src/cli/export.ts', ['--format', 'jsonld', '--base', 'https://claims.example.org/', out], { DATABASE_PATH: dbPath });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const expanded = await expectLossless(doc);
    const objects = count('entities') + count('sources') + count('claims') + count('citations') + count('relationships');
    expect(expanded).toHaveLength(objects);
    expect(res.stdout).toContain(`${objects} nodes`);
    expect(expanded.every((node) => String(node['@id']).startsWith('https://claims.example.org/id/'))).toBe(true);
    expect(expanded.filter((node) => (node['@type'] as string[]).includes(`${SCHEMA}Claim`))).toHaveLength(count('claims'));
    const hostile = expanded.find((node) => (node[`${SCHEMA}text`] as { '@value': string }[] | undefined)?.[0]?.['@value'] === HOSTILE);
    expect(hostile).toBeDefined();
    expect(hostile![`${VOCAB}validFrom`]).toEqual([{ '@value': '2018-02' }]);
  });

  it('csv: one RFC 4180 file per table, every row and field read back as written', async () => {
    const out = join(dir, 'csv');
    const res = await runCli('src/cli/export.ts', ['--format=csv', out], { DATABASE_PATH: dbPath });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(Object.keys(CSV_TABLES).sort());
    const read = (file: string) => parseCsv(readFileSync(join(out, file)), { columns: true, relax_quotes: false }) as Record<string, string>[];
    const tables: Record<string, string> = {
      'entities.csv': 'entities',
      'aliases.csv': 'entity_aliases',
      'participants.csv': 'event_participants',
      'sources.csv': 'sources',
      'claims.csv': 'claims',
      'claim_subjects.csv': 'claim_subjects',
      'citations.csv': 'citations',
      'contradictions.csv': 'claim_contradictions',
      'relationships.csv': 'relationships',
      'relationship_claims.csv': 'relationship_claims',
    };
    for (const [file, table] of Object.entries(tables)) {
      // Contradictions are stored in both directions and written once per pair.
      expect(read(file), file).toHaveLength(table === 'claim_contradictions' ? count(table) / 2 : count(table));
    }
    // Each column of each row, against the database (ids as global ids, absent values empty).
    const entities = read('entities.csv');
    const rows = db.prepare('SELECT * FROM entities ORDER BY id').all() as Record<string, string | number | null>[];
    entities.forEach((entity, i) => {
      const row = rows[i]!;
      expect(entity.id).toBe(encodeGlobalID({ PERSON: 'Person', ORGANIZATION: 'Organization', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place', GROUP: 'Group' }[row.kind as string]!, row.id!));
      for (const column of ['slug', 'kind', 'name', 'description', 'wikidata_id', 'founded_on', 'start_date', 'status', 'created_at']) {
        expect(entity[column], `${row.slug}.${column}`).toBe(row[column] == null ? '' : String(row[column]));
      }
    });
    expect(entities.find((e) => e.slug === 'hostile')!.name).toBe(HOSTILE);
    const claims = read('claims.csv');
    const hostileClaim = claims.find((c) => c.slug === 'hostile-claim')!;
    expect(hostileClaim).toMatchObject({ text: HOSTILE, claimant_slug: 'hostile', appears_in_slug: 'hostile-source', valid_from: '2018-02', valid_to: '' });
    expect(read('sources.csv').find((s) => s.slug === 'hostile-source')).toMatchObject({ title: HOSTILE, url: 'https://example.org/a,b?"c"' });
    // Every claim's text is back exactly, as the API serves it under the same id.
    const app = createTestApp({ db: (await import('../src/db')).openDatabase({ path: dbPath }) });
    const { data } = await app.gql<{ nodes: ({ id: string; text: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Claim { text } } }', {
      ids: claims.slice(-50).map((c) => c.id),
    });
    expect(data!.nodes.map((n) => n?.text)).toEqual(claims.slice(-50).map((c) => c.text));
    app.db.$client.close();
    // The relationships' basis and partial dates.
    const relationships = read('relationships.csv');
    expect(relationships.map((r) => r.basis)).toEqual((db.prepare('SELECT basis FROM relationships ORDER BY id').all() as { basis: string }[]).map((r) => r.basis));
    expect(relationships.some((r) => r.valid_from === '2015')).toBe(true);
    // RFC 4180: CRLF after each record, the header first.
    expect(readFileSync(join(out, 'claims.csv'), 'utf8').startsWith(`${Object.keys(claims[0]!).join(',')}\r\n`)).toBe(true);
  });

  it('csv: docs/formats.md lists the columns of every file as exported', () => {
    const docs = readFileSync(join(__dirname, '../docs/formats.md'), 'utf8');
    for (const [file, columns] of Object.entries(csvHeaders(createTestApp().db))) expect(docs, file).toContain(`| ${file} | \`${columns.join(',')}\` |`);
  });

  it('csv: refuses stdout, since it writes several files', async () => {
    const res = await runCli('src/cli/export.ts', ['--format', 'csv', '-'], { DATABASE_PATH: dbPath });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^claimgraph export: csv writes one file per table: give a folder/);
  });

  it('refuses an unknown format in one line naming the ones it knows', async () => {
    const res = await runCli('src/cli/export.ts', ['--format', 'xml', join(dir, 'x')], { DATABASE_PATH: dbPath });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('claimgraph export: unknown format "xml": use one of json, jsonld, csv, graphml\n');
  });

  it('graphml: entities and events as nodes, relationships and participation as edges, read back by a GraphML parser', async () => {
    const out = join(dir, 'graph.graphml');
    const res = await runCli('src/cli/export.ts', ['--format', 'graphml', out], { DATABASE_PATH: dbPath });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const keys = new DOMParser().parseFromString(text, 'application/xml').getElementsByTagName('key');
    const keyIds = Array.from({ length: keys.length }, (_, i) => keys.item(i)!.getAttribute('id'));
    expect(new Set(keyIds).size, 'GraphML key ids are unique in a document').toBe(keyIds.length);
    const graph = parseGraphml(Graph, text);
    expect(graph.type).toBe('directed');
    expect(graph.order).toBe(count('entities'));
    expect(graph.size).toBe(count('relationships') + count('event_participants'));
    // Every node's attributes as in the database (a control character, which XML cannot carry, as U+FFFD).
    for (const row of db.prepare('SELECT * FROM entities').all() as Record<string, string | null>[]) {
      const id = graph.findNode((_, attributes) => attributes.slug === row.slug)!;
      const attributes = graph.getNodeAttributes(id);
      expect(attributes.label).toBe(row.name!.replace('\u0007', '\uFFFD'));
      expect(attributes.kind).toBe(row.kind);
      expect(attributes.startDate).toBe(row.start_date ?? undefined);
      expect(attributes.wikidataId).toBe(row.wikidata_id ?? undefined);
      expect(attributes.description).toBe(row.description?.replace('\u0007', '\uFFFD') ?? undefined);
    }
    for (const row of db.prepare('SELECT * FROM relationships').all() as Record<string, string | number | null>[]) {
      const attributes = graph.getEdgeAttributes(encodeGlobalID('Relationship', row.id!));
      expect(attributes).toMatchObject({ type: 'relationship', predicate: row.predicate, label: row.label, basis: row.basis });
      expect(attributes.validFrom).toBe(row.valid_from ?? undefined);
      expect(attributes.basisNote).toBe(row.basis_note ?? undefined);
    }
    const participation = db.prepare('SELECT * FROM event_participants ORDER BY id LIMIT 1').get() as { id: number; role: string };
    expect(graph.getEdgeAttributes(`participation-${participation.id}`)).toEqual({ type: 'participation', label: participation.role, role: participation.role });
  });
});
