import type { builder } from '../../builder';

/** The schema types of our one builder, for helpers that build fields outside a `fields` callback. */
export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
export type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;

/** A row the mutation has just written, read back for its payload. */
export async function written<T>(row: PromiseLike<T | undefined>, what: string): Promise<T> {
  const found = await row;
  if (found === undefined) throw new Error(`${what} vanished between its write and the payload`);
  return found;
}

export const SLUG_DESCRIPTION =
  'Stable natural key: lowercase letters and digits joined by single hyphens, at most 200 characters. Derived from the name when omitted (with "-2", "-3", … added if taken); a slug that is taken is a CONFLICT.';
