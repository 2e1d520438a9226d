import { z } from 'zod';
import {
  ATTRIBUTIONS,
  CLAIM_KINDS,
  ENTITY_KINDS,
  EVENT_STATUSES,
  SOURCE_KINDS,
  STANCES,
} from '../../schema/enums';
import { intervalEnd, isPartialDate } from '../domain/partial-date';
import { MAX_ITEMS } from './list-caps';
import { plainString, textRule } from './writes/common';

/**
 * The import format: one JSON document, every row keyed by its slug, references by slug.
 * The seed is written in it, `npm run import` reads it and `npm run export` writes it.
 * Mutations validate their values with the same field schemas, so whatever they store exports
 * and imports again.
 */
export const FORMAT = 'claimgraph/v1';

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
} as const;

/** A list of at most `max` items (see MAX_ITEMS). */
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max, `at most ${max} items`);

export const slug = z
  .string()
  .max(200, 'a slug is at most 200 characters')
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

export const wikidataId = z.string().regex(/^Q[1-9][0-9]*$/, 'a Wikidata id looks like "Q317521"');
export const url = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(MAX_LENGTH.url, `must be at most ${MAX_LENGTH.url} characters`)
  .check(textRule)
  .meta({ pattern: '^https?://' });
export const predicate = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a predicate is a snake_case key of at most 64 characters, e.g. "co_founded"');

/** An interval's end must not come before its start; a partial date stands for its whole span. */
export function endsBeforeStart(start: string | null | undefined, end: string | null | undefined): boolean {
  return start != null && end != null && intervalEnd(end) < start;
}

type Issue = { path: PropertyKey[]; message: string };

/** Reports the second and later mentions of the same value in a list. */
function duplicates<T>(list: readonly T[] | undefined, key: (item: T) => string, path: PropertyKey[], what: string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  list?.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) issues.push({ path: [...path, i], message: `${what} is listed twice` });
    seen.add(k);
  });
  return issues;
}

const participant = z.strictObject({ entity: slug, role: text(MAX_LENGTH.role) });

const entityFields = z.strictObject({
  kind: z.enum(ENTITY_KINDS),
  name: text(MAX_LENGTH.name),
  aliases: list(text(MAX_LENGTH.alias), MAX_ITEMS.entityAliases).optional(),
  description: text(MAX_LENGTH.description).optional(),
  wikidataId: wikidataId.optional(),
  foundedOn: partialDate.optional(),
  legalForm: text(MAX_LENGTH.legalForm).optional(),
  occupation: text(MAX_LENGTH.occupation).optional(),
  developer: slug.optional(),
  releasedOn: partialDate.optional(),
  startDate: partialDate.optional(),
  endDate: partialDate.optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  participants: z.array(participant).optional(),
});
type EntityShape = z.infer<typeof entityFields>;

/** The fields only one kind of entity has (the rest are shared by all). */
export const KIND_FIELDS = {
  ORGANIZATION: ['foundedOn', 'legalForm'],
  PERSON: ['occupation'],
  PRODUCT: ['developer', 'releasedOn'],
  EVENT: ['startDate', 'endDate', 'status', 'participants'],
  PLACE: [],
} as const satisfies Record<(typeof ENTITY_KINDS)[number], readonly (keyof EntityShape)[]>;
const ALL_KIND_FIELDS = [...new Set(Object.values(KIND_FIELDS).flat())];

/** "ORGANIZATION" or "EVENT": the kinds that have `field`. */
export function kindsWith(field: string): string {
  return Object.entries(KIND_FIELDS)
    .filter(([, fields]) => (fields as readonly string[]).includes(field))
    .map(([kind]) => kind)
    .join(', ');
}

