import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ResponseCache } from '../cache';
import type { Db } from '../db';
import { type ClientSignal, Deadline, runWithDeadline } from '../deadline';
import type { QueryBudget } from '../graphql/budget';
import { compiledText } from '../graphql/compiled/run';
import { type CompiledReads, type PreparedRead, type PreparedReads, type SentParams, shadowRun } from '../graphql/compiled-reads';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../model/json';
import { CONTENT_LENGTH } from './body-limit';
import { type Answered, finishRecord, noteDocument, noteParams, noteResult, REQUEST_ID_HEADER, type RequestRecord, startRecord } from './request-log';

/** A server's request handler, as node:http calls it. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface FastReadsOptions {
  db: Db;
  schema: GraphQLSchema;
  mode: CompiledReads;
  prepared: PreparedReads;
  budget: QueryBudget;
  cache?: ResponseCache;
  /** Who hears of each answered request: the request log, the metrics (src/app.ts). */
  answered: readonly ((answer: Answered) => void)[];
  graphqlEndpoint: string;
  requestTimeoutMs: number;
  maxBodyBytes: number;
}

export interface FastReads {
  /** The plugin that learns, from the pipeline's answers, the headers the fast path sends (and checks it in 'verify' mode). */
  plugin: Plugin;
  /** The server's handler: repeated reads answered at once, everything else handed to `next` (yoga). */
  handler(next: NodeHandler): NodeHandler;
}

/** Response headers learnt, one list per Accept and Origin a client sends: a few distinct pairs in practice. */
const MAX_HEADER_SETS = 256;
/** Headers of an answer that are the request's own, not its kind's: each answer sets them anew. */
const OWN_HEADERS = new Set(['content-length', REQUEST_ID_HEADER]);
const JSON_TYPES = /^application\/(graphql-response\+)?json; charset=utf-8$/;
const JSON_BODY = /^application\/(graphql\+)?json(;|$)/;
const BODY_KEYS = new Set(['query', 'operationName', 'variables']);
/** Each request's body as the fast path read it (so that yoga does not read it again). */
const sentTexts = new WeakMap<Request, string>();
/** A body the handler read and left to yoga: its text, and what JSON.parse made of it (undefined when it is not JSON). */
interface ReadBody {
  bytes?: Buffer;
  text: string;
  body: unknown;
}

/** A body's text and its parse (undefined when it is not JSON: yoga's parser words the refusal). */
function bodyOf(text: string): ReadBody {
  try {
    return { text, body: JSON.parse(text) as unknown };
  } catch {
    return { text, body: undefined };
  }
}

/** What yoga's POST JSON parser accepts, by the request's content type. */
const isJsonBody = (type: string | null | undefined): boolean => type !== null && type !== undefined && JSON_BODY.test(type.split(',')[0]!);

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
 * A client's departure, as the request's deadline hears of it: what an AbortSignal tells (aborted,
 * then each 'abort' listener called once) without an AbortController and its EventTarget made for
 * every request, which cost the fast path a few per cent of its CPU (docs/performance.md).
 */
class Departure implements ClientSignal {
  aborted = false;
  private listeners: (() => void)[] = [];
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }
  leave(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

/** The key of the headers an answer carries: yoga's content type follows Accept, and its CORS headers follow Origin. */
const headersKey = (accept: string | null | undefined, origin: string | null | undefined) => `${accept ?? ''}\n${origin ?? ''}`;

/** Reads a request's whole body (its Content-Length bounds it); undefined when the client went away meanwhile. */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', () => resolve(undefined));
    request.once('aborted', () => resolve(undefined));
  });
}

