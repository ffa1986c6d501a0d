// Page-load benchmark without a test driver attached to the measured pages.
//
//   node bench/pageload-raw.mjs [runs=40]      BENCH_MODE=new_tab|same_tab|both (default both)
//   BENCH_CONTROL_DIST=DIR: the `control` side loads that build of the
//   extension instead of none, so two builds are compared in one run.
//   BENCH_CONTROL_BIN=FILE: the `control` side's native host is that binary
//   (and its extension, unless BENCH_CONTROL_DIST says otherwise, the same
//   build as `with`'s), so two collectors are compared in one run; `with`'s
//   host is LOGOUT_LENS_BIN's (by default target/debug/logout-lens).
//   With BENCH_SESSIONS > 1 each comparison also gets its per-session
//   figures and their mean with a 95 % confidence interval.
//
// bench/pageload.mjs measures through Playwright, which auto-attaches to every
// new page and enables CDP's Runtime domain there, so every extra JavaScript
// world (each content script's isolated world, Playwright's own utility
// world) is reported over the protocol and set up by the driver before the
// page may go on. Real users have no driver attached. This variant signs in
// three profiles with Playwright (`with` the extension, `without`, and a
// second `control` without it: the A/A noise floor of the same run), closes
// it, then relaunches them as plain Chromium with `--remote-debugging-port=0`
// and only talks to the *browser* target. `new_tab` opens each load with
// `Target.createTarget`; `same_tab` navigates one long-lived tab per side.
// Navigation Timing is read once the page has loaded.
import * as h from '../extension/helpers.mjs';
import { raw, loadNewTab, loadSameTab, median, signedInProfiles } from './raw-browser.mjs';

const RUNS = Number(process.argv[2] || 40);
const WARMUP = 5;
const PAUSE_MS = 700;
const AA = !!process.env.BENCH_AA;
const MODE = process.env.BENCH_MODE || 'both'; // new_tab | same_tab | both
const SESSIONS = Number(process.env.BENCH_SESSIONS || 4);
const CONTROL_BIN = process.env.BENCH_CONTROL_BIN || undefined;
const CONTROL_DIST = process.env.BENCH_CONTROL_DIST || (CONTROL_BIN ? h.DIST : null);

// The six orders of the three sides, chained so each round starts with the
// side the last one ended with: over a cycle every side comes first, second
// and third twice, and follows each side (itself included) twice. A plain
// rotation keeps who follows whom, and a load right after an extension
// side's (its worker and collector still busy on 2 cores) is slower.
const CYCLE = [[0, 1, 2], [2, 1, 0], [0, 2, 1], [1, 0, 2], [2, 0, 1], [1, 2, 0]];

// Two-sided 95 % quantiles of Student's t, by degrees of freedom (1..30).
const T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04];

// One overhead figure per session (its paired median against `a`), then
// their mean with a 95 % confidence interval. A browser instance is faster
// or slower than another for its whole life, so the sessions, not the
// loads, are the independent samples: the interval is what says whether a
// run shows the goal met, missed, or cannot tell.
function perSession(times, sessionOf, a, b) {
  const n = Math.max(...sessionOf) + 1;
  const pcts = [];
  for (let s = 0; s < n; s++) {
    const idx = sessionOf.flatMap((k, i) => (k === s ? [i] : []));
    const base = median(idx.map((i) => times[a][i]));
    pcts.push((median(idx.map((i) => times[b][i] - times[a][i])) / base) * 100);
  }
  const mean = pcts.reduce((x, y) => x + y, 0) / n;
  const sd = n > 1 ? Math.sqrt(pcts.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1)) : NaN;
  const half = (T95[Math.min(n - 1, T95.length) - 1] ?? 1.96) * (sd / Math.sqrt(n));
  return {
    session_pcts: pcts.map((x) => +x.toFixed(1)),
    mean_of_sessions_pct: +mean.toFixed(2),
    ci95_pct: [+(mean - half).toFixed(2), +(mean + half).toFixed(2)],
  };
}

function summary(times, sessionOf, a, b) {
  const ma = median(times[a]);
  const paired = median(times[b].map((w, i) => w - times[a][i]));
  return {
    [`median_ms_${b}`]: +median(times[b]).toFixed(2),
    paired_median_diff_ms: +paired.toFixed(2),
    paired_overhead_pct: +((paired / ma) * 100).toFixed(2),
    overhead_of_medians_pct: +(((median(times[b]) - ma) / ma) * 100).toFixed(2),
    ...(SESSIONS > 1 && perSession(times, sessionOf, a, b)),
  };
}

h.checkPrerequisites();
const demo = await h.startDemo(['--poll', '10s', '--reports-every', '0']);
// Three profiles in one run: `with` the extension, `without`, and `control`
// (also without): control vs without is the A/A noise floor of this very run.
// Each side's extension build, or null.
const SIDES = [['with', AA ? null : h.DIST], ['without', null], ['control', CONTROL_DIST, CONTROL_BIN]];
const sides = {};
try {
  const profiles = await signedInProfiles(SIDES, demo.base);
  const url = `${demo.base}/dashboard`;
  const names = SIDES.map(([n]) => n);
  for (const [mode, load] of [['new_tab', loadNewTab], ['same_tab', loadSameTab]]) {
    if (MODE !== 'both' && MODE !== mode) continue;
    const times = Object.fromEntries(names.map((n) => [n, []]));
    const sessionOf = [];
    let round = 0;
    // Each session relaunches the three browsers: one instance can be a few per cent
    // faster or slower than another for its whole life, and only relaunching averages that out.
    for (let s = 0; s < SESSIONS; s++) {
      for (const n of names) sides[n] = await raw(profiles[n].udd, profiles[n].ext, profiles[n].db);
      const per = Math.ceil(RUNS / SESSIONS);
      for (let i = 0; i < WARMUP + per; i++) {
        const order = CYCLE[round++ % CYCLE.length].map((k) => names[k]);
        for (const side of order) {
          const ms = await load(sides[side], url);
          if (i >= WARMUP) times[side].push(ms);
          await new Promise((r) => setTimeout(r, PAUSE_MS));
        }
        if (i >= WARMUP) sessionOf.push(s);
      }
      for (const n of names) await sides[n].close();
      for (const n of names) delete sides[n];
    }
    console.log(
      JSON.stringify({
        mode,
        driver: 'raw CDP, pages unattached while loading',
        aa: AA,
        sessions: SESSIONS,
        runs: times.without.length,
        median_ms_without: +median(times.without).toFixed(2),
        with: summary(times, sessionOf, 'without', 'with'),
        [CONTROL_DIST ? 'control_dist' : 'control_aa']: summary(times, sessionOf, 'without', 'control'),
        ...(CONTROL_DIST && { control_dist_path: CONTROL_DIST }),
        ...(!AA && { host_bin: h.HOST_BIN }),
        ...(CONTROL_BIN && { control_host_bin: CONTROL_BIN }),
        // Two builds in one run: the direct comparison, `with` over `control`.
        ...(CONTROL_DIST && SESSIONS > 1 && { with_over_control: perSession(times, sessionOf, 'control', 'with') }),
        goal_pct: 3,
      }),
    );
  }
} finally {
  for (const s of Object.values(sides)) await s.close();
  demo.stop();
}
