import { afterAll, describe, it as vitestIt, type TestContext } from 'vitest';
import type { EngineName } from '../../src/db/engine';
import type { AppFactory } from '../support/engines';
import { PENDING_ON_POSTGRES } from './pending-on-postgres';

/**
 * The shared contract suite: each module in test/contract/ exports a `ContractModule`, whose
 * `register` declares its tests through the `Contract` it is given (an app factory for one engine,
 * and the `it` to declare tests with). test/sqlite.contract.test.ts and
 * test/postgres.contract.test.ts run every module, one per engine, as drizzle's integration tests
 * run one suite per driver. A module never asks which engine it runs on to decide what to expect:
 * the answers are the contract. (`engine` is there for what differs by nature, such as the text of
 * a statement.)
 */
export interface Contract {
  readonly engine: EngineName;
  /** A fresh app over its own database: migrated, seeded unless `seed: false`. */
  readonly app: AppFactory;
  /** vitest's `it`, which skips on PostgreSQL exactly the tests pending-on-postgres.ts names. */
  readonly it: ContractIt;
}

export interface ContractIt {
  (name: string, fn: (context: TestContext) => unknown, timeout?: number): void;
  /** One test per row, `%s` in the name replaced by the row's values in turn (as vitest's it.each). */
  each<Row extends readonly unknown[]>(rows: readonly Row[]): (name: string, fn: (...row: Row) => unknown, timeout?: number) => void;
}

export interface ContractModule {
  /** The outermost describe's name: the first part of a test's full name in pending-on-postgres.ts. */
  readonly name: string;
  register(contract: Contract): void;
}

/** A test's full name as pending-on-postgres.ts spells it: "module > describe … > test". */
function fullName(context: TestContext): string {
  const names = [context.task.name];
  for (let suite = context.task.suite; suite && suite.name; suite = suite.suite) names.unshift(suite.name);
  return names.join(' > ');
}

/**
 * Declares every module's tests for one engine. On PostgreSQL the pending tests are skipped (each
 * with its reason in the list); after the run, a name in the list that matched no test fails the
 * file, so the list cannot drift from the tests. CONTRACT_PENDING=run runs the pending tests too,
 * as tests expected to fail, to show which of them pass by now.
 */
export function runContract(engine: EngineName, app: AppFactory & { closeAll?(): Promise<void> }, modules: readonly ContractModule[]): void {
  const pending = engine === 'postgres' ? PENDING_ON_POSTGRES : {};
  const runPending = process.env.CONTRACT_PENDING === 'run';
  const seen = new Set<string>();
  let declared = 0;
  let ran = 0;
  const it = ((name: string, fn: (context: TestContext) => unknown, timeout?: number) => {
    declared++;
    vitestIt(
      name,
      async (context) => {
        ran++;
        const full = fullName(context);
        if (!(full in pending)) return fn(context);
        seen.add(full);
        if (!runPending) return context.skip(pending[full]);
        let passed = false;
        try {
          await fn(context);
          passed = true;
        } catch {
          // Expected: the feature is not on PostgreSQL yet (see pending-on-postgres.ts).
        }
        if (passed) throw new Error(`"${full}" passes on PostgreSQL now: take it out of test/contract/pending-on-postgres.ts`);
      },
      timeout,
    );
  }) as ContractIt;
  it.each = (rows) => (name, fn, timeout) => {
    for (const row of rows) {
      let at = 0;
      it(name.replace(/%s/g, () => String(row[at++])), () => fn(...row), timeout);
    }
  };
  for (const module of modules) {
    describe(module.name, () => {
      module.register({ engine, app, it });
      // Each module's databases are closed when it ends: the cluster's connections are bounded.
      if (app.closeAll) afterAll(() => app.closeAll!());
    });
  }
  // Last, as a test rather than in afterAll: a throw there would skip the hooks that close the
  // databases and stop the cluster.
  vitestIt('names in pending-on-postgres.ts only tests that exist', (context) => {
    // Only when the whole suite ran (not under -t or .only): every pending name must have been met.
    if (ran < declared) return context.skip('not every test ran');
    // Only the names of the modules this runner declares: other runners check theirs.
    const mine = Object.keys(pending).filter((name) => modules.some((module) => name.startsWith(`${module.name} > `)));
    const stale = mine.filter((name) => !seen.has(name));
    if (stale.length > 0) throw new Error(`test/contract/pending-on-postgres.ts names tests that do not exist: ${stale.join('; ')}`);
  });
}
