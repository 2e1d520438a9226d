import { GraphQLError } from 'graphql';
import { DUPLICATE_ROW, type ErrorCode, UserError } from '../domain/errors';
import { FAULT_RETRY_AFTER_MS, POSTGRES_STORAGE_FAULTS } from './faults';
import { LOCK_RETRY_AFTER_MS } from './write-lock';

/**
 * The one table from what PostgreSQL and node-postgres raise to the contract's errors
 * (src/domain/errors.ts): SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * and the socket errors of a connection that is refused or lost. app.ts's maskError asks it beside
 * SQLite's codes, so the GraphQL layer does not care which engine raised an error. It reads
 * `code`, `detail` and `constraint` off the error and its causes only: node-postgres is not
 * imported, so a SQLite server does not load it.
 */

/** What a client is told to wait before retrying after the database connection was lost or refused. */
export const CONNECTION_RETRY_AFTER_MS = 1000;

/** Socket errors of a connection that is refused, reset or cannot be made: the database is out of reach. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node-postgres' own errors (no code) for a connection that broke, timed out or was closed under the query. */
const LOST_CONNECTION = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end)/;

const CONNECTION_LOST =
  'The server lost its connection to the database while answering. Retry the same request after retryAfterMs: a read is safe to repeat, and a write sent with a clientMutationId is not carried out twice.';

interface Rule {
  /** A SQLSTATE, or a class (its first two characters). */
  match: string;
  code: ErrorCode | ((error: PgErrorFields) => ErrorCode);
  message: string | ((error: PgErrorFields) => string);
  retryAfterMs?: number;
}

/** The fields of a PostgreSQL error (node-postgres' DatabaseError) this table reads. */
interface PgErrorFields {
  code: string;
  message: string;
  detail?: string;
  constraint?: string;
  column?: string;
  table?: string;
}

const stillReferenced = (e: PgErrorFields) => /is still referenced/.test(e.detail ?? '');
const named = (what: string | undefined, prefix = ' ') => (what ? `${prefix}${what}` : '');

/**
 * Exact SQLSTATEs first, then classes. Texts follow SQLite's where the meaning is the same
 * (write-lock.ts, faults.ts, writes/common.ts).
 */
