// A real OpenID provider for the single sign-on tests (the npm package oidc-provider, pinned in
// package.json). The test suite starts it:
//
//   node tests/oidc/provider.js --client-id ID --client-secret SECRET \
//        --redirect-uri http://localhost/login/sso/callback \
//        --post-logout-redirect-uri http://localhost/login
//
// It listens on a free port of 127.0.0.1 and prints one line, "READY <issuer>", once it answers.
// It stops when its standard input closes (the test process ended, however it ended).
//
// Sign-in needs no browser: the provider's own login page is a plain form (field "login": one of
// the test accounts below; button "abort": the person refuses), which completes login and consent
// in one step. Signing out (RP-initiated logout) shows the provider's confirmation form.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    'client-id': { type: 'string', default: 'academy' },
    'client-secret': { type: 'string', default: 'academy-test-secret' },
    'redirect-uri': { type: 'string', default: 'http://localhost/login/sso/callback' },
    'post-logout-redirect-uri': { type: 'string', default: 'http://localhost/login' },
    port: { type: 'string', default: '0' },
  },
});

// Test accounts: login name -> claims. "sub" is what the relying party keeps.
const ACCOUNTS = {
  'an.nguyen': {
    sub: 'sub-an-nguyen',
    email: 'an.nguyen@hanoi.gov.vn',
    email_verified: true,
    name: 'Nguyễn Văn An',
    locale: 'vi',
  },
  'binh.tran': {
    sub: 'sub-binh-tran',
    email: 'binh.tran@hanoi.gov.vn',
    email_verified: true,
    name: 'Trần Thị Bình',
  },
  'cuong.le': {
    sub: 'sub-cuong-le',
    email: 'cuong.le@hanoi.gov.vn',
    email_verified: false,
    name: 'Lê Văn Cường',
  },
  'dung.pham': {
    sub: 'sub-dung-pham',
    email: 'dung.pham@hanoi.gov.vn',
    email_verified: true,
    given_name: 'Dũng',
    family_name: 'Phạm Tiến',
  },
};
const BY_SUB = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a.sub, a]));

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const jwk = { ...signingKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [args['redirect-uri']],
      post_logout_redirect_uris: [args['post-logout-redirect-uri']],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'locale'],
  },
  // PKCE is required: the relying party must send a code challenge.
  pkce: { required: () => true, methods: ['S256'] },
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = BY_SUB[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ ...account }) };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><meta charset="utf-8"><title>Error</title>
      <h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description || '')}</p>`;
  },
};

async function logoutSource(ctx, form) {
  ctx.body = `<!DOCTYPE html><meta charset="utf-8"><title>Sign out</title>
    <h1>Sign out from the test provider?</h1>${form}
    <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes</button>`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, message = '') {
  return `<!DOCTYPE html><meta charset="utf-8"><title>Test provider sign-in</title>
    <h1>Test provider sign-in</h1><p class="message">${escapeHtml(message)}</p>
    <form method="post" action="/interaction/${uid}/login">
      <input name="login" autofocus> <button type="submit">Sign in</button>
    </form>
    <form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const issuerFor = (port) => `http://127.0.0.1:${port}`;

async function interaction(provider, req, res, match) {
  const [, uid, action] = match;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid));
    return;
  }
  if (req.method === 'POST' && action === 'abort') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = ACCOUNTS[(form.get('login') || '').trim()];
    if (!account) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(uid, 'Unknown account'));
      return;
    }
    const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  res.writeHead(405);
  res.end();
}

const server = http.createServer();
server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(issuerFor(port), configuration);
  const handleOidc = provider.callback();
  server.on('request', (req, res) => {
    const match = /^\/interaction\/([^/?]+)(?:\/(login|abort))?(?:\?.*)?$/.exec(req.url);
    if (!match) {
      handleOidc(req, res);
      return;
    }
    interaction(provider, req, res, match).catch((error) => {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`interaction failed: ${error.message}`);
    });
  });
  process.stdout.write(`READY ${issuerFor(port)}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
