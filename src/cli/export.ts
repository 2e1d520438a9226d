import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { exportCsv } from '../model/csv';
import { exportDocument, serializeDocument } from '../model/export';
import { exportGraphml } from '../model/graphml';
import { graphJsonLd } from '../model/jsonld';
import { CliError, counts, openConfiguredDatabase, runCli } from './support';

/** What `--format` takes; json (claimgraph/v1, which `npm run import` reads back) is the default. */
export const EXPORT_FORMATS = ['json', 'jsonld', 'csv', 'graphml'] as const;
type Format = (typeof EXPORT_FORMATS)[number];
/** The JSON-LD `@id`s' origin when `--base` is not given: the server's on this machine. */
const DEFAULT_BASE = 'http://localhost:4000';

const USAGE = `usage: npm run export -- [--format ${EXPORT_FORMATS.join('|')}] [--base URL] FILE
  FILE is a file (- writes to stdout), or for csv a folder that gets one file per table;
  --base is the server's public origin, which JSON-LD ids start with (default ${DEFAULT_BASE})`;

function parseArguments(args: string[]): { format: Format; base: string; target: string } {
  let format: Format = 'json';
  let base = DEFAULT_BASE;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--format' || flag === '--base') {
      const value = inline ?? args[++i];
      if (value === undefined) throw new CliError(`${flag} needs a value\n${USAGE}`);
      if (flag === '--format') {
        if (!(EXPORT_FORMATS as readonly string[]).includes(value)) throw new CliError(`unknown format "${value}": use one of ${EXPORT_FORMATS.join(', ')}`);
        format = value as Format;
      } else {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          throw new CliError(`--base ${value} is not a URL: give the server's origin, such as https://claims.example.org`);
        }
        base = value.replace(/\/+$/, '');
        if (!/^https?:$/.test(url.protocol)) throw new CliError(`--base ${value}: use an http or https URL`);
      }
    } else if (arg === '--help' || arg === '-h' || (arg.startsWith('-') && arg !== '-')) {
      throw new CliError(arg === '--help' || arg === '-h' ? USAGE : `unknown option ${arg}\n${USAGE}`);
    } else rest.push(arg);
  }
  if (rest.length !== 1) throw new CliError(USAGE);
  if (format === 'csv' && rest[0] === '-') throw new CliError('csv writes one file per table: give a folder, not -');
  return { format, base, target: rest[0]! };
}

/** Writes `text` to `file` whole or not at all (written aside, then renamed). */
function writeWhole(file: string, text: string) {
  const partial = `${file}.partial-${process.pid}`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new CliError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

/**
 * `npm run export -- [--format json|jsonld|csv|graphml] FILE`: writes the whole graph in
 * DATABASE_PATH. json is the claimgraph/v1 import document; the others are described in
 * docs/formats.md. Each file appears whole or not at all. With DATABASE_URL, the graph in
 * PostgreSQL, read in one snapshot (src/cli/postgres.ts): the same bytes as SQLite's export.
 */
await runCli('export', async () => {
  const { format, base, target } = parseArguments(process.argv.slice(2));
  const url = loadConfig().DATABASE_URL;
  const { db, path } = url
    ? await import('./postgres').then(async ({ postgresSnapshot, redactUrl }) => ({ db: await postgresSnapshot(url), path: redactUrl(url) }))
    : openConfiguredDatabase({ create: false });
  let files: Record<string, string>;
  let summary: string;
  try {
    if (format === 'json') {
      const doc = exportDocument(db);
      files = { [target]: serializeDocument(doc) };
      summary = counts({
        entities: Object.keys(doc.entities ?? {}).length,
        sources: Object.keys(doc.sources ?? {}).length,
        claims: Object.keys(doc.claims ?? {}).length,
        relationships: Object.keys(doc.relationships ?? {}).length,
      });
    } else if (format === 'jsonld') {
      const doc = graphJsonLd(db, base);
      files = { [target]: `${JSON.stringify(doc, null, 2)}\n` };
      summary = `${doc['@graph'].length} nodes`;
    } else if (format === 'graphml') {
      const graph = exportGraphml(db);
      files = { [target]: graph.text };
      summary = `${graph.nodes} nodes, ${graph.edges} edges`;
    } else {
      const csv = exportCsv(db);
      files = Object.fromEntries(Object.entries(csv.files).map(([name, text]) => [join(target, name), text]));
      summary = Object.entries(csv.rows)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ');
    }
  } finally {
    db.$client.close();
  }
  if (target === '-') {
    // A reader that stops early (`| head`) closes the pipe: that ends the export, it is no failure.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
    process.stdout.write(files[target]!);
    return;
  }
  if (format === 'csv') {
    try {
      mkdirSync(target, { recursive: true });
    } catch (error) {
      throw new CliError(`cannot create the folder ${target}: ${(error as Error).message}`);
    }
  }
  for (const [file, text] of Object.entries(files)) writeWhole(file, text);
  process.stdout.write(`exported ${path} to ${target} as ${format}: ${summary}\n`);
});
