// A real Firefox ESR with the Logout Lens add-on and the real collector, for
// end-to-end tests: puppeteer-core drives `/usr/bin/firefox-esr` over
// WebDriver BiDi. Each launch gets
//
// - a private HOME whose `.mozilla/native-messaging-hosts/` holds the host
//   manifest the collector's own `install` wrote (Firefox reads host
//   manifests from HOME, so nothing of the user's is touched),
// - its own profile, with `extensions.webextensions.uuids` fixing the
//   add-on's moz-extension:// UUID so its pages have a known address,
// - `dist/firefox` installed as a temporary (unsigned) add-on,
// - `-remote-allow-system-access`, which lets the driver open and script
//   the add-on's pages (the popup, the options page),
// - Firefox's stderr kept (`lines`), where script warnings such as "Script
//   terminated by timeout" appear.
//
// Built to be reused: anything a Chromium test does through
// `extension/helpers.mjs` has its Firefox counterpart here (the demo app,
// the DB and `waitFor` are shared from there).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { HOST_BIN, DEMO_BIN, ROOT, tmpDir, waitFor } from '../extension/helpers.mjs';

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
export const FIREFOX_DIST = process.env.LOGOUT_LENS_FIREFOX_DIST || path.join(ROOT, 'dist/firefox');
export const ADDON_ID = 'logout-lens@logout-lens.dev';
/** The add-on's fixed moz-extension:// UUID (pref `extensions.webextensions.uuids`). */
export const UUID = '7d1f2c3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
export const EXT = `moz-extension://${UUID}`;

export function checkFirefoxPrerequisites() {
  const missing = [
    [path.join(FIREFOX_DIST, 'manifest.json'), 'cargo xtask dist'],
    [HOST_BIN, 'cargo build -p logout-lens-collector'],
    [DEMO_BIN, 'cargo build -p logout-lens-server --example demo'],
    [FIREFOX, 'apt-get install firefox-esr'],
  ].filter(([p]) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`missing ${missing.map(([p, how]) => `${p} (run: ${how})`).join(', ')}`);
  }
}

/**
 * Registers the collector as the native host of Firefox under `home`, with its
 * own installer; `--in-place`: the build under test, not a per-user copy.
 */
export function installFirefoxHost(home, hostBin = HOST_BIN) {
  return execFileSync(hostBin, ['install', '--in-place', '--browser', 'firefox'], {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_DATA_HOME: path.join(home, '.local/share'), NO_COLOR: '1' },
  }).trim();
}

/**
 * Launches Firefox ESR with the add-on (`dist`, by default dist/firefox).
 * `host: true` registers the collector first. Resolves with
 * `{ browser, home, db, lines, ext, close }`; `ext` is an open add-on page
 * (options.html) that the helpers below ask the background script through.
 */
