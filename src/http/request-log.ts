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

/** A request's record as it arrives: its id is a sane incoming `x-request-id`, or a new UUID. */
export function startRecord(incomingId: string | null | undefined, method: string, path: string): RequestRecord {
  const id = incomingId && SANE_REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  return { id, method, path, startedAt: performance.now(), codes: [], overBudget: false };
}

/** Hands a request's record, once answered with `status`, to `answered` (the request log line, the metrics). */
export function finishRecord(record: RequestRecord, status: number, answered: readonly ((answer: Answered) => void)[]): void {
  const cache = record.context ? cacheOutcome(record.context) : 'none';
  if (cache === 'hit' && record.cost === undefined) record.cost = cachedCost(record.context!);
  const answer: Answered = { record, status, ms: performance.now() - record.startedAt, cache };
  for (const tell of answered) tell(answer);
}

/**
 * Follows every request from arrival to answer: gives it an id (a sane incoming `x-request-id`,
 * or a new UUID) that the response carries back, notes its operation, the codes of its errors,
 * its cost and whether the response cache answered it, and hands the lot to `answered` (the
 * request log line, the metrics). First among the plugins, so that it sees every request and
 * the others' refusals. (The fast path of repeated reads keeps the same record of the requests
 * it answers itself, with the functions below: src/http/fast-reads.ts.)
 */
export function useRequestRecords(answered: ((answer: Answered) => void)[]): Plugin {
  return {
    onRequest({ request, url }) {
      records.set(request, startRecord(request.headers.get(REQUEST_ID_HEADER), request.method, url.pathname));
    },
    onParams({ request, params, context }) {
      const record = records.get(request);
      if (record) noteParams(record, params, context);
    },
    onExecute({ args }) {
      const record = records.get((args.contextValue as { request: Request }).request);
      if (record) noteDocument(record, args.document);
    },
    onResultProcess({ request, result }) {
      const record = records.get(request);
      if (record && !Array.isArray(result) && result && typeof result === 'object') noteResult(record, result as ExecutionResult);
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      response.headers.set(REQUEST_ID_HEADER, record.id);
      finishRecord(record, response.status, answered);
    },
  };
}

/** Notes a request's operation as its parameters name it, and the GraphQL context it runs with. */
export function noteParams(record: RequestRecord, params: { operationName?: unknown; query?: unknown }, context: object): void {
  record.context = context;
  record.named = typeof params.operationName === 'string';
  if (typeof params.operationName === 'string') record.operation = params.operationName;
  else if (typeof params.query === 'string') record.operation = LEADING_NAME.exec(params.query)?.[1];
}

/** Notes the name of the operation a request runs, from its document, when its parameters did not name it. */
export function noteDocument(record: RequestRecord, document: DocumentNode): void {
  if (record.named) return;
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition' && definition.name) return void (record.operation = definition.name.value);
  }
}

/** Notes what an answer says: its cost, and its errors' codes. */
export function noteResult(record: RequestRecord, result: ExecutionResult): void {
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
