import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation selects `path` (field names, each in the one before) beneath the field
 * being resolved, through fragments and inline fragments: so a resolver does work that only some
 * selections need only when asked. Directives (@skip, @include) are not weighed: a field they
 * leave out counts as selected, which costs work, never an answer.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const within = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): boolean => {
    if (!set) return false;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== path[depth]) continue;
        if (depth === path.length - 1 || within(selection.selectionSet, depth + 1, seen)) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (within(selection.selectionSet, depth, seen)) return true;
      } else {
        const name = selection.name.value;
        if (seen.has(name)) continue;
        const fragment = info.fragments[name];
        if (fragment && within(fragment.selectionSet, depth, new Set(seen).add(name))) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => within(node.selectionSet, 0, new Set()));
}
