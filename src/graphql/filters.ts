import { type SQL, sql } from 'drizzle-orm';
import { dependsOnRange } from '../cache';
import { selectRows } from '../db/engine';
import { encodeGlobalID } from '../domain/ids';
import { FOLDED_CASE } from '../domain/text';
import { compileWhere, FILTER_LIMITS, FILTER_TYPES, type FilterType, groupKey, MAX_GROUPS, orderTerms, readsColumns, rowKnownById, typesRead } from '../model/filter-language';
import type { FieldSpec } from '../model/filter-types';
import { builder, type Context } from './builder';
import { boundedList } from './connection-limits';
import { type Attached, NODE_SET } from './node-sets';
import {
  AttributionEnum,
  BasisKindEnum,
  ClaimKindEnum,
  EntityKindEnum,
  EventStatusEnum,
  SourceKindEnum,
  StanceEnum,
  SupportStatusEnum,
} from './types/scalars';

/**
 * The GraphQL side of the filter language (src/model/filter-language.ts): for each type of
 * FILTER_TYPES, `<Type>Filter`, `<Type>ListFilter`, `<Type>CountFilter`, `<Type>OrderBy` and
 * `<Type>GroupField`, with the operator inputs they share; the `where`/`orderBy` arguments a
 * connection takes; and `groupBy` on connections.
 */

type Filter = Record<string, unknown>;
export interface ExploreArgs {
  where?: Filter | null;
  orderBy?: readonly string[] | null;
}

const ENUMS = {
  ClaimKind: ClaimKindEnum,
  Attribution: AttributionEnum,
  SupportStatus: SupportStatusEnum,
  EntityKind: EntityKindEnum,
  EventStatus: EventStatusEnum,
  SourceKind: SourceKindEnum,
  Stance: StanceEnum,
  BasisKind: BasisKindEnum,
} as const;

const IN = `at most ${FILTER_LIMITS.inValues} values`;

const IDFilter = builder.inputType('IDFilter', {
  description: 'Conditions on a global id.',
  fields: (t) => ({
    eq: t.id({ description: 'Is this id.' }),
    ne: t.id({ description: 'Is not this id.' }),
    in: t.idList({ description: `Is one of these ids (${IN}).` }),
    notIn: t.idList({ description: `Is none of these ids (${IN}).` }),
  }),
});

const StringFilter = builder.inputType('StringFilter', {
  description: `Conditions on text. eq/ne/in/notIn compare exactly; contains and startsWith ignore ${FOLDED_CASE}: "é" does not match "É". Values are at most ${FILTER_LIMITS.textLength} characters.`,
  fields: (t) => ({
    eq: t.string({ description: 'Equals this text exactly.' }),
    ne: t.string({ description: 'Differs from this text (a missing value differs too).' }),
    in: t.stringList({ description: `Equals one of these (${IN}).` }),
    notIn: t.stringList({ description: `Equals none of these (${IN}); a missing value qualifies.` }),
    isNull: t.boolean({ description: 'true: the value is missing; false: it is present.' }),
    contains: t.string({ description: `Contains this text, ignoring ${FOLDED_CASE}.` }),
    startsWith: t.string({ description: `Starts with this text, ignoring ${FOLDED_CASE}.` }),
  }),
});

const PartialDateFilter = builder.inputType('PartialDateFilter', {
  description:
    'Conditions on a partial date, read as intervals: "2018" is all of 2018. gte: starts within or after the value; gt: starts after it ends; lte: ends within or before it; lt: ends before it starts. So "2018-02" is gte "2018" and lte "2018", and neither gt nor lt it. A missing date matches no comparison.',
  fields: (t) => ({
    eq: t.field({ type: 'PartialDate', description: 'Exactly this date, at this precision.' }),
    ne: t.field({ type: 'PartialDate', description: 'Anything but exactly this date (a missing date qualifies).' }),
    in: t.field({ type: ['PartialDate'], description: `Exactly one of these (${IN}).` }),
    notIn: t.field({ type: ['PartialDate'], description: `None of these (${IN}); a missing date qualifies.` }),
    isNull: t.boolean({ description: 'true: undated; false: dated.' }),
    lt: t.field({ type: 'PartialDate', description: 'Ends before the value starts.' }),
    lte: t.field({ type: 'PartialDate', description: 'Ends within or before the value.' }),
    gt: t.field({ type: 'PartialDate', description: 'Starts after the value ends.' }),
    gte: t.field({ type: 'PartialDate', description: 'Starts within or after the value.' }),
  }),
});

