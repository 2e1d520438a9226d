import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Before any test file runs: builds dist/ and the explorer (dist/web) once, so that files that
 * need the bundle find it current instead of building it at the same time as each other; and
 * gives the run a temporary folder of its own (TMPDIR, which the test processes, the servers and
 * the PostgreSQL clusters they start all inherit), removed with everything in it when the run
 * ends, so that no test's databases, dumps or clusters are left behind in the system's.
 * (It imports nothing of ours: global setup runs outside the tests' module graph.)
 */
export default function setup() {
  execFileSync(process.execPath, ['src/cli/build.mjs'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'pipe' });
  const root = mkdtempSync(join(tmpdir(), 'claimgraph-run-'));
  // The clusters' own user (tests run as root start PostgreSQL as postgres) must reach its folder in it.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch (error) {
      // A file system a test mounted and left mounted: said, and left for a person to look at.
      console.warn(`the run's temporary folder ${root} was not removed whole: ${(error as Error).message}`);
    }
  };
}
