// An unreachable cluster: while the local kube-apiserver is down, an application's page says
// that what it shows of the account may be out of date (at 360 px, without a reload), and the
// notice goes away by itself once the API server answers again.
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { act } from '../support/clusters.js';
import { openPage, screenshot, VIEWPORTS, withServerAndBrowser } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { act as shell, check } from '../support/shell.js';

const apiserver = (action) =>
  execFileSync(new URL('../cluster/apiserver.sh', import.meta.url).pathname, [action], { stdio: 'inherit' });

describe('an unreachable cluster', () => {
  const env = withServerAndBrowser({ before, after }, startServer);
  const app = `e2eout${Date.now().toString(36)}`;

  test('the application page says its view may be stale until the cluster is back', async () => {
    await act.createApplication(env.server.url, app);
    const { page, errors, close } = await openPage(env.browser, VIEWPORTS.phone);
    await shell.open(page, `${env.server.url}/applications/${app}/clusters`);
    const notice = page.locator('.stale-notice', { hasText: 'Kubernetes account local is unreachable.' });
    let down = false;
    try {
      apiserver('kill');
      down = true;
      await notice.waitFor({ timeout: 30_000 });
      await notice.getByText('may be out of date').waitFor();
      await screenshot(page, 'stale-notice-360');
      apiserver('start');
      down = false;
      await notice.waitFor({ state: 'detached', timeout: 30_000 });
    } finally {
      if (down) apiserver('start');
    }
    check.noConsoleErrors(errors);
    await close();
  });
});
