import { AsyncLocalStorage } from 'node:async_hooks';
import { getTableColumns, getTableName } from 'drizzle-orm';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  type GraphQLError,
  locatedError,
  print,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
  BREAK,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import * as tables from '../../schema/tables';
import { dependsOnRange, type CacheContext } from '../cache';
import type { Db } from '../db';
import { engineOf } from '../db/engine';
import { decodeGlobalID, ENTITY_KIND_BY_TYPE, ENTITY_TYPE_BY_KIND, encodeGlobalID, NODE_TYPE_NAMES } from '../domain/ids';
import { MAX_ITEMS } from '../model/list-caps';
import { DEFAULT_PAGE_SIZE, MAX_NODE_IDS, MAX_PAGE_SIZE } from './connection-limits';
import { inOrderAlready, inSelectionOrder } from './field-order';

/**
 * Compiled reads: an operation whose every field is one of the plain reads below (node lookups,
 * columns, links to one row, bounded lists and pages by id) is answered without the GraphQL
 * executor. It is planned once per parsed document: each field of the plan is one batched
 * statement for all the rows above it (never one per row), whose rows are put straight into the
 * answer's objects in the order the query asks. Anything else (filters, orderings, search, paths,
 * `groupBy`, directives, mutations) is left to the executor, and so is any request whose arguments
 * the plan cannot take as they are (a malformed id or cursor, a page too large): the executor
 * then refuses it with its own error. A statement that fails fails its root field, as in the
 * executor (runPlan).
 *
 * Why: on the benchmark's nested read most of the time went to per-field resolution (promises,
 * paths, the drizzle plugin's selection work), not to SQL. What each field answers is the
 * executor's own work: leaves go through their GraphQL type's `serialize`, ids through
 * encodeGlobalID, pages through the drizzle plugin's rules (a row past the page says there is a
 * next one; `after` means there is a previous one). Tests run every query of the suite both ways
 * and compare the answers byte for byte (AppOptions.compiledReads 'verify').
 */

type Row = Record<string, unknown>;
type TableKey = 'entities' | 'claims' | 'sources' | 'relationships' | 'citations';

/** Thrown while planning or running when the executor must answer instead. */
class Unplannable extends Error {}

const TABLE_OF: Record<string, TableKey> = {
  Claim: 'claims',
  Source: 'sources',
  Relationship: 'relationships',
  Citation: 'citations',
  ...Object.fromEntries(Object.values(ENTITY_TYPE_BY_KIND).map((type) => [type, 'entities'])),
};

const TABLES = ['entities', 'claims', 'sources', 'relationships', 'citations'] as const;
/** The SQL name of each table's columns, by the name the schema exposes them under. */
const COLUMNS = Object.fromEntries(
  TABLES.map((key) => [key, new Map(Object.entries(getTableColumns(tables[key])).map(([name, column]) => [name, column.name]))]),
) as Record<TableKey, Map<string, string>>;
const SQL_TABLE = Object.fromEntries(TABLES.map((key) => [key, getTableName(tables[key])])) as Record<TableKey, string>;

/** Fields that show the one row a column of this row names. */
const ONE: Record<string, { column: string; table: TableKey }> = {
  'Claim.claimant': { column: 'claimant_id', table: 'entities' },
  'Claim.appearsIn': { column: 'appears_in_id', table: 'sources' },
  'Source.publisher': { column: 'publisher_id', table: 'entities' },
  'Relationship.subject': { column: 'subject_id', table: 'entities' },
  'Relationship.object': { column: 'object_id', table: 'entities' },
  'Citation.claim': { column: 'claim_id', table: 'claims' },
  'Citation.source': { column: 'source_id', table: 'sources' },
  'Product.developer': { column: 'developer_id', table: 'entities' },
  'Entity.wikidataSource': { column: 'wikidata_source_id', table: 'sources' },
};

/**
 * Pages: the rows paged (`paged`, aliased p) in `order`, those of one parent by `parent`; the node
 * is the paged row or the row its `through` column names. `args`: the arguments taken besides
 * first/after, each turned into a condition on p (null: none); any other argument given is left
 * to the executor.
 */
interface Paging {
  paged: string;
  parent: string | null;
  order: string;
  through: string | null;
  table: TableKey;
  args: Record<string, (value: unknown) => { sql: string; params: unknown[] } | null>;
  /** A root page declares the id range it read to the response cache (as Query.claims' resolver does). */
  declares?: string;
}

