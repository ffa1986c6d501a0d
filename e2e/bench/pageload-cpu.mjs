// Where a page load's CPU goes, with and without the extension.
//
//   node bench/pageload-cpu.mjs [loads=60]     BENCH_SESSIONS=N (default 4)
//   BENCH_CONTROL_DIST=DIR: a third side loads that build of the extension.
//
// The page-load bench (pageload-raw.mjs) says how much later `load` comes;
// this one says which process spent the extra time. Each side (`with` the
// extension, `without`, and optionally `control` = another build) is a plain
// Chromium as in that bench. A session launches the sides, loads the demo's
// dashboard a few times to warm up, then reads every process of each
// browser's tree from /proc (utime + stime), loads the page `loads /
// sessions` times per side in the same tab (sides interleaved, 700 ms apart
// as in the page-load bench, so the worker's work after a load is counted),
// and reads them again. Processes are grouped by role: the browser, the
// page's renderer, the extension's process (its service worker), GPU,
// network/storage utilities, the native host (the collector) and the rest.
// Printed: CPU ms per load for each role and side, medians over sessions.
import fs from 'node:fs';
import * as h from '../extension/helpers.mjs';
import { raw, loadSameTab, median, signedInProfiles } from './raw-browser.mjs';

const LOADS = Number(process.argv[2] || 60);
const SESSIONS = Number(process.env.BENCH_SESSIONS || 4);
const CONTROL_DIST = process.env.BENCH_CONTROL_DIST || null;
const WARMUP = 5;
const PAUSE_MS = 700;
const TICK_MS = 1000 / 100; // USER_HZ: /proc's CPU times are in 1/100 s on Linux

/** pid → { ppid, cpuMs } for every process now. */
function processes() {
  const out = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), { ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS });
    } catch (_) {
      // The process ended meanwhile.
    }
  }
  return out;
}

function role(pid) {
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch (_) {
    return 'other';
  }
  if (/logout-lens/.test(cmd.split(' ')[0])) return 'native host';
  if (!/--type=/.test(cmd)) return 'browser';
  if (/--type=renderer/.test(cmd)) return /--extension-process/.test(cmd) ? 'extension' : 'page renderer';
  if (/--type=gpu-process/.test(cmd)) return 'gpu';
  if (/--type=utility/.test(cmd)) return 'utility';
  return 'other';
}

/** CPU ms by role, summed over `root` and its descendants; `roles` caches each pid's role. */
function cpuByRole(root, roles) {
  const all = processes();
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of all) {
      if (!tree.has(pid) && tree.has(p.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const out = {};
  for (const pid of tree) {
    if (!roles.has(pid)) roles.set(pid, role(pid));
    const r = roles.get(pid);
    out[r] = (out[r] || 0) + all.get(pid).cpuMs;
  }
  return out;
}

h.checkPrerequisites();
const demo = await h.startDemo(['--poll', '10s', '--reports-every', '0']);
const SIDES = [['with', h.DIST], ['without', null], ...(CONTROL_DIST ? [['control', CONTROL_DIST]] : [])];
const names = SIDES.map(([n]) => n);
// side → role → [ms per load, one per session]
const perLoad = Object.fromEntries(names.map((n) => [n, {}]));
const loadMs = Object.fromEntries(names.map((n) => [n, []]));
const open = {};
try {
  const profiles = await signedInProfiles(SIDES, demo.base);
  const url = `${demo.base}/dashboard`;
  const per = Math.ceil(LOADS / SESSIONS);
  for (let s = 0; s < SESSIONS; s++) {
    for (const n of names) open[n] = await raw(profiles[n].udd, profiles[n].ext, profiles[n].db);
    const roles = Object.fromEntries(names.map((n) => [n, new Map()]));
    const step = async (i) => {
      // Interleaved, and each session starts with another side.
      for (let k = 0; k < names.length; k++) {
        const n = names[(((k + s + i) % names.length) + names.length) % names.length];
        const ms = await loadSameTab(open[n], url);
        if (i >= 0) loadMs[n].push(ms);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    };
    for (let i = -WARMUP; i < 0; i++) await step(i);
    const before = Object.fromEntries(names.map((n) => [n, cpuByRole(open[n].pid, roles[n])]));
    for (let i = 0; i < per; i++) await step(i);
    // The last load's after-work (the worker's batch, 250 ms later) is in the pause.
    for (const n of names) {
      const after = cpuByRole(open[n].pid, roles[n]);
      for (const r of new Set([...Object.keys(after), ...Object.keys(before[n])])) {
        (perLoad[n][r] ||= []).push(((after[r] || 0) - (before[n][r] || 0)) / per);
      }
    }
    for (const n of names) await open[n].close();
    for (const n of names) delete open[n];
  }
  const table = {};
  for (const n of names) {
    table[n] = Object.fromEntries(Object.entries(perLoad[n]).map(([r, xs]) => [r, +median(xs).toFixed(2)]));
    table[n].total = +Object.values(table[n]).reduce((a, b) => a + b, 0).toFixed(2);
  }
  console.log(
    JSON.stringify({
      mode: 'same_tab',
      sessions: SESSIONS,
      loads_per_side: loadMs.without.length,
      cpu_ms_per_load: table,
      median_load_ms: Object.fromEntries(names.map((n) => [n, +median(loadMs[n]).toFixed(2)])),
      ...(CONTROL_DIST && { control_dist_path: CONTROL_DIST }),
    }),
  );
} finally {
  for (const b of Object.values(open)) await b.close();
  demo.stop();
}
