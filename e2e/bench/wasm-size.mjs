// Reports the shipped wasm sizes (after wasm-bindgen and wasm-opt -Oz), raw and
// gzipped: the service worker's core and the pages' UI (ceiling: 400 KB each, e2e/size.test.mjs),
// and what compiling each costs: the median of BENCH_COMPILES (41) runs of
// `new WebAssembly.Module(bytes)` in this Node's V8 (the browser's engine; the
// worker pays it at every wake). With BENCH_CONTROL_DIST=DIR another build's
// modules are measured in the same run, interleaved, as `control`.
//   node bench/wasm-size.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from '../extension/helpers.mjs';

const RUNS = Number(process.env.BENCH_COMPILES || 41);
const CONTROL = process.env.BENCH_CONTROL_DIST;
const NAMES = { core: 'logout_lens_extension', ui: 'logout_lens_extension_ui' };

const read = (dist, name) => fs.readFileSync(path.join(dist, `wasm/${name}_bg.wasm`));

// V8 reuses a module compiled from the same bytes; a custom section with a
// fresh name makes each run's bytes new without changing the code.
let serial = 0;
const fresh = (bytes) => {
  const name = Buffer.from(`bench-${serial++}`);
  const payload = Buffer.concat([Buffer.from([name.length]), name]);
  return Buffer.concat([bytes, Buffer.from([0, payload.length]), payload]);
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.floor(s.length / 2)].toFixed(2);
};

const builds = { with: DIST, ...(CONTROL ? { control: CONTROL } : {}) };
const times = {};
const modules = {};
for (const [b, dist] of Object.entries(builds)) {
  for (const [m, name] of Object.entries(NAMES)) {
    modules[`${b}.${m}`] = read(dist, name);
    times[`${b}.${m}`] = [];
  }
}
for (let i = 0; i < RUNS; i++) {
  for (const [k, bytes] of Object.entries(modules)) {
    const b = fresh(bytes);
    const t0 = performance.now();
    new WebAssembly.Module(b);
    times[k].push(performance.now() - t0);
  }
}

const report = (b, m) => {
  const bytes = modules[`${b}.${m}`];
  return {
    bytes: bytes.length,
    kib: +(bytes.length / 1024).toFixed(1),
    gzip_bytes: zlib.gzipSync(bytes, { level: 9 }).length,
    compile_ms_median: median(times[`${b}.${m}`]),
  };
};
const out = {};
for (const b of Object.keys(builds)) {
  const core = report(b, 'core');
  const ui = report(b, 'ui');
  out[b] = { dist: path.relative(process.cwd(), builds[b]) || '.', core, ui, sum_bytes: core.bytes + ui.bytes };
}
console.log(JSON.stringify({ ceiling_bytes: 400 * 1000, compiles: RUNS, node: process.version, ...out }, null, 1));
