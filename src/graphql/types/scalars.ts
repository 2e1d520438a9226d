import { Kind } from 'graphql';
import {
  ATTRIBUTIONS,
  BASIS_KINDS,
  CLAIM_KINDS,
  ENTITY_KINDS,
  EVENT_STATUSES,
  SOURCE_KINDS,
  STANCES,
  SUPPORT_STATUSES,
} from '../../../schema/enums';
import { badInput } from '../../domain/errors';
import { builder } from '../builder';
import { isPartialDate } from '../../domain/partial-date';

function parsePartialDate(value: unknown): string {
  if (typeof value !== 'string' || !isPartialDate(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : String(value);
    throw badInput(`${shown} is not a PartialDate: write "YYYY", "YYYY-MM" or "YYYY-MM-DD"`);
  }
  return value;
}

/**
 * The W3C's profile of ISO 8601, whose first three levels (YYYY, YYYY-MM, YYYY-MM-DD) are exactly
 * what a PartialDate may be: a published, stable page a client's tooling can link to.
 */
export const PARTIAL_DATE_SPEC = 'https://www.w3.org/TR/NOTE-datetime';

export const PartialDate = builder.scalarType('PartialDate', {
  description:
    'An ISO 8601 date of year, month or day precision: "2015", "2018-02", "2015-12-11". It keeps the precision the source gave: a year is never padded to a day. In ordering, "2018" comes before "2018-02", and undated things come last. As a point in a filter, a partial date stands for its whole interval ("2018" is all of 2018). In JSON it is a string in the year, month or day form of the W3C profile of ISO 8601 that specifiedByURL links to, never with a time. For client types and codegen settings see "PartialDate in clients" in docs/api.md.',
  specifiedByURL: PARTIAL_DATE_SPEC,
  serialize: (value) => value,
  parseValue: parsePartialDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('A PartialDate is written as a string, e.g. "2018"');
    return parsePartialDate(ast.value);
  },
});

export function describedValues<T extends string>(values: readonly T[], descriptions: Record<T, string>) {
  return Object.fromEntries(values.map((v) => [v, { value: v, description: descriptions[v] }])) as Record<
    T,
    { value: T; description: string }
  >;
}

export const EntityKindEnum = builder.enumType('EntityKind', {
  description: 'What sort of thing an entity is. All kinds share one id space.',
  values: describedValues(ENTITY_KINDS, {
    ORGANIZATION: 'A company, nonprofit, agency or other organized body.',
    PERSON: 'A single person.',
    EVENT: 'Something that happened, was proposed, failed or is alleged, with dates where known.',
    PRODUCT: 'A product or model, e.g. an AI assistant.',
    PLACE: 'A city, country or other location.',
    GROUP: 'A collective or unnamed claimant a source speaks for ("many", "critics", "users"), never one person.',
  }),
});

export const EventStatusEnum = builder.enumType('EventStatus', {
  description: 'Whether an event took place.',
  values: describedValues(EVENT_STATUSES, {
    OCCURRED: 'It happened.',
    PROPOSED: 'It was proposed and has not (yet) happened.',
    FAILED: 'It was attempted or proposed and did not succeed.',
    ALLEGED: 'Someone says it happened; that is not established.',
    ONGOING: 'It has started and has not ended.',
  }),
});

export const ClaimKindEnum = builder.enumType('ClaimKind', {
  description: 'What sort of assertion a claim is.',
  values: describedValues(CLAIM_KINDS, {
    FACT: 'A statement about the world that evidence can check.',
    POSITION: 'A stance an actor takes or argues for.',
    OPINION: 'An evaluation or interpretation.',
    ANECDOTE: 'A personal story offered as illustration.',
  }),
});

export const AttributionEnum = builder.enumType('Attribution', {
  description: 'Whose words a claim is in, relative to the source it appears in.',
  values: describedValues(ATTRIBUTIONS, {
    DIRECT: 'The claimant asserts it in its own words (or the source in its own voice).',
    REPORTED: 'The source reports that the claimant asserts it.',
  }),
});

export const SourceKindEnum = builder.enumType('SourceKind', {
  description: 'What sort of document a source is.',
  values: describedValues(SOURCE_KINDS, {
    ARTICLE: 'An article, essay or blog post.',
    NEWS: 'A news report.',
    ENCYCLOPEDIA: 'An encyclopedia entry.',
    FILING: 'A legal or regulatory filing.',
    PRIMARY: 'A primary document: a statement, letter, transcript or dataset.',
    OTHER: 'Anything else, or not known.',
  }),
});

export const StanceEnum = builder.enumType('Stance', {
  description: "A citation's stance towards the claim it is attached to.",
  values: describedValues(STANCES, {
    SUPPORTS: 'The source backs the claim.',
    REFUTES: 'The source contradicts the claim.',
    QUALIFIES: 'The source adds conditions or nuance; not support.',
    MENTIONS: 'The source mentions the claim without backing it; not support.',
  }),
});

export const SupportStatusEnum = builder.enumType('SupportStatus', {
  description: "A claim's standing, derived from its citations.",
  values: describedValues(SUPPORT_STATUSES, {
    SUPPORTED: 'At least one citation SUPPORTS it and none REFUTES it.',
    CONTESTED: 'Some citations SUPPORT it and some REFUTE it.',
    REFUTED: 'Citations REFUTE it and none SUPPORTS it.',
    UNSUPPORTED: 'No citation supports or refutes it (MENTIONS and QUALIFIES do not count).',
  }),
});

export const DirectionEnum = builder.enumType('Direction', {
  description: 'Which way a relationship points, seen from one entity.',
  values: {
    OUTGOING: { value: 'OUTGOING', description: 'The entity is the subject: entity -predicate-> other.' },
    INCOMING: { value: 'INCOMING', description: 'The entity is the object: other -predicate-> entity.' },
    BOTH: { value: 'BOTH', description: 'Either way.' },
  } as const,
});

export const BasisKindEnum = builder.enumType('BasisKind', {
  description: 'Why an edge (a relationship, a contradiction) is in the graph.',
  values: describedValues(BASIS_KINDS, {
    STATED: 'Its source states it: the claims (and for a contradiction, the passage) behind it say so.',
    INFERRED: 'Read from the claims or from elsewhere by whoever recorded it; `note` says from what.',
  }),
});
