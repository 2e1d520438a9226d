import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { encodeGlobalID, NODE_TYPE_NAMES } from '../domain/ids';

/**
 * The `id` of every node type, resolved without a promise. The relay plugin's global id field is
 * an async function, so every object that shows its id became a promise to wait for, and so did
 * each object above it: an answer of 100,000 relationships with their ids took three times the
 * CPU and memory it takes without them. Every node's id is its row's `id` column (each node has a
 * single-column primary key), encoded as `encodeGlobalID` does for the relay plugin.
 */
class SyncIdsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.name !== 'id' || fieldConfig.graphqlKind !== 'Object' || !NODE_TYPE_NAMES.has(fieldConfig.parentType)) return resolver;
    const type = fieldConfig.parentType;
    return (parent) => encodeGlobalID(type, String((parent as { id: number }).id));
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      syncIds: SyncIdsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('syncIds', SyncIdsPlugin);
