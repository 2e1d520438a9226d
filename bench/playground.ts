/**
 * `npx tsx bench/playground.ts`: how much the playground page costs a browser, and how long it
 * takes to show. Starts the app in-process on a free port, then drives Debian's Chromium:
 *
 * - first visit: a fresh server process (the playground is built on it) and an empty browser cache;
 * - empty cache: a new browser context each time, against the warmed server;
 * - reload: the same context again, its cache full.
 *
 * Each on localhost and through Chromium's network emulation (THROTTLE: a 20 Mbit/s line with 40 ms
 * of latency). "Shown" is when the operation editor and the example tabs are on screen, read in the page
 * (performance.now(), from the start of navigation); bytes are what crossed the wire (compressed)
 * and the decoded HTML. Medians of RUNS.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { createApp } from '../src/app';
import { migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { silentLogger } from '../test/support/app';

const RUNS = Number(process.env.RUNS ?? 5);
const THROTTLE = { offline: false, latency: 40, downloadThroughput: (20e6 / 8) | 0, uploadThroughput: (5e6 / 8) | 0 };
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

interface Visit {
  shownMs: number;
  fcpMs: number;
  htmlBytes: number;
  transferredBytes: number;
  requests: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function visit(browser: Browser, url: string, throttled: boolean, runs: number): Promise<{ cold: Visit; reload: Visit }[]> {
  const results: { cold: Visit; reload: Visit }[] = [];
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (throttled) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', THROTTLE);
    }
    let transferred = 0;
    let requests = 0;
    context.on('requestfinished', async (request) => {
      requests++;
      const sizes = await request.sizes().catch(() => undefined);
      if (sizes) transferred += sizes.responseBodySize + sizes.responseHeadersSize;
    });
    const once = async (reload: boolean): Promise<Visit> => {
      transferred = 0;
      requests = 0;
      // A reload keeps the `?query=` GraphiQL writes into the address, as a person's reload does.
      const response = reload ? await page.reload({ waitUntil: 'commit' }) : await page.goto(url, { waitUntil: 'commit' });
      const htmlBytes = (await response!.body()).length;
      const shownMs = await page.waitForFunction(
        () => {
          const lines = document.querySelector('section[aria-label="Operation Editor"] .monaco-editor .view-lines');
          const tabs = [...document.querySelectorAll('.graphiql-tab-button')].map((tab) => tab.textContent);
          return lines && tabs.includes('ClaimsSupportedBySource') ? performance.now() : false;
        },
        undefined,
        { polling: 'raf', timeout: 20_000 },
      ).catch(async (error) => {
        await page.screenshot({ path: '/tmp/pg-shot.png' });
        console.error(page.url(), await page.evaluate(() => JSON.stringify(localStorage)));
        throw error;
      });
      // Let the editor's workers and the schema's introspection finish, and their sizes be read.
      await page.waitForTimeout(throttled ? 4000 : 1500);
      const fcpMs = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
      return { shownMs: (await shownMs.jsonValue()) as number, fcpMs, htmlBytes, transferredBytes: transferred, requests };
    };
    const cold = await once(false);
    const reload = await once(true);
    results.push({ cold, reload });
    await context.close();
  }
  return results;
}

const row = (name: string, visits: Visit[]) =>
  `| ${name} | ${Math.round(median(visits.map((v) => v.shownMs)))} | ${Math.round(median(visits.map((v) => v.fcpMs)))} | ${(median(visits.map((v) => v.htmlBytes)) / 1024).toFixed(1)} KB | ${(median(visits.map((v) => v.transferredBytes)) / 2 ** 20).toFixed(2)} MB | ${median(visits.map((v) => v.requests))} |`;

async function main() {
  const db = openDatabase({ path: ':memory:' });
  migrateDatabase(db);
  loadSeed(db);
  const server = createServer(createApp({ db, logger: silentLogger }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const browser = await chromium.launch(CHROMIUM);
  try {
    const first = (await visit(browser, url, false, 1))[0]!.cold;
    const local = await visit(browser, url, false, RUNS);
    const throttled = await visit(browser, url, true, RUNS);
    console.log(`| visit | shown ms | first paint ms | HTML | transferred | requests (cache hits too) |`);
    console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
    console.log(row('first visit to a fresh process, localhost', [first]));
    console.log(row('empty cache, localhost', local.map((r) => r.cold)));
    console.log(row('reload, localhost', local.map((r) => r.reload)));
    console.log(row('empty cache, 20 Mbit/s, 40 ms', throttled.map((r) => r.cold)));
    console.log(row('reload, 20 Mbit/s, 40 ms', throttled.map((r) => r.reload)));
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
    db.$client.close();
  }
}

await main();
