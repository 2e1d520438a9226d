import type { EntityKind } from '../../schema/enums';
import { badInput } from './errors';

/** The GraphQL object type that presents each entity kind. */
export const ENTITY_TYPE_BY_KIND = {
  ORGANIZATION: 'Organization',
  PERSON: 'Person',
  EVENT: 'Event',
  PRODUCT: 'Product',
  PLACE: 'Place',
  GROUP: 'Group',
} as const satisfies Record<EntityKind, string>;

export type EntityTypeName = (typeof ENTITY_TYPE_BY_KIND)[EntityKind];

export const ENTITY_KIND_BY_TYPE = new Map<string, EntityKind>(
  Object.entries(ENTITY_TYPE_BY_KIND).map(([kind, type]) => [type, kind as EntityKind]),
);

export const NODE_TYPE_NAMES = new Set<string>([
  ...Object.values(ENTITY_TYPE_BY_KIND),
  'Relationship',
  'Claim',
  'Source',
  'Citation',
]);

const RAW_ID = /^([A-Za-z]+):([1-9][0-9]{0,9})$/;

/**
 * The largest row id: the ids of every table are PostgreSQL `integer`s (SQLite's could go further
 * but never get there), so an id past it names no row on either engine and is refused alike.
 */
export const MAX_ROW_ID = 2 ** 31 - 1;

export function encodeGlobalID(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64');
}

/**
 * Accepts only ids this service could have issued: canonical base64 of "<NodeType>:<row id>".
 * Anything else is the caller's mistake, not a missing row.
 */
export function decodeGlobalID(globalID: string): { typename: string; id: string } {
  const raw = Buffer.from(globalID, 'base64').toString('utf8');
  const match = RAW_ID.exec(raw);
  if (!match || Buffer.from(raw, 'utf8').toString('base64') !== globalID || !NODE_TYPE_NAMES.has(match[1]!) || Number(match[2]) > MAX_ROW_ID) {
    const shown = globalID.length > 40 ? `${globalID.slice(0, 40)}…` : globalID;
    throw badInput(`"${shown}" is not a claimgraph id: use an \`id\` this API returned`);
  }
  return { typename: match[1]!, id: match[2]! };
}


/** The row id of a decoded id argument that must name one of `types`; the field goes into the error. */
export function rowIdOf(decoded: { typename: string; id: string }, types: readonly string[], field: string): number {
  if (!types.includes(decoded.typename)) {
    throw badInput(`${field}: expected the id of ${types.join(' or ')}, got a ${decoded.typename} id`, field);
  }
  return Number(decoded.id);
}

export const ENTITY_TYPE_NAMES: readonly string[] = Object.values(ENTITY_TYPE_BY_KIND);
