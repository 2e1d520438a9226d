import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isInputObjectType,
  isEnumType,
  isInterfaceType,
  isIntrospectionType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  type SelectionNode,
  TypeMetaFieldDef,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { UserError } from '../domain/errors';
import { DEFAULT_PAGE_SIZE, type ListBound, MAX_PAGE_SIZE } from './connection-limits';

/**
 * The most nodes one operation may ask for: every object its answer could hold, counted much as
 * GitHub's GraphQL API counts connections: each connection is one object and its page
 * (`first`/`last`, else DEFAULT_PAGE_SIZE) for every object above it, each unpaged list its
 * ListBound, each single object one. Sized by measurement (bench/worst-query.ts, printed by
 * `npm run bench`; figures in docs/performance.md): the worst queries it lets through stay cheap
 * enough, while 100 × 100 × 5 three-level reads pass. docs/operations.md#limits works an example.
 */
export const NODE_LIMIT = 110_000;

/** How a field multiplies the objects beneath it. */
export type Multiplier =
  /** One value: an object counts as a node, a scalar does not. */
  | { kind: 'one' }
  /** A list of scalars or enums: no objects beneath. */
  | { kind: 'leaf' }
  /** A connection: one object and its page, for each parent. */
  | { kind: 'page' }
  /** `edges`/`nodes`/`pageInfo` of a connection, or an edge's `node`: the page, already counted. */
  | { kind: 'plumbing' }
  /** An unpaged list, at most `max` items for each parent. */
  | ({ kind: 'list' } & ListBound);

type ParentType = GraphQLObjectType | GraphQLNamedType;

interface SchemaFacts {
  connections: Set<string>;
  edges: Set<string>;
  /** The longest each introspection list can be in this schema ("__Type.fields"). */
  introspection: Map<string, number>;
}

const factsBySchema = new WeakMap<GraphQLSchema, SchemaFacts>();

function facts(schema: GraphQLSchema): SchemaFacts {
  let known = factsBySchema.get(schema);
  if (known) return known;
  const connections = new Set<string>();
  const edges = new Set<string>();
  const types = Object.values(schema.getTypeMap());
  const fielded = types.filter((t) => isObjectType(t) || isInterfaceType(t)) as GraphQLObjectType[];
  for (const type of fielded) {
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((a) => a.name === 'first' || a.name === 'last')) connections.add(getNamedType(field.type).name);
    }
  }
  for (const name of connections) {
    const connection = schema.getType(name);
    const edgeList = isObjectType(connection) ? connection.getFields().edges : undefined;
    if (edgeList) edges.add(getNamedType(edgeList.type).name);
  }
  const most = (values: number[]) => Math.max(0, ...values);
  const allFields = fielded.flatMap((t) => Object.values(t.getFields()));
  const introspection = new Map<string, number>([
    ['__Schema.types', types.length],
    ['__Schema.directives', schema.getDirectives().length],
    ['__Type.fields', most(fielded.map((t) => Object.keys(t.getFields()).length))],
    ['__Type.interfaces', most(fielded.map((t) => t.getInterfaces().length))],
    ['__Type.possibleTypes', most(types.filter(isAbstractType).map((t) => schema.getPossibleTypes(t).length))],
    ['__Type.enumValues', most(types.filter(isEnumType).map((t) => t.getValues().length))],
    ['__Type.inputFields', most(types.filter(isInputObjectType).map((t) => Object.keys(t.getFields()).length))],
    ['__Field.args', most(allFields.map((f) => f.args.length))],
    ['__Directive.args', most(schema.getDirectives().map((d) => d.args.length))],
  ]);
  known = { connections, edges, introspection };
  factsBySchema.set(schema, known);
  return known;
}

/**
 * How `field` of `parent` multiplies what is beneath it; undefined for a list of objects that
 * declares no bound, which test/budget.test.ts refuses.
 */
