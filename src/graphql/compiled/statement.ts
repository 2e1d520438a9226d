import { getTableColumns, getTableName } from 'drizzle-orm';
import { type GraphQLEnumType, type GraphQLLeafType, isEnumType } from 'graphql';
import * as tables from '../../../schema/pg/tables';
import { ENTITY_KIND_BY_TYPE, ENTITY_TYPE_BY_KIND } from '../../domain/ids';
import { MAX_ITEMS } from '../../model/list-caps';
import { type FieldPlan, type ObjectPlan, type PagePlan, type Plan, TABLE_OF, type TableKey } from './plan';

/**
 * PostgreSQL: a compiled read's whole answer in ONE statement, which builds the answer's JSON
 * itself (json_build_object, json_agg), each selected root a column of its one row. A request then
 * costs one round trip and one JSON.parse, however deep it nests, where the plan's other way
 * (./run.ts) costs a statement per field plan, each of whose rows the driver decodes and the plan
 * turns into objects.
 *
 * It gives exactly the objects ./run.ts gives: same keys in the same order, same values (ids and
 * cursors base64-encoded by the statement; JSON.parse then makes its numbers and strings the
 * values the executor's serializers would). A plan it cannot promise that for returns null, and
 * ./run.ts answers instead: a leaf whose GraphQL type shows a value otherwise than as stored (any
 * scalar but String, Int, ID and PartialDate, an enum whose values are not their names), a non-null
 * field whose column may be null, an object of more than 50 fields (json_build_object takes 100
 * arguments).
 */

type PgTable = keyof typeof PG_TABLES;
const PG_TABLES = {
  entities: tables.entities,
  claims: tables.claims,
  sources: tables.sources,
  relationships: tables.relationships,
  citations: tables.citations,
} as const;

/** Each table's columns by SQL name: their SQL type and whether they may be null. */
const COLUMN_FACTS = Object.fromEntries(
  Object.entries(PG_TABLES).map(([key, table]) => [
    key,
    new Map(Object.values(getTableColumns(table)).map((column) => [column.name, { type: column.columnType, notNull: column.notNull }])),
  ]),
) as Record<PgTable, Map<string, { type: string; notNull: boolean }>>;
const SQL_NAME = Object.fromEntries(Object.entries(PG_TABLES).map(([key, table]) => [key, getTableName(table)])) as Record<TableKey, string>;

/**
 * The most fields one statement writes; past it ./run.ts answers. Each entity type whose fields
 * differ gets a branch of its own, with everything under it written again, so a plan's statement
 * can be many times the plan; PostgreSQL plans every branch, taken or not. The benchmark's nested
 * read writes 15 fields. A page of entities of every type, each with its own fields, its
 * relationships and its claims, writes about 1,300: planning that statement took 8 ms, and the
 * plan's own statements answer it as fast.
 */
export const MAX_STATEMENT_FIELDS = 1000;

/** Thrown while building when this plan's statement could differ from ./run.ts's answer, or would be too large. */
class NotStatement extends Error {}

const TYPE_OF_KIND = (alias: string) =>
  `(CASE ${alias}.kind ${Object.entries(ENTITY_TYPE_BY_KIND)
    .map(([kind, type]) => `WHEN '${kind}' THEN '${type}'`)
    .join(' ')} END)`;
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
/**
 * base64 of the UTF-8 of a global id or a cursor, as Buffer's. PostgreSQL's encode breaks its
 * lines every 76 characters, after 57 bytes: the longest id (the longest type name, a colon and
 * ten digits) is far shorter, which ID_BYTES checks when the module loads.
 */
const base64 = (text: string) => `encode(convert_to(${text}, 'UTF8'), 'base64')`;
const ID_BYTES = Math.max(...Object.keys(TABLE_OF).map((type) => type.length), 'DC:N'.length) + 1 + 10;
if (ID_BYTES > 57) throw new Error(`a global id of ${ID_BYTES} bytes would be base64-encoded on two lines`);

export interface PageInput {
  first: number;
  after: number | null;
  /** Conditions on the paged rows (alias p), with `?` for each of `params`. */
  conditions: string[];
  params: unknown[];
}

/** A statement being built: its parameters ($1…) and its aliases, each unique in the statement. */
class Builder {
  readonly params: unknown[] = [];
  private aliases = 0;
  /** Fields written so far (see MAX_STATEMENT_FIELDS). */
  private fields = 0;
  /** Root pages that declare the id range they read: each answers [its answer, the range's upper bound]. */
  readonly declaring = new Set<PagePlan>();

