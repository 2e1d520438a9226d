import { getTableColumns } from 'drizzle-orm';
import { type GraphQLEnumType, type GraphQLLeafType, isEnumType } from 'graphql';
import * as tables from '../../../schema/pg/tables';
import { ENTITY_KIND_BY_TYPE, ENTITY_TYPE_BY_KIND } from '../../domain/ids';
import { MAX_ITEMS } from '../../model/list-caps';
import { type FieldPlan, type ObjectPlan, type PagePlan, type Plan, SQL_TABLE, TABLE_OF } from './plan';

/**
 * PostgreSQL: a compiled read's whole answer in ONE statement, which writes the answer's JSON
 * text itself, each selected root a text column of its one row. A request then costs one round
 * trip, however deep it nests, where the plan's other way (./run.ts) costs a statement per field
 * plan, each of whose rows the driver decodes and the plan turns into objects; and the fast path
 * of repeated reads sends that text as it comes (src/http/fast-reads.ts), without parsing it into
 * objects and writing them out again.
 *
 * The text is exactly what JSON.stringify writes of ./run.ts's objects: keys in the order asked,
 * no spaces, strings escaped by to_json (which escapes what JSON.stringify escapes: quotes,
 * backslashes and control characters, as \b \f \n \r \t or \u00xx), ids and cursors
 * base64-encoded by the statement. A plan it cannot promise that for returns null, and ./run.ts
 * answers instead: a leaf whose GraphQL type shows a value otherwise than as stored (any scalar
 * but String, Int, ID and PartialDate, an enum whose values are not their names), a non-null
 * field whose column may be null, a statement past MAX_STATEMENT_FIELDS.
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

/** An entity's type, as `shown` writes a type's name, from its kind. */
const byKind = (alias: string, shown: (type: string) => string) =>
  `(CASE ${alias}.kind ${Object.entries(ENTITY_TYPE_BY_KIND)
    .map(([kind, type]) => `WHEN '${kind}' THEN ${shown(type)}`)
    .join(' ')} END)`;
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
/** A constant's JSON text as an SQL literal (response keys, type names). */
const literal = (value: string) => quote(JSON.stringify(value));
/** Text expressions concatenated (none of them null): concat() takes at most 100 arguments. */
const concat = (parts: readonly string[]): string =>
  parts.length <= 90 ? `concat(${parts.join(', ')})` : concat([concat(parts.slice(0, 90)), ...parts.slice(90)]);
/** A JSON object's text from its keys and the text of their values (each never null). */
const jsonObject = (pairs: readonly (readonly [string, string])[]): string =>
  pairs.length === 0 ? `'{}'` : concat(pairs.flatMap(([key, value], i) => [quote(`${i === 0 ? '{' : ','}${JSON.stringify(key)}:`), value]).concat(`'}'`));
/** A JSON array's text from the texts of its elements, aggregated in `order` (FILTER `filter`). */
const jsonArray = (element: string, order: string, filter = '') => `concat('[', string_agg(${element}, ',' ORDER BY ${order})${filter}, ']')`;
/** A value's JSON text, or null. */
const orNull = (text: string) => `coalesce(${text}, 'null')`;
/** The JSON string of text that needs no escaping (base64, type names); null when the text is. */
const jsonString = (text: string) => `'"' || ${text} || '"'`;
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

/** The SQL of a row's type name: as text (for its id), and as JSON text (for __typename). */
interface TypeName {
  name: string;
  json: string;
}

/** Where a parameter's value comes from, in a request's page arguments and node ids. */
type ParamSource = (pages: ReadonlyMap<PagePlan, PageInput>, nodes: ReadonlyMap<object, NodeInput>) => unknown;

/** A statement being built: where its parameters ($1…) come from, and its aliases, each unique in the statement. */
class Builder {
  readonly params: ParamSource[] = [];
  private aliases = 0;
  /** Fields written so far (see MAX_STATEMENT_FIELDS). */
  private fields = 0;
  /** Root pages that declare the id range they read: each answers that range's upper bound, a comma and its answer. */
  readonly declaring = new Set<PagePlan>();

  constructor(private readonly pageInputs: ReadonlyMap<PagePlan, PageInput>) {}

  alias(prefix: string) {
    return `${prefix}${++this.aliases}`;
  }

  param(source: ParamSource): string {
    this.params.push(source);
    return `$${this.params.length}`;
  }

