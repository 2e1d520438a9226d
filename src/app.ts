import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaLogger } from 'graphql-yoga';
import { writeAccessChecker } from './auth';
import { useChangeAwareResponseCache } from './cache';
import type { Db } from './db';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './config';
import { useDeadline } from './deadline';
import { type ErrorCode, UserError } from './errors';
import type { Context } from './graphql/builder';
import { PLAYGROUND_TABS } from './graphql/playground';
import { schema } from './graphql/schema';

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
  /**
   * Answers repeated reads from memory until the database changes (default on), keeping at most
   * `maxBytes` of answers (default RESPONSE_CACHE_MB's).
   */
  responseCache?: boolean | { maxBytes?: number };
  /** A request still running this long after it arrived is stopped with TIMEOUT (see src/deadline.ts). */
  requestTimeoutMs?: number;
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

/** `GET /health`: 200 while the database answers. */
function useHealth(db: Db): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/health') return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      let ok = true;
      try {
        db.$client.prepare('SELECT 1').get();
      } catch {
        ok = false;
      }
      endResponse(jsonResponse(fetchAPI, { status: ok ? 'ok' : 'unavailable' }, ok ? 200 : 503));
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

export function createApp({ db, logger, apiToken, responseCache = true, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS }: AppOptions) {
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
        (logger ?? console).error(original ?? error);
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: [
      useHealth(db),
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
      // Before the response cache: its execution runs inside the deadline's.
      useDeadline(requestTimeoutMs),
      ...(responseCache ? [useChangeAwareResponseCache(db, responseCache === true ? undefined : responseCache.maxBytes)] : []),
    ],
  });
}

export type App = ReturnType<typeof createApp>;
