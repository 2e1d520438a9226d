import { z } from 'zod';

/** How long a request may run before it is stopped (src/deadline.ts). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/**
 * How long a read may wait for a replica to replay what it must see (a consistency token, or a
 * write the process has heard of) before it is sent to the primary instead (src/db/postgres-replicas.ts).
 */
export const DEFAULT_REPLICA_WAIT_MS = 500;
/** Megabytes of answers the response cache keeps per process (src/cache/). */
export const DEFAULT_RESPONSE_CACHE_MB = 32;
/** The most @live queries a server process keeps open at once (src/graphql/live.ts). */
export const DEFAULT_LIVE_QUERY_MAX = 100;
/** The least time between two runs of one @live query, in milliseconds: a burst of writes gives one answer. */
export const DEFAULT_LIVE_QUERY_THROTTLE_MS = 250;
/**
 * How much V8 may grow a server process's heap past what its last collection left live, in
 * percent. By default it grows it up to several times over while requests allocate fast, so
 * under many distinct reads (bench/varied.ts) a process's RSS ran far past what it held live;
 * held to half again, it stays within the memory target at the same throughput
 * (docs/performance.md, "The response cache").
 */
export const HEAP_GROWING_PERCENT = 50;
/** What GET answers of /graphql say in Cache-Control (src/http/caching.ts): ask every time. */
export const DEFAULT_HTTP_CACHE_CONTROL = 'no-cache';
/** Seconds a browser may reuse a CORS preflight's answer before asking again. */
export const DEFAULT_CORS_MAX_AGE_S = 600;

/** An origin as a browser sends it: scheme, host and port, nothing after. */
const isOrigin = (text: string) => {
  try {
    return new URL(text).origin === text;
  } catch {
    return false;
  }
};

