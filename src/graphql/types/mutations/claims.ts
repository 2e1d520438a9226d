import * as writes from '../../../model/writes/claims';
import { builder } from '../../builder';
import { Citation } from '../citation';
import { Claim } from '../claim';
import { mutationInput, mutationPayload, once, written } from './common';

const CreateClaimInput = mutationInput('CreateClaimInput', writes.CreateClaimInput);
const AddCitationInput = mutationInput('AddCitationInput', writes.AddCitationInput);
const RemoveCitationInput = mutationInput('RemoveCitationInput', writes.RemoveCitationInput);

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
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ claimId: writes.createClaim(ctx.db, i).id })),
  }),
  addCitation: t.field({
    type: AddCitationPayload,
    description: 'Cites a source for a claim; the claim\'s support follows. CONFLICT when the claim already cites that source with that stance and locator.',
    args: { input: t.arg({ type: AddCitationInput, required: true, description: 'The claim and the citation.' }) },
    resolve: (_root, { input }, ctx, info) =>
      once(ctx, info, input, (i) => {
        const citation = writes.addCitation(ctx.db, i);
        return { citationId: citation.id, claimId: citation.claimId };
      }),
  }),
  removeCitation: t.field({
    type: RemoveCitationPayload,
    description: 'Removes a citation; the claim\'s support follows.',
    args: { input: t.arg({ type: RemoveCitationInput, required: true, description: 'The citation to remove.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => writes.removeCitation(ctx.db, i)),
  }),
}));
