// Regenerates model/fixtures/sdk/*.json: each real SDK signs its user in, in
// headless Chromium, against the harness's providers, and what it wrote —
// localStorage, sessionStorage, cookies, IndexedDB — is dumped with the time
// of capture and the library's exact version. Never edit the output by hand.
//
//   cd e2e && node sdk/capture.mjs [variant …]
//
// The Firebase Auth emulator is installed on first use (`npm ci` in sdk/firebase/).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { executablePath, args as CHROMIUM_ARGS } from '../collector/chromium.mjs';
import { startHarness, signIn, FIREBASE_TOOLS } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, '../../model/fixtures/sdk');

/** One fixture per storage layout: which page, with which settings, and the package whose version it names. */
export const VARIANTS = [
  { name: 'oidc-client-ts', lib: 'oidc-client-ts', pkg: 'oidc-client-ts', note: 'default userStore (sessionStorage)' },
  { name: 'oidc-client-ts-local', lib: 'oidc-client-ts', pkg: 'oidc-client-ts', config: { store: 'localStorage' }, note: "userStore: new WebStorageStateStore({ store: localStorage })" },
  { name: 'auth0-spa-js-localstorage', lib: 'auth0-spa-js', pkg: '@auth0/auth0-spa-js', config: { cache: 'localstorage' }, note: "cacheLocation: 'localstorage', useRefreshTokens: true" },
  { name: 'auth0-spa-js-memory', lib: 'auth0-spa-js', pkg: '@auth0/auth0-spa-js', config: { cache: 'memory' }, note: "the default cacheLocation 'memory', useRefreshTokens: true" },
  { name: 'msal-browser-session', lib: 'msal-browser', pkg: '@azure/msal-browser', config: { cache: 'sessionStorage' }, note: "the default cacheLocation 'sessionStorage', protocolMode OIDC" },
  { name: 'msal-browser-local', lib: 'msal-browser', pkg: '@azure/msal-browser', config: { cache: 'localStorage' }, note: "cacheLocation 'localStorage', protocolMode OIDC" },
  { name: 'keycloak-js', lib: 'keycloak-js', pkg: 'keycloak-js', note: "generic OIDC mode (oidcProvider), responseMode 'fragment'; tokens in memory only" },
  { name: 'firebase-indexeddb', lib: 'firebase', pkg: 'firebase', config: { persistence: 'indexedDB' }, note: "getAuth()'s default persistence order (IndexedDB first)" },
  { name: 'firebase-local', lib: 'firebase', pkg: 'firebase', config: { persistence: 'local' }, note: 'browserLocalPersistence' },
  { name: 'supabase-js', lib: 'supabase-js', pkg: '@supabase/supabase-js', note: 'createClient defaults (localStorage)' },
  { name: 'aws-amplify', lib: 'aws-amplify', pkg: 'aws-amplify', note: "Amplify v6 defaultStorage (localStorage), authFlowType 'USER_PASSWORD_AUTH'" },
];

const PROVIDER = {
  'oidc-client-ts': 'real: npm oidc-provider',
  'auth0-spa-js': "real: npm oidc-provider serving Auth0's paths (/authorize, /oauth/token)",
  'msal-browser': 'real: npm oidc-provider over https (self-signed), MSAL protocolMode OIDC',
  'keycloak-js': 'real: npm oidc-provider (keycloak-js generic OIDC mode)',
  'supabase-js': "stand-in: GoTrue's /auth/v1/token (e2e/sdk/standins.mjs)",
  'aws-amplify': "stand-in: Cognito user pools JSON API via Amplify's userPoolEndpoint (e2e/sdk/standins.mjs)",
};