const PAGES: Record<string, Paging> = {
  'Query.claims': { paged: 'claims', parent: null, order: 'id', through: null, table: 'claims', args: {}, declares: 'Claim' },
  'Query.sources': { paged: 'sources', parent: null, order: 'id', through: null, table: 'sources', args: {} },
  'Query.relationships': { paged: 'relationships', parent: null, order: 'id', through: null, table: 'relationships', args: {} },
  'Source.claims': {
    paged: 'citations',
    parent: 'source_id',
    order: 'id',
    through: 'claim_id',
    table: 'claims',
    args: { stance: (stance) => ({ sql: 'p.stance = ?', params: [stance] }) },
  },
  'Source.statedClaims': { paged: 'claims', parent: 'appears_in_id', order: 'id', through: null, table: 'claims', args: {} },
  'Source.citations': { paged: 'citations', parent: 'source_id', order: 'id', through: null, table: 'citations', args: {} },
  'Entity.relationships': {
    paged: 'relationship_ends',
    parent: 'entity_id',
    order: 'id',
    through: 'relationship_id',
    table: 'relationships',
    args: { direction: (direction) => (direction === 'BOTH' ? null : { sql: 'p.direction = ?', params: [direction] }) },
  },
  'Entity.claimsAbout': { paged: 'claim_subjects', parent: 'entity_id', order: 'claim_id', through: 'claim_id', table: 'claims', args: {} },
  'Event.claims': { paged: 'claim_subjects', parent: 'entity_id', order: 'claim_id', through: 'claim_id', table: 'claims', args: {} },
  'Entity.claimsMade': { paged: 'claims', parent: 'claimant_id', order: 'id', through: null, table: 'claims', args: {} },
};

const fieldKey = (type: string, field: string) => (ENTITY_KIND_BY_TYPE.has(type) ? [`${type}.${field}`, `Entity.${field}`] : [`${type}.${field}`]);
const lookup = <T>(table: Record<string, T>, type: string, field: string): T | undefined =>
  fieldKey(type, field).map((key) => table[key]).find((found) => found !== undefined);

// ---------------------------------------------------------------------------------------------
// Plans

/** What is shown of rows of one table, per concrete type (entities: by kind), in response order. */
interface ObjectPlan {
  table: TableKey;
  /** SQL columns to read (id always; kind for entities). */
  columns: Set<string>;
  byType: Map<string, FieldPlan[]>;
}

type FieldPlan =
  | { kind: 'typename'; key: string }
  | { kind: 'id'; key: string }
  | { kind: 'leaf'; key: string; column: string; serialize: (value: unknown) => unknown; nullable: boolean }
  | { kind: 'one'; key: string; column: string; child: ObjectPlan; nullable: boolean }
  | { kind: 'about'; key: string; child: ObjectPlan }
  | { kind: 'aliases'; key: string }
  | { kind: 'page'; key: string; page: PagePlan };

type PageField =
  | { kind: 'typename' | 'totalCount'; key: string; typename?: string }
  | { kind: 'nodes'; key: string; child: ObjectPlan }
  | { kind: 'edges'; key: string; fields: EdgeField[] }
  | { kind: 'pageInfo'; key: string; fields: { kind: 'typename' | 'hasNextPage' | 'hasPreviousPage' | 'startCursor' | 'endCursor'; key: string }[] };
type EdgeField = { kind: 'typename'; key: string; typename: string } | { kind: 'cursor'; key: string } | { kind: 'node'; key: string; child: ObjectPlan };

interface PagePlan {
  paging: Paging;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  typename: string;
  fields: PageField[];
  /** Every ObjectPlan under it: their columns are read by the page's statement. */
  children: ObjectPlan[];
  rows: boolean;
  count: boolean;
}

type RootPlan =
  | { kind: 'typename'; key: string }
  | { kind: 'node'; key: string; node: FieldNode; field: GraphQLField<unknown, unknown>; children: Map<TableKey, ObjectPlan>; many: boolean }
  | { kind: 'page'; key: string; page: PagePlan };

interface Plan {
  operation: OperationDefinitionNode;
  roots: RootPlan[];
  /**
   * Every page of the plan. Their arguments are all checked before anything runs, as the executor
   * checks every page the operation selects (fragments on other types too): an argument it would
   * refuse anywhere leaves the request to it.
   */
  pages: PagePlan[];
}

type Fragments = Map<string, FragmentDefinitionNode>;

const numbers = new WeakMap<FieldNode, number>();
let numbered = 0;
/** A number per field node: fields asked by the same nodes are the same field. */
const nodeNumber = (node: FieldNode) => {
  let n = numbers.get(node);
  if (n === undefined) numbers.set(node, (n = ++numbered));
  return n;
};

