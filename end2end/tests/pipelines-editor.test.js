// The editor checks as you type: Depends On offers no choice that would close a circle, a bad
// expression is shown beside its field and Save waits until it is fixed; Edit as JSON puts a
// circle (and a syntax error) at its line. History compares two versions and restores one;
// delete asks for the name. Deploy (Manifest) switches to reading its manifests from an expected
// artifact and keeps the manifests it no longer shows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, check, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('the pipeline editor', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `edit${Date.now().toString(36)}`;
  let pipeline;

  const editor = async (page) => {
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${pipeline.id}/edit`);
    await page.locator('#pipeline-config-name').waitFor();
  };

  test('no circle through Depends On; a bad expression beside its field holds Save', async () => {
    await clusters.createApplication(env.server.url, app);
    pipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Checks',
      stages: [
        { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'First', waitTime: 1 },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Second', waitTime: 1 },
      ],
    });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await editor(page);
    await check.disabled(find.save(page), true, 'Save with nothing changed');

    // Second depends on First, so First cannot depend on Second.
    await act.selectStage(page, 'First');
    await check.disabled(page.locator('#depends-on-2'), true, 'a choice that would make a circle');
    await page.getByText('choosing it would make a circle').waitFor();

    await page.locator('#stage-conditional').check();
    await page.locator('#stage-condition').fill("${parameters.env ==");
    const condition = page.locator('.field', { has: page.locator('#stage-condition') });
    await find.fieldError(condition, 'column').waitFor();
    assert.equal(await page.locator('#stage-condition').getAttribute('aria-invalid'), 'true');
    await check.disabled(find.save(page), true, 'Save while the expression is bad');
    await find.stageNode(page, 'First').getByText('has problems').waitFor();
    await screenshot(page, 'editor-invalid-1280');

    await page.locator('#stage-condition').fill("${parameters.env == 'prod'}");
    await find.fieldError(condition, 'column').waitFor({ state: 'detached' });
    await check.disabled(find.save(page), false, 'Save once the expression is fixed');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('Edit as JSON puts a circle and a syntax error at their line', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await editor(page);
    await page.getByRole('button', { name: 'Edit as JSON' }).click();
    const area = page.locator('#pipeline-json');
    const original = await area.inputValue();
    const config = JSON.parse(original);
    config.stages[0].requisiteStageRefIds = ['2'];
    const circular = JSON.stringify(config, null, 2);
    await area.fill(circular);
    // The circle is reported on the first stage's requisiteStageRefIds.
    const line = circular.split('\n').findIndex((l) => l.includes('"requisiteStageRefIds"')) + 1;
    const problems = page.locator('#json-problems li');
    await problems.filter({ hasText: `Line ${line}: The stages depend on each other in a circle: First → Second → First.` }).waitFor();
    await page.locator('.json-gutter .problem-line', { hasText: String(line) }).waitFor();
    await check.disabled(find.save(page), true, 'Save with a circle');
    await screenshot(page, 'editor-json-circle-1280');

    // A syntax error: where serde_json stopped.
    const broken = circular.replace(/\n}$/, '\n');
    await area.fill(broken);
    await problems.filter({ hasText: new RegExp(`^Line ${broken.split('\n').length}: Column`) }).waitFor();

    await area.fill(original);
    await problems.first().waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Back to the form' }).click();
    await find.stageNode(page, 'First').getByText('starts first').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('history compares versions and restores one; delete asks for the name', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await editor(page);
    await page.locator('#diff-left').selectOption('1');
    await page.locator('#diff-right').selectOption('2');
    const changed = page.locator('.diff tr.changed');
    await changed.filter({ hasText: 'Stage 1: First' }).waitFor();
    assert.equal(await changed.count(), 1, 'only the first stage changed between versions 1 and 2');
    await screenshot(page, 'editor-history-360');

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Version 3 · in sync with the server').waitFor();
    await act.selectStage(page, 'First');
    assert.equal(await page.locator('#stage-conditional').isChecked(), false, 'the condition is gone again');

    const remove = page.getByRole('button', { name: 'Delete pipeline' });
    await check.disabled(remove, true, 'Delete before the name is typed');
    await page.locator('#delete-pipeline-confirm').fill('Checks');
    await remove.click();
    await page.waitForURL((url) => url.pathname === `/applications/${app}/pipelines`);
    await page.getByRole('heading', { name: 'No pipelines yet' }).waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });
  test('Webhook, Pipeline and Deploy (Manifest) forms write Spinnaker\'s fields', async () => {
    const child = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Smoke tests',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Idle', waitTime: 1 }],
    });
    pipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Forms',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Start', waitTime: 1 }],
    });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await editor(page);

    // Each new stage depends on the one whose form is open: Start.
    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Webhook');
    await page.locator('#stage-webhook-url').fill('https://hooks.example.test/deploys');
    await page.locator('#stage-webhook-method').selectOption('POST');
    await page.locator('#stage-webhook-headers').fill('X-Team: web');
    await page.locator('#stage-webhook-payload').fill('{"version": "${trigger.user}"}');
    await page.locator('#stage-webhook-wait').check();
    await page.locator('#stage-webhook-status-path').fill('$.status');

    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Pipeline');
    await page.locator('#stage-pipeline-application').fill(app);
    await page.locator('#stage-pipeline').selectOption({ label: 'Smoke tests' });
    await page.locator('#stage-pipeline-parameters').fill('env=prod');

    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Deploy (Manifest)');
    await page.locator('#stage-manifest-account').selectOption('local');
    // YAML is read by the server once the typing stops; Save waits for it.
    await page.locator('#stage-manifests').fill('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n');
    const manifests = page.locator('.field', { has: page.locator('#stage-manifests') });
    await page.locator('#stage-manifests').fill('kind: [unclosed');
    await find.fieldError(manifests, 'not valid YAML').waitFor();
    await check.disabled(find.save(page), true, 'Save while the manifest cannot be read');
    await page.locator('#stage-manifests').fill('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n');
    await find.fieldError(manifests, 'not valid YAML').waitFor({ state: 'detached' });
    await screenshot(page, 'editor-stage-forms-1280');
    await page.waitForFunction(() => !document.querySelector('#save-pipeline')?.disabled);
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();

    const saved = (await act.api(env.server.url, `/pipelines/${pipeline.id}`)).config;
    const byType = Object.fromEntries(saved.stages.map((s) => [s.type, s]));
    assert.equal(byType.webhook.url, 'https://hooks.example.test/deploys');
    assert.equal(byType.webhook.method, 'POST');
    assert.deepEqual(byType.webhook.customHeaders, { 'X-Team': 'web' });
    assert.deepEqual(byType.webhook.payload, { version: '${trigger.user}' });
    assert.equal(byType.webhook.waitForCompletion, true);
    assert.equal(byType.webhook.statusJsonPath, '$.status');
    assert.equal(byType.pipeline.application, app);
    assert.equal(byType.pipeline.pipeline, child.id);
    assert.deepEqual(byType.pipeline.pipelineParameters, { env: 'prod' });
    assert.equal(byType.deployManifest.account, 'local');
    assert.deepEqual(byType.deployManifest.manifests, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } }]);
    for (const type of ['webhook', 'pipeline', 'deployManifest']) assert.deepEqual(byType[type].requisiteStageRefIds, ['1'], type);
    shellCheck.noConsoleErrors(errors);
    await close();
  });
  test('Bake (Manifest) writes its renderer, inputs and the artifact it produces', async () => {
    const bakePipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Bake it',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Start', waitTime: 0 }],
    });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${bakePipeline.id}/edit`);
    await page.locator('#pipeline-config-name').waitFor();
    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Bake (Manifest)');
    assert.equal(await page.locator('#stage-bake-renderer').inputValue(), 'HELM3');
    await page.locator('#stage-bake-inputs').fill('chart\nvalues');
    await page.locator('#stage-bake-chart-path').fill('charts/web');
    await page.locator('#stage-bake-output').fill('web');
    await page.locator('#stage-bake-namespace').fill('prod');
    await page.locator('#stage-bake-overrides').fill('image.tag=1.2\nreplicas=2');
    await page.locator('#stage-bake-produced').fill('baked');
    await screenshot(page, 'editor-bake-manifest-1280');
    await page.waitForFunction(() => !document.querySelector('#save-pipeline')?.disabled);
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = (await act.api(env.server.url, `/pipelines/${bakePipeline.id}`)).config.stages
      .find((s) => s.type === 'bakeManifest');
    assert.equal(saved.templateRenderer, 'HELM3');
    assert.deepEqual(saved.inputArtifacts, [{ id: 'chart' }, { id: 'values' }]);
    assert.equal(saved.helmChartFilePath, 'charts/web');
    assert.equal(saved.outputName, 'web');
    assert.deepEqual(saved.overrides, { 'image.tag': '1.2', replicas: '2' });
    assert.equal(saved.expectedArtifacts[0].id, 'baked');
    assert.equal(saved.expectedArtifacts[0].matchArtifact.type, 'embedded/base64');
    // kustomize takes a repository and a kustomization instead.
    await page.locator('#stage-bake-renderer').selectOption('KUSTOMIZE');
    await page.locator('#stage-bake-repository').waitFor();
    await page.locator('#stage-bake-inputs').waitFor({ state: 'detached' });
    shellCheck.noConsoleErrors(errors);
    await close();
  });
  test('Deploy (Manifest) reads its manifests from an expected artifact', async () => {
    const artifactPipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'From an artifact',
      expectedArtifacts: [
        { id: 'manifest', displayName: 'web-manifest', matchArtifact: { type: 'git/repo', name: 'deploy' } },
        { id: 'image', displayName: 'web-image', matchArtifact: { type: 'docker/image', name: 'registry.local/web' } },
      ],
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'deployManifest', name: 'Deploy web', account: 'local',
        manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } }] }],
    });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${artifactPipeline.id}/edit`);
    await page.locator('#pipeline-config-name').waitFor();
    await act.selectStage(page, 'Deploy web');
    const source = page.locator('#stage-manifest-source');
    assert.equal(await source.inputValue(), 'text', 'a stage without source is written here');
    await source.selectOption('artifact');
    await page.locator('#stage-manifests').waitFor({ state: 'detached' });
    await page.locator('#stage-manifest-artifact').fill('manifest');
    await page.locator('#stage-manifest-skip-expressions').check();
    await page.locator('#stage-manifest-required').fill('image');
    // Traffic management: the ReplicaSet as its cluster's next version, Red/Black.
    assert.equal(await page.locator('#stage-traffic-services').count(), 0, 'shown once turned on');
    await page.locator('#stage-traffic-enabled').check();
    await page.locator('#stage-traffic-services').fill('web, web-canary');
    await page.locator('#stage-traffic-enable').check();
    await page.locator('#stage-traffic-strategy').selectOption('redblack');
    await screenshot(page, 'editor-deploy-manifest-artifact-1280');
    await page.waitForFunction(() => !document.querySelector('#save-pipeline')?.disabled);
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();

    const saved = (await act.api(env.server.url, `/pipelines/${artifactPipeline.id}`)).config.stages[0];
    assert.equal(saved.source, 'artifact');
    assert.equal(saved.manifestArtifactId, 'manifest');
    assert.equal(saved.skipExpressionEvaluation, true);
    assert.deepEqual(saved.requiredArtifactIds, ['image']);
    assert.deepEqual(saved.trafficManagement, { enabled: true,
      options: { services: ['service web', 'service web-canary'], enableTraffic: true, strategy: 'redblack' } });
    assert.deepEqual(saved.manifests, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } }], 'what is not shown is kept');

    // Opened again, the form shows what was saved.
    await shell.open(page, page.url());
    await page.locator('#pipeline-config-name').waitFor();
    await act.selectStage(page, 'Deploy web');
    assert.equal(await page.locator('#stage-manifest-source').inputValue(), 'artifact');
    assert.equal(await page.locator('#stage-manifest-artifact').inputValue(), 'manifest');
    assert.equal(await page.locator('#stage-manifest-required').inputValue(), 'image');
    assert.equal(await page.locator('#stage-traffic-services').inputValue(), 'web, web-canary');
    assert.equal(await page.locator('#stage-traffic-strategy').inputValue(), 'redblack');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
