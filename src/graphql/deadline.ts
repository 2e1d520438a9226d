import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { checkDeadline } from '../deadline';

/**
 * Every field that returns a list, or pages one, looks at the request's deadline before it
 * resolves (src/deadline.ts): completing a large answer whose rows are already loaded runs no
 * statement, so the statement hook alone would not stop it. Lists are where an answer's size
 * multiplies; other fields are left unwrapped, so they cost nothing more.
 */
class DeadlinePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.type.kind !== 'List' && !('first' in fieldConfig.args)) return resolver;
    return (parent, args, context, info) => {
      checkDeadline();
      return resolver(parent, args, context, info);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      deadline: DeadlinePlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('deadline', DeadlinePlugin);