class Planner {
  readonly pages: PagePlan[] = [];

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Fragments,
  ) {}

  /** Response keys with their field nodes, for a concrete type, as the executor collects them. */
  collect(type: GraphQLObjectType, sets: readonly SelectionSetNode[], into = new Map<string, FieldNode[]>()): Map<string, FieldNode[]> {
    for (const set of sets) {
      for (const selection of set.selections) {
        if (selection.directives?.length) throw new Unplannable();
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const nodes = into.get(key);
          if (nodes) nodes.push(selection);
          else into.set(key, [selection]);
        } else {
          const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
          if (!fragment) throw new Unplannable();
          if (fragment.directives?.length) throw new Unplannable();
          const condition = fragment.typeCondition && this.schema.getType(fragment.typeCondition.name.value);
          if (condition && !this.applies(condition, type)) continue;
          this.collect(type, [fragment.selectionSet], into);
        }
      }
    }
    return into;
  }

  applies(condition: GraphQLNamedType, type: GraphQLObjectType) {
    return condition === type || (isAbstractType(condition) && this.schema.isSubType(condition, type));
  }

  /** The concrete types a field of this type may show. */
  possible(type: GraphQLNamedType): readonly GraphQLObjectType[] {
    if (isObjectType(type)) return [type];
    if (isAbstractType(type)) return this.schema.getPossibleTypes(type);
    throw new Unplannable();
  }

  objectPlan(table: TableKey, types: readonly GraphQLObjectType[], sets: readonly SelectionSetNode[]): ObjectPlan {
    const plan: ObjectPlan = { table, columns: new Set(table === 'entities' ? ['id', 'kind'] : ['id']), byType: new Map() };
    const shared = new Map<string, FieldPlan>();
    for (const type of types) {
      if (TABLE_OF[type.name] !== table) throw new Unplannable();
      const fields: FieldPlan[] = [];
      for (const [key, nodes] of this.collect(type, sets)) {
        // Entity types share what `... on Entity` asks: one plan (and one statement) for all of them.
        const id = `${key}|${nodes.map(nodeNumber).join(',')}`;
        const known = shared.get(id);
        if (known) {
          fields.push(known);
          continue;
        }
        const field = this.fieldPlan(plan, type, key, nodes);
        if (field.kind !== 'typename') shared.set(id, field);
        fields.push(field);
      }
      plan.byType.set(type.name, fields);
    }
    return plan;
  }

  fieldPlan(plan: ObjectPlan, type: GraphQLObjectType, key: string, nodes: FieldNode[]): FieldPlan {
    const name = nodes[0]!.name.value;
    if (name === '__typename') return { kind: 'typename', key };
    const field = type.getFields()[name];
    if (!field) throw new Unplannable();
    const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    if (name === 'id' && NODE_TYPE_NAMES.has(type.name)) return { kind: 'id', key };
    const exposed = field.extensions?.pothosExposedField as string | undefined;
    if (exposed && nodes.every((n) => !n.arguments?.length) && isLeafType(getNamedType(field.type)) && !isListType(getNullableType(field.type))) {
      const column = COLUMNS[plan.table].get(exposed);
      if (!column) throw new Unplannable();
      plan.columns.add(column);
      const leaf = getNamedType(field.type) as GraphQLLeafType;
      return { kind: 'leaf', key, column, serialize: (value) => leaf.serialize(value), nullable: !isNonNullType(field.type) };
    }
    const one = lookup(ONE, type.name, name);
    if (one) {
      if (nodes.some((n) => n.arguments?.length)) throw new Unplannable();
      plan.columns.add(one.column);
      return { kind: 'one', key, column: one.column, child: this.objectPlan(one.table, this.possible(getNamedType(field.type)), sets), nullable: !isNonNullType(field.type) };
    }
    if (type.name === 'Claim' && name === 'about' && nodes.every((n) => !n.arguments?.length)) {
      return { kind: 'about', key, child: this.objectPlan('entities', this.possible(getNamedType(field.type)), sets) };
    }
    if (ENTITY_KIND_BY_TYPE.has(type.name) && name === 'aliases') return { kind: 'aliases', key };
    const paging = lookup(PAGES, type.name, name);
    if (paging) return { kind: 'page', key, page: this.pagePlan(paging, field, nodes) };
    throw new Unplannable();
  }

  pagePlan(paging: Paging, field: GraphQLField<unknown, unknown>, nodes: FieldNode[]): PagePlan {
    // An argument the plan does not take (a filter, an ordering, `last`) leaves the operation to the executor.
    const taken = (name: string) => name === 'first' || name === 'after' || name in paging.args;
    if (nodes.some((n) => n.arguments?.some((a) => !taken(a.name.value)))) throw new Unplannable();
    const connection = getNamedType(field.type) as GraphQLObjectType;
    const page: PagePlan = { paging, field, node: nodes[0]!, typename: connection.name, fields: [], children: [], rows: false, count: false };
    this.pages.push(page);
    const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    for (const [key, fieldNodes] of this.collect(connection, sets)) {
      const name = fieldNodes[0]!.name.value;
      const inner = fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      if (fieldNodes.some((n) => n.arguments?.length)) throw new Unplannable();
      if (name === '__typename') page.fields.push({ kind: 'typename', key, typename: connection.name });
      else if (name === 'totalCount') {
        page.count = true;
        page.fields.push({ kind: 'totalCount', key });
      } else if (name === 'nodes') {
        const child = this.objectPlan(paging.table, this.possible(getNamedType(connection.getFields().nodes!.type)), inner);
        page.children.push(child);
        page.rows = true;
        page.fields.push({ kind: 'nodes', key, child });
      } else if (name === 'edges') {
        const edge = getNamedType(connection.getFields().edges!.type) as GraphQLObjectType;
        const edgeFields: EdgeField[] = [];
        for (const [edgeKey, edgeNodes] of this.collect(edge, inner)) {
          const edgeName = edgeNodes[0]!.name.value;
          if (edgeNodes.some((n) => n.arguments?.length)) throw new Unplannable();
          if (edgeName === '__typename') edgeFields.push({ kind: 'typename', key: edgeKey, typename: edge.name });
          else if (edgeName === 'cursor') edgeFields.push({ kind: 'cursor', key: edgeKey });
          else if (edgeName === 'node') {
            const types = this.possible(getNamedType(edge.getFields().node!.type));
            const child = this.objectPlan(paging.table, types, edgeNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])));
            page.children.push(child);
            edgeFields.push({ kind: 'node', key: edgeKey, child });
          } else throw new Unplannable();
        }
        page.rows = true;
        page.fields.push({ kind: 'edges', key, fields: edgeFields });
      } else if (name === 'pageInfo') {
        const info = getNamedType(connection.getFields().pageInfo!.type) as GraphQLObjectType;
        const infoFields: Extract<PageField, { kind: 'pageInfo' }>['fields'] = [];
        for (const [infoKey, infoNodes] of this.collect(info, inner)) {
          const infoName = infoNodes[0]!.name.value;
          if (!['__typename', 'hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'].includes(infoName)) throw new Unplannable();
          infoFields.push({ kind: infoName === '__typename' ? 'typename' : (infoName as 'hasNextPage'), key: infoKey });
        }
        page.rows = true;
        page.fields.push({ kind: 'pageInfo', key, fields: infoFields });
      } else throw new Unplannable();
    }
    for (const child of page.children) child.columns.add('id');
    return page;
  }

  rootPlan(query: GraphQLObjectType, operation: OperationDefinitionNode): RootPlan[] {
    const roots: RootPlan[] = [];
    for (const [key, nodes] of this.collect(query, [operation.selectionSet])) {
      const name = nodes[0]!.name.value;
      if (name === '__typename') {
        roots.push({ kind: 'typename', key });
        continue;
      }
      const field = query.getFields()[name];
      if (!field) throw new Unplannable();
      if (name === 'node' || name === 'nodes') {
        const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
        const children = new Map<TableKey, ObjectPlan>();
        for (const table of ['entities', 'claims', 'sources', 'relationships', 'citations'] as const) {
          const types = this.possible(getNamedType(field.type)).filter((t) => TABLE_OF[t.name] === table);
          children.set(table, this.objectPlan(table, types, sets));
        }
        roots.push({ kind: 'node', key, node: nodes[0]!, field, children, many: name === 'nodes' });
        continue;
      }
      const paging = PAGES[`Query.${name}`];
      if (!paging) throw new Unplannable();
      roots.push({ kind: 'page', key, page: this.pagePlan(paging, field, nodes) });
    }
    return roots;
  }
}

