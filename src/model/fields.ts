import { getTableColumns } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { ATTRIBUTIONS, BASIS_KINDS, CLAIM_KINDS, ENTITY_KINDS, EVENT_STATUSES, SOURCE_KINDS, STANCES } from '../../schema/enums';
import { intervalEnd, isPartialDate } from '../domain/partial-date';
import { FOLDED_CASE, foldCase } from '../domain/text';
import { MAX_ITEMS } from './list-caps';
import { claimRef, entityRef, plainString, type Ref, sourceRef, textRule } from './writes/common';

/**
 * The rule of every field a write or the import format takes, declared once: its type, whether
 * it may be left out, its limits and its description. The import format (import-format.ts) and
 * the mutations' inputs (writes/*.ts, and through them the GraphQL inputs) are views of these
 * rules; they differ only in how a reference is written (a slug there, a global id here).
 */

/** The longest text each field takes, in characters (after trimming). */
export const MAX_LENGTH = {
  name: 500,
  alias: 500,
  description: 5000,
  text: 5000,
  title: 1000,
  label: 200,
  legalForm: 200,
  occupation: 200,
  role: 200,
  locator: 500,
  quote: 5000,
  url: 2000,
  slug: 200,
  predicate: 64,
  basisNote: 1000,
} as const;

export const slug = z
  .string()
  .max(MAX_LENGTH.slug, `a slug is at most ${MAX_LENGTH.slug} characters`)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a slug is lowercase letters and digits joined by single hyphens')
  .meta({ id: 'Slug', description: "A row's stable natural key, e.g. \"elon-musk\"; references name rows by it." });

/** Trimmed, non-empty text of at most `max` characters. */
export const text = (max: number) =>
  plainString()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .meta({ pattern: '\\S' });

export const partialDate = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'a PartialDate is "YYYY", "YYYY-MM" or "YYYY-MM-DD"')
  .refine(isPartialDate, 'a PartialDate is "YYYY", "YYYY-MM" or "YYYY-MM-DD" naming a real date')
  .meta({ id: 'PartialDate', description: 'An ISO 8601 date of year, month or day precision: "2015", "2018-02", "2015-12-11".' });

/** True for `partialDate` and its described copies (the API types them as PartialDate). */
export function isPartialDateSchema(schema: z.ZodType): boolean {
  for (let s: z.ZodType | undefined = schema; s; s = s._zod.parent as z.ZodType | undefined) if (s === partialDate) return true;
  return false;
}

export const wikidataId = z.string().regex(/^Q[1-9][0-9]*$/, 'a Wikidata id looks like "Q317521"');
export const url = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(MAX_LENGTH.url, `must be at most ${MAX_LENGTH.url} characters`)
  .check(textRule)
  .meta({ pattern: '^https?://' });
export const predicate = z
  .string()
  .max(MAX_LENGTH.predicate)
  .regex(
    new RegExp(`^[a-z][a-z0-9_]{0,${MAX_LENGTH.predicate - 1}}$`),
    `a predicate is a snake_case key of at most ${MAX_LENGTH.predicate} characters, e.g. "co_founded"`,
  );

/** An interval's end must not come before its start; a partial date stands for its whole span. */
export function endsBeforeStart(start: string | null | undefined, end: string | null | undefined): boolean {
  return start != null && end != null && intervalEnd(end) < start;
}

/** A check that `end` does not come before `start`, for an object schema's superRefine. */
export function inOrder<S extends string, E extends string>(start: S, end: E) {
  return (value: Partial<Record<S | E, string | null>>, ctx: z.RefinementCtx) => {
    if (endsBeforeStart(value[start], value[end])) ctx.addIssue({ code: 'custom', path: [end], message: `ends before ${start}` });
  };
}