/**
 * The fast path of repeated reads. A plain read whose text this process has already run through
 * everything (parsing, validation, the limits: src/graphql/compiled-reads.ts's PreparedReads) is
 * answered by the server's request handler as it arrives, before yoga sees it: its answer kept by
 * the response cache, or (with the cache off) its compiled plan run at once. Yoga's per-request
 * work (a fetch Request and Response around node's, the plugins' hooks on both) cost this process
 * about as much again as a compiled lookup on PostgreSQL (docs/performance.md).
 *
 * What the pipeline does for such a request is done here with the same code: the body checks
 * (body-limit.ts), the node budget, the request's deadline, the request log and metrics
 * (request-log.ts) and the cache's lookup. Its headers are those the pipeline gave the last read
 * that came with the same Accept and Origin (the content type yoga chooses, CORS, Cache-Control),
 * learnt from the pipeline's own answers; only the request id is the request's own. Anything else
 * goes the whole way, with the body read here handed on unchanged: a first sight of a text,
 * mutations, persisted queries (which send `extensions`), variables the budget or the plan
 * refuses, an Accept and Origin not seen yet, bodies without a Content-Length or over the limit,
 * and answers with errors, which are handed to the executor's stage as computed (the statement
 * that failed is not run again) so that the pipeline words their errors.
 *
 * In 'verify' mode (tests) it answers nothing itself: after each answer of the pipeline it
 * computes what it would have sent, and fails the request when the two differ in a byte or in a
 * header.
 */