const plans = new WeakMap<DocumentNode, Map<string, Plan | null>>();

/** The plan of an operation, or null when some part of it is left to the executor. Once per document and operation name. */
export function planOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan | null {
  let byName = plans.get(document);
  if (!byName) plans.set(document, (byName = new Map()));
  const name = operationName ?? '';
  if (byName.has(name)) return byName.get(name)!;
  let plan: Plan | null = null;
  const operation = getOperationAST(document, operationName);
  if (operation && operation.operation === 'query' && !hasDirectives(document)) {
    const fragments: Fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    try {
      const planner = new Planner(schema, fragments);
      plan = { operation, roots: planner.rootPlan(schema.getQueryType()!, operation), pages: planner.pages };
    } catch (error) {
      if (!(error instanceof Unplannable)) throw error;
    }
  }
  if (byName.size > 100) byName.clear();
  byName.set(name, plan);
  return plan;
}

function hasDirectives(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive() {
      found = true;
      return BREAK;
    },
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// Running a plan

/** Statements as each engine runs them: `?` placeholders; SQLite's `json_each` or PostgreSQL's arrays for lists of ids. */
interface Reader {
  rows(text: string, params: unknown[]): Promise<Row[]>;
  /** The rows of `table` with these ids: `columns` is the select list over alias t. */
  byIds(table: string, columns: string, ids: readonly number[]): Promise<Row[]>;
  /** count(*) as a number (PostgreSQL counts in bigint, which node-postgres reads as a string). */
  count: string;
  /**
   * The rows of `inner` (which names its parent `@parent`, before any other parameter) for each
   * parent, in the parents' order and then by the `order` column, each with `__parent`.
   */
  perParent(parents: readonly number[], inner: string, params: unknown[], order: string | null, columns: readonly string[]): Promise<Row[]>;
}

const readers = new WeakMap<Db, Reader>();
function readerOf(db: Db): Reader {
  let reader = readers.get(db);
  if (!reader) readers.set(db, (reader = newReader(db)));
  return reader;
}

function newReader(db: Db): Reader {
  const engine = engineOf(db);
  if (engine.name === 'sqlite') {
    const rows = (text: string, params: unknown[]) => engine.query(text, params);
    return {
      rows,
      byIds: (table, columns, ids) => rows(`SELECT ${columns} FROM "${table}" t WHERE t.id IN (SELECT value FROM json_each(?))`, [JSON.stringify(ids)]),
      count: 'count(*)',
      // One statement for every parent: each parent's rows as a JSON array of arrays (SQLite has no
      // LATERAL), read in their order as the drizzle plugin reads its nested rows.
      async perParent(parents, inner, params, order, columns) {
        const text = `SELECT j.value AS "__parent", (SELECT json_group_array(json_array(${columns.map((c) => `x."${c}"`).join(', ')})) FROM (${inner.replace('@parent', 'j.value')}) x) AS "__rows" FROM json_each(?) j`;
        const found: Row[] = [];
        for (const row of await rows(text, [...params, JSON.stringify(parents)])) {
          for (const values of JSON.parse(row.__rows as string) as unknown[][]) {
            const object: Row = { __parent: row.__parent };
            columns.forEach((column, i) => (object[column] = values[i]));
            found.push(object);
          }
        }
        return found;
      },
    };
  }
  let n = 0;
  const numbered = (text: string) => ((n = 0), text.replace(/\?/g, () => `$${++n}`));
  const texts = new Map<string, string>();
  const rows = (text: string, params: unknown[]) => {
    let native = texts.get(text);
    if (native === undefined) {
      // Bounded: clients choose the shapes, and so the texts.
      if (texts.size >= 1000) texts.clear();
      texts.set(text, (native = numbered(text)));
    }
    return engine.query(native, params);
  };
  return {
    rows,
    // Each id looked up through the primary key: given the ids as one array, the planner may
    // rather read the whole table (LIMIT 1 keeps the lookup a subquery of its own).
    byIds: (table, columns, ids) =>
      rows(`SELECT x.* FROM unnest(?::int[]) AS q(id) CROSS JOIN LATERAL (SELECT ${columns} FROM "${table}" t WHERE t.id = q.id LIMIT 1) x`, [ids]),
    count: 'CAST(count(*) AS integer)',
    // One statement for every parent: a round trip each would cost more than the statement.
    perParent: (parents, inner, params, order) =>
      rows(
        `SELECT q.parent AS "__parent", x.* FROM unnest(?::int[]) WITH ORDINALITY AS q(parent, ord) CROSS JOIN LATERAL (${inner.replace('@parent', 'q.parent')}) x ORDER BY q.ord${order ? `, x."${order}"` : ''}`,
        [parents, ...params],
      ),
  };
}

const cursorOf = (value: unknown) => Buffer.from(`DC:N:${value}`).toString('base64');

/** The number in a cursor this API issued for a page by id, or Unplannable for any other (the executor then judges it). */
function cursorValue(cursor: string): number {
  const raw = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^DC:N:(0|[1-9][0-9]{0,8})$/.exec(raw);
  if (!match || cursorOf(match[1]) !== cursor) throw new Unplannable();
  return Number(match[1]);
}

interface Run {
  reader: Reader;
  variables: Record<string, unknown>;
  context: CacheContext;
  pageArgs: Map<PagePlan, PageArgs>;
}

function argumentsOf(run: Run, field: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, run.variables);
  } catch {
    throw new Unplannable();
  }
}

