import { z } from 'zod';
import {
  ALL_KIND_FIELDS,
  basisIssues,
  contradictionIssues,
  CLAIM_FIELDS,
  entityKind,
  ENTITY_FIELDS,
  foreignFields,
  importShape,
  inOrder,
  KIND_FIELDS,
  kindNote,
  kindsWith,
  PARTICIPANT_FIELDS,
  RELATIONSHIP_FIELDS,
  slug,
  SOURCE_FIELDS,
  uniqueList,
} from './fields';
import { plainString } from './writes/common';

/**
 * The import format: one JSON document, every row keyed by its slug, references by slug.
 * The seed is written in it, `npm run import` reads it and `npm run export` writes it.
 * Its rows are the field rules of src/model/fields.ts, which the mutations' inputs share, so
 * whatever a mutation stores exports and imports again.
 */
export const FORMAT = 'claimgraph/v1';

const participant = z.strictObject(importShape(PARTICIPANT_FIELDS));

const entityFields = z.strictObject({
  kind: entityKind,
  ...importShape(ENTITY_FIELDS),
  participants: uniqueList(participant, null, (p) => `${p.entity}\u0000${p.role}`, 'this participant in this role')
    .meta({ description: kindNote('participants', 'who took part, in which role.') })
    .optional(),
});
type EntityShape = z.infer<typeof entityFields>;

/** Checks across an entity's fields: kind-specific fields, an event's status, dates. */
function entityIssues(e: EntityShape, ctx: z.RefinementCtx) {
  for (const field of foreignFields(e.kind, (f) => e[f as keyof EntityShape] !== undefined)) {
    ctx.addIssue({ code: 'custom', path: [field], message: `only ${kindsWith(field)} entities have "${field}"` });
  }
  if (e.kind === 'EVENT' && e.status === undefined) ctx.addIssue({ code: 'custom', path: ['status'], message: 'an event needs a status' });
  inOrder('startDate', 'endDate')(e, ctx);
  if (e.wikidataSource !== undefined && e.wikidataId === undefined) {
    ctx.addIssue({ code: 'custom', path: ['wikidataSource'], message: 'a wikidataSource is the source of a wikidataId: give the id too' });
  }
}

const entity = entityFields
  .superRefine(entityIssues)
  .meta({ id: 'Entity', description: 'An organization, person, event, product or place. Kind-specific fields belong to their kind only.' });

const source = z
  .strictObject(importShape(SOURCE_FIELDS))
  .meta({ id: 'Source', description: 'A document claims appear in or are cited to.' });

const claim = z
  .strictObject(importShape(CLAIM_FIELDS))
  .superRefine((c, ctx) => {
    inOrder('validFrom', 'validTo')(c, ctx);
    contradictionIssues(c.contradicts, c.contradictions, { contradicts: 'contradicts', contradictions: 'contradictions', claim: 'claim' }, ctx);
  })
  .meta({ id: 'Claim', description: 'Something asserted in a source. Its support is derived from its citations.' });

/** The export always writes a relationship's label, so the import format requires it. */
const relationship = z
  .strictObject({ ...importShape(RELATIONSHIP_FIELDS), label: RELATIONSHIP_FIELDS.label.unwrap() })
  .superRefine((r, ctx) => {
    inOrder('validFrom', 'validTo')(r, ctx);
    if (r.subject === r.object) ctx.addIssue({ code: 'custom', path: ['object'], message: 'a relationship links two different entities' });
    basisIssues(r.basis, r.basisNote, r.claims?.length ?? 0, { note: 'basisNote', claims: 'claims' }, ctx);
  })
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