const TimestampFilter = builder.inputType('TimestampFilter', {
  description: 'Conditions on an ISO 8601 UTC timestamp such as "2026-11-28T14:21:08.678Z", compared as text (so "2026-11" works as a bound).',
  fields: (t) => ({
    eq: t.string({ description: 'Exactly this timestamp.' }),
    lt: t.string({ description: 'Before this.' }),
    lte: t.string({ description: 'At or before this.' }),
    gt: t.string({ description: 'After this.' }),
    gte: t.string({ description: 'At or after this.' }),
  }),
});

const enumFilters = new Map<string, ReturnType<typeof builder.inputType>>();
function enumFilter(name: keyof typeof ENUMS) {
  let ref = enumFilters.get(name);
  if (!ref) {
    const type = ENUMS[name];
    ref = builder.inputType(`${name}Filter`, {
      description: `Conditions on a ${name} value.`,
      fields: (t) => ({
        eq: t.field({ type, description: 'Is this value.' }),
        ne: t.field({ type, description: 'Is not this value (a missing value qualifies).' }),
        in: t.field({ type: [type], description: `Is one of these (${IN}).` }),
        notIn: t.field({ type: [type], description: `Is none of these (${IN}).` }),
        isNull: t.boolean({ description: 'true: the value is missing (for fields only some rows have).' }),
      }),
    });
    enumFilters.set(name, ref);
  }
  return ref;
}

const FILTERABLE = Object.keys(FILTER_TYPES) as FilterType[];

const OrderByEnums = Object.fromEntries(
  FILTERABLE.map((type) => [
    type,
    builder.enumType(`${type}OrderBy`, {
      description: `An ordering of ${type} lists; later entries break ties of earlier ones, and the row id breaks any tie left. Missing values sort last either way.`,
      values: Object.fromEntries(
        Object.entries(FILTER_TYPES[type].order).flatMap(([name, order]) => [
          [`${name}_ASC`, { value: `${name}_ASC`, description: `${order.description} Ascending.` }],
          [`${name}_DESC`, { value: `${name}_DESC`, description: `${order.description} Descending.` }],
        ]),
      ),
    }),
  ]),
) as Record<FilterType, ReturnType<typeof builder.enumType>>;

const GroupFieldEnums = Object.fromEntries(
  FILTERABLE.map((type) => [
    type,
    builder.enumType(`${type}GroupField`, {
      description: `What to count ${type} lists by in \`groupBy\`.`,
      values: Object.fromEntries(
        Object.entries(FILTER_TYPES[type].group).map(([name, group]) => [
          name,
          { value: name, description: `${group.description}${group.object ? ' The key is its global id.' : ''}` },
        ]),
      ),
    }),
  ]),
) as Record<FilterType, ReturnType<typeof builder.enumType>>;

type InputRef = ReturnType<typeof builder.inputRef<Filter>>;
const filterRefs = Object.fromEntries(FILTERABLE.map((type) => [type, builder.inputRef<Filter>(`${type}Filter`)])) as Record<FilterType, InputRef>;
const listRefs = Object.fromEntries(FILTERABLE.map((type) => [type, builder.inputRef<Filter>(`${type}ListFilter`)])) as Record<FilterType, InputRef>;
const countRefs = Object.fromEntries(FILTERABLE.map((type) => [type, builder.inputRef<Filter>(`${type}CountFilter`)])) as Record<FilterType, InputRef>;