const select = (plan: ObjectPlan, alias: string) => [...plan.columns].map((c) => `${alias}."${c}" AS "${c}"`).join(', ');

async function loadRows(run: Run, plan: ObjectPlan, ids: readonly number[]): Promise<Map<number, Row>> {
  if (ids.length === 0) return new Map();
  const found = await run.reader.byIds(SQL_TABLE[plan.table], select(plan, 't'), ids);
  return new Map(found.map((row) => [row.id as number, row]));
}

const typeOf = (plan: ObjectPlan, row: Row): string =>
  plan.table === 'entities' ? ENTITY_TYPE_BY_KIND[row.kind as keyof typeof ENTITY_TYPE_BY_KIND] : (plan.byType.keys().next().value as string);

/** The answer's objects for `rows`, with everything under them loaded: one statement per field plan. */
async function materialize(run: Run, plan: ObjectPlan, rows: readonly Row[]): Promise<Record<string, unknown>[]> {
  const users = new Map<FieldPlan, Row[]>();
  for (const row of rows) {
    for (const field of plan.byType.get(typeOf(plan, row)) ?? []) {
      if (field.kind === 'one' || field.kind === 'about' || field.kind === 'aliases' || field.kind === 'page') {
        const list = users.get(field);
        if (list) list.push(row);
        else users.set(field, [row]);
      }
    }
  }
  const loaded = new Map<FieldPlan, Map<number, unknown>>();
  await Promise.all([...users].map(async ([field, parents]) => loaded.set(field, await loadField(run, field, parents))));
  return rows.map((row) => {
    const type = typeOf(plan, row);
    const object: Record<string, unknown> = {};
    for (const field of plan.byType.get(type) ?? []) {
      switch (field.kind) {
        case 'typename':
          object[field.key] = type;
          break;
        case 'id':
          object[field.key] = encodeGlobalID(type, String(row.id));
          break;
        case 'leaf': {
          const value = row[field.column];
          const shown = value === null ? null : field.serialize(value);
          if (shown === undefined || (shown === null && !field.nullable)) throw new Unplannable();
          object[field.key] = shown;
          break;
        }
        case 'one': {
          const value = row[field.column] === null ? null : (loaded.get(field)!.get(row[field.column] as number) ?? null);
          if (value === null && !field.nullable) throw new Unplannable();
          object[field.key] = value;
          break;
        }
        default:
          object[field.key] = loaded.get(field)!.get(row.id as number) ?? [];
      }
    }
    return object;
  });
}

