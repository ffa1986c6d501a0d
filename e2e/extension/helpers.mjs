// Helpers for the extension's end-to-end tests: the demo app, a headless
// Chromium with dist/chromium loaded, the real native host, and the DB.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { args as CHROMIUM_ARGS } from '../collector/chromium.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const DIST = process.env.LOGOUT_LENS_DIST || path.join(ROOT, 'dist/chromium');
export const HOST_BIN = process.env.LOGOUT_LENS_BIN || path.join(TARGET, 'debug/logout-lens');
export const DEMO_BIN = process.env.LOGOUT_LENS_DEMO || path.join(TARGET, 'debug/examples/demo');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function checkPrerequisites() {
  const missing = [
    [path.join(DIST, 'manifest.json'), 'cargo xtask dist'],
    [HOST_BIN, 'cargo build -p logout-lens-collector'],
    [DEMO_BIN, 'cargo build -p logout-lens-server --example demo'],
    [CHROMIUM, 'apt-get install chromium'],
  ].filter(([p]) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`missing ${missing.map(([p, how]) => `${p} (run: ${how})`).join(', ')}`);
  }
}

export function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ll-${prefix}-`));
}

/** Polls `fn` until it returns a truthy value; fails with `what` after `timeout` ms. */
export async function waitFor(fn, { timeout = 20000, interval = 150, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Starts the demo app with `args`; resolves with `{ base, port, stop }` once
 * it listens. It always binds 127.0.0.1; `host: 'localhost'` names it so in
 * `base`, which makes it another site for the browser (127.0.0.1 and
 * localhost do not share storage; two ports of one host do share cookies).
 */
export function startDemo(args = [], { host = '127.0.0.1' } = {}) {
  const child = spawn(DEMO_BIN, ['--addr', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start: ${stderr}`)), 15000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ base: `http://${host}:${m[1]}`, port: Number(m[1]), stop: () => child.kill('SIGTERM') });
      }
    });
    child.on('exit', (code) => reject(new Error(`demo exited ${code}: ${stderr}`)));
  });
}

/**
 * A copy of dist/chromium as it runs once the user has granted "Full
 * network capture" and the extension has reloaded: `webRequest` moved from
 * `optional_permissions` into `permissions` (an unpacked extension gets its
 * required permissions without a prompt). Same `key`, so the same id.
 */
export function webRequestDist(from = DIST) {
  const dir = path.join(tmpDir('dist-webrequest'), 'chromium');
  fs.cpSync(from, dir, { recursive: true });
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8'));
  m.optional_permissions = (m.optional_permissions || []).filter((p) => p !== 'webRequest');
  if (!m.optional_permissions.length) delete m.optional_permissions;
  if (!m.permissions.includes('webRequest')) m.permissions.push('webRequest');
  fs.writeFileSync(file, JSON.stringify(m, null, 2));
  return dir;
}

/**
 * The environment for the collector's `install`: its record of what it wrote
 * goes to a folder of the test's own, not the user's data folder.
 */
export function installEnv() {
  return { ...process.env, XDG_DATA_HOME: tmpDir('data'), NO_COLOR: '1' };
}

/**
 * Registers the real collector as the native host of a Chromium profile, with
 * its own installer; `--in-place`: the build under test, not a per-user copy.
 */
export function installHost(userDataDir, hostBin = HOST_BIN) {
  return execFileSync(hostBin, ['install', '--in-place', '--browser', 'chromium', '--user-data-dir', userDataDir], {
    encoding: 'utf8',
    env: installEnv(),
  }).trim();
}

/**
 * Launches headless Chromium with the extension (from `dist`, by default
 * dist/chromium). `host: true` registers the collector first (`hostBin`, by
 * default `HOST_BIN`). Resolves with `{ ctx, sw, udd, db, close }`.
 */
export async function launch({ host = true, hostBin, db, udd = tmpDir('profile'), extension = true, dist = DIST } = {}) {
  db = db || path.join(tmpDir('db'), 'events.db');
  if (host) installHost(udd, hostBin);
  const args = [...CHROMIUM_ARGS];
  if (extension) args.push(`--disable-extensions-except=${dist}`, `--load-extension=${dist}`);
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM,
    headless: false,
    args,
    env: { ...process.env, LOGOUT_LENS_DB: db, LOGOUT_LENS_LOG: 'warn' },
  });
  let sw = null;
  if (extension) {
    sw = ctx.serviceWorkers()[0] || (await ctx.waitForEvent('serviceworker', { timeout: 15000 }));
    await waitFor(() => sw.evaluate(() => globalThis.logoutLensStatus && globalThis.logoutLensStatus()), {
      what: 'the extension to start',
    });
  }
  return { ctx, sw, udd, db, close: () => ctx.close() };
}

/** Rows of the collector's `events` table (bodies parsed), oldest first. */
export function dbEvents(db, where = '1=1') {
  if (!fs.existsSync(db)) return [];
  const out = execFileSync('sqlite3', ['-json', `file:${db}?mode=ro`, `SELECT id, kind, body FROM events WHERE ${where} ORDER BY ts_ms, seq`], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return out.trim() ? JSON.parse(out).map((r) => ({ ...r, event: JSON.parse(r.body) })) : [];
}

/** The extension's relay counters. */
export function relayStatus(sw) {
  return sw.evaluate(() => globalThis.logoutLensStatus());
}

/** Resolves with the relay's counters once every queued event is stored by the collector. */
export function drained(sw, timeout) {
  return waitFor(async () => {
    const s = await relayStatus(sw);
    return s.connected && s.queued === 0 && s.in_flight === 0 && s;
  }, { timeout, what: 'the queue to drain into the collector' });
}

/** Signs in on a new page, lets the dashboard call the API twice, runs `beforeLogout(page)`, clicks "Log out"; the page. */
export async function signInAndLogOut(b, base, beforeLogout = async () => {}) {
  const page = await b.ctx.newPage();
  await signIn(page, base);
  await page.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 2);
  await beforeLogout(page);
  await page.click('#logout');
  await page.waitForURL(/\/signin/);
  return page;
}

/**
 * Signs in through the demo's own form, with real (trusted) input. Returns
 * the time of the last input (the click), which on a busy machine can be
 * seconds before the dashboard has loaded. `waitUntil` is how far the
 * dashboard's load is awaited (`commit` when it never ends: `--slow-load`).
 */
export async function signIn(page, base, { waitUntil = 'load' } = {}) {
  await page.goto(`${base}/signin`);
  await page.fill('#email', 'demo@example.com');
  await page.fill('#password', 'demo-password');
  await page.click('#signin');
  const lastInput = Date.now();
  await page.waitForURL(`${base}/dashboard`, { waitUntil });
  return lastInput;
}

/** Every file under `dir`, as one buffer per file. */
export function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push([p, fs.readFileSync(p)]);
  }
  return out;
}
