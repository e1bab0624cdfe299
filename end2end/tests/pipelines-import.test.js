// A pipeline exported from Spinnaker, pasted into Import JSON: it keeps its id and its
// bakeManifest stage, which the tab and the editor show as not supported; Start Manual
// Execution is refused with the server's message naming that stage. A pipeline saved elsewhere
// shows up in an open tab, and goes when deleted, without a reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

const exported = (application) => ({
  application,
  name: 'Bake and deploy',
  id: '7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
  index: 0,
  keepWaitingPipelines: false,
  limitConcurrent: true,
  spelEvaluator: 'v4',
  lastModifiedBy: 'alice',
  updateTs: '1700000000000',
  triggers: [],
  parameterConfig: [{ name: 'env', default: 'staging', hasOptions: true, options: [{ value: 'staging' }, { value: 'prod' }] }],
  stages: [
    { refId: '1', requisiteStageRefIds: [], type: 'bakeManifest', name: 'Bake', templateRenderer: 'HELM3', outputName: 'web',
      expectedArtifacts: [{ id: 'baked', matchArtifact: { type: 'embedded/base64', name: 'web' } }] },
    { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Settle', waitTime: 5 },
  ],
});

describe('importing a pipeline exported from Spinnaker', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `imp${Date.now().toString(36)}`;

  test('a bakeManifest stage is kept, shown as not supported, and blocks the start', async () => {
    await clusters.createApplication(env.server.url, app);
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await page.locator('#import-pipeline').click();
    const dialog = find.dialog(page, 'Import JSON');
    // Malformed JSON is refused with its place.
    await dialog.locator('#import-json').fill('{"name": "x",');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await find.fieldError(dialog, 'Line 1, column').waitFor();
    const config = exported('somewhere-else');
    await dialog.locator('#import-json').fill(JSON.stringify(config, null, 2));
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await find.notice(page, 'Imported Bake and deploy.').waitFor();

    const group = find.pipeline(page, 'Bake and deploy');
    await group.getByText('Not supported', { exact: true }).waitFor();
    await group.getByText('Bake (bakeManifest)').waitFor();
    await screenshot(page, 'pipelines-import-1280');

    // Kept as it came: its id, and the fields Gennaker does not use.
    const stored = await act.api(env.server.url, `/pipelines/${config.id}/export`);
    assert.equal(stored.application, app);
    assert.deepEqual(stored.stages[0], config.stages[0]);
    assert.equal(stored.spelEvaluator, 'v4');

    const start = await act.startFromTab(page, 'Bake and deploy');
    assert.equal(await start.locator('#start-param-0').inputValue(), 'staging');
    await start.locator('.form-error', { hasText: 'Stage "Bake" is a bakeManifest stage' }).waitFor();
    await screenshot(page, 'pipelines-start-refused-1280');
    await start.getByRole('button', { name: 'Cancel', exact: true }).click();

    // The editor shows the stage's JSON as it is, with the notice.
    await group.getByRole('link', { name: 'Configure Bake and deploy' }).click();
    await act.selectStage(page, 'Bake');
    await page.getByText('Gennaker does not run bakeManifest stages yet.').waitFor();
    await page.getByLabel("The stage's settings").getByText('"templateRenderer": "HELM3"').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });
  test('a pipeline saved elsewhere appears in an open Pipelines tab, and goes when deleted, without a reload', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await find.pipeline(page, 'Bake and deploy').waitFor();
    const made = await act.api(env.server.url, '/pipelines', { method: 'POST', body: {
      application: app,
      name: 'Made elsewhere',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Pause', waitTime: 1 }],
    } });
    await find.pipeline(page, 'Made elsewhere').waitFor({ timeout: 10_000 });
    await act.api(env.server.url, `/pipelines/${made.config.id}?version=${made.version}`, { method: 'DELETE' });
    await find.pipeline(page, 'Made elsewhere').waitFor({ state: 'detached', timeout: 10_000 });
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
