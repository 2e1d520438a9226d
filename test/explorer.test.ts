import type { Server } from 'node:http';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, migrateDatabase, openDatabase } from '../src/db';
import { generateGraph } from '../src/model/generate';
import { loadSeed } from '../src/model/seed';
import { loadTrustedDocuments } from '../src/http/persisted-queries';
import { ROOT } from './support/server';
import { CHROMIUM } from './support/chromium';
import { ARTIFACTS, buildExplorer, longestFrameAfterData, seriousViolations, serve, type Watch, watchedContext } from './support/explorer';

/**
 * The explorer in Chromium, walked as a person would: find Elon Musk, see his graph, follow a claim
 * to its evidence and to the claim opposing it, find a path, read the timeline, reopen a deep link.
 * Every request must stay on the server, with no console error and no policy violation; axe-core
 * finds no serious or critical violation in any view. Timings are printed, never asserted.
 */

let browser: Browser;
/** Each page's watch, for axe-core's runs (see seriousViolations). */
const watching = new Map<Page, Watch>();

beforeAll(async () => {
  buildExplorer();
  browser = await chromium.launch(CHROMIUM);
});
afterAll(async () => {
  await browser?.close();
});

const search = (page: Page) => page.getByRole('combobox', { name: 'Search entities, claims and sources' });
const heading = (page: Page) => page.getByRole('heading', { level: 1 });

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: false });
}

async function expectAccessible(page: Page, view: string) {
  expect(await seriousViolations(page, watching.get(page)!), `axe-core on ${view}`).toEqual([]);
}

/** Types into a combobox and picks the option whose text contains `option`, with the keyboard only. */
async function pick(page: Page, box: ReturnType<typeof search>, text: string, option: string) {
  await box.fill(text);
  const listbox = page.locator(`#${await box.getAttribute('aria-controls')}`.replace(/:/g, '\\:'));
  await expect.poll(() => listbox.getByRole('option').allInnerTexts(), { timeout: 10_000 }).toContainEqual(expect.stringContaining(option));
  // Down the list until the active option (aria-activedescendant) is the one wanted.
  const activeText = async () => {
    const active = await box.getAttribute('aria-activedescendant');
    return active ? page.locator(`[id="${active}"]`).innerText() : '';
  };
  for (let step = 0; step < 10 && !(await activeText()).includes(option); step++) await box.press('ArrowDown');
  expect(await activeText()).toContain(option);
  await box.press('Enter');
}

interface Walk {
  name: string;
  /** Checks axe-core on each view (the seed's walk; the large graph's shows the same views). */
  axe: boolean;
}

