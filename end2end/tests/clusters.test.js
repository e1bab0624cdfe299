// The Kubernetes tabs against the local cluster: a NodePort load balancer and a security group,
// then a server group's life: create → its Pods become Ready → resize 2→3 → disable (the
// load balancer's endpoints drop it) → enable → clone → rollback → destroy; a change made with
// kubectl shows without a reload; the Tasks tab lists what ran; a Deployment applied as a
// manifest is a cluster of revisions that can be scaled, rolled back and deleted; a Job shows
// its outcome.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act, find } from '../support/clusters.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { settings, startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('clusters, load balancers and security groups', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `e2e${Date.now().toString(36)}`;
  const lb = `${app}-web`;
  const v000 = `${app}-v000`;
  const v001 = `${app}-v001`;
  const nodePort = 30000 + (Date.now() % 2700);

  test('the Infrastructure page shows the cluster and the registry as healthy', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/infrastructure`);
    const kubernetes = page.getByRole('list', { name: 'Kubernetes accounts' }).getByRole('listitem').filter({ hasText: 'local' });
    await kubernetes.locator('.status-badge', { hasText: 'Healthy' }).waitFor();
    const registry = page.getByRole('list', { name: 'Docker registries' }).getByRole('listitem').filter({ hasText: 'test' });
    await registry.locator('.status-badge', { hasText: 'Healthy' }).waitFor();
    await screenshot(page, 'infrastructure-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a NodePort load balancer and a security group are created, edited and deleted from their tabs', async () => {
    await act.createApplication(env.server.url, app);
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/load-balancers`);
    await page.getByRole('heading', { name: 'No load balancers yet' }).waitFor();
    await page.locator('#create-load-balancer').click();
    const dialog = find.dialog(page, 'Create Load Balancer');
    await dialog.locator('#lb-namespace').waitFor();
    // Keyboard focus stays inside the modal dialog, forwards and backwards.
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      assert.equal(await page.evaluate(() => Boolean(document.activeElement?.closest('[role=dialog]'))), true, `focus left the dialog after ${key}`);
    }
    await dialog.locator('#lb-stack').fill('web');
    await dialog.locator('#lb-type').selectOption('NodePort');
    await dialog.locator('#lb-ports').fill('80:8080:99999');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.locator('.field-error', { hasText: 'outside 30000–32767' }).waitFor();
    await dialog.locator('#lb-ports').fill(`80:8080:${nodePort}`);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await act.finishTask(page);
    const card = page.getByRole('listitem', { name: `Load balancer ${lb}` });
    await card.getByText('NodePort').waitFor();
    await card.getByText(`node port ${nodePort}`).waitFor();

    // Edit: a second port.
    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = find.dialog(page, `Edit Load Balancer ${lb}`);
    await edit.locator('#lb-ports').fill(`80:8080:${nodePort} http\n443:8443 https`);
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await act.finishTask(page);
    await card.getByText('443 → 8443').waitFor();

    await act.openTab(page, 'Security Groups');
    await page.locator('#create-security-group').click();
    const sgDialog = find.dialog(page, 'Create Security Group');
    await sgDialog.locator('#sg-rules').fill('8080 from 10.0.0.0/8, pods:role=frontend');
    await sgDialog.getByRole('button', { name: 'Create', exact: true }).click();
    await act.finishTask(page);
    const sg = page.getByRole('listitem', { name: `Security group ${app}` });
    await sg.getByText('8080 from 10.0.0.0/8, pods:role=frontend').waitFor();

    // Edit a rule, then delete the security group after confirming.
    await sg.getByRole('button', { name: 'Edit' }).click();
    const sgEdit = find.dialog(page, `Edit Security Group ${app}`);
    await sgEdit.locator('#sg-rules').fill('8080,9090 from 10.0.0.0/8');
    await sgEdit.getByRole('button', { name: 'Save', exact: true }).click();
    await act.finishTask(page);
    await sg.getByText('8080,9090 from 10.0.0.0/8').waitFor();
    await sg.getByRole('button', { name: 'Delete' }).click();
    await find.dialog(page, `Delete security group ${app}`).getByRole('button', { name: 'Delete', exact: true }).click();
    await act.finishTask(page);
    await page.getByRole('heading', { name: 'No security groups yet' }).waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('create a server group: bad input is refused in the dialog, then its Pods become Ready', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    await page.getByRole('heading', { name: 'No server groups yet' }).waitFor();
    await page.locator('#create-server-group').click();
    const dialog = find.dialog(page, 'Create New Server Group');
    await dialog.locator('#sg-namespace').waitFor();
    await dialog.locator('#sg-image').fill('Not An Image');
    await dialog.locator('#sg-replicas').fill('-1');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.locator('.field-error', { hasText: 'is not an image reference' }).waitFor();
    await dialog.locator('.field-error', { hasText: 'Replicas must be between 0 and 1000' }).waitFor();
    await screenshot(page, 'create-server-group-errors-1280');

    // The image comes from the test registry's tags.
    await dialog.getByText('Pick the image from a docker registry').click();
    await dialog.locator('#sg-picker-registry').selectOption('test');
    await dialog.locator('#sg-picker-repository').fill('gennaker/hello');
    await dialog.locator('#sg-picker-tag option', { hasText: '1.1.0' }).waitFor({ state: 'attached' });
    const tags = await dialog.locator('#sg-picker-tag option').allTextContents();
    assert.deepEqual(tags, ['Choose a tag', '2.0.0', '1.1.0', '1.0.0']);
    await dialog.locator('#sg-picker-tag').selectOption('1.0.0');
    assert.equal(await dialog.locator('#sg-image').inputValue(), `${settings.registry.address}/gennaker/hello:1.0.0`);
    await dialog.locator('#sg-replicas').fill('2');
    await dialog.getByLabel(lb).check();
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await find.progress(page).getByText('Wait for 2/2 Pods to be Ready').waitFor();
    await screenshot(page, 'create-server-group-progress-1280');
    await act.finishTask(page);
    await find.instances(page, v000, 'up').nth(1).waitFor();
    assert.equal(await find.instances(page, v000, 'up').count(), 2);
    await find.serverGroup(page, v000).getByText('2/2').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('resize, disable (the endpoints drop it), enable, clone, rollback and destroy', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    await act.selectServerGroup(page, v000);

    await act.serverGroupAction(page, 'Resize');
    await find.dialog(page, `Resize ${v000}`).locator('#resize-replicas').fill('3');
    await find.dialog(page, `Resize ${v000}`).getByRole('button', { name: 'Resize', exact: true }).click();
    await act.finishTask(page);
    await find.serverGroup(page, v000).getByText('3/3').waitFor();

    await act.serverGroupAction(page, 'Disable');
    await find.dialog(page, `Disable ${v000}`).getByRole('button', { name: 'Disable', exact: true }).click();
    await act.finishTask(page);
    await find.instances(page, v000, 'out-of-service').nth(2).waitFor();
    await find.serverGroup(page, v000).getByText('Disabled', { exact: true }).waitFor();
    await act.openTab(page, 'Load Balancers');
    const card = page.getByRole('listitem', { name: `Load balancer ${lb}` });
    await card.locator('.lb-endpoints', { hasText: '0 Pods' }).waitFor();
    await act.openTab(page, 'Clusters');

    await act.selectServerGroup(page, v000);
    await act.serverGroupAction(page, 'Enable');
    await find.dialog(page, `Enable ${v000}`).getByRole('button', { name: 'Enable', exact: true }).click();
    await act.finishTask(page);
    await find.instances(page, v000, 'up').nth(2).waitFor();
    await act.openTab(page, 'Load Balancers');
    await card.locator('.lb-endpoints', { hasText: '3 Pods' }).waitFor();
    await act.openTab(page, 'Clusters');

    await act.selectServerGroup(page, v000);
    await act.serverGroupAction(page, 'Clone');
    const clone = find.dialog(page, 'Clone Server Group');
    assert.equal(await clone.locator('#sg-image').inputValue(), '127.0.0.1:29500/gennaker/hello:1.0.0');
    assert.equal(await clone.locator('#sg-replicas').inputValue(), '3');
    await clone.locator('#sg-image').fill('127.0.0.1:29500/gennaker/hello:1.1.0');
    await clone.locator('#sg-replicas').fill('1');
    await clone.getByRole('button', { name: 'Clone', exact: true }).click();
    await act.finishTask(page);
    await find.instances(page, v001, 'up').first().waitFor();

    await act.selectServerGroup(page, v001);
    await act.serverGroupAction(page, 'Rollback');
    const rollback = find.dialog(page, `Roll back ${v001}`);
    await rollback.locator('#rollback-restore').selectOption(v000);
    await rollback.getByRole('button', { name: 'Roll back', exact: true }).click();
    await act.finishTask(page);
    await find.serverGroup(page, v001).getByText('Disabled', { exact: true }).waitFor();
    await find.serverGroup(page, v000).getByText('Enabled', { exact: true }).waitFor();
    await screenshot(page, 'clusters-1280');

    await act.selectServerGroup(page, v001);
    await act.serverGroupAction(page, 'Destroy');
    await find.dialog(page, `Destroy ${v001}`).getByRole('button', { name: 'Destroy', exact: true }).click();
    await act.finishTask(page);
    await find.serverGroup(page, v001).waitFor({ state: 'detached', timeout: 60_000 });
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a change made with kubectl shows without a reload, also at 360 px', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    await shell.markDocument(page);
    await find.serverGroup(page, v000).getByText('3/3').waitFor();
    act.kubectl('scale', 'replicaset', v000, '--namespace', 'default', '--replicas', '4');
    await find.serverGroup(page, v000).getByText('4/4').waitFor({ timeout: 15_000 });
    await shellCheck.stillSameDocument(page);
    await screenshot(page, 'clusters-360');

    // A manifest applied from the Clusters tab: a document that is no Kubernetes object is
    // refused before anything reaches the cluster, then a ConfigMap is applied.
    await page.locator('#apply-manifest').click();
    const manifest = find.dialog(page, 'Apply Manifest');
    await manifest.locator('#manifest-namespace').waitFor();
    await manifest.locator('#manifest-text').fill('just: a mapping\n');
    await manifest.getByRole('button', { name: 'Apply', exact: true }).click();
    await manifest.locator('.field-error', { hasText: 'Document 1 is not a Kubernetes object' }).waitFor();
    await manifest.locator('#manifest-text').fill(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-settings\ndata:\n  mode: fast\n`);
    await manifest.getByRole('button', { name: 'Apply', exact: true }).click();
    await act.finishTask(page);
    assert.match(act.kubectl('get', 'configmap', `${app}-settings`, '--namespace', 'default', '-o', 'jsonpath={.data.mode}'), /fast/);

    await act.openTab(page, 'Tasks');
    const tasks = page.getByRole('list', { name: 'Tasks' });
    await tasks.getByText(`Destroy ${v001}`).waitFor();
    await tasks.getByRole('button', { name: new RegExp(`Destroy ${v001}`) }).click();
    await tasks.getByText(`Delete ReplicaSet ${v001}`).waitFor();
    await screenshot(page, 'tasks-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a Deployment applied as a manifest is a cluster of revisions: scale, undo rollout, delete', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    const api = `${app}-api`;
    const image = (tag) => `${settings.registry.address}/gennaker/hello:${tag}`;
    const manifest = (tag) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${api}\n  labels: {app.kubernetes.io/name: ${app}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: ${api}}}\n  template:\n    metadata: {labels: {app: ${api}}}\n    spec:\n      containers: [{name: api, image: "${image(tag)}"}]\n`;
    const cluster = page.getByRole('region', { name: `Deployment ${api}` });
    const revision = (n) => cluster.locator('li.server-group').filter({ has: page.locator('.server-group-version', { hasText: new RegExp(`^rev ${n}$`) }) });
    for (const [tag, rev] of [['1.0.0', 1], ['1.1.0', 2]]) {
      await page.locator('#apply-manifest').click();
      const dialog = find.dialog(page, 'Apply Manifest');
      await dialog.locator('#manifest-namespace').waitFor();
      await dialog.locator('#manifest-text').fill(manifest(tag));
      await dialog.getByRole('button', { name: 'Apply', exact: true }).click();
      await act.finishTask(page);
      await revision(rev).locator('.instance.up').nth(1).waitFor({ timeout: 60_000 });
    }
    await cluster.locator('.deployment-status .status-badge', { hasText: 'Rolled out' }).waitFor({ timeout: 60_000 });
    await cluster.getByText('Revision 2 · 2 of 2 updated, 2 ready, 2 available').waitFor();
    await revision(1).getByText('0/0').waitFor();

    await cluster.getByRole('button', { name: 'Scale', exact: true }).click();
    const scale = find.dialog(page, `Scale ${api}`);
    await scale.locator('#resize-replicas').fill('3');
    await scale.getByRole('button', { name: 'Scale', exact: true }).click();
    await act.finishTask(page);
    await cluster.getByText('Revision 2 · 3 of 3 updated, 3 ready, 3 available').waitFor({ timeout: 60_000 });

    // Revision 1's details offer to roll back to it; Kubernetes makes it revision 3.
    await revision(1).locator('button.server-group-button').click();
    await find.details(page).getByText(`Revision 1 of Deployment ${api}`).waitFor();
    await find.details(page).getByRole('button', { name: 'Roll back to revision 1' }).click();
    const undo = find.dialog(page, `Undo rollout of ${api}`);
    assert.equal(await undo.locator('#undo-revision').inputValue(), '1');
    await undo.getByRole('button', { name: 'Undo Rollout', exact: true }).click();
    await act.finishTask(page);
    await cluster.getByText('Revision 3 · 3 of 3 updated, 3 ready, 3 available').waitFor({ timeout: 60_000 });
    await revision(3).getByText(image('1.0.0')).waitFor();
    await revision(3).locator('.status-badge', { hasText: 'Current' }).waitFor();
    await revision(2).locator('.status-badge', { hasText: 'Earlier revision' }).waitFor();
    assert.match(act.kubectl('get', 'deployment', api, '--namespace', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), /hello:1\.0\.0/);
    await screenshot(page, 'deployment-1280');
    await page.setViewportSize(VIEWPORTS.phone);
    await cluster.getByRole('button', { name: 'Undo Rollout', exact: true }).scrollIntoViewIfNeeded();
    await screenshot(page, 'deployment-360');

    await cluster.getByRole('button', { name: 'Delete', exact: true }).click();
    await find.dialog(page, `Delete ${api}`).getByRole('button', { name: 'Delete', exact: true }).click();
    await act.finishTask(page);
    await cluster.waitFor({ state: 'detached', timeout: 30_000 });
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a Job applied as a manifest shows its outcome and Pods, and is deleted', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    const name = `${app}-migrate`;
    await page.locator('#apply-manifest').click();
    const dialog = find.dialog(page, 'Apply Manifest');
    await dialog.locator('#manifest-namespace').waitFor();
    await dialog.locator('#manifest-text').fill(`apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  labels: {app.kubernetes.io/name: ${app}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: migrate, image: "${settings.registry.address}/gennaker/worker:0.1.0"}]\n`);
    await dialog.getByRole('button', { name: 'Apply', exact: true }).click();
    await act.finishTask(page);
    const job = page.getByRole('listitem', { name: `Job ${name}` });
    await job.locator('.status-badge', { hasText: 'Complete' }).waitFor({ timeout: 60_000 });
    await job.getByText('1/1 succeeded').waitFor();
    await job.locator('.instance.completed').waitFor();
    assert.match(await job.locator('.instance.completed').getAttribute('title'), /: Completed$/);
    await screenshot(page, 'jobs-360');
    await job.getByRole('button', { name: `Delete Job ${name}` }).click();
    await find.dialog(page, `Delete ${name}`).getByRole('button', { name: 'Delete', exact: true }).click();
    await act.finishTask(page);
    await job.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByRole('heading', { name: 'Jobs' }).waitFor({ state: 'detached' });
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
