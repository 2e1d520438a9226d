import { addCitation, createClaim, removeCitation } from '../../../model/writes/claims';
import { MAX_ITEMS } from '../../../model/list-caps';
import { builder } from '../../builder';
import { Citation } from '../citation';
import { Claim } from '../claim';
import { AttributionEnum, ClaimKindEnum, PartialDate, StanceEnum } from '../scalars';
import { type InputFields, mutationInput, mutationPayload, once, SLUG_DESCRIPTION, written } from './common';

function citationFields(t: InputFields) {
  return {
    sourceId: t.id({ required: true, description: 'The id of the cited Source.' }),
    stance: t.field({ type: StanceEnum, required: true, description: 'Whether the source supports, refutes, qualifies or merely mentions the claim.' }),
    locator: t.string({ description: 'Where in the source: "note [2]", "p. 4"; at most 500 characters.' }),
    quote: t.string({ description: 'The passage relied on, verbatim; at most 5000 characters.' }),
  };
}

const CitationInput = builder.inputType('CitationInput', {
  description: 'A source cited for the claim being created. A claim cites a source with a given stance and locator once.',
  fields: (t) => citationFields(t),
});

const CreateClaimInput = mutationInput('CreateClaimInput', {
  description:
    'A new claim, with the entities it is about and, optionally, its citations and the claims it contradicts. All of it is written in one transaction, or none of it.',
  fields: (t) => ({
    slug: t.string({ description: SLUG_DESCRIPTION.replace('the name', 'the first words of the text') }),
    text: t.string({ required: true, description: 'The assertion, in our own words; at most 5000 characters.' }),
    kind: t.field({ type: ClaimKindEnum, required: true, description: 'Fact, position, opinion or anecdote.' }),
    claimantId: t.id({ description: 'The id of the entity that asserts it; omit it when the source asserts it in its own voice.' }),
    attribution: t.field({
      type: AttributionEnum,
      defaultValue: 'DIRECT',
      description: 'DIRECT: in the claimant\'s own words (or the source\'s); REPORTED: the source says the claimant holds it.',
    }),
    appearsInId: t.id({ required: true, description: 'The id of the Source the claim is taken from.' }),
    aboutIds: t.idList({ required: true, description: `The ids of the entities it is about: at least one, at most ${MAX_ITEMS.claimAbout}, no repeats.` }),
    citations: t.field({ type: [CitationInput], description: `Sources cited for it, at most ${MAX_ITEMS.claimCitations}. Its \`support\` is derived from them.` }),
    contradictsIds: t.idList({ description: `The ids of claims it contradicts, at most ${MAX_ITEMS.claimContradicts}; each link is recorded both ways.` }),
    validFrom: t.field({ type: PartialDate, description: 'From when it holds, if it is time-bound.' }),
    validTo: t.field({ type: PartialDate, description: 'Until when it holds; not before validFrom.' }),
  }),
});

const AddCitationInput = mutationInput('AddCitationInput', {
  description: 'A source cited for an existing claim.',
  fields: (t) => ({
    claimId: t.id({ required: true, description: 'The id of the Claim.' }),
    ...citationFields(t),
  }),
});

const RemoveCitationInput = mutationInput('RemoveCitationInput', {
  description: 'The citation to remove.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The id of the Citation.' }) }),
});

const CreateClaimPayload = mutationPayload<{ claimId: number }>('CreateClaimPayload', {
  description: 'The result of createClaim.',
  fields: (t) => ({
    claim: t.drizzleField({
      type: Claim,
      description: 'The claim as created, with its citations and derived support.',
      resolve: (query, payload, _args, { db }) => written(db.query.claims.findFirst(query({ where: { id: payload.claimId } })), 'The claim'),
    }),
  }),
});

const AddCitationPayload = mutationPayload<{ citationId: number; claimId: number }>('AddCitationPayload', {
  description: 'The result of addCitation.',
  fields: (t) => ({
    citation: t.drizzleField({
      type: Citation,
      description: 'The citation as created.',
      resolve: (query, payload, _args, { db }) =>
        written(db.query.citations.findFirst(query({ where: { id: payload.citationId } })), 'The citation'),
    }),
    claim: t.drizzleField({
      type: Claim,
      description: 'The cited claim, with its support recomputed.',
      resolve: (query, payload, _args, { db }) => written(db.query.claims.findFirst(query({ where: { id: payload.claimId } })), 'The claim'),
    }),
  }),
});

const RemoveCitationPayload = mutationPayload<{ deletedId: string; claimId: number }>('RemoveCitationPayload', {
  description: 'The result of removeCitation.',
  fields: (t) => ({
    deletedId: t.id({ description: 'The id the citation had: drop it from client caches.', resolve: (p) => p.deletedId }),
    claim: t.drizzleField({
      type: Claim,
      description: 'The claim that was cited, with its support recomputed.',
      resolve: (query, payload, _args, { db }) => written(db.query.claims.findFirst(query({ where: { id: payload.claimId } })), 'The claim'),
    }),
  }),
});

builder.mutationFields((t) => ({
  createClaim: t.field({
    type: CreateClaimPayload,
    description:
      'Records a claim with its about-links, citations and contradictions in one transaction. Every id is checked first: a bad citation refuses the whole claim.',
    args: { input: t.arg({ type: CreateClaimInput, required: true, description: 'The claim to create.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ claimId: createClaim(ctx.db, i).id })),
  }),
  addCitation: t.field({
    type: AddCitationPayload,
    description: 'Cites a source for a claim; the claim\'s support follows. CONFLICT when the claim already cites that source with that stance and locator.',
    args: { input: t.arg({ type: AddCitationInput, required: true, description: 'The claim and the citation.' }) },
    resolve: (_root, { input }, ctx, info) =>
      once(ctx, info, input, (i) => {
        const citation = addCitation(ctx.db, i);
        return { citationId: citation.id, claimId: citation.claimId };
      }),
  }),
  removeCitation: t.field({
    type: RemoveCitationPayload,
    description: 'Removes a citation; the claim\'s support follows.',
    args: { input: t.arg({ type: RemoveCitationInput, required: true, description: 'The citation to remove.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => removeCitation(ctx.db, i)),
  }),
}));
