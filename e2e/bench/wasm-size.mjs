// Reports the shipped wasm sizes (after wasm-bindgen and wasm-opt -Oz), raw and
// gzipped: the service worker's core (goal: at most 150 KB) and the pages' UI.
//   node bench/wasm-size.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from '../extension/helpers.mjs';

const size = (name) => {
  const file = path.join(DIST, `wasm/${name}_bg.wasm`);
  const bytes = fs.readFileSync(file);
  return { file: path.relative(process.cwd(), file), bytes: bytes.length, kib: +(bytes.length / 1024).toFixed(1), gzip_bytes: zlib.gzipSync(bytes, { level: 9 }).length };
};
const core = size('logout_lens_extension');
const ui = size('logout_lens_extension_ui');
console.log(JSON.stringify({ core: { ...core, goal_bytes: 150 * 1024 }, ui, sum_bytes: core.bytes + ui.bytes }));
