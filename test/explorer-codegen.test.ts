import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, generateTypedDocuments } from '../web/codegen';

describe("the explorer's typed documents", () => {
  it('web/src/gql.ts is what web/codegen.ts makes from the schema and the documents (run `npm run web:codegen` when this fails)', async () => {
    expect(await generateTypedDocuments()).toBe(readFileSync(GENERATED_FILE, 'utf8'));
  });
});
