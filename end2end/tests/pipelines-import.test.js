// A pipeline exported from Spinnaker, pasted into Import JSON: it keeps its id and its
// kayentaCanary stage, which the report, the tab and the editor show as not supported; Start
// Manual Execution is refused with the server's message naming that stage. A backup array with a
// Spinnaker account name imports each pipeline, the account chosen in the dialog. A pipeline saved elsewhere
// shows up in an open tab, and goes when deleted, without a reload. The server tests' Spinnaker
// fixtures import through the dialog and export as they came.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
    { refId: '1', requisiteStageRefIds: [], type: 'kayentaCanary', name: 'Bake', analysisType: 'realTime',
      canaryConfig: { canaryConfigId: 'c1', lifetimeDuration: 'PT1H', scoreThresholds: { marginal: '75', pass: '95' } } },
    { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Settle', waitTime: 5 },
  ],
});

describe('importing a pipeline exported from Spinnaker', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `imp${Date.now().toString(36)}`;

  test('a kayentaCanary stage is kept, shown as not supported, and blocks the start', async () => {
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
    // The report, by path: what the import changed, and what keeps it from running here.
    await dialog.getByText('Imported, needs fixing before it runs').waitFor();
    await dialog.locator('.path-list code', { hasText: 'stages[0].type' }).waitFor();
    await dialog.locator('.path-list li', { hasText: 'was somewhere-else; joins' }).waitFor();
    await screenshot(page, 'pipelines-import-report-1280');
    await dialog.getByRole('button', { name: 'Done', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await find.notice(page, 'Imported Bake and deploy.').waitFor();

    const group = find.pipeline(page, 'Bake and deploy');
    await group.getByText('Not supported', { exact: true }).waitFor();
    await group.getByText('Bake (kayentaCanary)').waitFor();
    await screenshot(page, 'pipelines-import-1280');

    // Kept as it came: its id, and the fields Gennaker does not use.
    const stored = await act.api(env.server.url, `/pipelines/${config.id}/export`);
    assert.equal(stored.application, app);
    assert.deepEqual(stored.stages[0], config.stages[0]);
    assert.equal(stored.spelEvaluator, 'v4');

    const start = await act.startFromTab(page, 'Bake and deploy');
    assert.equal(await start.locator('#start-param-0').inputValue(), 'staging');
    await start.locator('.form-error', { hasText: 'Stage "Bake" is a kayentaCanary stage' }).waitFor();
    await screenshot(page, 'pipelines-start-refused-1280');
    await start.getByRole('button', { name: 'Cancel', exact: true }).click();

    // The editor shows the stage's JSON as it is, with the notice.
    await group.getByRole('link', { name: 'Configure Bake and deploy' }).click();
    await act.selectStage(page, 'Bake');
    await page.getByText('Gennaker does not run kayentaCanary stages yet.').waitFor();
    await page.getByLabel("The stage's settings").getByText('"analysisType": "realTime"').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });
  test('a backup naming a Spinnaker account: each pipeline imports, the account is chosen in the dialog', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await page.locator('#import-pipeline').click();
    const dialog = find.dialog(page, 'Import JSON');
    const gke = 'gke_acme-prod_europe-west1-b_apps';
    const backup = [
      { application: 'storefront', name: 'Mapped deploy', stages: [
        { refId: '1', requisiteStageRefIds: [], type: 'deleteManifest', name: 'Clean up', account: gke,
          location: 'default', manifestName: 'configMap old-settings', cloudProvider: 'kubernetes' },
      ] },
      // Deck's "Edit as JSON" copy: no application, no name.
      { stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Pause', waitTime: 1 }] },
    ];
    await dialog.locator('#import-json').fill(JSON.stringify(backup));
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const account = dialog.getByLabel(`Account ${gke}`);
    await account.waitFor();
    const chosen = await account.inputValue();
    assert.notEqual(chosen, '', 'a configured account is chosen to start with');
    await screenshot(page, 'pipelines-import-accounts-360');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.locator('.import-pipeline', { hasText: 'Mapped deploy' }).locator('.path-list li', { hasText: `account ${gke} is ${chosen} here` }).waitFor();
    await dialog.locator('.import-pipeline', { hasText: 'Imported pipeline' }).waitFor();
    await screenshot(page, 'pipelines-import-done-360');
    await dialog.getByRole('button', { name: 'Done', exact: true }).click();
    await find.notice(page, 'Imported 2 pipelines.').waitFor();
    await find.pipeline(page, 'Mapped deploy').waitFor();
    await find.pipeline(page, 'Imported pipeline').waitFor();
    const listed = await act.api(env.server.url, `/applications/${app}/pipelines`);
    const mapped = listed.find((p) => p.config.name === 'Mapped deploy');
    assert.equal(mapped.config.stages[0].account, chosen);
    shellCheck.noConsoleErrors(errors);
    await close();
  });
  test('the Spinnaker fixtures of the server tests import through the dialog, export as they came, and open in the editor', async () => {
    const fixtures = new URL('../../server/tests/fixtures/spinnaker/', import.meta.url);
    for (const file of ['deploy-manifest-from-artifacts.json', 'manifest-targets-by-selector.json', 'bake-manifest-helm.json']) {
      const original = JSON.parse(readFileSync(new URL(file, fixtures), 'utf8'));
      const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
      await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
      await page.locator('#import-pipeline').click();
      const dialog = find.dialog(page, 'Import JSON');
      await dialog.locator('#import-json').fill(JSON.stringify(original, null, 2));
      await dialog.getByRole('button', { name: 'Import', exact: true }).click();
      const accounts = dialog.getByLabel(/^Account /);
      const report = dialog.locator('.import-pipeline', { hasText: original.name });
      await report.or(accounts.first()).waitFor();
      const mapped = (await accounts.count()) > 0;
      if (mapped) {
        for (const select of await accounts.all()) await select.selectOption('local');
        await dialog.getByRole('button', { name: 'Import', exact: true }).click();
      }
      await report.waitFor();
      await screenshot(page, `pipelines-import-${file.replace('.json', '')}-1280`);
      await dialog.getByRole('button', { name: 'Done', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });

      const exportedBack = await act.api(env.server.url, `/pipelines/${original.id}/export`);
      for (const [key, value] of Object.entries(original)) {
        if (key === 'application') continue;
        const expected = key === 'stages' && mapped ? value.map((stage) => (stage.account ? { ...stage, account: 'local' } : stage)) : value;
        assert.deepEqual(exportedBack[key], expected, `${file}: ${key} as it came`);
      }
      await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${original.id}/edit`);
      await page.locator('#pipeline-config-name').waitFor();
      await act.selectStage(page, original.stages[0].name);
      shellCheck.noConsoleErrors(errors);
      await close();
    }
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
