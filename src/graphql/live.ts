import { getLiveDirectiveArgumentValues, getLiveDirectiveNode } from '@n1ru4l/graphql-live-query';
import {
  DirectiveLocation,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLError,
  GraphQLInt,
} from 'graphql';
import type { Plugin, YogaLogger } from 'graphql-yoga';
import { addIds, type CacheContext, type Changes, changeFeedOf, dependenciesOf, type Found, scopeOfOperation, touches } from '../cache';
import type { Db } from '../db';
import { Deadline, runWithDeadline } from '../deadline';
import { badInput, unavailable } from '../domain/errors';

/** How long a client refused for want of a free live query slot is asked to wait before asking again. */
export const LIVE_RETRY_AFTER_MS = 5000;
/** The longest interval between runs a client may ask for with `@live(throttle:)`. */
export const MAX_LIVE_THROTTLE_MS = 60_000;
/**
 * `@live`, as @n1ru4l/graphql-live-query declares it (its clients and helpers read the same
 * arguments), described as this server treats it.
 */
export const LiveDirective = new GraphQLDirective({
  name: 'live',
  description:
    'Keeps the query open and sends a new answer whenever a write changes what the last answer read (an answer equal to the last is not sent again). Needs "Accept: text/event-stream" or "Accept: multipart/mixed". Not on mutations.',
  locations: [DirectiveLocation.QUERY],
  args: {
    if: { type: GraphQLBoolean, defaultValue: true, description: 'Whether the query is live; false answers it once.' },
    throttle: {
      type: GraphQLInt,
      description: `The least time in milliseconds between two answers the client wants, up to ${MAX_LIVE_THROTTLE_MS}; the server's own interval (LIVE_QUERY_THROTTLE_MS) applies when it is longer.`,
    },
  },
});

/** Tags noticed during one run of a live query, past which it is re-run whatever they were. */
const MAX_TAGS_DURING_RUN = 10_000;

export interface LiveOptions {
  /** The most live queries this process keeps open at once (LIVE_QUERY_MAX). */
  max: number;
  /** The least time between two runs of one live query, in ms (LIVE_QUERY_THROTTLE_MS). */
  throttleMs: number;
  /** Each run's deadline, as a request's (REQUEST_TIMEOUT_MS). */
  timeoutMs: number;
  log: YogaLogger;
  /** Told how many live queries are open whenever one opens or closes (the metrics' gauge). */
  counted?: (open: number) => void;
}

type Execute = (args: ExecutionArgs) => unknown;

const tooMany = (max: number) =>
  unavailable(
    `This server process already keeps ${max} live queries open, its limit. Close a live query you no longer read, or retry after the time given; a query without @live is answered at once.`,
    LIVE_RETRY_AFTER_MS,
  );

/** One open live query, as the feed's listener sees it. */
interface Open {
  notice(changes: Changes): void;
  close(): void;
}

/**
 * `@live` queries: the client keeps the query open (server-sent events or multipart) and receives
 * a new answer whenever a write changes what the last one read; a write that touched nothing it
 * read sends nothing. What a run read is what the response cache would have kept its answer by
 * (src/cache): the objects the answer shows, the lists it selects on them, the id ranges and tags
 * its root fields declare; for roots that declare nothing (search, entities, …) any write. The
 * database's change feed says which tags each commit wrote, whichever process committed it: it is
 * polled after every mutation of this process and every `throttleMs` while a live query is open.
 *
 * Written for our tags rather than with @n1ru4l/in-memory-live-query-store (whose directive and
 * helpers it uses): that store re-runs a query with the first request's context, whose loaders
 * would answer from the first run's rows, under the first request's deadline; it collects ids of
 * its own (global ids, not the tags triggers write) and knows neither lists nor id ranges.
 *
 * Bounded: at most `max` open at once (past it UNAVAILABLE), each re-run at most once per
 * `throttleMs` (a burst of writes gives one new answer), each run under the query budget (counted
 * once: the operation and its variables do not change) and a deadline of its own. An answer equal
 * to the last one sent is not sent again. A client that goes away frees its slot.
 */
