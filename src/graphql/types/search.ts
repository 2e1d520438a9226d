import { SEARCH_KINDS } from '../../../schema/enums';
import { badInput } from '../../errors';
import { RANKED_CANDIDATES, type SearchHit, type SearchKind, search } from '../../model/search';
import { builder } from '../builder';
import { countedConnection } from '../connections';
import { DEFAULT_PAGE_SIZE } from '../connection-limits';
import type { Context } from '../builder';
import { ENTITY_TYPE_BY_KIND } from '../global-id';
import { Claim } from './claim';
import { Event, Organization, Person, Place, Product } from './entity';
import { plannedLoader, type TypeName } from './node';
import { describedValues } from './scalars';
import { Source } from './source';

export const SearchKindEnum = builder.enumType('SearchKind', {
  description: 'What a search may return: an entity of a kind, a claim or a source.',
  values: describedValues(SEARCH_KINDS, {
    ORGANIZATION: 'Organizations.',
    PERSON: 'People (and unnamed groups a source speaks for).',
    EVENT: 'Events.',
    PRODUCT: 'Products.',
    PLACE: 'Places.',
    CLAIM: 'Claims, by their text.',
    SOURCE: 'Sources, by their title and label.',
  }),
});

type Row = { __searchType: string } & Record<string, unknown>;

export const SearchResult = builder.unionType('SearchResult', {
  description: 'Anything search can find: every kind of entity, a claim or a source.',
  types: [Organization, Person, Event, Product, Place, Claim, Source],
  resolveType: (row) => (row as unknown as Row).__searchType,
});

export const SearchConnection = countedConnection(
  'SearchConnection',
  SearchResult,
  'A page of search results, best first. `totalCount` counts matches up to 10,000.',
  {
    description: 'One search result with its relevance and the matched text in context.',
    fields: (t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<{}>, unknown>) => ({
      score: t.float({
        description:
          'Relevance (bm25, name matches weighted ten times body text, plus a bonus when the name or an alias is the query or starts with it); higher is better. A word in 10,000 documents or more adds nothing: a query of only such words scores 0 outside the entities it names.',
        resolve: (edge) => (edge as unknown as { score: number }).score,
      }),
      snippet: t.string({
        description: 'The match in context, matched words wrapped in ** **, elided with … where cut.',
        resolve: (edge) => (edge as unknown as { snippet: string }).snippet,
      }),
    }),
  } as never,
);

const OFFSET_CURSOR = /^offset:(\d{1,6})$/;
const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');
function decodeCursor(cursor: string, arg: string): number {
  const match = OFFSET_CURSOR.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw badInput(`"${arg}" is not a search cursor: use one from this connection's edges`, arg);
  return Number(match[1]);
}

const TYPE_OF_HIT: Record<SearchKind, TypeName> = { ...ENTITY_TYPE_BY_KIND, CLAIM: 'Claim', SOURCE: 'Source' };
const NODE_PATHS = [[{ name: 'edges' }, { name: 'node' }], [{ name: 'nodes' }]];

builder.queryFields((t) => {
  const load = plannedLoader(t);
  /** The rows the hits point at, with what the operation selects on each: one statement per type hit. */
  async function loadRows(hits: SearchHit[], context: Context, info: Parameters<typeof load>[3]) {
    const byType = new Map<TypeName, number[]>();
    for (const hit of hits) byType.set(TYPE_OF_HIT[hit.kind], [...(byType.get(TYPE_OF_HIT[hit.kind]) ?? []), hit.refId]);
    const rows = new Map<string, Row>();
    await Promise.all(
      [...byType].map(async ([typename, ids]) => {
        for (const [id, row] of await load(typename, ids, context, info, NODE_PATHS)) {
          rows.set(`${typename}:${id}`, Object.assign(row, { __searchType: typename }) as unknown as Row);
        }
      }),
    );
    return rows;
  }

  return {
  search: t.connection(
    {
      type: SearchResult,
      description:
        'Ranked full-text search over entities (names, aliases, descriptions), claims (text) and sources (titles). Every word must match; the last word also matches as a prefix, for type-ahead ("Micro" finds Microsoft). Any text is a valid query: quotes, operators and punctuation are searched for, never run as syntax. Ranking considers the first 1,000 matches, so a very common word stays fast; pages reach no further than that.',
      args: {
        query: t.arg.string({ required: true, description: 'What to look for, as a person would type it.' }),
        kinds: t.arg({ type: [SearchKindEnum], required: false, description: 'Only results of these kinds.' }),
      },
      resolve: async (_root, args, context, info) => {
        const { db } = context;
        if (args.query.length > 1000) throw badInput('"query" is longer than 1,000 characters', 'query');
        const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
        let offset = args.after ? decodeCursor(args.after, 'after') + 1 : 0;
        if (args.last != null && args.first == null) {
          const end = args.before ? decodeCursor(args.before, 'before') : RANKED_CANDIDATES;
          offset = Math.max(0, end - size);
        }
        const page = search(db, { text: args.query, kinds: args.kinds, offset, limit: size });
        const rows = await loadRows(page.hits, context, info);
        const edges = page.hits
          .map((hit, i) => ({ hit, i, node: rows.get(`${TYPE_OF_HIT[hit.kind]}:${hit.refId}`) }))
          .filter((e): e is typeof e & { node: Row } => e.node !== undefined)
          .map(({ hit, i, node }) => ({ cursor: encodeCursor(offset + i), node, score: hit.score, snippet: hit.snippet }));
        const connection = {
          edges,
          totalCount: page.totalCount,
          pageInfo: {
            hasNextPage: page.hasNextPage,
            hasPreviousPage: offset > 0,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
        // The union's members are drizzle objects; the rows above are theirs, tagged for resolveType.
        return connection as never;
      },
    },
    SearchConnection as never,
  ),
  };
});
