// A real OpenID Connect provider on 127.0.0.1 for the tests: npm's oidc-provider (installed by
// oidc.sh into the cache, found through GENNAKER_OIDC_NODE_DIR) with one confidential client,
// `gennaker`, a fixed table of users and a plain login form. Consent is given without asking.
// Keys (cookies and the RS256 signing key) are made at start, so nothing outlives the process.
//
//   GENNAKER_OIDC_NODE_DIR=... GENNAKER_OIDC_PORT=29555 node oidc-provider.mjs
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const NODE_DIR = process.env.GENNAKER_OIDC_NODE_DIR;
if (!NODE_DIR) {
  console.error('GENNAKER_OIDC_NODE_DIR must name the directory oidc-provider is installed in');
  process.exit(2);
}
// ESM ignores NODE_PATH: resolve the package from the install directory, then import it by path.
const resolve = (name) => pathToFileURL(createRequire(join(NODE_DIR, 'package.json')).resolve(name)).href;
const { default: Provider, errors } = await import(resolve('oidc-provider'));
// The provider's own in-memory store, named explicitly: every test starts the provider afresh.
const { createMemoryAdapter } = await import(resolve('oidc-provider/lib/adapters/memory_adapter.js'));

const HOST = '127.0.0.1';
const PORT = Number(process.env.GENNAKER_OIDC_PORT || 29555);
const ISSUER = `http://${HOST}:${PORT}`;
const CLIENT_ID = 'gennaker';
const CLIENT_SECRET = 'gennaker-test-secret';
const CALLBACK_PATH = '/auth/oidc/callback';

// login -> password and claims. `sub` is the login.
const USERS = {
  olivia: { password: 'olivia-password-1', name: 'Olivia Manager', groups: ['managers'] },
  rick: { password: 'rick-password-1', name: 'Rick Developer', groups: ['dev'] },
  ada: { password: 'ada-password-1', name: 'Ada Admin', groups: ['admins'] },
};

function claimsOf(login) {
  const user = USERS[login];
  return {
    sub: login,
    preferred_username: login,
    name: user.name,
    email: `${login}@example.test`,
    email_verified: true,
    groups: [...user.groups],
  };
}

// The servers under test listen on random ports: any port on the loopback names is accepted, over
// plain http, for the callback path only (post-logout: any path). Nothing else.
function loopbackUri(value, path) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.href === value
    && url.protocol === 'http:'
    && (url.hostname === '127.0.0.1' || url.hostname === 'localhost')
    && !url.username && !url.password && !url.hash
    && (path === undefined || (url.pathname === path && !url.search));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
};

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>${esc(title)}</title></head>
<body>
<h1>${esc(title)}</h1>
${body}
</body>
</html>
`;

// Consent is implied for the one client: the grant covers whatever OpenID scopes and claims the
// request asks for, so the consent prompt never comes up.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (oidc.client.clientId !== CLIENT_ID) {
    return grant;
  }
  if (!grant || grant.accountId !== oidc.session.accountId) {
    grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  if (oidc.requestParamClaims.size) {
    grant.addOIDCClaims([...oidc.requestParamClaims]);
  }
  await grant.save();
  return grant;
}

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    client_name: 'Gennaker (tests)',
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // The provider accepts the secret in the Authorization header or in the form body alike for
    // a client registered with either client_secret_basic or client_secret_post.
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
    redirect_uris: [`http://127.0.0.1${CALLBACK_PATH}`, `http://localhost${CALLBACK_PATH}`],
    post_logout_redirect_uris: ['http://127.0.0.1/', 'http://localhost/'],
  }],
  adapter: createMemoryAdapter(15),
  jwks: { keys: [signingKey] },
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    // Cookies are not told apart by port: names no server under test on 127.0.0.1 would use.
    names: { session: 'test_op_session', interaction: 'test_op_interaction', resume: 'test_op_resume' },
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Scope-requested claims go into the ID token too, not only to userinfo.
  conformIdTokenClaims: false,
  allowOmittingSingleRegisteredRedirectUri: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    dPoP: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    resourceIndicators: { enabled: false },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `${form}
<p><button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button></p>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(USERS, sub)) {
      return undefined;
    }
    return { accountId: sub, async claims() { return claimsOf(sub); } };
  },
  loadExistingGrant,
  clientBasedCORS: () => false,
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong>: ${esc(v)}</p>`).join('\n'));
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    Grant: 24 * 3600,
    RefreshToken: 24 * 3600,
  },
});

const Client = provider.Client;
Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  return this.clientId === CLIENT_ID && loopbackUri(value, CALLBACK_PATH);
};
Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(value) {
  return this.clientId === CLIENT_ID && loopbackUri(value);
};

provider.on('server_error', (ctx, err) => console.error('server_error', ctx.method, ctx.path, err));

function loginForm(uid, { login = '', error } = {}) {
  return page('Sign in', `${error ? `<p role="alert" class="error">${esc(error)}</p>\n` : ''}<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<p><label for="login">Username</label> <input id="login" name="login" type="text" value="${esc(login)}" required autofocus></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" required></p>
<p><button type="submit">Sign in</button></p>
</form>`);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// GET /interaction/:uid shows the form (or grants consent); POST /interaction/:uid/login checks it.
async function interaction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      send(res, 400, page('Error', `<p>${esc(err.error_description || err.message)}</p>`));
      return;
    }
    throw err;
  }
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<p>interaction mismatch</p>'));
    return;
  }
  const { prompt, params, session } = details;
  if (req.method === 'GET' && action === undefined) {
    if (prompt.name === 'login') {
      send(res, 200, loginForm(uid));
      return;
    }
    if (prompt.name === 'consent') {
      let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      grant ||= new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
      return;
    }
  }
  if (req.method === 'POST' && action === 'login' && prompt.name === 'login') {
    const form = await readForm(req);
    const login = form.get('login') || '';
    const user = Object.hasOwn(USERS, login) ? USERS[login] : undefined;
    if (!user || form.get('password') !== user.password) {
      send(res, 200, loginForm(uid, { login, error: 'Invalid username or password.' }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  send(res, 400, page('Error', '<p>unexpected interaction request</p>'));
}

const oidc = provider.callback();
const server = createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => console.log(`${req.method} ${req.url.split('?')[0]} ${res.statusCode} ${Date.now() - started}ms`));
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?\/?(?:\?.*)?$/.exec(req.url);
  if (!m) {
    oidc(req, res);
    return;
  }
  interaction(req, res, m[1], m[2]).catch((err) => {
    console.error('interaction error', err);
    if (!res.headersSent) send(res, 500, page('Error', '<p>internal error</p>'));
    else res.end();
  });
});
server.listen(PORT, HOST, () => console.log(`oidc-provider listening on ${ISSUER} (issuer ${ISSUER})`));

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0)); // all state is in memory
}
