// The release packages of `cargo xtask package` (dist/packages), opened as a
// user would: the store zip and the xpi unpacked and their manifests
// checked; the Linux collector unpacked into a fresh folder and run with no
// Rust anywhere on PATH, installed as the native host of a Chromium profile,
// the folder deleted, and then reached by the real extension in Chromium.
//
// Before: `cargo xtask package` (and what the extension tests need).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import * as h from './extension/helpers.mjs';

const PACKAGES = process.env.LOGOUT_LENS_PACKAGES || path.join(h.ROOT, 'dist/packages');
const VERSION = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'dist/chromium/manifest.json'), 'utf8')).version;
const DEV_ID = 'pgblapmpbbjjadbhpohickicabgcppge';
const FIREFOX_ID = 'logout-lens@logout-lens.dev';
const LINUX = `logout-lens-${VERSION}-collector-x86_64-unknown-linux-musl`;
const WINDOWS = `logout-lens-${VERSION}-collector-x86_64-pc-windows-gnu`;
const FILES = [
  `logout-lens-${VERSION}-chromium.zip`,
  `logout-lens-${VERSION}-firefox.xpi`,
  `${LINUX}.tar.gz`,
  `${WINDOWS}.zip`,
];
// A PATH with the system's programs and nothing of a Rust toolchain.
const BARE_PATH = '/usr/bin:/bin';

before(() => {
  const missing = FILES.filter((f) => !fs.existsSync(path.join(PACKAGES, f)));
  if (missing.length) throw new Error(`missing ${missing.join(', ')} in ${PACKAGES} (run: cargo xtask package)`);
});

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/** `<hex>  <name>` lines checked against `read(name)`; returns the names listed. */
function checkSums(text, read) {
  const names = [];
  for (const line of text.trim().split('\n')) {
    const m = line.match(/^([0-9a-f]{64}) {2}(.+)$/);
    assert.ok(m, `a SHA256SUMS line: ${line}`);
    assert.equal(sha256(read(m[2])), m[1], m[2]);
    names.push(m[2]);
  }
  return names;
}

/** Every file the manifest names is in the archive. */
function assertReferencedFilesPresent(m, zip) {
  const has = (f) => zip.getEntry(f) !== null;
  const files = [
    ...(m.background.scripts || [m.background.service_worker]),
    ...m.content_scripts.flatMap((c) => c.js),
    m.action.default_popup,
    m.options_ui.page,
    ...Object.values(m.icons),
  ];
  for (const f of files) assert.ok(has(f), `${f} is in the package`);
  for (const f of ['wasm/logout_lens_extension_bg.wasm', 'wasm/logout_lens_extension_ui_bg.wasm']) {
    assert.ok(has(f), f);
  }
}

test('SHA256SUMS lists every package with its hash', () => {
  const names = checkSums(fs.readFileSync(path.join(PACKAGES, 'SHA256SUMS'), 'utf8'), (n) => fs.readFileSync(path.join(PACKAGES, n)));
  assert.deepEqual([...names].sort(), [...FILES].sort());
});

test('the Chrome Web Store zip: the Chromium build, its manifest without key', () => {
  const zip = new AdmZip(path.join(PACKAGES, FILES[0]));
  const m = JSON.parse(zip.readAsText('manifest.json'));
  assert.equal(m.key, undefined, 'the store refuses a manifest with key');
  assert.equal(m.manifest_version, 3);
  assert.equal(m.version, VERSION);
  assert.equal(m.background.service_worker, 'background.js');
  assert.ok(m.permissions.includes('nativeMessaging'));
  assert.equal(m.browser_specific_settings, undefined);
  assertReferencedFilesPresent(m, zip);
  // The rest is dist/chromium byte for byte, whose manifest keeps the dev id's key.
  const unpacked = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'dist/chromium/manifest.json'), 'utf8'));
  assert.ok(unpacked.key, 'the unpacked dev build keeps its key');
  delete unpacked.key;
  assert.deepEqual(m, unpacked);
  const files = h.filesUnder(path.join(h.ROOT, 'dist/chromium'));
  const names = zip.getEntries().filter((e) => !e.isDirectory).map((e) => e.entryName).sort();
  assert.deepEqual(names, files.map(([p]) => path.relative(path.join(h.ROOT, 'dist/chromium'), p)).sort());
  for (const [p, bytes] of files) {
    const rel = path.relative(path.join(h.ROOT, 'dist/chromium'), p);
    if (rel !== 'manifest.json') assert.ok(zip.readFile(rel).equals(bytes), rel);
  }
});

