import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { PothosValidationError } from '@pothos/core';
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createLogger, createYoga, type Plugin, type YogaLogger } from 'graphql-yoga';
import { writeAccessChecker } from './auth';
import { useChangeAwareResponseCache } from './cache';
import {
  type DatabaseHealth,
  databaseHealth,
  databaseLost,
  type Db,
  FAULT_RETRY_AFTER_MS,
  FILE_CHECK_INTERVAL_MS,
  LOCK_RETRY_AFTER_MS,
  noteStorageFault,
  onDatabaseLost,
  sqliteCode,
  storageFault,
} from './db';
import { type ErrorCode, UserError, unavailable } from './domain/errors';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './config';
import { useDeadline } from './deadline';
import type { Context } from './graphql/builder';
import { explainLimit, NODE_LIMIT, useQueryBudget } from './graphql/budget';
import { MAX_NODE_IDS } from './graphql/connection-limits';
import { PLAYGROUND_TABS } from './graphql/playground';
import { schema } from './graphql/schema';
import { truncate } from './log';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './model/json';

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

const CODES = new Set<string>(['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'UNAVAILABLE', 'TIMEOUT']);

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
}

/** Every error leaves with one of the contract's codes: a person's mistake, or a masked failure. */
function withCode(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  if (typeof code === 'string' && (CODES.has(code) || code === 'INTERNAL_SERVER_ERROR')) return error;
  const explained = explainLimit(error.message);
  const recoded: ErrorCode = explained ? 'QUERY_TOO_COMPLEX' : 'BAD_USER_INPUT';
  return new GraphQLError(explained ?? error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: recoded },
  });
}

function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      setResult({ ...result, errors: result.errors.map((e) => withCode(e as GraphQLError)) });
    },
  };
}

function jsonResponse(fetchAPI: { Response: typeof Response }, body: unknown, status: number) {
  return new fetchAPI.Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * `GET /health`: 200 `{"status":"ok"}` while the database answers and takes writes; 503
 * `{"status":"degraded"}` while writes fail for want of disk (see databaseHealth), and 503
 * `{"status":"unavailable"}` once the database file is gone or replaced, or does not answer.
 * Once the file is lost, every GraphQL request is refused too (the response cache included): the
 * process serves nothing from a database it no longer shares with the next start.
 */
function useHealth(db: Db, log: YogaLogger, droppedLogLines?: () => number): Plugin {
  onDatabaseLost(db.$client, (reason) =>
    log.error(`${reason}: refusing every request. Restart the server (restore the file from a backup first if it is gone); writes acknowledged before this are in the lost file.`),
  );
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/health') {
        const lost = databaseLost(db.$client, FILE_CHECK_INTERVAL_MS);
        if (!lost || (request.method === 'GET' && request.headers.get('accept')?.includes('text/html'))) return;
        const refusal = unavailable(`The server lost its database (${lost}); nothing is served until it restarts. Retry later.`, FAULT_RETRY_AFTER_MS);
        endResponse(jsonResponse(fetchAPI, { errors: [refusal.toJSON()] }, 200));
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      let health: DatabaseHealth = databaseHealth(db.$client);
      if (health.status !== 'unavailable') {
        try {
          db.$client.prepare('SELECT 1').get();
        } catch (error) {
          health = { status: 'unavailable', reason: `the database does not answer (${(error as Error).message})`, since: new Date().toISOString() };
        }
      }
      const logs = droppedLogLines ? { droppedLogLines: droppedLogLines() } : {};
      endResponse(jsonResponse(fetchAPI, { ...health, ...logs }, health.status === 'ok' ? 200 : 503));
    },
  };
}

/**
 * Refuses oversized requests before their bodies are read or parsed. A body must say its length
 * (Content-Length, as fetch, curl and every GraphQL client send it): node's parser then reads no
 * more than that, so the header alone bounds it. A body without one (chunked) is refused with 411
 * rather than counted as it streams in, which yoga's own limit (maxRequestBodySize, off) would do
 * for every request through a stream pipeline costing about a tenth of a cached answer.
 */
