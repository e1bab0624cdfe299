// Notifications, from the editor to the inbox: a pipeline notifies a webhook when it completes,
// its Manual Judgment e-mails the approver a link to the judgment page (through the test SMTP
// server); the execution's page lists every delivery as sent, and the Infrastructure page shows
// the channels. Also the CRON trigger's form: the next five runs as you type, and a bad
// expression says what to write.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { settings, startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

/** The e-mails in the test Maildir mentioning `needle`, with quoted-printable undone. */
function mails(needle) {
  const found = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(settings.smtp.maildir, sub);
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      if (text.includes(needle)) found.push(text);
    }
  }
  return found;
}

describe('notifications and CRON triggers, on screen', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `nt${Date.now().toString(36)}`;
  const approver = `${app}@example.com`;
  const received = [];
  let hook;

  before(async () => {
    assert.ok(settings.smtp, 'the test SMTP server must be running (make test starts it)');
    hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ path: request.url, body: JSON.parse(body || 'null') });
        response.end();
      });
    });
    await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
    await clusters.createApplication(env.server.url, app);
  });
  after(() => new Promise((resolve) => hook.close(resolve)));

  test('a webhook on completion and an e-mail with the judgment link, made in the editor', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    await page.locator('#create-pipeline').click();
    await find.dialog(page, 'Create pipeline').locator('#pipeline-name').fill('Release');
    await find.dialog(page, 'Create pipeline').getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/pipelines\/[^/]+\/edit$/);
    await page.locator('#pipeline-config-name').waitFor();

    // The pipeline's notification: JSON to the webhook when it completes.
    await page.locator('#add-notification').click();
    await page.locator('#notification-0-type').selectOption('webhook');
    await page.locator('#notification-0-address').fill(`http://127.0.0.1:${hook.address().port}/done`);
    await page.getByLabel('On pipeline complete').check();

    // A Manual Judgment that e-mails the approver while it waits.
    await act.addStage(page, 'Manual Judgment');
    await page.locator('#stage-instructions').fill('Look at the canary.');
    await page.locator('#stage-send-notifications').check();
    await page.locator('#add-stage-notification').click();
    await page.locator('#stage-notification-0-address').fill(approver);
    await page.getByLabel('On awaiting judgment').check();
    await screenshot(page, 'notifications-stage-1280');
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const [saved] = await act.api(env.server.url, `/applications/${app}/pipelines`);
    assert.deepEqual(saved.config.notifications, [{
      type: 'webhook', address: `http://127.0.0.1:${hook.address().port}/done`, level: 'pipeline', when: ['pipeline.complete'],
    }]);
    const judgmentStage = saved.config.stages[0];
    assert.equal(judgmentStage.sendNotifications, true);
    assert.deepEqual(judgmentStage.notifications[0], { type: 'email', address: approver, level: 'stage', when: ['manualJudgment'] });

    // Run it: the approver's e-mail links to the judgment page.
    const execution = await act.startPipeline(env.server.url, saved.config.id);
    const link = `${env.server.url}/applications/${app}/executions/${execution.id}/judgment?stage=`;
    const deadline = Date.now() + 20_000;
    let mail;
    while (!mail && Date.now() < deadline) {
      [mail] = mails(approver).filter((m) => m.includes(execution.id));
      if (!mail) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(mail, 'the approver got an e-mail');
    assert.ok(mail.includes(link), mail);
    assert.ok(mail.includes('Look at the canary.'), mail);
    const judgmentUrl = mail.split('\n').find((l) => l.startsWith('Judge it: ')).slice('Judge it: '.length).trim();

    // The approver follows the link and continues.
    await shell.open(page, judgmentUrl);
    await act.judge(page, { choice: 'Continue', confirm: 'Yes, continue' });
    await act.waitForExecution(env.server.url, execution.id, (e) => e.status === 'SUCCEEDED', 'succeeded');
    await shell.open(page, `${env.server.url}/applications/${app}/executions/${execution.id}`);
    const table = page.getByRole('region', { name: 'Notifications' });
    await table.locator('tr.notification-delivery', { hasText: 'pipeline complete' }).locator('.status-badge', { hasText: 'Sent' }).waitFor({ timeout: 20_000 });
    await table.locator('tr.notification-delivery', { hasText: 'Manual Judgment: awaiting judgment' }).locator('.status-badge', { hasText: 'Sent' }).waitFor();
    await screenshot(page, 'notifications-execution-1280');
    const done = received.find((r) => r.path === '/done');
    assert.equal(done.body.event, 'pipeline.complete');
    assert.equal(done.body.executionId, execution.id);

    await shell.open(page, `${env.server.url}/infrastructure`);
    await page.getByRole('list', { name: 'Notification channels' }).locator('li', { hasText: approver }).getByText('Delivering').waitFor();
    await screenshot(page, 'notifications-infrastructure-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('a CRON trigger shows its next runs as you type, and says what is wrong', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    const created = await act.createPipeline(env.server.url, { application: app, name: 'Nightly', stages: [] });
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${created.id}/edit`);
    await page.locator('#add-trigger-type').selectOption({ label: 'CRON' });
    await page.locator('#add-trigger').click();
    await page.locator('#trigger-0-cronExpression').fill('0 30 9 ? * MON-FRI');
    await page.locator('#trigger-0-timeZone').fill('Asia/Tokyo');
    const runs = page.locator('.next-runs li');
    await runs.first().waitFor();
    assert.equal(await runs.count(), 5);
    for (const text of await runs.allTextContents()) assert.match(text, /^(Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:30:00 \(Asia\/Tokyo\)$/);
    await screenshot(page, 'cron-next-runs-360');
    await page.locator('#trigger-0-cronExpression').fill('0 61 * * *');
    await page.getByText('is not a CRON expression').waitFor();
    await page.locator('#trigger-0-cronExpression').fill('30 2 * * *');
    await runs.first().waitFor();
    await find.save(page).click();
    await find.notice(page, 'Saved as version 2').waitFor();
    const saved = await act.api(env.server.url, `/pipelines/${created.id}`);
    assert.equal(saved.config.triggers[0].cronExpression, '30 2 * * *');
    assert.ok(saved.config.triggers[0].id, 'the server gave the trigger an id');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
