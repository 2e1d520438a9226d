import { brandWithType } from '@pothos/core';
import { type SQLWrapper, sql } from 'drizzle-orm';
import { SEARCH_KINDS } from '../../../schema/enums';
import type { Db } from '../../db';
import { engineOf } from '../../db/engine';
import { badInput } from '../../domain/errors';
import { MAX_HIGHLIGHTS, RANKED_CANDIDATES, type SearchHit, type SearchKind, type TextRange as TextRangeShape, search } from '../../model/search';
import { builder } from '../builder';
import { countedConnection } from '../connections';
import { boundedList, DEFAULT_PAGE_SIZE } from '../connection-limits';
import { selects } from '../selection';
import type { Context } from '../builder';
import { ENTITY_TYPE_BY_KIND } from '../../domain/ids';
import { Claim } from './claim';
import { Event, Group, Organization, Person, Place, Product } from './entity';
import { describedValues } from './scalars';
import { Source } from './source';

export const SearchKindEnum = builder.enumType('SearchKind', {
  description: 'What a search may return: an entity of a kind, a claim or a source.',
  values: describedValues(SEARCH_KINDS, {
    ORGANIZATION: 'Organizations.',
    PERSON: 'People.',
    EVENT: 'Events.',
    PRODUCT: 'Products.',
    PLACE: 'Places.',
    GROUP: 'Groups: collective or unnamed claimants.',
    CLAIM: 'Claims, by their text.',
    SOURCE: 'Sources, by their title and label.',
  }),
});

export const SearchResult = builder.unionType('SearchResult', {
  description: 'Anything search can find: every kind of entity, a claim or a source.',
  types: [Organization, Person, Event, Product, Place, Group, Claim, Source],
  resolveType: (row) => (row as unknown as Row).__searchType,
});