export function fastReads(options: FastReadsOptions): FastReads {
  const { db, schema, mode, prepared, budget, cache, answered, graphqlEndpoint, requestTimeoutMs, maxBodyBytes } = options;
  /** The headers yoga answers a read with, by the request's Accept and Origin, each as [name, value]. */
  const headerSets = new Map<string, [string, string][]>();
  /** Answers with errors the fast path computed, by node's request, for the pipeline to word. */
  const handedOn = new WeakMap<IncomingMessage, ExecutionResult>();
  /** Bodies the handler read before handing their requests to yoga, by node's request. */
  const readBodies = new WeakMap<IncomingMessage, ReadBody>();

  /**
   * The answer the fast path gives; `computed` when its answer has errors, for the pipeline to
   * word; undefined when the request must go the whole way.
   */
  async function answer(params: PlainParams, read: PreparedRead, deadline: Deadline, useCache: boolean): Promise<Answer | { computed: ExecutionResult } | undefined> {
    // What checkParams (body-limit.ts) refuses, the pipeline words. Of its checks only the depth
    // of the variables can fail here: the query and operation name are strings, and the body's
    // Content-Length was within maxBodyBytes, which bounds the characters it counts.
    if (nestsDeeperThan(params.variables, MAX_JSON_DEPTH)) return undefined;
    const context = {};
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

  /** Answers `request` itself when it can; false when the pipeline must (the body it read is kept in readBodies for yoga). */
  async function answerItself(request: IncomingMessage, response: ServerResponse, record: RequestRecord): Promise<boolean> {
    const headers = headerSets.get(headersKey(request.headers.accept, request.headers.origin));
    const length = request.headers['content-length'];
    if (!headers || length === undefined || !CONTENT_LENGTH.test(length) || Number(length) > maxBodyBytes || Number(length) === 0) return false;
    const bytes = await readBody(request);
    if (bytes === undefined) return false;
    const { text, body } = bodyOf(bytes.toString('utf8'));
    readBodies.set(request, { bytes, text, body });
    const params = plainParams(body);
    const read = params && prepared.find(params.query, params.operationName);
    // Without the cache, only a compiled read is answered here.
    if (!params || !read || (!read.compiled && !cache)) return false;
    // Told once the client has gone, as yoga's request's signal is: PostgreSQL cancels the statement.
    const departure = new Departure();
    response.once('close', () => response.writableFinished || departure.leave());
    const deadline = new Deadline(requestTimeoutMs, record.startedAt + requestTimeoutMs, departure);
    let given: Awaited<ReturnType<typeof answer>>;
    try {
      given = await answer(params, read, deadline, true);
    } catch {
      // Whatever went wrong here, the whole pipeline answers it as it would any request.
      return false;
    }
    if (!given) return false;
    if ('computed' in given) {
      handedOn.set(request, given.computed);
      return false;
    }
    noteParams(record, params, given.context);
    if (given.executed) noteDocument(record, read.document);
    noteResult(record, given.result);
    record.fast = true;
    const head: Record<string, string | number> = {};
    for (const [name, value] of headers) head[name] = value;
    head['content-length'] = Buffer.byteLength(given.text);
    head[REQUEST_ID_HEADER] = record.id;
    response.writeHead(200, head);
    response.end(given.text);
    finishRecord(record, 200, answered);
    return true;
  }

  const plugin: Plugin = {
    async onRequest({ request, url, serverContext }) {
      if (mode === 'off' || request.method !== 'POST' || url.pathname !== graphqlEndpoint || url.search !== '' || !isJsonBody(request.headers.get('content-type'))) return;
      // An answer the handler computed with errors, from node's request to yoga's.
      const nodeRequest = (serverContext as { req?: IncomingMessage }).req;
      const computed = nodeRequest && handedOn.get(nodeRequest);
      if (computed) prepared.computed.set(request, computed);
      let read = nodeRequest && readBodies.get(nodeRequest);
      if (!read) {
        let text = '';
        try {
          text = await request.text();
        } catch {
          // The client went away mid-body: yoga's parser answers what it answers to an empty one.
        }
        read = bodyOf(text);
      }
      sentTexts.set(request, read.text);
      const { body } = read;
      if (body !== null && typeof body === 'object' && !Array.isArray(body)) prepared.sent.set(request, body as SentParams);
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
      if (!sentTexts.has(request) || response.status !== 200 || !JSON_TYPES.test(response.headers.get('content-type') ?? '')) return;
      const key = headersKey(request.headers.get('accept'), request.headers.get('origin'));
      const learnt = headerSets.get(key);
      // Learnt already (or no room left): in 'on' mode there is nothing more to do.
      if (mode !== 'verify' && (learnt || headerSets.size >= MAX_HEADER_SETS)) return;
      const params = plainParams(prepared.sent.get(request));
      const read = params && prepared.find(params.query, params.operationName);
      if (!params || !read) return;
      const sent = await response.clone().text();
      if ((JSON.parse(sent) as ExecutionResult).errors) return;
      // The headers of a read answered without errors, but the request's own.
      const headers = [...response.headers].filter(([name]) => !OWN_HEADERS.has(name.toLowerCase()));
      if (!learnt && headerSets.size < MAX_HEADER_SETS) headerSets.set(key, headers);
      if (mode !== 'verify' || !read.compiled) return;
      // Without the cache (a hit is the text the pipeline wrote), its statements not counted as the request's.
      const given = await shadowRun(() => answer(params, read, new Deadline(requestTimeoutMs, performance.now() + requestTimeoutMs), false));
      if (!given || 'computed' in given) return;
      if (given.text !== sent || (learnt && JSON.stringify(learnt) !== JSON.stringify(headers))) {
        const difference = `the fast path's answer differs from the pipeline's:\n query: ${params.query}\n variables: ${JSON.stringify(params.variables)}\n pipeline: ${JSON.stringify(headers)} ${sent}\n fast path: ${JSON.stringify(learnt ?? headers)} ${given.text}`;
        console.error(difference);
        throw new Error(difference);
      }
    },
  };

  return {
    plugin,
    handler(next) {
      if (mode !== 'on') return next;
      return (request, response) => {
        if (request.method !== 'POST' || request.url !== graphqlEndpoint || !isJsonBody(request.headers['content-type'])) return next(request, response);
        const record = startRecord(request.headers[REQUEST_ID_HEADER] as string | undefined, 'POST', graphqlEndpoint);
        const toYoga = () => {
          const read = readBodies.get(request);
          // whatwg-node builds yoga's Request from a body already read (as behind a framework's
          // body parser): as a stream, since it lists the keys of any other (a string's are its
          // characters, 27 ms for 256 KB). The plugin takes the text and its parse from readBodies.
          if (read?.bytes) (request as IncomingMessage & { body?: Readable }).body = Readable.from([read.bytes]);
          next(request, response);
        };
        answerItself(request, response, record).then(
          (done) => done || toYoga(),
          // Only what it calls after answering can throw (a listener of `answered`): the answer is sent.
          () => response.headersSent || toYoga(),
        );
      };
    },
  };
}
