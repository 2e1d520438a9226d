import type { Plugin } from 'graphql-yoga';
import { UserError } from '../domain/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../model/json';
import { jsonResponse } from './json';

/** What a Content-Length header this server accepts looks like: a number of bytes. */
export const CONTENT_LENGTH = /^\d{1,15}$/;

/**
 * Refuses oversized requests before their bodies are read or parsed. A body must say its length
 * (Content-Length, as fetch, curl and every GraphQL client send it): node's parser then reads no
 * more than that, so the header alone bounds it. A body without one (chunked) is refused with 411
 * rather than counted as it streams in, which yoga's own limit (maxRequestBodySize, off) would do
 * for every request through a stream pipeline costing about a tenth of a cached answer.
 */
export function useBodyLimit(maxBytes: number): Plugin {
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
      if (!CONTENT_LENGTH.test(header)) return refuse(400, 'The Content-Length header is not a number of bytes.');
      if (Number(header) > maxBytes) refuse(413, `Request body is ${header} bytes; the limit is ${maxBytes}.`);
    },
    onParams({ params }) {
      checkParams(params, maxBytes);
    },
  };
}

/** Throws BAD_USER_INPUT for parameters nested too deep to walk safely, or larger than `maxBytes` in all. */
export function checkParams(params: { query?: unknown; variables?: unknown; extensions?: unknown; operationName?: unknown }, maxBytes: number): void {
  // Before anything stringifies or walks them: JSON.parse takes any depth, JSON.stringify does not.
  for (const part of ['variables', 'extensions', 'query', 'operationName'] as const) {
    if (nestsDeeperThan(params[part], MAX_JSON_DEPTH)) {
      throw new UserError('BAD_USER_INPUT', `"${part}" nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep; send a flatter value.`, {
        field: part,
        http: { status: 400 },
      });
    }
  }
  const size = (typeof params.query === 'string' ? params.query.length : 0) + (params.variables ? JSON.stringify(params.variables).length : 0);
  if (size > maxBytes) {
    throw new UserError('BAD_USER_INPUT', `The request is ${size} characters; the limit is ${maxBytes}.`, { http: { status: 413 } });
  }
}
