// Starts the built gennaker binary on a free loopback port for a test, and stops it with
// SIGTERM, checking that it exits cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const inCI = process.env.CI === 'true';

/** Environment the test run was given (see scripts/test.sh). */
export const settings = {
  bin: process.env.GENNAKER_BIN,
  siteRoot: process.env.GENNAKER_SITE_ROOT,
  kubeconfig: process.env.KUBECONFIG || null,
  kubectl: process.env.GENNAKER_KUBECTL || null,
  outputDir: process.env.GENNAKER_E2E_OUTPUT || new URL('../test-results', import.meta.url).pathname,
  registry: process.env.GENNAKER_TEST_REGISTRY_ADDRESS
    ? {
        address: process.env.GENNAKER_TEST_REGISTRY_ADDRESS,
        username: process.env.GENNAKER_TEST_REGISTRY_USERNAME,
        password: process.env.GENNAKER_TEST_REGISTRY_PASSWORD,
        caFile: process.env.GENNAKER_TEST_REGISTRY_CA_FILE,
        notifyPort: Number(process.env.GENNAKER_TEST_REGISTRY_NOTIFY_PORT),
        script: process.env.GENNAKER_TEST_REGISTRY_SCRIPT,
      }
    : null,
  smtp: process.env.GENNAKER_TEST_SMTP_PORT
    ? { port: Number(process.env.GENNAKER_TEST_SMTP_PORT), maildir: process.env.GENNAKER_TEST_SMTP_MAILDIR }
    : null,
  jenkins: process.env.GENNAKER_TEST_JENKINS_URL
    ? {
        url: process.env.GENNAKER_TEST_JENKINS_URL,
        username: process.env.GENNAKER_TEST_JENKINS_USERNAME,
        tokenFile: process.env.GENNAKER_TEST_JENKINS_TOKEN_FILE,
      }
    : null,
  oidc: process.env.GENNAKER_TEST_OIDC_ISSUER
    ? { issuer: process.env.GENNAKER_TEST_OIDC_ISSUER, clientId: process.env.GENNAKER_TEST_OIDC_CLIENT_ID }
    : null,
};

if (!settings.bin || !settings.siteRoot) {
  throw new Error('GENNAKER_BIN and GENNAKER_SITE_ROOT must be set: run the browser tests with `make test`');
}
if (inCI && !settings.kubeconfig) {
  throw new Error('CI=true but KUBECONFIG is not set: the local cluster must be running');
}
if (inCI && !settings.registry) {
  throw new Error('CI=true but GENNAKER_TEST_REGISTRY_ADDRESS is not set: the test registry must be running');
}
if (inCI && !settings.smtp) {
  throw new Error('CI=true but GENNAKER_TEST_SMTP_PORT is not set: the test SMTP server must be running');
}
if (inCI && !settings.oidc) {
  throw new Error('CI=true but GENNAKER_TEST_OIDC_ISSUER is not set: the test OpenID Connect provider must be running');
}
if (inCI && !settings.jenkins) {
  throw new Error('CI=true but GENNAKER_TEST_JENKINS_URL is not set: the test Jenkins must be running');
}

/**
 * Sign-in through the test OpenID Connect provider, in TOML: its client secret comes from the
 * environment (GENNAKER_TEST_OIDC_CLIENT_SECRET) as a secret, as an operator would keep it.
 */
function oidcConfig({ issuer, clientId }) {
  const quote = (value) => JSON.stringify(value);
  return `[[secrets]]\nname = "oidc-client"\nenv = "GENNAKER_TEST_OIDC_CLIENT_SECRET"\n[auth.oidc]\nissuer = ${quote(issuer)}\nclient_id = ${quote(clientId)}\nclient_secret_secret = "oidc-client"\nlabel = "Test SSO"\n`;
}

/** The test registry as a docker-registry account named `test`, in TOML. */
function registryConfig({ address, username, password, caFile }) {
  const quote = (value) => JSON.stringify(value);
  return `[[docker_registries]]\nname = "test"\naddress = ${quote(address)}\nusername = ${quote(username)}\npassword = ${quote(password)}\nca_file = ${quote(caFile)}\n`;
}

/** E-mail through the test SMTP server, and links to this server's address, in TOML. */
function notificationsConfig(url, { port }) {
  return `[notifications]\npublic_url = ${JSON.stringify(url)}\n[notifications.smtp]\nhost = "127.0.0.1"\nport = ${port}\ntls = "none"\nfrom = "Gennaker <gennaker@example.com>"\n`;
}

/** The test Jenkins as a master named `ci`, in TOML. */
function jenkinsConfig({ url, username, tokenFile }) {
  const quote = (value) => JSON.stringify(value);
  return `[[jenkins_masters]]\nname = "ci"\naddress = ${quote(url)}\nusername = ${quote(username)}\napi_token_file = ${quote(tokenFile)}\n`;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url, child, output) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`gennaker exited with ${child.exitCode} before it was ready:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gennaker was not ready within 30 s:\n${output()}`);
}

/** Adds a local user to the store in `dataDir` with `gennaker user add`, as an operator would. */
export function addUser(dataDir, { name, password, roles = [] }) {
  const args = ['--data-dir', dataDir, 'user', 'add', name, '--password-stdin'];
  for (const role of roles) args.push('--role', role);
  const result = spawnSync(settings.bin, args, { input: `${password}\n`, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`gennaker user add ${name} failed: ${result.stderr}${result.stdout}`);
}

/**
 * Starts a server with its own data directory; call `stop()` when done. `port` fixes its port
 * (where the test registry sends its notifications); `dataDir` reuses a stopped server's data;
 * `users` are added first (`{ name, password, roles }`), so the server requires sign-in;
 * `oidc` lets people sign in through the test OpenID Connect provider too.
 */
export async function startServer({ port: fixedPort, dataDir: reused, users = [], oidc = false } = {}) {
  const port = fixedPort ?? (await freePort());
  const dataDir = reused ?? mkdtempSync(join(tmpdir(), 'gennaker-e2e-'));
  for (const user of users) addUser(dataDir, user);
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--site-root', settings.siteRoot];
  if (settings.kubeconfig) args.push('--kubeconfig', settings.kubeconfig);
  const toml = [
    settings.registry && registryConfig(settings.registry),
    settings.jenkins && jenkinsConfig(settings.jenkins),
    settings.smtp && notificationsConfig(`http://127.0.0.1:${port}`, settings.smtp),
    oidc && settings.oidc && oidcConfig(settings.oidc),
  ]
    .filter(Boolean)
    .join('');
  if (toml) {
    const config = join(dataDir, 'gennaker.toml');
    writeFileSync(config, toml);
    args.push('--config', config);
  }
  const env = { ...process.env, GENNAKER_LOG: 'info' };
  delete env.KUBECONFIG;
  const child = spawn(settings.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, () => log);

  return {
    url,
    pid: child.pid,
    log: () => log,
    /** Stops this server and starts another on the same port and data. */
    async restart() {
      await this.stop({ keepData: true });
      return startServer({ port, dataDir });
    },
    async stop({ keepData = false } = {}) {
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGTERM');
      const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 10_000));
      const result = await Promise.race([exited, timeout]);
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      if (result === null) {
        child.kill('SIGKILL');
        throw new Error(`gennaker did not stop within 10 s of SIGTERM:\n${log}`);
      }
      if (result.code !== 0) {
        throw new Error(`gennaker exited with ${result.code ?? result.signal} after SIGTERM:\n${log}`);
      }
    },
  };
}
