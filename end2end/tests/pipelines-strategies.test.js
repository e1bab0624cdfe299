// The Rolling Red/Black and Custom strategies, built in the Deploy stage's form and run: Rolling
// Red/Black grows the new server group through 50 and 100 % with a validation pipeline (chosen
// from the application's pipelines) between, and moves traffic from v000; Custom runs a strategy
// pipeline once the new server group is healthy. Both are saved in Spinnaker's fields.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('Rolling Red/Black and Custom strategies, built in the editor and run', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `st${Date.now().toString(36)}`;
  const lb = `${app}-web`;
  const recorder = (name, variables) => ({
    application: app, name,
    stages: [{ refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Record',
      variables: Object.entries(variables).map(([key, expression]) => ({ key, value: `\${${expression}}` })) }],
  });
  const start = (name) => ({
    application: app, name,
    stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Start', waitTime: 0 }],
  });
  let pipelines;

  before(async () => {
    await clusters.createApplication(env.server.url, app);
    await clusters.createLoadBalancer(env.server.url, app);
    const first = await act.createPipeline(env.server.url, { application: app, name: 'First', stages: [{
      refId: '1', requisiteStageRefIds: [], type: 'deploy', name: 'Deploy', clusters: [{
        account: 'local', application: app, cloudProvider: 'kubernetes', namespace: 'default', stack: 'web',
        targetSize: 2, strategy: '', loadBalancers: [lb],
        containers: [{ name: 'web', imageDescription: { imageId: 'nginx:1.26' } }] }] }] });
    const run = await act.startPipeline(env.server.url, first.id);
    await act.waitForExecution(env.server.url, run.id, (e) => e.status === 'SUCCEEDED', 'succeeded');
    pipelines = {
      validate: await act.createPipeline(env.server.url, recorder('Validate', { percent: 'parameters.percentageComplete', note: 'parameters.note' })),
      strategy: await act.createPipeline(env.server.url, recorder('Strategy', { serverGroup: 'parameters.deployedServerGroup.serverGroupName', strategy: 'parameters.strategy' })),
      rolling: await act.createPipeline(env.server.url, start('Rolling')),
      custom: await act.createPipeline(env.server.url, start('Custom')),
    };
  });

  /** Adds a Deploy of nginx:1.27, 2 replicas behind the load balancer, after Start. */
  const addDeploy = async (page, pipeline) => {
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${pipeline.id}/edit`);
    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Deploy');
    await page.locator('#add-cluster').click();
    await page.locator('#cluster-stack').fill('web');
    await page.locator('#cluster-image').fill('nginx:1.27');
    await page.locator('#cluster-replicas').fill('2');
    await page.getByLabel(lb, { exact: true }).check();
  };
  /** Runs `name` from the tab and opens its details once it succeeded. */
  const runFromTab = async (page, name) => {
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const dialog = await act.startFromTab(page, name);
    await dialog.waitFor({ state: 'detached' });
    const row = find.executionRows(page, name).first();
    await row.locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 90_000 });
    await row.getByRole('link', { name: /^Details/ }).click();
    await find.stageNode(page, 'Deploy').click();
  };
  const runsOf = async (pipeline) => act.api(env.server.url, `/executions?pipeline=${pipeline.id}`);

  test('Rolling Red/Black grows in steps and runs its validation pipeline at each', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await addDeploy(page, pipelines.rolling);
    await page.locator('#cluster-strategy').selectOption('rollingredblack');
    await page.locator('#cluster-percentages').fill('50, 40');
    await find.fieldError(page, 'Give rising percentages').waitFor();
    await page.locator('#cluster-percentages').fill('50, 100');
    await page.locator('#cluster-validation-pipeline').selectOption({ label: 'Validate' });
    await page.locator('#cluster-pipeline-parameters').fill('note=from the editor');
    await page.locator('#cluster-rollback').check();
    await page.locator('.cluster-entry', { hasText: 'Rolling Red/Black, 2 replicas' }).waitFor();
    await screenshot(page, 'editor-rolling-red-black-1280');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = (await act.api(env.server.url, `/pipelines/${pipelines.rolling.id}`)).config;
    const cluster = saved.stages.find((s) => s.type === 'deploy').clusters[0];
    assert.equal(cluster.strategy, 'rollingredblack');
    assert.deepEqual(cluster.targetPercentages, [50, 100]);
    assert.deepEqual(cluster.pipelineBeforeCleanup, { application: '', pipelineId: pipelines.validate.id, pipelineParameters: { note: 'from the editor' } });
    assert.equal(cluster.rollback.onFailure, true);

    await runFromTab(page, 'Rolling');
    const details = page.locator('.stage-details');
    await details.getByText('Grow to 50% of 2 replicas: 1').waitFor();
    await details.getByText('Run the validation pipeline at 100%').waitFor();
    await screenshot(page, 'execution-rolling-red-black-1280');
    const validations = await runsOf(pipelines.validate);
    const seen = validations.map((e) => e.stages[0].outputs.percent).sort((a, b) => a - b);
    assert.deepEqual(seen, [50, 100]);
    assert.ok(validations.every((e) => e.stages[0].outputs.note === 'from the editor'));
    const groups = (await act.api(env.server.url, `/applications/${app}/clusters`)).flatMap((c) => c.serverGroups);
    const byName = Object.fromEntries(groups.map((g) => [g.name, g]));
    assert.equal(byName[`${app}-web-v000`].disabled, true, 'v000 no longer serves');
    assert.equal(byName[`${app}-web-v001`].disabled, false);
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('Custom runs the chosen strategy pipeline with the new server group', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await addDeploy(page, pipelines.custom);
    await page.locator('#cluster-strategy').selectOption('custom');
    await find.fieldError(page, 'Choose the pipeline the Custom strategy runs.').waitFor();
    await page.locator('#cluster-strategy-pipeline').selectOption({ label: 'Strategy' });
    await page.locator('.cluster-entry', { hasText: 'Custom, 2 replicas' }).waitFor();
    await screenshot(page, 'editor-custom-strategy-360');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    await runFromTab(page, 'Custom');
    await page.locator('.stage-details').getByText('Run the strategy pipeline for').waitFor();
    const [run] = await runsOf(pipelines.strategy);
    assert.equal(run.stages[0].outputs.serverGroup, `${app}-web-v002`);
    assert.equal(run.stages[0].outputs.strategy, true);
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
