import { readFileSync } from 'node:fs';
import { loadConfig } from '../config';
import { ImportError, importDocument, parseImportText } from '../model/import';
import { CliError, counts, fileArgument, openConfiguredDatabase, runCli } from './support';

/**
 * `npm run import -- FILE` (or `-` for stdin): validates the whole document (its JSON text too:
 * no key twice in one object), then upserts it by slug into DATABASE_PATH in one transaction.
 * On any problem it lists them all and writes nothing. With DATABASE_URL, the same into
 * PostgreSQL (src/cli/postgres.ts: the same checks and upsert, written in one transaction).
 */
await runCli('import', async () => {
  const file = fileArgument('npm run import -- FILE   (a claimgraph/v1 JSON document; - reads stdin)');
  const name = file === '-' ? 'stdin' : file;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    throw new CliError(`cannot read ${name}: ${(error as Error).message}`);
  }
  let text: string;
  try {
    // Fatal: bytes that are not UTF-8 would otherwise become replacement characters in the graph.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${name} is not UTF-8 text; nothing was written`);
  }
  const refuse = (error: ImportError) => {
    const lines = error.issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    if (error.stage === 'shape') lines.push('(References to other rows are checked once these are fixed.)');
    process.stderr.write(
      `claimgraph import: ${name} was not imported; nothing was written. ${error.issues.length} problem(s):\n${lines.join('\n')}\n`,
    );
    process.exitCode = 1;
  };
  let document: unknown;
  try {
    // Before the database is opened: a file that is not a document creates none.
    document = parseImportText(text);
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    return refuse(error);
  }

  const url = loadConfig().DATABASE_URL;
  if (url) {
    const { importIntoPostgres, redactUrl } = await import('./postgres');
    try {
      const report = await importIntoPostgres(url, document);
      process.stdout.write(`imported ${name} into ${redactUrl(url)}\n  created: ${counts(report.created)}\n  updated: ${counts(report.updated)}\n`);
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      refuse(error);
    }
    return;
  }
  const { db, path } = openConfiguredDatabase({ create: true });
  try {
    const report = importDocument(db, document);
    process.stdout.write(
      `imported ${name} into ${path}\n  created: ${counts(report.created)}\n  updated: ${counts(report.updated)}\n`,
    );
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    refuse(error);
  } finally {
    db.$client.close();
  }
});
