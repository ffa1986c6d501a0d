// The popup's collector section in a real headless Chromium: the version,
// protocol and schema the collector names in its `hello` reply, and the
// notice when it is not the extension's release. The other release is the
// real collector behind a relay that changes only the version it names
// (no second release exists to install); the rules for every mismatch
// (protocol, schema, version) are unit-tested in `extension/src/ui/collector.rs`.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './extension/helpers.mjs';

const EXT = 'chrome-extension://pgblapmpbbjjadbhpohickicabgcppge';
const VERSION = JSON.parse(fs.readFileSync(path.join(h.DIST, 'manifest.json'), 'utf8')).version;

before(() => h.checkPrerequisites());

/**
 * A native host that runs the real collector and passes every frame through,
 * except that its `hello` reply names `host` as the collector's version.
 */
function renamedHost(host) {
  const file = path.join(h.tmpDir('renamed-host'), 'host.mjs');
  fs.writeFileSync(file, `#!${process.execPath}
import { spawn } from 'node:child_process';
const real = spawn(${JSON.stringify(h.HOST_BIN)}, process.argv.slice(2), { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(real.stdin);
let buf = Buffer.alloc(0);
real.stdout.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
    const n = buf.readUInt32LE(0);
    let body = buf.subarray(4, 4 + n);
    buf = buf.subarray(4 + n);
    const msg = JSON.parse(body.toString('utf8'));
    if (msg.type === 'hello') body = Buffer.from(JSON.stringify({ ...msg, host: ${JSON.stringify(host)} }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    process.stdout.write(Buffer.concat([len, body]));
  }
});
real.on('exit', (code) => process.exit(code ?? 0));
`);
  fs.chmodSync(file, 0o755);
  return file;
}

/** The popup's collector section once the relay has greeted the collector. */
async function collectorSection(b, demo) {
  const page = await b.ctx.newPage();
  // A page's events make the relay connect.
  await page.goto(`${demo.base}/signin`);
  await h.drained(b.sw);
  const popup = await b.ctx.newPage();
  const errors = [];
  popup.on('pageerror', (e) => errors.push(String(e)));
  await popup.goto(`${EXT}/popup.html`);
  await popup.waitForFunction(() => /protocol/.test(document.getElementById('status').textContent));
  const rows = await popup.$$eval('#status dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, {
    text: dt.nextElementSibling.textContent, cls: dt.nextElementSibling.className,
  }])));
  const notice = await popup.$eval('#collector-notice', (n) => (n.hidden ? null : n.textContent));
  assert.deepEqual(errors, []);
  return { rows, notice };
}

test('the popup names the collector it is connected to; the same release gets no notice', async () => {
  const demo = await h.startDemo(['--reports-every', '0']);
  const b = await h.launch();
  try {
    const { rows, notice } = await collectorSection(b, demo);
    assert.equal(rows.Collector.text, 'connected');
    assert.equal(rows.Version.text, `logout-lens ${VERSION} · protocol 1 · schema 1`);
    assert.equal(notice, null);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('a collector of another release: the popup says which, and that both should match', async () => {
  const demo = await h.startDemo(['--reports-every', '0']);
  const b = await h.launch({ host: false });
  try {
    execFileSync(h.HOST_BIN, ['install', '--exe', renamedHost('logout-lens/9.9.9'), '--browser', 'chromium', '--user-data-dir', b.udd], { env: h.installEnv() });
    const { rows, notice } = await collectorSection(b, demo);
    assert.equal(rows.Collector.text, 'connected', 'the same protocol: it still stores');
    assert.equal(rows.Version.text, 'logout-lens 9.9.9 · protocol 1 · schema 1');
    assert.equal(rows.Version.cls, 'level-warn');
    assert.equal(notice, `The collector is version 9.9.9 and this extension ${VERSION}. They work together (both speak protocol 1), but install the same release of both so that nothing the extension records is missed.`);
    assert.ok(h.dbEvents(b.db).length > 0, 'events were stored through it');
  } finally {
    await b.close();
    demo.stop();
  }
});
