// Reports the shipped wasm size (after wasm-bindgen and wasm-opt -Oz), raw and
// gzipped. Goal: at most 150 KB.   node bench/wasm-size.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from '../extension/helpers.mjs';

const file = path.join(DIST, 'wasm/logout_lens_extension_bg.wasm');
const bytes = fs.readFileSync(file);
console.log(JSON.stringify({ file: path.relative(process.cwd(), file), bytes: bytes.length, kib: +(bytes.length / 1024).toFixed(1), gzip_bytes: zlib.gzipSync(bytes, { level: 9 }).length, goal_kib: 150 }));