async function walk(page: Page, origin: string, { name, axe }: Walk) {
  // Find: type-ahead from "mus", keyboard only.
  await page.goto(`${origin}/`);
  await expect.poll(() => search(page).isVisible()).toBe(true);
  if (axe) await expectAccessible(page, 'the home page');
  await pick(page, search(page), 'mus', 'Elon Musk');
  await expect.poll(() => heading(page).innerText(), { timeout: 10_000 }).toBe('Elon Musk');
  expect(page.url()).toMatch(/\/entity\/[^/]+$/);
  const musk = page.url();
  // Each relationship says whether the article states it: that he co-founded OpenAI is inferred.
  const coFounded = page.locator('table.relationships tr').filter({ hasText: 'co-founded' });
  await coFounded.waitFor();
  expect(await coFounded.locator('td.basis').innerText()).toMatch(/^inferred: The article speaks only of "co-founder collaboration"/);
  expect(await page.locator('table.relationships tr').filter({ hasText: 'sat on the board of' }).locator('td.basis').innerText()).toBe('stated');
  await page.getByRole('heading', { name: 'Claims about Elon Musk' }).waitFor();
  await page.locator('article.claim').first().waitFor();
  await shot(page, `${name}-entity`);
  if (axe) await expectAccessible(page, 'an entity page');

  // His graph: OpenAI and Tesla drawn (and listed beside the drawing).
  await page.getByRole('navigation', { name: 'Views of Elon Musk' }).getByRole('link', { name: 'Graph', exact: true }).click();
  const list = page.getByRole('region', { name: 'In this graph' });
  await expect.poll(() => list.innerText(), { timeout: 15_000 }).toContain('Organization OpenAI');
  expect(await list.innerText()).toContain('Organization Tesla');
  await expect.poll(() => page.locator('.graph-canvas').getAttribute('data-drawn')).toMatch(/^\d+$/);
  expect(await page.locator('.graph-canvas canvas').count()).toBeGreaterThan(0);
  await shot(page, `${name}-graph`);
  if (axe) await expectAccessible(page, 'the graph');
  // Filtering out organizations takes OpenAI off the graph.
  await page.getByRole('checkbox', { name: 'Organization' }).uncheck();
  await expect.poll(() => list.innerText()).not.toContain('Organization OpenAI');
  await page.getByRole('checkbox', { name: 'Organization' }).check();
  await expect.poll(() => list.innerText()).toContain('Organization OpenAI');
  // As of 2016 he had not yet left OpenAI: that link goes, the others stay.
  const links = () => page.locator('.graph-canvas').getAttribute('data-links').then(Number);
  const allLinks = await links();
  await page.getByRole('checkbox', { name: 'Only links valid in a year' }).check();
  await page.getByRole('slider', { name: 'Year' }).fill('2016');
  await expect.poll(links).toBe(allLinks - 1);
  await page.getByRole('checkbox', { name: 'Only links valid in a year' }).uncheck();
  await expect.poll(links).toBe(allLinks);
  // Keeping only the links a source states takes away the inferred one (he co-founded OpenAI).
  await page.getByRole('checkbox', { name: 'Only links a source states' }).check();
  await expect.poll(links).toBe(allLinks - 1);
  await page.getByRole('checkbox', { name: 'Only links a source states' }).uncheck();
  await expect.poll(links).toBe(allLinks);
  // Expanding OpenAI brings in its neighbours: Microsoft.
  expect(await list.innerText()).not.toContain('Microsoft');
  await list.getByRole('button', { name: 'Expand OpenAI' }).click();
  await expect.poll(() => list.innerText()).toContain('Organization Microsoft');

  // Back to his page, then the claim that he resigned from OpenAI's board in 2018, and its citation.
  await page.goBack();
  await expect.poll(() => heading(page).innerText()).toBe('Elon Musk');
  expect(page.url()).toBe(musk);
  await page.getByRole('link', { name: "Musk stepped down from OpenAI's board in 2018." }).first().click();
  await expect.poll(() => heading(page).innerText()).toBe("Musk stepped down from OpenAI's board in 2018.");
  const citation = page.getByRole('list', { name: 'Citations' }).first().getByRole('listitem').first();
  expect(await citation.innerText()).toMatch(/^Supports CNBC report cited in note \[2\]/);
  expect(await citation.innerText()).toContain('Musk resigned from the OpenAI board in 2018.');
  expect(await page.locator('.meta .support').first().innerText()).toContain('Supported');
  const claimUrl = page.url();
  await shot(page, `${name}-claim`);
  if (axe) await expectAccessible(page, 'a claim page');

  // The GPT-4 secrecy claim, and OpenAI's position opposing it side by side.
  await pick(page, search(page), 'GPT-4 private', 'By keeping model architectures such as GPT-4 private');
  await expect.poll(() => heading(page).innerText()).toContain('By keeping model architectures such as GPT-4 private');
  const opposing = page.locator('.versus').filter({ hasText: 'Developing AI requires competitive secrecy.' });
  await opposing.waitFor();
  expect(await opposing.locator('.side').nth(1).innerText()).toMatch(/claimed by OpenAI|position of OpenAI/);
  // The article does not set these two against each other: the explorer says the pair is inferred.
  const pair = page.locator('.contradiction').filter({ hasText: 'Developing AI requires competitive secrecy.' });
  expect(await pair.locator('p.basis').innerText()).toMatch(/^Inferred: The article does not set these two against each other/);
  await shot(page, `${name}-contradiction`);

  // The path from Musk to Microsoft, in words.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Path', exact: true }).click();
  await expect.poll(() => heading(page).innerText()).toBe('Path between two entities');
  await pick(page, page.getByRole('combobox', { name: 'Search the entity to start from' }), 'Elon Musk', 'Elon Musk');
  await expect.poll(() => page.url()).toContain('from=');
  await pick(page, page.getByRole('combobox', { name: 'Search the entity to reach' }), 'Microsoft', 'Microsoft');
  const steps = page.locator('ol.steps li');
  await steps.first().waitFor({ timeout: 15_000 });
  const words = await steps.allInnerTexts();
  expect(words.length).toBeGreaterThan(0);
  expect(words.join(' ')).toContain('Microsoft');
  expect(page.url()).toMatch(/\/path\?from=.+&to=.+/);
  await shot(page, `${name}-path`);
  if (axe) await expectAccessible(page, 'the path');

  // The timeline, filtered to Musk: 2015 and 2018 on the axis, the undated events in a lane of their own.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Timeline' }).click();
  await page.getByRole('list', { name: 'Dated events, oldest first' }).first().waitFor({ timeout: 15_000 });
  await pick(page, page.getByRole('combobox', { name: 'Show the events of an entity' }), 'Elon Musk', 'Elon Musk');
  await expect.poll(() => heading(page).innerText()).toBe('Timeline of Elon Musk');
  const dated = page.getByRole('list', { name: 'Dated events, oldest first' }).first();
  await dated.waitFor({ timeout: 15_000 });
  const datedText = await dated.innerText();
  expect(datedText).toContain('2015');
  expect(datedText).toContain('2018');
  const undated = page.locator('.undated').first();
  await undated.waitFor();
  const undatedNames = await undated.getByRole('listitem').allInnerTexts();
  expect(undatedNames).toContainEqual(expect.stringContaining('Proposed OpenAI–Tesla merger'));
  expect(await dated.innerText()).not.toContain('Proposed OpenAI–Tesla merger');
  await shot(page, `${name}-timeline`);
  if (axe) await expectAccessible(page, 'the timeline');

  // Back and forward, then a deep link opened afresh.
  await page.goBack();
  await expect.poll(() => page.url()).toMatch(/\/timeline$/);
  await page.goBack();
  await expect.poll(() => page.url()).toContain('/path?');
  await expect.poll(() => page.locator('ol.steps li').count()).toBeGreaterThan(0);
  await page.goForward();
  await expect.poll(() => page.url()).toMatch(/\/timeline$/);
  await page.goForward();
  await expect.poll(() => heading(page).innerText()).toBe('Timeline of Elon Musk');
  await page.goto(claimUrl);
  await expect.poll(() => heading(page).innerText()).toBe("Musk stepped down from OpenAI's board in 2018.");

  // The source's page: the claims it supports, each with its standing.
  await page.getByRole('link', { name: 'CNBC report cited in note [2] of the article' }).first().click();
  await expect.poll(() => heading(page).innerText()).toBe('CNBC report cited in note [2] of the article');
  const supported = page.getByRole('region', { name: /Claims it supports/ });
  expect(await supported.innerText()).toContain("Supported Musk stepped down from OpenAI's board in 2018.");
  if (axe) await expectAccessible(page, 'a source page');
}

