// The stages that act on a cluster and on a Kubernetes object, built in the editor and run:
// Find Image from Cluster feeding a Deploy ("Image from" the Find Image stage), Resize, Disable,
// Enable and Destroy Server Group (newest, previous, oldest or named), Scale Down Cluster and
// Shrink Cluster, and on a branch of their own Scale (Manifest), Undo Rollout (Manifest) and
// Rolling Restart (Manifest) of a Deployment (the last chosen from its cluster when it runs), and
// Delete (Manifest) of the ConfigMaps whose labels match. The run's details say what each stage acted on or
// found.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('cluster and manifest stages, built in the editor and run', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `cs${Date.now().toString(36)}`;
  const lb = app;
  const api = `${app}-api`;
  const v = (n) => `${app}-v${String(n).padStart(3, '0')}`;
  let pipeline;

  const operate = (body) => clusters.operate(env.server.url, body);
  const deployment = (image) => JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: api, namespace: 'default', labels: { 'app.kubernetes.io/name': app } },
    spec: { replicas: 1, selector: { matchLabels: { app: api } },
      template: { metadata: { labels: { app: api } }, spec: { containers: [{ name: 'api', image }] } } },
  });

  before(async () => {
    await clusters.createApplication(env.server.url, app);
    await operate({ type: 'upsertLoadBalancer', spec: {
      application: app, account: 'local', namespace: 'default', stack: '',
      type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }],
    } });
    // v000 runs nginx:1.25, v001 nginx:1.26; both serve.
    for (const tag of ['1.25', '1.26']) {
      await operate({ type: 'createServerGroup', spec: {
        application: app, account: 'local', namespace: 'default', stack: '', detail: '',
        image: `nginx:${tag}`, replicas: 1, loadBalancers: [lb],
      } });
      // The Deployment's revisions 1 and 2.
      await operate({ type: 'applyManifest', application: app, account: 'local', namespace: 'default', manifest: deployment(`nginx:${tag}`) });
    }
    // Two ConfigMaps for a Delete (Manifest) by label: only the cache one matches.
    for (const tier of ['cache', 'db']) {
      const configMap = { apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: `${app}-${tier}`, namespace: 'default', labels: { 'app.kubernetes.io/name': app, tier } }, data: { tier } };
      await operate({ type: 'applyManifest', application: app, account: 'local', namespace: 'default', manifest: JSON.stringify(configMap) });
    }
    pipeline = await act.createPipeline(env.server.url, {
      application: app, name: 'Cluster stages',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Start', waitTime: 0 }],
    });
  });

  /** The account, namespace and cluster of a cluster stage's form. */
  const place = async (page) => {
    await page.locator('#stage-cluster-account').selectOption('local');
    await page.locator('#stage-cluster-namespace').fill('default');
    await page.locator('#stage-cluster-name').fill(app);
  };
  const target = async (page, value, name) => {
    await page.locator('#stage-target').selectOption(value);
    if (name) await page.locator('#stage-server-group-name').fill(name);
  };
  const manifestObject = async (page) => {
    await page.locator('#stage-manifest-account').selectOption('local');
    await page.locator('#stage-manifest-namespace').fill('default');
    await page.locator('#stage-manifest-kind').fill('deployment');
    await page.locator('#stage-manifest-name').fill(api);
  };

  test('every stage is built in its form, saved in Spinnaker\'s fields, and runs', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${pipeline.id}/edit`);
    await page.locator('#pipeline-config-name').waitFor();

    // Each new stage depends on the one whose form is open.
    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Find Image from Cluster');
    await place(page);
    await page.locator('#stage-find-selection').selectOption('NEWEST');

    await act.addStage(page, 'Deploy');
    await page.locator('#add-cluster').click();
    await page.locator('#cluster-image-from').selectOption({ label: 'Find Image stage: Find Image from Cluster' });
    await page.locator('.image-elsewhere', { hasText: 'The image is the one "Find Image from Cluster" finds' }).waitFor();
    assert.equal(await page.locator('#cluster-image').isVisible(), false, 'no image to type');
    await page.getByLabel(lb, { exact: true }).check();
    await page.locator('.cluster-entry', { hasText: 'None, 1 replicas' }).waitFor();

    await act.addStage(page, 'Resize Server Group');
    await place(page);
    await target(page, 'ancestor_asg_dynamic');
    await page.locator('#stage-resize-action').selectOption('scale_up');
    await page.locator('#stage-resize-type').selectOption('incr');
    await page.locator('#stage-resize-amount').fill('1');

    await act.addStage(page, 'Disable Server Group');
    await place(page);
    await target(page, 'ancestor_asg_dynamic');

    await act.addStage(page, 'Enable Server Group');
    await place(page);
    await target(page, 'named', v(1));

    await act.addStage(page, 'Scale Down Cluster');
    await place(page);
    await page.locator('#stage-cleanup-keep').fill('2');
    await page.locator('#stage-cleanup-active').check();

    await act.addStage(page, 'Shrink Cluster');
    await place(page);
    await page.locator('#stage-cleanup-keep').fill('2');
    await page.locator('#stage-cleanup-active').check();

    await act.addStage(page, 'Destroy Server Group');
    await place(page);
    await target(page, 'oldest_asg_dynamic');
    await screenshot(page, 'editor-cluster-stages-1280');

    // A branch of its own after Start: the Deployment.
    await act.selectStage(page, 'Start');
    await act.addStage(page, 'Scale (Manifest)');
    await manifestObject(page);
    await page.locator('#stage-scale-replicas').fill('2');
    await act.addStage(page, 'Undo Rollout (Manifest)');
    await manifestObject(page);
    await page.locator('#stage-undo-back').fill('1');
    // Chosen when the stage runs: the newest of the Deployment's cluster.
    await act.addStage(page, 'Rolling Restart (Manifest)');
    await page.locator('#stage-manifest-account').selectOption('local');
    await page.locator('#stage-manifest-namespace').fill('default');
    await page.locator('#stage-manifest-mode').selectOption('dynamic');
    await page.locator('#stage-manifest-cluster').fill(`deployment ${api}`);
    assert.equal(await page.locator('#stage-manifest-criteria').inputValue(), 'newest');
    // Found by their labels when the stage runs.
    await act.addStage(page, 'Delete (Manifest)');
    await page.locator('#stage-manifest-account').selectOption('local');
    await page.locator('#stage-manifest-namespace').fill('default');
    await page.locator('#stage-manifest-mode').selectOption('label');
    await page.locator('#stage-manifest-kinds').fill('configMap');
    await page.locator('#stage-manifest-labels').fill(`app.kubernetes.io/name=${app}, tier in (cache)`);

    await screenshot(page, 'editor-manifest-stages-1280');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = (await act.api(env.server.url, `/pipelines/${pipeline.id}`)).config;
    const byName = Object.fromEntries(saved.stages.map((s) => [s.name, s]));
    assert.deepEqual(byName['Find Image from Cluster'].namespaces, ['default']);
    assert.equal(byName['Find Image from Cluster'].credentials, 'local');
    assert.deepEqual(byName.Deploy.clusters[0].containers[0].imageDescription.fromContext, true);
    assert.equal(byName.Deploy.clusters[0].containers[0].imageDescription.stageId, byName['Find Image from Cluster'].refId);
    assert.equal(byName['Resize Server Group'].target, 'ancestor_asg_dynamic');
    assert.equal(byName['Resize Server Group'].scaleNum, 1);
    assert.equal(byName['Enable Server Group'].serverGroupName, v(1));
    assert.equal(byName['Enable Server Group'].target, undefined);
    assert.equal(byName['Scale Down Cluster'].remainingFullSizeServerGroups, 2);
    assert.equal(byName['Shrink Cluster'].allowDeleteActive, true);
    assert.equal(byName['Scale (Manifest)'].manifestName, `deployment ${api}`);
    assert.equal(byName['Undo Rollout (Manifest)'].numRevisionsBack, 1);
    assert.equal(byName['Rolling Restart (Manifest)'].mode, 'dynamic');
    assert.equal(byName['Rolling Restart (Manifest)'].cluster, `deployment ${api}`);
    assert.equal(byName['Rolling Restart (Manifest)'].criteria, 'newest');
    assert.equal(byName['Delete (Manifest)'].mode, 'label');
    assert.deepEqual(byName['Delete (Manifest)'].kinds, ['configMap']);
    assert.deepEqual(byName['Delete (Manifest)'].labelSelectors.selectors, [
      { kind: 'EQUALS', key: 'app.kubernetes.io/name', values: [app] },
      { kind: 'CONTAINS', key: 'tier', values: ['cache'] },
    ]);
    assert.deepEqual(byName['Rolling Restart (Manifest)'].requisiteStageRefIds, [byName['Undo Rollout (Manifest)'].refId]);

    // Run it from the tab and follow it to its end.
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const dialog = await act.startFromTab(page, 'Cluster stages');
    await dialog.waitFor({ state: 'detached' });
    const row = find.executionRows(page, 'Cluster stages').first();
    await row.locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 90_000 });

    await row.getByRole('link', { name: /^Details/ }).click();
    const says = async (stage, text) => {
      await find.stageNode(page, stage).click();
      await page.getByRole('heading', { name: `Stage details: ${stage}` }).waitFor();
      await page.locator('.stage-details .stage-result', { hasText: text }).waitFor();
    };
    await says('Find Image from Cluster', `Found nginx:1.26 on ${v(1)}`);
    await says('Resize Server Group', `Acted on ${v(1)}: 2 replicas`);
    await says('Disable Server Group', `Acted on ${v(1)}`);
    await says('Enable Server Group', `Acted on ${v(1)}`);
    // v002 (deployed here) counts as kept, v001 is the newest other: v000 goes to 0, then away.
    await says('Scale Down Cluster', `Scaled down ${v(0)}`);
    await says('Destroy Server Group', `Acted on ${v(1)}`);
    await says('Undo Rollout (Manifest)', 'Rolled back from revision 2 to revision 1');
    await says('Rolling Restart (Manifest)', `Acted on deployment ${api} in default`);
    await says('Delete (Manifest)', `Acted on configMap ${app}-cache in default`);
    const configMaps = clusters.kubectl('get', 'configmaps', '-n', 'default', '-l', `app.kubernetes.io/name=${app}`, '-o', 'name');
    assert.deepEqual(configMaps.trim().split('\n'), [`configmap/${app}-db`]);
    await screenshot(page, 'execution-cluster-stages-1280');

    // What is left: only what this execution deployed, with the image Find Image found.
    const left = await act.api(env.server.url, `/applications/${app}/clusters`);
    // The Deployment's ReplicaSets are listed too, under their Deployment.
    const groups = left.flatMap((c) => c.serverGroups).filter((g) => !g.deployment);
    assert.deepEqual(groups.map((g) => g.name), [v(2)]);
    assert.deepEqual(groups[0].images, ['nginx:1.26']);
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
