/**
 * `npm run build` (also run by `prestart` and before each compiled command): bundles the server and the
 * command-line entries into dist/ as plain JavaScript, so production runs on `node` alone, with
 * neither a transpiler in the process nor the cost of one at start. Dependencies stay external
 * (loaded from node_modules as they are); linked source maps let `--enable-source-maps` point
 * stacks at the .ts lines.
 *
 * Then builds the explorer (web/, with Vite) into dist/web, which the server serves at `/`.
 *
 * Each is skipped when current: its stamp is newer than every file and folder in its inputs (a
 * folder's time changes when a file in it is added, removed or renamed). `--force` always builds;
 * `--server-only` leaves the explorer alone.
 * Everything it says goes to stderr, since `npm run export -- -` writes its answer to stdout.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OUT_DIR = join(ROOT, 'dist');
/** Written last, with the time the build started: an input edited during a build makes it stale. */
export const STAMP = join(OUT_DIR, '.built');
/** What the bundles are made from: a change to any of them makes dist/ stale. */
const INPUTS = ['src', 'schema', 'web/src/routes.ts', 'package.json', 'tsconfig.json'];
/** The explorer's bundle (Vite), served by the server at `/`: its own folder and stamp. */
export const WEB_OUT_DIR = join(OUT_DIR, 'web');
const WEB_STAMP = join(OUT_DIR, '.web-built');
const WEB_INPUTS = ['web', 'package.json'];
/** The server and the commands that operators run; the print-* generators write into the source tree and stay on tsx. */
const ENTRIES = ['main', 'cli/import', 'cli/export', 'cli/backup', 'cli/seed', 'cli/generate'];

const say = (line) => process.stderr.write(`build: ${line}\n`);

/** The latest modification time under `path` (a file, or a folder and everything in it), in ms. */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

/** Why dist/ must be rebuilt, or null when it is current. */
function staleness() {
  if (!existsSync(STAMP)) return 'dist/ has not been built';
  const missing = ENTRIES.find((entry) => !existsSync(join(OUT_DIR, `${entry}.js`)));
  if (missing) return `dist/${missing}.js is missing`;
  const built = statSync(STAMP).mtimeMs;
  const changed = INPUTS.find((input) => newest(join(ROOT, input)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

/** Why dist/web must be rebuilt, or null when it is current. */
function webStaleness() {
  if (!existsSync(WEB_STAMP) || !existsSync(join(WEB_OUT_DIR, 'index.html'))) return 'dist/web has not been built';
  const built = statSync(WEB_STAMP).mtimeMs;
  const changed = WEB_INPUTS.find((input) => newest(join(ROOT, input)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

/** The explorer: Vite bundles web/ into dist/web (hashed file names, no inline script). */
async function buildWeb() {
  const reason = process.argv.includes('--force') ? '--force' : webStaleness();
  if (!reason) {
    say('dist/web is current; skipped');
    return;
  }
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'web/vite.config.ts'), logLevel: 'warn' });
  writeFileSync(WEB_STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(WEB_STAMP, started / 1000, started / 1000);
  say(`built the explorer into ${relative(ROOT, WEB_OUT_DIR)} in ${Date.now() - started} ms (${reason})`);
}

async function main() {
  await buildServer();
  if (!process.argv.includes('--server-only')) await buildWeb();
}

async function buildServer() {
  const reason = process.argv.includes('--force') ? '--force' : staleness();
  if (!reason) {
    say('dist/ is current; skipped');
    return;
  }
  const started = Date.now();
  // Imported only here, so the usual case (nothing to do) does not load it.
  const { build } = await import('esbuild');
  const { outputFiles } = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES.map((entry) => ({ in: `src/${entry}.ts`, out: entry })),
    outdir: OUT_DIR,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // Stacks need only the mappings; the .ts files are in the package beside dist/.
    sourcesContent: false,
    logLevel: 'warning',
    write: false,
  });
  // Each file replaces the old one whole (written beside it, then renamed over it): a process
  // starting from dist/ while a build runs, or a second build at the same time, never reads a
  // half-written bundle.
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(STAMP, started / 1000, started / 1000);
  say(`built ${ENTRIES.map((entry) => relative(ROOT, join(OUT_DIR, `${entry}.js`))).join(', ')} in ${Date.now() - started} ms (${reason})`);
}

main().catch((error) => {
  say(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