/** A list without repeats (by `key`) of at most `max` items (null: no bound); `uniqueItems` tells its readers. */
export function uniqueList<T extends z.ZodType>(item: T, max: number | null, key: (value: z.output<T>) => unknown, what: string) {
  const list = z.array(item);
  return (max === null ? list : list.max(max, `at most ${max} items`))
    .superRefine((list, ctx) => {
      const seen = new Set<unknown>();
      list.forEach((value, i) => {
        const k = key(value);
        if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `${what} is listed twice` });
        seen.add(k);
      });
    })
    .meta({ uniqueItems: true });
}

// ---- References: one rule, two spellings ----

const REF_SCHEMAS = { entity: entityRef, source: sourceRef, claim: claimRef } as const;
type RefTarget = keyof typeof REF_SCHEMAS;

/**
 * A reference to other rows: named by slug in the import format and by global id (under the name
 * `api`) in the API; `refs` makes a list of them, without repeats.
 */
export interface RefRule<Api extends string = string, Optional extends boolean = boolean, Many extends boolean = boolean> {
  readonly to: RefTarget;
  readonly api: Api;
  readonly optional: Optional;
  readonly many: Many;
  readonly description: string;
  readonly max?: number;
  /** At least this many, and what to say when there are fewer. */
  readonly min?: { count: number; message: string };
}

export function ref<Api extends string, Optional extends boolean = false>(
  to: RefTarget,
  api: Api,
  description: string,
  options: { optional?: Optional } = {},
): RefRule<Api, Optional, false> {
  return { to, api, optional: (options.optional ?? false) as Optional, many: false, description };
}

export function refs<Api extends string, Optional extends boolean = false>(
  to: RefTarget,
  api: Api,
  description: string,
  options: { max: number; min?: { count: number; message: string }; optional?: Optional },
): RefRule<Api, Optional, true> {
  return { to, api, optional: (options.optional ?? false) as Optional, many: true, description, max: options.max, min: options.min };
}

/** A list of objects with rules of their own (a claim's citations), unique by the fields `unique`. */
export interface ObjectListRule<R extends Rules = Rules> {
  readonly items: R;
  readonly id: string;
  readonly itemDescription: string;
  readonly unique: readonly (keyof R & string)[];
  readonly what: string;
  readonly max: number;
  readonly description: string;
}

export type Rule = z.ZodType | RefRule | ObjectListRule;
export type Rules = Record<string, Rule>;

const isRef = (rule: Rule): rule is RefRule => 'to' in rule && 'api' in rule;
const isObjectList = (rule: Rule): rule is ObjectListRule => 'items' in rule && 'unique' in rule;

type Wrap<S extends z.ZodType, Optional> = Optional extends true ? z.ZodOptional<S> : S;
type ApiWrap<S extends z.ZodType, Optional> = Optional extends true ? z.ZodOptional<z.ZodNullable<S>> : S;
type Value<Many, T> = Many extends true ? T[] : T;

/** The import format's schema of one rule. */
type ImportField<R> =
  R extends RefRule<string, infer O, infer M>
    ? Wrap<z.ZodType<Value<M, string>, Value<M, string>>, O>
    : R extends ObjectListRule<infer I>
      ? z.ZodOptional<z.ZodType<z.output<z.ZodObject<ImportShape<I>>>[], z.input<z.ZodObject<ImportShape<I>>>[]>>
      : R;
export type ImportShape<R extends Rules> = { [K in keyof R]: ImportField<R[K]> };

/** The API's schema of one rule: optional fields also take null, which means "none". */
type ApiField<R> =
  R extends RefRule<string, infer O, infer M>
    ? ApiWrap<z.ZodType<Value<M, Ref>, Value<M, string>>, O>
    : R extends ObjectListRule<infer I>
      ? z.ZodOptional<z.ZodNullable<z.ZodType<z.output<z.ZodObject<ApiShape<I>>>[], z.input<z.ZodObject<ApiShape<I>>>[]>>>
      : R extends z.ZodOptional<infer T> | z.ZodDefault<infer T>
        ? z.ZodOptional<z.ZodNullable<T>>
        : R;
type ApiName<K, R> = R extends RefRule<infer A> ? A : K;
export type ApiShape<R extends Rules> = { [K in keyof R as ApiName<K, R[K]>]: ApiField<R[K]> };

