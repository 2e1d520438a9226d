import { GraphQLError } from 'graphql';

/**
 * The contract's error codes. Anything thrown without one is masked as an unexpected failure.
 * UNAVAILABLE is retryable (the write lock is held, the disk is full, the server is stopping) and
 * carries `retryAfterMs`; TIMEOUT: the request ran past its deadline and was stopped.
 * PERSISTED_QUERY_NOT_FOUND: a request named its document by hash only, and this process does not
 * know it: send the query text with the hash (what Apollo's persisted-query link does on it).
 */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFLICT',
  'QUERY_TOO_COMPLEX',
  'UNAVAILABLE',
  'TIMEOUT',
  'PERSISTED_QUERY_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class UserError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const badInput = (message: string, field?: string) =>
  new UserError('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (message: string, field?: string) =>
  new UserError('NOT_FOUND', message, field ? { field } : {});
export const conflict = (message: string, field?: string, extra: Record<string, unknown> = {}) =>
  new UserError('CONFLICT', message, { ...(field ? { field } : {}), ...extra });

/** A unique key a write's own checks did not see taken (another writer took it meanwhile), on either engine. */
export const DUPLICATE_ROW = 'This would duplicate a row that already exists; nothing was written.';

/** A retryable refusal: the client may send the same request again after `retryAfterMs`. */
export const unavailable = (message: string, retryAfterMs: number) =>
  new UserError('UNAVAILABLE', message, { retryAfterMs });