export function multiplierOf(schema: GraphQLSchema, parent: ParentType, field: GraphQLField<unknown, unknown>): Multiplier | undefined {
  const known = facts(schema);
  if (field.args.some((a) => a.name === 'first' || a.name === 'last')) return { kind: 'page' };
  if (known.connections.has(parent.name) && ['edges', 'nodes', 'pageInfo'].includes(field.name)) return { kind: 'plumbing' };
  if (known.edges.has(parent.name) && field.name === 'node') return { kind: 'plumbing' };
  if (!isListType(getNullableType(field.type))) return { kind: 'one' };
  if (isLeafType(getNamedType(field.type))) return { kind: 'leaf' };
  const bound = field.extensions?.listBound as ListBound | undefined;
  if (bound) return { kind: 'list', ...bound };
  if (isIntrospectionType(parent as GraphQLNamedType)) {
    const max = known.introspection.get(`${parent.name}.${field.name}`);
    if (max !== undefined) return { kind: 'list', max, why: 'as many as the schema has' };
  }
  return undefined;
}

/** One field's share of the estimate: `perParent` nodes for each of `parents` objects. */
export interface Share {
  path: string;
  nodes: number;
  perParent: number;
  parents: number;
  /** What sets `perParent`: a connection's argument, a list's bound, or the ids given. */
  by:
    | { kind: 'page'; argument: 'first' | 'last' | null }
    | { kind: 'list'; type: string; field: string; why: string }
    | { kind: 'ids'; argument: string }
    | { kind: 'one'; type: string };
}

/** Nodes asked for one object of a selection's type, and the largest shares of it. */
interface Unit {
  nodes: number;
  shares: Share[];
  /** Whether it selects a connection's items (`edges`, `nodes`), not only its count or pageInfo. */
  items?: boolean;
}

export interface Estimate {
  requestedNodes: number;
  /** The field contributing most, when any field counts nodes. */
  largest?: Share;
}

/** Shares kept per selection, largest first: the one to name is among them. */
const SHARES_KEPT = 16;

const join = (a: string, b: string) => (a && b ? `${a}.${b}` : a || b);

function merge(into: Map<string, Share>, share: Share) {
  const existing = into.get(share.path);
  if (existing) into.set(share.path, { ...existing, nodes: existing.nodes + share.nodes, parents: existing.parents + share.parents });
  else into.set(share.path, share);
}

function keep(shares: Map<string, Share>): Share[] {
  return [...shares.values()].sort((a, b) => b.nodes - a.nodes).slice(0, SHARES_KEPT);
}

