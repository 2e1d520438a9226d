import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { PLAYGROUND_TABS } from '../graphql/playground';

interface Page {
  html: string;
  /** The page's Content-Security-Policy: its own inline scripts run, nothing else does. */
  policy: string;
}

/**
 * The headers every HTML page carries. The playground gets its own policy; any other page gets
 * one that allows no script, style, frame or request at all.
 */
const PAGE_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;
const STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The playground's policy. Its one inline script runs by its hash; styles must be allowed inline
 * because the editor (Monaco) writes <style> elements and style attributes at run time, which no
 * hash can name; its language workers start from blob: URLs it makes; icons and fonts are data: URLs.
 */
function playgroundPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    'worker-src blob:',
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

let playgroundPage: Promise<Page> | undefined;

/**
 * The playground page, assets inlined: it loads nothing from outside this process. Its bundle
 * is large, so it is imported on the first visit, and a server only ever asked for GraphQL never
 * holds it.
 */
export function playground(): Promise<Page> {
  playgroundPage ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => {
    const html = renderGraphiQL({
      title: 'claimgraph',
      defaultTabs: PLAYGROUND_TABS,
      defaultQuery: PLAYGROUND_TABS[0]!.query ?? undefined,
    });
    return { html, policy: playgroundPolicy(html) };
  });
  return playgroundPage;
}

/** Security headers on HTML pages: no framing, no type sniffing, no referrer, a Content-Security-Policy. */
export function usePageHeaders(graphqlEndpoint: string): Plugin {
  return {
    async onResponse({ request, response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      for (const [name, value] of Object.entries(PAGE_HEADERS)) response.headers.set(name, value);
      const isPlayground = playgroundPage && new URL(request.url).pathname === graphqlEndpoint;
      response.headers.set('content-security-policy', isPlayground ? (await playground()).policy : STRICT_POLICY);
    },
  };
}
