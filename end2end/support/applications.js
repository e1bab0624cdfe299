// Find, act and check helpers for the Applications screens.
import assert from 'node:assert/strict';

export const find = {
  dialog: (page) => page.getByRole('dialog', { name: 'Create Application' }),
  field: (scope, label) => scope.getByLabel(label, { exact: false }).first(),
  fieldError: (scope, text) => scope.locator('.field-error', { hasText: text }),
  applicationLink: (page, name) => page.getByRole('list', { name: 'Applications' }).getByRole('link', { name, exact: true }),
  tab: (page, name) => page.getByRole('navigation', { name: 'Application' }).getByRole('link', { name, exact: true }),
  notice: (page) => page.getByRole('status').filter({ hasText: 'Saved as version' }),
  formError: (page, text) => page.locator('.form-error', { hasText: text }),
};

export const act = {
  async openCreateDialog(page) {
    await page.locator('summary', { hasText: 'Actions ▾' }).click();
    await page.getByRole('link', { name: 'Create Application' }).click();
    await find.dialog(page).waitFor();
  },
  /** Searches the way a page without WASM does: the form is submitted and the server answers. */
  async submitSearch(page, text) {
    await page.locator('#application-search').fill(text);
    await page.locator('#application-search').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === text);
  },
  async fillCreateDialog(page, { name, email }) {
    const dialog = find.dialog(page);
    await dialog.locator('#create-name').fill(name);
    await dialog.locator('#create-owner-email').fill(email);
  },
  async submitCreateDialog(page) {
    await find.dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
  },
  async openConfig(page, baseUrl, name) {
    await page.goto(`${baseUrl}/applications/${name}/config`);
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.locator('#config-owner-email').waitFor();
  },
  async save(page) {
    await page.getByRole('button', { name: 'Save changes' }).click();
  },
};

export const check = {
  async urlPath(page, path) {
    await page.waitForURL((url) => url.pathname === path, { timeout: 10_000 });
  },
  async fieldInvalid(page, selector) {
    assert.equal(await page.locator(selector).getAttribute('aria-invalid'), 'true', `${selector} is marked invalid`);
  },
  async inputValue(page, selector, value) {
    await page.waitForFunction(
      ([sel, expected]) => document.querySelector(sel)?.value === expected,
      [selector, value],
      { timeout: 10_000 },
    );
  },
};
