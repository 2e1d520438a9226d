import { readFileSync } from 'node:fs';
import { ImportError, importDocument } from '../model/import';
import { CliError, counts, fileArgument, openConfiguredDatabase, runCli } from './support';

/**
 * `npm run import -- FILE` (or `-` for stdin): validates the whole document, then upserts it by
 * slug into DATABASE_PATH in one transaction. On any problem it lists them all and writes nothing.
 */
await runCli('import', () => {
  const file = fileArgument('npm run import -- FILE   (a claimgraph/v1 JSON document; - reads stdin)');
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${name}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not JSON: ${(error as Error).message}; nothing was written`);
  }

  const { db, path } = openConfiguredDatabase({ create: true });
  try {
    const report = importDocument(db, document);
    process.stdout.write(
      `imported ${name} into ${path}\n  created: ${counts(report.created)}\n  updated: ${counts(report.updated)}\n`,
    );
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    const lines = error.issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    if (error.stage === 'shape') lines.push('(References to other rows are checked once these are fixed.)');
    process.stderr.write(
      `claimgraph import: ${name} was not imported; nothing was written. ${error.issues.length} problem(s):\n${lines.join('\n')}\n`,
    );
    process.exitCode = 1;
  } finally {
    db.$client.close();
  }
});
