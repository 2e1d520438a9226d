import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import type { TracerProvider } from '@opentelemetry/api';
import { createLogger, createYoga, type Plugin, type YogaLogger } from 'graphql-yoga';
import { writeAccessChecker } from './auth';
import { changeAwareResponseCache } from './cache';
import { DEFAULT_CORS_MAX_AGE_S, DEFAULT_HTTP_CACHE_CONTROL, DEFAULT_LIVE_QUERY_MAX, DEFAULT_LIVE_QUERY_THROTTLE_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './config';
import { type Db, FAULT_RETRY_AFTER_MS, type StatementObserver, timeStatements, LOCK_RETRY_AFTER_MS, noteStorageFault, sqliteCode, storageFault } from './db';
import { postgresCode, postgresError } from './db/postgres-errors';
// A SQLite database handed in as opened (tests, commands) is served by the SQLite engine: see engineOf.
import './db/sqlite-engine';
import { useDeadline } from './deadline';
import { UserError, unavailable } from './domain/errors';
import type { Context } from './graphql/builder';
import { NODE_LIMIT, QueryBudget, useQueryBudget } from './graphql/budget';
import { MAX_NODE_IDS } from './graphql/connection-limits';
import { useLiveQueries } from './graphql/live';
import { schema } from './graphql/schema';
import { useBodyLimit } from './http/body-limit';
import { useHttpCaching } from './http/caching';
import { type CorsSettings, corsOptions } from './http/cors';
import { useErrorCodes, withCode, withoutMaskedErrorLines } from './http/errors';
import { useHealth } from './http/health';
import { useExplorer } from './http/explorer';
import { useLinkedData } from './http/linked-data';
import { playground, usePageHeaders } from './http/pages';
import { useAutomaticPersistedQueries, useTrustedDocuments } from './http/persisted-queries';
import { type Answered, requestLogLine, useRequestRecords } from './http/request-log';
import { Metrics, type MetricsOptions, useMetrics } from './http/metrics';
import { useTracing } from './http/tracing';
import { fieldsSettleOutOfOrder, useFieldOrder } from './graphql/field-order';
import { type CompiledReads, PreparedReads, useCompiledReads } from './graphql/compiled-reads';
import { fastReads as fastReadsOf, type NodeHandler } from './http/fast-reads';
import { truncate } from './log';

/**
 * The production limits, fitted to our own deepest legitimate query (source → claims → about →
 * relationships → subject, with connections' edges/node levels) with room to spare. The node
 * budget (src/graphql/budget.ts) bounds how much an operation asks for.
 */
export const LIMITS = {
  maxDepth: 15,
  maxAliases: 30,
  maxTokens: 2000,
  maxDirectives: 30,
  maxNodes: NODE_LIMIT,
  maxNodeIds: MAX_NODE_IDS,
  /** Bytes of request body accepted; larger requests get HTTP 413. */
  maxBodyBytes: 256 * 1024,
} as const;

export interface AppOptions {
  db: Db;
  logger?: YogaLogger;
  /** The bearer token writes need. Without one, every mutation is refused; reads stay open. */
  apiToken?: string;
  /**
   * Answers repeated reads from memory until the database changes (default on), keeping at most
   * `maxBytes` of answers (default RESPONSE_CACHE_MB's).
   */
  responseCache?: boolean | { maxBytes?: number };
  /** A request still running this long after it arrived is stopped with TIMEOUT (see src/deadline.ts). */
  requestTimeoutMs?: number;
  /** Log lines this process has dropped because stdout was not read; shown by /health. */
  droppedLogLines?: () => number;
  /** Cache-Control of GET answers without errors (default `no-cache`: revalidate by ETag every time). */
  httpCacheControl?: string;
  /** Which origins browsers may call from (default any, without credentials), and how long a preflight holds. */
  cors?: Partial<CorsSettings>;
  /**
   * Trusted documents (id → text): when given, only these run and query text is refused.
   * Otherwise automatic persisted queries are on.
   */
  trustedDocuments?: ReadonlyMap<string, string>;
  /** Where the explorer's built bundle is (default dist/web, which `npm start` builds). */
  explorerDir?: string;
  /** `@live` queries: the most open at once, and the least time between two runs of one (src/graphql/live.ts). */
  liveQueries?: { max?: number; throttleMs?: number };
  /** One log line per request (src/http/request-log.ts), through `logger`; default on. */
  requestLog?: boolean;
  /** GET /metrics (src/http/metrics.ts); default off. */
  metrics?: boolean | MetricsOptions;
  /** Spans of requests, their phases and SQL statements (src/http/tracing.ts); default off. */
  tracerProvider?: TracerProvider;
  /**
   * Plain reads answered by compiled plans instead of the executor (src/graphql/compiled-reads.ts);
   * default 'on'. 'verify' also runs the executor and fails a request whose answers differ (tests).
   */
  compiledReads?: CompiledReads;
  /**
   * Repeated plain reads answered by the server's handler before yoga (httpHandler, src/http/fast-reads.ts); default on.
   * Off with traces, whose spans follow the pipeline's phases, and with trusted documents.
   */
  fastReads?: boolean;
}

const GRAPHQL_ENDPOINT = '/graphql';

export function createApp({
  db,
  logger,
  apiToken,
  responseCache = true,
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  droppedLogLines,
  httpCacheControl = DEFAULT_HTTP_CACHE_CONTROL,
  cors = {},
  trustedDocuments,
  liveQueries = {},
  explorerDir,
  requestLog = true,
  metrics: metricsOptions = false,
  tracerProvider,
  compiledReads = 'on',
  fastReads = true,
}: AppOptions) {
  const writeAccess = writeAccessChecker(apiToken);
  const log: YogaLogger = logger ?? createLogger('info');
  const logged = new WeakSet<object>();
  // The signals (docs/operations.md#observability): each is added only when on, so what is off costs nothing.
  const answered: ((answer: Answered) => void)[] = [];
  const statementObservers: StatementObserver[] = [];
  const signals: Plugin[] = [useRequestRecords(answered)];
  if (requestLog) answered.push(requestLogLine(log));
  const metrics = metricsOptions ? new Metrics() : undefined;
  if (metrics) {
    answered.push(metrics.answered);
    statementObservers.push(metrics.observeStatement);
    signals.push(useMetrics(metrics, typeof metricsOptions === 'object' ? metricsOptions : {}));
  }
  if (tracerProvider) {
    const tracing = useTracing(tracerProvider);
    statementObservers.push(tracing.observeStatement);
    signals.push(tracing.plugin);
  }
  const [onlyObserver] = statementObservers;
  if (statementObservers.length === 1) timeStatements(db, onlyObserver!);
  if (statementObservers.length > 1) timeStatements(db, (...args) => statementObservers.forEach((observe) => observe(...args)));
  const budget = new QueryBudget(LIMITS.maxNodes);
  const cache = responseCache ? changeAwareResponseCache(db, responseCache === true ? undefined : responseCache.maxBytes) : undefined;
  const prepared = fastReads && !tracerProvider && !trustedDocuments ? new PreparedReads() : undefined;
  const fast = prepared && fastReadsOf({ db, schema, mode: compiledReads, prepared, budget, cache, answered, graphqlEndpoint: GRAPHQL_ENDPOINT, requestTimeoutMs, maxBodyBytes: LIMITS.maxBodyBytes });
  const yoga = createYoga<{}, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    context: ({ request }) => ({ db, ...writeAccess(request.headers.get('authorization')) }),
    logging: withoutMaskedErrorLines(log, logged),
    landingPage: false,
    cors: corsOptions({ origins: '*', credentials: false, maxAgeSeconds: DEFAULT_CORS_MAX_AGE_S, ...cors }),
    // useBodyLimit bounds every body by its Content-Length before it is read.
    maxRequestBodySize: false,
    // Ours answers /health after asking the database; yoga's own would answer first without asking.
    healthCheckEndpoint: '/.yoga-health-disabled',
    graphiql: true,
    renderGraphiQL: async () => (await playground(GRAPHQL_ENDPOINT)).html,
    maskedErrors: {
      // A refusal (a client's mistake, or the lock held) is one info line: its code, its message and
      // where, each cut short (a 200 KB cursor is quoted in its message) and no stack. A storage
      // fault is a warning; anything else is an error, with its stack.
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (typeof error === 'object' && error !== null) logged.add(error);
        const refused = (answer: GraphQLError) => {
          const code = withCode(answer).extensions.code;
          const path = (error as GraphQLError).path?.join('.');
          log.info({ code, error: truncate(answer.message), path: path === undefined ? undefined : truncate(path) }, `refused a request: ${code}`);
          return answer;
        };
        if (original instanceof PothosValidationError) return refused(new UserError('BAD_USER_INPUT', original.message));
        if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
          if (error.extensions?.code !== 'INTERNAL_SERVER_ERROR') return refused(error);
          log.error({ err: error, path: error.path?.join('.') }, 'unexpected failure');
          return error;
        }
        const code = sqliteCode(original);
        if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
          return refused(unavailable('Another process holds the database; nothing was written. Retry the same request later.', LOCK_RETRY_AFTER_MS));
        }
        const fault = storageFault(original);
        if (fault) {
          noteStorageFault(db.$client, fault);
          log.warn({ code: fault.code, error: truncate((original as Error).message) }, `storage fault ${fault.code}`);
          return unavailable(fault.message, FAULT_RETRY_AFTER_MS);
        }
        // PostgreSQL's errors and lost connections, through the one table of src/db/postgres-errors.ts.
        const answer = postgresError(original ?? error);
        if (answer?.extensions.code === 'UNAVAILABLE') {
          const code = postgresCode(original ?? error);
          log.warn({ code, error: truncate(String((original as Error | undefined)?.message ?? answer.message)) }, `database fault ${code}`);
          return answer;
        }
        if (answer) return refused(answer);
        log.error({ err: original ?? error, path: error instanceof GraphQLError ? error.path?.join('.') : undefined }, 'unexpected failure');
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: [
      // First: they see every request, and every other plugin's refusal.
      ...signals,
      usePageHeaders(GRAPHQL_ENDPOINT),
      useExplorer(explorerDir),
      useHealth(db, log, droppedLogLines),
      useLinkedData(db),
      useBodyLimit(LIMITS.maxBodyBytes),
      useHttpCaching(GRAPHQL_ENDPOINT, httpCacheControl),
      // Before everything that reads the query: it fills in the query a hash names.
      trustedDocuments ? useTrustedDocuments(trustedDocuments) : useAutomaticPersistedQueries(),
      EnvelopArmorPlugin({
        maxDepth: { n: LIMITS.maxDepth, ignoreIntrospection: true },
        maxAliases: { n: LIMITS.maxAliases },
        maxTokens: { n: LIMITS.maxTokens },
        maxDirectives: { n: LIMITS.maxDirectives },
        // The node budget replaces it: it counts pages given in variables, and the lists' bounds.
        costLimit: { enabled: false },
        blockFieldSuggestion: { enabled: false },
      }),
      useErrorCodes(),
      // Before the response cache, so an answer kept in memory carries its cost too.
      useQueryBudget(budget),
      // Before the deadline and the response cache, which wrap its execution: its statements run
      // inside the request's deadline, and the cache sees its answers as it sees the executor's.
      useCompiledReads(db, compiledReads, prepared),
      // After the budget (refused before a slot is taken), before the deadline: each run has its own.
      useLiveQueries(db, {
        max: liveQueries.max ?? DEFAULT_LIVE_QUERY_MAX,
        throttleMs: liveQueries.throttleMs ?? DEFAULT_LIVE_QUERY_THROTTLE_MS,
        timeoutMs: requestTimeoutMs,
        log,
        counted: metrics ? (open) => metrics.live.set(open) : undefined,
      }),
      // Before the response cache: its execution runs inside the deadline's.
      useDeadline(requestTimeoutMs),
      // Before the response cache, which keeps the answer's text: see field-order.ts.
      ...(fieldsSettleOutOfOrder(db) ? [useFieldOrder()] : []),
      ...(cache ? [cache.plugin] : []),
      // Last: it learns the headers every other plugin has set on an answer, for the handler to send.
      ...(fast ? [fast.plugin] : []),
    ],
  });
  handlers.set(yoga, fast ? fast.handler(yoga) : yoga);
  return yoga;
}

export type App = ReturnType<typeof createApp>;

const handlers = new WeakMap<App, NodeHandler>();

/**
 * The request handler a node:http server serves `app` with: the fast path of repeated reads
 * (src/http/fast-reads.ts) in front of yoga. (`app.fetch` runs the pipeline alone.)
 */
export function httpHandler(app: App): NodeHandler {
  return handlers.get(app) ?? app;
}