class Walker {
  /** Per selection set and concrete type: named fragments are walked once, whatever spreads them. */
  private readonly memo = new Map<readonly SelectionNode[], Map<string, Unit>>();
  private readonly fragments: Map<string, FragmentDefinitionNode>;

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
  ) {
    this.fragments = new Map(
      document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
    );
  }

  /** An object of an abstract type costs what the most expensive of its possible types selects. */
  selection(selections: readonly SelectionNode[], type: GraphQLNamedType): Unit {
    if (isAbstractType(type)) {
      let worst: Unit = { nodes: 0, shares: [] };
      for (const possible of this.schema.getPossibleTypes(type)) {
        const unit = this.concrete(selections, possible);
        if (unit.nodes > worst.nodes) worst = unit;
      }
      return worst;
    }
    return isObjectType(type) ? this.concrete(selections, type) : { nodes: 0, shares: [] };
  }

  private concrete(selections: readonly SelectionNode[], type: GraphQLObjectType): Unit {
    let byType = this.memo.get(selections);
    if (!byType) this.memo.set(selections, (byType = new Map()));
    const known = byType.get(type.name);
    if (known) return known;
    // A placeholder while it is walked: validation has already refused fragment cycles.
    byType.set(type.name, { nodes: 0, shares: [] });
    let nodes = 0;
    let items = false;
    const shares = new Map<string, Share>();
    const add = (unit: Unit) => {
      nodes += unit.nodes;
      items ||= !!unit.items;
      for (const share of unit.shares) merge(shares, share);
    };
    for (const selection of selections) {
      if (!this.included(selection)) continue;
      if (selection.kind === Kind.FIELD) add(this.field(selection, type));
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (this.applies(selection.typeCondition?.name.value, type)) add(this.concrete(selection.selectionSet.selections, type));
      } else {
        const fragment = this.fragments.get(selection.name.value);
        if (fragment && this.applies(fragment.typeCondition.name.value, type)) add(this.concrete(fragment.selectionSet.selections, type));
      }
    }
    const unit = { nodes, shares: keep(shares), items };
    byType.set(type.name, unit);
    return unit;
  }

  /** What @skip and @include leave out does not run, so it costs nothing. */
  private included(selection: SelectionNode): boolean {
    if (!selection.directives?.length) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, selection, this.variables)?.if === true) return false;
      return getDirectiveValues(GraphQLIncludeDirective, selection, this.variables)?.if !== false;
    } catch {
      return true;
    }
  }

  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (!condition || condition === type.name) return true;
    const conditionType = this.schema.getType(condition);
    return !!conditionType && isAbstractType(conditionType) && this.schema.isSubType(conditionType, type);
  }

  private definition(node: FieldNode, type: GraphQLObjectType): GraphQLField<unknown, unknown> | undefined {
    const name = node.name.value;
    if (type === this.schema.getQueryType()) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return type.getFields()[name];
  }

  private field(node: FieldNode, type: GraphQLObjectType): Unit {
    const definition = this.definition(node, type);
    if (!definition) return { nodes: 0, shares: [] };
    const multiplier = multiplierOf(this.schema, type, definition);
    let perParent = 1;
    let by: Share['by'] | undefined;
    if (!multiplier) {
      // Unknown bound: test/budget.test.ts keeps this from happening; count it as a full page.
      perParent = MAX_PAGE_SIZE;
      by = { kind: 'list', type: type.name, field: definition.name, why: 'no declared bound' };
    } else if (multiplier.kind === 'leaf') return { nodes: 0, shares: [] };
    else if (multiplier.kind === 'one') {
      const named = getNamedType(definition.type);
      if (isLeafType(named)) return { nodes: 0, shares: [] };
      // The schema's description of itself is held in memory: only its lists count.
      if (!isIntrospectionType(named)) by = { kind: 'one', type: type.name };
    } else if (multiplier.kind === 'page') {
      const args = this.args(definition, node);
      const asked = (['first', 'last'] as const).filter((name) => typeof args[name] === 'number');
      const argument = asked.sort((a, b) => (args[b] as number) - (args[a] as number))[0] ?? null;
      // An oversized page is refused when the field runs: count what it could return at most.
      perParent = Math.min(Math.max(argument ? (args[argument] as number) : DEFAULT_PAGE_SIZE, 0), MAX_PAGE_SIZE);
      by = { kind: 'page', argument };
    } else if (multiplier.kind === 'list') {
      if (multiplier.countArg) {
        const given = this.args(definition, node)[multiplier.countArg];
        perParent = Math.min(Array.isArray(given) ? given.length : 1, multiplier.max);
        by = { kind: 'ids', argument: multiplier.countArg };
      } else {
        perParent = multiplier.max;
        by = { kind: 'list', type: type.name, field: definition.name, why: multiplier.why };
      }
    }
    const plumbing = multiplier?.kind === 'plumbing';
    const items = plumbing && definition.name !== 'pageInfo';
    const segment = plumbing ? '' : node.alias ? `${node.alias.value}:${node.name.value}` : node.name.value;
    const below = node.selectionSet ? this.selection(node.selectionSet.selections, getNamedType(definition.type)) : { nodes: 0, shares: [] };
    // A connection is an object of its own, for each parent: one more than its page, or only
    // itself when asked for its totalCount or pageInfo and none of its items.
    if (multiplier?.kind === 'page' && !below.items) perParent = 0;
    const own = by ? perParent + (multiplier?.kind === 'page' ? 1 : 0) : 0;
    const shares = new Map<string, Share>();
    if (by) merge(shares, { path: segment, nodes: own, perParent, parents: 1, by });
    for (const share of below.shares) {
      merge(shares, { ...share, path: join(segment, share.path), nodes: share.nodes * perParent, parents: share.parents * perParent });
    }
    return { nodes: own + perParent * below.nodes, shares: keep(shares), items };
  }

  private args(definition: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
    try {
      return getArgumentValues(definition, node, this.variables);
    } catch {
      // A bad argument fails the field when it runs; until then it asks for the default.
      return {};
    }
  }
}

