import { timingSafeEqual } from 'node:crypto';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StatementObserver } from '../db';
import { UserError } from '../domain/errors';
import { jsonResponse } from './json';
import type { Answered } from './request-log';

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
    this.live.set(0);
  }

  /** A statement's time, into claimgraph_sql_statement_duration_seconds (see timeStatements in src/db). */
  observeStatement: StatementObserver = (source, _startedAt, ms) => this.sql.observe({ statement: statementKind(source) }, ms / 1000);

  answered = ({ record, status, ms, cache }: Answered): void => {
    const operation = record.operation ?? '';
    this.requests.inc({ operation, status: String(status), cache });
    this.duration.observe({ operation }, ms / 1000);
    for (const code of record.codes) this.errors.inc({ code });
    if (record.overBudget) this.refusals.inc();
    if (cache !== 'none') this.cache.inc({ outcome: cache });
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
export function useMetrics(metrics: Metrics, { token, gather }: MetricsOptions): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        usePrometheus({
          registry: metrics.registry,
          endpoint: false,
          skipIntrospection: true,
          // Its URL label would give a series per distinct GET query string.
          labels: { url: false },
          metrics: {
            graphql_envelop_deprecated_field: false,
            graphql_envelop_request_time_summary: false,
            graphql_envelop_schema_change: false,
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
      const text = gather ? await gather() : await metrics.registry.metrics();
      endResponse(new fetchAPI.Response(text, { headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } }));
    },
  };
}
