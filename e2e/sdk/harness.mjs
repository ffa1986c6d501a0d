// The real-auth harness in one call: the providers (real oidc-provider
// instances, the Firebase Auth emulator when installed, stand-ins for the
// hosted-only ones), the SPA pages wired to them, and the sign-in each page's
// user goes through in a real Chromium. Later e2e tests start it with their
// own provider settings (TTLs, rotation, cookies) and drive the pages.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProvider } from './provider.mjs';
import { startStandins } from './standins.mjs';
import { startAppServer, LIBRARIES } from './app-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FIREBASE_TOOLS = path.join(HERE, 'firebase', 'node_modules', '.bin', 'firebase');

/** How each page signs in: through the provider's login page (redirect) or by an SDK call (direct). */
export const SIGN_IN = {
  'oidc-client-ts': 'redirect',
  'auth0-spa-js': 'redirect',
  'msal-browser': 'redirect',
  'keycloak-js': 'redirect',
  'supabase-js': 'direct',
  firebase: 'direct',
  'aws-amplify': 'direct',
};

/**
 * Starts what `libs` need. `provider`: options merged into every oidc-provider
 * (ttl, rotateRefreshToken, sameSiteNone, …); `standins`: options for the
 * stand-ins; `firebase`: 'emulator' (needs `npm ci --prefix sdk/firebase`),
 * 'standin', or 'auto' (the emulator when installed). `configs`: per-library
 * overrides of the page config (e.g. { 'auth0-spa-js': { cache: 'localstorage' } }).
 */
