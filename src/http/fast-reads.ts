import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ResponseCache } from '../cache';
import type { Db } from '../db';
import { requestDeadline, runWithDeadline } from '../deadline';
import type { QueryBudget } from '../graphql/budget';
import { compiledText } from '../graphql/compiled/run';
import { type CompiledReads, type PreparedRead, type PreparedReads, type SentParams, shadowRun } from '../graphql/compiled-reads';
import { checkParams } from './body-limit';
import { noteDocument, noteFastPath, noteParams, noteResult } from './request-log';

export interface FastReadsOptions {
  db: Db;
  schema: GraphQLSchema;
  mode: CompiledReads;
  prepared: PreparedReads;
  budget: QueryBudget;
  cache?: ResponseCache;
  graphqlEndpoint: string;
  requestTimeoutMs: number;
  maxBodyBytes: number;
}

/** Accept headers whose content type has been learnt: a few distinct ones are sent in practice. */
const MAX_ACCEPT_HEADERS = 64;
const JSON_TYPES = /^application\/(graphql-response\+)?json; charset=utf-8$/;
const BODY_KEYS = new Set(['query', 'operationName', 'variables']);
/** Each request's body as the fast path read it (so that yoga does not read it again). */
const sentTexts = new WeakMap<Request, string>();

/** What yoga's POST JSON parser accepts, by the request's content type. */
function isJsonBody(request: Request): boolean {
  const type = request.headers.get('content-type')?.split(',')[0];
  return type !== undefined && /^application\/(graphql\+)?json(;|$)/.test(type);
}

interface PlainParams {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

interface Answer {
  text: string;
  result: ExecutionResult;
  /** The GraphQL context it was answered with, for the request log. */
  context: object;
  /** Whether its plan ran (rather than the cache answering). */
  executed: boolean;
}

/** A body the fast path can answer: only a query, and optionally its operation's name and variables, each of its type. */
function plainParams(body: unknown): PlainParams | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const params = body as SentParams;
  for (const key of Object.keys(params)) if (!BODY_KEYS.has(key)) return undefined;
  const { query, operationName, variables } = params;
  if (typeof query !== 'string') return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  return { query, operationName: operationName ?? undefined, variables: (variables ?? undefined) as Record<string, unknown> | undefined };
}

/**
 * The fast path of repeated reads. A plain read whose text this process has already run through
 * everything (parsing, validation, the limits: src/graphql/compiled-reads.ts's PreparedReads) is
 * answered here, as the request arrives, without yoga's per-request pipeline: its answer kept by
 * the response cache, or (with the cache off) its compiled plan run at once. That pipeline costs
 * more than a compiled read itself: yoga answered `{ __typename }` about 6,600 times a second on
 * this machine, and a request answered in its first hook about 45,000 times.
 *
 * What the pipeline would do for such a request is done here with the same code: the body
 * checks (body-limit.ts), the node budget, the request's deadline, the request log and metrics
 * (request-log.ts), the cache's lookup, and the content type yoga chooses for the request's
 * Accept header (learnt from yoga's own answers). The response hooks (CORS, Cache-Control, the
 * request id) run on its answer as on any other. Anything else goes the whole way, with the body
 * read here handed on unchanged: a first sight of a text, mutations, persisted queries (which
 * send `extensions`), variables the budget or the plan refuses, Accept headers not seen yet, and
 * answers with errors, which are handed to the executor's stage as computed (the statement that
 * failed is not run again) so that the pipeline words their errors.
 *
 * In 'verify' mode (tests) it answers nothing itself: after each answer of the pipeline it
 * computes what it would have sent, and fails the request when the two differ in a byte.
 */
