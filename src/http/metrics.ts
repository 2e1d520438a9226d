import cluster from 'node:cluster';
import { timingSafeEqual } from 'node:crypto';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StatementObserver } from '../db';
import { unavailable, UserError } from '../domain/errors';
import { jsonResponse } from './json';
import type { Answered } from './request-log';

/**
 * Distinct operation names a process labels its series with; any further name, or one that is not
 * a GraphQL name, is counted as `(other)`. Clients choose the names: without a bound, a client
 * sending a new name each time would grow the metrics without end.
 */
export const MAX_OPERATION_LABELS = 200;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
export const OTHER_OPERATIONS = '(other)';

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';
/** Seconds: the buckets of SQL statement time (most lookups take tens of microseconds). */
const SQL_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];
/** Seconds: the buckets of request time. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  /** A bearer token /metrics asks for; without one it answers anyone who can reach the port. */
  token?: string;
  /**
   * The text of every process's metrics, when this process is one of several workers
   * (src/main.ts asks the primary, which gathers them with prom-client's AggregatorRegistry).
   */
  gather?: () => Promise<string>;
  /** Called with this process's registry once it exists (a worker hands it to prom-client's cluster support). */
  share?: (registry: Registry) => void;
}

/** How long a worker waits for the primary's sum of every worker's metrics. */
const GATHER_TIMEOUT_MS = 5000;
const GATHER = 'claimgraph:metrics';
const GATHER_RETRY_AFTER_MS = 1000;

interface GatherMessage {
  type: typeof GATHER;
  id: number;
  text?: string;
  error?: string;
}

/**
 * In the primary of WORKERS > 1: answers a worker's request for every worker's metrics with
 * prom-client's AggregatorRegistry, which asks each worker for its own and sums them (counters
 * and histograms added, gauges such as live queries open and memory summed, per-process ones such
 * as the start time kept once).
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: GatherMessage) => {
    if (message?.type !== GATHER || message.text !== undefined || message.error !== undefined) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: GATHER, id: message.id, text }),
      (error: Error) => worker.isConnected() && worker.send({ type: GATHER, id: message.id, error: error.message }),
    );
  });
}

/** In a worker: its registry joins the cluster's, and /metrics answers with every worker's sum (serveClusterMetrics). */
export function clusterMetricsOptions(): Pick<MetricsOptions, 'gather' | 'share'> {
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: GatherMessage) => {
    if (message?.type !== GATHER) return;
    const waiter = waiting.get(message.id);
    if (!waiter) return;
    waiting.delete(message.id);
    if (message.text !== undefined) waiter.resolve(message.text);
    else waiter.reject(new Error(message.error ?? 'no metrics'));
  });
  return {
    share(registry) {
      // Constructing one makes prom-client answer the primary's requests in this worker.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([registry]);
    },
    gather: () =>
      new Promise<string>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the primary process did not gather the workers' metrics within ${GATHER_TIMEOUT_MS} ms`));
        }, GATHER_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (text) => (clearTimeout(timer), resolve(text)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        process.send?.({ type: GATHER, id });
      }),
  };
}

