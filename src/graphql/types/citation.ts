import { builder } from '../builder';
import { StanceEnum } from './scalars';

export const Citation = builder.drizzleNode('citations', {
  name: 'Citation',
  // Only the columns the query asks for: a nested page of rows then carries no unread text.
  select: {},
  description: 'A source cited for a claim, with its stance towards it and where in the source to look.',
  id: { column: (c) => c.id },
  fields: (t) => ({
    claim: t.relation('claim', { description: 'The claim the source is cited for.' }),
    source: t.relation('source', { description: 'The cited source.' }),
    stance: t.expose('stance', { type: StanceEnum, description: 'Whether the source supports, refutes, qualifies or merely mentions the claim.' }),
    locator: t.exposeString('locator', { nullable: true, description: 'Where in the source: "note [2]", "p. 4", a section.' }),
    quote: t.exposeString('quote', { nullable: true, description: 'The passage relied on, verbatim.' }),
  }),
});
