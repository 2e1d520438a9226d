import * as writes from '../../../model/writes/entities';
import { Entity, Event } from '../entity';
import { mutationPayload, writeMutation, written } from './common';

function entityPayload(name: string, description: string, fieldDescription: string) {
  return mutationPayload<{ entityId: number }>(name, {
    description,
    fields: (t) => ({
      entity: t.drizzleField({
        type: Entity,
        description: fieldDescription,
        resolve: (query, payload, _args, { db }) =>
          written(db.query.entities.findFirst(query({ where: { id: payload.entityId } })), 'The entity'),
      }),
    }),
  });
}

const CreateEntityPayload = entityPayload('CreateEntityPayload', 'The result of createEntity.', 'The entity as created.');
const UpdateEntityPayload = entityPayload('UpdateEntityPayload', 'The result of updateEntity.', 'The entity as it is now.');

const DeleteEntityPayload = mutationPayload<{ deletedId: string }>('DeleteEntityPayload', {
  description: 'The result of deleteEntity.',
  fields: (t) => ({
    deletedId: t.id({ description: 'The id the entity had: drop it from client caches.', resolve: (p) => p.deletedId }),
  }),
});

const AddEventParticipantPayload = mutationPayload<{ eventId: number; entityId: number }>('AddEventParticipantPayload', {
  description: 'The result of addEventParticipant.',
  fields: (t) => ({
    event: t.drizzleField({
      type: Event,
      description: 'The event, with the new participant among its participants.',
      resolve: (query, payload, _args, { db }) => written(db.query.entities.findFirst(query({ where: { id: payload.eventId } })), 'The event'),
    }),
    participant: t.drizzleField({
      type: Entity,
      description: 'The entity that took part.',
      resolve: (query, payload, _args, { db }) =>
        written(db.query.entities.findFirst(query({ where: { id: payload.entityId } })), 'The participant'),
    }),
  }),
});

writeMutation('createEntity', {
  description: 'Records a new entity, with its aliases. CONFLICT when the slug is taken.',
  input: writes.CreateEntityInput,
  inputDescription: 'The entity to create.',
  payload: CreateEntityPayload,
  write: async (tx, input) => ({ entityId: (await writes.createEntity(tx, input)).id }),
});

writeMutation('updateEntity', {
  description: "Changes an entity's fields. Its kind and slug stay; `updatedAt` moves only when something changed.",
  input: writes.UpdateEntityInput,
  inputDescription: 'The entity and the changes.',
  payload: UpdateEntityPayload,
  write: async (tx, input) => ({ entityId: (await writes.updateEntity(tx, input)).id }),
});

writeMutation('deleteEntity', {
  description:
    'Deletes an entity with its aliases (and, for an event, its participant list). CONFLICT while claims, relationships, events, products or sources still refer to it; the message says which.',
  input: writes.DeleteEntityInput,
  inputDescription: 'The entity to delete.',
  payload: DeleteEntityPayload,
  write: (tx, input) => writes.deleteEntity(tx, input),
});

writeMutation('addEventParticipant', {
  description: 'Adds a participant to an event in a role. CONFLICT when it already takes part in that role.',
  input: writes.AddEventParticipantInput,
  inputDescription: 'The event, the participant and its role.',
  payload: AddEventParticipantPayload,
  write: (tx, input) => writes.addEventParticipant(tx, input),
});
