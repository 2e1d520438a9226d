/** The closed vocabularies of the graph. Tables CHECK them; GraphQL enums are built from them. */
/** GROUP: a collective or unnamed claimant ("many", "critics"), never one person. */
export const ENTITY_KINDS = ['ORGANIZATION', 'PERSON', 'EVENT', 'PRODUCT', 'PLACE', 'GROUP'] as const;
export const EVENT_STATUSES = ['OCCURRED', 'PROPOSED', 'FAILED', 'ALLEGED', 'ONGOING'] as const;
export const CLAIM_KINDS = ['FACT', 'POSITION', 'OPINION', 'ANECDOTE'] as const;
export const ATTRIBUTIONS = ['DIRECT', 'REPORTED'] as const;
export const SOURCE_KINDS = ['ARTICLE', 'NEWS', 'ENCYCLOPEDIA', 'FILING', 'PRIMARY', 'OTHER'] as const;
export const STANCES = ['SUPPORTS', 'REFUTES', 'QUALIFIES', 'MENTIONS'] as const;
/** What a search may return: an entity of a kind, a claim or a source. */
export const SEARCH_KINDS = [...ENTITY_KINDS, 'CLAIM', 'SOURCE'] as const;
export const SUPPORT_STATUSES = ['SUPPORTED', 'CONTESTED', 'REFUTED', 'UNSUPPORTED'] as const;
/** Why an edge (a relationship, a contradiction) is in the graph: its source states it, or it was inferred. */
export const BASIS_KINDS = ['STATED', 'INFERRED'] as const;

export type EntityKind = (typeof ENTITY_KINDS)[number];
export type EventStatus = (typeof EVENT_STATUSES)[number];
export type ClaimKind = (typeof CLAIM_KINDS)[number];
export type Attribution = (typeof ATTRIBUTIONS)[number];
export type SourceKind = (typeof SOURCE_KINDS)[number];
export type Stance = (typeof STANCES)[number];
export type SearchKind = (typeof SEARCH_KINDS)[number];
export type SupportStatus = (typeof SUPPORT_STATUSES)[number];
export type BasisKind = (typeof BASIS_KINDS)[number];
