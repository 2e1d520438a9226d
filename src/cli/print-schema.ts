import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../graphql/schema';
import { fromPackageRoot } from '../package-root';

/** The SDL as committed in schema/schema.graphql; a test fails when the two differ. */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
export const SDL_FILE = fromPackageRoot('schema', 'schema.graphql');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SDL_FILE, printedSchema());
  process.stdout.write(`wrote ${SDL_FILE}\n`);
}
