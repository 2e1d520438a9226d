import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds package.json, found by walking up from this module. Files shipped beside
 * the code (migrations/, seed/, schema/) are located from here rather than relative to the module,
 * since the same code runs from src/ (tsx, tests) and bundled into dist/ by src/cli/build.mjs.
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `fromPackageRoot('migrations')`. */
export const fromPackageRoot = (...segments: string[]) => join(PACKAGE_ROOT, ...segments);