function expectClean(watch: Watch) {
  expect(watch.blocked, 'requests bound elsewhere than the server').toEqual([]);
  expect(watch.errors, 'console errors, page errors, policy violations').toEqual([]);
}

describe('the explorer on the article', { timeout: 120_000 }, () => {
  let db: Db;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    ({ server, origin } = await serve(db));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    db?.$client.close();
  });

  it('prints the first useful paint of an entity page opened by its link', async () => {
    const { context, watch } = await watchedContext(browser, origin);
    const page = await context.newPage();
    watching.set(page, watch);
    const id = (db.$client.prepare("SELECT id FROM entities WHERE name = 'Elon Musk'").get() as { id: number }).id;
    await page.goto(`${origin}/entity/${encodeURIComponent(Buffer.from(`Person:${id}`).toString('base64'))}`);
    await page.locator('article.claim').first().waitFor();
    const paint = await page.evaluate(() => ({
      firstContentfulPaint: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1),
      useful: Math.round(performance.now()),
    }));
    console.log(`explorer on the article: first contentful paint ${paint.firstContentfulPaint} ms, an entity page with its claims ${paint.useful} ms after navigation start`);
    await context.close();
    expectClean(watch);
  });

  it('walks the article: search, entity, graph, claim and its evidence, contradiction, path, timeline, deep link, source', async () => {
    const { context, watch } = await watchedContext(browser, origin);
    const page = await context.newPage();
    watching.set(page, watch);
    await walk(page, origin, { name: 'article', axe: true });
    const frames = await longestFrameAfterData(page);
    console.log(`explorer on the article: longest frame after the graph's data ${frames.frameMs} ms, longest task ${frames.longTaskMs} ms`);
    await context.close();
    expectClean(watch);
  });

  it('leaves a graph whose drawing library is still on its way without an error, and draws the next', async () => {
    const { context, watch } = await watchedContext(browser, origin);
    // Cytoscape's chunk held back until the person has gone back from the graph.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    await context.route(/\/assets\/cytoscape/, async (route) => {
      asked = true;
      await held;
      await route.continue();
    });
    const page = await context.newPage();
    const id = (db.$client.prepare("SELECT id FROM entities WHERE name = 'Elon Musk'").get() as { id: number }).id;
    await page.goto(`${origin}/entity/${encodeURIComponent(Buffer.from(`Person:${id}`).toString('base64'))}`);
    await page.locator('article.claim').first().waitFor();
    const views = page.getByRole('navigation', { name: 'Views of Elon Musk' });
    await views.getByRole('link', { name: 'Graph', exact: true }).click();
    await expect.poll(() => asked, { timeout: 15_000 }).toBe(true);
    await page.goBack();
    await page.locator('article.claim').first().waitFor();
    const loaded = page.waitForResponse(/\/assets\/cytoscape/);
    release();
    await loaded;
    // The library has come for a graph no longer on the page: nothing is drawn into its detached element.
    await page.waitForTimeout(300);
    await views.getByRole('link', { name: 'Graph', exact: true }).click();
    await expect.poll(() => page.locator('.graph-canvas').getAttribute('data-drawn'), { timeout: 15_000 }).toMatch(/^\d+$/);
    await context.close();
    expectClean(watch);
  });

  it("sends its operations by id: it works against a server that runs only web/persisted-documents.json's documents", async () => {
    const trusted = await serve(db, { trustedDocuments: loadTrustedDocuments(`${ROOT}web/persisted-documents.json`) });
    try {
      const { context, watch } = await watchedContext(browser, trusted.origin);
      const page = await context.newPage();
      watching.set(page, watch);
      const bodies: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/graphql')) bodies.push(request.postData() ?? '');
      });
      await page.goto(`${trusted.origin}/`);
      await pick(page, search(page), 'mus', 'Elon Musk');
      await expect.poll(() => heading(page).innerText()).toBe('Elon Musk');
      await page.locator('article.claim').first().waitFor();
      await page.getByRole('link', { name: 'Graph', exact: true }).click();
      await expect.poll(() => page.getByRole('region', { name: 'In this graph' }).innerText(), { timeout: 15_000 }).toContain('Organization Tesla');
      expect(bodies.length).toBeGreaterThan(3);
      for (const body of bodies) expect(JSON.parse(body)).not.toHaveProperty('query');
      await context.close();
      expectClean(watch);
    } finally {
      await new Promise((resolve) => trusted.server.close(resolve));
    }
  });

  it('is usable at phone width (390 px)', async () => {
    const { context, watch } = await watchedContext(browser, origin, { width: 390, height: 844 });
    const page = await context.newPage();
    watching.set(page, watch);
    await page.goto(`${origin}/`);
    await pick(page, search(page), 'mus', 'Elon Musk');
    await expect.poll(() => heading(page).innerText()).toBe('Elon Musk');
    await page.locator('article.claim').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-entity');
    await expectAccessible(page, 'an entity page at phone width');
    await page.getByRole('link', { name: 'Graph', exact: true }).click();
    await expect.poll(() => page.getByRole('region', { name: 'In this graph' }).innerText(), { timeout: 15_000 }).toContain('OpenAI');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-graph');
    await expectAccessible(page, 'the graph at phone width');
    // A claim and the claim opposing it: side by side becomes one above the other.
    await pick(page, search(page), 'GPT-4 private', 'By keeping model architectures such as GPT-4 private');
    await page.locator('.versus').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-contradiction');
    await expectAccessible(page, 'a claim page at phone width');
    await context.close();
    expectClean(watch);
  });
});

