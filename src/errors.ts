import { GraphQLError } from 'graphql';

/** The contract's error codes. Anything thrown without one is masked as an unexpected failure. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'QUERY_TOO_COMPLEX';

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
