// The Jenkins stage, built in the editor and run against the test Jenkins (a fake answering
// Jenkins' remote-access API): the master is picked from the configured ones, the master's jobs
// are listed, parameters go in as name=value lines, and the run's details link to the build and
// show the values its property file gave.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('the Jenkins stage, built in the editor and run', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `ci${Date.now().toString(36)}`;
  let pipeline;

  before(async () => {
    await clusters.createApplication(env.server.url, app);
    pipeline = await act.createPipeline(env.server.url, {
      application: app, name: 'Build',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Start', waitTime: 0 }],
    });
  });

  test('a parameterized job runs and its property file becomes outputs', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${pipeline.id}/edit`);
    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Jenkins');
    await page.locator('#stage-jenkins-master').selectOption('ci');
    await page.locator('.jenkins-jobs', { hasText: 'Jobs on this master: build-web, team/nightly' }).waitFor();
    await page.locator('#stage-jenkins-job').fill('build-web');
    await page.locator('#stage-jenkins-parameters').fill('VERSION=3.1.0\nRESULT=UNSTABLE');
    await page.locator('#stage-jenkins-property-file').fill('build.properties');
    await page.locator('#stage-jenkins-unstable').check();
    await screenshot(page, 'editor-jenkins-360');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = (await act.api(env.server.url, `/pipelines/${pipeline.id}`)).config;
    const stage = saved.stages.find((s) => s.type === 'jenkins');
    assert.deepEqual(
      { master: stage.master, job: stage.job, parameters: stage.parameters, propertyFile: stage.propertyFile, unstable: stage.markUnstableAsSuccessful },
      { master: 'ci', job: 'build-web', parameters: { VERSION: '3.1.0', RESULT: 'UNSTABLE' }, propertyFile: 'build.properties', unstable: true },
    );

    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const dialog = await act.startFromTab(page, 'Build');
    await dialog.waitFor({ state: 'detached' });
    const row = find.executionRows(page, 'Build').first();
    await row.locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    await row.getByRole('link', { name: /^Details/ }).click();
    await find.stageNode(page, 'Jenkins').click();
    const details = page.locator('.stage-details');
    await details.locator('.stage-result', { hasText: /^Jenkins build #\d+ of build-web ended UNSTABLE$/ }).waitFor();
    const link = details.getByRole('link', { name: 'Open the build in Jenkins' });
    assert.match(await link.getAttribute('href'), /\/job\/build-web\/\d+\/$/);
    assert.equal(await details.locator('.job-properties dt:has-text("imageTag") + dd').textContent(), '3.1.0');
    await screenshot(page, 'execution-jenkins-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
