import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app';

// The playground's files over HTTP, without a browser (test/playground.test.ts drives Chromium).
let app: TestApp;
let script: string;
beforeAll(async () => {
  app = createTestApp();
  const page = await app.fetch('/graphql', { headers: { accept: 'text/html' } });
  script = /src="(\/graphql\/assets\/graphiql\.[0-9a-f]{16}\.js)"/.exec(await page.text())![1]!;
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => app.fetch(path, { method, headers });

describe('the playground files', () => {
  it('are sent in the best encoding the client accepts, each decoding to the same content', async () => {
    const plain = Buffer.from(await (await get(script, { 'accept-encoding': 'identity' })).arrayBuffer());
    const cases: [string, string | null][] = [
      ['gzip, deflate, br, zstd', 'br'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0.5, br;q=0', 'gzip'],
      ['*', 'br'],
      ['identity', null],
      ['', null],
      ['deflate', null],
    ];
    for (const [accept, encoding] of cases) {
      const response = await get(script, { 'accept-encoding': accept });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding'), accept).toBe(encoding);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(response.headers.get('vary')).toBe('accept-encoding');
      const body = Buffer.from(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(body.length);
      const decoded = encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body;
      expect(decoded.equals(plain)).toBe(true);
    }
    expect(plain.toString()).toContain('renderYogaGraphiQL');
  });

  it('answer HEAD without a body, refuse other methods, and a name no longer served is a 404 not to be cached', async () => {
    const head = await get(script, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const post = await get(script, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const old = await get('/graphql/assets/graphiql.0123456789abcdef.js');
    expect(old.status).toBe(404);
    expect(old.headers.get('cache-control')).toBe('no-store');
    expect(await old.text()).toMatch(/Reload the page/);
  });
});
