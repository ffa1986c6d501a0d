// A real OpenID provider (npm oidc-provider, certified) running in-process for
// the tests, on `localhost` so that a test page on 127.0.0.1 sees it as a
// third-party site. Everything a later logout scenario needs is a setting
// here: token lifetimes, refresh-token rotation, SameSite=None session
// cookies, the Auth0-style endpoint paths, and a control API that ends or
// revokes a user's provider session from "elsewhere".
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';
import { selfSignedCert } from './tls.mjs';

/** Lifetimes in seconds (oidc-provider's `ttl`). Short enough for e2e runs, long enough to capture. */
export const DEFAULT_TTL = {
  AccessToken: 300,
  IdToken: 300,
  RefreshToken: 3600,
  Session: 3600,
  Grant: 3600,
  Interaction: 600,
  AuthorizationCode: 60,
};

/** The one API the provider's JWT access tokens are for (RFC 8707 resource indicator). */
export const API_RESOURCE = 'urn:logout-lens:test-api';

/**
 * A Map-based store in oidc-provider's adapter interface, one per provider, so
 * the control API can find and end a user's sessions and grants.
 */
function memoryAdapterFactory() {
  const rows = new Map(); // `${model}:${id}` -> { payload, expiresAt }
  const live = (row) => row && (!row.expiresAt || row.expiresAt > Date.now());
  class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }
    key(id) {
      return `${this.model}:${id}`;
    }
    async upsert(id, payload, expiresIn) {
      rows.set(this.key(id), {
        payload: { ...payload },
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : 0,
      });
    }
    async find(id) {
      const row = rows.get(this.key(id));
      return live(row) ? { ...row.payload } : undefined;
    }
    async findByUid(uid) {
      for (const [k, row] of rows) {
        if (k.startsWith(`${this.model}:`) && row.payload.uid === uid && live(row)) return { ...row.payload };
      }
      return undefined;
    }
    async findByUserCode(userCode) {
      for (const [k, row] of rows) {
        if (k.startsWith(`${this.model}:`) && row.payload.userCode === userCode && live(row)) return { ...row.payload };
      }
      return undefined;
    }
    async consume(id) {
      const row = rows.get(this.key(id));
      if (row) row.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id) {
      rows.delete(this.key(id));
    }
    async revokeByGrantId(grantId) {
      for (const [k, row] of rows) if (row.payload.grantId === grantId) rows.delete(k);
    }
  }
  MemoryAdapter.rows = rows;
  return MemoryAdapter;
}

/**
 * Starts the provider. Options:
 * - `host` ('localhost'), `port` (0 = a free one), `tls` (false; true serves https with a
 *   throw-away self-signed certificate — MSAL refuses an http authority — and the browser
 *   then needs `ignoreHTTPSErrors`).
 * - `path`: where the issuer lives ('' → `http://localhost:P`; '/' gives the trailing
 *   slash Auth0's SDK expects of `domain`'s issuer).
 * - `clients`: oidc-provider client metadata; public SPA clients by default
 *   (`token_endpoint_auth_method: 'none'`, code + refresh_token grants).
 * - `ttl`: seconds, merged over DEFAULT_TTL.
 * - `rotateRefreshToken`: true (default: every use rotates, the old one is consumed, and its
 *   reuse revokes the grant: the refresh race's `invalid_grant`), false, or a function.
 * - `sameSiteNone`: session cookies `SameSite=None; Secure` (default true) — what a
 *   cross-site silent-renew iframe needs; false gives oidc-provider's default Lax.
 * - `jwtAccessTokens`: access tokens as JWTs for API_RESOURCE (default true), as most
 *   providers issue them; false gives opaque ones.
 * - `auth0Routes`: `/authorize`, `/oauth/token`, `/v2/logout` (what auth0-spa-js calls).
 * - `autoLogin`: an account id; the login page then signs in without a click.
 * Resolves with { issuer, origin, provider, events, close(), endSessions(sub), revokeGrants(sub) }.
 */
