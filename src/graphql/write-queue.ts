import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { type Db, whenWritable } from '../db';

/**
 * Every Mutation field waits its turn for the database's write lock (src/db/write-lock.ts), so no
 * mutation can forget to. Who may write is checked before, by the scope-auth plugin
 * (`authScopes` on the Mutation type, src/graphql/builder.ts). Reads never wait.
 */
class WriteQueuePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Mutation') return resolver;
    return (parent, args, context, info) => whenWritable((context as { db: Db }).db.$client, () => resolver(parent, args, context, info));
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      writeQueue: WriteQueuePlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('writeQueue', WriteQueuePlugin);