test('the Firefox xpi: unsigned, the gecko id, background scripts', () => {
  const zip = new AdmZip(path.join(PACKAGES, FILES[1]));
  const m = JSON.parse(zip.readAsText('manifest.json'));
  assert.equal(m.browser_specific_settings.gecko.id, FIREFOX_ID);
  assert.equal(m.version, VERSION);
  assert.deepEqual(m.background.scripts, ['background.js']);
  assert.equal(m.key, undefined);
  assert.ok(m.permissions.includes('nativeMessaging'));
  assertReferencedFilesPresent(m, zip);
  assert.deepEqual(zip.getEntries().filter((e) => e.entryName.startsWith('META-INF/')).map((e) => e.entryName), [], 'no signature');
});

test('the Windows collector zip: the program, the support README and their sums', () => {
  const zip = new AdmZip(path.join(PACKAGES, FILES[3]));
  const names = zip.getEntries().map((e) => e.entryName).sort();
  assert.deepEqual(names, [`${WINDOWS}/README.md`, `${WINDOWS}/SHA256SUMS`, `${WINDOWS}/logout-lens.exe`]);
  const exe = zip.readFile(`${WINDOWS}/logout-lens.exe`);
  assert.equal(exe.subarray(0, 2).toString('latin1'), 'MZ', 'a Windows program');
  const listed = checkSums(zip.readAsText(`${WINDOWS}/SHA256SUMS`), (n) => zip.readFile(`${WINDOWS}/${n}`));
  assert.deepEqual(listed.sort(), ['README.md', 'logout-lens.exe']);
  assert.match(zip.readAsText(`${WINDOWS}/README.md`), /## For support engineers/);
});

test('the Linux collector runs from a fresh folder with no Rust on PATH, installs itself, and the extension reaches it after the folder is gone', async () => {
  const work = h.tmpDir('package');
  const unpacked = path.join(work, 'download');
  const home = path.join(work, 'home');
  const udd = path.join(work, 'profile');
  fs.mkdirSync(unpacked);
  fs.mkdirSync(home);
  execFileSync('tar', ['-xzf', path.join(PACKAGES, FILES[2]), '-C', unpacked]);
  const dir = path.join(unpacked, LINUX);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['README.md', 'SHA256SUMS', 'logout-lens']);
  const listed = checkSums(fs.readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8'), (n) => fs.readFileSync(path.join(dir, n)));
  assert.deepEqual(listed.sort(), ['README.md', 'logout-lens']);
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  assert.match(readme, /## For support engineers/);
  assert.match(readme, /logout-lens install/);
  assert.doesNotMatch(readme, /\n## Benchmarks/, 'only the support section');

  const bin = path.join(dir, 'logout-lens');
  assert.match(execFileSync('ldd', [bin], { encoding: 'utf8' }).trim(), /statically linked|not a dynamic executable/);
  const bare = { PATH: BARE_PATH, HOME: home };
  const run = (exe, args) => execFileSync(exe, args, { env: bare, encoding: 'utf8' });
  assert.equal(execFileSync('sh', ['-c', 'command -v cargo rustc rustup || true'], { env: bare, encoding: 'utf8' }).trim(), '', 'no Rust on PATH');
  assert.equal(run(bin, ['--version']).trim(), `logout-lens ${VERSION}`);

  const said = run(bin, ['install', '--browser', 'chromium', '--user-data-dir', udd]);
  const manifestFile = path.join(udd, 'NativeMessagingHosts/dev.logout_lens.collector.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const installed = path.join(home, '.local/share/logout-lens/bin/logout-lens');
  assert.equal(manifest.path, installed, said);
  assert.ok(manifest.allowed_origins.includes(`chrome-extension://${DEV_ID}/`));
  fs.rmSync(unpacked, { recursive: true });

  const doctor = JSON.parse(run(installed, ['doctor', '--browser', 'chromium', '--user-data-dir', udd, '--json']));
  assert.equal(doctor.ok, true, JSON.stringify(doctor));
  assert.equal(doctor.browsers[0].host_is_this_build, true);

  // The real extension in Chromium starts the installed copy as its host.
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  const b = await h.launch({ host: false, udd });
  try {
    await h.signInAndLogOut(b, demo.base);
    const logouts = await h.waitFor(() => {
      const r = h.dbEvents(b.db, "kind = 'logout_observed'");
      return r.length && r;
    }, { timeout: 30000, what: 'the logout in the collector DB' });
    assert.equal(logouts.length, 1);
    assert.equal(logouts[0].event.cause, 'user_logout');
    const done = await h.drained(b.sw, 30000);
    assert.equal(done.dropped, 0, JSON.stringify(done));
  } finally {
    await b.close();
    demo.stop();
  }

  const gone = run(installed, ['uninstall', '--browser', 'chromium', '--user-data-dir', udd]);
  assert.ok(!fs.existsSync(manifestFile), gone);
  assert.ok(!fs.existsSync(installed), gone);
  assert.ok(!fs.existsSync(path.join(home, '.local/share/logout-lens')), gone);
});