/** One process's metrics: yoga's Prometheus plugin's series, ours, and Node's own (memory, event loop, GC). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'claimgraph_requests_total',
    help: 'Requests answered, by GraphQL operation name (empty when none), HTTP status and response-cache outcome (hit, miss, none).',
    labelNames: ['operation', 'status', 'cache'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'claimgraph_request_duration_seconds',
    help: 'Time from arrival to answer, by GraphQL operation name (empty when none).',
    labelNames: ['operation'],
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'claimgraph_errors_total',
    help: 'Errors in answers, by their extensions.code (once per code per answer).',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'claimgraph_query_budget_refusals_total',
    help: 'Operations refused because they asked for more nodes than the query budget allows.',
    registers: [this.registry],
  });
  readonly cache = new Counter({
    name: 'claimgraph_response_cache_total',
    help: 'Reads the response cache looked up, by outcome (hit: answered from memory, miss: run).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly fast = new Counter({
    name: 'claimgraph_fast_path_total',
    help: 'Requests the fast path of repeated reads answered without the GraphQL pipeline (also counted in claimgraph_requests_total).',
    registers: [this.registry],
  });
  readonly sql = new Histogram({
    name: 'claimgraph_sql_statement_duration_seconds',
    help: 'Time SQLite took per statement, by its first keyword (select, insert, update, delete, other).',
    labelNames: ['statement'],
    buckets: SQL_BUCKETS,
    registers: [this.registry],
  });
  readonly live = new Gauge({
    name: 'claimgraph_live_queries_open',
    help: 'Live (@live) queries this process keeps open.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const outcome of ['hit', 'miss']) this.cache.inc({ outcome }, 0);
    this.refusals.inc(0);
    this.fast.inc(0);
    this.live.set(0);
  }

  /** A statement's time, into claimgraph_sql_statement_duration_seconds (see timeStatements in src/db). */
  observeStatement: StatementObserver = (source, _startedAt, ms) => this.sql.observe({ statement: statementKind(source) }, ms / 1000);

  private readonly operations = new Set<string>();

  /** The label of an operation's name: see MAX_OPERATION_LABELS. */
  private label(name: string | undefined): string {
    if (name === undefined) return '';
    if (this.operations.has(name)) return name;
    if (this.operations.size >= MAX_OPERATION_LABELS || !GRAPHQL_NAME.test(name)) return OTHER_OPERATIONS;
    this.operations.add(name);
    return name;
  }

  answered = ({ record, status, ms, cache }: Answered): void => {
    const operation = this.label(record.operation);
    this.requests.inc({ operation, status: String(status), cache });
    this.duration.observe({ operation }, ms / 1000);
    for (const code of record.codes) this.errors.inc({ code });
    if (record.overBudget) this.refusals.inc();
    if (cache !== 'none') this.cache.inc({ outcome: cache });
    if (record.fast) this.fast.inc();
  };
}

const KINDS = new Set(['select', 'insert', 'update', 'delete', 'with']);

function statementKind(source: string): string {
  const space = source.indexOf(' ');
  const word = (space < 0 ? source : source.slice(0, space)).toLowerCase();
  return KINDS.has(word) ? (word === 'with' ? 'select' : word) : 'other';
}

/** Compares without telling by its timing how much of the token matched. */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics in Prometheus' text format, behind `token` when there is one, and yoga's Prometheus
 * plugin (operations' parse, validate and execute times, and its request counts) into the same
 * registry. With `gather`, every worker's metrics, summed across workers by the primary.
 */
export function useMetrics(metrics: Metrics, { token, gather, share }: MetricsOptions): Plugin {
  share?.(metrics.registry);
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        usePrometheus({
          registry: metrics.registry,
          endpoint: false,
          skipIntrospection: true,
          // Its URL label would give a series per distinct GET query string, and its operation names
          // are unbounded (clients choose them): ours carry the names, bounded (MAX_OPERATION_LABELS).
          labels: { url: false, operationName: false },
          // The phases' times and errors are its own; the requests and their durations it would
          // count again are ours (claimgraph_requests_total, …_request_duration_seconds), left out
          // to keep each request's cost down (bench/signals.ts).
          metrics: {
            graphql_envelop_deprecated_field: false,
            graphql_envelop_request: false,
            graphql_envelop_request_duration: false,
            graphql_envelop_request_time_summary: false,
            graphql_envelop_phase_context: false,
            graphql_envelop_schema_change: false,
            graphql_yoga_http_duration: false,
          },
        }),
      );
    },
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== METRICS_PATH) return;
      if (token) {
        const given = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
        if (!given || !sameToken(given, token)) {
          const refusal = new UserError('UNAUTHENTICATED', 'Metrics need the bearer token set in METRICS_TOKEN: send `Authorization: Bearer <token>`.');
          const response = jsonResponse(fetchAPI, { errors: [refusal.toJSON()] }, 401);
          response.headers.set('www-authenticate', 'Bearer');
          return endResponse(response);
        }
      }
      let text: string;
      try {
        text = gather ? await gather() : await metrics.registry.metrics();
      } catch (error) {
        const refusal = unavailable(`Metrics could not be gathered: ${(error as Error).message}. Scrape again.`, GATHER_RETRY_AFTER_MS);
        return endResponse(jsonResponse(fetchAPI, { errors: [refusal.toJSON()] }, 503));
      }
      endResponse(new fetchAPI.Response(text, { headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } }));
    },
  };
}
