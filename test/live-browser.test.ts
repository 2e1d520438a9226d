import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { type Db, migrateDatabase, openDatabase } from '../src/db';
import { loadSeed } from '../src/model/seed';
import { silentLogger, TEST_TOKEN } from './support/app';
import { CHROMIUM, closeAll } from './support/chromium';
import { editorText, typeQuery } from './support/graphiql';

let db: Db;
let server: Server;
let browser: Browser | undefined;
let page: Page;
let origin: string;
let yoga: ReturnType<typeof createApp>;

const rename = async (id: string, name: string) => {
  const response = await yoga.fetch('http://claimgraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
    body: JSON.stringify({ query: 'mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { entity { name } } }', variables: { input: { id, name } } }),
  });
  expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
};

/** Monaco draws spaces as non-breaking ones; read an editor's visible lines as plain text. */
describe('live queries in a browser', { timeout: 60_000 }, () => {
  let musk: string;

  beforeAll(async () => {
    db = openDatabase({ path: ':memory:' });
    migrateDatabase(db);
    loadSeed(db);
    yoga = createApp({ db, logger: silentLogger, apiToken: TEST_TOKEN, liveQueries: { throttleMs: 50 } });
    server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    musk = (db.$client.prepare("SELECT id FROM entities WHERE name = 'Elon Musk'").pluck().get() as number).toString();
    musk = Buffer.from(`Person:${musk}`).toString('base64');
    browser = await chromium.launch(CHROMIUM);
    const context = await browser.newContext();
    await context.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort('blockedbyclient')));
    page = await context.newPage();
    await page.goto(`${origin}/graphql`);
  }, 60_000);

  afterAll(() => closeAll(browser, server, db));

  it("receives each new answer through the browser's EventSource", async () => {
    const query = `query @live { node(id: "${musk}") { ... on Entity { name } } }`;
    await page.evaluate((url) => {
      const names: string[] = [];
      (window as unknown as { names: string[] }).names = names;
      const source = new EventSource(url);
      source.addEventListener('next', (event) => names.push(JSON.parse((event as MessageEvent).data).data.node.name));
    }, `${origin}/graphql?${new URLSearchParams({ query })}`);
    const names = () => page.evaluate(() => (window as unknown as { names: string[] }).names);
    await expect.poll(names).toEqual(['Elon Musk']);
    await rename(musk, 'Musk, as EventSource sees him');
    await expect.poll(names).toEqual(['Elon Musk', 'Musk, as EventSource sees him']);
  });

  it('shows each new answer of a @live query run in the playground', async () => {
    const editor = page.locator('section[aria-label="Operation Editor"] .monaco-editor');
    await editor.waitFor();
    const query = `query @live { node(id: "${musk}") { ... on Entity { name } } }`;
    await typeQuery(page, editor, query);
    await page.getByRole('button', { name: /^Execute query/ }).click();
    const result = page.locator('section[aria-label="Result Window"] .monaco-editor');
    await expect.poll(() => editorText(result), { timeout: 15_000 }).toContain('"node": {');
    await rename(musk, 'Musk, as the playground shows him');
    await expect.poll(() => editorText(result), { timeout: 15_000 }).toContain('"name": "Musk, as the playground shows him"');
  });
});
