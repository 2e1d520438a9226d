import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import {
  getArgumentValues,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { badInput } from '../domain/errors';
import { MAX_LENGTH } from '../model/fields';
import { cursorKinds, type FilterType } from '../model/filter-language';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** The most ids `nodes(ids:)` takes in one call. */
export const MAX_NODE_IDS = 100;

/** What an unpaged list field declares for the query budget (src/graphql/budget.ts). */
export interface ListBound {
  /** The most items it returns for one parent object. */
  max: number;
  /** Why no more: shown to people when this list is what makes a query too big. */
  why: string;
  /** The list argument whose length is the number of items (at most `max`), as for `nodes(ids:)`. */
  countArg?: string;
}

/**
 * The field extension that tells the query budget how long an unpaged list can be; every list of
 * objects without `first`/`last` must carry one (test/budget.test.ts checks the schema for it).
 */
export const boundedList = (max: number, why: string, countArg?: string) => ({ listBound: { max, why, ...(countArg ? { countArg } : {}) } satisfies ListBound });

function checkPageArg(args: Record<string, unknown>, name: 'first' | 'last') {
  const value = args[name];
  if (value == null) return;
  if (typeof value !== 'number' || value < 0) throw badInput(`"${name}" must be 0 or more`, name);
  if (value > MAX_PAGE_SIZE) {
    throw badInput(
      `"${name}" is ${value}, but a page holds at most ${MAX_PAGE_SIZE}: page through with "after"/"before"`,
      name,
    );
  }
}

/**
 * What a connection's cursors hold, by its ordering: `id` is "DC:N:<id>"; `text,id` and `id,id`
 * are "DC:T:[…]" pairs whose last value is the row id; `offset` is search's "offset:<n>".
 */
type CursorShape = 'id' | 'text,id' | 'id,id' | 'offset';

/** A connection that takes `orderBy`: its cursors' shape under its own ordering, and its filter type. */
interface Ordered {
  shape: CursorShape;
  type: FilterType;
}

/**
 * Every connection's cursor, by schema coordinate (an interface's entry covers its types). The
 * drizzle plugin reads a cursor of the wrong shape into SQL it cannot run, so a cursor is checked
 * against its own connection's shape. A connection missing here stops the schema from building.
 */
const CURSORS: Record<string, CursorShape | Ordered> = {
  'Query.claims': { shape: 'id', type: 'Claim' },
  'Query.relationships': { shape: 'id', type: 'Relationship' },
  'Query.sources': { shape: 'id', type: 'Source' },
  'Query.entities': { shape: 'text,id', type: 'Entity' },
  'Query.events': { shape: 'text,id', type: 'Event' },
  'Query.search': 'offset',
  'Entity.relationships': { shape: 'id', type: 'Relationship' },
  'Entity.events': { shape: 'id', type: 'Event' },
  'Entity.claimsAbout': { shape: 'id,id', type: 'Claim' },
  'Entity.claimsMade': { shape: 'id', type: 'Claim' },
  'Event.participants': { shape: 'id', type: 'Entity' },
  'Event.claims': { shape: 'id,id', type: 'Claim' },
  'Source.citations': { shape: 'id', type: 'Citation' },
  'Source.claims': { shape: 'id', type: 'Claim' },
  'Source.statedClaims': { shape: 'id', type: 'Claim' },
};

/** What a cursor holds: search's offset, or the kinds of its values ("N" a whole number, "S" text). */
type Expected = 'offset' | ('S' | 'N')[];
const KINDS: Record<Exclude<CursorShape, 'offset'>, ('S' | 'N')[]> = { id: ['N'], 'text,id': ['S', 'N'], 'id,id': ['N', 'N'] };

/** The cursor a connection issues, under the ordering its arguments ask for. */
function expectedCursor(entry: CursorShape | Ordered, args: Record<string, unknown>): Expected {
  if (entry === 'offset') return 'offset';
  if (typeof entry === 'string') return KINDS[entry];
  const orderBy = args.orderBy as string[] | null | undefined;
  if (orderBy?.length) return cursorKinds(entry.type, orderBy);
  return entry.shape === 'offset' ? 'offset' : KINDS[entry.shape];
}

/**
 * The longest cursor any connection issues: a name of the longest length, every character
 * JSON-escaped (6 bytes), plus the tags and id, in base64.
 */
export const MAX_CURSOR_LENGTH = 4 * Math.ceil((MAX_LENGTH.name * 6 + 64) / 3);

const CURSOR_ARGS = ['after', 'before'] as const;
const PAGING_ARGS = new Set(['first', 'last', 'after', 'before']);

function shapeOf(type: GraphQLNamedType, field: string): CursorShape | Ordered | undefined {
  const own = CURSORS[`${type.name}.${field}`];
  if (own || !isObjectType(type)) return own;
  return type.getInterfaces().map((i) => CURSORS[`${i.name}.${field}`]).find(Boolean);
}

const ROW_ID = /^N:[1-9]\d{0,15}$/;
const isRowId = (chunk: unknown) => typeof chunk === 'string' && ROW_ID.test(chunk) && Number.isSafeInteger(Number(chunk.slice(2)));

/** A value of an explored ordering: a whole number (a count, an id) or text. */
const isValue = (chunk: unknown, kind: 'S' | 'N') =>
  kind === 'S' ? typeof chunk === 'string' && chunk.startsWith('S:') : typeof chunk === 'string' && /^N:(0|-?[1-9]\d{0,15})$/.test(chunk);

/** True when `cursor` is one a connection issues under `expected` (compared byte for byte as it encodes them). */
function isCursor(cursor: string, expected: Expected): boolean {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) return false;
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  // Base64 in its one canonical form, of valid UTF-8: whatever decodes loosely is not ours.
  if (Buffer.from(decoded, 'utf8').toString('base64') !== cursor) return false;
  if (expected === 'offset') return /^offset:(0|[1-9]\d{0,5})$/.test(decoded);
  if (!decoded.startsWith('DC:')) return false;
  const chunk = decoded.slice(3);
  if (expected.length === 1) return isRowId(chunk);
  if (!chunk.startsWith('T:')) return false;
  let values: unknown;
  try {
    values = JSON.parse(chunk.slice(2));
  } catch {
    return false;
  }
  if (!Array.isArray(values) || values.length !== expected.length || JSON.stringify(values) !== chunk.slice(2)) return false;
  // The last value is always a row id, the tie-breaker.
  return values.every((value, i) => (i === values.length - 1 ? isRowId(value) : isValue(value, expected[i]!)));
}