export async function startProvider(opts = {}) {
  const {
    host = 'localhost',
    port = 0,
    tls = false,
    path: issuerPath = '',
    ttl = {},
    rotateRefreshToken = true,
    sameSiteNone = true,
    jwtAccessTokens = true,
    auth0Routes = false,
    autoLogin = null,
  } = opts;

  const cert = tls ? selfSignedCert(host) : null;
  const server = tls ? https.createServer(cert) : http.createServer();
  await new Promise((r) => server.listen(port, host === 'localhost' ? '127.0.0.1' : host, r));
  const origin = `${tls ? 'https' : 'http'}://${host}:${server.address().port}`;
  const issuer = origin + issuerPath;
  const mount = issuerPath.replace(/\/$/, '');

  const Adapter = memoryAdapterFactory();
  const clients = (opts.clients || []).map((c) => ({
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...c,
  }));
  const events = [];
  const cookieOpts = sameSiteNone ? { httpOnly: true, sameSite: 'none', secure: true } : { httpOnly: true, sameSite: 'lax' };

  // A signing key made for this run only: the tokens a run hands out (and the fixtures keep) are
  // signed by a key that is gone when it ends.
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

  const configuration = {
    adapter: Adapter,
    jwks: { keys: [jwk] },
    clients,
    ttl: { ...DEFAULT_TTL, ...ttl },
    // Random keys each run: the tokens in captured fixtures are signed by keys that no longer exist.
    cookies: { keys: [randomBytes(32).toString('hex')], long: cookieOpts, short: cookieOpts },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    pkce: { required: () => true },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: `Test ${sub}` }),
    }),
    // Every test client is first-party: consent is given with the login.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const grant = await ctx.oidc.provider.Grant.find(grantId);
        if (grant) return grant;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid offline_access email profile');
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name']);
      if (jwtAccessTokens) grant.addResourceScope(API_RESOURCE, 'api');
      await grant.save();
      return grant;
    },
    rotateRefreshToken: typeof rotateRefreshToken === 'function' ? rotateRefreshToken : () => rotateRefreshToken,
    // Public clients get a refresh token with or without `offline_access` (as Auth0, Entra and
    // Keycloak hand them to SPAs); it then lives as long as the provider session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    clientBasedCORS: () => true,
    interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: jwtAccessTokens,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: API_RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: configurationTtl().AccessToken,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    routes: auth0Routes ? { authorization: '/authorize', token: '/oauth/token', end_session: '/v2/logout' } : {},
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>provider error</title><pre id="error">${escapeHtml(JSON.stringify(out))}</pre>`;
    },
  };
  function configurationTtl() {
    return configuration.ttl;
  }

  const provider = new Provider(issuer, configuration);
  if (!tls && sameSiteNone) {
    // Koa refuses to set a Secure cookie on a plain-http request; Chromium accepts
    // `SameSite=None; Secure` from http://localhost, so the context says it is secure
    // (not the request's protocol, which would turn the provider's own URLs into https).
    provider.use(async (ctx, next) => {
      Object.defineProperty(ctx, 'secure', { value: true });
      ctx.cookies.secure = true;
      await next();
    });
  }
  for (const name of ['grant.success', 'grant.error', 'authorization.error', 'end_session.success', 'grant.revoked', 'refresh_token.consumed']) {
    provider.on(name, (ctx, err) => {
      events.push({
        at: Date.now(),
        name,
        path: ctx?.path,
        grantType: ctx?.oidc?.params?.grant_type,
        prompt: ctx?.oidc?.params?.prompt,
        error: err?.error,
        description: err?.error_description,
      });
    });
  }
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const url = new URL(req.url, origin);
    if (process.env.LL_DEBUG) res.on('finish', () => console.error('DBG', req.method, req.url, 'cookie:', req.headers.cookie, '->', res.statusCode, res.getHeader('set-cookie'), res.getHeader('location')));
    try {
      if (url.pathname.startsWith(`${mount}/interaction/`)) return await interaction(req, res, url.pathname, provider, autoLogin);
      if (mount) {
        if (!url.pathname.startsWith(`${mount}/`)) {
          res.writeHead(404).end();
          return;
        }
        // As a framework mount does: the provider derives its own URLs from originalUrl.
        req.originalUrl = req.url;
        req.url = req.url.slice(mount.length);
      }
      // keycloak-js calls the token endpoint with `credentials: 'include'`; Keycloak answers
      // with Allow-Credentials, oidc-provider's CORS does not: added for cross-site callers.
      const writeHead = res.writeHead.bind(res);
      res.writeHead = (...a) => {
        if (req.headers.origin && res.getHeader('access-control-allow-origin') === req.headers.origin) {
          res.setHeader('access-control-allow-credentials', 'true');
        }
        return writeHead(...a);
      };
      callback(req, res);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e?.stack || e));
    }
  });

  return {
    issuer,
    origin,
    provider,
    events,
    /** Ends every provider session of `sub` (the user signed out at the provider in another app). */
    async endSessions(sub) {
      let n = 0;
      for (const [k, row] of Adapter.rows) {
        if (k.startsWith('Session:') && (!sub || row.payload.accountId === sub)) {
          Adapter.rows.delete(k);
          n++;
        }
      }
      return n;
    },
    /** Revokes every grant of `sub`: its refresh and access tokens stop working. */
    async revokeGrants(sub) {
      const ids = new Set();
      for (const [k, row] of Adapter.rows) {
        if (k.startsWith('Grant:') && (!sub || row.payload.accountId === sub)) ids.add(k.slice('Grant:'.length));
      }
      for (const id of ids) {
        for (const [k, row] of Adapter.rows) if (row.payload.grantId === id || k === `Grant:${id}`) Adapter.rows.delete(k);
      }
      return ids.size;
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/** The sign-in page: a one-field form (any user name signs in), consent comes with it. */
async function interaction(req, res, at, provider, autoLogin) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === 'POST' || autoLogin) {
    let login = autoLogin;
    if (req.method === 'POST') {
      const body = await readBody(req);
      login = new URLSearchParams(body).get('login') || 'alice';
    }
    const result = prompt.name === 'login' ? { login: { accountId: login } } : {};
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>Sign in — test provider</title></head>
<body><h1>Sign in</h1><p>client ${escapeHtml(params.client_id)}, prompt ${escapeHtml(prompt.name)}</p>
<form method="post" action="${escapeHtml(at)}" id="login">
<label>User <input name="login" id="user" value="alice" autofocus></label>
<button type="submit" id="submit">Sign in</button></form>
<!-- uid ${escapeHtml(uid)} --></body></html>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      s += d;
      if (s.length > 1e5) req.destroy();
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
