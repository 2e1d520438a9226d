import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaLogger } from 'graphql-yoga';
import { writeAccessChecker } from './auth';
import { useChangeAwareResponseCache } from './cache';
import { type DatabaseHealth, databaseHealth, databaseLost, type Db, FAULT_RETRY_AFTER_MS, FILE_CHECK_INTERVAL_MS, noteStorageFault, onDatabaseLost, sqliteCode, storageFault } from './db';
import { type ErrorCode, UserError, unavailable } from './errors';
import type { Context } from './graphql/builder';
import { PLAYGROUND_TABS } from './graphql/playground';
import { schema } from './graphql/schema';
import { LOCK_RETRY_AFTER_MS } from './graphql/write-guard';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './model/json';

/**
 * The production limits, fitted to our own deepest legitimate query (source → claims → about →
 * relationships → subject, with connections' edges/node levels) with room to spare.
 */
export const LIMITS = {
  maxDepth: 15,
  maxAliases: 30,
  maxTokens: 2000,
  maxDirectives: 30,
  maxCost: 60000,
  /** Bytes of request body accepted; larger requests get HTTP 413. */
  maxBodyBytes: 256 * 1024,
} as const;

const CODES = new Set<string>(['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'UNAVAILABLE', 'TIMEOUT']);
const LIMIT_ERROR = /^Syntax Error: (Token limit|Query depth limit|Aliases limit|Query Cost limit|Directives limit)/;

export interface AppOptions {
  db: Db;
  logger?: YogaLogger;
  /** The bearer token writes need. Without one, every mutation is refused; reads stay open. */
  apiToken?: string;
  /** Answers repeated reads from memory until the database changes (default on). */
  responseCache?: boolean;
}

/** Every error leaves with one of the contract's codes: a person's mistake, or a masked failure. */
function withCode(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  if (typeof code === 'string' && (CODES.has(code) || code === 'INTERNAL_SERVER_ERROR')) return error;
  const limit = LIMIT_ERROR.test(error.message);
  const recoded: ErrorCode = limit ? 'QUERY_TOO_COMPLEX' : 'BAD_USER_INPUT';
  return new GraphQLError(limit ? error.message.replace(/^Syntax Error: /, '') : error.message, {
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
function useHealth(db: Db, log: YogaLogger): Plugin {
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
      endResponse(jsonResponse(fetchAPI, health, health.status === 'ok' ? 200 : 503));
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

let playgroundHtml: Promise<string> | undefined;

/**
 * The playground page, assets inlined: it loads nothing from outside this process. Its bundle
 * (about 50 MB once loaded) is imported on the first visit, so a server only ever asked for
 * GraphQL never holds it.
 */
function playground(): Promise<string> {
  playgroundHtml ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) =>
    renderGraphiQL({
      title: 'claimgraph',
      defaultTabs: PLAYGROUND_TABS,
      defaultQuery: PLAYGROUND_TABS[0]!.query ?? undefined,
    }),
  );
  return playgroundHtml;
}

export function createApp({ db, logger, apiToken, responseCache = true }: AppOptions) {
  const writeAccess = writeAccessChecker(apiToken);
  return createYoga<{}, Context>({
    schema,
    context: ({ request }) => ({ db, ...writeAccess(request.headers.get('authorization')) }),
    logging: logger ?? 'info',
    landingPage: false,
    // useBodyLimit bounds every body by its Content-Length before it is read.
    maxRequestBodySize: false,
    // Ours answers /health after asking the database; yoga's own would answer first without asking.
    healthCheckEndpoint: '/.yoga-health-disabled',
    graphiql: true,
    renderGraphiQL: playground,
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof PothosValidationError) {
          return new UserError('BAD_USER_INPUT', original.message);
        }
        if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return error;
        const code = sqliteCode(original);
        if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
          return unavailable('Another process holds the database; nothing was written. Retry the same request later.', LOCK_RETRY_AFTER_MS);
        }
        const fault = storageFault(original);
        if (fault) {
          noteStorageFault(db.$client, fault);
          (logger ?? console).warn(`storage fault ${fault.code}: ${(original as Error).message}`);
          return unavailable(fault.message, FAULT_RETRY_AFTER_MS);
        }
        (logger ?? console).error(original ?? error);
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: [
      useHealth(db, logger ?? console),
      useBodyLimit(LIMITS.maxBodyBytes),
      EnvelopArmorPlugin({
        maxDepth: { n: LIMITS.maxDepth, ignoreIntrospection: true },
        maxAliases: { n: LIMITS.maxAliases },
        maxTokens: { n: LIMITS.maxTokens },
        maxDirectives: { n: LIMITS.maxDirectives },
        costLimit: { maxCost: LIMITS.maxCost, ignoreIntrospection: true },
        blockFieldSuggestion: { enabled: false },
      }),
      useErrorCodes(),
      ...(responseCache ? [useChangeAwareResponseCache(db)] : []),
    ],
  });
}

export type App = ReturnType<typeof createApp>;