/** The name a field has in the API. */
export const apiName = (name: string, rule: Rule) => (isRef(rule) ? rule.api : name);

function refList<T extends z.ZodType>(rule: RefRule, item: T, key: (value: z.output<T>) => unknown) {
  const list = uniqueList(item, rule.max!, key, `this ${rule.to}`);
  return rule.min ? list.min(rule.min.count, rule.min.message) : list;
}

/** The key that makes a list item a repeat; a reference counts by the row it names. */
const keyOf = (value: unknown) => (typeof value === 'object' && value !== null && 'id' in value ? (value as Ref).id : value);

function objectList<R extends Rules>(rule: ObjectListRule<R>, view: (rules: R) => z.ZodRawShape, strict: boolean) {
  const shape = view(rule.items);
  const names = rule.unique.map((name) => (strict ? name : apiName(name, rule.items[name]!)));
  const item = (strict ? z.strictObject(shape) : z.object(shape)).meta({ id: rule.id, description: rule.itemDescription });
  return uniqueList(item, rule.max, (v) => names.map((n) => keyOf((v as Record<string, unknown>)[n]) ?? '').join('\u0000'), rule.what);
}

/** The rules as the import format writes them: references by slug, optional fields left out. */
export function importShape<R extends Rules>(rules: R): ImportShape<R> {
  const shape = Object.fromEntries(
    Object.entries(rules).map(([name, rule]) => {
      if (isRef(rule)) {
        const schema = rule.many ? refList(rule, slug, (s) => s) : slug;
        const described = schema.meta({ description: rule.description });
        return [name, rule.optional ? described.optional() : described];
      }
      if (isObjectList(rule)) return [name, objectList(rule, importShape, true).meta({ description: rule.description }).optional()];
      return [name, rule];
    }),
  );
  return shape as ImportShape<R>;
}

/** The rules as the API takes them: references by global id, optional fields also null. */
export function apiShape<R extends Rules>(rules: R): ApiShape<R> {
  const shape = Object.fromEntries(
    Object.entries(rules).map(([name, rule]) => {
      if (isRef(rule)) {
        const one = REF_SCHEMAS[rule.to];
        const schema = (rule.many ? refList(rule, one, keyOf) : one).meta({ description: rule.description });
        return [rule.api, rule.optional ? schema.nullish() : schema];
      }
      if (isObjectList(rule)) return [name, objectList(rule, apiShape, false).meta({ description: rule.description }).nullish()];
      if (rule instanceof z.ZodOptional || rule instanceof z.ZodDefault) {
        // null and omitted both mean "none"; a default is kept for the API to show and apply.
        const inner = rule.unwrap() as z.ZodType;
        return [name, (rule instanceof z.ZodDefault ? inner.meta({ default: rule.def.defaultValue }) : inner).nullish()];
      }
      return [name, rule];
    }),
  );
  return shape as ApiShape<R>;
}

/** The slug a create mutation takes; derived from `from` (e.g. "the title") when omitted. */
export const slugInput = (from: string) =>
  slug
    .meta({
      description: `Stable natural key: lowercase letters and digits joined by single hyphens. Derived from ${from} when omitted (with "-2", "-3", … added if taken); a slug that is taken is a CONFLICT.`,
    })
    .nullish();

/**
 * The fields of `rules` stored as they are, in a column of `table` of the same name: the field's
 * name to its SQL column's. References and lists are stored otherwise and left out. Worked out
 * once per pair: the importer and the exporter ask for it row by row.
 */
export function sameNameColumns(rules: Rules, table: SQLiteTable): ReadonlyMap<string, string> {
  let byTable = storedColumns.get(rules);
  if (!byTable) storedColumns.set(rules, (byTable = new WeakMap()));
  let found = byTable.get(table);
  if (!found) {
    const columns = getTableColumns(table) as Record<string, { name: string }>;
    found = new Map(Object.keys(rules).filter((field) => Object.hasOwn(columns, field)).map((field) => [field, columns[field]!.name]));
    byTable.set(table, found);
  }
  return found;
}

