// Page-load benchmark without a test driver attached to the measured pages.
//
//   node bench/pageload-raw.mjs [runs=40]
//
// bench/pageload.mjs measures through Playwright, which auto-attaches to every
// new page and enables CDP's Runtime domain there, so every extra JavaScript
// world (each content script's isolated world, Playwright's own utility
// world) is reported over the protocol and set up by the driver before the
// page may go on. Real users have no driver attached. This variant signs in
// with Playwright, closes it, then relaunches the same two profiles as plain
// Chromium with `--remote-debugging-port=0` and only talks to the *browser*
// target: `Target.createTarget` opens the page uninstrumented, and after it
// has loaded we attach once to read its Navigation Timing entry.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as h from '../extension/helpers.mjs';

const WebSocket = createRequire(import.meta.url)('playwright-core/lib/utilsBundle').ws;
const RUNS = Number(process.argv[2] || 40);
const WARMUP = 5;
const PAUSE_MS = 700;
const AA = !!process.env.BENCH_AA;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Plain Chromium on a profile; resolves with a minimal browser-level CDP client. */
async function raw(udd, extension, db) {
  const port = path.join(udd, 'DevToolsActivePort');
  fs.rmSync(port, { force: true });
  const args = [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${udd}`, '--remote-debugging-port=0', 'about:blank',
  ];
  if (extension) args.push(`--disable-extensions-except=${h.DIST}`, `--load-extension=${h.DIST}`);
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
    const w = m.id && waiting.get(m.id);
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
  return { send, close };
}

/** One load of `url` in a new, unattached tab; navigation start → load end, ms. */
async function load(b, url) {
  const { targetId } = await b.send('Target.createTarget', { url });
  const { sessionId } = await b.send('Target.attachToTarget', { targetId, flatten: true }).catch(() => ({}));
  // Attaching does not enable any domain, so nothing is instrumented; poll until loaded.
  const expr = `(() => { const n = performance.getEntriesByType('navigation')[0]; return n && n.loadEventEnd > 0 && location.pathname === '/dashboard' ? n.loadEventEnd - n.startTime : 0 })()`;
  const ms = await h.waitFor(
    async () => (await b.send('Runtime.evaluate', { expression: expr, returnByValue: true }, sessionId)).result.value,
    { interval: 100, what: 'the page to load' },
  );
  await b.send('Target.closeTarget', { targetId });
  return ms;
}

h.checkPrerequisites();
const demo = await h.startDemo(['--poll', '10s', '--reports-every', '0']);
const sides = {};
try {
  // Sign both profiles in with Playwright (and let the extension start once), then let go of them.
  for (const [name, ext] of [['with', !AA], ['without', false]]) {
    const b = await h.launch({ host: ext, extension: ext });
    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    await page.close();
    await b.close();
    sides[name] = await raw(b.udd, ext, b.db);
  }
  const url = `${demo.base}/dashboard`;
  const times = { with: [], without: [] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const order = i % 2 ? ['with', 'without'] : ['without', 'with'];
    for (const side of order) {
      const ms = await load(sides[side], url);
      if (i >= WARMUP) times[side].push(ms);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  }
  const mWith = median(times.with);
  const mWithout = median(times.without);
  const paired = median(times.with.map((w, i) => w - times.without[i]));
  console.log(
    JSON.stringify({
      driver: 'raw CDP, pages unattached while loading',
      aa: AA,
      runs: RUNS,
      median_ms_without: +mWithout.toFixed(2),
      median_ms_with: +mWith.toFixed(2),
      overhead_pct: +(((mWith - mWithout) / mWithout) * 100).toFixed(2),
      paired_median_diff_ms: +paired.toFixed(2),
      paired_overhead_pct: +((paired / mWithout) * 100).toFixed(2),
      goal_pct: 3,
    }),
  );
} finally {
  for (const s of Object.values(sides)) await s.close();
  demo.stop();
}
