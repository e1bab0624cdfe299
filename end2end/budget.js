// The first-load budget: for each page in budget.json, a phone on a slow mobile network opens it
// with an empty cache; prints the bytes on the wire, the number of requests and the time until
// the page is interactive (hydrated), and exits 1 when a page with `maxKB` goes over it, or
// when a page logs a console error. See "First-load budget" in README.md.
//
// budget.json: `network` is Chromium's network emulation; each page has a `name`, a `path` whose
// `{placeholders}` are made by the fixtures below, and optionally `maxKB` (kilobytes of 1,000
// bytes on the wire, headers included). Run with `npm run budget` (scripts/test.sh does).
import { readFileSync } from 'node:fs';

import { act as clusters } from './support/clusters.js';
import { act as pipelines } from './support/pipelines.js';
import { launchBrowser, openPage, VIEWPORTS } from './support/browser.js';
import { startServer } from './support/server.js';

const budget = JSON.parse(readFileSync(new URL('./budget.json', import.meta.url), 'utf8'));
const RUNS = Number(process.env.GENNAKER_BUDGET_RUNS || 3);
const QUIET_MS = 1000;

/** What a `{placeholder}` in a page's path stands for, made once per run on a fresh server. */
const fixtures = {
  async application(server) {
    const name = 'budget';
    await clusters.createApplication(server.url, name);
    return name;
  },
  /** An execution of a pipeline of {application} waiting on a Manual Judgment. */
  async waitingJudgment(server, made) {
    made.application ??= await fixtures.application(server);
    const pipeline = await pipelines.createPipeline(server.url, {
      application: made.application,
      name: 'Budget release',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Approve',
        instructions: 'Check the release notes.', judgmentInputs: [{ value: 'ship' }, { value: 'hold' }] }],
    });
    const { id } = await pipelines.startPipeline(server.url, pipeline.id);
    await pipelines.waitForExecution(server.url, id, (e) => e.stages[0].status === 'RUNNING', 'waited for the judgment');
    return id;
  },
};

async function fillPath(template, server, made) {
  let path = template;
  for (const [, key] of template.matchAll(/\{(\w+)\}/g)) {
    if (!fixtures[key]) throw new Error(`budget.json: no fixture makes {${key}} (see fixtures in budget.js)`);
    made[key] ??= await fixtures[key](server, made);
    path = path.replace(`{${key}}`, made[key]);
  }
  return path;
}

/** Which kind of file a request fetched, for the breakdown. */
function kind(url, resourceType) {
  const { pathname } = new URL(url);
  if (resourceType === 'Document') return 'html';
  if (pathname.startsWith('/api/')) return 'data';
  const extension = pathname.match(/\.(\w+)$/)?.[1];
  return ['wasm', 'js', 'css'].includes(extension) ? extension : 'other';
}

/** One cold first load of `url` on the emulated network. */
async function firstLoad(browser, url) {
  const { page, errors, close } = await openPage(browser, VIEWPORTS.phone);
  // The hydrate entry point marks <body> once the page is interactive; note when.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === 'true') {
        window.__interactiveAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const { downloadKbps, uploadKbps, latencyMs } = budget.network;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: latencyMs,
    downloadThroughput: (downloadKbps * 1000) / 8,
    uploadThroughput: (uploadKbps * 1000) / 8,
  });
  const requests = new Map();
  let lastStart = performance.now();
  cdp.on('Network.requestWillBeSent', (event) => {
    if (!event.request.url.startsWith('http')) return;
    lastStart = performance.now();
    requests.set(event.requestId, { url: event.request.url, type: event.type, bytes: 0, done: false, encoding: '' });
  });
  cdp.on('Network.responseReceived', (event) => {
    const request = requests.get(event.requestId);
    if (!request) return;
    const headers = Object.fromEntries(Object.entries(event.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    request.encoding = headers['content-encoding'] || 'none';
    request.streaming = (headers['content-type'] || '').startsWith('text/event-stream');
  });
  cdp.on('Network.loadingFinished', (event) => {
    const request = requests.get(event.requestId);
    if (request) Object.assign(request, { bytes: event.encodedDataLength, done: true });
  });
  cdp.on('Network.loadingFailed', (event) => {
    const request = requests.get(event.requestId);
    if (request) request.done = true;
  });

  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__interactiveAt !== undefined, null, { timeout: 120_000, polling: 50 });
  const interactiveMs = await page.evaluate(() => window.__interactiveAt);
  // Whatever hydration fetches next (a lazily loaded chunk, a second request for data) counts
  // too: wait until nothing new started for a second and everything but live streams finished.
  const deadline = performance.now() + 30_000;
  const pending = () => [...requests.values()].some((r) => !r.done && !r.streaming);
  while ((pending() || performance.now() - lastStart < QUIET_MS) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await close();
  return { interactiveMs, requests: [...requests.values()], errors };
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function report(page, path, loads) {
  const first = loads[0];
  const total = first.requests.reduce((sum, r) => sum + r.bytes, 0);
  const interactive = loads.map((l) => l.interactiveMs);
  const verdict = page.maxKB === undefined ? '' : total <= page.maxKB * 1000 ? `   budget ${page.maxKB} KB: ok` : `   budget ${page.maxKB} KB: OVER`;
  console.log(`\n${page.name}  ${path}`);
  console.log(`  ${kb(total)} on the wire in ${first.requests.length} requests; interactive after ${(median(interactive) / 1000).toFixed(2)} s (median of ${loads.length}: ${interactive.map((ms) => (ms / 1000).toFixed(2)).join(', ')})${verdict}`);
  const groups = new Map();
  for (const request of first.requests) {
    const key = kind(request.url, request.type);
    const group = groups.get(key) ?? { bytes: 0, count: 0, encodings: new Set() };
    group.bytes += request.bytes;
    group.count += 1;
    group.encodings.add(request.encoding);
    groups.set(key, group);
  }
  for (const [key, group] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`    ${key.padEnd(6)} ${kb(group.bytes).padStart(10)}  ${String(group.count).padStart(2)} × ${[...group.encodings].join('/')}`);
  }
  if (process.env.GENNAKER_BUDGET_VERBOSE) {
    for (const request of first.requests) console.log(`      ${kb(request.bytes).padStart(10)}  ${request.encoding.padEnd(4)}  ${new URL(request.url).pathname}`);
  }
  return { total, over: page.maxKB !== undefined && total > page.maxKB * 1000 };
}

const server = await startServer();
const browser = await launchBrowser();
let failed = false;
try {
  const { downloadKbps, uploadKbps, latencyMs } = budget.network;
  console.log(`First load with an empty cache, 360 px wide, on ${downloadKbps / 1000} Mbps down / ${uploadKbps} kbps up / ${latencyMs} ms RTT (Chromium's network emulation).`);
  const made = {};
  for (const page of budget.pages) {
    const path = await fillPath(page.path, server, made);
    const loads = [];
    for (let run = 0; run < RUNS; run += 1) loads.push(await firstLoad(browser, `${server.url}${path}`));
    const { over } = report(page, path, loads);
    const errors = loads.flatMap((l) => l.errors);
    if (errors.length > 0) console.log(`  console errors:\n    ${errors.join('\n    ')}`);
    failed ||= over || errors.length > 0;
  }
} finally {
  await browser.close();
  await server.stop();
}
if (failed) {
  console.error('\nfirst-load budget: FAILED (a page is over its budget or logged a console error)');
  process.exit(1);
}
