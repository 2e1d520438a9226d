import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { EXPLORER_DIR, EXPLORER_POLICY } from '../src/http/explorer';
import { IMMUTABLE } from '../src/http/assets';
import { silentLogger } from './support/app';
import { buildExplorer } from './support/explorer';

/** The explorer's page and files as the server answers them, without a browser. */
function app(explorerDir?: string) {
  const db = openDatabase({ path: ':memory:' });
  migrateDatabase(db);
  const yoga = createApp({ db, logger: silentLogger, explorerDir });
  return (path: string, init?: RequestInit) => yoga.fetch(`http://claimgraph.test${path}`, init as never) as Promise<Response>;
}

describe('the explorer, served', () => {
  beforeAll(() => buildExplorer(), 120_000);

  it('answers its page, with its policy, at each of its addresses (deep links and reloads)', async () => {
    const fetch = app();
    for (const path of ['/', '/entity/UGVyc29uOjE%3D', '/graph/abc?depth=2', '/claim/x', '/source/x', '/path?from=a&to=b', '/timeline', '/timeline?entity=a']) {
      const response = await fetch(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(EXPLORER_POLICY);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const html = await response.text();
      expect(html).toContain('<div id="app"></div>');
      // No inline script: every script is a file of this origin.
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    }
    expect(EXPLORER_POLICY).toContain("script-src 'self'");
    expect(EXPLORER_POLICY).not.toContain('unsafe-inline');
  });

  it('serves its files compressed and cached for a year, and nothing under other addresses', async () => {
    const fetch = app();
    const files = readdirSync(`${EXPLORER_DIR}/assets`);
    expect(files.some((file) => file.endsWith('.js'))).toBe(true);
    for (const file of files) {
      const response = await fetch(`/assets/${file}`, { headers: { 'accept-encoding': 'gzip, br' } });
      expect(response.status, file).toBe(200);
      expect(response.headers.get('cache-control')).toBe(IMMUTABLE);
      expect(response.headers.get('content-encoding')).toBe('br');
    }
    const stale = await fetch('/assets/index-old.js');
    expect(stale.status).toBe(404);
    expect(await stale.text()).toContain('Reload the page');
    expect((await fetch('/entity/a/b')).status).toBe(404);
    expect((await fetch('/entity/')).status).toBe(404);
    const post = await fetch('/entity/a', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    // GraphiQL stays at /graphql.
    const playground = await fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(await playground.text()).toContain('<title>claimgraph</title>');
  });

  it('says how to build it when it has not been built', async () => {
    const response = await app('/nonexistent/web')('/');
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('`npm start` builds it');
  });
});