async function loadField(run: Run, field: FieldPlan, parents: readonly Row[]): Promise<Map<number, unknown>> {
  const { reader } = run;
  if (field.kind === 'one') {
    const ids = [...new Set(parents.map((p) => p[field.column]).filter((id): id is number => id !== null))];
    const found = await loadRows(run, field.child, ids);
    const shown = await materialize(run, field.child, [...found.values()]);
    return new Map([...found.keys()].map((id, i) => [id, shown[i]]));
  }
  const parentIds = [...new Set(parents.map((p) => p.id as number))];
  if (field.kind === 'aliases') {
    const found = await reader.perParent(
      parentIds,
      `SELECT a.alias AS alias FROM entity_aliases a WHERE a.entity_id = @parent ORDER BY a.position LIMIT ${MAX_ITEMS.entityAliases}`,
      [],
      null,
      ['alias'],
    );
    return groupBy(found, (row) => row.alias);
  }
  if (field.kind === 'about') {
    const columns = [...field.child.columns];
    const found = await reader.perParent(
      parentIds,
      `SELECT ${select(field.child, 't')} FROM claim_subjects s JOIN entities t ON t.id = s.entity_id WHERE s.claim_id = @parent ORDER BY t.id LIMIT ${MAX_ITEMS.claimAbout}`,
      [],
      'id',
      columns,
    );
    const shown = await materialize(run, field.child, found);
    return groupBy(found.map((row, i) => ({ __parent: row.__parent, shown: shown[i] })), (row) => row.shown);
  }
  if (field.kind === 'page') return loadPages(run, field.page, parentIds);
  throw new Unplannable();
}

function groupBy(rows: readonly Row[], value: (row: Row) => unknown): Map<number, unknown[]> {
  const groups = new Map<number, unknown[]>();
  for (const row of rows) {
    const parent = row.__parent as number;
    const list = groups.get(parent);
    if (list) list.push(value(row));
    else groups.set(parent, [value(row)]);
  }
  return groups;
}

interface PageArgs {
  first: number;
  after: number | null;
  conditions: string[];
  params: unknown[];
}

/** A page's arguments as its statement takes them; Unplannable for any the plan does not take as they are. */
function pageArgsOf(run: Run, page: PagePlan): PageArgs {
  const args = argumentsOf(run, page.field, page.node);
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [name, value] of Object.entries(args)) {
    if (name === 'first' || name === 'after') continue;
    const condition = page.paging.args[name];
    if (!condition) {
      if (value === null || value === undefined) continue;
      throw new Unplannable();
    }
    const made = condition(value);
    if (made) conditions.push(made.sql), params.push(...made.params);
  }
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw new Unplannable();
  if (args.after !== undefined && args.after !== null && typeof args.after !== 'string') throw new Unplannable();
  return { first, after: typeof args.after === 'string' ? cursorValue(args.after) : null, conditions, params };
}

