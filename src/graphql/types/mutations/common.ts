import type { FieldMap, InputFieldMap } from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import { notFound } from '../../../domain/errors';
import { CLIENT_MUTATION_ID_MAX_LENGTH, IDEMPOTENCY_KEY_HOURS, writeOnce } from '../../../model/writes/idempotency';
import { builder, type Context } from '../../builder';

/** The schema types of our one builder, for helpers that build fields outside a `fields` callback. */
export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
export type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;

/**
 * A row the mutation wrote, read back for its payload. It can be gone by then: a retry answered
 * from its idempotency key reads the rows as they are now, and another process may have deleted one.
 */
export async function written<T>(row: PromiseLike<T | undefined>, what: string): Promise<T> {
  const found = await row;
  if (found === undefined) throw notFound(`${what} this mutation wrote no longer exists: it has been deleted since.`);
  return found;
}

export const SLUG_DESCRIPTION =
  'Stable natural key: lowercase letters and digits joined by single hyphens, at most 200 characters. Derived from the name when omitted (with "-2", "-3", … added if taken); a slug that is taken is a CONFLICT.';

const CLIENT_MUTATION_ID_INPUT = `Optional idempotency key, 1 to ${CLIENT_MUTATION_ID_MAX_LENGTH} characters, new for each write (a UUID will do). Sent again with the same input and the same token within ${IDEMPOTENCY_KEY_HOURS} hours, it returns the first write's result (its objects as they are now) without writing again, even if the first answer never arrived; sent with a different input, or to another mutation, it is a CONFLICT. Without it, every request writes.`;

/** A mutation's payload, with the clientMutationId it echoes. */
export type Echoed<T> = T & { clientMutationId: string | null };

/** A mutation's input type: its own fields and the Relay `clientMutationId` every mutation accepts. */
export function mutationInput<Fields extends InputFieldMap>(name: string, options: { description: string; fields: (t: InputFields) => Fields }) {
  return builder.inputType(name, {
    description: options.description,
    fields: (t) => ({ ...options.fields(t), clientMutationId: t.string({ description: CLIENT_MUTATION_ID_INPUT }) }),
  });
}

/** A mutation's payload type, built from what the mutation returned (`T`, ids), echoing the clientMutationId. */
export function mutationPayload<T extends object>(
  name: string,
  options: { description: string; fields: (t: PothosSchemaTypes.ObjectFieldBuilder<Types, Echoed<T>>) => FieldMap },
) {
  return builder.objectRef<Echoed<T>>(name).implement({
    description: options.description,
    fields: (t) => ({
      ...options.fields(t),
      clientMutationId: t.string({
        nullable: true,
        description: 'The input\'s clientMutationId, unchanged; null when it had none.',
        resolve: (payload) => payload.clientMutationId,
      }),
    }),
  });
}

/**
 * Runs a mutation's write at most once per clientMutationId (see writeOnce): `write` gets the
 * input without it and returns the ids the payload is built from.
 */
export function once<I extends { clientMutationId?: string | null }, R extends object>(
  { db, writer }: Context,
  info: GraphQLResolveInfo,
  { clientMutationId, ...input }: I,
  write: (input: Omit<I, 'clientMutationId'>) => R,
): Echoed<R> {
  const key = clientMutationId == null ? null : { writer: writer ?? '', clientMutationId, mutation: info.fieldName, input };
  return { ...writeOnce(db, key, () => write(input)), clientMutationId: clientMutationId ?? null };
}
