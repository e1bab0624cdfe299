// The Manual Judgment page without JavaScript, as a phone whose script has not arrived (or never
// will): the server's HTML has the stage and its choices; tap 1 sends a form to the page
// itself, tap 2 posts a real form, and the browser comes back to a page that says who decided. Nothing to decide is said.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { scriptless } from '../support/accessibility.js';
import { act as clusters } from '../support/clusters.js';
import { act, check, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

describe('the Manual Judgment page without JavaScript, and what the execution page changes', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `judge${Date.now().toString(36)}`;

  test('two taps record the decision through the real form', async () => {
    await clusters.createApplication(env.server.url, app);
    const pipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Release',
      stages: [
        { refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Approve release',
          instructions: 'Release notes are in the ticket.', judgmentInputs: [{ value: 'ship it' }, { value: 'hold' }] },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Settle', waitTime: 1 },
      ],
    });
    const started = await act.startPipeline(env.server.url, pipeline.id);
    await act.waitForExecution(env.server.url, started.id, (e) => e.stages[0].status === 'RUNNING', 'waited for a judgment');

    const context = await env.browser.newContext({ viewport: VIEWPORTS.phone, javaScriptEnabled: false });
    const page = await context.newPage();
    scriptless.add(page);
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const link = `${env.server.url}/applications/${app}/executions/${started.id}/judgment`;
    await page.goto(link);
    await page.getByRole('heading', { name: /Approve release/ }).waitFor();
    await page.getByText('Release notes are in the ticket.').waitFor();
    await screenshot(page, 'judgment-no-js-360');

    await act.judge(page, { option: 'ship it', choice: 'Continue', confirm: 'Yes, continue' });
    await check.decided(page, 'Continued');
    await page.getByText('(input: ship it)').waitFor();
    await screenshot(page, 'judgment-no-js-decided-360');

    const done = await act.waitForExecution(env.server.url, started.id, (e) => e.status === 'SUCCEEDED', 'succeeded');
    assert.equal(done.stages[0].context.judgmentInput, 'ship it');
    assert.equal(done.stages[0].lastModified.user, 'anonymous');

    // Opened again, the link says there is nothing left to decide and who decided.
    await page.goto(link);
    await check.decided(page, 'Continued');
    assert.equal(await page.getByRole('button', { name: 'Continue', exact: true }).count(), 0);
    shellCheck.noConsoleErrors(errors);
    await context.close();
  });

  test('the execution page pauses, resumes and cancels with a reason, live', async () => {
    const pipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Hold',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Long wait', waitTime: 600 }],
    });
    const started = await act.startPipeline(env.server.url, pipeline.id);
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/executions/${started.id}`);
    const title = page.locator('#execution-title');
    await title.getByText('Running', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await title.getByText('Paused', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await title.getByText('Running', { exact: true }).waitFor();
    // An expression evaluated, and another half typed.
    const expression = page.locator('#evaluate-expression');
    await expression.fill('${trigger.type}');
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await page.getByLabel('Result').getByText('"manual"').waitFor();
    await expression.fill('${trigger.par');
    await page.getByRole('button', { name: 'Cancel execution', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel execution' });
    await dialog.locator('#cancel-reason').fill('wrong build');
    // Someone else pauses it meanwhile: the page follows, and the open dialog keeps what was
    // typed, as does the evaluate box, with its last answer.
    await act.api(env.server.url, `/executions/${started.id}/pause`, { method: 'POST' });
    await title.getByText('Paused', { exact: true }).waitFor();
    assert.equal(await dialog.locator('#cancel-reason').inputValue(), 'wrong build');
    assert.equal(await expression.inputValue(), '${trigger.par');
    assert.equal(await page.getByLabel('Result').textContent(), '"manual"');
    await dialog.getByRole('button', { name: 'Cancel execution', exact: true }).click();
    await title.getByText('Canceled', { exact: true }).waitFor();
    await page.getByText('Canceled by anonymous: wrong build').waitFor();
    await screenshot(page, 'execution-canceled-1280');
    const done = await act.api(env.server.url, `/executions/${started.id}`);
    assert.equal(done.cancellationReason, 'wrong build');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a failed stage is restarted from its details and runs again with the stages after it', async () => {
    const pipeline = await act.createPipeline(env.server.url, {
      application: app,
      name: 'Gate',
      stages: [
        { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Warm up', waitTime: 1 },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'checkPreconditions', name: 'Gate check',
          preconditions: [{ type: 'expression', failPipeline: true, context: { expression: '${1 == 2}', failureMessage: 'the gate is closed' } }] },
        { refId: '3', requisiteStageRefIds: ['2'], type: 'wait', name: 'After gate', waitTime: 1 },
      ],
    });
    const started = await act.startPipeline(env.server.url, pipeline.id);
    const failed = await act.waitForExecution(env.server.url, started.id, (e) => e.status === 'TERMINAL', 'failed at the gate');
    assert.equal(failed.stages.find((s) => s.refId === '3').status, 'NOT_STARTED');
    const warmedAt = failed.stages.find((s) => s.refId === '1').startTime;

    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/executions/${started.id}`);
    await page.locator('#execution-title').getByText('Terminal', { exact: true }).waitFor();
    // An execution belongs to the Pipelines tab: it is the one marked as current.
    assert.equal(await page.getByRole('navigation', { name: 'Application' }).locator('a[aria-current="page"]').innerText(), 'Pipelines');
    await find.stageNode(page, 'Warm up').click();
    await page.getByRole('heading', { name: 'Stage details: Warm up' }).waitFor();
    await page.getByRole('button', { name: 'Restart Warm up', exact: true }).click();
    const dialog = find.dialog(page, 'Restart Warm up');
    await dialog.getByText('Warm up runs again, and so does every stage after it.').waitFor();
    await screenshot(page, 'execution-restart-360');
    await dialog.getByRole('button', { name: 'Restart', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    // The restarted stage ran again (a new start), and the gate after it failed again: live, on the page.
    const again = await act.waitForExecution(env.server.url, started.id,
      (e) => e.status === 'TERMINAL' && e.stages.find((s) => s.refId === '1').startTime > warmedAt, 'ran again');
    assert.equal(again.stages.find((s) => s.refId === '1').status, 'SUCCEEDED');
    assert.equal(again.stages.find((s) => s.refId === '2').status, 'TERMINAL');
    await page.locator('#execution-title').getByText('Terminal', { exact: true }).waitFor();
    await page.getByText('Restarted by anonymous.').waitFor();
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