const RULES: readonly Rule[] = [
  { match: '23505', code: 'CONFLICT', message: DUPLICATE_ROW },
  {
    match: '23503',
    // A reference to a row that is gone (deleted between the check and the write) is what SQLite's
    // checks report as NOT_FOUND; a delete of a row still referenced, what deleteEntity reports as CONFLICT.
    code: (e) => (stillReferenced(e) ? 'CONFLICT' : 'NOT_FOUND'),
    message: (e) =>
      stillReferenced(e)
        ? `This row is still referenced${named(e.table, ' from ')}; nothing was written. Remove or change those references first.`
        : 'A row this request refers to does not exist (any more); nothing was written. Use an id this API returned, and check that it was not deleted.',
  },
  { match: '23514', code: 'BAD_USER_INPUT', message: (e) => `A value breaks the rule${named(e.constraint)}; nothing was written. Change the value the rule names.` },
  { match: '23502', code: 'BAD_USER_INPUT', message: (e) => `A required value${named(e.column)} is missing; nothing was written. Give it a value.` },
  { match: '22003', code: 'BAD_USER_INPUT', message: 'A number in the request is out of the range the database stores (ids and counts fit in 32 bits). Use an id this API returned, or a smaller number.' },
  { match: '22021', code: 'BAD_USER_INPUT', message: 'A text in the request holds a byte sequence the database cannot store (such as a NUL character). Remove it.' },
  { match: '22P05', code: 'BAD_USER_INPUT', message: 'A text in the request holds a character the database cannot store. Remove it.' },
  { match: '22', code: 'BAD_USER_INPUT', message: (e) => `A value in the request is not one the database accepts (${e.message}). Change it.` },
  {
    match: '57014',
    code: 'TIMEOUT',
    message: `The database stopped this request's statement for taking too long. Ask for less at once: narrow the query or request smaller pages, and page through with "after".`,
  },
  // Only what the write helper's retries gave up on reaches the client.
  { match: '40001', code: 'UNAVAILABLE', message: 'Other requests kept changing the same rows at once; nothing was written. Retry the same request.', retryAfterMs: LOCK_RETRY_AFTER_MS },
  { match: '40P01', code: 'UNAVAILABLE', message: 'Other requests kept changing the same rows at once; nothing was written. Retry the same request.', retryAfterMs: LOCK_RETRY_AFTER_MS },
  { match: '55P03', code: 'UNAVAILABLE', message: 'Another process holds the database; nothing was written. Retry the same request later.', retryAfterMs: LOCK_RETRY_AFTER_MS },
  // Disk full, I/O errors, damaged data, read-only: also what /health reports degraded (src/db/faults.ts).
  ...POSTGRES_STORAGE_FAULTS.map(({ match, message }): Rule => ({ match, code: 'UNAVAILABLE', message, retryAfterMs: FAULT_RETRY_AFTER_MS })),
  { match: '53300', code: 'UNAVAILABLE', message: 'The database has no connection to spare (too many clients). Retry the same request later.', retryAfterMs: CONNECTION_RETRY_AFTER_MS },
  { match: '53', code: 'UNAVAILABLE', message: 'The database ran short of resources (memory or disk); nothing was written. Retry later; the server log says more.', retryAfterMs: FAULT_RETRY_AFTER_MS },
  { match: '57P01', code: 'UNAVAILABLE', message: CONNECTION_LOST, retryAfterMs: CONNECTION_RETRY_AFTER_MS },
  { match: '57P02', code: 'UNAVAILABLE', message: CONNECTION_LOST, retryAfterMs: CONNECTION_RETRY_AFTER_MS },
  { match: '57P03', code: 'UNAVAILABLE', message: 'The database is starting up or shutting down. Retry the same request after retryAfterMs.', retryAfterMs: CONNECTION_RETRY_AFTER_MS },
  { match: '57P04', code: 'UNAVAILABLE', message: CONNECTION_LOST, retryAfterMs: CONNECTION_RETRY_AFTER_MS },
  { match: '08', code: 'UNAVAILABLE', message: CONNECTION_LOST, retryAfterMs: CONNECTION_RETRY_AFTER_MS },
  // The database or the role went away, or its password changed, while the server ran.
  { match: '3D000', code: 'UNAVAILABLE', message: 'The database the server uses does not exist any more. Retry later; the server log says more.', retryAfterMs: FAULT_RETRY_AFTER_MS },
  { match: '28', code: 'UNAVAILABLE', message: `The database refused the server's login. Retry later; the server log says more.`, retryAfterMs: FAULT_RETRY_AFTER_MS },
];

const EXACT = new Map(RULES.filter((r) => r.match.length === 5).map((r) => [r.match, r]));
const CLASSES = new Map(RULES.filter((r) => r.match.length === 2).map((r) => [r.match, r]));

/** What one look down an error's causes found: PostgreSQL's own error, or a lost connection. */
type Found = { kind: 'sqlstate'; error: PgErrorFields } | { kind: 'connection'; error: Error };

/**
 * PostgreSQL's error (a SQLSTATE with a severity, as node-postgres' DatabaseError carries) or a
 * connection error in `error` or the errors it wraps: drizzle reports a failed statement as its
 * own error with the driver's as `cause`, and Node a refused connect to a name with several
 * addresses as an AggregateError.
 */