const storedColumns = new WeakMap<Rules, WeakMap<SQLiteTable, ReadonlyMap<string, string>>>();

const described = <T extends z.ZodType>(schema: T, description: string) => schema.meta({ description });

// ---- The rules of each kind of row ----

/** The fields only some kinds of entity have (the rest are shared by all). */
export const KIND_FIELDS = {
  ORGANIZATION: ['foundedOn', 'legalForm'],
  PERSON: ['occupation'],
  PRODUCT: ['developer', 'releasedOn'],
  EVENT: ['startDate', 'endDate', 'status', 'participants'],
  PLACE: [],
  GROUP: [],
} as const satisfies Record<(typeof ENTITY_KINDS)[number], readonly string[]>;
export const ALL_KIND_FIELDS: readonly string[] = [...new Set(Object.values(KIND_FIELDS).flat())];

/** "ORGANIZATION" or "EVENT": the kinds that have `field`. */
export function kindsWith(field: string): string {
  return Object.entries(KIND_FIELDS)
    .filter(([, fields]) => (fields as readonly string[]).includes(field))
    .map(([kind]) => kind)
    .join(', ');
}

/** The kind-specific fields (by rule name) an entity of `kind` sets, per `isSet`, that its kind does not have. */
export function foreignFields(kind: (typeof ENTITY_KINDS)[number], isSet: (field: string) => boolean): string[] {
  const own: readonly string[] = KIND_FIELDS[kind];
  return ALL_KIND_FIELDS.filter((field) => isSet(field) && !own.includes(field));
}

/** "ORGANIZATION only: " before the description of a field only some kinds have. */
export const kindNote = (field: string, description: string) => (ALL_KIND_FIELDS.includes(field) ? `${kindsWith(field)} only: ${description}` : description);

/** An entity's fields besides its kind. */
export const ENTITY_FIELDS = {
  name: described(text(MAX_LENGTH.name), 'The name it is best known by.'),
  aliases: described(
    uniqueList(text(MAX_LENGTH.alias), MAX_ITEMS.entityAliases, foldCase, `this alias, ignoring ${FOLDED_CASE},`),
    `Other names it is known by, in order; two that differ only in ${FOLDED_CASE} are repeats ("AB" and "ab" are; "Å" and "å" are not).`,
  ).optional(),
  description: described(text(MAX_LENGTH.description), 'A short description.').optional(),
  wikidataId: described(wikidataId, 'The matching Wikidata item, e.g. "Q317521".').optional(),
  wikidataSource: ref('source', 'wikidataSourceId', 'Where the Wikidata id was taken from (e.g. a Source "Wikidata" of kind ENCYCLOPEDIA): an outside fact cites its source. Needs a wikidataId.', {
    optional: true,
  }),
  foundedOn: described(partialDate, kindNote('foundedOn', 'when it was founded.')).optional(),
  legalForm: described(text(MAX_LENGTH.legalForm), kindNote('legalForm', 'its legal form, e.g. "capped for-profit".')).optional(),
  occupation: described(text(MAX_LENGTH.occupation), kindNote('occupation', 'what they do.')).optional(),
  developer: ref('entity', 'developerId', kindNote('developer', 'the entity that develops it.'), { optional: true }),
  releasedOn: described(partialDate, kindNote('releasedOn', 'when it was released.')).optional(),
  startDate: described(partialDate, kindNote('startDate', 'when it began (or happened).')).optional(),
  endDate: described(partialDate, kindNote('endDate', 'when it ended; not before startDate.')).optional(),
  status: described(z.enum(EVENT_STATUSES), kindNote('status', 'whether it took place; an event needs one.')).optional(),
};

export const entityKind = described(z.enum(ENTITY_KINDS), 'What sort of entity it is; it cannot change later.');

