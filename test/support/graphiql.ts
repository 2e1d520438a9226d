import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';

/** The text a GraphiQL (Monaco) editor shows, with its non-breaking spaces as spaces. */
export const editorText = async (editor: Locator) => (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');

/**
 * Replaces what a GraphiQL editor holds with `query`, typed as a person would, and waits until
 * GraphiQL has taken it in. Monaco auto-closes brackets and quotes; typing the closers overtypes
 * them, so the text is exact. GraphiQL reads the editor on a 100 ms debounce and saves the query
 * to localStorage first, synchronously with the rest, so once the full query is there it is done.
 */
export async function typeQuery(page: Page, editor: Locator, query: string) {
  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(query);
  await expect.poll(() => editorText(editor)).toBe(query);
  await page.waitForFunction((typed) => localStorage.getItem('graphiql:query') === typed, query);
}
