import { GraphQLError } from 'graphql';
import type { Plugin, YogaLogger } from 'graphql-yoga';
import { type ErrorCode, ERROR_CODES } from '../domain/errors';
import { explainLimit } from '../graphql/budget';

const CODES = new Set<string>(ERROR_CODES);

/** Every error leaves with one of the contract's codes: a person's mistake, or a masked failure. */
export function withCode(error: GraphQLError): GraphQLError {
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

/** Recodes, on the way out, every error graphql-js, yoga or graphql-armor raised without a contract code. */
export function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      setResult({ ...result, errors: result.errors.map((e) => withCode(e as GraphQLError)) });
    },
  };
}

/**
 * yoga writes an error line for every error maskError replaces, stack and all, whatever it was.
 * maskError logs each error itself, at the level it deserves, so those lines are left out here.
 */
export function withoutMaskedErrorLines(logger: YogaLogger, logged: WeakSet<object>): YogaLogger {
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