function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const refuse = (status: number, message: string) =>
        endResponse(jsonResponse(fetchAPI, { errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }, status));
      const header = request.headers.get('content-length');
      if (header === null) {
        if (request.body !== null && request.method !== 'GET' && request.method !== 'HEAD') {
          refuse(411, 'A request body must come with a Content-Length header.');
        }
        return;
      }
      if (!/^\d{1,15}$/.test(header)) return refuse(400, 'The Content-Length header is not a number of bytes.');
      if (Number(header) > maxBytes) refuse(413, `Request body is ${header} bytes; the limit is ${maxBytes}.`);
    },
    onParams({ params }) {
      // Before anything stringifies or walks them: JSON.parse takes any depth, JSON.stringify does not.
      for (const part of ['variables', 'extensions', 'query', 'operationName'] as const) {
        if (nestsDeeperThan(params[part], MAX_JSON_DEPTH)) {
          throw new UserError('BAD_USER_INPUT', `"${part}" nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep; send a flatter value.`, {
            field: part,
            http: { status: 400 },
          });
        }
      }
      const size = (params.query?.length ?? 0) + (params.variables ? JSON.stringify(params.variables).length : 0);
      if (size > maxBytes) {
        throw new UserError('BAD_USER_INPUT', `The request is ${size} characters; the limit is ${maxBytes}.`, { http: { status: 413 } });
      }
    },
  };
}

interface Page {
  html: string;
  /** The page's Content-Security-Policy: its own inline scripts run, nothing else does. */
  policy: string;
}

/**
 * The headers every HTML page carries. The playground gets its own policy; any other page gets
 * one that allows no script, style, frame or request at all.
 */
const PAGE_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;
const STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The playground's policy. Its one inline script runs by its hash; styles must be allowed inline
 * because the editor (Monaco) writes <style> elements and style attributes at run time, which no
 * hash can name; its language workers start from blob: URLs it makes; icons and fonts are data: URLs.
 */
function playgroundPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    'worker-src blob:',
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

let playgroundPage: Promise<Page> | undefined;

/**
 * The playground page, assets inlined: it loads nothing from outside this process. Its bundle
 * is large, so it is imported on the first visit, and a server only ever asked for GraphQL never
 * holds it.
 */
function playground(): Promise<Page> {
  playgroundPage ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => {
    const html = renderGraphiQL({
      title: 'claimgraph',
      defaultTabs: PLAYGROUND_TABS,
      defaultQuery: PLAYGROUND_TABS[0]!.query ?? undefined,
    });
    return { html, policy: playgroundPolicy(html) };
  });
  return playgroundPage;
}

/** Security headers on HTML pages: no framing, no type sniffing, no referrer, a Content-Security-Policy. */
function usePageHeaders(graphqlEndpoint: string): Plugin {
  return {
    async onResponse({ request, response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      for (const [name, value] of Object.entries(PAGE_HEADERS)) response.headers.set(name, value);
      const isPlayground = playgroundPage && new URL(request.url).pathname === graphqlEndpoint;
      response.headers.set('content-security-policy', isPlayground ? (await playground()).policy : STRICT_POLICY);
    },
  };
}

/**
 * yoga writes an error line for every error maskError replaces, stack and all, whatever it was.
 * maskError logs each error itself, at the level it deserves, so those lines are left out here.
 */
function withoutMaskedErrorLines(logger: YogaLogger, logged: WeakSet<object>): YogaLogger {
  return {
    debug: (...args) => logger.debug(...args),
    info: (...args) => logger.info(...args),
    warn: (...args) => logger.warn(...args),
    error: (...args) => {
      if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null && logged.has(args[0])) return;
      logger.error(...args);
    },
  };
}

const GRAPHQL_ENDPOINT = '/graphql';

export function createApp({
  db,
  logger,
  apiToken,
  responseCache = true,
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  droppedLogLines,
}: AppOptions) {
  const writeAccess = writeAccessChecker(apiToken);
  const log: YogaLogger = logger ?? createLogger('info');
  const logged = new WeakSet<object>();
  return createYoga<{}, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    context: ({ request }) => ({ db, ...writeAccess(request.headers.get('authorization')) }),
    logging: withoutMaskedErrorLines(log, logged),
    landingPage: false,
    // useBodyLimit bounds every body by its Content-Length before it is read.
    maxRequestBodySize: false,
    // Ours answers /health after asking the database; yoga's own would answer first without asking.
    healthCheckEndpoint: '/.yoga-health-disabled',
    graphiql: true,
    renderGraphiQL: async () => (await playground()).html,
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
        log.error({ err: original ?? error, path: error instanceof GraphQLError ? error.path?.join('.') : undefined }, 'unexpected failure');
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: [
      usePageHeaders(GRAPHQL_ENDPOINT),
      useHealth(db, log, droppedLogLines),
      useBodyLimit(LIMITS.maxBodyBytes),
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
      useQueryBudget(LIMITS.maxNodes),
      // Before the response cache: its execution runs inside the deadline's.
      useDeadline(requestTimeoutMs),
      ...(responseCache ? [useChangeAwareResponseCache(db, responseCache === true ? undefined : responseCache.maxBytes)] : []),
    ],
  });
}

export type App = ReturnType<typeof createApp>;
