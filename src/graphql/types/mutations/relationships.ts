import * as writes from '../../../model/writes/relationships';
import { Relationship } from '../relationship';
import { mutationPayload, writeMutation, written } from './common';

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

writeMutation('createRelationship', {
  description:
    'Links two entities. CONFLICT when the slug is taken, or when the same link (subject, predicate, object and validity) is already recorded.',
  input: writes.CreateRelationshipInput,
  inputDescription: 'The link to create.',
  payload: CreateRelationshipPayload,
  write: async (tx, input) => ({ relationshipId: (await writes.createRelationship(tx, input)).id }),
});