function scalarInput(field: FieldSpec) {
  switch (field.kind) {
    case 'id':
      return IDFilter;
    case 'text':
      return StringFilter;
    case 'date':
      return PartialDateFilter;
    case 'timestamp':
      return TimestampFilter;
    case 'enum':
      return enumFilter(field.enumName as keyof typeof ENUMS);
    default:
      return null;
  }
}

for (const type of FILTERABLE) {
  const spec = FILTER_TYPES[type];
  filterRefs[type].implement({
    description: `Which ${type} rows to keep: every condition given must hold. Relation fields filter by what a row links to (\`some\`/\`none\`/\`every\`/\`count\` for lists). Limits: ${FILTER_LIMITS.conditions} conditions, ${FILTER_LIMITS.depth} levels of nesting, ${FILTER_LIMITS.hops} relations deep.`,
    fields: (t) => ({
      ...Object.fromEntries(
        Object.entries(spec.fields).map(([name, field]) => {
          const description = field.kinds && type === 'Entity' ? `${field.description} (Only ${field.kinds.join(', ')}.)` : field.description;
          if (field.kind === 'one') return [name, t.field({ type: filterRefs[field.target], description })];
          if (field.kind === 'many') return [name, t.field({ type: listRefs[field.target], description })];
          if (field.kind === 'exists') return [name, t.boolean({ description })];
          return [name, t.field({ type: scalarInput(field)!, description })];
        }),
      ),
      and: t.field({ type: [filterRefs[type]], description: 'All of these hold.' }),
      or: t.field({ type: [filterRefs[type]], description: 'At least one of these holds.' }),
      not: t.field({ type: filterRefs[type], description: 'This does not hold.' }),
    }),
  });
  listRefs[type].implement({
    description: `Conditions on a list of ${type} rows linked to the row filtered.`,
    fields: (t) => ({
      some: t.field({ type: filterRefs[type], description: 'At least one linked row matches (`{}`: there is one).' }),
      none: t.field({ type: filterRefs[type], description: 'No linked row matches (`{}`: there is none).' }),
      every: t.field({ type: filterRefs[type], description: 'Every linked row matches (true when there are none).' }),
      count: t.field({ type: countRefs[type], description: 'How many linked rows match.' }),
    }),
  });
  countRefs[type].implement({
    description: `How many linked ${type} rows (or distinct values among them) match: e.g. \`{ where: { stance: { eq: SUPPORTS } }, distinct: SOURCE, gte: 2 }\`.`,
    fields: (t) => ({
      where: t.field({ type: filterRefs[type], description: 'Count only the rows that match this.' }),
      distinct: t.field({ type: GroupFieldEnums[type], description: 'Count distinct values of this field instead of rows.' }),
      eq: t.int({ description: 'Exactly this many.' }),
      ne: t.int({ description: 'Not this many.' }),
      lt: t.int({ description: 'Fewer than this.' }),
      lte: t.int({ description: 'At most this many.' }),
      gt: t.int({ description: 'More than this.' }),
      gte: t.int({ description: 'At least this many.' }),
    }),
  });
}

/** The `where` and `orderBy` arguments of a connection of `type`. */
export function exploreArgs(arg: (options: never) => unknown, type: FilterType) {
  const t = { field: (options: object) => arg(options as never) as never };
  return {
    where: t.field({ type: filterRefs[type], required: false, description: `Only the ${type} rows that match (see ${type}Filter).` }),
    orderBy: t.field({
      type: [OrderByEnums[type]],
      required: false,
      description: 'The order of the list, e.g. [CREATED_AT_DESC]; the row id breaks ties. A cursor holds its place under the ordering it was issued with.',
    }),
  };
}

/** True when a connection asks for more than its fixed arguments. */
export const explores = (args: ExploreArgs) => !!(args.where || args.orderBy?.length);

/**
 * What a cached answer of an explored list depends on: every row of every type its filter reads
 * (a new citation can let a claim into `citations: { some: … }` without touching the claim).
 */
