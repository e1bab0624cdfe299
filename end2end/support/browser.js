// Debian's chromium driven by playwright-core, with every console error recorded so a test can
// fail on them: a page that renders but never hydrates shows up here.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { checkAccessibility, scriptless } from './accessibility.js';
import { settings } from './server.js';

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 360, height: 740 },
};

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A fresh page of the given viewport; `errors` collects console errors and uncaught exceptions.
 * `options` go to the browser context (`{ javaScriptEnabled: false }`: a page before its WASM).
 */
export async function openPage(browser, viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  if (options.javaScriptEnabled === false) scriptless.add(page);
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  // Each request remembers how many documents the page had loaded when it was made: leaving a
  // page aborts what it still had in flight (a live refresh, the event stream), which says
  // nothing about the page.
  let documents = 0;
  const madeOn = new WeakMap();
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents += 1;
    else madeOn.set(request, documents);
  });
  page.on('requestfailed', (request) => {
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
    if (aborted && madeOn.has(request) && madeOn.get(request) < documents) return;
    // The live-update stream is long-lived: leaving the page aborts it, which is no failure.
    if (aborted && new URL(request.url()).pathname === '/api/v1/events') return;
    // Chromium fetches the favicon on its own; a form posted at once navigates away and aborts
    // that fetch, which says nothing about the page.
    if (aborted && new URL(request.url()).pathname === '/favicon.svg') return;
    // With JavaScript off, Chromium refuses the scripts a page preloads ("csp"): expected.
    const blockedScript = request.failure()?.errorText === 'csp' && /\.js$/.test(new URL(request.url()).pathname);
    if (options.javaScriptEnabled === false && blockedScript) return;
    errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  // The page a test leaves open is checked for accessibility as it closes.
  const close = async () => {
    try {
      if (!page.isClosed() && page.url().startsWith('http')) await checkAccessibility(page);
    } finally {
      await context.close();
    }
  };
  return { page, errors, close };
}

/** Saves a screenshot (of the whole page unless `fullPage: false`) under the test output
 * directory, checks the page's accessibility as it is shown (axe-core), and returns the path. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(settings.outputDir, { recursive: true });
  const path = join(settings.outputDir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  await checkAccessibility(page, `${name} (${page.url()})`);
  return path;
}

/**
 * Starts a server and a browser before the tests of the enclosing `describe` and stops both
 * after them. Returns an object whose `server` and `browser` are set once they run.
 */
export function withServerAndBrowser({ before, after }, startServer) {
  const context = { server: null, browser: null };
  before(async () => {
    context.server = await startServer();
    context.browser = await launchBrowser();
  });
  after(async () => {
    await context.browser?.close();
    await context.server?.stop();
  });
  return context;
}
