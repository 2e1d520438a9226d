import { brandWithType } from '@pothos/core';
import { badInput } from '../../domain/errors';
import { builder, type Context } from '../builder';
import { boundedList, MAX_NODE_IDS } from '../connection-limits';
import { ENTITY_KIND_BY_TYPE } from '../../domain/ids';
import { Citation } from './citation';
import { Claim } from './claim';
import { Event, Group, Organization, Person, Place, Product } from './entity';
import { Relationship } from './relationship';
import { Source } from './source';

/**
 * `node` and `nodes`, planned like any other field: the fields asked for are loaded in the same
 * statement as the row (one per type in `nodes`), instead of through the relay plugin's loader,
 * which waits a timer tick to batch and then plans again.
 */
const TYPES = {
  Organization: { ref: Organization, table: 'entities' },
  Person: { ref: Person, table: 'entities' },
  Event: { ref: Event, table: 'entities' },
  Product: { ref: Product, table: 'entities' },
  Place: { ref: Place, table: 'entities' },
  Group: { ref: Group, table: 'entities' },
  Relationship: { ref: Relationship, table: 'relationships' },
  Claim: { ref: Claim, table: 'claims' },
  Source: { ref: Source, table: 'sources' },
  Citation: { ref: Citation, table: 'citations' },
} as const;
export type TypeName = keyof typeof TYPES;

type FieldBuilder = Parameters<Parameters<typeof builder.queryFields>[0]>[0];
type Info = Parameters<FieldBuilder['drizzleQueryFromInfo']>[1]['info'];

/**
 * Loads the rows of one node type by id, with what the operation selects on that type (at the
 * field itself, or under `paths` below it) planned into the same statement; branded for `Node`.
 * An entity id loads only an entity of that id's kind.
 */
export function plannedLoader(t: FieldBuilder) {
  return async function load(typename: TypeName, ids: number[], context: Context, info: Info, paths?: { name: string }[][]) {
    const { ref, table } = TYPES[typename];
    const kind = ENTITY_KIND_BY_TYPE.get(typename);
    const where = kind ? { id: { in: ids }, kind } : { id: { in: ids } };
    const query = t.drizzleQueryFromInfo(ref as never, { context, info, where, ...(paths ? { paths } : {}) } as never);
    const rows = await (context.db.query[table] as { findMany: (q: unknown) => Promise<{ id: number }[]> }).findMany(query);
    for (const row of rows) brandWithType(row, typename as never);
    return new Map(rows.map((row) => [row.id, row]));
  };
}

builder.queryFields((t) => {
  const load = plannedLoader(t);

  /** decodeGlobalID has already refused any typename that is not a node type (NODE_TYPE_NAMES). */
  const typed = (id: { typename: string; id: string }): [TypeName, number] => [id.typename as TypeName, Number(id.id)];

  return {
    node: t.field({
      type: builder.nodeInterfaceRef(),
      nullable: true,
      description: 'Refetches any object by its global id. Null when nothing has that id.',
      args: { id: t.arg.globalID({ required: true, description: 'A global id this API returned.' }) },
      resolve: async (_root, args, context, info) => {
        const [typename, id] = typed(args.id);
        return ((await load(typename, [id], context, info)).get(id) ?? null) as never;
      },
    }),
    nodes: t.field({
      type: [builder.nodeInterfaceRef()],
      nullable: { list: false, items: true },
      description: `Refetches many objects by global id, in the order asked; null for each id that names nothing. At most ${MAX_NODE_IDS} ids a call.`,
      args: { ids: t.arg.globalIDList({ required: true, description: `Global ids this API returned, at most ${MAX_NODE_IDS}.` }) },
      extensions: boundedList(MAX_NODE_IDS, 'one per id', 'ids'),
      resolve: async (_root, args, context, info) => {
        if (args.ids.length > MAX_NODE_IDS) {
          throw badInput(`"ids" has ${args.ids.length} ids; nodes takes at most ${MAX_NODE_IDS} a call: ask in batches of ${MAX_NODE_IDS}`, 'ids');
        }
        const wanted = args.ids.map(typed);
        const byType = new Map<TypeName, number[]>();
        for (const [typename, id] of wanted) byType.set(typename, [...(byType.get(typename) ?? []), id]);
        const loaded = new Map(
          await Promise.all([...byType].map(async ([typename, ids]) => [typename, await load(typename, ids, context, info)] as const)),
        );
        return wanted.map(([typename, id]) => loaded.get(typename)!.get(id) ?? null) as never;
      },
    }),
  };
});