/** The installed version of an e2e/node_modules package (read from its package.json, which some packages do not export). */
function versionOf(pkg) {
  try {
    return JSON.parse(fs.readFileSync(path.resolve(HERE, '../node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Everything the origin's scripts can see in storage, plus IndexedDB as structured clones made JSON. */
async function dumpPage(page) {
  return page.evaluate(async () => {
    const area = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => s.key(i)).sort().map((k) => [k, s.getItem(k)]));
    const plain = (v) => {
      if (v === null || typeof v !== 'object') return v;
      if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) return { $type: 'CryptoKey', algorithm: v.algorithm?.name, usages: v.usages, extractable: v.extractable };
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return { $type: 'bytes', length: v.byteLength };
      if (v instanceof Date) return { $type: 'Date', value: v.toISOString() };
      if (Array.isArray(v)) return v.map(plain);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    };
    const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const indexedDb = [];
    for (const { name, version } of await indexedDB.databases()) {
      const db = await req(indexedDB.open(name));
      for (const store of Array.from(db.objectStoreNames).sort()) {
        const tx = db.transaction(store, 'readonly').objectStore(store);
        const [keys, values] = await Promise.all([req(tx.getAllKeys()), req(tx.getAll())]);
        indexedDb.push({ database: name, version, store, records: keys.map((k, i) => ({ key: plain(k), value: plain(values[i]) })) });
      }
      db.close();
    }
    return { localStorage: area(localStorage), sessionStorage: area(sessionStorage), indexedDb };
  });
}

async function capture(browser, variant) {
  const harness = await startHarness({ libs: [variant.lib], configs: { [variant.lib]: variant.config || {} }, firebase: 'emulator' });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const appUrl = harness.app.url(variant.lib);
    await signIn(page, variant.lib, appUrl);
    // The SDKs finish their writes after the promise the page awaited (Firebase's IndexedDB
    // write, MSAL's index keys): give them a moment, then read what is there.
    await page.waitForTimeout(1000);
    const capturedAt = Date.now();
    const storage = await dumpPage(page);
    const cookies = (await context.cookies()).sort((a, b) => (a.domain + a.name).localeCompare(b.domain + b.name));
    const events = await page.evaluate(() => window.app.events.map((e) => e.name));
    const provider = variant.lib === 'firebase'
      ? `real: Firebase Auth emulator (firebase-tools ${harness.firebase.version})`
      : PROVIDER[variant.lib];
    return {
      note: 'Captured from the real library by e2e/sdk/capture.mjs; never edit by hand. Every token here is a test token, signed by a key made for this one run and thrown away (or unsigned, as the Firebase emulator issues them); none is valid anywhere.',
      library: variant.pkg,
      version: versionOf(variant.pkg),
      ...(variant.pkg === 'firebase' ? { auth_version: versionOf('@firebase/auth') } : {}),
      ...(variant.pkg === 'aws-amplify' ? { auth_version: versionOf('@aws-amplify/auth') } : {}),
      ...(variant.pkg === '@supabase/supabase-js' ? { auth_version: versionOf('@supabase/auth-js') } : {}),
      variant: variant.note,
      provider,
      provider_version: variant.lib === 'firebase' ? harness.firebase.version : (PROVIDER[variant.lib].includes('oidc-provider') ? versionOf('oidc-provider') : undefined),
      captured_at_ms: capturedAt,
      app_origin: harness.app.origin,
      sdk_events: events,
      local_storage: storage.localStorage,
      session_storage: storage.sessionStorage,
      cookies: cookies.map(({ name, value, domain, path: p, expires, httpOnly, secure, sameSite }) => ({ name, value, domain, path: p, expires, httpOnly, secure, sameSite })),
      indexed_db: storage.indexedDb,
    };
  } finally {
    await context.close();
    await harness.stop();
  }
}

async function main() {
  const wanted = process.argv.slice(2);
  const variants = wanted.length ? VARIANTS.filter((v) => wanted.includes(v.name) || wanted.includes(v.lib)) : VARIANTS;
  if (!variants.length) throw new Error(`no such variant; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
  if (variants.some((v) => v.lib === 'firebase') && !fs.existsSync(FIREBASE_TOOLS)) {
    console.error('installing the Firebase Auth emulator (firebase-tools) into sdk/firebase/ …');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', path.join(HERE, 'firebase')], { stdio: 'inherit' });
  }
  fs.mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  let failed = 0;
  try {
    for (const v of variants) {
      const t = Date.now();
      try {
        const fixture = await capture(browser, v);
        fs.writeFileSync(path.join(OUT, `${v.name}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
        const n = Object.keys(fixture.local_storage).length + Object.keys(fixture.session_storage).length;
        console.log(`${v.name}: ${fixture.library}@${fixture.version}, ${n} storage keys, ${fixture.cookies.length} cookies, ${fixture.indexed_db.length} IndexedDB stores (${Date.now() - t} ms)`);
      } catch (e) {
        failed++;
        console.error(`${v.name}: FAILED ${e?.stack || e}`);
      }
    }
  } finally {
    await browser.close();
  }
  if (failed) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
