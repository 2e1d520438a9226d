import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../web/codegen';

describe("the explorer's typed documents", () => {
  it('web/src/gql.ts, web/src/persisted.ts and web/persisted-documents.json are what web/codegen.ts makes (run `npm run web:codegen` when this fails)', async () => {
    for (const [path, text] of await generateFiles()) expect(readFileSync(path, 'utf8'), path).toBe(text);
  });
});