/** One participant of an event. */
export const PARTICIPANT_FIELDS = {
  entity: ref('entity', 'entityId', 'The entity that took part (not the event itself).'),
  role: described(text(MAX_LENGTH.role), 'The role it played, e.g. "co-founder".'),
};

export const SOURCE_FIELDS = {
  kind: described(z.enum(SOURCE_KINDS), 'What sort of document it is.'),
  title: described(text(MAX_LENGTH.title), 'Its title.'),
  url: described(url, 'Where to read it: an http or https URL.').optional(),
  publisher: ref('entity', 'publisherId', 'The entity that published it.', { optional: true }),
  publishedOn: described(partialDate, 'When it was published.').optional(),
  retrievedOn: described(partialDate, 'When it was read.').optional(),
  label: described(text(MAX_LENGTH.label), 'How a citing document prints it, e.g. "[2] Cnbc".').optional(),
};

export const CITATION_FIELDS = {
  source: ref('source', 'sourceId', 'The cited Source.'),
  stance: described(z.enum(STANCES), 'Whether the source supports, refutes, qualifies or merely mentions the claim.'),
  locator: described(text(MAX_LENGTH.locator), 'Where in the source: "note [2]", "p. 4".').optional(),
  quote: described(text(MAX_LENGTH.quote), 'The passage relied on, verbatim.').optional(),
};

/**
 * The note an edge gets when it is recorded without a basis (an older document, or a write that
 * leaves the basis out with nothing to state it): INFERRED, and this says why.
 */
export const NO_BASIS_NOTE = 'Recorded without a basis: nothing said that its source states it.';

const basisKind = z.enum(BASIS_KINDS);
const basisNote = (what: string) => described(text(MAX_LENGTH.basisNote), `From what ${what} was inferred; required when the basis is INFERRED.`).optional();

/** One contradiction as a claim lists it: the other claim and the basis of the opposition. */
export const CONTRADICTION_FIELDS = {
  claim: ref('claim', 'claimId', 'The claim it contradicts.'),
  basis: described(
    basisKind,
    'STATED: the source sets the two claims against each other (quote the passage); INFERRED: whoever recorded it drew the opposition (say from what in `note`).',
  ),
  note: basisNote('the opposition'),
  quote: described(text(MAX_LENGTH.quote), 'For STATED: the passage that sets the two against each other, verbatim.').optional(),
};

/** An INFERRED edge says from what; a STATED relationship names the claims that state it. */
export function basisIssues(
  basis: string | null | undefined,
  note: string | null | undefined,
  claims: number | null,
  fields: { note: string; claims: string },
  ctx: z.RefinementCtx,
  at: PropertyKey[] = [],
) {
  if (basis === 'INFERRED' && !note) {
    ctx.addIssue({ code: 'custom', path: [...at, fields.note], message: `an INFERRED edge says from what it was inferred: give ${fields.note}` });
  }
  if (basis === 'STATED' && claims === 0) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, fields.claims],
      message: `a STATED relationship names the claims that state it: give ${fields.claims}, or make it INFERRED with a ${fields.note}`,
    });
  }
}

/** The checks of a claim's contradictions: each INFERRED one says from what; none is also in `contradicts`. */
export function contradictionIssues(
  listed: readonly unknown[] | null | undefined,
  items: readonly ({ basis: string; note?: string | null } & Record<string, unknown>)[] | null | undefined,
  fields: { contradicts: string; contradictions: string; claim: string },
  ctx: z.RefinementCtx,
) {
  const key = (v: unknown) => (typeof v === 'object' && v !== null && 'id' in v ? (v as { id: unknown }).id : v);
  const bare = new Set((listed ?? []).map(key));
  items?.forEach((c, i) => {
    basisIssues(c.basis, c.note, null, { note: 'note', claims: '' }, ctx, [fields.contradictions, i]);
    if (bare.has(key(c[fields.claim]))) {
      ctx.addIssue({ code: 'custom', path: [fields.contradictions, i, fields.claim], message: `this claim is also in ${fields.contradicts}: list it once, here, with its basis` });
    }
  });
}

