import { AsyncLocalStorage } from 'node:async_hooks';
import { type DocumentNode, type ExecutionResult, getOperationAST, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { CacheContext } from '../cache';
import type { Db } from '../db';
import { compiledAnswer } from './compiled/run';
import { inOrderAlready, inSelectionOrder } from './field-order';

export { planOf } from './compiled/plan';

/**
 * Compiled reads: an operation whose every field is one of the plain reads compiled/plan.ts lists
 * (node lookups, columns, links to one row, bounded lists and pages by id) is answered without the GraphQL
 * executor. It is planned once per parsed document: each field of the plan is one batched
 * statement for all the rows above it (never one per row), whose rows are put straight into the
 * answer's objects in the order the query asks. Anything else (filters, orderings, search, paths,
 * `groupBy`, directives, mutations) is left to the executor, and so is any request whose arguments
 * the plan cannot take as they are (a malformed id or cursor, a page too large): the executor
 * then refuses it with its own error. A statement that fails fails its root field, as in the
 * executor (runPlan in compiled/run.ts).
 *
 * Why: on the benchmark's nested read most of the time went to per-field resolution (promises,
 * paths, the drizzle plugin's selection work), not to SQL. What each field answers is the
 * executor's own work: leaves go through their GraphQL type's `serialize`, ids through
 * encodeGlobalID, pages through the drizzle plugin's rules (a row past the page says there is a
 * next one; `after` means there is a previous one). Tests run every query of the suite both ways
 * and compare the answers byte for byte (AppOptions.compiledReads 'verify').
 *
 * The plans: compiled/plan.ts; how each engine runs their statements: compiled/reader.ts;
 * running a plan into an answer: compiled/run.ts.
 */

export type CompiledReads = 'on' | 'off' | 'verify';

const shadowRuns = new AsyncLocalStorage<true>();
/** True inside the executor's run that 'verify' makes beside a compiled answer: tests count the statements of the answer given, not of its check. */
export const inVerifyingRun = () => shadowRuns.getStore() === true;
/** Runs `fn` as such a check: the statements it causes are not counted as the request's. */
export const shadowRun = <T>(fn: () => T): T => shadowRuns.run(true, fn);

/** A read operation the server has parsed, validated and run once: the fast path (src/http/fast-reads.ts) runs it again from its text. */
export interface PreparedRead {
  document: DocumentNode;
  operationName: string | undefined;
  /** Whether it was answered compiled (otherwise only the response cache can answer it again directly). */
  compiled: boolean;
}

/** The parameters of a request as its body gave them, before any plugin filled anything in. */
export interface SentParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/**
 * At most this many prepared reads, and this many characters of their texts, are kept; past either
 * the list starts over. A read keeps its parsed document, its plan and the budget's estimates
 * alive, tens of kilobytes where its text is hundreds of bytes: bounded by characters alone, a
 * client sending a new text each time (the benchmark's varied reads) grew a process past 1.2 GB.
 * (yoga keeps 1,000 parsed documents.)
 */
export const MAX_PREPARED_READS = 500;
const PREPARED_CHARACTERS = 4 * 2 ** 20;

/**
 * The read operations this process has run, by their text and operation name, so that a request
 * sending the same text again can skip parsing, validation and the executor's setup (the fast
 * path). A text is learnt only as its request's body sent it (not a query that persisted
 * queries or trusted documents filled in), and only once it passed every check up to execution.
 */
export class PreparedReads {
  private readonly byText = new Map<string, PreparedRead>();
  private characters = 0;
  /** Each request's parameters as its body sent them, noted by the fast path as it reads the body. */
  readonly sent = new WeakMap<Request, SentParams>();
  /**
   * Answers the fast path computed and did not send itself (they carry errors, which the whole
   * pipeline words): execution hands them on rather than run the statements that failed again.
   */
  readonly computed = new WeakMap<Request, ExecutionResult>();

  find(query: string, operationName: string | undefined): PreparedRead | undefined {
    return this.byText.get(`${operationName ?? ''}\u0000${query}`);
  }

  learn(request: Request | undefined, document: DocumentNode, operationName: string | null | undefined, compiled: boolean): void {
    const params = request && this.sent.get(request);
    if (!params || typeof params.query !== 'string' || params.extensions !== undefined) return;
    if ((params.operationName ?? undefined) !== (operationName ?? undefined)) return;
    const key = `${operationName ?? ''}\u0000${params.query}`;
    const known = this.byText.get(key);
    // Learnt already: every execution of a known text ends here.
    if (known?.compiled === compiled && known.document === document) return;
    // Not a mutation, nor a query with directives of its own (@live answers a stream).
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'query' || operation.directives?.length) return;
    if (!known) this.characters += key.length;
    if (this.characters > PREPARED_CHARACTERS || (!known && this.byText.size >= MAX_PREPARED_READS)) {
      this.byText.clear();
      this.characters = key.length;
    }
    this.byText.set(key, { document, operationName: operationName ?? undefined, compiled });
  }
}

