import type { FieldMap, ObjectRef } from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import { z } from 'zod';
import { ATTRIBUTIONS, BASIS_KINDS, CLAIM_KINDS, ENTITY_KINDS, EVENT_STATUSES, SOURCE_KINDS, STANCES } from '../../../../schema/enums';
import { notFound } from '../../../domain/errors';
import { isPartialDateSchema } from '../../../model/fields';
import { isGlobalId } from '../../../model/writes/common';
import { CLIENT_MUTATION_ID_MAX_LENGTH, IDEMPOTENCY_KEY_HOURS, writeOnce } from '../../../model/writes/idempotency';
import { ISOLATION, type MutationName } from '../../../model/writes/isolation';
import { transaction } from '../../../db/engine';
import type { Db } from '../../../db';
import { builder, type Context } from '../../builder';
import { AttributionEnum, BasisKindEnum, ClaimKindEnum, EntityKindEnum, EventStatusEnum, PartialDate, SourceKindEnum, StanceEnum } from '../scalars';

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

const CLIENT_MUTATION_ID_INPUT = `Optional idempotency key, 1 to ${CLIENT_MUTATION_ID_MAX_LENGTH} characters, new for each write (a UUID will do). Sent again with the same input and the same token within ${IDEMPOTENCY_KEY_HOURS} hours, it returns the first write's result (its objects as they are now) without writing again, even if the first answer never arrived; sent with a different input, or to another mutation, it is a CONFLICT. Without it, every request writes.`;

/** A mutation's payload, with the clientMutationId it echoes. */
export type Echoed<T> = T & { clientMutationId: string | null };

/** The GraphQL enum of each zod enum a write takes, by its values. */
const ENUMS = new Map<string, unknown>(
  (
    [
      [ENTITY_KINDS, EntityKindEnum],
      [EVENT_STATUSES, EventStatusEnum],
      [CLAIM_KINDS, ClaimKindEnum],
      [ATTRIBUTIONS, AttributionEnum],
      [SOURCE_KINDS, SourceKindEnum],
      [STANCES, StanceEnum],
      [BASIS_KINDS, BasisKindEnum],
    ] as const
  ).map(([values, ref]) => [values.join(), ref]),
);