/** Checks across an entity's fields: kind-specific fields, an event's status, dates, repeats. */
function entityIssues(e: EntityShape): Issue[] {
  const issues: Issue[] = [];
  const allowed: readonly string[] = KIND_FIELDS[e.kind];
  for (const field of ALL_KIND_FIELDS) {
    if (e[field] !== undefined && !allowed.includes(field)) {
      issues.push({ path: [field], message: `only ${kindsWith(field)} entities have "${field}"` });
    }
  }
  if (e.kind === 'EVENT' && e.status === undefined) issues.push({ path: ['status'], message: 'an event needs a status' });
  if (endsBeforeStart(e.startDate, e.endDate)) issues.push({ path: ['endDate'], message: 'ends before startDate' });
  issues.push(...duplicates(e.aliases, (a) => a.toLowerCase(), ['aliases'], 'this alias (ignoring case)'));
  issues.push(...duplicates(e.participants, (p) => `${p.entity}\u0000${p.role}`, ['participants'], 'this participant in this role'));
  return issues;
}

function report(ctx: z.RefinementCtx, issues: Issue[]) {
  for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
}

const entity = entityFields
  .superRefine((e, ctx) => report(ctx, entityIssues(e)))
  .meta({ id: 'Entity', description: 'An organization, person, event, product or place. Kind-specific fields belong to their kind only.' });

const source = z
  .strictObject({
    kind: z.enum(SOURCE_KINDS),
    title: text(MAX_LENGTH.title),
    url: url.optional(),
    publisher: slug.optional(),
    publishedOn: partialDate.optional(),
    retrievedOn: partialDate.optional(),
    label: text(MAX_LENGTH.label).optional(),
  })
  .meta({ id: 'Source', description: 'A document claims appear in or are cited to.' });

const citation = z
  .strictObject({
    source: slug,
    stance: z.enum(STANCES),
    locator: text(MAX_LENGTH.locator).optional(),
    quote: text(MAX_LENGTH.quote).optional(),
  })
  .meta({ id: 'Citation', description: 'A source cited for the claim; one per source, stance and locator.' });

const claim = z
  .strictObject({
    text: text(MAX_LENGTH.text),
    kind: z.enum(CLAIM_KINDS),
    claimant: slug.optional(),
    attribution: z.enum(ATTRIBUTIONS).default('DIRECT'),
    appearsIn: slug,
    about: list(slug, MAX_ITEMS.claimAbout).min(1, 'a claim is about at least one entity'),
    citations: list(citation, MAX_ITEMS.claimCitations).optional(),
    contradicts: list(slug, MAX_ITEMS.claimContradicts).optional(),
    validFrom: partialDate.optional(),
    validTo: partialDate.optional(),
  })
  .superRefine((c, ctx) =>
    report(ctx, [
      ...(endsBeforeStart(c.validFrom, c.validTo) ? [{ path: ['validTo'], message: 'ends before validFrom' }] : []),
      ...duplicates(c.about, (a) => a, ['about'], 'this entity'),
      ...duplicates(c.contradicts, (a) => a, ['contradicts'], 'this claim'),
      ...duplicates(c.citations, (x) => `${x.source}\u0000${x.stance}\u0000${x.locator ?? ''}`, ['citations'], 'a citation of this source with this stance and locator'),
    ]),
  )
  .meta({ id: 'Claim', description: 'Something asserted in a source. Its support is derived from its citations.' });

const relationship = z
  .strictObject({
    subject: slug,
    predicate,
    label: text(MAX_LENGTH.label),
    object: slug,
    validFrom: partialDate.optional(),
    validTo: partialDate.optional(),
    claims: list(slug, MAX_ITEMS.relationshipClaims).optional(),
  })
  .superRefine((r, ctx) =>
    report(ctx, [
      ...(endsBeforeStart(r.validFrom, r.validTo) ? [{ path: ['validTo'], message: 'ends before validFrom' }] : []),
      ...(r.subject === r.object ? [{ path: ['object'], message: 'a relationship links two different entities' }] : []),
      ...duplicates(r.claims, (a) => a, ['claims'], 'this claim'),
    ]),
  )
  .meta({ id: 'Relationship', description: 'A dated link between two entities: subject -predicate-> object.' });