/** Pages for each parent (or the one root page, parent 0), as the drizzle plugin's connections answer them. */
async function loadPages(run: Run, page: PagePlan, parentIds: readonly number[]): Promise<Map<number, unknown>> {
  const { paging } = page;
  const { first, after, conditions, params } = run.pageArgs.get(page)!;
  const { reader } = run;
  const root = paging.parent === null;
  const own = [...(root ? [] : [`p.${paging.parent} = @parent`]), ...conditions];
  const pageConditions = [...own, ...(after !== null ? ['p.' + paging.order + ' > ?'] : [])];
  const pageParams = [...params, ...(after !== null ? [after] : []), first + 1];
  const node = paging.through ? 't' : 'p';
  const columns = new Set(page.children.flatMap((child) => [...child.columns]));
  const join = paging.through ? ` JOIN "${SQL_TABLE[paging.table]}" t ON t.id = p.${paging.through}` : '';
  const pageColumns = ['__cursor', ...columns];
  const pageSql = `SELECT ${[`p.${paging.order} AS "__cursor"`, ...[...columns].map((c) => `${node}."${c}" AS "${c}"`)].join(', ')} FROM "${paging.paged}" p${join}${
    pageConditions.length ? ` WHERE ${pageConditions.join(' AND ')}` : ''
  } ORDER BY p.${paging.order} LIMIT ?`;
  // An unfiltered table counted as `SELECT count(*) FROM t`, which SQLite answers from its b-tree pages.
  const countSql = own.length ? `SELECT ${reader.count} AS "count" FROM "${paging.paged}" p WHERE ${own.join(' AND ')}` : `SELECT ${reader.count} FROM "${paging.paged}"`;
  const [pageRows, counts] = await Promise.all([
    !page.rows ? Promise.resolve([]) : root ? reader.rows(pageSql, pageParams) : reader.perParent(parentIds, pageSql, pageParams, '__cursor', pageColumns),
    !page.count ? Promise.resolve([]) : root ? reader.rows(countSql, params) : reader.perParent(parentIds, countSql, params, null, ['count']),
  ]);
  const byParent = root ? new Map([[0, pageRows]]) : (groupBy(pageRows, (row) => row) as Map<number, Row[]>);
  const countOf = root ? new Map([[0, counts[0] && Object.values(counts[0])[0]]]) : new Map(counts.map((row) => [row.__parent as number, row.count]));
  if (paging.declares && page.rows) {
    const found = byParent.get(0) ?? [];
    dependsOnRange(run.context, paging.declares, after, found.length > first ? (found.at(-1)!.__cursor as number) : null);
  }
  if (paging.declares && page.count) dependsOnRange(run.context, paging.declares, null, null);
  // Every child plan materializes every page's rows (all parents at once): one statement per field below.
  const all = [...byParent.values()].flatMap((list) => list.slice(0, first));
  const shownBy = new Map<ObjectPlan, Map<Row, Record<string, unknown>>>();
  await Promise.all(
    page.children.map(async (child) => {
      const shown = await materialize(run, child, all);
      shownBy.set(child, new Map(all.map((row, i) => [row, shown[i]!])));
    }),
  );
  const answers = new Map<number, unknown>();
  for (const parent of root ? [0] : parentIds) {
    const found = byParent.get(parent) ?? [];
    const nodes = found.length > first ? found.slice(0, first) : found;
    const hasNextPage = found.length > first;
    const connection: Record<string, unknown> = {};
    for (const field of page.fields) {
      switch (field.kind) {
        case 'typename':
          connection[field.key] = field.typename;
          break;
        case 'totalCount': {
          const count = countOf.get(parent);
          connection[field.key] = typeof count === 'number' ? count : 0;
          break;
        }
        case 'nodes':
          connection[field.key] = nodes.map((row) => shownBy.get(field.child)!.get(row));
          break;
        case 'edges':
          connection[field.key] = nodes.map((row) => {
            const edge: Record<string, unknown> = {};
            for (const part of field.fields) {
              if (part.kind === 'typename') edge[part.key] = part.typename;
              else if (part.kind === 'cursor') edge[part.key] = cursorOf(row.__cursor);
              else edge[part.key] = shownBy.get(part.child)!.get(row);
            }
            return edge;
          });
          break;
        case 'pageInfo': {
          const info: Record<string, unknown> = {};
          for (const part of field.fields) {
            if (part.kind === 'typename') info[part.key] = 'PageInfo';
            else if (part.kind === 'hasNextPage') info[part.key] = hasNextPage;
            else if (part.kind === 'hasPreviousPage') info[part.key] = after !== null;
            else if (part.kind === 'startCursor') info[part.key] = nodes.length ? cursorOf(nodes[0]!.__cursor) : null;
            else info[part.key] = nodes.length ? cursorOf(nodes.at(-1)!.__cursor) : null;
          }
          connection[field.key] = info;
          break;
        }
      }
    }
    answers.set(parent, connection);
  }
  return answers;
}

/**
 * The answer of every root field. A root whose statement failed (the database lost, the deadline
 * passed) answers null with its error at its path, as the executor answers a failed root field
 * (whose nested rows the drizzle plugin reads in the root's statement); a non-null root failing
 * nulls the whole data. It is not run again through the executor: that would run the statement
 * that failed a second time.
 */
async function runPlan(plan: Plan, run: Run): Promise<ExecutionResult> {
  const settled = await Promise.allSettled(
    plan.roots.map(async (root) => {
      if (root.kind === 'typename') return 'Query';
      if (root.kind === 'page') return (await loadPages(run, root.page, [0])).get(0);
      const args = argumentsOf(run, root.field, root.node);
      const given = (root.many ? args.ids : [args.id]) as unknown[];
      if (!Array.isArray(given) || given.length > MAX_NODE_IDS) throw new Unplannable();
      const wanted = given.map((id) => {
        const decoded = safeDecode(id);
        return { type: decoded.typename, id: Number(decoded.id) };
      });
      // One load per table, whatever the types asked: entities of every kind are materialized
      // together, so each field under them is one statement for all of them.
      const byTable = new Map<TableKey, number[]>();
      for (const { type, id } of wanted) {
        const table = TABLE_OF[type];
        if (!table) throw new Unplannable();
        byTable.set(table, [...(byTable.get(table) ?? []), id]);
      }
      const shown = new Map<TableKey, Map<number, { type: string; object: unknown }>>();
      await Promise.all(
        [...byTable].map(async ([table, ids]) => {
          const child = root.children.get(table)!;
          const found = await loadRows(run, child, [...new Set(ids)]);
          const objects = await materialize(run, child, [...found.values()]);
          shown.set(table, new Map([...found.values()].map((row, i) => [row.id as number, { type: typeOf(child, row), object: objects[i] }])));
        }),
      );
      // An entity's id names its kind: an entity of another kind is not the one asked for.
      const answer = wanted.map(({ type, id }) => {
        const found = shown.get(TABLE_OF[type]!)!.get(id);
        return found && found.type === type ? found.object : null;
      });
      return root.many ? answer : answer[0];
    }),
  );
  if (settled.some((outcome) => outcome.status === 'rejected' && outcome.reason instanceof Unplannable)) throw new Unplannable();
  const data: Record<string, unknown> = {};
  const errors: GraphQLError[] = [];
  let nulled = false;
  plan.roots.forEach((root, i) => {
    const outcome = settled[i]!;
    if (outcome.status === 'fulfilled') data[root.key] = outcome.value;
    else {
      errors.push(locatedError(outcome.reason, root.kind === 'typename' ? [] : [root.kind === 'node' ? root.node : root.page.node], [root.key]));
      data[root.key] = null;
      if (root.kind !== 'typename' && isNonNullType(root.kind === 'node' ? root.field.type : root.page.field.type)) nulled = true;
    }
  });
  return errors.length === 0 ? { data } : { data: nulled ? null : data, errors };
}