  constructor(private readonly pageInputs: ReadonlyMap<PagePlan, PageInput>) {}

  alias(prefix: string) {
    return `${prefix}${++this.aliases}`;
  }

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** The JSON object shown for the row of `plan` read as `alias`. */
  object(plan: ObjectPlan, alias: string): string {
    if (plan.table !== 'entities') {
      const [type, fields] = [...plan.byType][0] ?? [];
      return type === undefined ? 'json_build_object()' : this.pairs(plan, fields!, alias, quote(type));
    }
    // Entities: one object when every kind shows the same fields, its type named by its kind.
    const kinds = Object.keys(ENTITY_TYPE_BY_KIND);
    const shared = [...plan.byType.values()].map((fields) => this.shape(fields));
    if (plan.byType.size === kinds.length && shared.every((s) => s === shared[0])) {
      return this.pairs(plan, plan.byType.values().next().value!, alias, TYPE_OF_KIND(alias));
    }
    const branches = [...plan.byType].map(([type, fields]) => `WHEN '${ENTITY_KIND_BY_TYPE.get(type)}' THEN ${this.pairs(plan, fields, alias, quote(type))}`);
    return `(CASE ${alias}.kind ${branches.join(' ')} ELSE json_build_object() END)`;
  }

  /** What a type's fields are, apart from the type itself. */
  private shape(fields: readonly FieldPlan[]): string {
    return fields.map((f) => `${f.kind}:${f.key}`).join(',') + `|${fields.map((f) => (f.kind === 'typename' || f.kind === 'id' ? '' : String(fieldIdentity(f)))).join(',')}`;
  }

  private pairs(plan: ObjectPlan, fields: readonly FieldPlan[], alias: string, type: string): string {
    this.fields += fields.length;
    if (fields.length > 50 || this.fields > MAX_STATEMENT_FIELDS) throw new NotStatement();
    return `json_build_object(${fields.map((field) => `${quote(field.key)}, ${this.value(plan, field, alias, type)}`).join(', ')})`;
  }

  private value(plan: ObjectPlan, field: FieldPlan, alias: string, type: string): string {
    const facts = COLUMN_FACTS[plan.table as PgTable];
    switch (field.kind) {
      case 'typename':
        return type;
      case 'id':
        return base64(`${type} || ':' || ${alias}.id`);
      case 'leaf': {
        const column = facts.get(field.column);
        if (!column || (!field.nullable && !column.notNull)) throw new NotStatement();
        return leafValue(field.type, `${alias}."${field.column}"`, column.type);
      }
      case 'one': {
        const column = facts.get(field.column);
        // Non-null: a column that is never null names a row that exists (it is a foreign key).
        if (!column || (!field.nullable && !column.notNull)) throw new NotStatement();
        const row = this.alias('o');
        return `(SELECT ${this.object(field.child, row)} FROM "${SQL_NAME[field.child.table]}" ${row} WHERE ${row}.id = ${alias}."${field.column}")`;
      }
      case 'about': {
        const row = this.alias('a');
        const columns = [...field.child.columns].map((c) => `e."${c}"`).join(', ');
        return `(SELECT coalesce(json_agg(${this.object(field.child, row)} ORDER BY ${row}.id), '[]') FROM (SELECT ${columns} FROM claim_subjects s JOIN entities e ON e.id = s.entity_id WHERE s.claim_id = ${alias}.id ORDER BY e.id LIMIT ${MAX_ITEMS.claimAbout}) ${row})`;
      }
      case 'aliases': {
        const row = this.alias('n');
        return `(SELECT coalesce(json_agg(${row}.alias ORDER BY ${row}.position), '[]') FROM (SELECT alias, position FROM entity_aliases WHERE entity_id = ${alias}.id ORDER BY position LIMIT ${MAX_ITEMS.entityAliases}) ${row})`;
      }
      case 'page':
        return this.page(field.page, `${alias}.id`);
    }
  }

