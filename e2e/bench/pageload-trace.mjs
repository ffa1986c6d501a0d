// Where the extension's own JavaScript spends a page's time: a Chromium
// trace of N loads of the demo's dashboard with the extension, summed per
// script of ours (the content scripts in the page, the worker's glue).
//
//   node bench/pageload-trace.mjs [loads=10]   BENCH_MODE=new_tab|same_tab (default new_tab)
//   BENCH_TRACE_OUT=trace.json also keeps the whole trace (Perfetto, chrome://tracing).
//   The trace is Chromium's own record and names the pages' URLs: it is
//   for the demo app's throwaway sign-in, never a real account's session.
//
// `EvaluateScript` of a content script runs at document start, on the
// page's path to `load`; `FunctionCall` is its listeners and timers (the
// forwarder's start runs after `load`, when the renderer is idle). Per load:
// the median of the per-load sums, and the largest.
import fs from 'node:fs';
import * as h from '../extension/helpers.mjs';
import { raw, loadNewTab, loadSameTab, median, signedInProfiles } from './raw-browser.mjs';

const LOADS = Number(process.argv[2] || 10);
const WARMUP = 3;
const MODE = process.env.BENCH_MODE || 'new_tab';
const load = MODE === 'same_tab' ? loadSameTab : loadNewTab;
const CATEGORIES = ['devtools.timeline', 'v8', 'v8.execute', 'disabled-by-default-devtools.timeline', 'loading'];

h.checkPrerequisites();
const demo = await h.startDemo(['--poll', '10s', '--reports-every', '0']);
let b;
try {
  const { with: p } = await signedInProfiles([['with', h.DIST]], demo.base);
  const events = [];
  b = await raw(p.udd, p.ext, p.db, { onEvent: (m) => events.push(m) });
  const url = `${demo.base}/dashboard`;
  const pause = () => new Promise((r) => setTimeout(r, 700));
  for (let i = 0; i < WARMUP; i++) await load(b, url), await pause();
  await b.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES }, transferMode: 'ReturnAsStream' });
  const loads = [];
  for (let i = 0; i < LOADS; i++) {
    const start = Date.now();
    loads.push({ ms: await load(b, url), start });
    await pause();
  }
  await b.send('Tracing.end');
  const done = await h.waitFor(() => events.find((e) => e.method === 'Tracing.tracingComplete'), { what: 'the trace' });
  let text = '';
  for (;;) {
    const r = await b.send('IO.read', { handle: done.params.stream, size: 1 << 20 });
    text += r.base64Encoded ? Buffer.from(r.data, 'base64').toString() : r.data;
    if (r.eof) break;
  }
  if (process.env.BENCH_TRACE_OUT) fs.writeFileSync(process.env.BENCH_TRACE_OUT, text);
  const parsed = JSON.parse(text);
  const trace = (Array.isArray(parsed) ? parsed : parsed.traceEvents).filter((e) => e.ph === 'X' && e.dur !== undefined);

  // Ours: any event naming a script of this extension.
  const script = (e) => {
    const a = e.args || {};
    const d = a.data && typeof a.data === 'object' ? a.data : {};
    const u = String(d.url || a.fileName || d.scriptName || '');
    return u.startsWith('chrome-extension://') ? u.replace(/^chrome-extension:\/\/[a-p]{32}\//, '') : null;
  };
  // Loads are LOADS in a row, each followed by a pause: split the trace by time.
  const t0 = Math.min(...trace.map((e) => e.ts));
  const wall0 = loads[0].start;
  const loadOf = (e) => {
    const wall = wall0 + (e.ts - t0) / 1000;
    let k = 0;
    while (k + 1 < loads.length && loads[k + 1].start <= wall) k++;
    return k;
  };
  const sums = new Map(); // "name script" -> per-load sums (ms)
  for (const e of trace) {
    const s = script(e);
    if (!s || !['EvaluateScript', 'FunctionCall', 'v8.compile', 'v8.run'].includes(e.name)) continue;
    const key = `${e.name} ${s}`;
    if (!sums.has(key)) sums.set(key, new Array(LOADS).fill(0));
    sums.get(key)[loadOf(e)] += e.dur / 1000;
  }
  const rows = [...sums].map(([key, per]) => ({
    what: key,
    median_ms_per_load: +median(per).toFixed(2),
    max_ms: +Math.max(...per).toFixed(2),
  }));
  rows.sort((x, y) => y.median_ms_per_load - x.median_ms_per_load);
  console.log(JSON.stringify({ mode: MODE, loads: LOADS, median_load_ms: +median(loads.map((l) => l.ms)).toFixed(1), ours: rows }, null, 1));
} finally {
  if (b) await b.close();
  demo.stop();
}