export function useFastReads(options: FastReadsOptions): Plugin {
  const { db, schema, mode, prepared, budget, cache, graphqlEndpoint, requestTimeoutMs, maxBodyBytes } = options;
  /** The content type yoga answers a read with, by the request's Accept header. */
  const contentTypes = new Map<string, string>();

  /**
   * The answer the fast path gives; `computed` when its answer has errors, for the pipeline to
   * word; undefined when the request must go the whole way.
   */
  async function answer(request: Request, params: PlainParams, read: PreparedRead, useCache: boolean): Promise<Answer | { computed: ExecutionResult } | undefined> {
    checkParams(params, maxBodyBytes);
    const context = { request };
    if (cache && useCache) {
      const hit = cache.lookup(params, context);
      if (!hit) return undefined;
      // The text kept (see src/cache/store.ts), as yoga writes it.
      const text = (hit as { stringify?: (shown: ExecutionResult) => string }).stringify?.(hit) ?? JSON.stringify(hit);
      return { text, result: hit, context, executed: false };
    }
    if (!read.compiled) return undefined;
    const costed = budget.check(schema, read.document, read.operationName, params.variables);
    if (costed?.refusal) return undefined;
    const deadline = requestDeadline(requestTimeoutMs, request);
    const execution = { schema, document: read.document, operationName: read.operationName, variableValues: params.variables, contextValue: context };
    const compiled = await runWithDeadline(deadline, () => compiledText(execution, db));
    if (!compiled) return undefined;
    // As useDeadline and the budget's plugin finish an execution's answer.
    if (deadline.stopped && !deadline.lifted) return { computed: { data: null, errors: [deadline.stopped] } };
    if ('dataText' in compiled) {
      // The data as PostgreSQL wrote it, in the answer JSON.stringify would write around it. The
      // request log needs only the cost of `result`.
      const extensions = costed && { cost: costed.cost };
      const text = `{"data":${compiled.dataText}${extensions ? `,"extensions":${JSON.stringify(extensions)}` : ''}}`;
      return { text, result: extensions ? { extensions } : {}, context, executed: true };
    }
    if (compiled.errors) return { computed: compiled };
    const result: ExecutionResult = costed ? { ...compiled, extensions: { ...compiled.extensions, cost: costed.cost } } : compiled;
    return { text: JSON.stringify(result), result, context, executed: true };
  }

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (mode === 'off' || request.method !== 'POST' || url.pathname !== graphqlEndpoint || url.search !== '' || !isJsonBody(request)) return;
      let text = '';
      try {
        text = await request.text();
      } catch {
        // The client went away mid-body: yoga's parser answers what it answers to an empty one.
      }
      sentTexts.set(request, text);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return;
      }
      if (body !== null && typeof body === 'object' && !Array.isArray(body)) prepared.sent.set(request, body as SentParams);
      if (mode !== 'on') return;
      const params = plainParams(body);
      const read = params && prepared.find(params.query, params.operationName);
      const contentType = contentTypes.get(request.headers.get('accept') ?? '');
      if (!params || !read || !contentType) return;
      let given: Awaited<ReturnType<typeof answer>>;
      try {
        given = await answer(request, params, read, true);
      } catch {
        // Whatever went wrong here, the whole pipeline answers it as it would any request.
        return;
      }
      if (!given) return;
      if ('computed' in given) return void prepared.computed.set(request, given.computed);
      noteParams(request, params, given.context);
      if (given.executed) noteDocument(request, read.document);
      noteResult(request, given.result);
      noteFastPath(request);
      endResponse(new fetchAPI.Response(given.text, { status: 200, headers: { 'Content-Type': contentType } }));
    },
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const text = sentTexts.get(request);
      if (text === undefined || !requestParser) return;
      // The body read above, as yoga's JSON parser gives it; anything else through that parser.
      const body = prepared.sent.get(request);
      if (body) setRequestParser(() => body as Record<string, unknown>);
      else setRequestParser(() => requestParser(new fetchAPI.Request(request.url, { method: 'POST', headers: request.headers, body: text })));
    },
    async onResponse({ request, response }) {
      const text = sentTexts.get(request);
      if (text === undefined || response.status !== 200) return;
      const contentType = response.headers.get('content-type');
      if (!contentType || !JSON_TYPES.test(contentType)) return;
      const accept = request.headers.get('accept') ?? '';
      if (!contentTypes.has(accept) && contentTypes.size < MAX_ACCEPT_HEADERS) contentTypes.set(accept, contentType);
      if (mode !== 'verify') return;
      const params = plainParams(prepared.sent.get(request));
      const read = params && prepared.find(params.query, params.operationName);
      if (!params || !read?.compiled) return;
      const sent = await response.clone().text();
      if ((JSON.parse(sent) as ExecutionResult).errors) return;
      // Without the cache (a hit is the text the pipeline wrote), its statements not counted as the request's.
      const given = await shadowRun(() => answer(request, params, read, false));
      if (!given || 'computed' in given) return;
      if (given.text !== sent || contentTypes.get(accept) !== contentType) {
        const difference = `the fast path's answer differs from the pipeline's:\n query: ${params.query}\n variables: ${JSON.stringify(params.variables)}\n pipeline: ${contentType} ${sent}\n fast path: ${contentTypes.get(accept)} ${given.text}`;
        console.error(difference);
        throw new Error(difference);
      }
    },
  };
}