/** The only reader of process.env. Every setting has a default that works out of the box. */
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('data/claimgraph.db'),
  /**
   * postgres://user:password@host:port/database: run on that PostgreSQL database instead of the
   * SQLite file DATABASE_PATH names (which is then not used). Unset: SQLite.
   */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'DATABASE_URL must be a PostgreSQL URL such as postgres://claimgraph@127.0.0.1:5432/claimgraph (or unset, for SQLite)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /**
   * postgres://… of the replicas (e.g. HAProxy's port that sends connections to healthy standbys):
   * reads go there, writes to DATABASE_URL's primary, and a client reads its own writes
   * (docs/cluster.md). Unset: everything goes to DATABASE_URL.
   */
  DATABASE_READ_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'DATABASE_READ_URL must be a PostgreSQL URL such as postgres://claimgraph@127.0.0.1:5001/claimgraph (or unset, to read from DATABASE_URL)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** How long a read waits for a replica to catch up with what it must see before it goes to the primary. */
  REPLICA_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_REPLICA_WAIT_MS),
  API_TOKEN: z
    .string()
    .min(16, 'API_TOKEN must be at least 16 characters')
    // A header's value loses its leading and trailing spaces, and `Bearer <token>` ends at the first
    // space: a token with whitespace could never match, so refuse it rather than accept it silently.
    .regex(/^\S+$/, 'API_TOKEN must not contain spaces, tabs or line breaks (check for a stray newline from the file it came from)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Server processes sharing the port and the WAL database: one per core serves the most. */
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  /** Answer repeated reads from memory until the database changes. */
  RESPONSE_CACHE: z.enum(['on', 'off']).default('on'),
  /** Answer plain reads with compiled plans instead of the GraphQL executor (src/graphql/compiled-reads.ts). */
  COMPILED_READS: z.enum(['on', 'off']).default('on'),
  /**
   * How long a stopping process may take to finish requests in flight and write its last log
   * lines before it exits regardless (closing whatever is still open).
   */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Megabytes of answers the response cache keeps per process; the least recently used go first. */
  RESPONSE_CACHE_MB: z.coerce.number().min(1).max(65536).default(DEFAULT_RESPONSE_CACHE_MB),
  /** A request still running this many milliseconds after it arrived is stopped with TIMEOUT. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
  /**
   * Cache-Control of GET answers without errors; `no-cache` makes browsers revalidate every time
   * (ETag). POST answers and errors are always `no-store`.
   */
  HTTP_CACHE_CONTROL: z
    .string()
    .regex(/^[\x20-\x7e]+$/, 'HTTP_CACHE_CONTROL must be printable ASCII on one line, e.g. "no-cache" or "public, max-age=5"')
    .default(DEFAULT_HTTP_CACHE_CONTROL),
  /** `*` (any origin, without credentials) or a comma-separated list of origins (https://app.example.com). */
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((text) => (text.trim() === '*' ? ('*' as const) : text.split(',').map((origin) => origin.trim()).filter(Boolean)))
    .refine((origins) => origins === '*' || (origins.length > 0 && origins.every(isOrigin)), {
      message: 'CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (scheme, host and port, no path or trailing slash)',
    }),
  /** Whether listed origins may send credentials (cookies); never with `*`. */
  CORS_CREDENTIALS: z.enum(['on', 'off']).default('off'),
  /** Seconds a browser may reuse a CORS preflight's answer. */
  CORS_MAX_AGE_S: z.coerce.number().int().min(0).max(86_400).default(DEFAULT_CORS_MAX_AGE_S),
  /** A JSON manifest of trusted documents (id → document): only these are run, no other query text. */
  TRUSTED_DOCUMENTS: z.string().min(1).optional().or(z.literal('').transform(() => undefined)),
  /** The most @live queries a server process keeps open at once; past it, UNAVAILABLE. */
  LIVE_QUERY_MAX: z.coerce.number().int().min(0).max(100_000).default(DEFAULT_LIVE_QUERY_MAX),
  /** The least time between two runs of one @live query, and how often other processes' writes are looked for. */
  LIVE_QUERY_THROTTLE_MS: z.coerce.number().int().min(10).max(60_000).default(DEFAULT_LIVE_QUERY_THROTTLE_MS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` lines, `pretty` one-line text for a person, or `auto`: pretty when stdout is a terminal, else JSON. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** One log line per request: its id, operation, status, duration, cost and cache outcome. */
  REQUEST_LOG: z.enum(['on', 'off']).default('on'),
  /** GET /metrics in Prometheus' text format. Off by default: it tells whoever reaches the port what the server does. */
  METRICS: z.enum(['on', 'off']).default('off'),
  /** A bearer token /metrics then asks for (`Authorization: Bearer <token>`). */
  METRICS_TOKEN: z
    .string()
    .min(16, 'METRICS_TOKEN must be at least 16 characters')
    .regex(/^\S+$/, 'METRICS_TOKEN must not contain spaces, tabs or line breaks')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Where traces go over OTLP/HTTP (e.g. http://collector:4318; spans are sent to its /v1/traces). Unset: no tracing, at no cost. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL such as http://localhost:4318')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** The service name traces carry. */
  OTEL_SERVICE_NAME: z.string().min(1).default('claimgraph'),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  if (parsed.data.CORS_CREDENTIALS === 'on' && parsed.data.CORS_ORIGINS === '*') {
    throw new ConfigError('Invalid configuration: CORS_CREDENTIALS: on needs CORS_ORIGINS to list the origins allowed; with * every site could send credentials');
  }
  if (parsed.data.DATABASE_READ_URL && !parsed.data.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_READ_URL is set but DATABASE_URL is not: set DATABASE_URL to the primary (writes go there), or unset DATABASE_READ_URL');
  }
  if (parsed.data.METRICS_TOKEN && parsed.data.METRICS === 'off') {
    throw new ConfigError('Invalid configuration: METRICS_TOKEN is set but METRICS is off: set METRICS=on to serve /metrics, or unset METRICS_TOKEN');
  }
  return parsed.data;
}
