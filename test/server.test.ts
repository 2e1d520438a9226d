import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_LIMIT } from '../src/graphql/budget';
import { NPM_START, ROOT, runCli, startServer as start } from './support/server';

/** Runs the entry expecting it to refuse to start; returns its exit code and output. */
const refuses = (env: Record<string, string>) => runCli('src/main.ts', [], { PORT: '0', ...env });

const dir = mkdtempSync(join(tmpdir(), 'claimgraph-server-'));
const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

const gql = (url: string, query: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });

describe('the real server over HTTP', () => {
  const dbPath = join(dir, 'nested', 'claimgraph.db');

  it('creates, migrates and seeds its database on first start, and serves GraphQL, the playground and /health', async () => {
    const server = await start({ DATABASE_PATH: dbPath });
    running.push(server.child);
    expect(existsSync(dbPath)).toBe(true);

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', droppedLogLines: 0 });

    const res = await gql(server.url, '{ entity(name: "Musk") { name } claims { totalCount } }');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { entity: { name: string }; claims: { totalCount: number } } };
    expect(body.data.entity.name).toBe('Elon Musk');
    expect(body.data.claims.totalCount).toBeGreaterThanOrEqual(40);

    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>claimgraph</title>');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'; .*frame-ancestors 'none'/);

    const tooBig = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ entity(name: "${'x'.repeat(2 * 1024 * 1024)}") { name } }` }),
    });
    expect(tooBig.status).toBe(413);

    // A body that does not say its length (chunked) is refused before it is read.
    const chunked = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ query: '{ __typename }' })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    expect(((await chunked.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/Content-Length/);

    const malformed = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.output()).toMatch(/stopped/);
  });

  it('keeps its data across restarts without seeding twice', async () => {
    const server = await start({ DATABASE_PATH: dbPath });
    running.push(server.child);
    expect(server.output()).not.toMatch(/seeded an empty database/);
    const res = await gql(server.url, '{ entities { totalCount } }');
    const body = (await res.json()) as { data: { entities: { totalCount: number } } };
    expect(body.data.entities.totalCount).toBe(22);
    server.child.kill('SIGINT');
    expect(await server.exit).toBe(0);
  });

  it('serves from one process per worker sharing the WAL database, and stops them all', async () => {
    const server = await start({ DATABASE_PATH: dbPath, WORKERS: '2' });
    running.push(server.child);
    for (let waited = 0; (server.output().match(/is serving GraphQL/g) ?? []).length < 2 && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(server.output().match(/is serving GraphQL/g)).toHaveLength(2);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => gql(server.url, '{ entities { totalCount } }').then((r) => r.json())),
    );
    expect(answers).toEqual(Array(8).fill({ data: { entities: { totalCount: 22 } }, extensions: { cost: { requestedNodes: 1, limit: NODE_LIMIT } } }));
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.output()).toMatch(/"worker":2/);
  });

  it('refuses a corrupt database file with one clear line', async () => {
    const corrupt = join(dir, 'corrupt.db');
    writeFileSync(corrupt, 'this is not a database, just text '.repeat(200));
    const { code, stderr } = await refuses({ DATABASE_PATH: corrupt });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^claimgraph: .*corrupt\.db/);
  });

  it('refuses an API_TOKEN with whitespace in it, which no request could ever match, with one clear line', async () => {
    for (const token of ['abcdefghijklmnopqrstuvwxyz\n', 'abcdefghijklm nopqrstuvwxyz']) {
      const { code, stderr } = await refuses({ DATABASE_PATH: join(dir, 'x.db'), API_TOKEN: token });
      expect(code).toBe(1);
      expect(stderr.trim()).toMatch(/^claimgraph: Invalid configuration: API_TOKEN: .*spaces, tabs or line breaks/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses invalid configuration with one clear line', async () => {
    const { code, stderr } = await refuses({ DATABASE_PATH: join(dir, 'x.db'), PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^claimgraph: Invalid configuration: PORT/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a DATABASE_PATH under a file, or naming a folder, with one line saying what to change', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const cases = [
      { path: '/dev/null/x.db', line: 'claimgraph: cannot create the database at DATABASE_PATH /dev/null/x.db: /dev/null is a file, not a folder. Set DATABASE_PATH to a file in a folder the server can write, e.g. data/claimgraph.db' },
      { path: join(file, 'deeper', 'x.db'), line: `claimgraph: cannot create the database at DATABASE_PATH ${file}/deeper/x.db: ${file} is a file, not a folder. Set DATABASE_PATH to a file in a folder the server can write, e.g. data/claimgraph.db` },
      { path: dir, line: `claimgraph: DATABASE_PATH ${dir} is a folder: set it to a file in it, e.g. ${dir}/claimgraph.db` },
    ];
    for (const { path, line } of cases) {
      const { code, stdout, stderr } = await refuses({ DATABASE_PATH: path, API_TOKEN: 'a-token-long-enough-to-pass' });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(`${line}\n`);
    }
    // The commands that create a database say the same.
    const imported = await runCli('src/cli/import.ts', ['seed/article.json'], { DATABASE_PATH: '/dev/null/x.db' });
    expect(imported.code).toBe(1);
    expect(imported.stderr).toBe(`${cases[0]!.line.replace(/^claimgraph:/, 'claimgraph import:')}\n`);
  });
});

describe('npm start, as the README runs it', () => {
  const dist = (file: string) => join(ROOT, 'dist', file);
  const build = () => spawnSync(process.execPath, ['src/cli/build.mjs'], { cwd: ROOT, encoding: 'utf8' });

  it('builds dist/ when it is stale, then serves /health, GraphQL and the playground from node dist/main.js, workers too', { timeout: 90_000 }, async () => {
    // Older than every source: this start must build, unless a build another test file runs meanwhile
    // (the explorer's, the cluster's) got there first; either way dist/ is current once it serves.
    if (existsSync(dist('.built'))) utimesSync(dist('.built'), 0, 0);
    const staled = Date.now();
    const server = await start({ DATABASE_PATH: join(dir, 'npm-start', 'claimgraph.db'), WORKERS: '2' }, NPM_START);
    running.push(server.child);
    const pids = () => [...new Set([...server.output().matchAll(/"pid":(\d+)/g)].map((match) => Number(match[1])))];
    try {
      expect(server.output()).toMatch(/build: (built dist\/main\.js|dist\/ is current; skipped)/);
      expect(statSync(dist('.built')).mtimeMs).toBeGreaterThanOrEqual(staled - 1000);
      for (let waited = 0; (server.output().match(/is serving GraphQL/g) ?? []).length < 2 && waited < 30_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The primary and both workers (forked from process.argv[1]) run the bundle on plain node.
      expect(pids()).toHaveLength(3);
      for (const pid of pids()) {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        expect(argv.slice(1)).toEqual(['--enable-source-maps', expect.stringMatching(/(^|\/)dist\/main\.js$/)]);
      }

      const health = await fetch(`${server.url}/health`);
      expect(await health.json()).toEqual({ status: 'ok', droppedLogLines: 0 });
      const res = await gql(server.url, '{ entity(name: "Musk") { name } }');
      expect(await res.json()).toEqual({ data: { entity: { name: 'Elon Musk' } }, extensions: { cost: { requestedNodes: 1, limit: NODE_LIMIT } } });
      const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<title>claimgraph</title>');
      // Its script (read from src/ beside dist/) is served by whichever worker is asked: the same name.
      const boot = /src="(\/graphql\/assets\/playground\.[0-9a-f]{16}\.js)"/.exec(html)![1]!;
      for (let i = 0; i < 4; i++) {
        const script = await fetch(`${server.url}${boot}`);
        expect(script.status).toBe(200);
        expect(await script.text()).toContain('renderYogaGraphiQL');
      }

      // npm passes the signal on to the server, which stops its workers and exits cleanly.
      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
      expect(server.output()).toMatch(/"msg":"stopped"/);
    } finally {
      for (const pid of pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('skips a second build when nothing changed, and maps the bundle back to the .ts sources', () => {
    const first = build();
    expect(first.status).toBe(0);
    const built = statSync(dist('main.js')).mtimeMs;
    const second = build();
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(/dist\/ is current; skipped/);
    expect(statSync(dist('main.js')).mtimeMs).toBe(built);

    expect(readFileSync(dist('main.js'), 'utf8')).toMatch(/\/\/# sourceMappingURL=main\.js\.map\s*$/);
    const map = JSON.parse(readFileSync(dist('main.js.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toContain('../src/main.ts');
  });
});
