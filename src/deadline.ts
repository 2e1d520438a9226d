import { AsyncLocalStorage } from 'node:async_hooks';
import type { Plugin } from 'graphql-yoga';
import { UserError } from './domain/errors';

/**
 * What a deadline hears of its client leaving: the request's AbortSignal, or anything that tells
 * the same (the fast path's Departure, src/http/fast-reads.ts, costs less than an EventTarget).
 */
export interface ClientSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * One request's deadline. It stops the request when the time is up or when its client went away
 * (`client`, the request's signal): from then on every check throws the same TIMEOUT error, so no statement runs for it.
 * A write is never cut: once a statement of this request runs inside a transaction (which is
 * synchronous, and rolls back whole if it throws) the deadline is lifted, so a write that landed
 * is reported as done, not as stopped.
 */
export class Deadline {
  stopped: UserError | null = null;
  lifted = false;

  constructor(
    readonly ms: number,
    readonly at: number,
    /** The request's signal: aborted once its client has gone. */
    readonly client?: ClientSignal,
  ) {}

  /** Throws TIMEOUT once the time is up or the client has gone; `writing`: a transaction is open. */
  check(writing = false): void {
    if (this.lifted) return;
    if (this.stopped) throw this.stopped;
    if (performance.now() >= this.at) this.stopped = tooLong(this.ms);
    else if (this.client?.aborted) this.stopped = new UserError('TIMEOUT', 'The client closed the connection, so the request was stopped.');
    if (this.stopped) throw this.stopped;
    if (writing) this.lifted = true;
  }

  /**
   * Stops the request now, as its time being up does: for a timer set for the deadline, which may
   * fire a little before performance.now() reaches it. Returns the TIMEOUT it answers.
   */
  expire(): UserError {
    this.stopped ??= tooLong(this.ms);
    return this.stopped;
  }
}

const tooLong = (ms: number) =>
  new UserError(
    'TIMEOUT',
    `The request ran past its deadline of ${ms} ms and was stopped. Ask for less at once: narrow the query (fewer nested lists, fewer ids) or request smaller pages (a lower "first"), and page through with "after".`,
    { timeoutMs: ms },
  );

const current = new AsyncLocalStorage<Deadline>();

/**
 * Throws TIMEOUT when the request being served has run past its deadline or lost its client; does
 * nothing outside a request. The database calls it before every statement (src/db), and long
 * loops in the model call it as they go. `writing`: the statement is inside a transaction.
 */
export function checkDeadline(writing = false): void {
  current.getStore()?.check(writing);
}

/**
 * Runs `fn` with `deadline` as the current one, or outside any request's when none is given:
 * each run of a live query gets a deadline of its own (src/graphql/live.ts), and what a timer
 * does for them must not inherit the deadline of the request that set it.
 */
export function runWithDeadline<T>(deadline: Deadline | undefined, fn: () => T): T {
  return deadline ? current.run(deadline, fn) : current.exit(fn);
}

/** The deadline of the request being served, if any: for tests and logs. */
export function currentDeadline(): Deadline | undefined {
  return current.getStore();
}

/**
 * Gives every request a deadline `ms` after it arrived, and runs its execution with it as the
 * current one, so that every statement, list field (src/graphql/deadline.ts) and long loop it
 * causes checks it. AsyncLocalStorage carries it through the resolvers' awaits and the drizzle
 * plugin's batched loads: one connection serves every request, so the database could not tell
 * them apart otherwise. A stopped request answers one TIMEOUT error, whatever else failed with it.
 *
 * The executor is not handed an AbortSignal: graphql-tools' executor, once a signal aborts,
 * abandons fields still pending, whose later rejections nobody handles (an unhandled rejection
 * ends the process). Fields stopped by a check fail one by one instead, each at once.
 */
export function useDeadline(ms: number): Plugin {
  return {
    onRequest({ request }) {
      arrived.set(request, performance.now());
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const deadline = requestDeadline(ms, (args.contextValue as { request?: Request }).request);
      setExecuteFn((executionArgs) => current.run(deadline, () => executeFn(executionArgs)));
      return {
        onExecuteDone({ setResult }) {
          if (deadline.stopped && !deadline.lifted) setResult({ data: null, errors: [deadline.stopped] });
        },
      };
    },
  };
}

/** When each request arrived, as useDeadline saw it. */
const arrived = new WeakMap<Request, number>();

/** A request's deadline: `ms` after it arrived (or from now, for a request useDeadline has not seen), ended early by its client leaving. */
function requestDeadline(ms: number, request: Request | undefined): Deadline {
  return new Deadline(ms, ((request && arrived.get(request)) ?? performance.now()) + ms, request?.signal);
}