  /** The JSON text of the object shown for the row of `plan` read as `alias` (never null). */
  object(plan: ObjectPlan, alias: string): string {
    if (plan.table !== 'entities') {
      const [type, fields] = [...plan.byType][0] ?? [];
      return type === undefined ? `'{}'` : this.pairs(plan, fields!, alias, { name: quote(type), json: literal(type) });
    }
    // Entities: one object when every kind shows the same fields, its type named by its kind.
    const kinds = Object.keys(ENTITY_TYPE_BY_KIND);
    const shared = [...plan.byType.values()].map((fields) => this.shape(fields));
    if (plan.byType.size === kinds.length && shared.every((s) => s === shared[0])) {
      return this.pairs(plan, plan.byType.values().next().value!, alias, { name: byKind(alias, quote), json: byKind(alias, literal) });
    }
    const branches = [...plan.byType].map(([type, fields]) => `WHEN '${ENTITY_KIND_BY_TYPE.get(type)}' THEN ${this.pairs(plan, fields, alias, { name: quote(type), json: literal(type) })}`);
    return `(CASE ${alias}.kind ${branches.join(' ')} ELSE '{}' END)`;
  }

  /** What a type's fields are, apart from the type itself. */
  private shape(fields: readonly FieldPlan[]): string {
    return fields.map((f) => `${f.kind}:${f.key}`).join(',') + `|${fields.map((f) => (f.kind === 'typename' || f.kind === 'id' ? '' : String(identity(f)))).join(',')}`;
  }

  /** `type`: the SQL of the row's type name, as text and as JSON text. */
  private pairs(plan: ObjectPlan, fields: readonly FieldPlan[], alias: string, type: TypeName): string {
    this.fields += fields.length;
    if (this.fields > MAX_STATEMENT_FIELDS) throw new NotStatement();
    return jsonObject(fields.map((field) => [field.key, this.value(plan, field, alias, type)] as const));
  }

  private value(plan: ObjectPlan, field: FieldPlan, alias: string, type: TypeName): string {
    const facts = COLUMN_FACTS[plan.table as PgTable];
    switch (field.kind) {
      case 'typename':
        return type.json;
      case 'id':
        return jsonString(base64(`${type.name} || ':' || ${alias}.id`));
      case 'leaf': {
        const column = facts.get(field.column);
        if (!column || (!field.nullable && !column.notNull)) throw new NotStatement();
        return orNull(leafValue(field.type, `${alias}."${field.column}"`, column.type));
      }
      case 'one': {
        const column = facts.get(field.column);
        // Non-null: a column that is never null names a row that exists (it is a foreign key).
        if (!column || (!field.nullable && !column.notNull)) throw new NotStatement();
        const row = this.alias('o');
        return orNull(`(SELECT ${this.object(field.child, row)} FROM "${SQL_TABLE[field.child.table]}" ${row} WHERE ${row}.id = ${alias}."${field.column}")`);
      }
      case 'about': {
        const row = this.alias('a');
        const columns = [...field.child.columns].map((c) => `e."${c}"`).join(', ');
        return `(SELECT ${jsonArray(this.object(field.child, row), `${row}.id`)} FROM (SELECT ${columns} FROM claim_subjects s JOIN entities e ON e.id = s.entity_id WHERE s.claim_id = ${alias}.id ORDER BY e.id LIMIT ${MAX_ITEMS.claimAbout}) ${row})`;
      }
      case 'aliases': {
        const row = this.alias('n');
        return `(SELECT ${jsonArray(`to_json(${row}.alias)::text`, `${row}.position`)} FROM (SELECT alias, position FROM entity_aliases WHERE entity_id = ${alias}.id ORDER BY position LIMIT ${MAX_ITEMS.entityAliases}) ${row})`;
      }
      case 'page':
        return this.page(field.page, `${alias}.id`);
    }
  }