function find(error: unknown): Found | undefined {
  for (let at = error, depth = 0; at && typeof at === 'object' && depth < 5; depth++) {
    const { code, severity, message } = at as { code?: unknown; severity?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { kind: 'sqlstate', error: at as PgErrorFields };
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return { kind: 'connection', error: at as Error };
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return { kind: 'connection', error: at as Error };
    const errors = (at as { errors?: unknown }).errors;
    at = Array.isArray(errors) && errors.length > 0 ? errors[0] : (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The SQLSTATE in `error` or its causes (e.g. "23505"), or its socket code ("ECONNREFUSED"). */
export function postgresCode(error: unknown): string | undefined {
  const found = find(error);
  if (!found) return undefined;
  return found.kind === 'sqlstate' ? found.error.code : ((found.error as NodeJS.ErrnoException).code ?? 'connection lost');
}

/** A serialization failure or deadlock: the transaction wrote nothing, and running it again may succeed. */
export function isRetryable(error: unknown): boolean {
  const code = postgresCode(error);
  return code === '40001' || code === '40P01';
}

/**
 * The contract error for what PostgreSQL or its connection raised, or undefined when `error` is
 * not theirs (or is, but means a bug of ours: a syntax error, an undefined column). A contract
 * error already in its causes (a request's TIMEOUT, thrown while a statement was stopped) is
 * returned as it is.
 */
export function postgresError(error: unknown): UserError | undefined {
  for (let at = error, depth = 0; at && typeof at === 'object' && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    if (at instanceof UserError) return at;
    if (at instanceof GraphQLError) break;
  }
  const found = find(error);
  if (!found) return undefined;
  if (found.kind === 'connection') return new UserError('UNAVAILABLE', CONNECTION_LOST, { retryAfterMs: CONNECTION_RETRY_AFTER_MS });
  const rule = EXACT.get(found.error.code) ?? CLASSES.get(found.error.code.slice(0, 2));
  if (!rule) return undefined;
  const message = typeof rule.message === 'string' ? rule.message : rule.message(found.error);
  const code = typeof rule.code === 'string' ? rule.code : rule.code(found.error);
  return new UserError(code, message, rule.retryAfterMs === undefined ? {} : { retryAfterMs: rule.retryAfterMs });
}

/** Whether the answer says the database is out of reach or short of something (a warning), not that the request was wrong. */
export const isFault = (answer: UserError) => answer.extensions.code === 'UNAVAILABLE';

/**
 * One line for a person who set DATABASE_URL, saying what failed and what to change: what the
 * server prints when it cannot start on PostgreSQL, and /health's reason. The password is never shown.
 */
export function describePostgresFailure(error: unknown, url: string): string {
  let where = 'the server in DATABASE_URL';
  let user = '';
  let database = '';
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname || 'localhost'}:${parsed.port || 5432}`;
    user = decodeURIComponent(parsed.username);
    database = decodeURIComponent(parsed.pathname.slice(1));
  } catch {
    // config.ts accepted it; node-postgres reads more forms than URL does.
  }
  const code = postgresCode(error);
  const found = find(error);
  const message = (found?.error.message || (error as Error | undefined)?.message || String(error)).split('\n')[0] ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${where} (connection refused): start PostgreSQL there, or fix the host and port in DATABASE_URL`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host of DATABASE_URL (${where}) cannot be resolved: fix the host name`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} cannot be reached (${code}): check the host in DATABASE_URL and that the network lets this server through`;
    case '28P01':
      return `PostgreSQL at ${where} refused the password of user "${user}": fix the user and password in DATABASE_URL`;
    case '28000':
      return `PostgreSQL at ${where} does not let user "${user}" in (${message}): allow it in pg_hba.conf, or use another user in DATABASE_URL`;
    case '3D000':
      return `the database "${database}" does not exist at ${where}: create it (createdb ${database || '<name>'}), or fix its name in DATABASE_URL`;
    case '53300':
      return `PostgreSQL at ${where} has no connection to spare (too many clients): raise max_connections, or stop other clients`;
    case '57P03':
      return `PostgreSQL at ${where} is starting up or shutting down: start the server again once it is up`;
  }
  if (/timeout exceeded|connection timeout/i.test(message)) {
    return `${where} did not accept a connection in time: check that PostgreSQL runs there and that the network lets this server through`;
  }
  if (/password must be a string|no password/i.test(message)) {
    return `PostgreSQL at ${where} asks user "${user}" for a password and DATABASE_URL gives none: add it (postgres://user:password@host/database)`;
  }
  return message;
}
