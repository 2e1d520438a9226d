/**
 * The most items each unpaged list of the graph holds. Writes and the import refuse more, and the
 * reads stop there as well, so the query budget (src/graphql/budget.ts) can count on them. A
 * claim's entities are held to 20 (it was 50) so that 100 sources with 50 claims each and their
 * entities fit the budget; the article's claims name at most 5.
 */
export const MAX_ITEMS = {
  /** The entities one claim is about. */
  claimAbout: 20,
  /** The citations of one claim. */
  claimCitations: 50,
  /** The claims one claim contradicts (the link goes both ways: both ends count it). */
  claimContradicts: 50,
  /** The claims that assert one relationship. */
  relationshipClaims: 50,
  /** The other names of one entity. */
  entityAliases: 50,
} as const;
