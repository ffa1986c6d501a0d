// Page-load benchmark: the same local page in headless Chromium with and
// without the extension, runs alternating between the two browsers, medians
// reported. Goal: at most 3% overhead.
//
//   node bench/pageload.mjs [runs=40]
//
// The page is the demo app's dashboard while signed in (tokens in
// localStorage, API polling, cookies), served on 127.0.0.1; the extension
// build is dist/chromium with the real collector registered
// (LOGOUT_LENS_BIN=target/release/logout-lens for a release host).
import * as h from '../extension/helpers.mjs';

const RUNS = Number(process.argv[2] || 40);
const WARMUP = 5;
const PAUSE_MS = 700;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function prepare(b, base) {
  const page = await b.ctx.newPage();
  await h.signIn(page, base);
  await page.close();
}

/** One load of `url` in a fresh tab: navigation start to the end of the load event, in ms. */
async function load(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url, { waitUntil: 'load' });
  const ms = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return n.loadEventEnd - n.startTime;
  });
  await page.close();
  return ms;
}

h.checkPrerequisites();
const demo = await h.startDemo(['--poll', '10s', '--reports-every', '0']);
// BENCH_AA=1: both sides without the extension, to see the noise floor.
const withExt = await h.launch({ host: !process.env.BENCH_NO_HOST && !process.env.BENCH_AA, extension: !process.env.BENCH_AA });
const without = await h.launch({ host: false, extension: false });
try {
  await prepare(withExt, demo.base);
  await prepare(without, demo.base);
  const url = `${demo.base}/dashboard`;
  const times = { with: [], without: [] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Alternate which goes first so neither side always runs on a warmer machine.
    const order = i % 2 ? ['with', 'without'] : ['without', 'with'];
    for (const side of order) {
      const ms = await load(side === 'with' ? withExt.ctx : without.ctx, url);
      if (i >= WARMUP) times[side].push(ms);
      // A user reads a page before the next one: let background work settle
      // (the same pause for both sides).
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  }
  const mWith = median(times.with);
  const mWithout = median(times.without);
  const overhead = ((mWith - mWithout) / mWithout) * 100;
  // Paired: each run's two loads happen back to back, so their difference
  // is less exposed to the machine's load drifting over the run.
  const paired = median(times.with.map((w, i) => w - times.without[i]));
  console.log(
    JSON.stringify({
      runs: RUNS,
      url: '/dashboard (demo, signed in)',
      median_ms_without: +mWithout.toFixed(2),
      median_ms_with: +mWith.toFixed(2),
      overhead_pct: +overhead.toFixed(2),
      paired_median_diff_ms: +paired.toFixed(2),
      paired_overhead_pct: +((paired / mWithout) * 100).toFixed(2),
      goal_pct: 3,
    }),
  );
} finally {
  await withExt.close();
  await without.close();
  demo.stop();
}
