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

/** Fills the sign-in form (once it is interactive) and sends it. */
async function signInOnPage(page, name, password = PASSWORD) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('signing in with a local user', () => {
  const env = withServerAndBrowser({ before, after }, () =>
    startServer({ users: [{ name: 'maria', password: PASSWORD, roles: ['managers'] }] }),
  );

  test('sent to sign in, refused once, then back to the page that asked, and out again (360 px)', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await page.goto(`${env.server.url}/tasks`);
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/tasks');
    await shellCheck.heading(page, 'Sign in to Gennaker');
    await signInOnPage(page, 'maria', 'not her password');
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password.' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('next'), '/tasks', 'the page that asked is kept');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not kept');
    assert.equal(await page.getByLabel('User name').inputValue(), 'maria', 'the name is kept');
    await screenshot(page, 'auth-sign-in-refused-360');

    await signInOnPage(page, 'maria');
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
    // The sign-in page as it is once shown, not the moment its address changed (axe checks it
    // on close, and found no <title> yet in a cold run).
    await shellCheck.heading(page, 'Sign in to Gennaker');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
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
    await signInOnPage(page, 'ci-owner');
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

/** Signs in as a script would; the `Cookie` header value for later requests. */
async function cookieFor(url, name) {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: name, password: PASSWORD }),
  });
  assert.equal(response.status, 200, `${name} signs in`);
  return response.headers.get('set-cookie').split(';')[0];
}

