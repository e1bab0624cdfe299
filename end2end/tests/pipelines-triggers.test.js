// The article's steps 4 and 5 with a real registry: a pipeline with a Docker Registry trigger and
// a Highlander Deploy of the trigger's image is made in the editor; started by hand it deploys the
// newest tag; a new tag pushed with skopeo starts it by itself (the registry's notification
// reaches the server at once) and the new server group replaces the old; a restart starts
// nothing; the same tag pushed again with new content (a new digest) runs it again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { act as clusters, find as clusterFind } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { launchBrowser, openPage, screenshot, VIEWPORTS } from '../support/browser.js';
import { settings, startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('article steps 4 and 5: a push to the registry deploys by itself', () => {
  const env = { server: null, browser: null };
  const app = `art${Date.now().toString(36)}`;
  const repository = `gennaker/${app}`;
  const pipeline = 'Deploy on push';
  const group = (n) => `${app}-v00${n}`;
  /** Pushes `repository:tag` with skopeo (another build of it with `build`); its digest. */
  const push = (tag, build = '') =>
    execFileSync(settings.registry.script, ['push', repository, tag, build], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  let pipelineId;

  before(async () => {
    assert.ok(settings.registry, 'the test registry must be running (make test starts it)');
    env.server = await startServer({ port: settings.registry.notifyPort });
    env.browser = await launchBrowser();
    push('1.0.0');
    await clusters.createApplication(env.server.url, app);
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });

  /** The executions of the pipeline, newest first. */
  const executions = () => act.api(env.server.url, `/executions?pipeline=${pipelineId}&limit=50`);
  /** Waits until the repository has been looked at after `since` (ms), with `tags` tags. */
  const scanned = async (since, tags) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const watched = await act.api(env.server.url, '/triggers/docker');
      const found = watched.find((w) => w.repository === repository && Date.parse(w.checkedAt) > since);
      if (found) {
        assert.equal(found.error, null);
        assert.equal(found.tags, tags);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${repository} was not looked at again`);
  };

  test('step 4: the trigger and the Highlander Deploy are made in the editor', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await page.locator('#create-pipeline').click();
    await find.dialog(page, 'Create pipeline').locator('#pipeline-name').fill(pipeline);
    await find.dialog(page, 'Create pipeline').getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/pipelines\/[^/]+\/edit$/);
    await page.locator('#pipeline-config-name').waitFor();

    await page.locator('#add-trigger-type').selectOption({ label: 'Docker Registry' });
    await page.locator('#add-trigger').click();
    const trigger = page.getByRole('group', { name: 'Docker Registry trigger 1' });
    await trigger.locator('#trigger-0-account').selectOption('test');
    // The registry's repositories are offered as the repository is typed.
    await trigger.locator(`#trigger-0-repositories option[value="${repository}"]`).waitFor({ state: 'attached' });
    assert.equal(await trigger.locator('#trigger-0-repository').getAttribute('list'), 'trigger-0-repositories');
    await trigger.locator('#trigger-0-repository').fill(repository);
    // The tag pattern's matches among the repository's tags, live, by the server's rule.
    await trigger.locator('.tag-matches', { hasText: 'Matches 1 of 1 tags now: 1.0.0' }).waitFor();
    await trigger.locator('#trigger-0-tag').fill('v.*');
    await trigger.locator('.tag-matches', { hasText: "Matches none of the repository's 1 tags now." }).waitFor();
    await trigger.locator('#trigger-0-tag').fill('\\d+\\.\\d+\\.\\d+');
    await trigger.locator('.tag-matches', { hasText: 'Matches 1 of 1 tags now: 1.0.0' }).waitFor();
    await act.addStage(page, 'Deploy');
    await page.locator('#add-cluster').click();
    await page.locator('#cluster-image-from').selectOption({ label: "The trigger's pushed image" });
    assert.equal(await page.locator('#cluster-image').isVisible(), false, 'no image to type');
    await page.locator('#cluster-replicas').fill('1');
    await page.locator('#cluster-strategy').selectOption('highlander');
    await page.locator('.cluster-entry', { hasText: 'Highlander, 1 replicas' }).waitFor();
    await screenshot(page, 'triggers-deploy-1280');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();

    const [saved] = await act.api(env.server.url, `/applications/${app}/pipelines`);
    pipelineId = saved.config.id;
    assert.deepEqual(saved.config.triggers, [{
      type: 'docker', enabled: true, account: 'test', registry: settings.registry.address,
      repository, tag: '\\d+\\.\\d+\\.\\d+',
    }]);
    const image = saved.config.stages[0].clusters[0].containers[0].imageDescription;
    assert.equal(image.fromTrigger, true);
    // Saved, the repository is watched: its one tag is recorded, nothing started.
    await scanned(0, 1);
    assert.equal((await executions()).length, 0);

    // The Configuration form says so.
    await page.reload();
    await page.locator('.trigger-watch', { hasText: 'Watched: 1 tag(s) seen' }).waitFor();
    await screenshot(page, 'triggers-editor-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('step 5: by hand, then by pushes; a restart in between starts nothing', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const rows = find.executionRows(page, pipeline);

    // By hand: the newest tag the trigger would start on.
    const dialog = await act.startFromTab(page, pipeline);
    await dialog.waitFor({ state: 'detached' });
    await rows.first().locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    const [manual] = await executions();
    assert.equal(manual.trigger.type, 'manual');
    assert.equal(manual.trigger.tag, '1.0.0');

    // A new tag: it starts by itself, and the new server group replaces the old.
    const digest = push('1.1.0');
    const pushed = rows.filter({ hasText: `Docker Registry: ${repository}:1.1.0` });
    await pushed.waitFor({ timeout: 40_000 });
    await pushed.locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'triggers-started-by-push-1280');
    const [byPush] = await executions();
    assert.equal(byPush.trigger.type, 'docker');
    assert.equal(byPush.trigger.digest, digest);
    await clusters.openTab(page, 'Clusters');
    await clusterFind.instances(page, group(1), 'up').first().waitFor({ timeout: 30_000 });
    await clusterFind.serverGroup(page, group(0)).waitFor({ state: 'detached', timeout: 30_000 });

    // A restart finds nothing new.
    const restarted = Date.now();
    env.server = await env.server.restart();
    await scanned(restarted, 2);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await executions()).length, 2, 'the restart started nothing');

    // The same tag with new content: a new digest, a new deploy.
    const rebuilt = push('1.1.0', '2');
    assert.notEqual(rebuilt, digest);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await rows.filter({ hasText: `(${rebuilt.slice(0, 19)})` }).locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    assert.equal((await executions()).length, 3);
    await clusters.openTab(page, 'Clusters');
    await clusterFind.instances(page, group(2), 'up').first().waitFor({ timeout: 30_000 });
    await clusterFind.serverGroup(page, group(1)).waitFor({ state: 'detached', timeout: 30_000 });
    const containers = clusters.kubectl('get', 'replicaset', group(2), '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    assert.equal(containers, `${settings.registry.address}/${repository}:1.1.0@${rebuilt}`);
    await screenshot(page, 'triggers-clusters-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
