// Find, act and check helpers for the Clusters, Load Balancers, Security Groups and Tasks tabs.
import { execFileSync } from 'node:child_process';

import { settings } from './server.js';

export const find = {
  serverGroup: (page, name) => page.locator('li.server-group').filter({ has: page.locator('.server-group-name', { hasText: new RegExp(`^${name}$`) }) }),
  instances: (page, name, health) => find.serverGroup(page, name).locator(`.instance.${health}`),
  details: (page) => page.locator('aside.details'),
  dialog: (page, name) => page.getByRole('dialog', { name }),
  progress: (page) => page.getByRole('region', { name: 'Task progress' }),
};

export const act = {
  async createApplication(url, name) {
    const response = await fetch(`${url}/api/v1/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, ownerEmail: 'team@example.com' }),
    });
    if (response.status !== 201) throw new Error(`creating ${name}: ${response.status} ${await response.text()}`);
  },
  /** Runs an operation through the API and waits until its task succeeded. */
  async operate(url, operation) {
    const post = await fetch(`${url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(operation),
    });
    if (!post.ok) throw new Error(`${operation.type}: ${post.status} ${await post.text()}`);
    let task = await post.json();
    const deadline = Date.now() + 60_000;
    while (task.status === 'Running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      task = await (await fetch(`${url}/api/v1/tasks/${task.id}`)).json();
    }
    if (task.status !== 'Succeeded') throw new Error(`${task.description}: ${task.status} ${task.error ?? ''}`);
  },
  /** A ClusterIP load balancer `{app}-web` on port 80, in default of account local. */
  async createLoadBalancer(url, app) {
    await act.operate(url, { type: 'upsertLoadBalancer', spec: {
      application: app, account: 'local', namespace: 'default', stack: 'web',
      type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }],
    } });
  },
  async openTab(page, name) {
    await page.getByRole('navigation', { name: 'Application' }).getByRole('link', { name, exact: true }).click();
  },
  /** Waits until the task shown in the open dialog succeeded, then closes the dialog. */
  async finishTask(page) {
    const progress = find.progress(page);
    await progress.locator('.task-summary .status-badge.succeeded').waitFor({ timeout: 60_000 });
    await page.locator('#close-progress').click();
    await progress.waitFor({ state: 'detached' });
  },
  async selectServerGroup(page, name) {
    await find.serverGroup(page, name).locator('button.server-group-button').click();
    await find.details(page).getByRole('heading', { name }).waitFor();
  },
  async serverGroupAction(page, action) {
    await find.details(page).getByRole('button', { name: 'Server Group Actions ▾' }).click();
    await find.details(page).getByRole('button', { name: action, exact: true }).click();
  },
  /** Runs kubectl against the test cluster, as someone working behind Gennaker's back. */
  kubectl(...args) {
    if (!settings.kubectl) throw new Error('GENNAKER_KUBECTL is not set: run the browser tests with `make test`');
    return execFileSync(settings.kubectl, ['--kubeconfig', settings.kubeconfig, ...args], { encoding: 'utf8' });
  },
};
