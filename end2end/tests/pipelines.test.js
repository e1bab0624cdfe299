// The user's story: in a fresh application a pipeline is built in the editor — Wait, then a
// Manual Judgment and, in parallel, Evaluate Variables, both joining a Highlander Deploy of
// nginx — with a parameter, and saved. Started from the Pipelines tab with the parameter, it is
// followed live; the approver opens the judgment link on a 360 px phone and continues in two
// taps; the execution succeeds and its server group is Ready on the Clusters tab. A second run
// replaces the server group: Highlander destroys the old one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters, find as clusterFind } from '../support/clusters.js';
import { act, check, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('a pipeline built in the editor, run, approved from a phone, and run again', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `pipe${Date.now().toString(36)}`;
  const pipeline = 'Deploy web';
  const v000 = `${app}-v000`;
  const v001 = `${app}-v001`;

  /** Runs the pipeline from the tab and approves it from the phone; returns the execution's row. */
  async function runAndApprove(page, run) {
    const dialog = await act.startFromTab(page, pipeline, { '#start-param-0': `run ${run}` });
    await dialog.waitFor({ state: 'detached' });
    await find.notice(page, `Started an execution of ${pipeline}`).waitFor();
    const row = find.executionRows(page, pipeline).first();
    // Live: the markers move as the stages run, without a reload.
    await find.marker(row, 'Wait', 'Succeeded').waitFor({ timeout: 20_000 });
    await find.marker(row, 'Manual Judgment', 'Running').waitFor({ timeout: 20_000 });
    const judge = row.getByRole('link', { name: 'Judge now' });
    const href = await judge.getAttribute('href');

    const phone = await openPage(env.browser, VIEWPORTS.phone);
    await phone.page.goto(`${env.server.url}${href}`);
    await phone.page.getByText('Check the canary, then ship.').waitFor();
    // The taps without the script are the no-JavaScript test's; here the page is interactive.
    await phone.page.waitForSelector('body[data-hydrated="true"]');
    if (run === 1) await screenshot(phone.page, 'judgment-360');
    await act.judge(phone.page, { option: 'ship', choice: 'Continue', confirm: 'Yes, continue' });
    await check.decided(phone.page, 'Continued');
    if (run === 1) await screenshot(phone.page, 'judgment-decided-360');
    shellCheck.noConsoleErrors(phone.errors);
    await phone.close();

    await find.marker(row, 'Deploy', 'Succeeded').waitFor({ timeout: 60_000 });
    await row.locator('.execution-head .status-badge', { hasText: 'Succeeded' }).waitFor();
    return row;
  }

  test('the pipeline is built in the editor and saved', async () => {
    await clusters.createApplication(env.server.url, app);
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await page.getByRole('heading', { name: 'No pipelines yet' }).waitFor();
    await page.locator('#create-pipeline').click();
    await find.dialog(page, 'Create pipeline').locator('#pipeline-name').fill(pipeline);
    await find.dialog(page, 'Create pipeline').getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/pipelines\/[^/]+\/edit$/);
    await page.locator('#pipeline-config-name').waitFor();

    // A parameter with a default.
    await page.locator('#add-parameter').click();
    await page.locator('#parameter-0-name').fill('greeting');
    await page.locator('#parameter-0-default').fill('hello');

    // Wait 1 s → Manual Judgment; a new stage depends on the one whose form is open.
    await act.addStage(page, 'Wait');
    await page.locator('#stage-wait-time').fill('1');
    await act.addStage(page, 'Manual Judgment');
    await page.locator('#stage-instructions').fill('Check the canary, then ship.');
    await page.locator('#stage-judgment-inputs').fill('ship\nhold');

    // A parallel branch after the Wait: Evaluate Variables.
    await act.selectStage(page, 'Wait');
    await act.addStage(page, 'Evaluate Variables');
    await page.getByRole('button', { name: '+ Add variable' }).click();
    await page.locator('#stage-variable-0-key').fill('greeted');
    await page.locator('#stage-variable-0-value').fill('${parameters.greeting}');

    // Deploy after the judgment, joining the other branch.
    await act.selectStage(page, 'Manual Judgment');
    await act.addStage(page, 'Deploy');
    await page.getByLabel('Evaluate Variables', { exact: true }).check();
    await page.locator('#add-cluster').click();
    await page.locator('#cluster-namespace').waitFor();
    assert.equal(await page.locator('#cluster-account').inputValue(), 'local');
    assert.equal(await page.locator('#cluster-namespace').inputValue(), 'default');
    await page.locator('#cluster-image').fill('nginx:1.27');
    await page.locator('#cluster-replicas').fill('2');
    await page.locator('#cluster-strategy').selectOption('highlander');
    await page.locator('.cluster-entry', { hasText: 'Highlander, 2 replicas' }).waitFor();

    // The graph: Wait first, the two branches, then the join.
    const deploy = find.stageNode(page, 'Deploy');
    await deploy.getByText('after Manual Judgment and Evaluate Variables').waitFor();
    await screenshot(page, 'editor-1280');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();

    const [saved] = await act.api(env.server.url, `/applications/${app}/pipelines`);
    const stages = saved.config.stages;
    assert.deepEqual(stages.map((s) => [s.name, s.requisiteStageRefIds]), [
      ['Wait', []],
      ['Manual Judgment', ['1']],
      ['Evaluate Variables', ['1']],
      ['Deploy', ['2', '3']],
    ]);
    const cluster = stages[3].clusters[0];
    assert.equal(cluster.strategy, 'highlander');
    assert.equal(cluster.targetSize, 2);
    assert.equal(cluster.containers[0].imageDescription.imageId, 'nginx:1.27');
    assert.deepEqual(stages[1].judgmentInputs, [{ value: 'ship' }, { value: 'hold' }]);
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('started from the tab, followed live, approved in two taps on a phone, deployed', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await shell.markDocument(page);
    const row = await runAndApprove(page, 1);
    await shellCheck.stillSameDocument(page);
    assert.equal(await find.executionRows(page, pipeline).count(), 1);

    // The execution's details: the parameter, the stages, the deploy's tasks.
    await row.getByRole('link', { name: /^Details/ }).click();
    await page.getByRole('heading', { name: `Execution of ${pipeline}` }).waitFor();
    await page.getByText('run 1').waitFor({ state: 'attached' });
    await find.stageNode(page, 'Deploy').click();
    await page.getByRole('heading', { name: 'Stage details: Deploy' }).waitFor();
    await page.locator('.tasks-table', { hasText: 'Wait for 2/2 Pods to be Ready' }).waitFor();
    await find.stageNode(page, 'Manual Judgment').click();
    await page.locator('.stage-details', { hasText: 'Continued by anonymous' }).waitFor();

    // Evaluate an expression against the run.
    await page.locator('#evaluate-expression').fill('${trigger.parameters.greeting}');
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await page.getByLabel('Result').getByText('"run 1"').waitFor();

    await clusters.openTab(page, 'Clusters');
    await clusterFind.instances(page, v000, 'up').nth(1).waitFor({ timeout: 30_000 });
    await clusterFind.serverGroup(page, v000).getByText('2/2').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('at 360 px: the tab and the execution read well', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const row = find.executionRows(page, pipeline).first();
    await find.marker(row, 'Deploy', 'Succeeded').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the tab is ${overflow}px wider than the phone`);
    await screenshot(page, 'pipelines-tab-360');
    await row.getByRole('link', { name: /^Details/ }).click();
    // A finished execution opens on the stage that ended it.
    await page.getByRole('heading', { name: 'Stage details: Deploy' }).waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 0, `the execution view is ${wide}px wider than the phone`);
    await screenshot(page, 'execution-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a second run replaces the server group: Highlander destroys the old one', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await runAndApprove(page, 2);
    assert.equal(await find.executionRows(page, pipeline).count(), 2);

    await clusters.openTab(page, 'Clusters');
    await clusterFind.instances(page, v001, 'up').nth(1).waitFor({ timeout: 30_000 });
    await clusterFind.serverGroup(page, v000).waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(page, 'clusters-after-highlander-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test("at 360 px the second run's Deploy says what Highlander destroyed, in rows", async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await find.executionRows(page, pipeline).first().getByRole('link', { name: /^Details/ }).click();
    await page.getByRole('heading', { name: 'Stage details: Deploy' }).waitFor();
    const tasks = page.locator('.tasks-table');
    await tasks.getByText(`Destroyed ${v000} (was serving 2 Pods)`).waitFor();
    // Its outputs say it too.
    const [latest] = await act.api(env.server.url, `/executions?pipeline=${(await act.api(env.server.url, `/applications/${app}/pipelines`))[0].config.id}&limit=1`);
    const deploy = latest.stages.find((s) => s.name === 'Deploy');
    assert.deepEqual(deploy.outputs.destroyedServerGroups, [v000]);
    // On a phone the table is rows: no header cut into letters, each fact named.
    // (The header stays for screen readers, in a box of one pixel.)
    const head = await tasks.locator('thead').boundingBox();
    assert.ok(!head || head.height <= 1, `the header row shows on a phone (${head && head.height}px high)`);
    await tasks.locator('td[data-label="Duration"]').first().waitFor();
    const widths = await tasks.locator('tbody tr').first().evaluate((row) => row.getBoundingClientRect().width);
    assert.ok(widths <= 360, `a task row is ${widths}px wide`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 0, `the execution view is ${wide}px wider than the phone`);
    await tasks.scrollIntoViewIfNeeded();
    await screenshot(page, 'highlander-record-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
