// Signing in, on screen: a page asked for without a session sends the browser to sign in, a
// wrong password is refused beside the form, the right one goes back to the page that asked,
// the header shows who is signed in (behind the menu at 360 px) and signs out. Without users
// on loopback, Gennaker runs open and every page's header says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck, find as shellFind } from '../support/shell.js';

const PASSWORD = 'approve-with-care-7';

describe('signing in with a local user', () => {
  const env = withServerAndBrowser({ before, after }, () =>
    startServer({ users: [{ name: 'maria', password: PASSWORD, roles: ['managers'] }] }),
  );

  test('sent to sign in, refused once, then back to the page that asked, and out again (360 px)', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await page.goto(`${env.server.url}/tasks`);
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/tasks');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await shellCheck.heading(page, 'Sign in to Gennaker');

    await page.getByLabel('User name').fill('maria');
    await page.getByLabel('Password').fill('not her password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password.' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('next'), '/tasks', 'the page that asked is kept');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not kept');
    assert.equal(await page.getByLabel('User name').inputValue(), 'maria', 'the name is kept');
    await screenshot(page, 'auth-sign-in-refused-360');

    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await page.getByLabel('User name').fill('maria');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/tasks');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await shellCheck.heading(page, 'Tasks');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'gennaker_session');
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Lax');

    await shellFind.menuButton(page).click();
    const nav = shellFind.nav(page);
    await nav.getByText('maria', { exact: true }).waitFor();
    await screenshot(page, 'auth-signed-in-360');
    await nav.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });

    // The session ended on the server: the old cookie opens nothing.
    const again = await fetch(`${env.server.url}/api/v1/applications`, {
      headers: { Cookie: `gennaker_session=${session.value}` },
    });
    assert.equal(again.status, 401);
    await page.goto(`${env.server.url}/applications`);
    await page.waitForURL((url) => url.pathname === '/login');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});

describe('API tokens', () => {
  const env = withServerAndBrowser({ before, after }, () =>
    startServer({ users: [{ name: 'ci-owner', password: PASSWORD, roles: ['dev'] }] }),
  );

  test('made on the tokens page, shown once, used by a script, then revoked', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await page.goto(`${env.server.url}/login`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await page.getByLabel('User name').fill('ci-owner');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/applications');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });

    await shellFind.nav(page).getByRole('link', { name: 'ci-owner' }).click();
    await shellCheck.heading(page, 'API tokens');
    await page.getByText('No tokens').waitFor();
    await page.getByLabel('Name').fill('release script');
    await page.getByLabel('Expires after').selectOption('30');
    await page.getByRole('button', { name: 'Make token' }).click();
    const secret = (await page.locator('.token-secret').textContent()).trim();
    assert.match(secret, /^gnk_[0-9a-f]{16}_[0-9a-f]{64}$/);
    await page.getByText('release script').last().waitFor();
    await screenshot(page, 'auth-token-made-desktop');

    const api = () =>
      fetch(`${env.server.url}/api/v1/applications`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal((await api()).status, 200, 'the token works for a script');

    await page.getByRole('button', { name: 'Revoke release script' }).click();
    await page.getByText('No tokens').waitFor();
    assert.equal((await api()).status, 401, 'a revoked token opens nothing');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});

describe('running open', () => {
  const env = withServerAndBrowser({ before, after }, startServer);

  test('without users on loopback every page says nobody signs in', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications`);
    const open = shellFind.nav(page).getByText('Open access: no sign-in');
    await open.waitFor();
    assert.match(await open.getAttribute('title'), /gennaker user add/);
    await screenshot(page, 'auth-open-desktop');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