export async function launchFirefox({ host = true, hostBin, db, dist = FIREFOX_DIST, prefs = {} } = {}) {
  const home = tmpDir('ff-home');
  db = db || path.join(tmpDir('db'), 'events.db');
  if (host) installFirefoxHost(home, hostBin);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    args: ['-remote-allow-system-access'],
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [ADDON_ID]: UUID }),
      // Quiet: no updates, telemetry or first-run pages on a test profile.
      'app.update.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'browser.shell.checkDefaultBrowser': false,
      ...prefs,
    },
    env: { ...process.env, HOME: home, LOGOUT_LENS_DB: db, LOGOUT_LENS_LOG: 'warn' },
  });
  const lines = [];
  let partial = '';
  browser.process().stderr.on('data', (d) => {
    const text = partial + d.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop();
    lines.push(...parts);
  });
  try {
    const id = await browser.installExtension(dist);
    if (id !== ADDON_ID) throw new Error(`installed ${id}, expected ${ADDON_ID}`);
    const ext = await openExtensionPage(browser, 'options.html');
    await waitFor(() => relayStatus(ext), { what: 'the add-on to start' });
    return { browser, home, db, lines, ext, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/**
 * Opens one of the add-on's pages in a new tab. Firefox's BiDi navigation
 * tracking does not report moz-extension:// loads, so the page is awaited
 * by its own document instead of by `goto`.
 */
export async function openExtensionPage(browser, file) {
  const page = await browser.newPage();
  page.goto(`${EXT}/${file}`).catch(() => {});
  await waitFor(
    () => page.evaluate((u) => location.href.startsWith(u) && document.readyState === 'complete', `${EXT}/${file}`),
    { what: `${file} to load` },
  );
  return page;
}

/** The relay's counters, asked from an add-on page (`ext`). */
export function relayStatus(ext) {
  return ext.evaluate(() => browser.runtime.sendMessage({ t: 'status' }));
}

/** Resolves with the relay's counters once every queued event is stored by the collector. */
export function drained(ext, timeout) {
  return waitFor(async () => {
    const s = await relayStatus(ext);
    return s && s.connected && s.queued === 0 && s.in_flight === 0 && s;
  }, { timeout, what: 'the queue to drain into the collector' });
}

/** The tab id of a page showing `url` (tabs are known to the add-on, not the driver). */
export function tabIdOf(ext, url) {
  return waitFor(
    () => ext.evaluate(async (u) => {
      const t = (await browser.tabs.query({})).find((x) => x.url === u);
      return t && t.id;
    }, url),
    { what: `the tab of ${url}` },
  );
}

/** The popup of the tab showing `page`, opened as a page (`popup.html?tab=<id>`). */
export async function openPopup(b, page) {
  const tab = await tabIdOf(b.ext, page.url());
  const popup = await openExtensionPage(b.browser, `popup.html?tab=${tab}`);
  await waitFor(() => popup.evaluate(() => document.querySelector('#origin').textContent !== '…'), { what: 'the popup to render' });
  return popup;
}

/**
 * The add-on's in-page UI (overlay or banner) on `page` as `{ kind, mode,
 * text }`, or null when none is shown. It lives in a shadow root the page
 * cannot read (closed); WebDriver BiDi serializes closed shadow trees
 * (`includeShadowTree: 'all'`), which is how the driver reads it. The host is
 * `<logout-lens-ui>`, or a `div` with its fixed, topmost inline style when a
 * page took that tag first.
 */
export async function pageUi(b, page) {
  const res = await b.browser.connection.send('script.evaluate', {
    expression: `document.querySelector('logout-lens-ui') ||
      [...document.querySelectorAll('body > div, html > div')].find((d) => (d.getAttribute('style') || '').includes('2147483647')) || null`,
    target: { context: page.mainFrame()._id },
    awaitPromise: false,
    resultOwnership: 'none',
    serializationOptions: { includeShadowTree: 'all', maxDomDepth: 16 },
  });
  const host = res.result.result;
  const root = host && host.type === 'node' && host.value.shadowRoot;
  if (!root) return null;
  const text = (n) => (n.value.nodeType === 3 ? n.value.nodeValue || '' : (n.value.children || []).map(text).join(''));
  const find = (n) => {
    const cls = (n.value.attributes && n.value.attributes.class) || '';
    if (/\bbox\b/.test(cls)) return n;
    for (const c of n.value.children || []) {
      const f = find(c);
      if (f) return f;
    }
    return null;
  };
  const box = find(root);
  if (!box) return null;
  const cls = box.value.attributes.class;
  return {
    kind: /\boverlay\b/.test(cls) ? 'overlay' : /\bbanner\b/.test(cls) ? 'banner' : 'other',
    mode: root.value.mode,
    text: text(box),
  };
}

/** The text of the add-on's in-page UI (`overlay` or `banner`) on `page`, once shown. */
export async function inPageUi(b, page, kind, timeout = 20000) {
  const ui = await waitFor(
    async () => {
      const u = await pageUi(b, page);
      return u && u.kind === kind && u;
    },
    { timeout, what: `the ${kind} on ${page.url()}` },
  );
  return ui.text;
}

/** Signs in through the demo's form with real input; the time of the last input. */
export async function signIn(page, base) {
  await page.goto(`${base}/signin`);
  await page.type('#email', 'demo@example.com');
  await page.type('#password', 'demo-password');
  const lastInput = Date.now();
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
  if (!page.url().endsWith('/dashboard')) throw new Error(`signed in to ${page.url()}`);
  return lastInput;
}

/** Waits until `page` shows the sign-in page (the app logged out). */
export function onSignIn(page, timeout = 25000) {
  return waitFor(() => /\/signin(\?|$)/.test(page.url()), { timeout, what: 'the app to show its sign-in page' });
}

/** Firefox's warnings that a script ran too long ("Script terminated by timeout"). */
export function scriptTimeouts(b) {
  return b.lines.filter((l) => /Script terminated by timeout/.test(l));
}