/** A relationship's basis as stored: left out, STATED when claims are given, else INFERRED with NO_BASIS_NOTE. */
export function relationshipBasis(basis: string | null | undefined, note: string | null | undefined, claims: number) {
  const kind = (basis ?? (claims > 0 ? 'STATED' : 'INFERRED')) as (typeof BASIS_KINDS)[number];
  return { basis: kind, basisNote: note ?? (kind === 'INFERRED' && basis == null ? NO_BASIS_NOTE : null) };
}

export const CLAIM_FIELDS = {
  text: described(text(MAX_LENGTH.text), 'The assertion, in our own words.'),
  kind: described(z.enum(CLAIM_KINDS), 'Fact, position, opinion or anecdote.'),
  claimant: ref('entity', 'claimantId', 'The entity that asserts it; omit it when the source asserts it in its own voice.', { optional: true }),
  attribution: described(
    z.enum(ATTRIBUTIONS),
    "DIRECT: in the claimant's own words (or the source's); REPORTED: the source says the claimant holds it.",
  ).default('DIRECT'),
  appearsIn: ref('source', 'appearsInId', 'The Source the claim is taken from.'),
  about: refs('entity', 'aboutIds', 'The entities it is about.', {
    max: MAX_ITEMS.claimAbout,
    min: { count: 1, message: 'a claim is about at least one entity' },
  }),
  citations: {
    items: CITATION_FIELDS,
    id: 'Citation',
    itemDescription: 'A source cited for a claim. A claim cites a source with a given stance and locator once.',
    unique: ['source', 'stance', 'locator'],
    what: 'a citation of this source with this stance and locator',
    max: MAX_ITEMS.claimCitations,
    description: 'Sources cited for it. Its `support` is derived from them.',
  } satisfies ObjectListRule<typeof CITATION_FIELDS>,
  contradicts: refs(
    'claim',
    'contradictsIds',
    `The claims it contradicts, without a basis: each is recorded INFERRED, with the note "${NO_BASIS_NOTE}" Prefer \`contradictions\`. Each link is recorded both ways.`,
    { max: MAX_ITEMS.claimContradicts, optional: true },
  ),
  contradictions: {
    items: CONTRADICTION_FIELDS,
    id: 'Contradiction',
    itemDescription: 'A claim this one contradicts, and the basis of the opposition.',
    unique: ['claim'],
    what: 'a contradiction of this claim',
    max: MAX_ITEMS.claimContradicts,
    description: 'The claims it contradicts, each with its basis (STATED or INFERRED). Each link is recorded both ways, with the same basis.',
  } satisfies ObjectListRule<typeof CONTRADICTION_FIELDS>,
  validFrom: described(partialDate, 'From when it holds, if it is time-bound.').optional(),
  validTo: described(partialDate, 'Until when it holds; not before validFrom.').optional(),
};

export const RELATIONSHIP_FIELDS = {
  subject: ref('entity', 'subjectId', 'The entity the link starts from.'),
  predicate: described(predicate, 'snake_case key of the link, e.g. "co_founded": a lowercase letter, then lowercase letters, digits and underscores.'),
  label: described(text(MAX_LENGTH.label), 'The link in human wording, e.g. "co-founded"; the predicate with spaces when omitted.').optional(),
  object: ref('entity', 'objectId', 'The entity the link points to.'),
  validFrom: described(partialDate, 'When it began to hold.').optional(),
  validTo: described(partialDate, 'When it stopped holding; not before validFrom.').optional(),
  claims: refs('claim', 'claimIds', 'The claims it rests on: for STATED those that state it, for INFERRED those it was inferred from.', {
    max: MAX_ITEMS.relationshipClaims,
    optional: true,
  }),
  basis: described(
    basisKind,
    'STATED: its claims state it (give at least one); INFERRED: read from its claims or from elsewhere (say from what in basisNote). When omitted: STATED if claims are given, else INFERRED with a note saying no basis was given.',
  ).optional(),
  basisNote: basisNote('the relationship'),
};
