// Figures for the Kubernetes provider (printed, never asserted; see scripts/bench-kubernetes.sh):
//  1. the delay from a kubectl change to an open browser showing it, without a reload;
//  2. the server's memory with 2,000 Pods in its cache, and how long the Clusters view takes then.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { launchBrowser, openPage, VIEWPORTS } from '../support/browser.js';
import { settings, startServer } from '../support/server.js';

const kubectl = (...args) => execFileSync(settings.kubectl, ['--kubeconfig', settings.kubeconfig, ...args], { encoding: 'utf8' });
const apply = (manifest) => execFileSync(settings.kubectl, ['--kubeconfig', settings.kubeconfig, 'apply', '-f', '-'], { input: JSON.stringify(manifest), encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rssMiB: (kib('VmRSS') / 1024).toFixed(1), peakMiB: (kib('VmHWM') / 1024).toFixed(1) };
}

async function api(server, method, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const server = await startServer();
const browser = await launchBrowser();
const app = `bench${Date.now().toString(36)}`;
const namespace = app;
try {
  kubectl('create', 'namespace', namespace);
  await api(server, 'POST', '/api/v1/applications', { name: app, ownerEmail: 'bench@example.com' });
  console.log(`server memory at start: ${JSON.stringify(memory(server.pid))}`);

  // 1. kubectl → browser.
  const created = await api(server, 'POST', '/api/v1/tasks', {
    type: 'createServerGroup',
    spec: { application: app, account: 'local', namespace, image: 'nginx:1.27', replicas: 1 },
  });
  if (created.status !== 202) throw new Error(JSON.stringify(created.body));
  const group = `${app}-v000`;
  const { page, close } = await openPage(browser, VIEWPORTS.desktop);
  await page.goto(`${server.url}/applications/${app}/clusters`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.locator('.server-group-count', { hasText: '1/1' }).waitFor({ timeout: 60_000 });
  const delays = [];
  const totals = [];
  for (let i = 0; i < 12; i++) {
    const replicas = i % 2 === 0 ? 2 : 1;
    const start = performance.now();
    kubectl('scale', 'replicaset', group, '--namespace', namespace, '--replicas', String(replicas));
    const applied = performance.now();
    await page.waitForFunction((text) => [...document.querySelectorAll('.server-group-count')].some((e) => e.textContent.endsWith(text)), `/${replicas}`, { polling: 'raf', timeout: 30_000 });
    const shown = performance.now();
    if (i > 0) {
      delays.push(shown - applied);
      totals.push(shown - start);
    }
    await page.locator('.server-group-count', { hasText: `${replicas}/${replicas}` }).waitFor({ timeout: 30_000 });
  }
  console.log(`kubectl scale → browser shows the new desired count (11 runs): median ${median(delays).toFixed(0)} ms after kubectl returned (min ${Math.min(...delays).toFixed(0)}, max ${Math.max(...delays).toFixed(0)}); median ${median(totals).toFixed(0)} ms including kubectl itself`);
  await close();

  // 2. 2,000 Pods: room on extra fake nodes, then one ReplicaSet of 2,000 replicas.
  const nodes = [0, 1, 2, 3].map((i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `kwok-bench-${i}`, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { type: 'kwok', 'gennaker.io/bench': 'true' } },
    status: { capacity: { cpu: '1000', memory: '4Ti', pods: '1000' }, allocatable: { cpu: '1000', memory: '4Ti', pods: '1000' } },
  }));
  apply({ apiVersion: 'v1', kind: 'List', items: nodes });
  const bulk = `${app}-bulk-v000`;
  apply({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: bulk, namespace, labels: { 'app.kubernetes.io/name': app } },
    spec: {
      replicas: 2000,
      selector: { matchLabels: { bulk: 'yes' } },
      template: {
        metadata: { labels: { bulk: 'yes', 'app.kubernetes.io/name': app } },
        spec: { nodeSelector: { 'gennaker.io/bench': 'true' }, containers: [{ name: 'c', image: 'nginx:1.27' }] },
      },
    },
  });
  const started = Date.now();
  let ready = 0;
  while (Date.now() - started < 600_000) {
    const { body } = await api(server, 'GET', `/api/v1/applications/${app}/clusters`);
    ready = body.flatMap((c) => c.serverGroups).find((g) => g.name === bulk)?.ready ?? 0;
    if (ready >= 2000) break;
    await sleep(2000);
  }
  console.log(`2,000 Pods Ready in the cache after ${((Date.now() - started) / 1000).toFixed(0)} s (${ready} Ready)`);
  await sleep(3000);
  console.log(`server memory with 2,000 Pods cached: ${JSON.stringify(memory(server.pid))}`);
  const timings = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    await api(server, 'GET', `/api/v1/applications/${app}/clusters`);
    timings.push(performance.now() - start);
  }
  console.log(`GET clusters with 2,000 instances: median ${median(timings).toFixed(0)} ms`);
} finally {
  try {
    kubectl('delete', 'namespace', namespace, '--wait=false');
    kubectl('delete', 'node', '-l', 'gennaker.io/bench=true', '--wait=false');
  } catch (error) {
    console.error(`cleanup: ${error.message}`);
  }
  await browser.close();
  await server.stop();
}
