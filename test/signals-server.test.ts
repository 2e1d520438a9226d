import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { prettyLine } from '../src/log';
import { seededFile } from './support/app';
import { post, startServer } from './support/server';

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const start = async (env: Record<string, string>) => {
  const server = await startServer({ DATABASE_PATH: seededFile('signals'), ...env });
  running.push(server.child);
  return server;
};

const stop = async (server: { child: ChildProcess; exit: Promise<number | null> }) => {
  server.child.kill('SIGTERM');
  return server.exit;
};

const ENTITIES = 'query Entities { entities(first: 3) { nodes { name } } }';
const METRICS_TOKEN = 'metrics-token-0123456789';

/** Every sample of `name` with its labels, from Prometheus' text format. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const cut = line.lastIndexOf(' ');
      return { labels: line.slice(name.length, cut), value: Number(line.slice(cut + 1)) };
    });
}

describe('signals of the real server', () => {
  it('writes a JSON request line when stdout is not a terminal', async () => {
    const server = await start({});
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': 'probe-1' },
      body: JSON.stringify({ query: ENTITIES }),
    });
    expect(response.headers.get('x-request-id')).toBe('probe-1');
    await stop(server);
    const line = server
      .output()
      .split('\n')
      .find((text) => text.includes('"requestId":"probe-1"'));
    expect(JSON.parse(line!)).toMatchObject({ level: 30, msg: 'request', requestId: 'probe-1', operation: 'Entities', status: 200, cost: 4, cache: 'miss' });
  });

  it('writes one readable line per request with LOG_FORMAT=pretty', async () => {
    const server = await start({ LOG_FORMAT: 'pretty' });
    await post(server.url, ENTITIES, {}, { 'x-request-id': 'probe-2' });
    await stop(server);
    const line = server
      .output()
      .split('\n')
      .find((text) => text.includes('id=probe-2'));
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  POST \/graphql Entities 200 [\d.]+ms cost=4 cache=miss id=probe-2/);
    expect(server.output()).not.toContain('{"level"');
  });

  it('keeps answering while nobody reads its stdout: request lines never block', { timeout: 60_000 }, async () => {
    const server = await start({ SHUTDOWN_TIMEOUT_MS: '2000' });
    server.child.stdout!.pause();
    for (let i = 0; i < 400; i++) {
      const answer = await post(server.url, `query Q${i} { entities(first: 3) { nodes { name } } }`);
      expect(answer.errors).toBeUndefined();
    }
    expect(await stop(server)).toBe(0);
  });

  it('sends its spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, the last ones before it exits', { timeout: 60_000 }, async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    try {
      const server = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'claimgraph-test' });
      await post(server.url, ENTITIES, {}, { 'x-request-id': 'traced-1' });
      expect(await stop(server)).toBe(0);
      const sent = received.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('\n');
      for (const name of ['POST /graphql', 'graphql.parse', 'graphql.validate', 'query.Entities', 'sql', 'claimgraph-test', 'traced-1']) {
        expect(sent, name).toContain(`"${name}"`);
      }
    } finally {
      collector.close();
    }
  });

  it('with WORKERS=2, /metrics sums every worker', { timeout: 60_000 }, async () => {
    const server = await start({ WORKERS: '2', METRICS: 'on', METRICS_TOKEN });
    const requests = 24;
    // New connections each: the workers share them.
    for (let i = 0; i < requests; i++) {
      await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', connection: 'close' },
        body: JSON.stringify({ query: ENTITIES }),
      });
    }
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const scrape = () => fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, connection: 'close' } }).then((r) => r.text());
    for (const text of [await scrape(), await scrape()]) {
      const entities = samples(text, 'claimgraph_requests_total').filter((s) => s.labels.includes('operation="Entities"'));
      expect(entities.reduce((sum, s) => sum + s.value, 0)).toBe(requests);
      // Each worker missed once at least (its own cache), and every request looked.
      const cache = samples(text, 'claimgraph_response_cache_total');
      expect(cache.reduce((sum, s) => sum + s.value, 0)).toBe(requests);
    }
    await stop(server);
  });
});

describe('the pretty line', () => {
  it('shows a request line and any other line in one short line', () => {
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const request = JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', requestId: 'r1', method: 'POST', path: '/graphql', operation: 'Q', status: 200, durationMs: 1.5, cost: 7, cache: 'hit', msg: 'request' });
    expect(prettyLine(request)).toBe('03:04:05.678 INFO  POST /graphql Q 200 1.5ms cost=7 cache=hit id=r1\n');
    const refused = JSON.stringify({ level: 30, time, requestId: 'r2', method: 'POST', path: '/graphql', status: 200, durationMs: 2, cache: 'miss', codes: ['QUERY_TOO_COMPLEX'], msg: 'request' });
    expect(prettyLine(refused)).toBe('03:04:05.678 INFO  POST /graphql - 200 2ms cost=- cache=miss QUERY_TOO_COMPLEX id=r2\n');
    expect(prettyLine(JSON.stringify({ level: 40, time, msg: 'storage fault', code: 'SQLITE_FULL' }))).toBe('03:04:05.678 WARN  storage fault code=SQLITE_FULL\n');
  });
});
