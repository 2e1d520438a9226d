import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionNode,
} from 'graphql';

/**
 * What a cached answer depends on, decided from its operation:
 * - `objects`: its root fields are `node`/`nodes`, or root fields that declare what they read
 *   (DECLARING_ROOTS), so its dependencies are known: the objects it shows and the lists it
 *   selects on them, plus what its root fields declared (see dependenciesOf). It is dropped when
 *   a write tags one of them (see migrations/sqlite/*_cache_fields).
 * - `any`: other lists, search, counts: any write may change them, so any write drops them.
 * - `never`: mutations, `@live` queries (a stream of answers) and anything that does not parse
 *   are never answered from memory.
 */
export type Scope = 'objects' | 'any' | 'never';

/**
 * Root fields whose answers declare everything they read: `node`/`nodes` show it; `claims` pages
 * declare the id range they cover, `path` and `neighborhood` the links of the graph and the
 * entities they name (see dependsOn).
 */
export const DECLARING_ROOTS: ReadonlySet<string> = new Set(['node', 'nodes', '__typename', 'claims', 'path', 'neighborhood']);

export type Fragments = Map<string, FragmentDefinitionNode>;

/** The fields of a selection, through its fragments, whatever their type conditions. */
export function fieldsOf(selections: readonly SelectionNode[], fragments: Fragments, seen = new Set<string>()): FieldNode[] {
  return selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet.selections, fragments, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = fragments.get(name);
    return fragment ? fieldsOf(fragment.selectionSet.selections, fragments, seen) : [];
  });
}

/** fieldsOf once per selection of a document, however many objects of a list it is asked for. */
const flattened = new WeakMap<readonly SelectionNode[], FieldNode[]>();
export function fieldsOfOnce(selections: readonly SelectionNode[], fragments: Fragments) {
  let fields = flattened.get(selections);
  if (!fields) flattened.set(selections, (fields = fieldsOf(selections, fragments)));
  return fields;
}

export const fragmentsOf = (definitions: readonly { kind: Kind }[]): Fragments =>
  new Map(
    definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[(d as FragmentDefinitionNode).name.value, d as FragmentDefinitionNode] as const] : [])),
  );

/** The scope of an operation of this document (the only one, or the one named). */
export function scopeOf(query: string, operationName: string | null | undefined): Scope {
  let document;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return 'never';
  }
  const operation = getOperationAST(document, operationName);
  // A live query's answer is a stream, not one answer to keep (src/graphql/live.ts).
  if (operation?.directives?.some((d) => d.name.value === 'live')) return 'never';
  return scopeOfOperation(document, operation);
}

/** What any answer to this operation of `document` depends on, as scopeOf says, were it asked once. */
export function scopeOfOperation(document: DocumentNode, operation: OperationDefinitionNode | null | undefined): Scope {
  if (!operation || operation.operation !== 'query') return 'never';
  const roots = fieldsOf(operation.selectionSet.selections, fragmentsOf(document.definitions));
  return roots.every((field) => DECLARING_ROOTS.has(field.name.value)) ? 'objects' : 'any';
}

/** The scope a cache key was made with (see useChangeAwareResponseCache): its prefix. */
export const scopeOfKey = (key: string): Scope => (key.startsWith('objects:') ? 'objects' : key.startsWith('any:') ? 'any' : 'never');