/** A field's schema without its optional/nullable/default wrappers, and whether one made it optional. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean; description?: string } {
  let inner = schema;
  let optional = false;
  let description = schema.description;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    optional = true;
    inner = inner.unwrap() as z.ZodType;
    description ??= inner.description;
  }
  return { inner, optional, description };
}

const lengthCheck = (schema: z.ZodType, check: 'max_length' | 'min_length') =>
  (schema.def.checks ?? []).map((c) => c._zod.def as { check: string; maximum?: number; minimum?: number }).find((c) => c.check === check);

/** "At most 500 characters.", "At least 1 and at most 20 items, without repeats.": the limits the schema checks, in words. */
function limits(schema: z.ZodType): string {
  if (schema instanceof z.ZodArray) {
    const max = lengthCheck(schema, 'max_length')?.maximum;
    const min = lengthCheck(schema, 'min_length')?.minimum;
    const bounds = [min && `at least ${min}`, max && `at most ${max}`].filter(Boolean).join(' and ');
    const itemMax = lengthCheck(schema.element as z.ZodType, 'max_length')?.maximum;
    const parts = [bounds && `${bounds} items`, itemMax && `each at most ${itemMax} characters`, schema.meta()?.uniqueItems && 'without repeats'];
    const sentence = parts.filter(Boolean).join(', ');
    return sentence && ` ${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
  }
  const max = lengthCheck(schema, 'max_length')?.maximum;
  return max ? ` At most ${max} characters.` : '';
}

const inputTypes = new Map<string, unknown>();

/** The GraphQL type of one value a write takes (an item, for lists). */
function graphqlType(schema: z.ZodType): unknown {
  if (isGlobalId(schema)) return 'ID';
  if (isPartialDateSchema(schema)) return PartialDate;
  if (schema instanceof z.ZodEnum) {
    const ref = ENUMS.get((schema.options as string[]).join());
    if (!ref) throw new Error(`no GraphQL enum has the values ${schema.options.join(', ')}`);
    return ref;
  }
  if (schema instanceof z.ZodObject) {
    const name = `${String(schema.meta()?.id)}Input`;
    if (!inputTypes.has(name)) {
      inputTypes.set(name, builder.inputType(name, { description: schema.description!, fields: (t) => fieldsOf(t, schema) }));
    }
    return inputTypes.get(name);
  }
  return 'String';
}

/**
 * The GraphQL input fields of a zod object, so that each field of a write is declared once (in
 * src/model): an optional field is nullable, a reference is an ID, a partial date a PartialDate,
 * and the description is the field's own followed by the limits its schema checks.
 */
function fieldsOf(t: InputFields, object: z.ZodObject) {
  return Object.fromEntries(
    Object.entries(object.shape as Record<string, z.ZodType>).map(([name, schema]) => {
      const { inner, optional, description } = unwrap(schema);
      const list = inner instanceof z.ZodArray;
      const type = graphqlType(list ? (inner.element as z.ZodType) : inner);
      const fallback = schema.meta()?.default ?? inner.meta()?.default;
      return [
        name,
        t.field({
          type: (list ? [type] : type) as never,
          required: !optional,
          description: `${description ?? ''}${limits(inner)}`.trim() || undefined,
          ...(fallback === undefined ? {} : { defaultValue: fallback as never }),
        }),
      ];
    }),
  );
}

/**
 * A mutation's input type, generated from the zod schema the write validates with, and the Relay
 * `clientMutationId` every mutation accepts.
 */
export function mutationInput<S extends z.ZodObject>(name: string, schema: S) {
  return builder.inputRef<z.input<S> & { clientMutationId?: string | null }>(name).implement({
    description: schema.description!,
    fields: (t) => ({ ...fieldsOf(t, schema), clientMutationId: t.string({ description: CLIENT_MUTATION_ID_INPUT }) }) as never,
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
 * Runs a mutation's write in one transaction (at the mutation's isolation: see ISOLATION), at most
 * once per clientMutationId (see writeOnce): `write` gets the transaction and the input without
 * the id, and returns the ids the payload is built from. The payload's fields read after commit.
 */
export async function once<I extends { clientMutationId?: string | null }, R extends object>(
  { db, writer }: Context,
  info: GraphQLResolveInfo,
  { clientMutationId, ...input }: I,
  write: (tx: Db, input: Omit<I, 'clientMutationId'>) => Promise<R>,
): Promise<Echoed<R>> {
  const mutation = info.fieldName as MutationName;
  const key = clientMutationId == null ? null : { writer: writer ?? '', clientMutationId, mutation, input };
  const [isolation] = ISOLATION[mutation];
  const result = await transaction(db, (tx) => writeOnce(tx, key, () => write(tx, input)), { isolation });
  return { ...result, clientMutationId: clientMutationId ?? null };
}

/**
 * A mutation: its input type made from the zod schema `write` validates with, its payload, and a
 * resolver that runs `write` at most once per clientMutationId.
 */
export function writeMutation<S extends z.ZodObject, T extends object>(
  name: MutationName,
  options: {
    description: string;
    input: S;
    inputDescription: string;
    payload: ObjectRef<Types, Echoed<T>>;
    /** Runs inside the mutation's transaction: `tx` is the database to read and write through. */
    write: (tx: Db, input: z.input<S>) => Promise<T>;
  },
) {
  const input = mutationInput(`${name[0]!.toUpperCase()}${name.slice(1)}Input`, options.input);
  builder.mutationField(name, (t) =>
    t.field({
      type: options.payload,
      description: options.description,
      args: { input: t.arg({ type: input, required: true, description: options.inputDescription }) },
      // Pothos cannot follow a generic input's shape through `args`; it is the input type's own.
      resolve: (_root, args, ctx, info) => {
        const { input: given } = args as unknown as { input: z.input<S> & { clientMutationId?: string | null } };
        return once(ctx, info, given, (tx, i) => options.write(tx, i as z.input<S>)) as never;
      },
    }),
  );
}
