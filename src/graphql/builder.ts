import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { relations } from '../../schema/relations';
import type { WriteAccess } from '../auth';
import type { CacheContext } from '../cache';
import type { Db } from '../db';
import { UserError } from '../domain/errors';
import './connection-limits';
import './deadline';
import './node-sets';
import './sync-ids';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './connection-limits';
import { decodeGlobalID, encodeGlobalID } from '../domain/ids';

/** Per request: the database, whether this caller may write (see src/auth.ts), and the response cache's fields (src/cache/). */
export type Context = { db: Db } & WriteAccess & CacheContext;

export const builder = new SchemaBuilder<{
  Context: Context;
  DrizzleRelations: typeof relations;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    ID: { Input: string; Output: string | number };
    PartialDate: { Input: string; Output: string };
  };
  AuthScopes: { writer: boolean };
}>({
  // Scope-auth first: who may write is settled before a mutation waits for the write lock.
  plugins: [ScopeAuthPlugin, RelayPlugin, DrizzlePlugin, 'connectionLimits' as never, 'deadline' as never, 'syncIds' as never, 'nodeSets' as never],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (context) => ({ writer: context.canWrite }),
    unauthorizedError: (_parent, context) => new UserError('UNAUTHENTICATED', context.writeRefusal ?? 'Writes need a bearer token.'),
  },
  drizzle: {
    client: (ctx) => ctx.db,
    getTableConfig,
    relations,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesOnConnection: { description: 'The nodes of this page, without their edges: a shortcut for `edges { node }`.' },
    edgesFieldOptions: { nullable: false, description: 'The edges of this page, each with its cursor.' },
    nodeFieldOptions: { nullable: false, description: 'The item at this edge.' },
    cursorFieldOptions: { description: 'Opaque position of this edge: pass it as `after` or `before`.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the connection.' },
    hasNextPageFieldOptions: { description: 'True when more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'True when items come before this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first edge of this page; null when the page is empty.' },
    endCursorFieldOptions: { description: 'Cursor of the last edge of this page; null when the page is empty.' },
    firstArgOptions: { description: 'Take the first n items after `after` (default 20, at most 100).' },
    lastArgOptions: { description: 'Take the last n items before `before` (at most 100).' },
    afterArgOptions: { description: 'Start after this cursor.' },
    beforeArgOptions: { description: 'End before this cursor.' },
    defaultEdgeTypeOptions: { description: 'One item of a connection, with its cursor.' },
    idFieldOptions: { description: 'Opaque global id; `node(id)` refetches the object.' },
    encodeGlobalID,
    decodeGlobalID,
    nodeTypeOptions: {
      description: 'Anything with identity. Its `id` is opaque and global: pass it to `node` or `nodes` to refetch it.',
    },
    pageInfoTypeOptions: { description: 'Where a page sits in its connection, and the cursors to move from it.' },
    // Replaced by planned fields in types/node.ts.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.queryType({ description: 'Reads. Open to everyone.' });
builder.mutationType({
  // Every field of the type: no mutation can forget to check.
  authScopes: { writer: true },
  description:
    'Writes. Each needs `Authorization: Bearer <token>` (the server\'s API_TOKEN), is validated before anything is written, and runs as one transaction: it lands whole or not at all.',
});
