import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { type Db, migrateDatabase, openDatabase } from '../src/db';
import { PLAYGROUND_TABS } from '../src/graphql/playground';
import { loadSeed } from '../src/model/seed';
import { silentLogger } from './support/app';
import { CHROMIUM, closeAll } from './support/chromium';
import { editorText, typeQuery } from './support/graphiql';

const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

let db: Db;
let server: Server;
let browser: Browser | undefined;
let page: Page;
let origin: string;
let response: Response | null;
const requested = new Set<string>();
const blocked = new Set<string>();
const pageErrors: string[] = [];
/** Content-Security-Policy violations, as the page's own event and as Chromium's console reports them. */
const violations: string[] = [];

const isLocal = (url: string) => {
  const parsed = new URL(url);
  return parsed.origin === origin || LOCAL_SCHEMES.has(parsed.protocol);
};

const operationEditor = () => page.locator('section[aria-label="Operation Editor"] .monaco-editor');
const tabList = () => page.getByRole('tablist', { name: 'Select active operation' });

/** Monaco draws spaces as non-breaking ones; read an editor's visible lines as plain text. */
describe('GraphiQL playground', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    server = createServer(createApp({ db, logger: silentLogger }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    browser = await chromium.launch(CHROMIUM);
    const context = await browser.newContext();
    // Both levels: the context also sees requests from workers, which the page does not.
    context.on('request', (request) => requested.add(request.url()));
    // Anything bound elsewhere fails, so the page only passes if it works with no network but ours.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      blocked.add(url);
      return route.abort('blockedbyclient');
    });
    await context.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await context.addInitScript(() => {
      const report = (window as unknown as { reportViolation: (text: string) => void }).reportViolation;
      document.addEventListener('securitypolicyviolation', (event) =>
        report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`),
      );
    });
    page = await context.newPage();
    page.on('request', (request) => requested.add(request.url()));
    page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    context.on('weberror', (error) => pageErrors.push(error.error().stack ?? error.error().message));

    response = await page.goto(`${origin}/graphql`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
  }, 60_000);

  afterAll(() => closeAll(browser, server, db));

  it('renders the playground with the example tabs', async () => {
    expect(await page.title()).toBe('claimgraph');
    const editor = operationEditor();
    await editor.waitFor();

    const tabs = tabList().locator('.graphiql-tab-button');
    const names = PLAYGROUND_TABS.map((tab) => /^query (\w+)/m.exec(tab.query)![1]);
    expect(names[0]).toBe('ClaimsSupportedBySource');
    await expect.poll(() => tabs.allInnerTexts()).toEqual(names);
    await expect.poll(() => editorText(editor)).toContain('query ClaimsSupportedBySource {');
  });

  it('runs a query pasted over the first tab\'s example and run at once with Ctrl+Enter', async () => {
    // Before the fix, GraphiQL ran it with the example's operation name, which it learns 100 ms after
    // an edit: "Cannot infer operation ClaimsSupportedBySource".
    const editor = operationEditor();
    const query = 'query PastedLookup { entity(name: "Microsoft") { name } }';
    await editor.locator('.view-lines').click();
    await page.keyboard.press('ControlOrMeta+A');
    // One insertion, as a paste makes it; the browser has applied it when this returns. (Ctrl+V reads
    // the clipboard asynchronously, so a Ctrl+Enter sent right after it could run before it landed.)
    await page.keyboard.insertText(query);
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => editorText(editor)).toBe(query);
    const result = page.locator('section[aria-label="Result Window"] .monaco-editor');
    await expect.poll(() => editorText(result), { timeout: 15_000 }).toContain('"data"');
    const text = await editorText(result);
    expect(text).toContain('"name": "Microsoft"');
    expect(text).not.toContain('Cannot infer operation');
    expect(text).not.toContain('"errors"');
  });

  it('runs a query typed into the editor', async () => {
    const editor = operationEditor();
    const query = '{ entity(name: "Musk") { name aliases } }';
    await typeQuery(page, editor, query);
    const activeTab = tabList().getByRole('tab', { selected: true }).locator('.graphiql-tab-button');
    await expect.poll(() => activeTab.innerText()).toBe('<untitled>');

    await page.getByRole('button', { name: /^Execute query/ }).click();
    const result = page.locator('section[aria-label="Result Window"] .monaco-editor');
    await expect.poll(() => editorText(result), { timeout: 15_000 }).toContain('"name": "Elon Musk"');
  });

  it('makes no request beyond our own server', () => {
    expect(requested.size).toBeGreaterThan(0);
    const offenders = [...requested].filter((url) => !isLocal(url));
    expect(offenders, `requests left ${origin}:\n${offenders.join('\n')}`).toEqual([]);
    expect([...blocked], 'requests the route had to block').toEqual([]);
  });

  it('throws no errors in the page', () => {
    expect(pageErrors, pageErrors.join('\n\n')).toEqual([]);
  });

  it('is served with security headers, and its Content-Security-Policy blocks nothing the playground does', async () => {
    const headers = response!.headers();
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    const policy = headers['content-security-policy']!;
    expect(policy).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
    // Scripts and workers only from this origin (the asset files): no inline script, no eval, no blob:.
    expect(policy).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(policy).toMatch(/(^|; )worker-src 'self'(;|$)/);
    // The earlier tests rendered the editors, loaded the schema and ran a query under this policy.
    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('is a small page whose scripts, styles and icon are separate files, compressed and cached for a year', async () => {
    const html = await response!.text();
    expect(html.length).toBeLessThan(2000);
    expect(response!.headers()['cache-control']).toBe('no-cache');
    const files = [...html.matchAll(/(?:src|href)="(\/graphql\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(files).toHaveLength(4);
    // The editor's workers are files too; the browser fetched every one of them from us.
    const workers = [...requested].filter((url) => /\/graphql\/assets\/[\w-]+-worker\.[0-9a-f]{16}\.js$/.test(url));
    expect(workers.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file).toMatch(/^\/graphql\/assets\/[\w-]+\.[0-9a-f]{16}\.(js|css|ico)$/);
      expect(requested.has(`${origin}${file}`)).toBe(true);
      const brotli = await fetch(`${origin}${file}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(brotli.status).toBe(200);
      expect(brotli.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(brotli.headers.get('vary')).toBe('accept-encoding');
      const plain = await fetch(`${origin}${file}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      const body = Buffer.from(await plain.arrayBuffer());
      if (!file.endsWith('.js')) continue;
      expect(brotli.headers.get('content-encoding')).toBe('br');
      expect(Number(brotli.headers.get('content-length'))).toBeLessThan(body.length / 2);
      const gzipped = await fetch(`${origin}${file}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    }
    const gone = await fetch(`${origin}/graphql/assets/graphiql.0000000000000000.js`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses to run an inline script the policy does not name', async () => {
    // The same policy in a page of our own making: an injected <script> must not run.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
    });
    expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    violations.length = 0;
  });

  it('opened again at its plain address, shows the tab that was active and adds no empty one', async () => {
    // A visitor of its own (a new browser profile), who only looks: GraphiQL keeps the tabs in
    // localStorage, and on the next visit (a bookmark, a link: no `?query=`) added an empty
    // "<untitled>" tab and showed that instead.
    const context = await browser!.newContext();
    try {
      const visitor = await context.newPage();
      const errors: string[] = [];
      visitor.on('pageerror', (error) => errors.push(error.message));
      const names = PLAYGROUND_TABS.map((tab) => /^query (\w+)/m.exec(tab.query)![1]);
      const tabs = visitor.getByRole('tablist', { name: 'Select active operation' }).locator('.graphiql-tab-button');
      const editor = visitor.locator('section[aria-label="Operation Editor"] .monaco-editor');
      for (let visit = 0; visit < 3; visit++) {
        await visitor.goto(`${origin}/graphql`);
        expect(new URL(visitor.url()).search).toBe('');
        await expect.poll(() => tabs.allInnerTexts()).toEqual(names);
        await expect.poll(() => editorText(editor)).toContain(`query ${names[0]} {`);
        await visitor.waitForFunction(() => localStorage.getItem('graphiql:tabState') !== null);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
