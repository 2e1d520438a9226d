import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isObjectType,
  Kind,
  type NamedTypeNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db';
import { engineOf } from '../db/engine';
import { decodeGlobalID } from '../domain/ids';

/**
 * Whether answers over `db` need useFieldOrder: on an engine that runs statements concurrently
 * (PostgreSQL). On SQLite the executor's answers come out in the order asked but where a field's
 * value is a promise (a root page's `totalCount`): compiled reads (src/graphql/compiled-reads.ts)
 * answer the common reads in order on both engines.
 */
export function fieldsSettleOutOfOrder(db: Db): boolean {
  return engineOf(db).name !== 'sqlite';
}

/** Answers built in the order asked already (compiled reads, src/graphql/compiled-reads.ts): not walked again. */
const builtInOrder = new WeakSet<ExecutionResult>();
export const inOrderAlready = (answer: ExecutionResult) => void builtInOrder.add(answer);
const inOrder = (answer: ExecutionResult) => builtInOrder.has(answer);

/**
 * Puts every object of an answer back in the order its fields were asked for, as the GraphQL
 * spec has it. yoga's executor (@graphql-tools/executor) builds an object from its fields'
 * values as each settles: fields that wait land in the order they finish. On PostgreSQL
 * statements run concurrently over a pool and `{ a: entity(…) b: entity(…) }` may come back as
 * `{"b":…,"a":…}`, not byte for byte the same answer from one run to the next.
 *
 * Only keys move; no value changes. An object already in order is kept as is.
 */
export function useFieldOrder(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const reorder = (answer: ExecutionResult, set: (next: ExecutionResult) => void) => {
            if (!answer.data || inOrder(answer)) return;
            const data = inSelectionOrder(answer.data, args.document, args.operationName, args.schema);
            if (data !== answer.data) set({ ...answer, data });
          };
          // Each answer of a live query (src/graphql/live.ts).
          if (Symbol.asyncIterator in result) return { onNext: ({ result: answer, setResult: setAnswer }) => reorder(answer, setAnswer) };
          reorder(result, setResult);
          return undefined;
        },
      };
    },
  };
}

/** `data` (an answer of `document`'s operation) with every object's keys in the order asked; the same object when nothing moved. */
export function inSelectionOrder(
  data: Record<string, unknown>,
  document: DocumentNode,
  operationName: string | null | undefined,
  schema: GraphQLSchema,
): Record<string, unknown> {
  const root = operationOf(document, operationName);
  return root ? (ordered(data, [root.selectionSet], { fragments: fragmentsOf(document), schema }) as Record<string, unknown>) : data;
}

interface Walk {
  fragments: Fragments;
  schema: GraphQLSchema;
}

/**
 * The object type of an answer's object, when it shows it: its `__typename`, or the type its
 * global id names (`id`, or the `__cacheId` the response cache adds). Fragments on other types
 * are then left out as the executor leaves them out; without it, every fragment is walked.
 */
function runtimeTypeOf(object: Record<string, unknown>, schema: GraphQLSchema): GraphQLObjectType | undefined {
  let name = typeof object.__typename === 'string' ? object.__typename : undefined;
  const id = object.__cacheId ?? object.id;
  if (name === undefined && typeof id === 'string') {
    try {
      name = decodeGlobalID(id).typename;
    } catch {
      return undefined;
    }
  }
  const type = name === undefined ? undefined : schema.getType(name);
  return type && isObjectType(type) ? type : undefined;
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

function operationOf(document: DocumentNode, name: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name ? operations.find((o) => o.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
}

const fragmentMaps = new WeakMap<DocumentNode, Fragments>();
function fragmentsOf(document: DocumentNode): Fragments {
  let fragments = fragmentMaps.get(document);
  if (!fragments) {
    fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    fragmentMaps.set(document, fragments);
  }
  return fragments;
}

/**
 * Response keys in the order the executor collects them (fragments expanded where they stand, a
 * key placed at its first appearance), each with the field nodes merged under it. Fragments whose
 * type does not apply to `runtime` are left out; with no runtime type known, all are walked, and a
 * key of a fragment that does not apply is simply absent from the object.
 */
type Collected = Map<string, FieldNode[]>;

const conditionalSets = new WeakMap<SelectionSetNode, boolean>();
/** Whether the selections hold a fragment with a type condition (at their own level, through fragments). */
function conditional(sets: readonly SelectionSetNode[], fragments: Fragments): boolean {
  const single = sets.length === 1 ? sets[0]! : undefined;
  const known = single && conditionalSets.get(single);
  if (known !== undefined) return known;
  const visited = new Set<string>();
  const has = (set: SelectionSetNode): boolean =>
    set.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return false;
      if (selection.kind === Kind.INLINE_FRAGMENT) return selection.typeCondition !== undefined || has(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visited.has(fragment.name.value)) return false;
      visited.add(fragment.name.value);
      return true;
    });
  const found = sets.some(has);
  if (single) conditionalSets.set(single, found);
  return found;
}
const collectedBySet = new WeakMap<SelectionSetNode, Map<string, Collected>>();

