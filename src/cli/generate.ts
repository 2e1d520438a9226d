import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db';
import { generateFile } from '../model/generate';
import { runCli } from './support';

/**
 * `npm run generate -- --entities 10000 --relationships 50000 --claims 20000 --sources 2000 --db FILE`
 * Adds a deterministic synthetic graph (same --seed, same graph) to FILE, creating and migrating it
 * if needed; --fresh starts from an empty file. With DATABASE_URL, into that PostgreSQL database
 * instead (--db is not used): generated into a temporary file, then copied with its ids into an
 * empty database (--fresh empties the graph's tables first), in one transaction.
 */
const { values } = parseArgs({
  options: {
    entities: { type: 'string', default: '10000' },
    relationships: { type: 'string', default: '50000' },
    claims: { type: 'string', default: '20000' },
    sources: { type: 'string', default: '2000' },
    citations: { type: 'string', default: '0-2' },
    seed: { type: 'string', default: '42' },
    db: { type: 'string', default: 'data/generated.db' },
    fresh: { type: 'boolean', default: false },
  },
});

function count(name: string, min = 0): number {
  const raw = values[name as keyof typeof values] as string;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`claimgraph generate: --${name} must be a whole number of at least ${min}, not "${raw}"\n`);
    process.exit(1);
  }
  return n;
}

const citations = /^(\d)-(\d)$/.exec(values.citations);
if (!citations || Number(citations[1]) > Number(citations[2])) {
  process.stderr.write(`claimgraph generate: --citations is a range like 1-3, not "${values.citations}"\n`);
  process.exit(1);
}
const options = {
  entities: count('entities', 2),
  relationships: count('relationships'),
  claims: count('claims'),
  sources: count('sources', 1),
  seed: count('seed'),
  minCitations: Number(citations[1]),
  maxCitations: Number(citations[2]),
};

let url: string | undefined;
try {
  url = loadConfig().DATABASE_URL;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`claimgraph generate: ${error.message}\n`);
  process.exit(1);
}
if (url) {
  const target = url;
  await runCli('generate', async () => {
    const { loadGeneratedIntoPostgres, redactUrl, refuseAGraph, withPostgres } = await import('./postgres');
    // Before generating, which can take minutes; checked again in the transaction that loads.
    if (!values.fresh) await withPostgres(target, (client) => refuseAGraph(client, target));
    const folder = mkdtempSync(join(tmpdir(), 'claimgraph-generate-'));
    try {
      const started = performance.now();
      const file = join(folder, 'generated.db');
      const report = generateFile(file, options);
      const source = openDatabase({ path: file, readonly: true });
      try {
        await loadGeneratedIntoPostgres(target, source, values.fresh);
      } finally {
        source.$client.close();
      }
      process.stdout.write(`${redactUrl(target)}: ${JSON.stringify(report)} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
  process.exit(process.exitCode ?? 0);
}

if (values.fresh && existsSync(values.db)) for (const suffix of ['', '-wal', '-shm']) rmSync(values.db + suffix, { force: true });
mkdirSync(dirname(values.db), { recursive: true });
const started = performance.now();
const report = generateFile(values.db, options);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${values.db}: ${JSON.stringify(report)} in ${seconds.toFixed(1)} s\n`);
