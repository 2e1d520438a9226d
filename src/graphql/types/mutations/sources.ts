import * as writes from '../../../model/writes/sources';
import { builder } from '../../builder';
import { Source } from '../source';
import { mutationInput, mutationPayload, once, written } from './common';

const CreateSourceInput = mutationInput('CreateSourceInput', writes.CreateSourceInput);

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
    resolve: (_root, { input }, ctx, info) => once(ctx, info, input, (i) => ({ sourceId: writes.createSource(ctx.db, i).id })),
  }),
);
