import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp, type AppOptions } from '../src/app';
import { ConfigError, DEFAULT_CORS_MAX_AGE_S, DEFAULT_HTTP_CACHE_CONTROL, loadConfig } from '../src/config';
import { APQ_LIMITS } from '../src/http/persisted-queries';
import { migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { silentLogger, TEST_TOKEN } from './support/app';

function app(cors?: AppOptions['cors']) {
  const db = openDatabase({ path: ':memory:' });
  migrateDatabase(db);
  loadSeed(db);
  const yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN, cors });
  return (path: string, init?: RequestInit) => yoga.fetch(`http://claimgraph.test${path}`, init as never);
}

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
});

const COUNT = '/graphql?query=%7B%20claims%20%7B%20totalCount%20%7D%20%7D';

describe('CORS', () => {
  it('by default lets any origin read and write with a bearer token, never with credentials, and caches preflights', async () => {
    const fetch = app();
    const answer = await fetch('/graphql', preflight('https://somewhere.example'));
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://somewhere.example');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, POST');
    const allowed = answer.headers.get('access-control-allow-headers')!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-request-id']));
    expect(answer.headers.get('access-control-max-age')).toBe(String(DEFAULT_CORS_MAX_AGE_S));

    const write = await fetch('/graphql', {
      method: 'POST',
      headers: { origin: 'https://somewhere.example', 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ query: 'mutation { createSource(input: { kind: ARTICLE, title: "Cross-origin report" }) { source { title } } }' }),
    });
    expect(await write.json()).toMatchObject({ data: { createSource: { source: { title: 'Cross-origin report' } } } });
    expect(write.headers.get('access-control-allow-origin')).toBe('https://somewhere.example');
    expect(write.headers.get('access-control-allow-credentials')).toBeNull();

    const read = await fetch(COUNT, { headers: { origin: 'https://other.example', accept: 'application/json' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('https://other.example');
    expect(read.headers.get('access-control-allow-credentials')).toBeNull();
    // A page may read the validator and the request's id; a cached answer is kept apart per origin.
    expect(read.headers.get('access-control-expose-headers')).toBe('ETag, X-Request-Id, X-Consistency-Token');
    expect(read.headers.get('vary')).toMatch(/Origin/);
  });

  it('with a list of origins allows only those, with credentials if configured, and the max age given', async () => {
    const fetch = app({ origins: ['https://app.example', 'https://admin.example'], credentials: true, maxAgeSeconds: 60 });
    for (const origin of ['https://app.example', 'https://admin.example']) {
      const answer = await fetch('/graphql', preflight(origin));
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.get('access-control-max-age')).toBe('60');
    }
    const stranger = await fetch('/graphql', preflight('https://evil.example'));
    expect(stranger.headers.get('access-control-allow-origin')).toBe('null');
    const read = await fetch(COUNT, { headers: { origin: 'https://evil.example', accept: 'application/json' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('null');

    const single = app({ origins: ['https://app.example'] });
    const other = await single('/graphql', preflight('https://evil.example'));
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('reads CORS_ORIGINS, CORS_CREDENTIALS and CORS_MAX_AGE_S, refusing what would not work', () => {
    expect(loadConfig({})).toMatchObject({ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'off', CORS_MAX_AGE_S: DEFAULT_CORS_MAX_AGE_S });
    expect(loadConfig({ CORS_ORIGINS: ' https://app.example , http://localhost:5173', CORS_CREDENTIALS: 'on', CORS_MAX_AGE_S: '0' })).toMatchObject({
      CORS_ORIGINS: ['https://app.example', 'http://localhost:5173'],
      CORS_CREDENTIALS: 'on',
      CORS_MAX_AGE_S: 0,
    });
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example/' })).toThrow(/CORS_ORIGINS must be \* or a comma-separated list of origins/);
    expect(() => loadConfig({ CORS_ORIGINS: 'app.example' })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_CREDENTIALS: 'on' })).toThrow(/CORS_CREDENTIALS: on needs CORS_ORIGINS/);
  });

  it('is documented with the defaults the code declares', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const configuration = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');
    expect(configuration).toContain(`| \`CORS_MAX_AGE_S\` | \`${DEFAULT_CORS_MAX_AGE_S}\` |`);
    expect(configuration).toContain(`| \`HTTP_CACHE_CONTROL\` | \`${DEFAULT_HTTP_CACHE_CONTROL}\` |`);
    expect(readme).toContain(`cached \`CORS_MAX_AGE_S\` (${DEFAULT_CORS_MAX_AGE_S} s)`);
    expect(readme).toContain(`up to ${APQ_LIMITS.documents.toLocaleString('en')} documents (${APQ_LIMITS.bytes / 2 ** 20} MB)`);
  });
});
