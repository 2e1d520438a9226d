import * as writes from '../../../model/writes/relationships';
import { builder } from '../../builder';
import { Relationship } from '../relationship';
import { mutationInput, mutationPayload, once, written } from './common';

const CreateRelationshipInput = mutationInput('CreateRelationshipInput', writes.CreateRelationshipInput);

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
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ relationshipId: writes.createRelationship(ctx.db, i).id })),
  }),
);
