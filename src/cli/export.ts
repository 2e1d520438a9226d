import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { exportDocument, serializeDocument } from '../model/export';
import { CliError, counts, fileArgument, openConfiguredDatabase, runCli } from './support';

/**
 * `npm run export -- FILE` (or `-` for stdout): writes the whole graph in DATABASE_PATH as one
 * claimgraph/v1 document. The file appears whole or not at all (written aside, then renamed).
 */
await runCli('export', () => {
  const file = fileArgument('npm run export -- FILE   (- writes to stdout)');
  const { db, path } = openConfiguredDatabase({ create: false });
  let text: string;
  let summary: string;
  try {
    const doc = exportDocument(db);
    text = serializeDocument(doc);
    summary = counts({
      entities: Object.keys(doc.entities ?? {}).length,
      sources: Object.keys(doc.sources ?? {}).length,
      claims: Object.keys(doc.claims ?? {}).length,
      relationships: Object.keys(doc.relationships ?? {}).length,
    });
  } finally {
    db.$client.close();
  }
  if (file === '-') {
    process.stdout.write(text);
    return;
  }
  const partial = `${file}.partial-${process.pid}`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new CliError(`cannot write ${file}: ${(error as Error).message}`);
  }
  process.stdout.write(`exported ${path} to ${file}: ${summary}\n`);
});
