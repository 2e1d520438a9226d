import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db';
import { engineOf } from '../db/engine';

/**
 * Whether answers over `db` need useFieldOrder: on an engine that runs statements concurrently
 * (PostgreSQL). SQLite answers statements in the order they were issued, so its answers are in
 * order already and are not walked again.
 */
export function fieldsSettleOutOfOrder(db: Db): boolean {
  const engine = engineOf(db);
  return engine !== undefined && engine.name !== 'sqlite';
}

/**
 * Puts every object of an answer back in the order its fields were asked for, as the GraphQL
 * spec has it (and as answers on SQLite come out). yoga's executor (@graphql-tools/executor)
 * builds an object from its fields' values as each settles: fields that wait on the database
 * land in the order their statements finish. On SQLite every statement finishes in the order
 * it was issued, so the order is the query's; on PostgreSQL statements run concurrently over a
 * pool and `{ a: entity(…) b: entity(…) }` may come back as `{"b":…,"a":…}`, not byte for byte
 * the same answer from one run to the next.
 *
 * Only keys move; no value changes. An object already in order is kept as is.
 */
export function useFieldOrder(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const reorder = (answer: ExecutionResult, set: (next: ExecutionResult) => void) => {
            if (!answer.data) return;
            const root = operationOf(args.document, args.operationName);
            if (!root) return;
            const data = ordered(answer.data, [root.selectionSet], fragmentsOf(args.document));
            if (data !== answer.data) set({ ...answer, data: data as Record<string, unknown> });
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
 * key placed at its first appearance), each with the field nodes merged under it. Type conditions
 * are not checked: a key of a fragment that does not apply is simply absent from the object.
 */
type Collected = Map<string, FieldNode[]>;
const collectedBySet = new WeakMap<SelectionSetNode, Collected>();

function collect(sets: readonly SelectionSetNode[], fragments: Fragments): Collected {
  const single = sets.length === 1 ? sets[0]! : undefined;
  const known = single && collectedBySet.get(single);
  if (known) return known;
  const out: Collected = new Map();
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = out.get(key);
        if (nodes) nodes.push(selection);
        else out.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !visited.has(name)) {
          visited.add(name);
          walk(fragment.selectionSet);
        }
      }
    }
  };
  for (const set of sets) walk(set);
  if (single) collectedBySet.set(single, out);
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
function ordered(value: unknown, sets: readonly SelectionSetNode[], fragments: Fragments): unknown {
  if (value === null || typeof value !== 'object' || sets.length === 0) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = ordered(value[i], sets, fragments);
      if (item !== value[i]) (copy ??= value.slice())[i] = item;
    }
    return copy ?? value;
  }
  const object = value as Record<string, unknown>;
  const fields = collect(sets, fragments);
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
    const child = ordered(object[key], subSelectionsOf(nodes), fragments);
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
