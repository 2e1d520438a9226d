import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { badInput } from '../errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** The most ids `nodes(ids:)` takes in one call. */
export const MAX_NODE_IDS = 100;

/** What an unpaged list field declares for the query budget (src/graphql/budget.ts). */
export interface ListBound {
  /** The most items it returns for one parent object. */
  max: number;
  /** Why no more: shown to people when this list is what makes a query too big. */
  why: string;
  /** The list argument whose length is the number of items (at most `max`), as for `nodes(ids:)`. */
  countArg?: string;
}

/**
 * The field extension that tells the query budget how long an unpaged list can be; every list of
 * objects without `first`/`last` must carry one (test/budget.test.ts checks the schema for it).
 */
export const boundedList = (max: number, why: string, countArg?: string) => ({ listBound: { max, why, ...(countArg ? { countArg } : {}) } satisfies ListBound });

function checkPageArg(args: Record<string, unknown>, name: 'first' | 'last') {
  const value = args[name];
  if (value == null) return;
  if (typeof value !== 'number' || value < 0) throw badInput(`"${name}" must be 0 or more`, name);
  if (value > MAX_PAGE_SIZE) {
    throw badInput(
      `"${name}" is ${value}, but a page holds at most ${MAX_PAGE_SIZE}: page through with "after"/"before"`,
      name,
    );
  }
}

/**
 * The drizzle and relay plugins quietly cut an oversized page down to the maximum. The contract
 * wants a clear error instead, so every field taking `first`/`last` checks them before it runs.
 */
class ConnectionLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!('first' in fieldConfig.args) && !('last' in fieldConfig.args)) return resolver;
    return (parent, args, context, info) => {
      checkPageArg(args as Record<string, unknown>, 'first');
      checkPageArg(args as Record<string, unknown>, 'last');
      return resolver(parent, args, context, info);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      connectionLimits: ConnectionLimitsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('connectionLimits', ConnectionLimitsPlugin);
