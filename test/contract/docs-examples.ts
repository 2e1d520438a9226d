import { beforeAll, describe, expect } from 'vitest';
import { TEST_TOKEN } from '../support/app';
import { type DocExample, docExamples, docFiles } from '../support/doc-examples';

import type { EngineTestApp } from '../support/engines';
import type { ContractModule } from './contract';

export default {
  name: 'docs-examples',
  register({ app: makeApp, it }) {
    // Every example query shown in README.md and docs/*.md runs here against a freshly seeded database
    // and must give exactly the answer shown, so the documentation cannot drift from the service.
    // The convention (what makes a block an example, its variables, writes) is in docs/architecture.md.

    let reads: EngineTestApp;
    beforeAll(async () => {
      reads = await makeApp();
    });

    /** The response as a client sees it; `extensions` (the cost every answer carries) only when shown. */
    async function run(example: DocExample): Promise<unknown> {
      const app = example.write ? await makeApp({ apiToken: TEST_TOKEN }) : reads;
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
  },
} satisfies ContractModule;
