import { z } from 'zod';
import {
  ATTRIBUTIONS,
  CLAIM_KINDS,
  ENTITY_KINDS,
  EVENT_STATUSES,
  SOURCE_KINDS,
  STANCES,
} from '../../schema/enums';
import { isPartialDate } from '../graphql/partial-date';

/**
 * The import format: one JSON document, every row keyed by its slug, references by slug.
 * The seed is written in it, `npm run import` reads it and `npm run export` writes it.
 */
export const FORMAT = 'claimgraph/v1';

const slug = z
  .string()
  .max(200)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a slug is lowercase letters and digits joined by single hyphens');
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const partialDate = z.string().refine(isPartialDate, 'a PartialDate is "YYYY", "YYYY-MM" or "YYYY-MM-DD" naming a real date');

const participant = z.strictObject({ entity: slug, role: text(200) });

const entity = z.strictObject({
  kind: z.enum(ENTITY_KINDS),
  name: text(500),
  aliases: z.array(text(500)).optional(),
  description: text(5000).optional(),
  wikidataId: z.string().regex(/^Q[1-9][0-9]*$/, 'a Wikidata id looks like "Q317521"').optional(),
  foundedOn: partialDate.optional(),
  legalForm: text(200).optional(),
  occupation: text(200).optional(),
  developer: slug.optional(),
  releasedOn: partialDate.optional(),
  startDate: partialDate.optional(),
  endDate: partialDate.optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  participants: z.array(participant).optional(),
});

const KIND_FIELDS: Record<string, readonly (keyof z.infer<typeof entity>)[]> = {
  ORGANIZATION: ['foundedOn', 'legalForm'],
  PERSON: ['occupation'],
  PRODUCT: ['developer', 'releasedOn'],
  EVENT: ['startDate', 'endDate', 'status', 'participants'],
  PLACE: [],
};
const ALL_KIND_FIELDS = [...new Set(Object.values(KIND_FIELDS).flat())];

const source = z.strictObject({
  kind: z.enum(SOURCE_KINDS),
  title: text(1000),
  url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  publisher: slug.optional(),
  publishedOn: partialDate.optional(),
  retrievedOn: partialDate.optional(),
  label: text(200).optional(),
});

const citation = z.strictObject({
  source: slug,
  stance: z.enum(STANCES),
  locator: text(500).optional(),
  quote: text(5000).optional(),
});

const claim = z.strictObject({
  text: text(5000),
  kind: z.enum(CLAIM_KINDS),
  claimant: slug.optional(),
  attribution: z.enum(ATTRIBUTIONS).default('DIRECT'),
  appearsIn: slug,
  about: z.array(slug).min(1, 'a claim is about at least one entity'),
  citations: z.array(citation).optional(),
  contradicts: z.array(slug).optional(),
  validFrom: partialDate.optional(),
  validTo: partialDate.optional(),
});

const relationship = z.strictObject({
  subject: slug,
  predicate: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a predicate is a snake_case key, e.g. "co_founded"'),
  label: text(200),
  object: slug,
  validFrom: partialDate.optional(),
  validTo: partialDate.optional(),
  claims: z.array(slug).optional(),
});

const slugMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      const result = slug.safeParse(key);
      if (!result.success) ctx.addIssue({ code: 'custom', path: [key], message: `key "${key}": ${result.error.issues[0]!.message}` });
    }
  });

export const ImportDocument = z
  .strictObject({
    $schema: z.string().optional(),
    format: z.literal(FORMAT),
    entities: slugMap(entity).default({}),
    sources: slugMap(source).default({}),
    claims: slugMap(claim).default({}),
    relationships: slugMap(relationship).default({}),
  })
  .superRefine((doc, ctx) => {
    for (const [key, e] of Object.entries(doc.entities)) {
      const allowed = KIND_FIELDS[e.kind]!;
      for (const field of ALL_KIND_FIELDS) {
        if (e[field] !== undefined && !allowed.includes(field)) {
          ctx.addIssue({ code: 'custom', path: ['entities', key, field], message: `only ${kindsWith(field)} have "${field}"` });
        }
      }
      if (e.kind === 'EVENT' && e.status === undefined) {
        ctx.addIssue({ code: 'custom', path: ['entities', key, 'status'], message: 'an event needs a status' });
      }
    }
  });

function kindsWith(field: string) {
  return Object.entries(KIND_FIELDS)
    .filter(([, fields]) => (fields as readonly string[]).includes(field))
    .map(([kind]) => kind)
    .join(', ');
}

export type ImportDocument = z.infer<typeof ImportDocument>;
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

/** Checks shape and types; cross-references are checked against the database by the importer. */
export function parseImportDocument(input: unknown): { doc: ImportDocument; issues: [] } | { doc: null; issues: ImportIssue[] } {
  const result = ImportDocument.safeParse(input);
  if (result.success) return { doc: result.data, issues: [] };
  return {
    doc: null,
    issues: result.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message })),
  };
}
