import { randomUUID } from 'node:crypto';
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin, YogaLogger } from 'graphql-yoga';
import { cachedCost, cacheOutcome, type CacheOutcome } from '../cache';
import { withCode } from './errors';

/** The header a request's id arrives in (from a proxy that set it) and leaves in. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** The operation's name when the document starts with it: a cache hit runs no execution that would tell. */
const LEADING_NAME = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;
/** An incoming id is kept when it looks like one (a UUID, a proxy's hex or base64 token); otherwise a new one is made. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/** What one request did, as its log line and the metrics see it once it is answered. */
export interface RequestRecord {
  id: string;
  method: string;
  path: string;
  startedAt: number;
  /** The operation's name (`operationName`, else the document's), when it is a GraphQL request. */
  operation?: string;
  /** The codes of the answer's errors, in order, each once. */
  codes: string[];
  /** extensions.cost.requestedNodes of the answer. */
  cost?: number;
  /** Whether it was a refusal by the node budget (QUERY_TOO_COMPLEX carrying its cost). */
  overBudget: boolean;
  context?: object;
  /** Whether the request named its operation (operationName), rather than its document. */
  named?: boolean;
  /** Whether the fast path of repeated reads answered it (src/http/fast-reads.ts). */
  fast?: boolean;
}

export interface Answered {
  record: RequestRecord;
  status: number;
  ms: number;
  cache: CacheOutcome;
}

const records = new WeakMap<Request, RequestRecord>();

/**
 * Follows every request from arrival to answer: gives it an id (a sane incoming `x-request-id`,
 * or a new UUID) that the response carries back, notes its operation, the codes of its errors,
 * its cost and whether the response cache answered it, and hands the lot to `answered` (the
 * request log line, the metrics). First among the plugins, so that it sees every request and
 * the others' refusals.
 */
export function useRequestRecords(answered: ((answer: Answered) => void)[]): Plugin {
  return {
    onRequest({ request, url }) {
      const incoming = request.headers.get(REQUEST_ID_HEADER);
      const id = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      records.set(request, { id, method: request.method, path: url.pathname, startedAt: performance.now(), codes: [], overBudget: false });
    },
    onParams({ request, params, context }) {
      noteParams(request, params, context);
    },
    onExecute({ args }) {
      noteDocument((args.contextValue as { request: Request }).request, args.document);
    },
    onResultProcess({ request, result }) {
      if (!Array.isArray(result) && result && typeof result === 'object') noteResult(request, result as ExecutionResult);
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      response.headers.set(REQUEST_ID_HEADER, record.id);
      const cache = record.context ? cacheOutcome(record.context) : 'none';
      if (cache === 'hit' && record.cost === undefined) record.cost = cachedCost(record.context!);
      const answer: Answered = { record, status: response.status, ms: performance.now() - record.startedAt, cache };
      for (const tell of answered) tell(answer);
    },
  };
}

/** Notes a request's operation as its parameters name it, and the GraphQL context it runs with. */
export function noteParams(request: Request, params: { operationName?: unknown; query?: unknown }, context: object): void {
  const record = records.get(request);
  if (!record) return;
  record.context = context;
  record.named = typeof params.operationName === 'string';
  if (typeof params.operationName === 'string') record.operation = params.operationName;
  else if (typeof params.query === 'string') record.operation = LEADING_NAME.exec(params.query)?.[1];
}

/** Notes the name of the operation a request runs, from its document, when its parameters did not name it. */
export function noteDocument(request: Request, document: DocumentNode): void {
  const record = records.get(request);
  if (!record || record.named) return;
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition' && definition.name) return void (record.operation = definition.name.value);
  }
}

/** Notes that the fast path of repeated reads answered a request. */
export function noteFastPath(request: Request): void {
  const record = records.get(request);
  if (record) record.fast = true;
}

/** Notes what an answer says: its cost, and its errors' codes. */
export function noteResult(request: Request, result: ExecutionResult): void {
  const record = records.get(request);
  if (!record) return;
  const requested = (result.extensions as { cost?: { requestedNodes?: number } } | undefined)?.cost?.requestedNodes;
  if (typeof requested === 'number') record.cost = requested;
  for (const error of result.errors ?? []) {
    const code = String(withCode(error).extensions.code);
    if (!record.codes.includes(code)) record.codes.push(code);
    if (code === 'QUERY_TOO_COMPLEX' && error.extensions?.cost) record.overBudget = true;
  }
}

/** The request log: one info line per request, after its answer. */
export function requestLogLine(log: YogaLogger) {
  return ({ record, status, ms, cache }: Answered) => {
    log.info(
      {
        requestId: record.id,
        method: record.method,
        path: record.path,
        operation: record.operation,
        status,
        durationMs: Math.round(ms * 100) / 100,
        cost: record.cost,
        cache,
        ...(record.fast ? { fast: true } : {}),
        ...(record.codes.length > 0 ? { codes: record.codes } : {}),
      },
      'request',
    );
  };
}
