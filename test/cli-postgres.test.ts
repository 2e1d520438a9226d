import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_FILE } from '../src/model/seed';
import { type PostgresCluster, startPostgres } from './support/postgres';
import { runCli } from './support/server';

/**
 * The commands on PostgreSQL (DATABASE_URL): import, export, backup and generate give what they
 * give on SQLite. Each test has its own database in one throwaway cluster; DATABASE_PATH points
 * at a file of the test's own, so a command that ignored DATABASE_URL would leave PostgreSQL
 * empty (which the tests check) instead of writing anywhere else.
 */
let cluster: PostgresCluster;
let dir: string;
beforeAll(async () => {
  cluster = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'claimgraph-cli-pg-'));
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let made = 0;
const file = (name: string) => join(dir, `${++made}-${name}`);
const onSqlite = () => ({ DATABASE_PATH: file('graph.db') });
const onPostgres = (url: string) => ({ DATABASE_URL: url, DATABASE_PATH: file('unused.db') });

async function run(command: 'import' | 'export' | 'backup' | 'generate', args: string[], env: Record<string, string>) {
  return runCli(`src/cli/${command}.ts`, args, env);
}

/** The JSON export of the database `env` names, as text. */
async function exported(env: Record<string, string>): Promise<string> {
  const out = file('export.json');
  const res = await run('export', [out], env);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return readFileSync(out, 'utf8');
}

async function rowCount(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  } finally {
    await client.end();
  }
}

const seed = () => JSON.parse(readFileSync(SEED_FILE, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;

/** The seed changed as a second import would change it: a claim reworded, an entity's aliases replaced, one claim and one source added. */
function edited(): Record<string, unknown> {
  const doc = seed();
  const [claimSlug, claim] = Object.entries(doc.claims!)[0]!;
  doc.claims![claimSlug] = { ...claim, text: `${String(claim.text)} (reworded)` };
  const [entitySlug, entity] = Object.entries(doc.entities!).find(([, e]) => Array.isArray(e.aliases) && (e.aliases as unknown[]).length > 0)!;
  doc.entities![entitySlug] = { ...entity, aliases: ['Another name'] };
  const [sourceSlug, source] = Object.entries(doc.sources!)[0]!;
  doc.sources!['a-new-source'] = { ...source, title: 'A new source' };
  doc.claims!['a-new-claim'] = { ...claim, text: 'A new claim.', appearsIn: 'a-new-source', citations: [{ source: sourceSlug, stance: 'SUPPORTS' }] };
  return doc;
}

describe('the commands on PostgreSQL', () => {
  it('import then export gives byte for byte what SQLite gives, for a first import and for one that updates', async () => {
    const url = await cluster.createDatabase();
    const sqlite = onSqlite();
    for (const env of [sqlite, onPostgres(url)]) {
      const res = await run('import', [SEED_FILE], env);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
    }
    expect(await rowCount(url, 'entities')).toBeGreaterThan(0);
    const first = await exported(onPostgres(url));
    expect(first).toBe(readFileSync(SEED_FILE, 'utf8'));
    expect(first).toBe(await exported(sqlite));

    const second = file('edited.json');
    writeFileSync(second, JSON.stringify(edited()));
    const reports: string[] = [];
    for (const env of [sqlite, onPostgres(url)]) {
      const res = await run('import', [second], env);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      reports.push(res.stdout.split('\n').slice(1).join('\n'));
    }
    // The same report (what was created and updated) and the same graph afterwards.
    expect(reports[1]).toBe(reports[0]);
    expect(reports[0]).toMatch(/created: .*1 claim/);
    const afterPostgres = await exported(onPostgres(url));
    expect(afterPostgres).toBe(await exported(sqlite));
    expect(afterPostgres).toContain('(reworded)');
    expect(afterPostgres).toContain('Another name');
  }, 120_000);

  it('a document with a problem changes nothing on PostgreSQL, and says so', async () => {
    const url = await cluster.createDatabase();
    expect((await run('import', [SEED_FILE], onPostgres(url))).code).toBe(0);
    const before = await exported(onPostgres(url));
    const claims = await rowCount(url, 'claims');

    const bad = edited();
    (bad.claims as Record<string, Record<string, unknown>>)['a-new-claim']!.appearsIn = 'no-such-source';
    const badFile = file('bad.json');
    writeFileSync(badFile, JSON.stringify(bad));
    const res = await run('import', [badFile], onPostgres(url));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/was not imported; nothing was written/);
    expect(res.stderr).toMatch(/no-such-source/);
    expect(await rowCount(url, 'claims')).toBe(claims);
    expect(await exported(onPostgres(url))).toBe(before);

    // A document SQLite accepts that PostgreSQL refuses while it is being written (a trigger
    // stands in for any late failure: a constraint, a lost connection): after the updates, the
    // deletions and the new source were sent, the new claim fails, and all of it is undone.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE FUNCTION refuse_new_claim() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.slug = 'a-new-claim' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await client.query('CREATE TRIGGER refuse_new_claim BEFORE INSERT ON claims FOR EACH ROW EXECUTE FUNCTION refuse_new_claim()');
    await client.end();
    const late = file('late.json');
    writeFileSync(late, JSON.stringify(edited()));
    const failed = await run('import', [late], onPostgres(url));
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/refused by the test.*nothing was written/);
    expect(await exported(onPostgres(url))).toBe(before);
  }, 120_000);

  it('backup is a pg_dump archive that pg_restore turns into a database with the same export', async () => {
    const url = await cluster.createDatabase();
    expect((await run('import', [SEED_FILE], onPostgres(url))).code).toBe(0);
    const archive = file('backup.dump');
    const res = await run('backup', [archive], onPostgres(url));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/pg_dump custom format.*pg_restore/);
    expect(readFileSync(archive).subarray(0, 5).toString()).toBe('PGDMP');

    const again = await run('backup', [archive], onPostgres(url));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);

    const restored = await cluster.createDatabase();
    const restore = spawnSync('pg_restore', ['--no-owner', `--dbname=${restored}`, archive], { encoding: 'utf8' });
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect(await exported(onPostgres(restored))).toBe(await exported(onPostgres(url)));
  }, 120_000);

  it('backup without pg_dump on PATH says what to install, in one line', async () => {
    const url = await cluster.createDatabase();
    const res = await runCli('src/cli/backup.ts', [file('none.dump')], { ...onPostgres(url), PATH: '/nonexistent' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/pg_dump is not on PATH.*postgresql-client/);
  }, 60_000);

  it('generate fills PostgreSQL with the graph it writes to SQLite, and refuses a database that holds one', async () => {
    const url = await cluster.createDatabase();
    const size = ['--entities', '60', '--relationships', '120', '--claims', '150', '--sources', '20', '--citations', '0-2'];
    const sqlite = onSqlite();
    expect((await run('generate', [...size, '--db', sqlite.DATABASE_PATH], {})).code).toBe(0);
    const res = await run('generate', size, onPostgres(url));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(await rowCount(url, 'claims')).toBe(150);
    expect(await exported(onPostgres(url))).toBe(await exported(sqlite));
    // relationship_ends and claims.support as PostgreSQL's own triggers keep them.
    expect(await rowCount(url, 'relationship_ends')).toBe(240);

    const twice = await run('generate', size, onPostgres(url));
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already holds a graph.*--fresh/);
    expect((await run('generate', [...size, '--fresh'], onPostgres(url))).code).toBe(0);
    expect(await rowCount(url, 'claims')).toBe(150);
  }, 120_000);
});