function safeDecode(id: unknown): { typename: string; id: string } {
  if (typeof id !== 'string') throw new Unplannable();
  try {
    return decodeGlobalID(id);
  } catch {
    throw new Unplannable();
  }
}

/**
 * The answer of a planned operation, or undefined when the executor must give it: the operation
 * is not planned, its variables do not coerce, or an argument is out of what the plan takes (the
 * executor then refuses it with its own error). A failed statement is the answer's error (runPlan).
 */
export async function compiledAnswer(args: ExecutionArgs, db: Db): Promise<ExecutionResult | undefined> {
  const plan = planOf(args.schema, args.document, args.operationName);
  if (!plan) return undefined;
  const coerced = getVariableValues(args.schema, plan.operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
  if (coerced.errors) return undefined;
  try {
    const run: Run = { reader: readerOf(db), variables: coerced.coerced, context: args.contextValue as CacheContext, pageArgs: new Map() };
    for (const page of plan.pages) run.pageArgs.set(page, pageArgsOf(run, page));
    return await runPlan(plan, run);
  } catch (error) {
    if (error instanceof Unplannable) return undefined;
    throw error;
  }
}

export type CompiledReads = 'on' | 'off' | 'verify';

const shadowRuns = new AsyncLocalStorage<true>();
/** True inside the executor's run that 'verify' makes beside a compiled answer: tests count the statements of the answer given, not of its check. */
export const inVerifyingRun = () => shadowRuns.getStore() === true;

/**
 * Runs planned operations compiled (see above). 'verify' (tests) also runs the executor for every
 * compiled answer and fails the request loudly when the two differ in any byte, or in what they
 * told the response cache they read.
 */
export function useCompiledReads(db: Db, mode: CompiledReads): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      if (mode === 'off') return;
      setExecuteFn(async (execution) => {
        const context = execution.contextValue as CacheContext;
        const ranges = context.cacheRanges?.length;
        const compiled = await compiledAnswer(execution, db);
        if (!compiled) {
          if (context.cacheRanges && ranges !== undefined) context.cacheRanges.length = ranges;
          return executeFn(execution);
        }
        inOrderAlready(compiled);
        // A failed statement is not run again to compare: the executor would meet the fault anew.
        if (mode === 'verify' && !compiled.errors) {
          const shadow: CacheContext = { ...context, cacheDeps: new Set(), cacheRanges: [] };
          const executed = (await shadowRuns.run(true, () => executeFn({ ...execution, contextValue: shadow }))) as ExecutionResult;
          // As the executor builds it (in the order its fields settle) or as useFieldOrder puts it.
          const asBuilt = JSON.stringify({ data: executed.data, errors: executed.errors });
          const expected = JSON.stringify({ data: executed.data && inSelectionOrder(executed.data, execution.document, execution.operationName, execution.schema), errors: executed.errors });
          const got = JSON.stringify({ data: compiled.data });
          // The same ranges, each once: the executor may declare one twice.
          const rangesOf = (list: readonly unknown[]) => JSON.stringify([...new Set(list.map((r) => JSON.stringify(r)))].sort());
          const declared = rangesOf(context.cacheRanges?.slice(ranges ?? 0) ?? []);
          const executorDeclared = rangesOf(shadow.cacheRanges ?? []);
          if ((expected !== got && asBuilt !== got) || declared !== executorDeclared) {
            // Said on stderr as well: tests keep the server's log quiet, and this must not go unseen.
            const difference = `compiled read differs from the executor:\n query: ${print(execution.document)}\n variables: ${JSON.stringify(execution.variableValues)}\n executor: ${asBuilt}\n ordered: ${expected} ${executorDeclared}\n compiled: ${got} ${declared}`;
            console.error(difference);
            throw new Error(difference);
          }
        }
        return compiled;
      });
    },
  };
}
