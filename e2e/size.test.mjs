// The size ceiling of the shipped wasm: each module of dist/chromium and
// dist/firefox (the service worker's core and the pages' UI) is at most
// 400 KB after wasm-opt. A second `wasm-opt -Oz` must win almost nothing,
// which shows the build under test is the optimized one.
//
// Before: `cargo xtask dist` (scripts/test.sh runs `cargo xtask package`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './extension/helpers.mjs';

const CEILING = 400 * 1000;
const MODULES = ['logout_lens_extension', 'logout_lens_extension_ui'];
const WASM_OPT = path.join(ROOT, 'e2e/node_modules/.bin/wasm-opt');

for (const family of ['chromium', 'firefox']) {
  for (const name of MODULES) {
    test(`dist/${family} ${name}: at most 400 KB after wasm-opt`, () => {
      const file = path.join(ROOT, 'dist', family, 'wasm', `${name}_bg.wasm`);
      assert.ok(fs.existsSync(file), `${file} missing (run: cargo xtask dist)`);
      const bytes = fs.statSync(file).size;
      assert.ok(bytes <= CEILING, `${name} is ${bytes} bytes, over the ${CEILING}-byte ceiling`);
    });
  }
}

test('the modules under test are wasm-opt output (a second -Oz wins under 2%)', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'll-size-'));
  try {
    for (const name of MODULES) {
      const file = path.join(ROOT, 'dist/chromium/wasm', `${name}_bg.wasm`);
      const again = path.join(scratch, `${name}.wasm`);
      execFileSync(WASM_OPT, [file, '-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
        '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types',
        '--enable-multivalue', '-o', again]);
      const before = fs.statSync(file).size;
      const after = fs.statSync(again).size;
      assert.ok(before - after < before * 0.02,
        `${name}: ${before} → ${after} bytes by a second wasm-opt: dist was built without it`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