/** The sections of a document, in the order rows are written. */
export const SECTIONS = ['entities', 'sources', 'claims', 'relationships'] as const;

/** A section: rows keyed by slug. */
const slugMap = <T extends z.ZodType>(value: T) => z.record(slug, value);

const ImportDocumentShape = z.strictObject({
  $schema: plainString().optional(),
  format: z.literal(FORMAT),
  entities: slugMap(entity).default({}),
  sources: slugMap(source).default({}),
  claims: slugMap(claim).default({}),
  relationships: slugMap(relationship).default({}),
});

export const ImportDocument = ImportDocumentShape;

export type ImportDocument = z.infer<typeof ImportDocument>;
/** A document as written: defaults (attribution, empty sections) may be left out. */
export type ImportDocumentInput = z.input<typeof ImportDocument>;
export type ImportEntity = z.infer<typeof entity>;
export type ImportSource = z.infer<typeof source>;
export type ImportClaim = z.infer<typeof claim>;
export type ImportRelationship = z.infer<typeof relationship>;

export interface ImportIssue {
  /** JSON path of the offending value, e.g. "$.claims.musk-resigned.about[0]". */
  path: string;
  message: string;
}

export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : /^[A-Za-z_$][\w$-]*$/.test(String(key)) ? `${acc}.${String(key)}` : `${acc}[${JSON.stringify(String(key))}]`,
    '$',
  );
}

function issueMessage(issue: z.core.$ZodIssue): string {
  // A bad section key: say what is wrong with the slug, not just "Invalid key in record".
  if (issue.code === 'invalid_key') return `not a valid slug: ${issue.issues[0]?.message ?? issue.message}`;
  return issue.message;
}

/**
 * Checks shape and types; cross-references are checked against the database by the importer.
 * So a document with both kinds of problem reports its shape problems first, and its references
 * once the shape is valid.
 */
export function parseImportDocument(input: unknown): { doc: ImportDocument; issues: [] } | { doc: null; issues: ImportIssue[] } {
  const result = ImportDocument.safeParse(input);
  const issues = result.success ? [] : result.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issueMessage(issue) }));
  // JSON.parse keeps a "__proto__" key as an ordinary one, but zod's records skip it silently.
  for (const section of SECTIONS) {
    const rows = (input as Record<string, unknown> | null)?.[section];
    if (rows !== null && typeof rows === 'object' && Object.hasOwn(rows, '__proto__')) {
      issues.push({ path: jsonPath([section, '__proto__']), message: `not a valid slug: ${slug.safeParse('__proto__').error!.issues[0]!.message}` });
    }
  }
  if (result.success && issues.length === 0) return { doc: result.data, issues: [] };
  return { doc: null, issues };
}

/**
 * The format as a JSON Schema (draft 2020-12), for editors and other tools. It is generated from
 * the zod schema above; the rules zod checks in code (which fields each kind of entity has, that
 * an event has a status) are added as `if`/`then` clauses. Slug references, duplicates and date
 * order are checked by the importer only.
 */
export function importFormatJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ImportDocumentShape, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown> & {
    $defs: Record<string, Record<string, unknown>>;
  };
  const rules = Object.entries(KIND_FIELDS).map(([kind, own]) => {
    const foreign = ALL_KIND_FIELDS.filter((f) => !(own as readonly string[]).includes(f));
    return {
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: {
        ...(kind === 'EVENT' ? { required: ['status'] } : {}),
        not: { anyOf: foreign.map((field) => ({ required: [field] })) },
      },
    };
  });
  schema.$defs.Entity = { ...schema.$defs.Entity, allOf: rules };
  return {
    $schema: schema.$schema,
    title: `claimgraph import format (${FORMAT})`,
    description:
      'One JSON document holding a graph: entities, sources, claims and relationships, each section keyed by slug; references are slugs of rows in the document or already in the database. `npm run import` reads it, `npm run export` writes it.',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
