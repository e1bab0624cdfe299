// An execution window, built in the editor and waited on: a Wait stage restricted to one day
// and hour range in a time zone of its own is saved in Spinnaker's fields; a run waits for the
// window, says when it opens, and "Skip remaining window" lets the stage go on at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('an execution window, built in the editor and skipped', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `win${Date.now().toString(36)}`;
  let pipeline;

  before(async () => {
    await clusters.createApplication(env.server.url, app);
    pipeline = await act.createPipeline(env.server.url, {
      application: app, name: 'Night shift',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Quiet hours', waitTime: 0 }],
    });
  });

  test('a window on a day days away waits, says when it opens, and is skipped', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${pipeline.id}/edit`);
    await act.selectStage(page, 'Quiet hours');
    await page.locator('#stage-window').check();
    // Three days after today in Tokyo: days away whatever the time.
    const today = new Date(new Date().toLocaleString('en-US', { timeZone: 'Asia/Tokyo' })).getDay() + 1;
    const day = ((today + 2) % 7) + 1;
    await page.locator(`#stage-window-day-${day}`).check();
    await page.locator('#stage-window-hours').fill('9:00-10:00');
    await page.locator('#stage-window-zone').fill('Asia/Tokio');
    await find.save(page).click();
    // The zone is checked by the server, beside its field.
    await find.fieldError(page, '"Asia/Tokio" is not a time zone').waitFor();
    await page.locator('#stage-window-zone').fill('Asia/Tokyo');
    await screenshot(page, 'editor-window-360');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = (await act.api(env.server.url, `/pipelines/${pipeline.id}`)).config.stages[0];
    assert.equal(saved.restrictExecutionDuringTimeWindow, true);
    assert.deepEqual(saved.restrictedExecutionWindow.days, [day]);
    assert.deepEqual(saved.restrictedExecutionWindow.whitelist, [{ startHour: 9, startMin: 0, endHour: 10, endMin: 0 }]);
    assert.equal(saved.restrictedExecutionWindow.timeZone, 'Asia/Tokyo');

    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const dialog = await act.startFromTab(page, 'Night shift');
    await dialog.waitFor({ state: 'detached' });
    const row = find.executionRows(page, 'Night shift').first();
    await find.marker(row, 'Quiet hours', 'Running').waitFor();
    await row.getByRole('link', { name: /^Details/ }).click();
    await page.getByRole('heading', { name: 'Stage details: Quiet hours' }).waitFor();
    const waiting = page.locator('.window-wait');
    await waiting.getByText(/it opens \w{3} \d{4}-\d{2}-\d{2} 09:00 \(Asia\/Tokyo\)/).waitFor();
    await screenshot(page, 'execution-window-360');
    await waiting.getByRole('button', { name: 'Skip remaining window' }).click();
    // Live: the stage goes on and the run succeeds.
    await page.locator('#execution-title .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 20_000 });
    await page.locator('.tasks-table', { hasText: 'anonymous skipped the rest of the window' }).waitFor();
    assert.equal(await waiting.count(), 0, 'no skip once the window is over');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
