import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The explorer's bundle, built into dist/web by src/cli/build.mjs (so by `npm start` and before the
 * browser tests) and served by the server itself. Vite names each file by its content's hash, so the
 * server can cache them for a year. Preact: the same component model as React in a 4 KB runtime.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The polyfill would be an inline script, which the page's Content-Security-Policy forbids.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
