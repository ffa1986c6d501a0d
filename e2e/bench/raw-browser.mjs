// A plain Chromium driven over the browser-level CDP endpoint only: no
// driver attached to the pages while they load (see pageload-raw.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as h from '../extension/helpers.mjs';

const WebSocket = createRequire(import.meta.url)('playwright-core/lib/utilsBundle').ws;

/** The median (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One profile per side (`[name, dist or null, host binary or undefined]`),
 * signed in to the demo at `base` with Playwright (the extension, if any,
 * started once), then let go of: name → { udd, db, ext }, for `raw`.
 */
export async function signedInProfiles(sides, base) {
  const profiles = {};
  for (const [name, ext, hostBin] of sides) {
    const b = await h.launch({ host: !!ext, hostBin, extension: !!ext, dist: ext || undefined });
    const page = await b.ctx.newPage();
    await h.signIn(page, base);
    await page.close();
    await b.close();
    profiles[name] = { ...b, ext };
  }
  return profiles;
}

/**
 * Plain Chromium on a profile; resolves with a minimal browser-level CDP
 * client. `onEvent` receives the protocol's events (only tracing asks).
 */
export async function raw(udd, dist, db, { onEvent } = {}) {
  const port = path.join(udd, 'DevToolsActivePort');
  fs.rmSync(port, { force: true });
  const args = [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${udd}`, '--remote-debugging-port=0', 'about:blank',
  ];
  if (dist) args.push(`--disable-extensions-except=${dist}`, `--load-extension=${dist}`);
  const child = spawn(h.CHROMIUM, args, {
    stdio: 'ignore',
    env: { ...process.env, LOGOUT_LENS_DB: db, LOGOUT_LENS_LOG: 'warn' },
  });
  const text = await h.waitFor(() => fs.existsSync(port) && fs.readFileSync(port, 'utf8'), { what: 'DevToolsActivePort' });
  const [p, wsPath] = text.trim().split('\n');
  const ws = new WebSocket(`ws://127.0.0.1:${p}${wsPath}`);
  await new Promise((r, j) => (ws.on('open', r), ws.on('error', j)));
  let id = 0;
  const waiting = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(d);
    if (!m.id) return onEvent && onEvent(m);
    const w = waiting.get(m.id);
    if (w) {
      waiting.delete(m.id);
      m.error ? w.j(new Error(JSON.stringify(m.error))) : w.r(m.result);
    }
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((r, j) => {
      const n = ++id;
      waiting.set(n, { r, j });
      ws.send(JSON.stringify({ id: n, method, params, sessionId }));
    });
  const close = () => {
    ws.close();
    child.kill('SIGTERM');
    return new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
  };
  return { send, close, pid: child.pid };
}

const LOADED = (prev) =>
  `(() => { const n = performance.getEntriesByType('navigation')[0]; return performance.timeOrigin !== ${prev} && n && n.loadEventEnd > 0 && location.pathname === '/dashboard' ? n.loadEventEnd - n.startTime : 0 })()`;

async function evaluate(b, expression, sessionId) {
  return (await b.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result.value;
}

/** One load of `url` in a new, unattached tab; navigation start → load end, ms. */
export async function loadNewTab(b, url) {
  const { targetId } = await b.send('Target.createTarget', { url });
  const { sessionId } = await b.send('Target.attachToTarget', { targetId, flatten: true }).catch(() => ({}));
  // Attaching does not enable any domain, so nothing is instrumented; poll until loaded.
  const ms = await h.waitFor(() => evaluate(b, LOADED(-1), sessionId), { interval: 100, what: 'the page to load' });
  await b.send('Target.closeTarget', { targetId });
  return ms;
}

/** One navigation of the side's own, long-lived tab to `url` (what a user does most). */
export async function loadSameTab(b, url) {
  if (!b.tab) {
    const { targetId } = await b.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await b.send('Target.attachToTarget', { targetId, flatten: true });
    b.tab = { targetId, sessionId };
  }
  const { sessionId } = b.tab;
  const before = await evaluate(b, 'performance.timeOrigin', sessionId);
  await evaluate(b, `location.assign(${JSON.stringify(url)})`, sessionId);
  return h.waitFor(() => evaluate(b, LOADED(before), sessionId), { interval: 50, what: 'the page to load' });
}
