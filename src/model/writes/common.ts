import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { EntityKind } from '../../../schema/enums';
import { claims, entities, sources } from '../../../schema/tables';
import type { Db } from '../../db';
import { UserError, notFound } from '../../domain/errors';
import { decodeGlobalID, ENTITY_TYPE_BY_KIND, ENTITY_TYPE_NAMES } from '../../domain/ids';

/**
 * The time a write stamps on `updated_at`, in the format the columns' defaults use (ISO 8601, UTC,
 * milliseconds, as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ') writes it): taken here rather than in
 * SQL, so that both engines store the same text.
 */
export const now = (): string => new Date().toISOString();

/**
 * A new row's `created_at` and `updated_at`, stamped here as `touch` stamps a change rather than
 * left to the column's default: PostgreSQL's default is the time its transaction began, before the
 * changes the same write stamped on other rows, where SQLite's is the statement's. Taken from one
 * clock in the order the write runs, rows sort by these times alike on both engines.
 */
export const stamps = (): { createdAt: string; updatedAt: string } => {
  const at = now();
  return { createdAt: at, updatedAt: at };
};

/** "input.aboutIds[1]", "input.citations[0].sourceId". */
export function fieldPath(path: readonly PropertyKey[], root = 'input'): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`), root);
}

/**
 * Validates a mutation's input. Every problem is reported: the error's message and `field` name
 * the first, and `extensions.problems` lists them all as `{ field, message }`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({ field: fieldPath(issue.path), message: issue.message }));
  const first = problems[0]!;
  throw new UserError('BAD_USER_INPUT', `${first.field}: ${first.message}`, { field: first.field, problems });
}

export const badField = (field: string, message: string) => new UserError('BAD_USER_INPUT', `${field}: ${message}`, { field });

/**
 * Control characters a text may not hold: C0 but tab, newline and carriage return, DEL, and C1.
 * SQLite's length() stops at U+0000, so a NUL-led text would meet a CHECK constraint; the others
 * are invisible and never meant.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

const codePoint = (text: string, at: number) => `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * What is wrong with a text, or null: the one rule every text of every write and of the import
 * format follows. Lone surrogates arrive as such from JSON ("\ud800"); stored, they would come
 * back as replacement characters.
 */
export function textProblem(text: string): string | null {
  const control = CONTROL_CHARACTER.exec(text);
  if (control) return `must not contain control characters: ${codePoint(text, control.index)} at character ${control.index}; remove it`;
  // With the u flag a paired surrogate is one code point, so only a lone one matches.
  const at = text.search(/\p{Surrogate}/u);
  if (at >= 0) {
    return `must be well-formed Unicode: an unpaired surrogate ${codePoint(text, at)} at character ${at}; send the whole character`;
  }
  return null;
}

/** `textProblem` as a zod check; it stops the checks after it (length, format) when it fails. */
export function textRule(ctx: z.core.ParsePayload<string>): void {
  const problem = textProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value, continue: false });
}

/** A string that follows the text rule; the base of every free-text field's schema. */
export const plainString = () => z.string().check(textRule);

/** A decoded global id, with the text the caller sent (for messages). */
export interface Ref {
  id: number;
  typename: string;
  globalId: string;
}

/** A global id that must name one of `types`; `what` says which in the error. */
function ref(types: readonly string[], what: string) {
  return z.string().transform((value, ctx): Ref => {
    let decoded: { typename: string; id: string };
    try {
      decoded = decodeGlobalID(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    if (!types.includes(decoded.typename)) {
      ctx.addIssue({ code: 'custom', message: `expected the id of ${what}, got the id of a ${decoded.typename}` });
      return z.NEVER;
    }
    return { id: Number(decoded.id), typename: decoded.typename, globalId: value };
  }).meta({ globalId: true });
}

/** True for the schemas `ref` makes (and their described copies): the API types them as ID. */
export const isGlobalId = (schema: z.ZodType) => schema.meta()?.globalId === true;

export const entityRef = ref(ENTITY_TYPE_NAMES, 'an entity');
export const eventRef = ref(['Event'], 'an Event');
export const sourceRef = ref(['Source'], 'a Source');
export const claimRef = ref(['Claim'], 'a Claim');
export const citationRef = ref(['Citation'], 'a Citation');

export type EntityHead = { id: number; slug: string; kind: EntityKind; name: string };

/** The entity `ref` names; NOT_FOUND when there is none of that type (a Person id never finds an Organization). */
export async function findEntity(tx: Db, ref: Ref, field: string): Promise<EntityHead> {
  const [row] = await tx
    .select({ id: entities.id, slug: entities.slug, kind: entities.kind, name: entities.name })
    .from(entities)
    .where(eq(entities.id, ref.id))
    .limit(1);
  if (!row || ENTITY_TYPE_BY_KIND[row.kind] !== ref.typename) throw missing(ref, field);
  return row;
}

export async function findSource(tx: Db, ref: Ref, field: string) {
  const [row] = await tx.select({ id: sources.id, slug: sources.slug, title: sources.title }).from(sources).where(eq(sources.id, ref.id)).limit(1);
  if (!row) throw missing(ref, field);
  return row;
}

export async function findClaim(tx: Db, ref: Ref, field: string) {
  const [row] = await tx.select({ id: claims.id, slug: claims.slug }).from(claims).where(eq(claims.id, ref.id)).limit(1);
  if (!row) throw missing(ref, field);
  return row;
}

/** Each of `refs` found by `find`, one after the other: a transaction's connection runs one statement at a time. */
export async function findEach<R, T>(refs: readonly R[] | null | undefined, find: (ref: R, i: number) => Promise<T>): Promise<T[]> {
  const found: T[] = [];
  for (const [i, ref] of (refs ?? []).entries()) found.push(await find(ref, i));
  return found;
}

const missing = (ref: Ref, field: string) => notFound(`${field}: no ${ref.typename} has the id "${ref.globalId}"`, field);

/** Records that a row changed through its links (citations, aliases, participants, contradictions). */
export async function touch(tx: Db, table: typeof entities | typeof claims, id: number): Promise<void> {
  await tx.update(table).set({ updatedAt: now() }).where(eq(table.id, id));
}

/** Treats an explicit null like an omitted field: both mean "none" when creating a row. */
export const orNull = <T>(value: T | null | undefined): T | null => value ?? null;
