// A Red/Black deploy, seen from the browser: a first run puts v000 behind the load balancer;
// a second deploy, whose Pods never get a node, is started from the Pipelines tab and followed
// live until its stage times out and rolls back: the execution says why and that the previous
// server group was put back, the stage lists the rollback's steps, and the Clusters tab shows
// the failed server group disabled at 0 while v000 still serves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters, find as clusterFind } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('a Red/Black deploy that fails rolls back, on screen', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `rb${Date.now().toString(36)}`;
  const lb = `${app}-web`;
  const [v000, v001] = [`${app}-web-v000`, `${app}-web-v001`];

  /** A Red/Black Deploy stage of one nginx Pod behind the load balancer; `extra` joins the cluster. */
  const deploy = (extra = {}) => ({
    refId: '1', requisiteStageRefIds: [], type: 'deploy', name: 'Deploy',
    clusters: [{
      account: 'local', application: app, cloudProvider: 'kubernetes', namespace: 'default',
      stack: 'web', freeFormDetails: '', targetSize: 1, strategy: 'redblack',
      loadBalancers: [lb], rollback: { onFailure: true }, maxRemainingAsgs: 3,
      containers: [{ name: 'web', imageDescription: { imageId: 'nginx:1.27' } }],
      ...extra,
    }],
  });

  before(async () => {
    await clusters.createApplication(env.server.url, app);
    await clusters.createLoadBalancer(env.server.url, app);
    const good = await act.createPipeline(env.server.url, { application: app, name: 'Red/Black', stages: [deploy()] });
    const first = await act.startPipeline(env.server.url, good.id);
    await act.waitForExecution(env.server.url, first.id, (e) => e.status === 'SUCCEEDED', 'succeeded');
    await act.createPipeline(env.server.url, {
      application: app, name: 'Never healthy',
      stages: [{ ...deploy({ nodeSelector: { 'gennaker.io/nowhere': 'true' } }), overrideTimeout: true, stageTimeoutMs: 8000 }],
    });
  });

  test('started from the tab, it times out, rolls back, and v000 keeps serving', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const dialog = await act.startFromTab(page, 'Never healthy');
    await dialog.waitFor({ state: 'detached' });
    const row = find.executionRows(page, 'Never healthy').first();
    // Live: running, then terminal once the stage timed out and rolled back.
    await find.marker(row, 'Deploy', 'Running').waitFor({ timeout: 20_000 });
    await find.marker(row, 'Deploy', 'Terminal').waitFor({ timeout: 60_000 });
    await row.locator('.execution-head .status-badge', { hasText: 'Terminal' }).waitFor();

    await row.getByRole('link', { name: /^Details/ }).click();
    await page.getByRole('heading', { name: 'Stage details: Deploy' }).waitFor();
    // Why it failed, and that the previous server group was put back.
    const failure = page.locator('.stage-details .stage-failure');
    await failure.waitFor();
    const why = await failure.textContent();
    assert.match(why, /Wait for 1\/1 Pods to be Ready: the stage timed out after 8 s/);
    assert.match(why, /the previous server group was put back/);
    await page.locator('.tasks-table', { hasText: `Roll ${app}-web back to its previous server group` }).waitFor();
    await screenshot(page, 'redblack-rolled-back-1280');

    await clusters.openTab(page, 'Clusters');
    await clusterFind.serverGroup(page, v001).getByText('Disabled', { exact: true }).waitFor({ timeout: 30_000 });
    await clusterFind.instances(page, v000, 'up').first().waitFor({ timeout: 30_000 });
    await clusterFind.serverGroup(page, v000).getByText('Enabled', { exact: true }).waitFor();
    assert.equal(await clusterFind.serverGroup(page, v000).getByText('Disabled', { exact: true }).count(), 0, 'v000 still serves');
    await screenshot(page, 'redblack-clusters-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
