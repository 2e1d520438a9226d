/**
 * Debian's chromium, never a downloaded one. Without the background-networking flags Chromium
 * phones home at start-up. playwright-core gives every launch a fresh, empty temporary profile
 * (and so an empty HTTP cache) of its own. The same flags as test/playground.test.ts.
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
