import { readFileSync } from 'node:fs';
import type { Plugin } from 'graphql-yoga';
import { PLAYGROUND_TABS } from '../graphql/playground';
import { fromPackageRoot } from '../package-root';
import { type Asset, assetResponse, makeAsset } from './assets';

export interface Playground {
  /** A few hundred bytes: every script, style and icon is a separate, long-cached file. */
  html: string;
  /** The page's Content-Security-Policy: scripts from this origin only, none inline. */
  policy: string;
  /** By file name, served under `<endpoint>/assets/`. */
  assets: Map<string, Asset>;
}

/**
 * The headers every HTML page carries. The playground gets its own policy, the explorer brings its
 * own (src/http/explorer.ts); any other page gets one that allows no script, style, frame or
 * request at all.
 */
const PAGE_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // The page is a few hundred bytes naming its assets by their hashes: always asked for again, so
  // a new version (new hashes) is seen at once.
  'cache-control': 'no-cache',
} as const;
const STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The playground's policy. Scripts and the editor's language workers come from this origin (its
 * asset files), none inline. Styles must be allowed inline because the editor (Monaco) writes
 * <style> elements and style attributes at run time, which no hash can name; its icons and fonts
 * are data: URLs.
 */
const PLAYGROUND_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Our part of the page's script: starts GraphiQL with our fetcher (see the file for why). */
const CLIENT_SCRIPT = fromPackageRoot('src/http/playground-client.js');

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

async function buildPlayground(endpoint: string): Promise<Playground> {
  // GraphiQL's bundle (9 MB of JavaScript, CSS, the editor's workers and an icon, as strings) is
  // imported on the first visit: a server only ever asked for GraphQL never holds it.
  const graphiql = await import('@graphql-yoga/render-graphiql/graphiql');
  const base = `${endpoint}/assets/`;
  const [script, style, editorWorker, jsonWorker, graphqlWorker, icon] = await Promise.all([
    makeAsset('graphiql', 'js', 'text/javascript; charset=utf-8', graphiql.js),
    makeAsset('graphiql', 'css', 'text/css; charset=utf-8', graphiql.css),
    makeAsset('editor-worker', 'js', 'text/javascript; charset=utf-8', graphiql.editorWorkerService),
    makeAsset('json-worker', 'js', 'text/javascript; charset=utf-8', graphiql.jsonWorker),
    makeAsset('graphql-worker', 'js', 'text/javascript; charset=utf-8', graphiql.graphqlWorker),
    makeAsset('favicon', 'ico', 'image/x-icon', Buffer.from(graphiql.favicon.replace(/^data:[^,]*;base64,/, ''), 'base64')),
  ]);
  const settings = {
    endpoint,
    workers: { editorWorkerService: base + editorWorker.file, json: base + jsonWorker.file, graphql: base + graphqlWorker.file },
    options: { title: 'claimgraph', defaultTabs: PLAYGROUND_TABS, defaultQuery: PLAYGROUND_TABS[0]!.query },
  };
  const boot = await makeAsset(
    'playground',
    'js',
    'text/javascript; charset=utf-8',
    `self.PLAYGROUND = ${JSON.stringify(settings)};\n${readFileSync(CLIENT_SCRIPT, 'utf8')}`,
  );
  const url = (asset: Asset) => escapeHtml(base + asset.file);
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>claimgraph</title>
    <link rel="icon" href="${url(icon)}" />
    <link rel="stylesheet" href="${url(style)}" integrity="${style.integrity}" />
    <script defer src="${url(script)}" integrity="${script.integrity}"></script>
    <script defer src="${url(boot)}" integrity="${boot.integrity}"></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>The playground needs JavaScript. Without it, POST queries to ${escapeHtml(endpoint)}.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
  const assets = new Map([script, style, editorWorker, jsonWorker, graphqlWorker, icon, boot].map((asset) => [asset.file, asset]));
  return { html, policy: PLAYGROUND_POLICY, assets };
}

const playgrounds = new Map<string, Promise<Playground>>();

/** The playground for `endpoint`, built (hashed, compressed) once per process, on first use. */
export function playground(endpoint: string): Promise<Playground> {
  let built = playgrounds.get(endpoint);
  if (!built) playgrounds.set(endpoint, (built = buildPlayground(endpoint)));
  return built;
}

/**
 * The playground's asset files, and security headers on HTML pages: no framing, no type sniffing,
 * no referrer, a Content-Security-Policy.
 */
export function usePageHeaders(graphqlEndpoint: string): Plugin {
  const base = `${graphqlEndpoint}/assets/`;
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith(base)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      const asset = (await playground(graphqlEndpoint)).assets.get(url.pathname.slice(base.length));
      endResponse(
        asset
          ? assetResponse(asset, request, fetchAPI.Response)
          : new fetchAPI.Response('No such file: the playground names its files by their content, so an old name is gone once they change. Reload the page.\n', {
              status: 404,
              headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
            }),
      );
    },
    async onResponse({ request, response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      for (const [name, value] of Object.entries(PAGE_HEADERS)) response.headers.set(name, value);
      // A page that brings its own policy (the explorer's) keeps it.
      if (response.headers.has('content-security-policy')) return;
      const isPlayground = playgrounds.has(graphqlEndpoint) && new URL(request.url).pathname === graphqlEndpoint;
      response.headers.set('content-security-policy', isPlayground ? (await playground(graphqlEndpoint)).policy : STRICT_POLICY);
    },
  };
}
