// Find, act and check helpers for the Pipelines tab, the pipeline editor, an execution's details
// and the Manual Judgment page, so the tests read like the user's story.
import assert from 'node:assert/strict';

/** `text` as a regular expression that matches it literally: "Scale (Manifest)". */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const find = {
  pipeline: (page, name) => page.getByRole('region', { name, exact: true }),
  executionRows: (page, name) => page.getByRole('list', { name: `Executions of ${name}` }).locator('li.execution-row'),
  /** A stage's marker in an execution row; its text is "<stage>: <status>". */
  marker: (row, stage, status) => row.locator('.stage-marker', { hasText: `${stage}: ${status}` }),
  dialog: (page, name) => page.getByRole('dialog', { name }),
  /** A stage in the editor's or the execution view's graph. */
  stageNode: (page, name) => page.locator('button.stage-node').filter({ has: page.locator('.stage-node-name', { hasText: new RegExp(`^${escape(name)}$`) }) }),
  fieldError: (scope, text) => scope.locator('.field-error', { hasText: text }),
  save: (page) => page.locator('#save-pipeline'),
  notice: (page, text) => page.getByRole('status').filter({ hasText: text }),
};

const api = async (url, path, { method = 'GET', body } = {}) => {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

export const act = {
  api,
  async createPipeline(url, config) {
    return (await api(url, '/pipelines', { method: 'POST', body: config })).config;
  },
  async startPipeline(url, id, parameters = {}) {
    return api(url, `/pipelines/${id}/executions`, { method: 'POST', body: { parameters } });
  },
  /** Polls the execution until `ready(execution)` holds, and returns it. */
  async waitForExecution(url, id, ready, what, timeout = 60_000) {
    const deadline = Date.now() + timeout;
    let execution;
    while (Date.now() < deadline) {
      execution = await api(url, `/executions/${id}`);
      if (ready(execution)) return execution;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`execution ${id} never ${what}: ${JSON.stringify(execution?.stages?.map((s) => [s.name, s.status]))}`);
  },
  async addStage(page, typeLabel) {
    await page.locator('#add-stage').click();
    const picker = find.dialog(page, 'Add stage');
    await picker.locator('label.type-choice').filter({ has: page.locator('strong', { hasText: new RegExp(`^${escape(typeLabel)}$`) }) }).click();
    await picker.locator('#add-stage-submit').click();
    await page.getByRole('heading', { name: `${typeLabel} stage` }).waitFor();
  },
  async selectStage(page, name) {
    await find.stageNode(page, name).click();
    await page.locator('#stage-name').waitFor();
  },
  async startFromTab(page, pipeline, parameters = {}) {
    await find.pipeline(page, pipeline).getByRole('button', { name: `Start Manual Execution of ${pipeline}` }).click();
    const dialog = find.dialog(page, 'Start Manual Execution');
    for (const [selector, value] of Object.entries(parameters)) await dialog.locator(selector).fill(value);
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    return dialog;
  },
  /**
   * The approver's two taps: the choice, then the confirmation (each a form). `option` is the
   * judgment option expected to be chosen already: it costs no tap.
   */
  async judge(page, { option, choice, confirm }) {
    if (option !== undefined) assert.equal(await page.getByLabel('Judgment', { exact: true }).inputValue(), option);
    await page.getByRole('button', { name: choice, exact: true }).click();
    await page.getByRole('button', { name: confirm, exact: true }).click();
  },
};

export const check = {
  async decided(page, verb) {
    await page.locator('.judgment-decided', { hasText: `${verb} by anonymous` }).waitFor({ timeout: 15_000 });
  },
  async disabled(locator, disabled, what) {
    assert.equal(await locator.isDisabled(), disabled, `${what} is ${disabled ? '' : 'not '}disabled`);
  },
};