/** A JSON API call as the user behind `cookie`. */
async function api(url, cookie, path, body) {
  const response = await fetch(`${url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Cookie: cookie, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * As `user`, makes application `app` with a pipeline whose Manual Judgment only managers may
 * decide, and starts it: the judgment page's path.
 */
async function startGatedJudgment(url, user, app, instructions) {
  const cookie = await cookieFor(url, user);
  assert.equal((await api(url, cookie, '/applications', { name: app, ownerEmail: `${user}@example.com` })).status, 201);
  const pipeline = await api(url, cookie, '/pipelines', {
    application: app,
    name: 'Release',
    stages: [{ refId: '1', type: 'manualJudgment', name: 'Approve release', instructions, selectedStageRoles: ['managers'] }],
  });
  assert.equal(pipeline.status, 201);
  const started = await api(url, cookie, `/pipelines/${pipeline.body.config.id}/executions`, {});
  assert.equal(started.status, 202);
  return `/applications/${app}/executions/${started.body.id}/judgment?stage=1`;
}

describe('a Manual Judgment limited to managers', () => {
  const env = withServerAndBrowser({ before, after }, () =>
    startServer({
      users: [
        { name: 'maria', password: PASSWORD, roles: ['managers'] },
        { name: 'rick', password: PASSWORD, roles: ['dev'] },
      ],
    }),
  );
  let judgment;

  before(async () => {
    judgment = await startGatedJudgment(env.server.url, 'rick', 'gated', 'Check the canary.');
  });

  test('a reader sees why the buttons do not work (360 px)', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await page.context().addCookies([{ name: 'gennaker_session', value: (await cookieFor(env.server.url, 'rick')).split('=')[1], url: env.server.url }]);
    await shell.open(page, `${env.server.url}${judgment}`);
    await page.getByText('Only managers may decide this judgment; rick has the roles dev.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Continue', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Stop', exact: true }).isDisabled(), true);
    await screenshot(page, 'auth-judgment-not-allowed-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a manager follows the link, signs in and approves (360 px); the decision names her', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await page.goto(`${env.server.url}${judgment}`);
    await page.waitForURL((url) => url.pathname === '/login');
    await signInOnPage(page, 'maria');
    await page.waitForURL((url) => url.pathname.endsWith('/judgment'));
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await page.getByText('Check the canary.').waitFor();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, continue' }).click();
    await page.getByText('by maria').waitFor();
    await screenshot(page, 'auth-judgment-approved-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});

describe("an application's permissions", () => {
  const env = withServerAndBrowser({ before, after }, () =>
    startServer({
      users: [
        { name: 'wren', password: PASSWORD, roles: ['releasers'] },
        { name: 'rick', password: PASSWORD, roles: ['dev'] },
        { name: 'gus', password: PASSWORD, roles: ['guests'] },
      ],
    }),
  );

  before(async () => {
    const cookie = await cookieFor(env.server.url, 'wren');
    const created = await api(env.server.url, cookie, '/applications', {
      name: 'locked',
      ownerEmail: 'wren@example.com',
      permissions: { READ: ['dev'], WRITE: ['releasers'], EXECUTE: ['ops'] },
    });
    assert.equal(created.status, 201);
    const pipeline = await api(env.server.url, cookie, '/pipelines', { application: 'locked', name: 'Ship', stages: [] });
    assert.equal(pipeline.status, 201);
  });

  test('a reader sees what they may not do, and why, beside disabled buttons (360 px)', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await page.context().addCookies([{ name: 'gennaker_session', value: (await cookieFor(env.server.url, 'rick')).split('=')[1], url: env.server.url }]);
    await shell.open(page, `${env.server.url}/applications/locked/pipelines`);
    const write = 'Only releasers may change application locked; rick has the roles dev.';
    await page.getByText(write).waitFor();
    assert.equal(await page.locator('#create-pipeline').isDisabled(), true);
    assert.equal(await page.locator('#import-pipeline').isDisabled(), true);
    await page.getByText('Only ops may run pipelines and operations of application locked; rick has the roles dev.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start Manual Execution of Ship' }).isDisabled(), true);
    await screenshot(page, 'auth-reader-pipelines-360');

    await shell.open(page, `${env.server.url}/applications/locked/config`);
    await page.getByText(write).first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save changes' }).isDisabled(), true);
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('someone with none of its roles does not see it listed, and is told why on its page', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await page.context().addCookies([{ name: 'gennaker_session', value: (await cookieFor(env.server.url, 'gus')).split('=')[1], url: env.server.url }]);
    await shell.open(page, `${env.server.url}/applications`);
    await page.getByText('No applications').first().waitFor();
    assert.equal(await page.getByRole('link', { name: 'locked' }).count(), 0);
    await screenshot(page, 'auth-outsider-desktop');
    shellCheck.noConsoleErrors(errors);
    await close();
    // Its page, as served, says why.
    const cookie = await cookieFor(env.server.url, 'gus');
    const served = await fetch(`${env.server.url}/applications/locked/config`, { headers: { Cookie: cookie } });
    assert.match(await served.text(), /gus may not see application locked: it is limited to roles gus does not have\./);
  });
});

describe('signing in through OpenID Connect', () => {
  const env = withServerAndBrowser({ before, after }, () =>
    startServer({ users: [{ name: 'rick', password: PASSWORD, roles: ['dev'] }], oidc: true }),
  );
  let judgment;

  before(async () => {
    judgment = await startGatedJudgment(env.server.url, 'rick', 'sso-gated', 'Ask olivia.');
  });

  test("a manager signs in at the provider, comes back with her group as a role and approves (360 px)", async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await page.goto(`${env.server.url}${judgment}`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await screenshot(page, 'auth-sso-choice-360');
    await page.getByRole('link', { name: 'Sign in with Test SSO' }).click();
    // The provider's own page.
    await page.getByLabel('Username').fill('olivia');
    await page.getByLabel('Password').fill('olivia-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/judgment'));
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 15_000 });
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, continue' }).click();
    await page.getByText('by olivia').waitFor();
    await screenshot(page, 'auth-sso-approved-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('the audit log shows who signed in and what they decided, and exports it as JSON lines', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await page.context().addCookies([{ name: 'gennaker_session', value: (await cookieFor(env.server.url, 'rick')).split('=')[1], url: env.server.url }]);
    await shell.open(page, `${env.server.url}/audit`);
    await shellCheck.heading(page, 'Audit log');
    const entries = page.getByRole('list', { name: 'Audit entries' });
    await entries.getByText('Judgment decided').first().waitFor();
    await entries.getByText('Pipeline created').first().waitFor();
    await page.getByLabel('Action').selectOption('pipelineCreated');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'pipelineCreated');
    await entries.getByText('Pipeline created').first().waitFor();
    assert.equal(await entries.getByText('Judgment decided').count(), 0, 'the filter leaves other actions out');
    await entries.getByText(/field\(s\) changed/).first().click();
    await entries.getByText('Release').first().waitFor();
    await screenshot(page, 'auth-audit-desktop');
    const href = await page.getByRole('link', { name: 'Export JSON lines' }).getAttribute('href');
    assert.match(href, /format=jsonl/);
    assert.match(href, /action=pipelineCreated/);
    const cookie = await cookieFor(env.server.url, 'rick');
    const exported = await fetch(`${env.server.url}${href}`, { headers: { Cookie: cookie } });
    assert.equal(exported.status, 200);
    assert.equal(exported.headers.get('content-type'), 'application/x-ndjson');
    const lines = (await exported.text()).trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(lines.length >= 1);
    assert.ok(lines.every((entry) => entry.action === 'pipelineCreated'));
    assert.equal(lines[0].user, 'rick');
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
