import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Plugin } from 'graphql-yoga';
import { isExplorerPath } from '../../web/src/routes';
import { fromPackageRoot } from '../package-root';
import { type Asset, assetResponse, makeAsset } from './assets';

/** Where src/cli/build.mjs (so `npm start`) writes the explorer's bundle: index.html and assets/. */
export const EXPLORER_DIR = fromPackageRoot('dist/web');
/** Vite names the bundle's files by their content's hash, under this path. */
export const EXPLORER_ASSETS = '/assets/';

/**
 * The explorer's policy: scripts, styles and requests to this origin only, none inline, no frames,
 * no forms posted anywhere. Images may be data: URLs (the graph library draws into canvases).
 */
export const EXPLORER_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

interface Explorer {
  html: string;
  assets: Map<string, Asset>;
}

/** Reads and compresses the bundle once; null when it has not been built. */
async function loadExplorer(dir: string): Promise<Explorer | null> {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return null;
  const folder = join(dir, 'assets');
  const names = existsSync(folder) ? readdirSync(folder) : [];
  const assets = await Promise.all(
    names.map(async (name) => {
      const asset = await makeAsset(name, 'bin', TYPES[extname(name)] ?? 'application/octet-stream', readFileSync(join(folder, name)));
      // Served under Vite's own name (already carrying a hash of the content), which the page names.
      return { ...asset, file: name };
    }),
  );
  return { html: readFileSync(index, 'utf8'), assets: new Map(assets.map((asset) => [asset.file, asset])) };
}

const NOT_BUILT =
  'The explorer has not been built. `npm start` builds it (or run `npm run build`); the GraphQL API and its playground are at /graphql.\n';

/**
 * The explorer at `/`: its page for every address it has (so a deep link or a reload opens the
 * same view), and its files under /assets/, compressed once and cached for a year.
 */
export function useExplorer(dir: string = EXPLORER_DIR): Plugin {
  let explorer: Promise<Explorer | null> | undefined;
  const load = () => (explorer ??= loadExplorer(dir));
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      const asset = url.pathname.startsWith(EXPLORER_ASSETS);
      if (!asset && !isExplorerPath(url.pathname)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      const built = await load();
      const text = (status: number, body: string) =>
        new fetchAPI.Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
      if (asset) {
        const file = built?.assets.get(url.pathname.slice(EXPLORER_ASSETS.length));
        endResponse(
          file
            ? assetResponse(file, request, fetchAPI.Response)
            : text(404, 'No such file: the explorer names its files by their content, so an old name is gone once they change. Reload the page.\n'),
        );
        return;
      }
      if (!built) {
        endResponse(text(404, NOT_BUILT));
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : built.html, {
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': EXPLORER_POLICY },
        }),
      );
    },
  };
}
