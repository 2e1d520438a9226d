import type { ObjectRef } from '@pothos/core';
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { FilterType } from '../model/filter-language';
import { builder } from './builder';
import { and } from '../model/filters';
import { declareReads, explores, groupByField, type NodeSet, orderQuery } from './filters';

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
  /** The filter type whose `groupBy` the connection offers. */
  groups?: FilterType,
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
      ...(groups ? { groupBy: groupByField(t as never, groups) } : {}),
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

/**
 * The id in a drizzle connection cursor over ids ("DC:N:7", base64), or null for any other: the
 * response cache then takes the page to start at the beginning, which covers more, never less.
 */
export function cursorId(cursor: string): number | null {
  const match = /^DC:N:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match ? Number(match[1]) : null;
}

interface PageHelper {
  getArgs: () => unknown;
  getQuery: (...params: never[]) => unknown;
  resolve: (...params: never[]) => unknown;
}

/**
 * The options of a `t.connection` that pages a relation of the parent row in the parent's own
 * query (no extra statement per parent), with `totalCount` from a correlated COUNT beside it. The
 * NodeSet says which rows the connection holds under its arguments (its `where` included): the
 * page, the count and `groupBy` all read it. (The drizzle plugin's own related-count SQL does not
 * render under drizzle 1.0.0-rc.5.)
 */
let relatedPages = 0;

export function relatedPage(relation: string, set: NodeSet, helper: PageHelper) {
  // Unique per field: two fields over one relation (Event.claims, Entity.claimsAbout) must not share it.
  const countKey = `${relation}Count${++relatedPages}`;
  // The helper plans only `edges { node }`; clients as often select `nodes`. Plan both.
  const nodePaths = { getType: () => set.type, paths: [[{ name: 'nodes' }], [{ name: 'edges' }, { name: 'node' }]] };
  const count = (parent: { id: SQLWrapper }, args: Record<string, unknown>) => {
    const p = sql`${sql.identifier('p')}`;
    const conditions = [sql`${p}.${sql.identifier(set.parentColumn!)} = ${parent.id}`, ...set.conditions(p, args).filter((c): c is SQL => c !== null)];
    return sql<number>`(SELECT count(*) FROM ${sql.identifier(set.paged)} ${p} WHERE ${sql.join(conditions.map((c) => sql`(${c})`), sql` AND `)})`;
  };
  return {
    args: helper.getArgs(),
    extensions: {
      nodeSet: set,
      // The plugin's own hook rather than `select`: it also says which fields are selected beneath,
      // and counting a hub's thousands of rows costs more than the page: count only when asked.
      pothosDrizzleSelect: (
        args: never,
        ctx: never,
        nestedSelection: (query: unknown, path: unknown) => unknown,
        selected: () => ReadonlySet<string>,
        pathInfo: object,
      ) => ({
        columns: {},
        with: {
          [relation]: (helper.getQuery as (...params: unknown[]) => unknown)(
            args,
            ctx,
            Object.assign((query: unknown) => nestedSelection(query, nodePaths), pathInfo),
          ),
        },
        extras: selected().has('totalCount') ? { [countKey]: (parent: { id: SQLWrapper }) => count(parent, args) } : {},
      }),
    },
    resolve: (parent: Record<string, unknown>, args: never, ctx: never) => {
      if (explores(args)) declareReads(ctx, set.type, args);
      return {
        ...((helper.resolve as (...params: unknown[]) => object)(parent[relation], args, ctx)),
        totalCount: parent[countKey] as number,
      };
    },
  } as { args: never; extensions: never; resolve: never };
}

/** The `query` of a connection helper over a NodeSet: its conditions, and its ordering or `orderBy`'s. */
export function pagedQuery(set: NodeSet, ownOrder: Record<string, 'asc' | 'desc'>) {
  return (args: Record<string, unknown>) => ({
    where: { RAW: (row: unknown) => and(set.conditions(sql`${row as SQL}`, args).filter((c): c is SQL => c !== null)) },
    ...(orderQuery(set.type, args, set.through) ?? { orderBy: ownOrder }),
  });
}