function checkCursorArgs(field: GraphQLField<unknown, unknown>, parent: GraphQLNamedType, args: Record<string, unknown>) {
  const shape = shapeOf(parent, field.name);
  if (!shape) return;
  const expected = CURSOR_ARGS.some((name) => args[name] != null) ? expectedCursor(shape, args) : 'offset';
  for (const name of CURSOR_ARGS) {
    const value = args[name];
    if (value == null) continue;
    if (typeof value !== 'string' || !isCursor(value, expected)) {
      const length = typeof value === 'string' && value.length > MAX_CURSOR_LENGTH ? ` (it is ${value.length} characters; ours are at most ${MAX_CURSOR_LENGTH})` : '';
      throw badInput(
        `"${name}" of ${parent.name}.${field.name} is not a cursor this connection issued${length}: pass a \`cursor\` (or pageInfo's startCursor/endCursor) from the same connection under the same orderBy, unchanged`,
        name,
      );
    }
  }
}

/** Whether a selection (fragments included) passes paging arguments to any field: cached per parsed document. */
const namesCursors = new WeakMap<FieldNode, boolean>();

function selectsCursors(nodes: readonly FieldNode[], fragments: Record<string, FragmentDefinitionNode>): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) => {
      if (s.kind === Kind.FIELD) return !!s.arguments?.some((a) => PAGING_ARGS.has(a.name.value)) || visit(s.selectionSet);
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return visit(fragments[s.name.value]?.selectionSet);
    });
  return nodes.some((node) => {
    let known = namesCursors.get(node);
    if (known === undefined) {
      known = !!node.arguments?.some((a) => PAGING_ARGS.has(a.name.value)) || visit(node.selectionSet);
      namesCursors.set(node, known);
    }
    return known;
  });
}

/**
 * Checks every paging argument under a root field before it runs. A nested connection's cursor and
 * page size are read when its parent's query is planned, which is before the nested field's own
 * resolver, so the root field checks the whole selection it will plan.
 */
function checkSelectionCursors(info: GraphQLResolveInfo) {
  if (!selectsCursors(info.fieldNodes, info.fragments)) return;
  const { schema, fragments, variableValues } = info;
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined, parent: GraphQLNamedType) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) visitField(s, parent);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet, s.typeCondition ? (schema.getType(s.typeCondition.name.value) ?? parent) : parent);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = fragments[s.name.value];
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && type) walk(fragment.selectionSet, type);
      }
    }
  };
  const visitField = (node: FieldNode, parent: GraphQLNamedType) => {
    if (!isObjectType(parent) && !isInterfaceType(parent)) return;
    const field = parent.getFields()[node.name.value];
    if (!field) return;
    if (field.args.some((a) => PAGING_ARGS.has(a.name))) {
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(field, node, variableValues);
      } catch {
        return; // Execution reports arguments it cannot coerce.
      }
      checkPageArg(args, 'first');
      checkPageArg(args, 'last');
      checkCursorArgs(field, parent, args);
    }
    walk(node.selectionSet, getNamedType(field.type));
  };
  for (const node of info.fieldNodes) visitField(node, info.parentType);
}

/**
 * The drizzle and relay plugins quietly cut an oversized page down to the maximum. The contract
 * wants a clear error instead, and each cursor must be one its connection issued: every root
 * field checks the paging arguments of its whole selection before it runs (see
 * `checkSelectionCursors`), which covers every connection, its own included.
 */
class ConnectionLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const root = fieldConfig.kind === 'Query' || fieldConfig.kind === 'Mutation' || fieldConfig.kind === 'Subscription';
    if (!root) return resolver;
    return (parent, args, context, info) => {
      checkSelectionCursors(info);
      return resolver(parent, args, context, info);
    };
  }

  override afterBuild(schema: GraphQLSchema): GraphQLSchema {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (field.args.some((a) => a.name === 'after' || a.name === 'before') && !shapeOf(type, field.name)) {
          throw new Error(`${type.name}.${field.name} takes a cursor: say what its cursors hold in CURSORS (src/graphql/connection-limits.ts)`);
        }
      }
    }
    return schema;
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      connectionLimits: ConnectionLimitsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('connectionLimits', ConnectionLimitsPlugin);
