import jsonc from 'jsonc-parser';

/**
 * How deeply arrays and objects may nest in a request's variables and extensions, and in an import
 * document. Ours nest at most five levels; a deeper value is refused before anything recursive
 * (JSON.stringify, a parser's visitor) walks it and runs out of stack.
 */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests arrays/objects more than `max` levels deep; walks without recursion. */
export function nestsDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

export interface DuplicateKey {
  /** Where the second mention is: the path of the object holding it, then the key. */
  path: (string | number)[];
  line: number;
  column: number;
}

/**
 * The keys a JSON text names twice in one object. JSON.parse keeps the last of them silently, so
 * a document could say one thing to a reader and another to the importer. Call only on text that
 * JSON.parse accepted and `nestsDeeperThan` passed: the visitor recurses.
 */
export function duplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const open: Set<string>[] = [];
  jsonc.visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (property, _offset, _length, line, column, pathSupplier) => {
        const keys = open.at(-1)!;
        if (keys.has(property)) found.push({ path: [...pathSupplier(), property], line: line + 1, column: column + 1 });
        keys.add(property);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}
