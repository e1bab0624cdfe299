// axe-core (npm) run in the page: every screenshot and every page a test closes is checked, and
// a serious or critical finding (WCAG 2.1 A and AA rules) fails the test, naming the rule, what
// it says and the elements it found.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const FAILING = new Set(['serious', 'critical']);

/** Pages whose context runs no script (`javaScriptEnabled: false`): axe cannot run there,
 * and the same pages with JavaScript are checked where the tests visit them. */
export const scriptless = new WeakSet();

/** Waits at most `ms` for `promise`; `fallback` when it has not settled by then (an evaluate in a
 * page that runs no script never settles). */
function within(promise, ms, fallback) {
  return Promise.race([promise.catch(() => fallback), new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

/** The serious and critical axe findings of the page as it is now, as lines of text; `null`
 * when the page runs no script. A page that runs script but where axe cannot be loaded fails
 * the check: it is never passed unchecked. */
export async function accessibilityProblems(page) {
  if (scriptless.has(page)) return null;
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy does not apply.
  const loaded = () => within(page.evaluate('typeof window.axe === "object"'), 5_000, false);
  // A page still navigating drops what was evaluated in it: load it again once it has loaded.
  for (let attempt = 0; !(await loaded()); attempt += 1) {
    if (attempt === 3) throw new Error(`axe-core could not be loaded into ${page.url()}`);
    await within(page.waitForLoadState('load'), 10_000, null);
    await within(page.evaluate(AXE_SOURCE), 10_000, null);
  }
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}${n.any[0]?.message ? ` (${n.any[0].message})` : ''}`),
    }));
  });
  return violations
    .filter((v) => FAILING.has(v.impact))
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.targets.join('; ')}`);
}

/** Fails with the page's serious and critical axe findings, if it has any. */
export async function checkAccessibility(page, where) {
  const problems = await accessibilityProblems(page);
  if (problems !== null && problems.length > 0) {
    throw new Error(`accessibility (axe-core) of ${where ?? page.url()}:\n  ${problems.join('\n  ')}`);
  }
}
