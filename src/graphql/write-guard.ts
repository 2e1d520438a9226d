import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import type { WriteAccess } from '../auth';
import { UserError } from '../errors';

/**
 * Every Mutation field checks the caller's write access before anything else runs, so no
 * mutation can forget to. Reads are never guarded.
 */
class WriteGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Mutation') return resolver;
    return (parent, args, context, info) => {
      const access = context as WriteAccess;
      if (!access.canWrite) throw new UserError('UNAUTHENTICATED', access.writeRefusal ?? 'Writes need a bearer token.');
      return resolver(parent, args, context, info);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      writeGuard: WriteGuardPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('writeGuard', WriteGuardPlugin);
