import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

/** Per GraphQL request whose answer yoga wrote: whether it carried errors. */
const answered = new WeakMap<Request, { errors: boolean }>();

/** A strong validator of exactly these bytes, as sent with this content type. */
export function etagOf(contentType: string, body: string): string {
  return `"${createHash('sha256').update(contentType).update('\n').update(body).digest('base64url')}"`;
}

/** Whether If-None-Match names this validator (weak comparison, as RFC 9110 asks for it). */
export function matches(ifNoneMatch: string, etag: string): boolean {
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === etag);
}

/** Adds names to a Vary header without repeating one already there. */
function vary(headers: Headers, ...names: string[]) {
  const present = (headers.get('vary') ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const lower = new Set(present.map((name) => name.toLowerCase()));
  headers.set('vary', [...present, ...names.filter((name) => !lower.has(name.toLowerCase()))].join(', '));
}

/**
 * HTTP caching of GraphQL answers that can never show stale data. A GET answer without errors
 * carries an ETag computed from its own bytes (and content type), so it changes exactly when
 * the answer does, whatever changed it; `Cache-Control` is `cacheControl` (`no-cache` by default:
 * a browser asks every time, and a `304 Not Modified` only confirms an answer that is still
 * byte for byte the current one). POST answers, errors, streams and everything else the endpoint
 * answers are `no-store`. The answer is computed either way (from the response cache when it can
 * be): a 304 saves the transfer, not the work.
 */
export function useHttpCaching(graphqlEndpoint: string, cacheControl: string): Plugin {
  return {
    onResultProcess({ request, result }) {
      const errors = Array.isArray(result) || !result || typeof result !== 'object' || Symbol.asyncIterator in result || !!result.errors?.length;
      answered.set(request, { errors });
    },
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (new URL(request.url).pathname !== graphqlEndpoint) return;
      const contentType = response.headers.get('content-type') ?? '';
      if (contentType.startsWith('text/html')) return;
      const answer = answered.get(request);
      const cacheable =
        request.method === 'GET' && response.status === 200 && answer?.errors === false && /^application\/(graphql-response\+)?json\b/.test(contentType);
      if (!cacheable) {
        if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
        return;
      }
      const body = await response.text();
      const etag = etagOf(contentType, body);
      const ifNoneMatch = request.headers.get('if-none-match');
      const notModified = ifNoneMatch !== null && matches(ifNoneMatch, etag);
      const headers = new fetchAPI.Headers();
      for (const [name, value] of response.headers) {
        // A 304 has no body: its headers say only what still holds of the answer kept.
        if (!notModified || !/^content-(type|length)$/i.test(name)) headers.append(name, value);
      }
      headers.set('etag', etag);
      headers.set('cache-control', cacheControl);
      // The same URL answers JSON or graphql-response+json as Accept asks; CORS headers follow Origin.
      vary(headers, 'Accept', 'Origin');
      if (notModified) {
        setResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      setResponse(new fetchAPI.Response(body, { status: 200, headers }));
    },
  };
}
