import * as writes from '../../../model/writes/entities';
import { builder } from '../../builder';
import { Entity, Event } from '../entity';
import { mutationInput, mutationPayload, once, written } from './common';

const CreateEntityInput = mutationInput('CreateEntityInput', writes.CreateEntityInput);
const UpdateEntityInput = mutationInput('UpdateEntityInput', writes.UpdateEntityInput);
const DeleteEntityInput = mutationInput('DeleteEntityInput', writes.DeleteEntityInput);
const AddEventParticipantInput = mutationInput('AddEventParticipantInput', writes.AddEventParticipantInput);

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

builder.mutationFields((t) => ({
  createEntity: t.field({
    type: CreateEntityPayload,
    description: 'Records a new entity, with its aliases. CONFLICT when the slug is taken.',
    args: { input: t.arg({ type: CreateEntityInput, required: true, description: 'The entity to create.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ entityId: writes.createEntity(ctx.db, i).id })),
  }),
  updateEntity: t.field({
    type: UpdateEntityPayload,
    description: 'Changes an entity\'s fields. Its kind and slug stay; `updatedAt` moves only when something changed.',
    args: { input: t.arg({ type: UpdateEntityInput, required: true, description: 'The entity and the changes.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ entityId: writes.updateEntity(ctx.db, i).id })),
  }),
  deleteEntity: t.field({
    type: DeleteEntityPayload,
    description:
      'Deletes an entity with its aliases (and, for an event, its participant list). CONFLICT while claims, relationships, events, products or sources still refer to it; the message says which.',
    args: { input: t.arg({ type: DeleteEntityInput, required: true, description: 'The entity to delete.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => writes.deleteEntity(ctx.db, i)),
  }),
  addEventParticipant: t.field({
    type: AddEventParticipantPayload,
    description: 'Adds a participant to an event in a role. CONFLICT when it already takes part in that role.',
    args: { input: t.arg({ type: AddEventParticipantInput, required: true, description: 'The event, the participant and its role.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => writes.addEventParticipant(ctx.db, i)),
  }),
}));