  /** A connection's JSON: its page of rows for the parent `parent` (null: a root page). */
  page(page: PagePlan, parent: string | null): string {
    const { paging } = page;
    const input = this.pageInputs.get(page)!;
    // The page's own conditions, written for any alias of the paged table (each parameter once).
    // Numbered when first written: a parameter the statement does not use would have no type.
    let written: string[] | undefined;
    const own = (p: string) => {
      let taken = 0;
      written ??= input.conditions.map((condition) => condition.replace(/\?/g, () => this.param(input.params[taken++])));
      return [...(parent === null ? [] : [`${p}.${paging.parent} = ${parent}`]), ...written.map((c) => c.replace(/\bp\./g, `${p}.`))];
    };
    const counted = () => {
      const c = this.alias('p');
      const where = own(c);
      return `(SELECT count(*)::int FROM "${paging.paged}" ${c}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
    };
    if (!page.rows) {
      const pairs = page.fields.map((f) => `${quote(f.key)}, ${f.kind === 'totalCount' ? counted() : quote(page.typename)}`);
      return `json_build_object(${pairs.join(', ')})`;
    }
    const p = this.alias('p');
    const r = this.alias('r');
    const node = paging.through ? this.alias('t') : p;
    const columns = new Set(page.children.flatMap((child) => [...child.columns]));
    const conditions = [...own(p), ...(input.after !== null ? [`${p}.${paging.order} > ${this.param(input.after)}`] : [])];
    // The row after the page is read only when something shows whether there is one: then
    // numbered, so that only the page's own rows are shown.
    const declares = parent === null && paging.declares !== undefined;
    const extra = declares || page.fields.some((f) => f.kind === 'pageInfo' && f.fields.some((part) => part.kind === 'hasNextPage'));
    const rows = `SELECT ${p}.${paging.order} AS "__cursor"${extra ? `, row_number() OVER (ORDER BY ${p}.${paging.order}) AS "__n"` : ''}${[...columns].map((c) => `, ${node}."${c}"`).join('')} FROM "${paging.paged}" ${p}${
      paging.through ? ` JOIN "${SQL_NAME[paging.table]}" ${node} ON ${node}.id = ${p}.${paging.through}` : ''
    }${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${p}.${paging.order} LIMIT ${extra ? input.first + 1 : input.first}`;
    const shown = extra ? ` FILTER (WHERE ${r}."__n" <= ${input.first})` : '';
    const cursor = (value: string) => base64(`'DC:N:' || ${value}`);
    const pairs = page.fields.map((field) => {
      switch (field.kind) {
        case 'typename':
          return `${quote(field.key)}, ${quote(page.typename)}`;
        case 'totalCount':
          return `${quote(field.key)}, ${counted()}`;
        case 'nodes':
          return `${quote(field.key)}, coalesce(json_agg(${this.object(field.child, r)} ORDER BY ${r}."__cursor")${shown}, '[]')`;
        case 'edges': {
          const edge = field.fields.map((part) =>
            part.kind === 'typename'
              ? `${quote(part.key)}, ${quote(part.typename)}`
              : part.kind === 'cursor'
                ? `${quote(part.key)}, ${cursor(`${r}."__cursor"`)}`
                : `${quote(part.key)}, ${this.object(part.child, r)}`,
          );
          return `${quote(field.key)}, coalesce(json_agg(json_build_object(${edge.join(', ')}) ORDER BY ${r}."__cursor")${shown}, '[]')`;
        }
        case 'pageInfo': {
          const info = field.fields.map((part) => {
            const value =
              part.kind === 'typename'
                ? `'PageInfo'`
                : part.kind === 'hasNextPage'
                  ? `count(*) > ${input.first}`
                  : part.kind === 'hasPreviousPage'
                    ? String(input.after !== null)
                    : cursor(`${part.kind === 'startCursor' ? 'min' : 'max'}(${r}."__cursor")${shown}`);
            return `${quote(part.key)}, ${value}`;
          });
          return `${quote(field.key)}, json_build_object(${info.join(', ')})`;
        }
      }
    });
    const answer = `json_build_object(${pairs.join(', ')})`;
    // GROUP BY (): one row, of aggregates, even when what is selected aggregates nothing.
    if (!declares) return `(SELECT ${answer} FROM (${rows}) ${r} GROUP BY ())`;
    // A root page declares the range it read, up to the row after it when there is one (as
    // ./run.ts does): its answer comes as [answer, that bound].
    this.declaring.add(page);
    return `(SELECT json_build_array(${answer}, CASE WHEN count(*) > ${input.first} THEN max(${r}."__cursor") END) FROM (${rows}) ${r} GROUP BY ())`;
  }
}

/** A leaf's JSON value from its column, when its GraphQL type shows the stored value as it is. */
function leafValue(leaf: GraphQLLeafType, column: string, columnType: string): string {
  if (leaf.name === 'Int' && columnType === 'PgInteger') return column;
  if (leaf.name === 'ID' || leaf.name === 'String') return columnType === 'PgText' ? column : columnType === 'PgInteger' ? `${column}::text` : unplannable();
  if (leaf.name === 'PartialDate' && columnType === 'PgText') return column;
  if (isEnumType(leaf) && columnType === 'PgText' && namesItself(leaf)) return column;
  return unplannable();
}

const unplannable = (): never => {
  throw new NotStatement();
};

const enumChecked = new WeakMap<GraphQLEnumType, boolean>();
/** Whether an enum shows each stored value as itself (as Pothos enums made from lists of names do). */
function namesItself(type: GraphQLEnumType): boolean {
  let checked = enumChecked.get(type);
  if (checked === undefined) enumChecked.set(type, (checked = type.getValues().every((v) => v.value === v.name)));
  return checked;
}

const identities = new WeakMap<object, number>();
let identified = 0;
function fieldIdentity(field: FieldPlan): number {
  let n = identities.get(field);
  if (n === undefined) identities.set(field, (n = ++identified));
  return n;
}

/** A node root's ids as asked, each with its type. */
export type NodeInput = readonly { type: string; id: number }[];

export interface Statement {
  text: string;
  params: unknown[];
  /** Per root (in the plan's order): the statement's column holding its answer, or null for __typename. */
  columns: (string | null)[];
  /** Root pages whose column holds [their answer, the upper bound of the id range they read]. */
  declaring: Set<PagePlan>;
}

/**
 * The statement answering `plan` with these page arguments and node ids (per node root), or
 * null when it could differ from ./run.ts's answer.
 */
export function statementOf(plan: Plan, pages: ReadonlyMap<PagePlan, PageInput>, nodes: ReadonlyMap<object, NodeInput>): Statement | null {
  const builder = new Builder(pages);
  const selected: string[] = [];
  const columns: (string | null)[] = [];
  try {
    for (const [i, root] of plan.roots.entries()) {
      if (root.kind === 'typename') {
        columns.push(null);
        continue;
      }
      const column = `r${i}`;
      columns.push(column);
      if (root.kind === 'page') {
        selected.push(`${builder.page(root.page, null)} AS "${column}"`);
        continue;
      }
      const wanted = nodes.get(root)!;
      // The object of the row of this type with this id; null when there is none (an entity of another kind is not it).
      const one = (type: string, id: string) => {
        const table = TABLE_OF[type]!;
        const t = builder.alias('t');
        const kind = ENTITY_KIND_BY_TYPE.get(type);
        return `(SELECT ${builder.object(root.children.get(table)!, t)} FROM "${SQL_NAME[table]}" ${t} WHERE ${t}.id = ${id}${kind ? ` AND ${t}.kind = '${kind}'` : ''})`;
      };
      if (!root.many) {
        selected.push(`${one(wanted[0]!.type, `${builder.param(wanted[0]!.id)}::int`)} AS "${column}"`);
        continue;
      }
      if (wanted.length === 0) {
        selected.push(`'[]'::json AS "${column}"`);
        continue;
      }
      // nodes(ids:): each id read by the branch of its type, in the order asked. A branch for
      // every type, whichever are asked: one text (and one prepared statement) per operation.
      const q = builder.alias('q');
      const ids = builder.param(wanted.map((w) => w.id));
      const types = builder.param(wanted.map((w) => w.type));
      const branches = Object.keys(TABLE_OF).map((type) => `WHEN ${quote(type)} THEN ${one(type, `${q}.id`)}`);
      selected.push(`(SELECT json_agg(CASE ${q}.type ${branches.join(' ')} END ORDER BY ${q}.o) FROM unnest(${ids}::int[], ${types}::text[]) WITH ORDINALITY ${q}(id, type, o)) AS "${column}"`);
    }
  } catch (error) {
    if (error instanceof NotStatement) return null;
    throw error;
  }
  return { text: `SELECT ${selected.length ? selected.join(', ') : 'NULL'}`, params: builder.params, columns, declaring: builder.declaring };
}