export function declareReads(context: Context, type: FilterType, args: ExploreArgs) {
  for (const read of typesRead(type, args.where)) dependsOnRange(context, FILTER_TYPES[read].tag, null, null);
}

/** The `where` condition on a paged row that is the node row itself. */
export const whereOn = (type: FilterType, args: ExploreArgs, row: SQL) => compileWhere(type, args.where, row);

/**
 * The `where` condition on a paged link row (a claim_subjects row for claimsAbout) that names its
 * node by `column`.
 */
export function whereThrough(type: FilterType, args: ExploreArgs, link: SQL, column: string): SQL | null {
  if (!args.where) return null;
  // A filter that reads only the node's id (its relations are joined by it) needs no node row.
  const byId = rowKnownById(sql`${link}.${sql.identifier(column)}`);
  const direct = compileWhere(type, args.where, byId);
  if (!direct || !readsColumns(byId)) return direct;
  const node = sql`${sql.identifier('n')}`;
  const condition = compileWhere(type, args.where, node);
  return sql`EXISTS (SELECT 1 FROM ${sql.identifier(FILTER_TYPES[type].table)} ${node} WHERE ${node}.id = ${link}.${sql.identifier(column)} AND ${condition})`;
}

/**
 * The drizzle `extras` and `orderBy` of an explored ordering, or null for the connection's own
 * default. `through` names the link column when the paged row is a link to the node.
 */
export function orderQuery(type: FilterType, args: ExploreArgs, through?: string) {
  if (!args.orderBy?.length) return null;
  const terms = orderTerms(type, args.orderBy);
  const table = sql.identifier(FILTER_TYPES[type].table);
  const node = sql`${sql.identifier('o')}`;
  const extras = Object.fromEntries(
    terms.map((term) => [
      term.key,
      // The row is the table or its alias, as drizzle hands it over.
      (row: unknown) =>
        through
          ? sql`(SELECT ${term.expression(node)} FROM ${table} ${node} WHERE ${node}.id = ${row as SQL}.${sql.identifier(through)})`
          : term.expression(sql`${row as SQL}`),
    ]),
  );
  const last = terms.at(-1)!.direction;
  return { extras, orderBy: { ...Object.fromEntries(terms.map((term) => [term.key, term.direction])), id: last } };
}

const GroupCount = builder.objectRef<{ key: string | null; count: number }>('GroupCount').implement({
  description: 'How many items of a list share one value of the field grouped by.',
  fields: (t) => ({
    key: t.string({
      nullable: true,
      description: 'The value (an enum value, a year, a predicate) or, for a field naming an object, its global id; null for items without one.',
      resolve: (g) => g.key,
    }),
    count: t.int({ description: 'How many items have it.', resolve: (g) => g.count }),
  }),
});

/** Turns "Person:3" and "Source:2" keys into global ids. */
function presentKey(type: FilterType, field: string, key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (!FILTER_TYPES[type].group[field]?.object) return String(key);
  const [typename, id] = String(key).split(':');
  return encodeGlobalID(typename!, id!);
}

/** The parents of one nested connection whose groups one statement counts. */
interface Batch {
  parents: Set<number>;
  result?: Promise<Map<number | null, { key: string | null; count: number }[]>>;
}
const batches = new WeakMap<object, Map<string, Batch>>();

