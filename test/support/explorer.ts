import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type AppOptions, createApp, httpHandler } from '../../src/app';
import type { Db } from '../../src/db';
import { silentLogger } from './app';
import { ROOT } from './server';

/** Screenshots of the walks: a gitignored folder, kept after the run for a person to look at. */
export const ARTIFACTS = `${ROOT}test-artifacts/explorer`;

/** The explorer's bundle, built as `npm start` builds it (skipped when current). */
export function buildExplorer() {
  execFileSync(process.execPath, ['src/cli/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  mkdirSync(ARTIFACTS, { recursive: true });
}

/** The real app on a free port of this machine, served as main.ts serves it (its handler, with the fast path). */
export async function serve(db: Db, options: Partial<AppOptions> = {}): Promise<{ origin: string; server: Server }> {
  const server = createServer(httpHandler(createApp({ db, logger: silentLogger, ...options })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

/** What a walk must not see: requests bound elsewhere (blocked), console errors, page errors, CSP violations. */
export interface Watch {
  blocked: string[];
  errors: string[];
}

/**
 * A browser context that fails every request not bound to `origin`, and records console errors,
 * uncaught exceptions and Content-Security-Policy violations. Its pages also record each animation
 * frame and long task, for the frame timings the walks print.
 */
export async function watchedContext(browser: Browser, origin: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; watch: Watch }> {
  const watch: Watch = { blocked: [], errors: [] };
  const context = await browser.newContext({ viewport });
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin === origin || LOCAL_SCHEMES.has(url.protocol)) return route.continue();
    watch.blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  context.on('page', (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') watch.errors.push(`console: ${message.text()}`);
    });
    // With where it was thrown: a page error seen once in a while is found by its stack.
    page.on('pageerror', (error) => watch.errors.push(`page: ${error.stack?.split('\n').slice(0, 6).join('\n') ?? error.message}`));
  });
  await context.exposeFunction('reportViolation', (text: string) => watch.errors.push(`CSP: ${text}`));
  await context.addInitScript(() => {
    const w = window as unknown as { reportViolation: (text: string) => void; frames: number[]; longTasks: [number, number][] };
    document.addEventListener('securitypolicyviolation', (event) => w.reportViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber}:${event.columnNumber})`));
    w.frames = [];
    w.longTasks = [];
    const frame = (time: number) => {
      w.frames.push(time);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
  });
  return { context, watch };
}

/** The longest gap between two animation frames, and the longest task, since the last `explorer:data` mark. */
export async function longestFrameAfterData(page: Page): Promise<{ frameMs: number; longTaskMs: number }> {
  return page.evaluate(() => {
    const w = window as unknown as { frames: number[]; longTasks: [number, number][] };
    const marks = performance.getEntriesByName('explorer:data');
    const since = marks.length ? marks[marks.length - 1]!.startTime : 0;
    let frameMs = 0;
    for (let i = 1; i < w.frames.length; i++) if (w.frames[i]! > since) frameMs = Math.max(frameMs, w.frames[i]! - Math.max(since, w.frames[i - 1]!));
    const longTaskMs = Math.max(0, ...w.longTasks.filter(([start, duration]) => start + duration > since).map(([, duration]) => duration));
    return { frameMs: Math.round(frameMs), longTaskMs: Math.round(longTaskMs) };
  });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is (run through the debugger, so
 * the page's policy does not block it). axe-core adds <style> elements of its own, which the page's
 * policy refuses: those reports, made while it runs, are not the explorer's and are dropped.
 */
export async function seriousViolations(page: Page, watch: Watch): Promise<string[]> {
  const before = watch.errors.length;
  await page.evaluate(`${AXE};0`);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  // Policy reports arrive as events a moment later: once the page has run its queued tasks (which
  // dispatch them), and the reports it sent before this round trip's answer have been taken in.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  await page.waitForTimeout(50);
  const during = watch.errors.splice(before);
  watch.errors.push(...during.filter((error) => !/^CSP: style-src-elem blocked inline |^console: Applying inline style violates/.test(error)));
  return found;
}