const TextRange = builder.objectRef<TextRangeShape>('TextRange').implement({
  description:
    'Where a search matched: `field` of the result, sliced from `start` to `end`. Offsets count UTF-16 code units, as JavaScript strings index them: `node[field].slice(start, end)` is the matched word.',
  fields: (t) => ({
    field: t.exposeString('field', {
      description:
        'The field of the result the match is in, and the snippet is taken from: `name` or `description` of an entity, `aliases.N` for its N-th alias (from 0, in `aliases` order), `text` of a claim, `title` or `label` of a source.',
    }),
    start: t.exposeInt('start', { description: "Where the match begins in the field's full value, in UTF-16 code units from 0." }),
    end: t.exposeInt('end', { description: 'Where the match ends (exclusive), in UTF-16 code units.' }),
  }),
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
          'Relevance (bm25, name matches weighted ten times body text, plus a bonus when the name or an alias is the query, or the name starts with it, or a word of the name does); higher is better. A word in 10,000 documents or more adds nothing: a query of only such words scores 0 outside the entities it names.',
        resolve: (edge) => (edge as unknown as { score: number }).score,
      }),
      snippet: t.string({
        description: 'The match in context, matched words wrapped in ** **, elided with … where cut. `highlights` gives the same matches as offsets.',
        resolve: (edge) => (edge as unknown as { snippet: string }).snippet,
      }),
      highlights: t.field({
        type: [TextRange],
        description: `The matched words in the field the snippet is taken from, in order, as ranges of that field's full value (not of the snippet, whose window may hold only some of them): at most ${MAX_HIGHLIGHTS}. Empty when the field's text holds the control characters U+0002 or U+0003.`,
        extensions: boundedList(MAX_HIGHLIGHTS, `a search result lists at most ${MAX_HIGHLIGHTS} highlights`),
        resolve: (edge) => (edge as unknown as { highlights?: TextRangeShape[] }).highlights ?? [],
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

type HitType = (typeof ENTITY_TYPE_BY_KIND)[keyof typeof ENTITY_TYPE_BY_KIND] | 'Claim' | 'Source';
const TYPE_OF_HIT: Record<SearchKind, HitType> = { ...ENTITY_TYPE_BY_KIND, CLAIM: 'Claim', SOURCE: 'Source' };
const REF_OF_TYPE = { Organization, Person, Event, Product, Place, Group, Claim, Source } as const;
const TABLE_OF_TYPE = { Organization: 'entities', Person: 'entities', Event: 'entities', Product: 'entities', Place: 'entities', Group: 'entities', Claim: 'claims', Source: 'sources' } as const;
const NODE_PATHS = [[{ name: 'edges' }, { name: 'node' }], [{ name: 'nodes' }]];

type Row = { __searchType: string } & Record<string, unknown>;
type Table = (typeof TABLE_OF_TYPE)[HitType];
type FindMany = (query: object) => { prepare(): Prepared } & PromiseLike<Row[]>;
interface Prepared {
  all(values: { ids: string }): Row[];
}

/** The ids as one JSON parameter, so one prepared statement serves any number of them. */
const BY_IDS = { RAW: (table: { id: SQLWrapper }) => sql`${table.id} IN (SELECT value FROM json_each(${sql.placeholder('ids')}))` };
/** Prepared relational queries per connection, by the selection they load; the oldest goes first beyond this. */
const PREPARED_PER_CONNECTION = 200;
const preparedBy = new WeakMap<Db, Map<string, Prepared>>();

/** Whether `value` is only data: no function (a RAW filter), no SQL object (an extra). */
function isPlain(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every(isPlain);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) if (!isPlain((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** A planned query as a cache key, or null when it holds more than plain data. */
const selectionKey = (query: object): string | null => (isPlain(query) ? JSON.stringify(query) : null);

/** The statement that loads `selection` from `table` by ids, prepared once per connection. */
function preparedLoad(db: Db, table: Table, selection: object, key: string): Prepared {
  let prepared = preparedBy.get(db);
  if (!prepared) preparedBy.set(db, (prepared = new Map()));
  const id = `${table} ${key}`;
  let statement = prepared.get(id);
  if (statement) prepared.delete(id);
  else {
    statement = (db.query[table] as unknown as { findMany: FindMany }).findMany({ ...selection, where: BY_IDS }).prepare();
    if (prepared.size >= PREPARED_PER_CONNECTION) prepared.delete(prepared.keys().next().value!);
  }
  prepared.set(id, statement);
  return statement;
}

/**
 * The rows the hits point at, loaded with what the operation selects on each type, planned like
 * node()'s (types/node.ts), but one statement per table: entity kinds that select alike load
 * together. A plain selection's query is built and prepared once per connection and given the ids
 * as one JSON parameter: drizzle would otherwise build the relational query anew for every
 * request (about a third of loading a page's nodes).
 */
async function loadRows(t: FieldBuilder, hits: SearchHit[], context: Context, info: Info) {
  const idsByType = new Map<HitType, number[]>();
  for (const hit of hits) {
    const type = TYPE_OF_HIT[hit.kind];
    const ids = idsByType.get(type);
    if (ids) ids.push(hit.refId);
    else idsByType.set(type, [hit.refId]);
  }
  // One load per table and selection: the types it serves, and their ids.
  const loads = new Map<string, { table: Table; selection: object; key: string | null; types: HitType[]; ids: number[] }>();
  for (const [type, ids] of idsByType) {
    // A promise only when a selection beneath is async.
    const selection = (await t.drizzleQueryFromInfo(REF_OF_TYPE[type] as never, { context, info, paths: NODE_PATHS } as never)) as object;
    const table = TABLE_OF_TYPE[type];
    const key = selectionKey(selection);
    const id = key === null ? type : `${table} ${key}`;
    const load = loads.get(id);
    if (load) {
      load.types.push(type);
      load.ids.push(...ids);
    } else loads.set(id, { table, selection, key, types: [type], ids });
  }
  const rows = new Map<string, Row>();
  // Prepared statements with a JSON parameter are SQLite's (better-sqlite3 runs them synchronously).
  const preparesLoads = engineOf(context.db)?.name !== 'postgres';
  for (const { table, selection, key, types, ids } of loads.values()) {
    const loaded =
      key === null || !preparesLoads
        ? await (context.db.query[table] as unknown as { findMany: FindMany }).findMany({ ...selection, where: { id: { in: ids } } })
        : preparedLoad(context.db, table, selection, key).all({ ids: JSON.stringify(ids) });
    for (const row of loaded) {
      // An entity is of the type of its kind (every entity selection reads it), and loads only
      // where a hit asked for that type.
      const type = table === 'entities' ? ENTITY_TYPE_BY_KIND[row.kind as keyof typeof ENTITY_TYPE_BY_KIND] : types[0]!;
      if (!types.includes(type)) continue;
      brandWithType(row, type as never);
      row.__searchType = type;
      rows.set(`${type}:${row.id}`, row);
    }
  }
  return rows;
}

type FieldBuilder = Parameters<Parameters<typeof builder.queryFields>[0]>[0];
type Info = Parameters<FieldBuilder['drizzleQueryFromInfo']>[1]['info'];

builder.queryFields((t) => {
  return {
  search: t.connection(
    {
      type: SearchResult,
      description:
        `Ranked full-text search over entities (names, aliases, descriptions), claims (text) and sources (titles, labels). Every word must match; the last word also matches as a prefix however short, for type-ahead ("M" finds Microsoft and Elon Musk, "Microsoft i" what holds Microsoft and a word starting with i); spaces change nothing. Any text is a valid query: only letters and digits are searched for, quotes, operators and punctuation are never run as syntax. Ranking considers the first ${RANKED_CANDIDATES.toLocaleString('en-US')} matches, so a very common word stays fast; pages reach no further than that. \`last\` without \`before\` is the last page.`,
      args: {
        query: t.arg.string({ required: true, description: 'What to look for, as a person would type it.' }),
        kinds: t.arg({ type: [SearchKindEnum], required: false, description: 'Only results of these kinds.' }),
      },
      resolve: async (_root, args, context, info) => {
        const { db } = context;
        if (args.query.length > 1000) throw badInput('"query" is longer than 1,000 characters', 'query');
        const highlights = selects(info, ['edges', 'highlights']);
        const ask = (offset: number, limit: number) =>
          search(db, { text: args.query, kinds: args.kinds, offset, limit: Math.max(0, limit), highlights });
        // Relay's window: after `after` and before `before`, then the first `first` of it, then
        // its last `last`. Without `before`, its end is the last match ranking reaches.
        let start = args.after ? decodeCursor(args.after, 'after') + 1 : 0;
        let end = args.before ? Math.min(decodeCursor(args.before, 'before'), RANKED_CANDIDATES) : null;
        const first = args.first ?? (args.last == null ? DEFAULT_PAGE_SIZE : null);
        if (first != null) end = Math.min(end ?? Infinity, start + first);
        let page: Awaited<ReturnType<typeof search>>;
        if (args.last != null && end === null) {
          // The end is known once the matches are counted: the page from `start` counts them, and
          // is the answer when it reaches the end.
          page = await ask(start, args.last);
          const last = Math.min(page.totalCount, RANKED_CANDIDATES);
          if (page.hasNextPage && last - args.last > start) {
            start = last - args.last;
            page = await ask(start, args.last);
          }
        } else {
          if (args.last != null) start = Math.max(start, end! - args.last);
          page = await ask(start, end! - start);
        }
        const offset = start;
        const rows = await loadRows(t, page.hits, context, info);
        const edges = page.hits
          .map((hit, i) => ({ hit, i, node: rows.get(`${TYPE_OF_HIT[hit.kind]}:${hit.refId}`) }))
          .filter((e): e is typeof e & { node: Row } => e.node !== undefined)
          .map(({ hit, i, node }) => ({ cursor: encodeCursor(offset + i), node, score: hit.score, snippet: hit.snippet, highlights: hit.highlights }));
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