async function runGroup(context: Context, attached: Attached, field: string, parents: number[] | null) {
  const { set, args } = attached;
  const p = sql`${sql.identifier('p')}`;
  const n = sql`${sql.identifier('n')}`;
  const pagedTable = sql.identifier(set.paged);
  const from = set.through
    ? sql`${pagedTable} ${p} JOIN ${sql.identifier(FILTER_TYPES[set.type].table)} ${n} ON ${n}.id = ${p}.${sql.identifier(set.through)}`
    : sql`${pagedTable} ${p}`;
  const key = groupKey(set.type, field, set.through ? n : p);
  const conditions = set.conditions(p, args).filter((c): c is SQL => c !== null);
  const parentColumn = set.parentColumn ? sql`${p}.${sql.identifier(set.parentColumn)}` : sql`NULL`;
  if (parents && set.parentColumn) conditions.push(sql`${parentColumn} IN (${sql.join(parents.map((id) => sql`${id}`), sql`, `)})`);
  const where = conditions.length ? sql`WHERE ${sql.join(conditions.map((c) => sql`(${c})`), sql` AND `)}` : sql``;
  // Subqueries named and the count cast to integer for PostgreSQL (which requires the one and
  // would count in bigint, read as a string); SQLite reads it the same either way. NULLS FIRST is
  // SQLite's own order for ascending keys, which PostgreSQL puts last unless told.
  const statement = sql`SELECT parent, key, count FROM (
    SELECT parent, key, count, row_number() OVER (PARTITION BY parent ORDER BY count DESC, key NULLS FIRST) AS rank FROM (
      SELECT ${parentColumn} AS parent, ${key} AS key, CAST(count(*) AS integer) AS count FROM ${from} ${where} GROUP BY 1, 2
    ) AS grouped
  ) AS ranked WHERE rank <= ${MAX_GROUPS} ORDER BY parent, count DESC, key NULLS FIRST`;
  const rows = await selectRows<{ parent: number | null; key: unknown; count: number }>(context.db, statement);
  const byParent = new Map<number | null, { key: string | null; count: number }[]>();
  for (const row of rows) {
    const list = byParent.get(row.parent) ?? [];
    list.push({ key: presentKey(set.type, field, row.key), count: row.count });
    byParent.set(row.parent, list);
  }
  return byParent;
}

/**
 * Counts per group for many parents at once: the parents of one nested connection asked the same
 * way wait a tick and share one statement (GROUP BY parent, key), so a list of 100 entities with
 * `claimsAbout { groupBy }` is one statement, not 100.
 */
async function groupCounts(connection: Record<PropertyKey, unknown>, field: string, context: Context) {
  const attached = connection[NODE_SET] as Attached | undefined;
  if (!attached) return [];
  const { set, parent, args } = attached;
  declareReads(context, set.type, args as ExploreArgs);
  if (!set.parentColumn) return (await runGroup(context, attached, field, null)).get(null) ?? [];
  const parentId = parent?.id as number;
  // One batch per request, connection field, arguments and group field.
  let perRequest = batches.get(context);
  if (!perRequest) batches.set(context, (perRequest = new Map()));
  const batchKey = `${set.paged}|${set.parentColumn}|${set.type}|${field}|${JSON.stringify(args)}`;
  let batch = perRequest.get(batchKey);
  if (!batch) {
    const fresh: Batch = { parents: new Set() };
    perRequest.set(batchKey, (batch = fresh));
    fresh.result = new Promise((resolve, reject) => {
      setImmediate(() => {
        perRequest!.delete(batchKey);
        runGroup(context, attached, field, [...fresh.parents]).then(resolve, reject);
      });
    });
  }
  batch.parents.add(parentId);
  return (await batch.result!).get(parentId) ?? [];
}

/** The `groupBy` field of a connection of `type`. */
export function groupByField(t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<{}>, unknown>, type: FilterType) {
  return t.field({
    type: [GroupCount],
    description: `Counts of this list's items (under the same \`where\` and arguments, across all pages) per value of a field, largest first, at most ${MAX_GROUPS} groups.`,
    args: { field: t.arg({ type: GroupFieldEnums[type], required: true, description: 'The field to count by.' }) },
    extensions: { ...boundedList(MAX_GROUPS, `groupBy returns at most ${MAX_GROUPS} groups`), pothosDrizzleTotalCount: true },
    resolve: (connection, args, context) => groupCounts(connection as Record<PropertyKey, unknown>, String(args.field), context as Context) as never,
  });
}

export type { NodeSet } from './node-sets';
