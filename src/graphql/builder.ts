import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import RelayPlugin from '@pothos/plugin-relay';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { relations } from '../../schema/relations';
import type { Db } from '../db';
import './connection-limits';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './connection-limits';
import { decodeGlobalID, encodeGlobalID, keepIfTypeMatches } from './global-id';

export interface Context {
  db: Db;
}

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
}>({
  plugins: [RelayPlugin, DrizzlePlugin, 'connectionLimits' as never],
  defaultFieldNullability: false,
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
    nodesOnConnection: true,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    encodeGlobalID,
    decodeGlobalID,
    nodeTypeOptions: {
      description: 'Anything with identity. Its `id` is opaque and global: pass it to `node` or `nodes` to refetch it.',
    },
    pageInfoTypeOptions: { description: 'Where a page sits in its connection, and the cursors to move from it.' },
    nodeQueryOptions: {
      description: 'Refetches any object by its global id. Null when nothing has that id.',
      resolve: async (_root, { id }, _ctx, _info, resolveNode) =>
        keepIfTypeMatches(await resolveNode(id), id.typename),
    },
    nodesQueryOptions: {
      description: 'Refetches many objects by global id, in the order asked; null for each id that names nothing.',
      resolve: async (_root, { ids }, _ctx, _info, resolveNodes) => {
        const found = await resolveNodes(ids);
        return found.map((node, i) => keepIfTypeMatches(node, ids[i]!.typename));
      },
    },
  },
});

builder.queryType({ description: 'Reads. Open to everyone.' });
