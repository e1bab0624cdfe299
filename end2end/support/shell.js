// Find, act and check helpers for the application shell, so tests read like the user's story.
import assert from 'node:assert/strict';
import { checkAccessibility } from './accessibility.js';

export const find = {
  heading: (page) => page.getByRole('heading', { level: 1 }),
  nav: (page) => page.getByRole('navigation', { name: 'Primary' }),
  navLink: (page, name) => page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name }),
  menuButton: (page) => page.getByRole('button', { name: /^(Menu|Close)$/ }),
};

export const act = {
  async open(page, url) {
    await page.goto(url);
    // The hydrate entry point marks the body once the page is interactive.
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await checkAccessibility(page);
  },
  async markDocument(page) {
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
  },
};

export const check = {
  async heading(page, text) {
    await find.heading(page).filter({ hasText: text }).waitFor({ timeout: 10_000 });
  },
  async stillSameDocument(page) {
    assert.equal(await page.evaluate(() => window.__sameDocument === true), true, 'navigation reloaded the page');
  },
  noConsoleErrors(errors) {
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
  },
};
