import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql for everything: two copies fail with "from another module or realm".
    alias: { graphql: require.resolve('graphql/index.js') },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A browser's page or a busy server may take more than expect.poll's default second to show an
    // answer on this 2-core machine when the other test files run beside it.
    expect: { poll: { timeout: 10_000 } },
  },
});
