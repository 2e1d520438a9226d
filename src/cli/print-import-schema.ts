import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importFormatJsonSchema } from '../model/import-format';
import { fromPackageRoot } from '../package-root';

/** The import format's JSON Schema as committed in seed/; a test fails when the two differ. */
export const printedImportSchema = () => `${JSON.stringify(importFormatJsonSchema(), null, 2)}\n`;
export const IMPORT_SCHEMA_FILE = fromPackageRoot('seed', 'import-format.schema.json');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(IMPORT_SCHEMA_FILE, printedImportSchema());
  process.stdout.write(`wrote ${IMPORT_SCHEMA_FILE}\n`);
}
