// The stages that run a Kubernetes Job, built in the editor and run: Run Job (Manifest) from a
// YAML Job with its output properties read from a container's log and the Job deleted after,
// then a Script whose command uses one of those properties. The run's details show what each
// Job did, the properties and the logs (kwok serves one fixed log for every container).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  generateName: report-
  namespace: default
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: report
        image: busybox:1.36
`;

describe('Run Job (Manifest) and Script, built in the editor and run', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `job${Date.now().toString(36)}`;
  let pipeline;

  before(async () => {
    await clusters.createApplication(env.server.url, app);
    pipeline = await act.createPipeline(env.server.url, {
      application: app, name: 'Report',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Start', waitTime: 0 }],
    });
  });

  test('a Job and a Script run, hand on properties and show their logs', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${pipeline.id}/edit`);
    await act.selectStage(page, 'Start');

    await act.addStage(page, 'Run Job (Manifest)');
    await page.locator('#stage-job-account').selectOption('local');
    // Anything but a Job is refused beside the field, as it is typed.
    await page.locator('#stage-job-manifest').fill('{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}');
    await find.fieldError(page, 'Run Job runs a Kubernetes Job, not a Deployment.').waitFor();
    await page.locator('#stage-job-manifest').fill(JOB);
    await find.fieldError(page, 'not a Deployment').waitFor({ state: 'detached' });
    await page.locator('#stage-property-file').fill('report');
    await page.locator('#stage-delete-job').check();
    await screenshot(page, 'editor-run-job-1280');

    await act.addStage(page, 'Script');
    await page.locator('#stage-script-account').selectOption('local');
    assert.equal(await page.locator('#stage-script-image').inputValue(), 'alpine:3.20');
    await page.locator('#stage-script-command').fill("echo build ${#stage('Run Job (Manifest)')['outputs']['build_number']}");
    await screenshot(page, 'editor-script-1280');

    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = (await act.api(env.server.url, `/pipelines/${pipeline.id}`)).config;
    const byName = Object.fromEntries(saved.stages.map((s) => [s.name, s]));
    const runJob = byName['Run Job (Manifest)'];
    assert.equal(runJob.type, 'runJobManifest');
    assert.equal(runJob.manifest.kind, 'Job');
    assert.equal(runJob.manifest.metadata.generateName, 'report-');
    assert.equal(runJob.propertyFile, 'report');
    assert.equal(runJob.deleteJob, true);
    assert.equal(byName.Script.image, 'alpine:3.20');
    assert.deepEqual(byName.Script.requisiteStageRefIds, [runJob.refId]);

    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const dialog = await act.startFromTab(page, 'Report');
    await dialog.waitFor({ state: 'detached' });
    const row = find.executionRows(page, 'Report').first();
    await row.locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    await row.getByRole('link', { name: /^Details/ }).click();

    await find.stageNode(page, 'Run Job (Manifest)').click();
    const details = page.locator('.stage-details');
    await details.locator('.stage-result', { hasText: /^Job report-\w+ in default succeeded$/ }).waitFor();
    const properties = details.locator('.job-properties');
    await properties.locator('dt', { hasText: 'build_number' }).waitFor();
    assert.equal(await properties.locator('dt:has-text("build_number") + dd').textContent(), '42');
    assert.match(await details.locator('pre.job-log').first().textContent(), /Starting the report/);
    await screenshot(page, 'execution-run-job-1280');

    await page.setViewportSize(VIEWPORTS.phone);
    await find.stageNode(page, 'Script').click();
    await page.getByRole('heading', { name: 'Stage details: Script' }).waitFor();
    await details.locator('.stage-result', { hasText: new RegExp(`^Job ${app}-script-\\w+ in default succeeded$`) }).waitFor();
    await screenshot(page, 'execution-script-360');
    const executions = await act.api(env.server.url, `/executions?application=${app}`);
    const script = executions[0].stages.find((s) => s.name === 'Script');
    assert.equal(script.context.command, 'echo build 42');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