/**
 * Runs planned operations compiled (see above). 'verify' (tests) also runs the executor for every
 * compiled answer and fails the request loudly when the two differ in any byte, or in what they
 * told the response cache they read. Every read operation run is learnt in `prepared`.
 */
export function useCompiledReads(db: Db, mode: CompiledReads, prepared?: PreparedReads): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      // As parsed: the response cache's execution may add ids to the document it runs.
      const { document } = args;
      const request = (args.contextValue as { request?: Request }).request;
      const computed = request && prepared?.computed.get(request);
      if (computed) return void setExecuteFn(async () => computed);
      if (mode === 'off') return;
      const learnt = <T>(result: T, compiled: boolean): T => {
        prepared?.learn(request, document, args.operationName, compiled);
        return result;
      };
      setExecuteFn(async (execution) => {
        const context = execution.contextValue as CacheContext;
        const ranges = context.cacheRanges?.length;
        const compiled = await compiledAnswer(execution, db);
        if (!compiled) {
          if (context.cacheRanges && ranges !== undefined) context.cacheRanges.length = ranges;
          return learnt(await executeFn(execution), false);
        }
        inOrderAlready(compiled);
        // A failed statement is not run again to compare: the executor would meet the fault anew.
        if (mode === 'verify' && !compiled.errors) {
          const shadow: CacheContext = { ...context, cacheDeps: new Set(), cacheRanges: [] };
          const executed = (await shadowRun(() => executeFn({ ...execution, contextValue: shadow }))) as ExecutionResult;
          // As the executor builds it (in the order its fields settle) or as useFieldOrder puts it.
          const asBuilt = JSON.stringify({ data: executed.data, errors: executed.errors });
          const expected = JSON.stringify({ data: executed.data && inSelectionOrder(executed.data, execution.document, execution.operationName, execution.schema), errors: executed.errors });
          const got = JSON.stringify({ data: compiled.data });
          // The same ranges, each once: the executor may declare one twice.
          const rangesOf = (list: readonly unknown[]) => JSON.stringify([...new Set(list.map((r) => JSON.stringify(r)))].sort());
          const declared = rangesOf(context.cacheRanges?.slice(ranges ?? 0) ?? []);
          const executorDeclared = rangesOf(shadow.cacheRanges ?? []);
          if ((expected !== got && asBuilt !== got) || declared !== executorDeclared) {
            // Said on stderr as well: tests keep the server's log quiet, and this must not go unseen.
            const difference = `compiled read differs from the executor:\n query: ${print(execution.document)}\n variables: ${JSON.stringify(execution.variableValues)}\n executor: ${asBuilt}\n ordered: ${expected} ${executorDeclared}\n compiled: ${got} ${declared}`;
            console.error(difference);
            throw new Error(difference);
          }
        }
        return compiled.errors ? compiled : learnt(compiled, true);
      });
    },
  };
}
