import { describe, expect, it } from 'vitest';
import { importDocument } from '../src/model/import';
import { createTestApp } from './support/app';
import { docDocuments, docFiles } from './support/doc-examples';

// The example queries of README.md and docs/*.md run on both engines: test/contract/docs-examples.ts.
// Here, the import-format documents the docs show, which import writes through SQLite.

const documents = docFiles().flatMap(docDocuments);

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
