import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import type { Db } from '../../src/db';

/**
 * Debian's chromium, never a downloaded one. Without the background-networking flags Chromium
 * phones home at start-up. playwright-core gives every launch a fresh, empty temporary profile
 * (and so an empty HTTP cache) of its own: it refuses a --user-data-dir in launch().
 */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Closes what a browser test opened: the browser, the server (its open connections first) and the database. */
export async function closeAll(browser: Browser | undefined, server: Server | undefined, db: Db | undefined) {
  await browser?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  db?.$client.close();
}