  /** A connection's JSON text: its page of rows for the parent `parent` (null: a root page). */
  page(page: PagePlan, parent: string | null): string {
    const { paging } = page;
    const input = this.pageInputs.get(page)!;
    // The page's own conditions, written for any alias of the paged table (each parameter once).
    // Numbered when first written: a parameter the statement does not use would have no type.
    let written: string[] | undefined;
    const own = (p: string) => {
      let taken = 0;
      written ??= input.conditions.map((condition) =>
        condition.replace(/\?/g, () => {
          const k = taken++;
          return this.param((pages) => pages.get(page)!.params[k]);
        }),
      );
      return [...(parent === null ? [] : [`${p}.${paging.parent} = ${parent}`]), ...written.map((c) => c.replace(/\bp\./g, `${p}.`))];
    };
    const counted = () => {
      const c = this.alias('p');
      const where = own(c);
      return `(SELECT count(*)::int FROM "${paging.paged}" ${c}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})::text`;
    };
    if (!page.rows) return jsonObject(page.fields.map((f) => [f.key, f.kind === 'totalCount' ? counted() : literal(page.typename)] as const));
    const p = this.alias('p');
    const r = this.alias('r');
    const node = paging.through ? this.alias('t') : p;
    const columns = new Set(page.children.flatMap((child) => [...child.columns]));
    const conditions = [...own(p), ...(input.after !== null ? [`${p}.${paging.order} > ${this.param((pages) => pages.get(page)!.after)}`] : [])];
    // The row after the page is read only when something shows whether there is one: then
    // numbered, so that only the page's own rows are shown.
    const declares = parent === null && paging.declares !== undefined;
    const extra = declares || page.fields.some((f) => f.kind === 'pageInfo' && f.fields.some((part) => part.kind === 'hasNextPage'));
    const rows = `SELECT ${p}.${paging.order} AS "__cursor"${extra ? `, row_number() OVER (ORDER BY ${p}.${paging.order}) AS "__n"` : ''}${[...columns].map((c) => `, ${node}."${c}"`).join('')} FROM "${paging.paged}" ${p}${
      paging.through ? ` JOIN "${SQL_TABLE[paging.table]}" ${node} ON ${node}.id = ${p}.${paging.through}` : ''
    }${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${p}.${paging.order} LIMIT ${extra ? input.first + 1 : input.first}`;
    const shown = extra ? ` FILTER (WHERE ${r}."__n" <= ${input.first})` : '';
    const cursor = (value: string) => jsonString(base64(`'DC:N:' || ${value}`));
    const answer = jsonObject(
      page.fields.map((field) => {
        switch (field.kind) {
          case 'typename':
            return [field.key, literal(page.typename)] as const;
          case 'totalCount':
            return [field.key, counted()] as const;
          case 'nodes':
            return [field.key, jsonArray(this.object(field.child, r), `${r}."__cursor"`, shown)] as const;
          case 'edges': {
            const edge = jsonObject(
              field.fields.map((part) => [part.key, part.kind === 'typename' ? literal(part.typename) : part.kind === 'cursor' ? cursor(`${r}."__cursor"`) : this.object(part.child, r)] as const),
            );
            return [field.key, jsonArray(edge, `${r}."__cursor"`, shown)] as const;
          }
          case 'pageInfo': {
            const info = field.fields.map((part) => {
              const value =
                part.kind === 'typename'
                  ? literal('PageInfo')
                  : part.kind === 'hasNextPage'
                    ? `CASE WHEN count(*) > ${input.first} THEN 'true' ELSE 'false' END`
                    : part.kind === 'hasPreviousPage'
                      ? `'${input.after !== null}'`
                      : orNull(cursor(`${part.kind === 'startCursor' ? 'min' : 'max'}(${r}."__cursor")${shown}`));
              return [part.key, value] as const;
            });
            return [field.key, jsonObject(info)] as const;
          }
        }
      }),
    );
    // GROUP BY (): one row, of aggregates, even when what is selected aggregates nothing.
    if (!declares) return `(SELECT ${answer} FROM (${rows}) ${r} GROUP BY ())`;
    // A root page declares the range it read, up to the row after it when there is one (as
    // ./run.ts does): its column holds that bound (or nothing), a comma, and its answer.
    this.declaring.add(page);
    return `(SELECT concat(CASE WHEN count(*) > ${input.first} THEN max(${r}."__cursor") END, ',', ${answer}) FROM (${rows}) ${r} GROUP BY ())`;
  }
}

