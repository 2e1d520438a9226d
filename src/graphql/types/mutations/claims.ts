import * as writes from '../../../model/writes/claims';
import { Citation } from '../citation';
import { Claim } from '../claim';
import { mutationPayload, writeMutation, written } from './common';

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

writeMutation('createClaim', {
  description:
    'Records a claim with its about-links, citations and contradictions in one transaction. Every id is checked first: a bad citation refuses the whole claim.',
  input: writes.CreateClaimInput,
  inputDescription: 'The claim to create.',
  payload: CreateClaimPayload,
  write: async (tx, input) => ({ claimId: (await writes.createClaim(tx, input)).id }),
});

writeMutation('addCitation', {
  description: "Cites a source for a claim; the claim's support follows. CONFLICT when the claim already cites that source with that stance and locator.",
  input: writes.AddCitationInput,
  inputDescription: 'The claim and the citation.',
  payload: AddCitationPayload,
  write: async (tx, input) => {
    const citation = await writes.addCitation(tx, input);
    return { citationId: citation.id, claimId: citation.claimId };
  },
});

writeMutation('removeCitation', {
  description: "Removes a citation; the claim's support follows.",
  input: writes.RemoveCitationInput,
  inputDescription: 'The citation to remove.',
  payload: RemoveCitationPayload,
  write: (tx, input) => writes.removeCitation(tx, input),
});
