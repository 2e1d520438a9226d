import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  getNamedType,
  getOperationAST,
  type GraphQLOutputType,
  type GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { decodeGlobalID, ENTITY_KIND_BY_TYPE } from '../domain/ids';
import { fieldsOf, fieldsOfOnce, type Fragments, fragmentsOf } from './scope';

/** Rows of a type whose id is above the first number and at most the second: [type, above, at most]. */
export type IdRange = [string, number, number];

/** The context fields the cache adds to a request it may keep the answer of. */
export interface CacheContext {
  cacheKey?: string;
  cacheDeps?: Set<string>;
  cacheRanges?: IdRange[];
}

/**
 * Declares that the answer being computed depends on these tags: "links" (any link of the graph),
 * an object ("Entity:3"), a list ("Entity:3#claimsAbout"), or with dependsOnRange every row of a
 * type in an id range. Resolvers of DECLARING_ROOTS call it for what their answer does not show.
 */
export function dependsOn(context: CacheContext, ...tags: string[]) {
  for (const tag of tags) context.cacheDeps?.add(tag);
}

/** Every tag of a `type` row whose id is above `after` and at most `upTo` (open when null). */
export function dependsOnRange(context: CacheContext, type: string, after: number | null, upTo: number | null) {
  context.cacheRanges?.push([type, after ?? -Infinity, upTo ?? Infinity]);
}

/** What an answer depends on: the tags it shows or its resolvers declared, and id ranges. */
export interface Dependencies {
  tags: Set<string>;
  ranges: IdRange[];
}

/**
 * What an answer is stored with: what it depends on (for scope `objects`), and whether a
 * `node`/`nodes` root answered null (its creation would tag no object the answer shows, so it is
 * kept as scope `any`), or it had more tags than MAX_TAGS (the same).
 */
export interface Found extends Dependencies {
  anyWrite: boolean;
  /** More tags than MAX_TAGS were found (and no more collected). */
  overflow?: boolean;
}

/** A connection: a page of a list, with its edges and where the page is. */
const isConnection = (type: GraphQLOutputType) => isObjectType(type) && 'edges' in type.getFields() && 'pageInfo' in type.getFields();

/** Whether a field's answer is a list of objects or a connection. */
export function isListField(type: GraphQLOutputType) {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner) ? isCompositeType(getNamedType(inner)) : isConnection(inner);
}

/**
 * The names of the lists a write tags on their parent ("Entity:3#claimsAbout", see
 * migrations/sqlite/*_cache_fields): every field of a type with an id whose answer is a list of objects
 * or a connection. An answer that selects one of them on an object depends on it as well as on the
 * object. Read from the schema so that a new list field is declared once, by the trigger that tags
 * it; test/cache-coverage.test.ts fails while a list field of the schema has no such trigger.
 */
const listFields = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
export function listFieldsOf(schema: GraphQLSchema): ReadonlySet<string> {
  let names = listFields.get(schema);
  if (names) return names;
  const found = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || !('id' in type.getFields())) continue;
    for (const field of Object.values(type.getFields())) if (isListField(field.type)) found.add(field.name);
  }
  listFields.set(schema, (names = found));
  return names;
}

/** The alias under which the cache adds `id` to every selection of an object that has one and does not select it. */
const ADDED_ID = '__cacheId';

/**
 * The operation with `id` added (as ADDED_ID) to each selection of a type that has one and does
 * not select it, so that the answer shows what it depends on. Memoized per parsed document.
 */
const withIds = new WeakMap<DocumentNode, DocumentNode>();
export function addIds(document: DocumentNode, schema: GraphQLSchema): DocumentNode {
  let added = withIds.get(document);
  if (added) return added;
  const typeInfo = new TypeInfo(schema);
  added = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node) {
        const type = typeInfo.getParentType();
        if (!type || !(isObjectType(type) || isInterfaceType(type)) || !('id' in type.getFields())) return undefined;
        if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'id' && !s.alias)) return undefined;
        const id: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'id' }, alias: { kind: Kind.NAME, value: ADDED_ID } };
        return { ...node, selections: [...node.selections, id] };
      },
    }),
  );
  withIds.set(document, added);
  return added;
}

/** The type a write names its rows by: every entity type shares "Entity". */
export const tagTypeOf = (typename: string) => (ENTITY_KIND_BY_TYPE.has(typename) ? 'Entity' : typename);

/** The tag a write gives the object with this global id: "Claim:7", "Entity:3". */
function tagOf(globalId: unknown): string | null {
  if (typeof globalId !== 'string' && typeof globalId !== 'number') return null;
  try {
    const { typename, id } = decodeGlobalID(String(globalId));
    return `${tagTypeOf(typename)}:${id}`;
  } catch {
    return null;
  }
}

/**
 * The most tags an answer keeps: past it, an answer is kept as one that any write drops (scope
 * `any`), since its tags would cost more memory than the answer (see TAG_BYTES in store.ts).
 */
export const MAX_TAGS = 2000;

/** A tally of the tags an answer depends on, bounded by MAX_TAGS, and the list fields it tags. */
interface Tally {
  tags: Set<string>;
  overflow: boolean;
  lists: ReadonlySet<string>;
}

/**
 * Walks an answer once, in place: records the tags it depends on, every object it shows
 * ("Claim:7") and every list it selects on one ("Claim:7#about"), until MAX_TAGS; and clears the
 * ids the cache added to it (undefined, which JSON leaves out, rather than a delete, which would
 * slow the serialization of every object it touches).
 */
function collectTags(value: unknown, selections: readonly SelectionNode[], fragments: Fragments, tally: Tally) {
  if (Array.isArray(value)) {
    for (const item of value) collectTags(item, selections, fragments, tally);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  const fields = fieldsOfOnce(selections, fragments);
  const added = object[ADDED_ID];
  if (added !== undefined) object[ADDED_ID] = undefined;
  if (!tally.overflow) {
    const own = tagOf(added ?? (fields.some((f) => f.name.value === 'id' && !f.alias) ? object.id : undefined));
    if (own) {
      tally.tags.add(own);
      for (const field of fields) if (tally.lists.has(field.name.value)) tally.tags.add(`${own}#${field.name.value}`);
      if (tally.tags.size > MAX_TAGS) tally.overflow = true;
    }
  }
  for (const field of fields) {
    if (field.selectionSet) collectTags(object[field.alias?.value ?? field.name.value], field.selectionSet.selections, fragments, tally);
  }
}

/**
 * What an answer of scope `objects` depends on: read from it (see collectTags), and what its
 * resolvers declared. The answer loses the ids addIds gave it.
 */
export function dependenciesOf(
  result: ExecutionResult,
  document: DocumentNode,
  operationName: string | null | undefined,
  context: CacheContext,
  schema: GraphQLSchema,
): Found | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation || !result.data) return undefined;
  const fragments = fragmentsOf(document.definitions);
  const tally: Tally = { tags: new Set(context.cacheDeps), overflow: false, lists: listFieldsOf(schema) };
  let missing = false;
  for (const root of fieldsOf(operation.selectionSet.selections, fragments)) {
    const value = (result.data as Record<string, unknown>)[root.alias?.value ?? root.name.value];
    if ((root.name.value === 'node' || root.name.value === 'nodes') && (value === null || (Array.isArray(value) && value.includes(null)))) missing = true;
    if (root.selectionSet) collectTags(value, root.selectionSet.selections, fragments, tally);
  }
  return { tags: tally.tags, ranges: context.cacheRanges ?? [], anyWrite: missing || tally.overflow, overflow: tally.overflow };
}
