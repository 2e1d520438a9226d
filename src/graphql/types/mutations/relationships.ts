import { createRelationship } from '../../../model/writes/relationships';
import { MAX_ITEMS } from '../../../model/list-caps';
import { builder } from '../../builder';
import { Relationship } from '../relationship';
import { PartialDate } from '../scalars';
import { mutationInput, mutationPayload, once, SLUG_DESCRIPTION, written } from './common';

const CreateRelationshipInput = mutationInput('CreateRelationshipInput', {
  description: 'A new link between two different entities: subject -predicate-> object.',
  fields: (t) => ({
    slug: t.string({ description: SLUG_DESCRIPTION.replace('the name', 'the subject\'s slug, the predicate and the object\'s slug') }),
    subjectId: t.id({ required: true, description: 'The id of the entity the link starts from.' }),
    predicate: t.string({ required: true, description: 'snake_case key of the link, e.g. "co_founded": a lowercase letter, then lowercase letters, digits and underscores; at most 64 characters.' }),
    label: t.string({ description: 'The link in human wording, e.g. "co-founded"; the predicate with spaces when omitted.' }),
    objectId: t.id({ required: true, description: 'The id of the entity the link points to.' }),
    validFrom: t.field({ type: PartialDate, description: 'When it began to hold.' }),
    validTo: t.field({ type: PartialDate, description: 'When it stopped holding; not before validFrom.' }),
    claimIds: t.idList({ description: `The ids of the claims that assert it, at most ${MAX_ITEMS.relationshipClaims}.` }),
  }),
});

const CreateRelationshipPayload = mutationPayload<{ relationshipId: number }>('CreateRelationshipPayload', {
  description: 'The result of createRelationship.',
  fields: (t) => ({
    relationship: t.drizzleField({
      type: Relationship,
      description: 'The relationship as created.',
      resolve: (query, payload, _args, { db }) =>
        written(db.query.relationships.findFirst(query({ where: { id: payload.relationshipId } })), 'The relationship'),
    }),
  }),
});

builder.mutationField('createRelationship', (t) =>
  t.field({
    type: CreateRelationshipPayload,
    description:
      'Links two entities. CONFLICT when the slug is taken, or when the same link (subject, predicate, object and validity) is already recorded.',
    args: { input: t.arg({ type: CreateRelationshipInput, required: true, description: 'The link to create.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ relationshipId: createRelationship(ctx.db, i).id })),
  }),
);
