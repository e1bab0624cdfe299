// The article's walk-through as a new user meets it, on a phone first: what tripped them up.
// Stages read in graph order everywhere (the execution row's markers, the editor's moves, the
// stage a finished execution opens on) and an execution page has one "Judge now"; every tab of
// an application shows at 360 px; a Deploy stage creates the load balancer it needs in place,
// its "Image from" reads whole and the sticky Save bar never covers the field being filled;
// the Tasks page says where a task ran and when, apart; and editing a reopened 20-stage
// pipeline is timed (the figures are printed, never asserted: these machines are shared).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { act as clusters } from '../support/clusters.js';
import { act, find } from '../support/pipelines.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { settings, startServer } from '../support/server.js';
import { act as shell, check as shellCheck } from '../support/shell.js';

/** How much wider than its viewport the page is, and the innermost elements that stick out. */
const overflow = (page) => page.evaluate(() => {
  const beyond = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
  return { wider: document.documentElement.scrollWidth - window.innerWidth, beyond };
});

describe('the walk-through as a new user meets it', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `walk${Date.now().toString(36)}`;

  before(async () => {
    await clusters.createApplication(env.server.url, app);
  });

  test('at 360 px stages read in graph order: markers, moves, the stage a run opens on; one Judge now', async () => {
    // "Ship" is listed first but waits for the Manual Judgment added after it.
    const config = await act.createPipeline(env.server.url, {
      application: app, name: 'Ordered', stages: [
        { refId: '1', type: 'wait', name: 'Ship', waitTime: 1, requisiteStageRefIds: ['2'] },
        { refId: '2', type: 'manualJudgment', name: 'Manual Judgment', requisiteStageRefIds: [] },
      ],
    });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);

    // The editor: Ship runs last, so it can move earlier but not later.
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${config.id}/edit`);
    await act.selectStage(page, 'Ship');
    const earlier = page.getByRole('button', { name: 'Move earlier' });
    const later = page.getByRole('button', { name: 'Move later' });
    assert.equal(await later.isDisabled(), true, 'Ship already runs last');
    assert.equal(await earlier.isDisabled(), false);
    await earlier.click();
    // Moved, Ship takes the judgment's place: it runs first and the judgment waits for it.
    await find.stageNode(page, 'Manual Judgment').getByText('after Ship').waitFor();
    assert.equal(await earlier.isDisabled(), true);
    assert.equal(await later.isDisabled(), false);
    await screenshot(page, 'editor-moves-360');
    await page.getByRole('button', { name: 'Revert' }).click();
    await find.stageNode(page, 'Ship').getByText('after Manual Judgment').waitFor();

    // The Pipelines tab: the judgment's marker comes first.
    const execution = await act.startPipeline(env.server.url, config.id);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines`);
    const row = find.executionRows(page, 'Ordered').first();
    await find.marker(row, 'Manual Judgment', 'Running').waitFor({ timeout: 20_000 });
    const markers = await row.locator('.stage-marker').evaluateAll((items) => items.map((i) => i.title));
    assert.deepEqual(markers, ['Manual Judgment: Running', 'Ship: Not started']);

    // The execution page while it waits: one Judge now, naming the stage, and it opens there.
    await shell.open(page, `${env.server.url}/applications/${app}/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'Stage details: Manual Judgment' }).waitFor();
    const judge = page.getByRole('link', { name: 'Judge now' });
    assert.equal(await judge.count(), 1, 'one Judge now');
    assert.match(await judge.getAttribute('href'), /\/judgment\?stage=2$/);
    await screenshot(page, 'execution-waiting-360');

    // Canceled at the judgment, it opens on the judgment, not on the stage that never ran.
    await act.api(env.server.url, `/executions/${execution.id}/cancel?reason=not%20today`, { method: 'POST' });
    await act.waitForExecution(env.server.url, execution.id, (e) => e.status === 'CANCELED', 'canceled');
    await shell.open(page, `${env.server.url}/applications/${app}/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'Stage details: Manual Judgment' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Judge now' }).count(), 0);
    await screenshot(page, 'execution-canceled-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test("at 360 px every tab of the application shows, none cut or hidden", async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    const tabs = page.getByRole('navigation', { name: 'Application' }).getByRole('link');
    assert.deepEqual(await tabs.allTextContents(), ['Pipelines', 'Clusters', 'Tasks', 'Load Balancers', 'Security Groups', 'Config']);
    for (const tab of await tabs.all()) {
      const box = await tab.boundingBox();
      const name = await tab.textContent();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${name} is inside the phone's width: ${JSON.stringify(box)}`);
      const cut = await tab.evaluate((a) => a.scrollWidth > a.clientWidth);
      assert.equal(cut, false, `${name} is not cut`);
    }
    const { wider, beyond } = await overflow(page);
    assert.ok(wider <= 0, `the page is ${wider}px wider than the phone: ${beyond.join(', ')}`);
    await screenshot(page, 'application-tabs-360');
    await clusters.openTab(page, 'Security Groups');
    await page.waitForURL(/\/security-groups$/);
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('at 360 px a Deploy stage creates its load balancer in place; Image from reads whole; Save never covers a field', async () => {
    const config = await act.createPipeline(env.server.url, { application: app, name: 'Release', stages: [] });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${config.id}/edit`);
    await act.addStage(page, 'Deploy');
    await page.locator('#add-cluster').click();
    await page.locator('#cluster-namespace').waitFor();

    // "Image from" shows its whole choice.
    const fits = await page.locator('#cluster-image-from').evaluate((select) => {
      const style = getComputedStyle(select);
      const context = document.createElement('canvas').getContext('2d');
      context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = select.options[select.selectedIndex].text;
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { text, width: context.measureText(text).width, room };
    });
    assert.ok(fits.width <= fits.room, `"${fits.text}" needs ${fits.width}px of ${fits.room}px`);

    // No load balancer yet: one is made from here, in the cluster's account and namespace.
    await page.getByText('No load balancers in this namespace yet.').waitFor();
    await page.locator('#cluster-create-load-balancer').click();
    const dialog = find.dialog(page, 'Create Load Balancer');
    await dialog.locator('#lb-namespace').waitFor();
    assert.equal(await dialog.locator('#lb-account').inputValue(), 'local');
    assert.equal(await dialog.locator('#lb-namespace').inputValue(), 'default');
    await dialog.locator('#lb-stack').fill('web');
    await screenshot(page, 'deploy-create-load-balancer-360', { fullPage: false });
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await clusters.finishTask(page);
    await dialog.waitFor({ state: 'detached' });
    // The Deploy form lists it at once, ready to be chosen.
    const created = page.getByLabel(`${app}-web`, { exact: true });
    await created.waitFor({ timeout: 20_000 });
    await created.check();
    await page.locator('#cluster-image').fill('nginx:1.27');

    // Tab from field to field through the form: the focused one is never under the Save bar.
    const bar = page.locator('.editor-footer');
    await page.locator('#stage-name').focus();
    let checked = 0;
    for (let step = 0; step < 40; step += 1) {
      await page.keyboard.press('Tab');
      const covered = await page.evaluate(() => {
        const focused = document.activeElement;
        const footer = document.querySelector('.editor-footer');
        if (!focused || !footer || footer.contains(focused) || !focused.closest('.editor-form')) return { field: false };
        const field = focused.getBoundingClientRect();
        const under = field.bottom > footer.getBoundingClientRect().top + 1;
        return { field: true, under: under ? `${focused.id || focused.tagName} (${field.bottom} below ${footer.getBoundingClientRect().top})` : null };
      });
      if (!covered.field) continue;
      checked += 1;
      assert.equal(covered.under, null, `the Save bar covers ${covered.under}`);
    }
    assert.ok(checked >= 10, `Tab reached ${checked} of the form's fields`);
    await bar.waitFor();
    await screenshot(page, 'deploy-form-360');
    const { wider, beyond } = await overflow(page);
    assert.ok(wider <= 0, `the editor is ${wider}px wider than the phone: ${beyond.join(', ')}`);
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('at 360 px the Tasks page says where and when a task ran, apart', async () => {
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/tasks`);
    const meta = page.locator('li.task-row', { hasText: `${app}-web` }).first().locator('.task-meta');
    await meta.waitFor();
    assert.match(await meta.innerText(), new RegExp(`^in ${app} · (just now|\\d+ \\w+ ago) · [\\d.]+ \\w+ · by `));
    await screenshot(page, 'tasks-360');
    shellCheck.noConsoleErrors(errors);
    await close();
  });

  test('editing a reopened 20-stage pipeline: each edit is timed', async () => {
    // Twenty stages as a real pipeline has them: judgments, waits, webhooks, deploys.
    const stages = Array.from({ length: 20 }, (_, i) => {
      const refId = String(i + 1);
      const requisiteStageRefIds = i === 0 ? [] : [String(i)];
      const common = { refId, requisiteStageRefIds, name: `Stage ${refId}` };
      switch (i % 4) {
        case 0: return { ...common, type: 'manualJudgment', instructions: 'Look, then go on.', judgmentInputs: [{ value: 'go' }] };
        case 1: return { ...common, type: 'wait', waitTime: 5 };
        case 2: return { ...common, type: 'webhook', method: 'POST', url: 'http://127.0.0.1:9/hook', payload: { id: '${execution.id}' } };
        default: return {
          ...common, type: 'deploy', clusters: [{
            account: 'local', namespace: 'default', application: app, stack: `s${i}`, strategy: 'highlander',
            targetSize: 1, containers: [{ name: 'main', imageDescription: { imageId: 'nginx:1.27' } }],
          }],
        };
      }
    });
    // As the article's pipeline: a Docker Registry trigger whose pushed image a Deploy takes.
    const triggers = settings.registry ? [{
      type: 'docker', enabled: true, account: 'test', registry: settings.registry.address,
      repository: `${app}/web`, tag: '\\d+\\.\\d+\\.\\d+',
    }] : [];
    if (settings.registry) stages[3].clusters[0].containers[0].imageDescription = { fromTrigger: true, repository: `${app}/web` };
    const config = await act.createPipeline(env.server.url, { application: app, name: 'Twenty', stages, triggers });
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.desktop);
    await shell.open(page, `${env.server.url}/applications/${app}/pipelines/${config.id}/edit`);
    await find.stageNode(page, 'Stage 20').waitFor();

    const timings = {};
    let started = Date.now();
    await page.locator('#add-stage').click();
    const picker = find.dialog(page, 'Add stage');
    await picker.waitFor();
    timings['+ Add stage until its type picker shows'] = Date.now() - started;
    await picker.locator('label.type-choice').filter({ has: page.locator('strong', { hasText: /^Wait$/ }) }).click();
    started = Date.now();
    await picker.locator('#add-stage-submit').click();
    await page.getByRole('heading', { name: 'Wait stage' }).waitFor();
    timings['a type chosen and added until its form shows'] = Date.now() - started;
    started = Date.now();
    await page.locator('#stage-name').fill('Soak');
    await find.stageNode(page, 'Soak').waitFor();
    timings['a name typed until the graph shows it'] = Date.now() - started;
    await act.selectStage(page, 'Stage 4');
    started = Date.now();
    await page.locator('.cluster-entry').first().waitFor();
    timings['a Deploy stage opened until its clusters show'] = Date.now() - started;
    await act.selectStage(page, 'Stage 2');
    const wait = page.locator('#stage-wait-time');
    for (const seconds of ['7', '8', '9']) {
      started = Date.now();
      await wait.fill(seconds);
      await page.locator('.editor-header [role=status]', { hasText: 'unsaved changes' }).waitFor();
      timings[`a field edited (${seconds}) until the editor answers`] = Date.now() - started;
    }
    for (const [what, ms] of Object.entries(timings)) console.log(`# editor timing: ${what}: ${ms} ms`);
    await screenshot(page, 'editor-twenty-1280');
    shellCheck.noConsoleErrors(errors);
    await close();
  });
});
