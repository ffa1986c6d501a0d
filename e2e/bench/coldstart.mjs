// Service-worker cold start: how long a stopped worker takes, once an event
// wakes it, to handle that event and relay it to the collector.
//
//   cd e2e && node bench/coldstart.mjs [ROUNDS]            # dist/chromium alone
//   cd e2e && BENCH_CONTROL_DIST=/tmp/ll-dist-control/chromium node bench/coldstart.mjs 30
//
// Each side (`with` = dist/chromium or LOGOUT_LENS_DIST, `control` =
// BENCH_CONTROL_DIST) gets its own plain headless Chromium (no driver
// attached while measuring, see raw-browser.mjs), profile and real collector
// (the debug `logout-lens`, or LOGOUT_LENS_BIN / BENCH_CONTROL_BIN), and one
// tab on a small page on 127.0.0.1. A round, the sides alternating:
//   1. stop the worker as Chromium does when it idles out (CDP
//      Target.closeTarget on its target, as the worker-restart e2e test does);
//   2. the page writes a credential-looking key to localStorage (recorded by
//      the core as a storage_change), which reaches the worker through the
//      content scripts and starts it;
//   3. once the collector has stored the event, the worker's probe is read.
// The probe is one module imported before background.js in a copy of each
// dist (the extension itself is unchanged; both sides get the same probe).
// It records, in ms from the worker's start (`performance.timeOrigin`: the
// worker's creation, before its scripts are fetched and evaluated):
//   evaluated the worker's modules fetched and compiled, their evaluation begins;
//   event     the waking event (the page's message) delivered to the worker;
//   wasm      the core's wasm instantiated;
//   stored_state  the core's saved state (secret, relay ring) read from
//             chrome.storage.local;
//   handled   the event handled by the core and queued for the collector: the
//             moment the relay's send timer was set (after an event the relay
//             waits a moment, so that a burst costs one message, and then
//             connects if it must); read as the time that timer was armed;
//   connect   the relay opening the port to the collector
//             (chrome.runtime.connectNative; it connects only with something
//             to send, so after the event);
//   relayed   the first batch after the restart posted to the collector's port;
//   acked     the collector's ack of that batch (it started a new collector
//             process and stored the batch in SQLite).
// Prints the medians per side (and control − with), as JSON.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as h from '../extension/helpers.mjs';
import { median, raw } from './raw-browser.mjs';

const ROUNDS = Number(process.argv[2] || process.env.BENCH_ROUNDS || 20);
const CONTROL = process.env.BENCH_CONTROL_DIST;
const PHASES = ['evaluated', 'event', 'wasm', 'stored_state', 'handled', 'connect', 'relayed', 'acked'];

const PROBE = `// Cold-start probe (e2e/bench/coldstart.mjs): observes, changes nothing.
const t = (globalThis.__coldStart = { evaluated: performance.now() });
const now = () => performance.now();
let armedAt = null;
const setTimeout0 = globalThis.setTimeout;
globalThis.setTimeout = function (f, ms, ...args) {
  if (typeof f !== 'function') return setTimeout0(f, ms, ...args);
  const armed = now();
  return setTimeout0(function () {
    const outer = armedAt;
    armedAt = armed;
    try {
      return f.apply(this, args);
    } finally {
      armedAt = outer;
    }
  }, ms);
};
for (const k of ['instantiate', 'instantiateStreaming']) {
  const f = WebAssembly[k];
  WebAssembly[k] = function (...a) {
    return f.apply(this, a).then((r) => {
      t.wasm ??= now();
      return r;
    });
  };
}
const onMessage = chrome.runtime.onMessage;
const addListener = onMessage.addListener;
onMessage.addListener = function (f, ...a) {
  return addListener.call(onMessage, function (...m) {
    t.event ??= now();
    return f.apply(this, m);
  }, ...a);
};
const local = chrome.storage.local;
const get = local.get;
local.get = function (...a) {
  const p = get.apply(local, a);
  if (t.stored_state === undefined) p.then(() => (t.stored_state ??= now()));
  return p;
};
const rt = chrome.runtime;
const connectNative = rt.connectNative;
rt.connectNative = function (name) {
  t.connect ??= now();
  t.handled ??= armedAt ?? undefined;
  const port = connectNative.call(rt, name);
  const post = port.postMessage.bind(port);
  port.postMessage = (m) => {
    if (m && m.type === 'batch' && t.relayed === undefined) {
      t.relayed = now();
      t.handled ??= armedAt ?? t.relayed;
      t.seq = m.seq;
      t.events = m.events.length;
    }
    return post(m);
  };
  port.onMessage.addListener((m) => {
    if (m && m.type === 'ack' && m.seq === t.seq && t.acked === undefined) t.acked = now();
  });
  return port;
};
`;

/** A copy of `dist` whose worker imports the probe first. */
function probed(dist, name) {
  const out = h.tmpDir(`coldstart-${name}`);
  fs.cpSync(dist, out, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  const background = manifest.background.service_worker;
  fs.writeFileSync(path.join(out, 'bench-probe.js'), PROBE);
  fs.writeFileSync(path.join(out, 'bench-worker.js'), `import './bench-probe.js';\nimport './${background}';\n`);
  manifest.background.service_worker = 'bench-worker.js';
  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return out;
}

/** A small page on 127.0.0.1 (nothing on it talks to the network). */
async function site() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>cold start</title><p>cold start</p>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

const evaluate = async (b, expression, sessionId) =>
  (await b.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)).result.value;

