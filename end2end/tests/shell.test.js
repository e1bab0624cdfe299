// The application shell: server-rendered, hydrated, navigable at desktop and phone widths.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { settings, startServer } from '../support/server.js';
import { act, check, find } from '../support/shell.js';

describe('application shell', () => {
  const env = withServerAndBrowser({ before, after }, startServer);

  test('at 1280 px the shell renders, hydrates and navigates without reloading', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await act.open(page, `${env.server.url}/`);
    assert.equal(new URL(page.url()).pathname, '/applications', '/ redirects to Applications');
    await check.heading(page, 'Applications');
    await page.getByRole('heading', { name: 'No applications yet' }).waitFor();
    assert.equal(await find.menuButton(page).isVisible(), false, 'no menu button on a wide screen');
    for (const name of ['Applications', 'Infrastructure', 'Tasks']) {
      assert.equal(await find.navLink(page, name).isVisible(), true, `${name} is in the navigation`);
    }
    assert.equal(await find.navLink(page, 'Applications').getAttribute('aria-current'), 'page');
    await screenshot(page, 'shell-1280');

    await act.markDocument(page);
    await find.navLink(page, 'Tasks').click();
    await check.heading(page, 'Tasks');
    assert.equal(new URL(page.url()).pathname, '/tasks');
    await check.stillSameDocument(page);
    check.noConsoleErrors(errors);
    await close();
  });

  test('at 360 px the menu opens on a click and the accounts page loads from the server', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await act.open(page, `${env.server.url}/applications`);
    const menu = find.menuButton(page);
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await find.navLink(page, 'Infrastructure').isVisible(), false, 'the navigation is folded');
    await screenshot(page, 'shell-360');

    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true', 'the click changed client state');
    assert.equal(await find.navLink(page, 'Infrastructure').isVisible(), true);
    await screenshot(page, 'shell-360-menu-open');

    await act.markDocument(page);
    await find.navLink(page, 'Infrastructure').click();
    await check.heading(page, 'Infrastructure');
    await check.stillSameDocument(page);
    assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'choosing a page folds the menu');
    if (settings.kubeconfig) {
      await page.getByRole('heading', { name: 'local', level: 2 }).waitFor({ timeout: 10_000 });
    } else {
      await page.getByRole('heading', { name: 'No Kubernetes accounts' }).waitFor({ timeout: 10_000 });
    }
    await screenshot(page, 'infrastructure-360');
    check.noConsoleErrors(errors);
    await close();
  });

  test('keyboard users can skip to the content and reach every navigation link', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await act.open(page, `${env.server.url}/applications`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    const reached = [];
    for (let i = 0; i < 8; i += 1) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim()));
    }
    for (const name of ['Applications', 'Infrastructure', 'Tasks']) {
      assert.ok(reached.includes(name), `${name} is reachable with Tab (reached: ${reached.join(', ')})`);
    }
    check.noConsoleErrors(errors);
    await close();
  });

  test('an unknown address shows a not-found page with status 404', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    const response = await page.goto(`${env.server.url}/no/such/page`);
    assert.equal(response.status(), 404);
    await check.heading(page, 'Page not found');
    await page.waitForSelector('body[data-hydrated="true"]');
    // The 404 response itself is reported by Chromium as a console error; nothing else may be.
    check.noConsoleErrors(errors.filter((e) => !e.includes('404 (Not Found)')));
    await close();
  });
});
