import { beforeAll, describe, expect, it } from 'vitest';
import { importDocument } from '../src/model/import';
import { createTestApp, TEST_TOKEN, type TestApp } from './support/app';
import { type DocExample, docDocuments, docExamples, docFiles } from './support/doc-examples';

// Every example query shown in README.md and docs/*.md runs here against a freshly seeded database
// and must give exactly the answer shown, so the documentation cannot drift from the service.
// The convention (what makes a block an example, its variables, writes) is in docs/architecture.md.

let reads: TestApp;
beforeAll(() => {
  reads = createTestApp();
});

/** The response as a client sees it; `extensions` (the cost every answer carries) only when shown. */
async function run(example: DocExample): Promise<unknown> {
  const app = example.write ? createTestApp({ apiToken: TEST_TOKEN }) : reads;
  const { status: _status, ...body } = example.write ? await app.mutate(example.query, example.variables) : await app.gql(example.query, example.variables);
  const shown = example.answer as Record<string, unknown> | undefined;
  if (shown && typeof shown === 'object' && !('extensions' in shown)) delete (body as { extensions?: unknown }).extensions;
  return body;
}

const files = docFiles();
const examples = files.flatMap(docExamples);

describe('examples in the docs', () => {
  it('finds the examples, in README.md and in docs/', () => {
    expect(files).toContain('README.md');
    expect(examples.filter((e) => e.file === 'README.md').length).toBeGreaterThan(0);
    expect(examples.filter((e) => e.file.startsWith('docs/')).length).toBeGreaterThan(10);
  });

  it.each(examples.map((e) => [`${e.file}:${e.line}`, e] as const))('%s gives the answer it shows', async (_where, example) => {
    expect(example.problem, example.problem).toBeUndefined();
    expect(example.answer, 'a ```graphql block needs a ```json block after it with its answer').toBeDefined();
    expect(await run(example)).toEqual(example.answer);
  });
});

const documents = files.flatMap(docDocuments);

describe('import-format documents in the docs', () => {
  it('finds the sample document', () => {
    expect(documents.map((d) => d.file)).toContain('docs/import-format.md');
  });

  it.each(documents.map((d) => [`${d.file}:${d.line}`, d] as const))('%s imports into the seeded database', (_where, d) => {
    expect(d.problem, d.problem).toBeUndefined();
    const { db } = createTestApp();
    const report = importDocument(db, d.document);
    expect(Object.values(report.created).some((n) => n > 0)).toBe(true);
  });
});
