import type { ObjectRef } from '@pothos/core';
import { builder } from './builder';

type TotalCount = number | (() => number | Promise<number>) | undefined;

/**
 * A named, shared Relay connection type with `totalCount`. The drizzle plugin hands the count over
 * either as a number (related connections) or as a function (root connections); both are accepted.
 */
export function countedConnection<T>(
  name: string,
  type: ObjectRef<never, T> | Parameters<typeof builder.connectionObject>[0]['type'],
  description: string,
  edgeOptions?: Parameters<typeof builder.connectionObject>[1],
) {
  return builder.connectionObject(
    {
    name,
    type: type as never,
    description,
    fields: (t) => ({
      totalCount: t.int({
        description: 'How many items the whole connection holds, across all pages, under the same filters.',
        extensions: { pothosDrizzleTotalCount: true },
        resolve: async (connection) => {
          const count = (connection as { totalCount?: TotalCount }).totalCount;
          return (typeof count === 'function' ? await count() : count) ?? 0;
        },
      }),
    }),
    },
    edgeOptions,
  );
}

/**
 * The drizzle plugin types a planned query's rows by a plan marker that the synchronous
 * better-sqlite3 driver's result type does not carry; the rows are the table's all the same.
 */
export const rows = (plannedQuery: PromiseLike<unknown>) => plannedQuery as never;