async function workerTarget(b) {
  const { targetInfos } = await b.send('Target.getTargets');
  return targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith('chrome-extension://'));
}

/** The probe's record in the running worker (attaching only to read it). */
async function readProbe(b) {
  const w = await workerTarget(b);
  if (!w) return null;
  const { sessionId } = await b.send('Target.attachToTarget', { targetId: w.targetId, flatten: true });
  try {
    return await evaluate(b, 'JSON.stringify(globalThis.__coldStart || null)', sessionId).then(JSON.parse);
  } finally {
    await b.send('Target.detachFromTarget', { sessionId }).catch(() => {});
  }
}

/** The collector's stored storage_change events (0 before its first start); retried while
 * the collector holds the database locked. */
function rowCount(db) {
  if (!fs.existsSync(db)) return Promise.resolve(0);
  const count = () => {
    try {
      const out = execFileSync('sqlite3', [`file:${db}?mode=ro`, "SELECT count(*) FROM events WHERE kind = 'storage_change'"], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { n: Number(out.trim()) };
    } catch (e) {
      if (/no such table/.test(String(e.stderr))) return { n: 0 };
      return null; // locked: try again
    }
  };
  return h.waitFor(count, { timeout: 10000, interval: 50, what: 'the collector database' }).then((r) => r.n);
}

async function side(name, dist, hostBin, base) {
  const udd = h.tmpDir(`coldstart-profile-${name}`);
  const db = path.join(h.tmpDir(`coldstart-db-${name}`), 'events.db');
  h.installHost(udd, hostBin);
  const ext = probed(dist, name);
  const b = await raw(udd, ext, db);
  const { targetId } = await b.send('Target.createTarget', { url: `${base}/` });
  const { sessionId } = await b.send('Target.attachToTarget', { targetId, flatten: true });
  await h.waitFor(() => evaluate(b, 'document.readyState === "complete"', sessionId), { what: `${name}: the page` });
  await h.waitFor(() => workerTarget(b), { what: `${name}: the worker` });
  return { name, b, db, udd, ext, sessionId, n: 0, samples: [] };
}

async function round(s) {
  // Everything before this round is stored and acknowledged.
  const before = await rowCount(s.db);
  await h.waitFor(async () => (await readProbe(s.b))?.acked !== undefined || before === 0, {
    timeout: 30000,
    what: `${s.name}: the previous round's ack`,
  });
  const w = await workerTarget(s.b);
  if (w) await s.b.send('Target.closeTarget', { targetId: w.targetId });
  await h.waitFor(async () => !(await workerTarget(s.b)), { what: `${s.name}: the worker to stop` });
  // Let the old collector process go and the machine settle.
  await new Promise((r) => setTimeout(r, 500));
  s.n += 1;
  const key = `access_token`;
  const value = `cold-${s.name}-${s.n}-${Math.random().toString(36).slice(2)}xxxxxxxxxxxxxxxx`;
  await evaluate(s.b, `localStorage.setItem(${JSON.stringify(key)}, ${JSON.stringify(value)}), true`, s.sessionId);
  await h.waitFor(async () => (await rowCount(s.db)) > before, { timeout: 30000, what: `${s.name}: the event in the collector` });
  const p = await h.waitFor(async () => {
    const r = await readProbe(s.b);
    return r && r.acked !== undefined && r;
  }, { timeout: 30000, what: `${s.name}: the probe's record` });
  s.samples.push(p);
}

const demo = await site();
const sides = [await side('with', h.DIST, h.HOST_BIN, demo.base)];
if (CONTROL) sides.push(await side('control', CONTROL, process.env.BENCH_CONTROL_BIN || h.HOST_BIN, demo.base));
try {
  // One unmeasured round each: the first start after install differs (it creates the secret).
  for (const s of sides) {
    await round(s);
    s.samples = [];
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) await round(s);
  }
} finally {
  for (const s of sides) {
    await s.b.close();
    // Chromium's helpers may still be writing the profile as it exits.
    for (const d of [s.udd, path.dirname(s.db), s.ext]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
  demo.close();
}

const round1 = (x) => Math.round(x * 10) / 10;
const out = { rounds: ROUNDS, unit: 'ms from the worker start, median', goal_handled_and_relayed_ms: 20 };
for (const s of sides) {
  const m = {};
  for (const p of PHASES) m[p] = round1(median(s.samples.map((x) => x[p])));
  m.relay_wait = round1(median(s.samples.map((x) => x.connect - x.handled)));
  m.events_in_first_batch = median(s.samples.map((x) => x.events));
  out[s.name] = { dist: s.name === 'with' ? h.DIST : CONTROL, ...m };
}
if (CONTROL) {
  out.control_minus_with = {};
  for (const p of PHASES) out.control_minus_with[p] = round1(out.control[p] - out.with[p]);
}
console.log(JSON.stringify(out, null, 1));