/** The generated graph's size: issue 5's quick data set (100,000 claims), generated in a few seconds. */
const LARGE = { entities: 10_000, relationships: 50_000, claims: 100_000, sources: 5_000, seed: 42, minCitations: 1, maxCitations: 3 };
const TYPENAMES: Record<string, string> = { PERSON: 'Person', ORGANIZATION: 'Organization', EVENT: 'Event', PRODUCT: 'Product', PLACE: 'Place' };

describe('the explorer on a generated 100k-claim graph', { timeout: 180_000 }, () => {
  let db: Db;
  let server: Server;
  let origin: string;
  let hub: { id: string; name: string; links: number };

  beforeAll(async () => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    const started = Date.now();
    generateGraph(db, LARGE);
    console.log(`generated ${LARGE.claims.toLocaleString('en')} claims, ${LARGE.relationships.toLocaleString('en')} relationships in ${Date.now() - started} ms`);
    const row = db.$client
      .prepare(
        `SELECT e.id, e.name, e.kind, count(*) AS links FROM relationship_ends r JOIN entities e ON e.id = r.entity_id
         GROUP BY r.entity_id ORDER BY links DESC LIMIT 1`,
      )
      .get() as { id: number; name: string; kind: string; links: number };
    hub = { id: Buffer.from(`${TYPENAMES[row.kind]}:${row.id}`).toString('base64'), name: row.name, links: row.links };
    ({ server, origin } = await serve(db));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    db?.$client.close();
  });

  it('walks the article among 100,000 claims, and draws a hub summarized', async () => {
    const { context, watch } = await watchedContext(browser, origin);
    const page = await context.newPage();
    watching.set(page, watch);
    await walk(page, origin, { name: 'large', axe: false });

    // The hub's page and its graph: thousands of links summarized, never drawn one by one.
    await page.goto(`${origin}/entity/${encodeURIComponent(hub.id)}`);
    await expect.poll(() => heading(page).innerText(), { timeout: 15_000 }).toBe(hub.name);
    expect(await page.locator('p.more').first().innerText()).toMatch(/^and [\d,]+ more/);
    for (const depth of [1, 2]) {
      await page.goto(`${origin}/graph/${encodeURIComponent(hub.id)}${depth > 1 ? `?depth=${depth}` : ''}`);
      const list = page.getByRole('region', { name: 'In this graph' });
      await expect.poll(() => page.locator('.graph-canvas').getAttribute('data-drawn'), { timeout: 30_000 }).toMatch(/^\d+$/);
      expect(await list.innerText()).toMatch(new RegExp(`${hub.name} and [\\d,]+ more links`));
      // Let a second of frames pass after the drawing, then read the longest.
      await page.waitForTimeout(1000);
      const frames = await longestFrameAfterData(page);
      const drawn = await page.locator('.graph-canvas').getAttribute('data-drawn');
      const truncated = await page.getByText('it was cut at its size cap').count();
      console.log(
        `explorer on ${LARGE.claims.toLocaleString('en')} claims: hub ${hub.name} (${hub.links.toLocaleString('en')} links), ${depth} hop(s): ${drawn} entities drawn${truncated ? ', truncated shown' : ''}; longest frame after its data ${frames.frameMs} ms, longest task ${frames.longTaskMs} ms`,
      );
      await shot(page, `large-hub-${depth}`);
    }
    await context.close();
    expectClean(watch);
  });
});
