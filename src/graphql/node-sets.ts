import SchemaBuilder, { BasePlugin, isThenable, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { SQL } from 'drizzle-orm';
import type { GraphQLFieldResolver } from 'graphql';
import type { FilterType } from '../model/filter-language';

/**
 * The rows a connection holds, for `groupBy`: the paged table (aliased `p`), the node table when
 * the paged row links to it, the conditions of the connection's arguments, and the column of `p`
 * naming the parent (for nested connections, so that many parents are counted in one statement).
 */
export interface NodeSet {
  type: FilterType;
  paged: string;
  /** The column of the paged row that names the node, when the paged row is a link. */
  through?: string;
  parentColumn?: string;
  conditions: (paged: SQL, args: Record<string, unknown>) => (SQL | null)[];
}

export const NODE_SET = Symbol('nodeSet');

/** What `groupBy` finds on a connection: its NodeSet, the parent row and the connection's arguments. */
export interface Attached {
  set: NodeSet;
  parent: Record<string, unknown> | undefined;
  args: Record<string, unknown>;
}

/**
 * Attaches a connection field's NodeSet (its `nodeSet` extension) to the connection it returns,
 * with the parent and arguments, for `groupBy` to count.
 */
class NodeSetPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const set = fieldConfig.extensions?.nodeSet as NodeSet | undefined;
    if (!set) return resolver;
    return (parent, args, context, info) => {
      const attach = (connection: unknown) => {
        if (connection && typeof connection === 'object') {
          (connection as Record<PropertyKey, unknown>)[NODE_SET] = { set, parent: parent as Attached['parent'], args: args as Attached['args'] } satisfies Attached;
        }
        return connection;
      };
      const result = resolver(parent, args, context, info);
      return isThenable(result) ? result.then(attach) : attach(result);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      nodeSets: NodeSetPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('nodeSets', NodeSetPlugin);