function collect(sets: readonly SelectionSetNode[], { fragments, schema }: Walk, runtime: GraphQLObjectType | undefined): Collected {
  const single = sets.length === 1 ? sets[0]! : undefined;
  const known = single && collectedBySet.get(single)?.get(runtime?.name ?? '');
  if (known) return known;
  const out: Collected = new Map();
  const visited = new Set<string>();
  const applies = (condition: NamedTypeNode | undefined) => {
    if (!runtime || !condition) return true;
    const type = schema.getType(condition.name.value);
    return type === runtime || (type !== undefined && isAbstractType(type) && schema.isSubType(type, runtime));
  };
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = out.get(key);
        if (nodes) nodes.push(selection);
        else out.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition)) walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !visited.has(name) && applies(fragment.typeCondition)) {
          visited.add(name);
          walk(fragment.selectionSet);
        }
      }
    }
  };
  for (const set of sets) walk(set);
  if (single) {
    let byType = collectedBySet.get(single);
    if (!byType) collectedBySet.set(single, (byType = new Map()));
    byType.set(runtime?.name ?? '', out);
  }
  return out;
}

const subSelections = new WeakMap<FieldNode[], SelectionSetNode[]>();
function subSelectionsOf(nodes: FieldNode[]): SelectionSetNode[] {
  let sets = subSelections.get(nodes);
  if (!sets) {
    sets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    subSelections.set(nodes, sets);
  }
  return sets;
}

/** `value` with every object's keys in the order asked; the same value (===) when nothing moved. */
function ordered(value: unknown, sets: readonly SelectionSetNode[], walk: Walk): unknown {
  if (value === null || typeof value !== 'object' || sets.length === 0) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = ordered(value[i], sets, walk);
      if (item !== value[i]) (copy ??= value.slice())[i] = item;
    }
    return copy ?? value;
  }
  const object = value as Record<string, unknown>;
  // An object's type matters only where a fragment has a type condition: no id is decoded otherwise.
  const fields = collect(sets, walk, conditional(sets, walk.fragments) ? runtimeTypeOf(object, walk.schema) : undefined);
  const keys = Object.keys(object);
  let inOrder = true;
  let at = 0;
  for (const key of fields.keys()) {
    if (!(key in object)) continue;
    if (keys[at++] !== key) {
      inOrder = false;
      break;
    }
  }
  // Copied only when a key moved or a value inside changed (an answer's objects are mostly in
  // order already): no allocation for an object left as it is.
  let out: Record<string, unknown> | undefined = inOrder ? undefined : {};
  for (const [key, nodes] of fields) {
    if (!(key in object)) continue;
    const child = ordered(object[key], subSelectionsOf(nodes), walk);
    if (out === undefined && child !== object[key]) {
      // In order up to here: the keys before this one, as they are.
      out = {};
      for (const before of fields.keys()) {
        if (before === key) break;
        if (before in object) out[before] = object[before];
      }
    }
    if (out !== undefined) out[key] = child;
  }
  if (out === undefined) return value;
  // Keys no selection names (none expected): kept, after the rest.
  for (const key of keys) if (!(key in out)) out[key] = object[key];
  return out;
}
