import { InMemorySpanExporter, BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { type AppOptions, createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { MAX_OPERATION_LABELS, OTHER_OPERATIONS } from '../src/http/metrics';
import { migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { silentLogger } from './support/app';

const OVER_BUDGET = '{ sources(first: 100) { edges { node { claims(first: 60) { nodes { about { name } } } } } } }';
const ENTITIES = 'query Entities { entities(first: 3) { nodes { name } } }';
const METRICS_TOKEN = 'metrics-token-0123456789';

function signalsApp(options: Partial<AppOptions> = {}) {
  const db = openDatabase({ path: ':memory:' });
  migrateDatabase(db);
  loadSeed(db);
  const lines: Record<string, unknown>[] = [];
  const logger = { ...silentLogger, info: (fields: unknown) => void (typeof fields === 'object' && fields && lines.push(fields as Record<string, unknown>)) };
  const yoga = createApp({ db, logger, ...options });
  const fetch = (path: string, init?: RequestInit) => yoga.fetch(`http://claimgraph.test${path}`, init as never);
  const gql = (query: string, headers: Record<string, string> = {}) =>
    fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const requestLines = () => lines.filter((line) => 'requestId' in line);
  return { yoga, fetch, gql, lines, requestLines };
}

/** The value of one series in Prometheus' text format, `name{labels}` as written; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('request logs', () => {
  it('writes one line per request with its id, operation, status, duration, cost and cache outcome, and returns the id', async () => {
    const app = signalsApp();
    const first = await app.gql(ENTITIES);
    const second = await app.gql(ENTITIES);
    const refused = await app.gql(OVER_BUDGET);
    const [miss, hit, refusal] = app.requestLines();
    expect(app.requestLines()).toHaveLength(3);
    expect(miss).toMatchObject({ method: 'POST', path: '/graphql', operation: 'Entities', status: 200, cost: 4, cache: 'miss' });
    expect(miss!.durationMs).toEqual(expect.any(Number));
    expect(miss!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers.get('x-request-id')).toBe(miss!.requestId);
    expect(hit).toMatchObject({ operation: 'Entities', status: 200, cost: 4, cache: 'hit' });
    expect(second.headers.get('x-request-id')).toBe(hit!.requestId);
    expect(hit!.requestId).not.toBe(miss!.requestId);
    expect(refusal).toMatchObject({ status: 200, cost: 126_201, codes: ['QUERY_TOO_COMPLEX'] });
    expect(refused.headers.get('x-request-id')).toBe(refusal!.requestId);
  });

  it('keeps a sane incoming x-request-id and replaces one that is not', async () => {
    const app = signalsApp();
    const kept = await app.gql(ENTITIES, { 'x-request-id': 'edge-7f3a.91' });
    expect(kept.headers.get('x-request-id')).toBe('edge-7f3a.91');
    const replaced = await app.gql(ENTITIES, { 'x-request-id': 'a b\u0007<script>' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(app.requestLines().map((line) => line.requestId)).toEqual(['edge-7f3a.91', replaced.headers.get('x-request-id')]);
  });

  it('writes no request lines when turned off', async () => {
    const app = signalsApp({ requestLog: false });
    await app.gql(ENTITIES);
    expect(app.requestLines()).toEqual([]);
  });
});

describe('metrics', () => {
  it('are off by default', async () => {
    const app = signalsApp();
    expect((await app.fetch('/metrics')).status).toBe(404);
  });

  it('are scraped from /metrics, and move with requests, refusals, cache hits and SQL', async () => {
    const app = signalsApp({ metrics: true });
    const before = await (await app.fetch('/metrics')).text();
    expect(sample(before, 'claimgraph_query_budget_refusals_total')).toBe(0);
    expect(sample(before, 'claimgraph_response_cache_total{outcome="hit"}')).toBe(0);
    expect(sample(before, 'claimgraph_live_queries_open')).toBe(0);
    expect(sample(before, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    await app.gql(ENTITIES);
    await app.gql(ENTITIES);
    await app.gql(OVER_BUDGET);
    await app.gql('{ nope }');
    const response = await app.fetch('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const after = await response.text();
    expect(sample(after, 'claimgraph_requests_total{operation="Entities",status="200",cache="miss"}')).toBe(1);
    expect(sample(after, 'claimgraph_requests_total{operation="Entities",status="200",cache="hit"}')).toBe(1);
    expect(sample(after, 'claimgraph_response_cache_total{outcome="hit"}')).toBe(1);
    // The cache looks before the budget and validation refuse: three reads missed, one hit.
    expect(sample(after, 'claimgraph_response_cache_total{outcome="miss"}')).toBe(3);
    expect(sample(after, 'claimgraph_query_budget_refusals_total')).toBe(1);
    expect(sample(after, 'claimgraph_errors_total{code="QUERY_TOO_COMPLEX"}')).toBe(1);
    expect(sample(after, 'claimgraph_errors_total{code="BAD_USER_INPUT"}')).toBe(1);
    expect(sample(after, 'claimgraph_request_duration_seconds_count{operation="Entities"}')).toBe(2);
    expect(sample(after, 'claimgraph_sql_statement_duration_seconds_count{statement="select"}')).toBeGreaterThan(0);
    // yoga's Prometheus plugin's own series, by operation type (names are ours, bounded).
    expect(after).toMatch(/^graphql_envelop_phase_execute_count\{operationType="query"\} 2$/m);
    expect(after).toMatch(/^graphql_envelop_phase_parse_count\{operationType="query"\} 3$/m);
    expect(after).toMatch(/^graphql_envelop_error_result\{operationType="query",phase="validate"\} 1$/m);
    expect(after).not.toContain('operationName=');
  });

  it('label operations by a bounded set of GraphQL names', async () => {
    const app = signalsApp({ metrics: true });
    const named = (operationName: string) =>
      app.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: 'query A { entities(first: 1) { nodes { name } } }', operationName }),
      });
    await named('A');
    await named('not a name} {"x');
    for (let i = 0; i <= MAX_OPERATION_LABELS; i++) await named(`Op${i}`);
    const text = await (await app.fetch('/metrics')).text();
    const operations = new Set([...text.matchAll(/^claimgraph_requests_total\{operation="([^"]*)"/gm)].map((m) => m[1]));
    expect(operations.has('A')).toBe(true);
    expect(operations.has(OTHER_OPERATIONS)).toBe(true);
    expect(operations.size).toBe(MAX_OPERATION_LABELS + 1); // the names kept, and "(other)"
    const others = text.split('\n').filter((line) => line.startsWith(`claimgraph_requests_total{operation="${OTHER_OPERATIONS}"`));
    expect(others.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)).toBe(3);
  });

  it('are configured off by default, and a token without them is refused at start', () => {
    expect(loadConfig({})).toMatchObject({ METRICS: 'off', REQUEST_LOG: 'on', LOG_FORMAT: 'auto' });
    expect(loadConfig({}).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(() => loadConfig({ METRICS_TOKEN })).toThrow(/METRICS_TOKEN is set but METRICS is off/);
    expect(() => loadConfig({ METRICS: 'on', METRICS_TOKEN: 'short' })).toThrow(/at least 16/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
    expect(loadConfig({ METRICS: 'on', METRICS_TOKEN }).METRICS_TOKEN).toBe(METRICS_TOKEN);
  });

  it('ask for METRICS_TOKEN when one is set', async () => {
    const app = signalsApp({ metrics: { token: METRICS_TOKEN } });
    const refused = await app.fetch('/metrics');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect((await app.fetch('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const scraped = await app.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('claimgraph_requests_total');
  });
});

describe('traces', () => {
  it('capture one query as a request span with parse, validate and execute beneath it, and its SQL beneath the execution', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const app = signalsApp({ tracerProvider: provider, responseCache: false });
    const response = await app.gql(ENTITIES);
    expect(response.status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((span) => span.name === name);
    const [request] = named('POST /graphql');
    expect(request).toBeDefined();
    expect(request!.attributes).toMatchObject({ 'http.response.status_code': 200, 'claimgraph.request_id': response.headers.get('x-request-id') });
    const traceId = request!.spanContext().traceId;
    const parentOf = (span: (typeof spans)[number]) => span.parentSpanContext?.spanId;
    for (const phase of ['graphql.parse', 'graphql.validate', 'query.Entities']) {
      const [span] = named(phase);
      expect(span, phase).toBeDefined();
      expect(span!.spanContext().traceId).toBe(traceId);
      expect(parentOf(span!)).toBe(request!.spanContext().spanId);
    }
    const execution = named('query.Entities')[0]!;
    const sql = named('sql');
    expect(sql.length).toBeGreaterThan(0);
    for (const statement of sql) {
      expect(parentOf(statement)).toBe(execution.spanContext().spanId);
      expect(String(statement.attributes['db.query.text'])).toMatch(/^select /i);
    }
  });
});
