import { builder } from '../builder';
import { Citation } from './citation';
import { Claim } from './claim';
import { Entity } from './entity';
import { Relationship } from './relationship';
import { Source } from './source';

const CREATED = 'When this was recorded: an ISO 8601 UTC timestamp, e.g. "2026-11-28T14:21:08.678Z".';
const UPDATED =
  'When this last changed (its own fields or its lists: aliases, participants, citations, contradictions), as an ISO 8601 UTC timestamp; equals createdAt until then.';

builder.drizzleInterfaceFields(Entity, (t) => ({
  createdAt: t.exposeString('createdAt', { description: CREATED }),
  updatedAt: t.exposeString('updatedAt', { description: UPDATED }),
}));
builder.drizzleObjectFields(Claim, (t) => ({
  createdAt: t.exposeString('createdAt', { description: CREATED }),
  updatedAt: t.exposeString('updatedAt', { description: UPDATED }),
}));
builder.drizzleObjectFields(Source, (t) => ({
  createdAt: t.exposeString('createdAt', { description: CREATED }),
  updatedAt: t.exposeString('updatedAt', { description: UPDATED }),
}));
builder.drizzleObjectFields(Relationship, (t) => ({
  createdAt: t.exposeString('createdAt', { description: CREATED }),
  updatedAt: t.exposeString('updatedAt', { description: UPDATED }),
}));
builder.drizzleObjectFields(Citation, (t) => ({
  createdAt: t.exposeString('createdAt', { description: CREATED }),
  updatedAt: t.exposeString('updatedAt', { description: UPDATED }),
}));
