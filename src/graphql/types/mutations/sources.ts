import * as writes from '../../../model/writes/sources';
import { Source } from '../source';
import { mutationPayload, writeMutation, written } from './common';

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

writeMutation('createSource', {
  description: 'Records a new source. CONFLICT when the slug is taken.',
  input: writes.CreateSourceInput,
  inputDescription: 'The source to create.',
  payload: CreateSourcePayload,
  write: async (tx, input) => ({ sourceId: (await writes.createSource(tx, input)).id }),
});
