import type { BasisKind } from '../../../schema/enums';
import type { ClaimRow } from '../../../schema/tables';
import { builder } from '../builder';
import { BasisKindEnum } from './scalars';

/** An edge's basis as the resolvers hand it over: read from the edge's row and its claims. */
export interface BasisShape {
  kind: BasisKind;
  note: string | null;
  quote: string | null;
  claims: ClaimRow[];
}

export const EdgeBasis = builder.objectRef<BasisShape>('EdgeBasis').implement({
  description:
    'Why an edge (a relationship, a contradiction) is in the graph: STATED, with the claims (and for a contradiction the passage) that state it, or INFERRED, with a note saying from what.',
  fields: (t) => ({
    kind: t.field({ type: BasisKindEnum, description: 'STATED or INFERRED.', resolve: (b) => b.kind }),
    note: t.string({
      nullable: true,
      description: 'For INFERRED: from what it was inferred (writes and imports require one; rows loaded in bulk by `npm run generate` have none). For STATED: an optional remark.',
      resolve: (b) => b.note,
    }),
    quote: t.string({
      nullable: true,
      description: 'For a STATED contradiction: the passage of the source that sets the two claims against each other, verbatim. Null for relationships (their claims carry the text).',
      resolve: (b) => b.quote,
    }),
  }),
});

export const Contradiction = builder.drizzleObject('claimContradictions', {
  name: 'Contradiction',
  // Its fields are declared in claim.ts, which both refer to.
  description: 'A claim that contradicts the one it is listed on, and the basis of the opposition (STATED by the source, or INFERRED).',
  fields: () => ({}),
});
