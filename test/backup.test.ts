import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { post, type RunningServer, runCli, startServer } from './support/server';

const TOKEN = 'backup-token-0123456789abc';
const dir = mkdtempSync(join(tmpdir(), 'claimgraph-backup-'));
const dbPath = join(dir, 'claimgraph.db');
const servers: RunningServer[] = [];
afterAll(() => {
  for (const { child } of servers) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm run backup', () => {
  it('copies the database while the server is writing: a consistent, intact snapshot holding every earlier write', async () => {
    const server = await startServer({ DATABASE_PATH: dbPath, API_TOKEN: TOKEN });
    servers.push(server);

    // A writer that keeps going until told to stop, recording each acknowledged write.
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `Backup witness ${i}`;
        const res = await post(server.url, 'mutation($n: String!) { createEntity(input: { kind: PERSON, name: $n }) { entity { id } } }', { n: name }, {
          authorization: `Bearer ${TOKEN}`,
        });
        if (res.errors) failures.push(res.errors);
        else acknowledged.push(name);
      }
    })();
    while (acknowledged.length < 5) await new Promise((r) => setTimeout(r, 10));

    const file = join(dir, 'backup.db');
    const before = acknowledged.length;
    const backup = await runCli('src/cli/backup.ts', [file], { DATABASE_PATH: dbPath });
    const during = acknowledged.length - before;
    stop = true;
    await writer;

    expect(failures).toEqual([]);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^backed up .* to .*backup\.db: \d+ pages, integrity ok; \d+ entities/);
    // The server kept serving writes while the backup ran.
    expect(during).toBeGreaterThan(0);

    const copy = new Database(file, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.pragma('foreign_key_check')).toEqual([]);
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    const names = new Set((copy.prepare("SELECT name FROM entities WHERE name LIKE 'Backup witness %'").all() as { name: string }[]).map((r) => r.name));
    for (const name of acknowledged.slice(0, before)) expect(names.has(name), name).toBe(true);
    expect(names.size).toBeLessThanOrEqual(acknowledged.length);
    // Derived data came along consistently: the seed's claims and the adjacency list.
    expect((copy.prepare('SELECT count(*) AS n FROM claims').get() as { n: number }).n).toBe(52);
    expect((copy.prepare('SELECT count(*) AS n FROM relationship_ends').get() as { n: number }).n).toBe(26);
    copy.close();
    expect(existsSync(`${file}-wal`)).toBe(false);

    // A second backup never overwrites the first.
    const again = await runCli('src/cli/backup.ts', [file], { DATABASE_PATH: dbPath });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('refuses, in one line, when there is no database to back up', async () => {
    const res = await runCli('src/cli/backup.ts', [join(dir, 'nothing.db')], { DATABASE_PATH: join(dir, 'missing.db') });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^claimgraph backup: there is no database at .*missing\.db \(set DATABASE_PATH\)\n$/);
  });
});
