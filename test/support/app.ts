import type { ExecutionResult } from 'graphql';
import { createApp } from '../../src/app';
import { migrateDatabase, openDatabase, type Db } from '../../src/db';
import { loadSeed } from '../../src/model/seed';

export interface TestApp {
  db: Db;
  /** The SQL statements drizzle sent since the last `resetQueries()`. */
  queries: string[];
  resetQueries(): void;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs an operation in-process through yoga; returns the parsed response body and status. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<ExecutionResult<T> & { status: number }>;
}

/**
 * A fresh in-memory database, migrated from `migrations/` and seeded with the article; or, given
 * `db`, an app over that database (its statements are then not counted).
 */
export function createTestApp({ seed = true, db: given }: { seed?: boolean; db?: Db } = {}): TestApp {
  const queries: string[] = [];
  const db = given ?? openDatabase({ path: ':memory:', onQuery: (sql) => queries.push(sql) });
  if (!given) migrateDatabase(db);
  if (seed && !given) loadSeed(db);
  queries.length = 0;
  const yoga = createApp({ db, logger: silentLogger });
  const fetch = async (path: string, init?: RequestInit): Promise<Response> => yoga.fetch(`http://claimgraph.test${path}`, init as never);
  return {
    db,
    queries,
    resetQueries: () => {
      queries.length = 0;
    },
    fetch,
    async gql(query, variables, headers = {}) {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as ExecutionResult<never>;
      return { ...body, status: response.status };
    },
  };
}

const noop = () => {};
export const silentLogger = { debug: noop, info: noop, warn: noop, error: process.env.TEST_LOG ? console.error : noop };

/** Global ids are base64 of "Type:rowId"; tests build them to name rows they know. */
export const globalId = (type: string, id: number | string) => Buffer.from(`${type}:${id}`).toString('base64');