export async function startHarness({ libs = LIBRARIES, provider = {}, standins: standinOpts = {}, firebase = 'auto', configs = {} } = {}) {
  const stops = [];
  const out = { providers: {}, stop: async () => { for (const s of stops.reverse()) await s(); } };
  try {
    const app = await startAppServer();
    stops.push(app.close);
    out.app = app;
    const redirect = (lib) => `${app.origin}/${lib}/`;
    const spaClient = (lib, extra = {}) => ({
      client_id: `${lib}-client`,
      redirect_uris: [redirect(lib), `${app.origin}/${lib}/silent.html`],
      post_logout_redirect_uris: [redirect(lib)],
      ...extra,
    });
    const want = (lib) => libs.includes(lib);

    // oidc-client-ts and keycloak-js: the provider as it comes, on http://localhost.
    if (want('oidc-client-ts') || want('keycloak-js')) {
      // keycloak-js decodes the refresh token as a JWT (Keycloak's are; oidc-provider's are
      // opaque and make its init fail): its client gets no refresh token, only access and ID tokens.
      const p = await startProvider({ ...provider, clients: [spaClient('oidc-client-ts'), spaClient('keycloak-js', { grant_types: ['authorization_code'] })] });
      stops.push(p.close);
      out.providers.oidc = p;
      app.setConfig('oidc-client-ts', { issuer: p.issuer, clientId: 'oidc-client-ts-client', ...configs['oidc-client-ts'] });
      app.setConfig('keycloak-js', { issuer: p.issuer, clientId: 'keycloak-js-client', ...configs['keycloak-js'] });
    }
    // auth0-spa-js builds its URLs from `domain` (/authorize, /oauth/token, /v2/logout) and
    // expects the issuer `${domain}/`.
    if (want('auth0-spa-js')) {
      const p = await startProvider({ ...provider, path: '/', auth0Routes: true, clients: [spaClient('auth0-spa-js', { response_types: ['code'] })] });
      stops.push(p.close);
      out.providers.auth0 = p;
      app.setConfig('auth0-spa-js', { domain: p.origin, clientId: 'auth0-spa-js-client', cache: 'localstorage', ...configs['auth0-spa-js'] });
    }
    // MSAL refuses an http authority: this provider serves https (self-signed).
    if (want('msal-browser')) {
      const p = await startProvider({ ...provider, tls: true, path: '/tenant', clients: [spaClient('msal-browser')] });
      stops.push(p.close);
      out.providers.msal = p;
      app.setConfig('msal-browser', { issuer: p.issuer, clientId: 'msal-browser-client', ...configs['msal-browser'] });
    }
    if (want('supabase-js') || want('aws-amplify') || want('firebase')) {
      const s = await startStandins(standinOpts);
      stops.push(s.close);
      out.standins = s;
      app.setConfig('supabase-js', { url: s.supabaseUrl, anonKey: s.supabaseAnonKey, email: 'alice@example.test', password: s.password, ...configs['supabase-js'] });
      app.setConfig('aws-amplify', { userPoolId: s.cognitoPoolId, clientId: 'logoutlenstestclient0001', endpoint: s.cognitoEndpoint, username: 'alice', password: s.password, ...configs['aws-amplify'] });
    }
    if (want('firebase')) {
      const useEmulator = firebase === 'emulator' || (firebase === 'auto' && fs.existsSync(FIREBASE_TOOLS));
      let emulator = out.standins.firebaseEmulator;
      out.firebase = { kind: 'standin' };
      if (useEmulator) {
        const e = await startFirebaseEmulator();
        stops.push(e.stop);
        emulator = e.url;
        out.firebase = { kind: 'emulator', ...e };
      }
      app.setConfig('firebase', {
        apiKey: 'demo-api-key', authDomain: 'demo-logout-lens.firebaseapp.com', projectId: 'demo-logout-lens',
        emulator, email: 'alice@example.test', password: 'test-password', ...configs.firebase,
      });
    }
    return out;
  } catch (e) {
    await out.stop();
    throw e;
  }
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * The real Firebase Auth emulator (firebase-tools, pinned in sdk/firebase/) for a
 * `demo-` project, which needs no Google account and no download. Resolves with
 * { url, version, stop() } once it answers.
 */
export async function startFirebaseEmulator() {
  if (!fs.existsSync(FIREBASE_TOOLS)) throw new Error(`firebase-tools is not installed: run npm ci --prefix ${path.relative(process.cwd(), path.dirname(path.dirname(path.dirname(FIREBASE_TOOLS))))}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-fbemu-'));
  const [auth, hub, logging] = [await freePort(), await freePort(), await freePort()];
  fs.writeFileSync(path.join(dir, 'firebase.json'), JSON.stringify({
    emulators: { auth: { host: '127.0.0.1', port: auth }, hub: { host: '127.0.0.1', port: hub }, logging: { host: '127.0.0.1', port: logging }, ui: { enabled: false } },
  }));
  const child = spawn(FIREBASE_TOOLS, ['emulators:start', '--only', 'auth', '--project', 'demo-logout-lens'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, HOME: dir, FIREBASE_CLI_DISABLE_UPDATE_CHECK: 'true', CI: 'true' },
  });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  child.stderr.on('data', (d) => (logs += d));
  const url = `http://localhost:${auth}`;
  const end = Date.now() + 60000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${auth}/`);
      if (r.ok && (await r.json()).authEmulator?.ready) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() > end) {
      try { process.kill(-child.pid); } catch { /* gone */ }
      throw new Error(`Firebase Auth emulator did not start:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(HERE, 'firebase', 'node_modules', 'firebase-tools', 'package.json'), 'utf8'));
  return {
    url,
    version: pkg.version,
    stop: async () => {
      try { process.kill(-child.pid, 'SIGINT'); } catch { return; }
      await new Promise((r) => { const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } r(); }, 5000); child.on('exit', () => { clearTimeout(t); r(); }); });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Signs the page's user in, as a person would: a redirect library goes to the
 * provider's login page and back; a direct one signs in with a password from
 * the page. Resolves once the page says `signed-in`.
 */
export async function signIn(page, lib, appUrl, { user = 'alice', timeout = 30000 } = {}) {
  if (process.env.SDK_DEBUG) {
    page.on('console', (m) => console.error(`[${lib} console] ${m.type()} ${m.text()}`));
    page.on('framenavigated', (f) => f === page.mainFrame() && console.error(`[${lib} nav] ${f.url()}`));
  }
  await page.goto(appUrl);
  await page.waitForFunction(() => window.app && document.body.dataset.state !== 'loading', null, { timeout });
  if (SIGN_IN[lib] === 'redirect') {
    const appOrigin = new URL(appUrl).origin;
    const atLogin = page.waitForURL((u) => u.pathname.includes('/interaction/'), { timeout });
    page.evaluate(() => window.app.signIn()).catch(() => { /* the page navigates away */ });
    await atLogin;
    await page.fill('#user', user);
    await Promise.all([page.waitForURL((u) => u.origin === appOrigin, { timeout }), page.click('#submit')]);
  } else {
    await page.evaluate(() => window.app.signIn());
  }
  await page.waitForFunction(() => window.app && document.body.dataset.state === 'signed-in', null, { timeout });
}
