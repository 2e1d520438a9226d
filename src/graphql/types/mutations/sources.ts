import { createSource } from '../../../model/writes/sources';
import { builder } from '../../builder';
import { PartialDate, SourceKindEnum } from '../scalars';
import { Source } from '../source';
import { mutationInput, mutationPayload, once, SLUG_DESCRIPTION, written } from './common';

const CreateSourceInput = mutationInput('CreateSourceInput', {
  description: 'A new source: a document claims appear in or are cited to.',
  fields: (t) => ({
    kind: t.field({ type: SourceKindEnum, required: true, description: 'What sort of document it is.' }),
    slug: t.string({ description: SLUG_DESCRIPTION.replace('the name', 'the title') }),
    title: t.string({ required: true, description: 'Its title, at most 1000 characters.' }),
    url: t.string({ description: 'Where to read it: an http or https URL, at most 2000 characters.' }),
    publisherId: t.id({ description: 'The id of the entity that published it.' }),
    publishedOn: t.field({ type: PartialDate, description: 'When it was published.' }),
    retrievedOn: t.field({ type: PartialDate, description: 'When it was read.' }),
    label: t.string({ description: 'How a citing document prints it, e.g. "[2] Cnbc"; at most 200 characters.' }),
  }),
});

const CreateSourcePayload = mutationPayload<{ sourceId: number }>('CreateSourcePayload', {
  description: 'The result of createSource.',
  fields: (t) => ({
    source: t.drizzleField({
      type: Source,
      description: 'The source as created.',
      resolve: (query, payload, _args, { db }) => written(db.query.sources.findFirst(query({ where: { id: payload.sourceId } })), 'The source'),
    }),
  }),
});

builder.mutationField('createSource', (t) =>
  t.field({
    type: CreateSourcePayload,
    description: 'Records a new source. CONFLICT when the slug is taken.',
    args: { input: t.arg({ type: CreateSourceInput, required: true, description: 'The source to create.' }) },
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ sourceId: createSource(ctx.db, i).id })),
  }),
);
