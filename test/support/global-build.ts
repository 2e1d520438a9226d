import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds dist/ and the explorer (dist/web) once, before any test file runs: files that need the
 * bundle then find it current, instead of building it at the same time as each other. (It imports
 * nothing of ours: global setup runs outside the tests' module graph.)
 */
export default function setup() {
  execFileSync(process.execPath, ['src/cli/build.mjs'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'pipe' });
}