/**
 * The nodes an operation asks for, with its variables applied; undefined when the operation or
 * its variables are invalid (execution then reports that, and runs nothing).
 */
export function estimateNodes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  rawVariables?: Record<string, unknown> | null,
): Estimate | undefined {
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return undefined;
  const unit = new Walker(schema, document, coerced.coerced).selection(operation.selectionSet.selections, root);
  return { requestedNodes: unit.nodes, ...(unit.shares[0] ? { largest: unit.shares[0] } : {}) };
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** "sources.claims (first: 50, ×100 parents)" and what to change about it. */
function describe(share: Share): { field: string; change: string } {
  const parents = share.parents > 1 ? `, ×${count(share.parents)} parents` : '';
  switch (share.by.kind) {
    case 'page': {
      const argument = share.by.argument ?? 'first';
      const asked = share.by.argument ? `${argument}: ${count(share.perParent)}` : `no first/last, so the default page of ${DEFAULT_PAGE_SIZE}`;
      return {
        field: `${share.path} (${asked}${parents})`,
        change: `lower its \`${argument}\`${share.parents > 1 ? ' or the pages above it' : ''}`,
      };
    }
    case 'list':
      return {
        field: `${share.path} (up to ${count(share.perParent)} per ${share.by.type}: ${share.by.why}${parents.replace(',', ';')})`,
        change: 'ask for it under fewer parents: lower the `first` of the connections above it',
      };
    case 'one':
      return {
        field: `${share.path} (one per ${share.by.type}${parents})`,
        change: 'ask for it under fewer parents: lower the `first` of the connections above it',
      };
    case 'ids':
      return { field: `${share.path} (${count(share.perParent)} ${share.by.argument})`, change: `pass fewer \`${share.by.argument}\`` };
  }
}

/** QUERY_TOO_COMPLEX naming the estimate, the limit and the field that contributes most. */
export function overBudget(estimate: Estimate, limit: number): UserError {
  const cost = { requestedNodes: estimate.requestedNodes, limit };
  const largest = estimate.largest;
  const described = largest && describe(largest);
  const message =
    `This query asks for up to ${count(estimate.requestedNodes)} nodes; the limit is ${count(limit)} ` +
    '(counting every object its answer could hold: each connection and its page, each list at its longest, each single object, for every object above them).' +
    (described ? ` Most come from ${described.field}: ${count(largest.nodes)} nodes; ${described.change}, or split the query.` : '');
  return new UserError('QUERY_TOO_COMPLEX', message, {
    cost,
    ...(largest ? { largest: { path: largest.path, nodes: largest.nodes, perParent: largest.perParent, parents: largest.parents, by: largest.by } } : {}),
  });
}

/**
 * The part of a variable's value a count can depend on: numbers and booleans (pages, @skip and
 * @include) and the length of a list (ids), not the text of a string or the fields of an input.
 * Requests that differ only in the rest (a lookup of another id) share one estimate.
 */
function countedPart(key: string, value: unknown): unknown {
  if (key === '') return value;
  if (typeof value === 'string') return '';
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return {};
  return value;
}

/** Estimates kept per parsed document (yoga reuses the document of a query it has seen), by variables. */
const ESTIMATES_PER_DOCUMENT = 64;

/** What the budget says of one operation with its variables: its cost, and the refusal when it is over. */
export interface Costed {
  cost: { requestedNodes: number; limit: number };
  refusal?: UserError;
}

/**
 * The node budget: counts an operation's nodes once its variables are known, and keeps the count
 * per parsed document (yoga reuses the document of a query it has seen) and counted variables.
 * Shared by the plugin below and the fast path of repeated reads (src/http/fast-reads.ts).
 */
export class QueryBudget {
  private readonly estimates = new WeakMap<DocumentNode, Map<string, Estimate | null>>();

  constructor(readonly limit: number = NODE_LIMIT) {}

  /** Undefined for an operation nothing is counted for (none of that name). */
  check(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): Costed | undefined {
    const key = `${operationName ?? ''}\u0000${variables ? JSON.stringify(variables, countedPart) : ''}`;
    let byVariables = this.estimates.get(document);
    if (!byVariables) this.estimates.set(document, (byVariables = new Map()));
    let estimate = byVariables.get(key);
    if (estimate === undefined) {
      estimate = estimateNodes(schema, document, operationName, variables) ?? null;
      if (byVariables.size >= ESTIMATES_PER_DOCUMENT) byVariables.clear();
      byVariables.set(key, estimate);
    }
    if (!estimate) return undefined;
    const cost = { requestedNodes: estimate.requestedNodes, limit: this.limit };
    return estimate.requestedNodes > this.limit ? { cost, refusal: overBudget(estimate, this.limit) } : { cost };
  }
}

/**
 * Counts every operation's nodes once its variables are known (here, before the response cache
 * looks): over the limit it runs nothing and answers QUERY_TOO_COMPLEX; otherwise its answer
 * carries `extensions.cost { requestedNodes limit }`, which the response cache stores with it.
 */
export function useQueryBudget(budget: QueryBudget): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const costed = budget.check(args.schema, args.document, args.operationName, args.variableValues as Record<string, unknown> | undefined);
      if (!costed) return;
      const { cost, refusal } = costed;
      if (refusal) {
        setResultAndStopExecution({ errors: [refusal], extensions: { cost } });
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          // Each answer of a live query (src/graphql/live.ts): the same operation, the same cost.
          if (Symbol.asyncIterator in result) {
            return { onNext: ({ result: answer, setResult: setAnswer }) => setAnswer({ ...answer, extensions: { ...answer.extensions, cost } }) };
          }
          // An answer from the response cache already carries it.
          if (result.extensions?.cost) return;
          setResult({ ...result, extensions: { ...result.extensions, cost } });
        },
      };
    },
  };
}

