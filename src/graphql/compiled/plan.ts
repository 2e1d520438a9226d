import { getTableColumns, getTableName } from 'drizzle-orm';
import {
  BREAK,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  getOperationAST,
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
} from 'graphql';
import * as tables from '../../../schema/tables';
import { ENTITY_KIND_BY_TYPE, ENTITY_TYPE_BY_KIND, NODE_TYPE_NAMES } from '../../domain/ids';

/**
 * The plans of compiled reads (see ../compiled-reads.ts): which fields are compiled and how, and
 * the plan of an operation, made once per parsed document.
 */

export type Row = Record<string, unknown>;
export type TableKey = 'entities' | 'claims' | 'sources' | 'relationships' | 'citations';

/** Thrown while planning or running when the executor must answer instead. */
export class Unplannable extends Error {}

export const TABLE_OF: Record<string, TableKey> = {
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
export const SQL_TABLE = Object.fromEntries(TABLES.map((key) => [key, getTableName(tables[key])])) as Record<TableKey, string>;

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
export interface Paging {
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

/** What is shown of rows of one table, per concrete type (entities: by kind), in response order. */
export interface ObjectPlan {
  table: TableKey;
  /** SQL columns to read (id always; kind for entities). */
  columns: Set<string>;
  byType: Map<string, FieldPlan[]>;
}

export type FieldPlan =
  | { kind: 'typename'; key: string }
  | { kind: 'id'; key: string }
  | { kind: 'leaf'; key: string; column: string; type: GraphQLLeafType; nullable: boolean }
  | { kind: 'one'; key: string; column: string; child: ObjectPlan; nullable: boolean }
  | { kind: 'about'; key: string; child: ObjectPlan }
  | { kind: 'aliases'; key: string }
  | { kind: 'page'; key: string; page: PagePlan };

export type PageField =
  | { kind: 'typename' | 'totalCount'; key: string; typename?: string }
  | { kind: 'nodes'; key: string; child: ObjectPlan }
  | { kind: 'edges'; key: string; fields: EdgeField[] }
  | { kind: 'pageInfo'; key: string; fields: { kind: 'typename' | 'hasNextPage' | 'hasPreviousPage' | 'startCursor' | 'endCursor'; key: string }[] };
export type EdgeField = { kind: 'typename'; key: string; typename: string } | { kind: 'cursor'; key: string } | { kind: 'node'; key: string; child: ObjectPlan };

export interface PagePlan {
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

export type RootPlan =
  | { kind: 'typename'; key: string }
  | { kind: 'node'; key: string; node: FieldNode; field: GraphQLField<unknown, unknown>; children: Map<TableKey, ObjectPlan>; many: boolean }
  | { kind: 'page'; key: string; page: PagePlan };

export interface Plan {
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

/**
 * The most field plans one operation's plan may hold; past it the executor answers, which
 * resolves only the types the rows have. A plan has a field plan per field per concrete type it
 * may show, so fragments that ask each entity type for something of its own multiply it by six at
 * each link they nest. The depth limit (LIMITS.maxDepth, which counts inline fragments) allows two
 * such links today; without it, seven took seconds to plan.
 */
export const MAX_PLAN_FIELDS = 2000;

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
  /** Field plans made so far (see MAX_PLAN_FIELDS). */
  private fields = 0;

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
    if (++this.fields > MAX_PLAN_FIELDS) throw new Unplannable();
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
      return { kind: 'leaf', key, column, type: getNamedType(field.type) as GraphQLLeafType, nullable: !isNonNullType(field.type) };
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
