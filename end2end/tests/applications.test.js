// Applications: create (with a validation error first), persistence across a reload, search,
// editing, a conflicting edit from a second page, history with a comparison and a restore,
// and deletion confirmed by typing the name.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act, check, find } from '../support/applications.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('applications', () => {
  const env = withServerAndBrowser({ before, after }, startServer);

  test('create refuses bad input field by field, then opens the new application', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications`);
    await page.getByRole('heading', { name: 'No applications yet' }).waitFor();
    await act.openCreateDialog(page);
    await act.fillCreateDialog(page, { name: 'Checkout Service', email: 'not-an-email' });
    await act.submitCreateDialog(page);
    const dialog = find.dialog(page);
    await find.fieldError(dialog, 'lowercase').waitFor();
    await find.fieldError(dialog, 'not an email address').waitFor();
    await check.fieldInvalid(page, '#create-name');
    await check.fieldInvalid(page, '#create-owner-email');
    await screenshot(page, 'create-application-errors-360');

    await act.fillCreateDialog(page, { name: 'checkout', email: 'payments@example.com' });
    await act.submitCreateDialog(page);
    await check.urlPath(page, '/applications/checkout/clusters');
    await page.getByRole('heading', { level: 1, name: 'checkout' }).waitFor();
    await page.getByText('payments@example.com').first().waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('the new application is still there after a reload, and search finds it', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications`);
    await find.applicationLink(page, 'checkout').waitFor();
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await find.applicationLink(page, 'checkout').waitFor();

    await page.locator('#application-search').fill('zzz');
    await page.getByRole('heading', { name: 'No matching applications' }).waitFor();
    await page.locator('#application-search').fill('payments');
    await find.applicationLink(page, 'checkout').waitFor();
    await page.locator('#application-sort').selectOption('updated');
    await find.applicationLink(page, 'checkout').waitFor();
    await screenshot(page, 'applications-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('an edit is saved, and a stale edit from a second page gets the conflict message', async () => {
    const first = await openPage(env.browser, VIEWPORTS.desktop);
    const second = await openPage(env.browser, VIEWPORTS.desktop);
    await act.openConfig(first.page, env.server.url, 'checkout');
    await act.openConfig(second.page, env.server.url, 'checkout');

    await first.page.locator('#config-description').fill('Takes payments');
    await act.save(first.page);
    await find.notice(first.page).filter({ hasText: 'version 2' }).waitFor();
    await first.page.getByText('Takes payments').first().waitFor();

    await second.page.locator('#config-owner-email').fill('other@example.com');
    await act.save(second.page);
    await find.formError(second.page, 'changed by someone else').waitFor();
    await screenshot(second.page, 'config-conflict-1280');
    await second.page.getByRole('button', { name: 'Load the latest version' }).click();
    await check.inputValue(second.page, '#config-description', 'Takes payments');
    await check.inputValue(second.page, '#config-owner-email', 'payments@example.com');

    shellCheck.noConsoleErrors(first.errors);
    shellCheck.noConsoleErrors(second.errors);
    await first.close();
    await second.close();
  });

  test('history compares two versions and restores an earlier one', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await act.openConfig(page, env.server.url, 'checkout');
    await page.locator('#diff-left').selectOption('1');
    await page.locator('#diff-right').selectOption('2');
    const changed = page.locator('.diff tr.changed');
    await changed.filter({ hasText: 'Description' }).waitFor();
    assert.equal(await changed.count(), 1, 'only the description changed between versions 1 and 2');
    await screenshot(page, 'config-history-360');

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Version 3, last changed').waitFor();
    await check.inputValue(page, '#config-description', '');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('delete needs the name typed, then the application is gone', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await act.openConfig(page, env.server.url, 'checkout');
    const remove = page.getByRole('button', { name: 'Delete application' });
    assert.equal(await remove.isDisabled(), true, 'disabled until the name is typed');
    await page.locator('#delete-confirm').fill('checkou');
    assert.equal(await remove.isDisabled(), true);
    await page.locator('#delete-confirm').fill('checkout');
    await remove.click();
    await check.urlPath(page, '/applications');
    await page.getByRole('heading', { name: 'No applications yet' }).waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