/**
 * The refusals of the other limits (graphql-armor's, and graphql-js's own bound on the work of
 * checking repeated fields) in words that say what to change; undefined for any other error.
 */
export function explainLimit(message: string): string | undefined {
  const text = message.replace(/^Syntax Error: /, '');
  let match = /^Query depth limit of (\d+) exceeded, found (\d+)\.$/.exec(text);
  if (match) return `The query nests fields ${match[2]} levels deep; the limit is ${match[1]}. Ask for fewer levels at once, and follow deeper links in a second query.`;
  match = /^Aliases limit of (\d+) exceeded, found (\d+)\.$/.exec(text);
  if (match) return `The query uses ${match[2]} aliases; the limit is ${match[1]}. Fetch many objects with one nodes(ids:) instead of one aliased field each, or split the query.`;
  match = /^Token limit of (\d+) exceeded\.$/.exec(text);
  if (match) return `The query is longer than ${match[1]} tokens (names, punctuation and values); the limit is ${match[1]}. Ask for fewer fields, pass long lists as variables, or split the query.`;
  match = /^Directives limit of (\d+) exceeded, found (\d+)\.$/.exec(text);
  if (match) return `The query uses ${match[2]} directives; the limit is ${match[1]}. Use fewer @include/@skip: put the fields they guard in one fragment, or send a different query.`;
  if (text === 'Maximum introspection depth exceeded') {
    return 'The query nests fields, interfaces or possibleTypes of introspection types more than 3 levels deep. Ask for fewer levels at once (GraphiQL\'s own introspection query stays within them).';
  }
  // graphql-js stops checking fields that share a name once that takes too long (over 700 copies
  // of one field in a selection, or fragments spread as often): "Validation aborted.".
  if (text === 'Validation aborted.') {
    return 'The query repeats a field or fragment so many times in one selection that checking it was stopped. Ask for each field once per selection (a repeat returns nothing more).';
  }
  return undefined;
}
