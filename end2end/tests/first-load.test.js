// A light first load: the UI's files are served as the build wrote them (hashed names cached for
// a year, brotli and gzip precompressed) and pages are never cached; before the page's WASM
// arrives the Applications list searches and creates with real forms; once it arrives,
// hydration asks the server for nothing again, and lazily loaded pages open and come back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act, check as applicationsCheck, find } from '../support/applications.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { act as clusters } from '../support/clusters.js';
import { check as delivery, find as raw } from '../support/delivery.js';
import { startServer } from '../support/server.js';
import { act as shell, check, find as shellFind } from '../support/shell.js';

describe('first load', () => {
  const env = withServerAndBrowser({ before, after }, startServer);

  test('the UI files are sent as built and cached for a year; pages are never cached', async () => {
    await clusters.createApplication(env.server.url, 'delivery');
    const page = await raw.raw(`${env.server.url}/applications`, 'br');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-store', 'a page is never cached');
    const listed = raw.assetPaths((await raw.raw(`${env.server.url}/applications`)).body.toString());
    for (const extension of ['.js', '.wasm', '.css']) {
      assert.ok(listed.some((path) => path.endsWith(extension)), `the page links a ${extension} file: ${listed}`);
    }
    // A lazily loaded page's chunks are preloaded by its server-rendered HTML.
    const tab = raw.assetPaths((await raw.raw(`${env.server.url}/applications/delivery/clusters`)).body.toString());
    const chunks = tab.filter((path) => path.includes('/split_'));
    assert.ok(chunks.length > 0, `the Clusters tab preloads its chunk: ${tab}`);
    for (const path of new Set([...listed, ...chunks])) await delivery.servedAsBuilt(env.server.url, path);

    const missing = await raw.raw(`${env.server.url}/pkg/gennaker.AAAAAAAAAAAAAAAAAAAAAA.wasm`);
    assert.equal(missing.status, 404);
    assert.notEqual(missing.headers['cache-control'], 'public, max-age=31536000, immutable', 'a miss is not cached');
  });

  test('before the WASM arrives, search is a GET form and Create Application posts as a form', async () => {
    await clusters.createApplication(env.server.url, 'zeta');
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone, { javaScriptEnabled: false });
    await page.goto(`${env.server.url}/applications`);
    await find.applicationLink(page, 'zeta').waitFor();
    await act.submitSearch(page, 'zeta');
    await find.applicationLink(page, 'zeta').waitFor();
    assert.equal(await find.applicationLink(page, 'delivery').count(), 0, 'the server searched');

    await act.openCreateDialog(page);
    await act.fillCreateDialog(page, { name: 'Phone App', email: 'ops@example.com' });
    await act.submitCreateDialog(page);
    await find.fieldError(find.dialog(page), 'lowercase').waitFor();
    await applicationsCheck.fieldInvalid(page, '#create-name');
    await screenshot(page, 'create-application-without-wasm-360');

    await act.fillCreateDialog(page, { name: 'phone-app', email: 'ops@example.com' });
    await act.submitCreateDialog(page);
    await applicationsCheck.urlPath(page, '/applications/phone-app/clusters');
    await page.getByRole('heading', { level: 1, name: 'phone-app' }).waitFor();
    check.noConsoleErrors(errors);
    await close();
  });

  test('hydration asks for nothing again; a lazily loaded tab opens and the back button returns', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    const asked = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/api/') && pathname !== '/api/v1/events') asked.push(pathname);
    });
    const listening = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/events');
    await shell.open(page, `${env.server.url}/applications/delivery/clusters`);
    await page.getByRole('heading', { level: 1, name: 'delivery' }).waitFor();
    await listening;
    // What the page would re-read when its live updates start comes within this long.
    await page.waitForTimeout(1000);
    assert.deepEqual(asked, [], 'the server-rendered data was enough');

    await shell.markDocument(page);
    await clusters.openTab(page, 'Load Balancers');
    await page.getByRole('heading', { name: 'No load balancers yet' }).waitFor();
    await page.goBack();
    await applicationsCheck.urlPath(page, '/applications/delivery/clusters');
    await page.locator('#create-server-group').waitFor();
    await shellFind.menuButton(page).click();
    await shellFind.navLink(page, 'Applications').click();
    await find.applicationLink(page, 'phone-app').waitFor();
    await check.stillSameDocument(page);
    check.noConsoleErrors(errors);
    await close();
  });
});