export function useLiveQueries(db: Db, { max, throttleMs, timeoutMs, log, counted }: LiveOptions): Plugin {
  const feed = changeFeedOf(db);
  const open = new Set<Open>();
  let stopFeed: (() => void) | undefined;
  let poller: NodeJS.Timeout | undefined;

  const poll = () =>
    runWithDeadline(undefined, () => {
      try {
        feed.poll();
      } catch (error) {
        // A storage fault, or the database closed while stopping: the next poll tries again.
        log.warn({ error: (error as Error).message }, 'live queries could not read the change feed');
      }
    });
  const opened = (entry: Open) => {
    open.add(entry);
    counted?.(open.size);
    if (open.size !== 1) return;
    stopFeed = feed.onChange((changes) => {
      for (const live of open) live.notice(changes);
    });
    poller = runWithDeadline(undefined, () => setInterval(poll, throttleMs));
    poller.unref();
  };
  const closed = (entry: Open) => {
    if (!open.delete(entry)) return;
    counted?.(open.size);
    if (open.size > 0) return;
    stopFeed?.();
    clearInterval(poller);
  };

  return {
    // Stopping the server ends every live query, so that its clients reconnect to another process.
    onDispose() {
      for (const live of [...open]) live.close();
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'mutation') {
        // Where commits are heard of asynchronously (PostgreSQL), the answer waits until this
        // process has read the mutation's tags: the next request then sees them in the response
        // cache and the path index, whichever process it reaches first.
        const heard = () => (open.size > 0 ? poll() : undefined);
        return { onExecuteDone: () => (feed.settle ? feed.settle().then(heard) : heard()) };
      }
      const directive = operation && getLiveDirectiveNode(operation);
      if (!operation || !directive) return;
      const { isLive, throttleValue } = getLiveDirectiveArgumentValues(directive, args.variableValues);
      if (!isLive) return;
      const request = (args.contextValue as { request?: Request }).request;
      const accept = request?.headers.get('accept') ?? '';
      if (!/text\/event-stream|multipart\/mixed/i.test(accept)) {
        setResultAndStopExecution({
          errors: [
            badInput(
              'A @live query sends a new answer whenever the data it read changes, so it needs a stream: send "Accept: text/event-stream" (server-sent events) or "Accept: multipart/mixed", or leave out @live for one answer.',
            ),
          ],
        });
        return;
      }
      const interval = Math.max(throttleMs, Math.min(throttleValue ?? 0, MAX_LIVE_THROTTLE_MS));
      // Counted where the slot is taken, in the same turn, so that concurrent requests cannot pass it together.
      setExecuteFn((executionArgs) =>
        open.size >= max ? { errors: [tooMany(max)] } : liveAnswers(executionArgs, executeFn, { interval, timeoutMs, opened, closed }, request),
      );
    },
  };
}

/**
 * The answers of one live query: the first at once, then one after each change to what the last
 * run read, at most one per `interval`. A client that reads slowly gets the newest answer, never a
 * backlog: an answer not yet taken is replaced by a newer one.
 */
function liveAnswers(
  args: ExecutionArgs,
  execute: Execute,
  { interval, timeoutMs, opened, closed }: { interval: number; timeoutMs: number; opened: (o: Open) => void; closed: (o: Open) => void },
  request: Request | undefined,
): AsyncIterableIterator<ExecutionResult> {
  const scope = scopeOfOperation(args.document, getOperationAST(args.document, args.operationName));
  const withIds = scope === 'objects' ? addIds(args.document, args.schema) : args.document;
  /** What the last run read; 'any' until the first run ends, or when any write may change it. */
  let depends: Found | 'any' = 'any';
  let running = false;
  /** Tags noticed while a run was under way (null: anything may have changed). */
  let during: string[] | null = [];
  let timer: NodeJS.Timeout | undefined;
  let lastSent: string | undefined;
  let done = false;
  let unsent: ExecutionResult | undefined;
  let waiting: ((next: IteratorResult<ExecutionResult>) => void) | undefined;

  const send = (answer: ExecutionResult) => {
    if (done) return;
    if (waiting) {
      const taker = waiting;
      waiting = undefined;
      taker({ value: answer, done: false });
    } else unsent = answer;
  };
  const schedule = () => {
    if (done || timer) return;
    // Waits a whole interval after the first change it hears of, so that a burst of writes gives
    // one new answer, and two runs are never closer than the interval.
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, interval);
  };
  const affected = (changes: Changes) => changes === null || depends === 'any' || touches(changes, depends);
  const run = async () => {
    if (done) return;
    if (running) return schedule();
    running = true;
    during = [];
    const context = { ...(args.contextValue as object), cacheDeps: new Set<string>(), cacheRanges: [] } as CacheContext;
    const deadline = new Deadline(timeoutMs, performance.now() + timeoutMs, request?.signal);
    let result: ExecutionResult;
    try {
      result = (await runWithDeadline(deadline, () => execute({ ...args, document: withIds, contextValue: context }))) as ExecutionResult;
    } catch (error) {
      result = { data: null, errors: [error instanceof GraphQLError ? error : new GraphQLError('The live query failed.', { originalError: error as Error })] };
    }
    if (deadline.stopped && !deadline.lifted) result = { data: null, errors: [deadline.stopped] };
    const found = result.data ? dependenciesOf(result, args.document, args.operationName, context, args.schema) : undefined;
    depends = scope === 'objects' && found && !found.anyWrite ? found : 'any';
    running = false;
    const text = JSON.stringify([result.data, result.errors]);
    if (text !== lastSent) {
      lastSent = text;
      send(result);
    }
    const noticed = during;
    during = [];
    if (noticed === null || (noticed.length > 0 && affected(noticed))) schedule();
  };
  const entry: Open = {
    notice(changes) {
      if (running) {
        if (changes === null || during === null || during.length + changes.length > MAX_TAGS_DURING_RUN) during = null;
        else during.push(...changes);
      } else if (affected(changes)) schedule();
    },
    close() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      request?.signal.removeEventListener('abort', entry.close);
      closed(entry);
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
    },
  };
  opened(entry);
  request?.signal.addEventListener('abort', entry.close);
  void run();
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next() {
      if (unsent) {
        const value = unsent;
        unsent = undefined;
        return Promise.resolve({ value, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      entry.close();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error) {
      entry.close();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