/** A leaf's JSON text from its column (null when the column is), when its GraphQL type shows the stored value as it is. */
function leafValue(leaf: GraphQLLeafType, column: string, columnType: string): string {
  if (leaf.name === 'Int' && columnType === 'PgInteger') return `${column}::text`;
  if (leaf.name === 'ID' || leaf.name === 'String') return columnType === 'PgText' ? `to_json(${column})::text` : columnType === 'PgInteger' ? `to_json(${column}::text)::text` : unplannable();
  if (leaf.name === 'PartialDate' && columnType === 'PgText') return `to_json(${column})::text`;
  if (isEnumType(leaf) && columnType === 'PgText' && namesItself(leaf)) return `to_json(${column})::text`;
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
/** A number for each field plan or page plan, the same each time it is asked. */
function identity(plan: FieldPlan | PagePlan): number {
  let n = identities.get(plan);
  if (n === undefined) identities.set(plan, (n = ++identified));
  return n;
}

/** A node root's ids as asked, each with its type. */
export type NodeInput = readonly { type: string; id: number }[];

export interface Statement {
  text: string;
  params: unknown[];
  /** Per root (in the plan's order): the statement's column holding its answer's JSON text, or null for __typename. */
  columns: (string | null)[];
  /** Root pages whose column holds the upper bound of the id range they read (or nothing), a comma, and their answer. */
  declaring: Set<PagePlan>;
}

/** A statement's text, and where each of its parameters comes from. */
interface Built extends Omit<Statement, 'params'> {
  params: ParamSource[];
}

/** The most statement texts kept per plan, one per shape of its arguments (see shapeOf); others are built each time. */
const MAX_SHAPES_PER_PLAN = 32;
/** Statements built, per plan and shape of its arguments (null: the plan's answer is left to ./run.ts). */
const builtStatements = new WeakMap<Plan, Map<string, Built | null>>();

/**
 * What a statement's text depends on besides its plan: each page's size, whether it starts after
 * a cursor and its conditions' text, and each node root's type (one id) or whether it asks for
 * none (ids). Values go into parameters.
 */
function shapeOf(pages: ReadonlyMap<PagePlan, PageInput>, nodes: ReadonlyMap<object, NodeInput>): string {
  let shape = '';
  for (const [page, input] of pages) {
    shape += `${identity(page)}:${input.first}:${input.after === null ? '' : 'a'}:${input.conditions.join('\u0001')}\u0002`;
  }
  for (const wanted of nodes.values()) shape += `${wanted.length === 1 ? wanted[0]!.type : wanted.length === 0 ? '' : '*'}\u0002`;
  return shape;
}

/**
 * The statement answering `plan` with these page arguments and node ids (per node root), or
 * null when it could differ from ./run.ts's answer. Its text is built once per shape of the
 * arguments (shapeOf) and kept with the plan; each request fills in its own parameters.
 */
export function statementOf(plan: Plan, pages: ReadonlyMap<PagePlan, PageInput>, nodes: ReadonlyMap<object, NodeInput>): Statement | null {
  let shapes = builtStatements.get(plan);
  if (!shapes) builtStatements.set(plan, (shapes = new Map()));
  const shape = shapeOf(pages, nodes);
  let built = shapes.get(shape);
  if (built === undefined) {
    built = buildStatement(plan, pages, nodes);
    if (shapes.size < MAX_SHAPES_PER_PLAN) shapes.set(shape, built);
  }
  return built && { ...built, params: built.params.map((source) => source(pages, nodes)) };
}

function buildStatement(plan: Plan, pages: ReadonlyMap<PagePlan, PageInput>, nodes: ReadonlyMap<object, NodeInput>): Built | null {
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
        return `(SELECT ${builder.object(root.children.get(table)!, t)} FROM "${SQL_TABLE[table]}" ${t} WHERE ${t}.id = ${id}${kind ? ` AND ${t}.kind = '${kind}'` : ''})`;
      };
      if (!root.many) {
        selected.push(`${orNull(one(wanted[0]!.type, `${builder.param((_, given) => given.get(root)![0]!.id)}::int`))} AS "${column}"`);
        continue;
      }
      if (wanted.length === 0) {
        selected.push(`'[]' AS "${column}"`);
        continue;
      }
      // nodes(ids:): each id read by the branch of its type, in the order asked. A branch for
      // every type, whichever are asked: one text (and one prepared statement) per operation.
      const q = builder.alias('q');
      const ids = builder.param((_, given) => given.get(root)!.map((w) => w.id));
      const types = builder.param((_, given) => given.get(root)!.map((w) => w.type));
      const branches = Object.keys(TABLE_OF).map((type) => `WHEN ${quote(type)} THEN ${one(type, `${q}.id`)}`);
      selected.push(`(SELECT ${jsonArray(orNull(`CASE ${q}.type ${branches.join(' ')} END`), `${q}.o`)} FROM unnest(${ids}::int[], ${types}::text[]) WITH ORDINALITY ${q}(id, type, o)) AS "${column}"`);
    }
  } catch (error) {
    if (error instanceof NotStatement) return null;
    throw error;
  }
  return { text: `SELECT ${selected.length ? selected.join(', ') : 'NULL'}`, params: builder.params, columns, declaring: builder.declaring };
}
