import { addEventParticipant, createEntity, deleteEntity, updateEntity } from '../../../model/writes/entities';
import { MAX_ITEMS } from '../../../model/list-caps';
import { builder } from '../../builder';
import { Entity, Event } from '../entity';
import { EntityKindEnum, EventStatusEnum, PartialDate } from '../scalars';
import { type InputFields, mutationInput, mutationPayload, once, SLUG_DESCRIPTION, written } from './common';

/** The fields create and update share. On update, omitting a field keeps it and null clears it. */
function entityFields(t: InputFields) {
  return {
    aliases: t.stringList({
      description: `Other names it is known by, in order; each at most 500 characters, no repeats ignoring case, at most ${MAX_ITEMS.entityAliases}. On update the list replaces the old one.`,
    }),
    description: t.string({ description: 'A short description, at most 5000 characters.' }),
    wikidataId: t.string({ description: 'The matching Wikidata item, e.g. "Q317521".' }),
    foundedOn: t.field({ type: PartialDate, description: 'ORGANIZATION only: when it was founded.' }),
    legalForm: t.string({ description: 'ORGANIZATION only: its legal form, e.g. "capped for-profit".' }),
    occupation: t.string({ description: 'PERSON only: what they do.' }),
    developerId: t.id({ description: 'PRODUCT only: the id of the entity that develops it.' }),
    releasedOn: t.field({ type: PartialDate, description: 'PRODUCT only: when it was released.' }),
    startDate: t.field({ type: PartialDate, description: 'EVENT only: when it began (or happened).' }),
    endDate: t.field({ type: PartialDate, description: 'EVENT only: when it ended; not before startDate.' }),
    status: t.field({ type: EventStatusEnum, description: 'EVENT only, and required there: whether it took place.' }),
  };
}

const CreateEntityInput = mutationInput('CreateEntityInput', {
  description:
    'A new entity. Kind-specific fields (foundedOn, occupation, status, …) are accepted only for their kind; an EVENT needs a status. Text is trimmed and must not be empty.',
  fields: (t) => ({
    kind: t.field({ type: EntityKindEnum, required: true, description: 'What sort of entity it is; it cannot change later.' }),
    slug: t.string({ description: SLUG_DESCRIPTION }),
    name: t.string({ required: true, description: 'The name it is best known by, at most 500 characters.' }),
    ...entityFields(t),
  }),
});

const UpdateEntityInput = mutationInput('UpdateEntityInput', {
  description:
    'Changes to an entity. Omit a field to keep its value; null clears an optional one (not the name, nor an event\'s status). Kind-specific fields must match the entity\'s kind.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The entity to change.' }),
    name: t.string({ description: 'A new name, at most 500 characters.' }),
    ...entityFields(t),
  }),
});

const DeleteEntityInput = mutationInput('DeleteEntityInput', {
  description: 'The entity to delete.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The entity to delete; nothing may refer to it any more.' }) }),
});

const AddEventParticipantInput = mutationInput('AddEventParticipantInput', {
  description: 'Someone or something taking part in an event, in a role.',
  fields: (t) => ({
    eventId: t.id({ required: true, description: 'The id of an Event.' }),
    entityId: t.id({ required: true, description: 'The id of the entity that took part (not the event itself).' }),
    role: t.string({ required: true, description: 'The role it played, e.g. "co-founder"; at most 200 characters.' }),
  }),
});

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
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ entityId: createEntity(ctx.db, i).id })),
  }),
  updateEntity: t.field({
    type: UpdateEntityPayload,
    description: 'Changes an entity\'s fields. Its kind and slug stay; `updatedAt` moves only when something changed.',
    args: { input: t.arg({ type: UpdateEntityInput, required: true, description: 'The entity and the changes.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ entityId: updateEntity(ctx.db, i).id })),
  }),
  deleteEntity: t.field({
    type: DeleteEntityPayload,
    description:
      'Deletes an entity with its aliases (and, for an event, its participant list). CONFLICT while claims, relationships, events, products or sources still refer to it; the message says which.',
    args: { input: t.arg({ type: DeleteEntityInput, required: true, description: 'The entity to delete.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => deleteEntity(ctx.db, i)),
  }),
  addEventParticipant: t.field({
    type: AddEventParticipantPayload,
    description: 'Adds a participant to an event in a role. CONFLICT when it already takes part in that role.',
    args: { input: t.arg({ type: AddEventParticipantInput, required: true, description: 'The event, the participant and its role.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => addEventParticipant(ctx.db, i)),
  }),
}));
