import { AsyncLocalStorage } from 'node:async_hooks';
import { type ExecutionResult, print } from 'graphql';
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

/**
 * Runs planned operations compiled (see above). 'verify' (tests) also runs the executor for every
 * compiled answer and fails the request loudly when the two differ in any byte, or in what they
 * told the response cache they read.
 */
export function useCompiledReads(db: Db, mode: CompiledReads): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      if (mode === 'off') return;
      setExecuteFn(async (execution) => {
        const context = execution.contextValue as CacheContext;
        const ranges = context.cacheRanges?.length;
        const compiled = await compiledAnswer(execution, db);
        if (!compiled) {
          if (context.cacheRanges && ranges !== undefined) context.cacheRanges.length = ranges;
          return executeFn(execution);
        }
        inOrderAlready(compiled);
        // A failed statement is not run again to compare: the executor would meet the fault anew.
        if (mode === 'verify' && !compiled.errors) {
          const shadow: CacheContext = { ...context, cacheDeps: new Set(), cacheRanges: [] };
          const executed = (await shadowRuns.run(true, () => executeFn({ ...execution, contextValue: shadow }))) as ExecutionResult;
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
        return compiled;
      });
    },
  };
}
