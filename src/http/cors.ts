import type { CORSOptions } from 'graphql-yoga';
import { CONSISTENCY_HEADER } from './consistency';

export interface CorsSettings {
  /** `*`: any origin, never with credentials; or the origins allowed. */
  origins: '*' | readonly string[];
  /** Whether the listed origins may send credentials (cookies); writes take a bearer token, which needs none. */
  credentials: boolean;
  /** Seconds a browser may reuse a preflight's answer. */
  maxAgeSeconds: number;
}

/** The request headers a browser may send cross-origin: the token, the JSON body, revalidation, its own request id, and a write's consistency token. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'If-None-Match', 'X-Request-Id', CONSISTENCY_HEADER];

/**
 * yoga's CORS options from ours. yoga's default reflects every origin with credentials; here `*`
 * reflects every origin without them (the API's writes use a bearer token, not cookies), and a
 * list allows only its origins (any other is answered `null`, which a browser refuses).
 */
export function corsOptions({ origins, credentials, maxAgeSeconds }: CorsSettings): CORSOptions {
  return {
    origin: origins === '*' ? '*' : [...origins],
    credentials: origins !== '*' && credentials,
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    // A page may read the validator of what it fetched (e.g. to send If-None-Match itself), and
    // the request's id, to quote when it reports a problem (src/http/request-log.ts).
    // and a write's consistency token, to send with the reads that must see it (src/http/consistency.ts).
    exposedHeaders: ['ETag', 'X-Request-Id', CONSISTENCY_HEADER],
    maxAge: maxAgeSeconds,
  };
}
