import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layer rule: a file imports only from its own layer or the ones below it, and files import
 * each other in a circle only among the Pothos type files (src/graphql/types/), which reference
 * one another's types. From the bottom up; a file belongs to the first layer whose prefix it has.
 */
const LAYERS: [layer: string, prefixes: string[]][] = [
  ['schema', ['schema/']],
  ['domain', ['src/domain/']],
  // The explorer's addresses: the server answers its page at each of them.
  ['explorer routes', ['web/src/routes.ts']],
  ['config', ['src/config.ts', 'src/log.ts', 'src/auth.ts', 'src/package-root.ts']],
  ['deadline', ['src/deadline.ts']],
  ['db', ['src/db/']],
  ['model', ['src/model/']],
  ['cache', ['src/cache/']],
  ['graphql', ['src/graphql/']],
  ['http', ['src/http/']],
  ['app', ['src/app.ts']],
  ['entry points', ['src/main.ts', 'src/cli/']],
];

const ROOT = resolve(__dirname, '..');
const CIRCLES_ALLOWED = 'src/graphql/types/';

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = `${folder}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): number {
  const index = LAYERS.findIndex(([, prefixes]) => prefixes.some((prefix) => file === prefix || file.startsWith(prefix)));
  if (index < 0) throw new Error(`${file} is in no layer: add it to LAYERS in test/layers.test.ts`);
  return index;
}

/** The project files a file imports (type-only imports too: they tie the code together as much). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.map((specifier) => {
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
    for (const candidate of [target, `${target}.ts`, `${target}/index.ts`]) {
      try {
        if (statSync(join(ROOT, candidate)).isFile()) return candidate;
      } catch {}
    }
    throw new Error(`${file} imports ${specifier}, which names no file`);
  });
}

const files = [...sourceFiles('src'), ...sourceFiles('schema')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Tarjan's strongly connected components: each circle of files that import each other. */
function circles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe('the layers of the code', () => {
  it('every import looks down or sideways, never up', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${file} (${LAYERS[layerOf(file)]![0]}) imports ${target} (${LAYERS[layerOf(target)]![0]})`),
    );
    expect(upward).toEqual([]);
  });

  it('files import each other in a circle only among the Pothos type files', () => {
    const outside = circles().filter((circle) => !circle.every((file) => file.startsWith(CIRCLES_ALLOWED)));
    expect(outside).toEqual([]);
  });

  it('knows every source file and follows its imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get('src/app.ts')).toContain('src/graphql/schema.ts');
    for (const file of files) layerOf(file);
  });
});
