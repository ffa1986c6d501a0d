// End-to-end tests of the extension's UI in a real headless Chromium against
// the demo app: the popup (opened as its chrome-extension:// page with
// ?tab=<id>), the badge, the in-page overlay and sign-in banner, the options
// page, and "Export trace" read back by the collector's CLI. Screenshots at
// device scale 1 and 2 go to e2e/artifacts/ (git-ignored).
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './extension/helpers.mjs';
import * as v from './extension/views.mjs';

const { EXT, tabId, openPopup, newestLogout } = v;
const ARTIFACTS = path.join(h.ROOT, 'e2e/artifacts');

before(() => {
  h.checkPrerequisites();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

/**
 * Screenshots of `page` at device scale 1 and 2 (CDP's own capture, so the
 * scale really changes): the whole page, or the box `selector()` resolves
 * with (`{ x, y, width, height }`), with a margin.
 */
async function shoot(b, page, name, { selector, width, height } = {}) {
  const cdp = await b.ctx.newCDPSession(page);
  const size = page.viewportSize() || { width: 1280, height: 720 };
  for (const scale of [1, 2]) {
    await cdp.send('Emulation.setDeviceMetricsOverride', {
      width: width || size.width, height: height || size.height, deviceScaleFactor: scale, mobile: false,
    });
    await page.waitForTimeout(200);
    let clip;
    if (selector) {
      const r = await selector();
      const m = 12;
      clip = { x: Math.max(0, r.x - m), y: Math.max(0, r.y - m), width: r.width + 2 * m, height: r.height + 2 * m, scale: 1 };
    } else {
      const full = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
      clip = { x: 0, y: 0, width: full.w, height: full.h, scale: 1 };
    }
    const shot = await cdp.send('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true });
    fs.writeFileSync(path.join(ARTIFACTS, `${name}@${scale}x.png`), Buffer.from(shot.data, 'base64'));
  }
  await cdp.send('Emulation.clearDeviceMetricsOverride');
  await cdp.detach();
}

function badge(b, tab) {
  return b.sw.evaluate(async (tabId) => ({
    text: await chrome.action.getBadgeText({ tabId }),
    color: await chrome.action.getBadgeBackgroundColor({ tabId }),
  }), tab);
}

test('popup: countdowns, badge, the logout the demo caused, its diagnosis; banner on the sign-in page', async () => {
  // Access tokens live 4 minutes (a warning), the app logs out on the 403
  // its reports panel gets on the 6th poll.
  const demo = await h.startDemo(['--access-ttl', '4m', '--logout-on-403', '--reports-every', '6', '--poll', '1s']);
  const b = await h.launch();
  try {
    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    const tab = await tabId(b, page);
    const { popup, errors } = await openPopup(b, tab);

    // Signed in: both tokens with live countdowns, the access token a warning.
    await popup.waitForFunction(() => document.querySelectorAll('#tokens tbody tr').length >= 2, null, { timeout: 10000 });
    const rows = await popup.$$eval('#tokens tbody tr', (trs) => trs.map((tr) => ({
      cells: [...tr.children].map((td) => td.textContent), cls: tr.children[2].className,
    })));
    const access = rows.find((r) => r.cells[0] === 'access');
    const refresh = rows.find((r) => r.cells[0] === 'refresh');
    assert.ok(access && refresh, JSON.stringify(rows));
    assert.match(access.cells[1], /localStorage · access_token/);
    assert.match(access.cells[2], /^in (3|4) min$/);
    assert.equal(access.cls, 'level-warn');
    // The demo's refresh tokens are opaque: their lifetime is the server's secret.
    assert.equal(refresh.cells[2], 'no expiry known');
    assert.equal(refresh.cls, 'level-none');
    assert.match(await popup.textContent('#site-status'), /Signed in/);
    assert.match(await popup.textContent('#status'), /connected/);
    // The badge belongs to the site's tab; bring it to the front (tabs.onActivated).
    await page.bringToFront();
    const b1 = await h.waitFor(async () => {
      const x = await badge(b, tab);
      return /^[34]m$/.test(x.text) && x;
    }, { what: 'the badge countdown' });
    assert.deepEqual(b1.color, [180, 83, 9, 255], 'warning colour under 5 minutes');
    await popup.bringToFront();
    await shoot(b, popup, 'popup-signed-in', { width: 400, height: 600 });

    // The demo's own script logs out on the 403 and lands on /signin.
    await page.waitForURL(/\/signin/, { timeout: 30000 });
    const item = await newestLogout(popup);
    assert.match(item, /A 403 was treated as a logout/);
    assert.match(item, /AUTH_ERROR · forbidden_treated_as_logout · idle \d+ s · (just now|\d+ s ago)/);
    // Keyboard: Diagnose is a real button (the list re-renders each second and keeps the focus).
    await popup.focus('#logouts li button');
    await popup.waitForTimeout(1200);
    assert.equal(await popup.evaluate(() => document.activeElement.textContent), 'Diagnose');
    await popup.keyboard.press('Enter');
    await popup.waitForSelector('#causes li');
    assert.match(await popup.textContent('#headline'), /403/i);
    const first = await popup.textContent('#causes > li');
    assert.match(first, /A 403 was treated as a logout/);
    assert.match(first, /\d+%/);
    const evidence = await popup.$$eval('#causes > li:first-child ul li', (lis) => lis.map((l) => l.textContent));
    assert.ok(evidence.some((l) => / → 403/.test(l)), JSON.stringify(evidence));
    await shoot(b, popup, 'popup-diagnosis', { width: 400, height: 600 });

    // The sign-in page shows the banner with the reason and the ⚠️ icon, in
    // a closed shadow root: the page's scripts cannot read it.
    const banner = await v.waitForPageUi(b.ctx, page, { kind: 'banner' });
    assert.equal(banner.mode, 'closed');
    assert.match(banner.text, /⚠️/);
    assert.match(banner.title, /403 was treated as a logout/);
    assert.deepEqual(await page.evaluate(() => {
      const host = document.querySelector('logout-lens-ui');
      return [host.shadowRoot, host.textContent, host.innerHTML];
    }), [null, '', '']);
    // Keyboard: the details open from their summary.
    await v.focusInPageUi(b.ctx, page, 'summary');
    await page.keyboard.press('Enter');
    const opened = await h.waitFor(async () => {
      const ui = await v.pageUi(b.ctx, page);
      return ui.open && ui;
    }, { what: 'the banner details to open' });
    const details = opened.details.map(([k, val]) => `${k}${val}`).join('');
    assert.match(details, /TypeAUTH_ERROR/);
    assert.match(details, /forbidden_treated_as_logout/);
    assert.match(details, /Location\/(signin|dashboard)/);
    await shoot(b, page, 'banner', { selector: () => v.pageUiBox(b.ctx, page), width: 900, height: 600 });
    await shoot(b, page, 'banner-page', { width: 900, height: 600 });
    // The page's own styles cannot reach inside (the demo styles every div).
    const hostStyle = await page.locator('logout-lens-ui').evaluate((e) => getComputedStyle(e).position);
    assert.equal(hostStyle, 'fixed');
    // Keyboard: the dismiss button is reachable and closes the banner.
    await v.focusInPageUi(b.ctx, page, 'button');
    await page.keyboard.press('Enter');
    await h.waitFor(async () => (await v.pageUi(b.ctx, page)) === null, { what: 'the banner to close' });
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('overlay: the page clears its tokens and the overlay names the reason and the idle time', async () => {
  const demo = await h.startDemo(['--poll', '60s', '--reports-every', '0']);
  const b = await h.launch();
  try {
    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    await page.waitForTimeout(1500);
    await page.evaluate(() => localStorage.clear());
    const overlay = await v.waitForPageUi(b.ctx, page, { kind: 'overlay' });
    assert.equal(overlay.mode, 'closed');
    assert.match(overlay.text, /You're being logged out — the page's own script cleared the credentials — idle \d+ s/);
    assert.equal(overlay.focused, true, 'the overlay takes the focus');
    // And a notification with the same reason.
    const notes = await b.sw.evaluate(() => chrome.notifications.getAll());
    assert.equal(Object.keys(notes).filter((k) => k.startsWith('logout-lens-')).length, 1, JSON.stringify(notes));
    await shoot(b, page, 'overlay', { selector: () => v.pageUiBox(b.ctx, page), width: 900, height: 500 });
    await shoot(b, page, 'overlay-page', { width: 900, height: 500 });
    // It got the focus, so Escape closes it.
    await page.keyboard.press('Escape');
    await h.waitFor(async () => (await v.pageUi(b.ctx, page)) === null, { what: 'the overlay to close' });
  } finally {
    await b.close();
    demo.stop();
  }
});

test('options: excluding a site takes effect on the next page without a reload', async () => {
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  const b = await h.launch();
  try {
    const opts = await b.ctx.newPage();
    await opts.goto(`${EXT}/options.html`);
    // A bad entry is refused with a message naming it, and nothing is stored.
    await opts.fill('#exclude', 'not a host');
    await opts.click('#save');
    await opts.waitForSelector('#errors li');
    assert.match(await opts.textContent('#errors'), /Excluded sites, line 1/);
    assert.equal((await b.sw.evaluate(() => chrome.storage.local.get('exclude'))).exclude, undefined);
    await opts.fill('#exclude', 'http://127.0.0.1:1/whatever');
    await opts.fill('#login_pages', '/custom-signin\n/custom-signin');
    await opts.fill('#token_keys', 'blob_x');
    await opts.click('#save');
    await opts.waitForFunction(() => /Saved/.test(document.querySelector('#saved').textContent));
    const stored = await b.sw.evaluate(() => chrome.storage.local.get(['exclude', 'site_hints', 'token_keys']));
    assert.deepEqual(stored.exclude, ['127.0.0.1']);
    assert.deepEqual(stored.token_keys, ['blob_x']);
    assert.deepEqual(JSON.parse(stored.site_hints).login_pages, ['/custom-signin']);
    await shoot(b, opts, 'options', { width: 800, height: 900 });
    const savedAt = Date.now();

    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    await page.click('#logout');
    await page.waitForURL(/\/signin/);
    const tab = await tabId(b, page);
    const { popup } = await openPopup(b, tab);
    await popup.waitForFunction(() => /Not watched/.test(document.querySelector('#site-status').textContent));
    assert.equal(await popup.locator('#logouts li').count(), 0);
    await page.waitForTimeout(1500);
    const mine = h.dbEvents(b.db).filter((r) => r.event.origin === demo.base && r.event.ts_ms >= savedAt);
    assert.deepEqual(mine, [], 'nothing recorded for an excluded site');

    // Watched again: the next logout is seen.
    await opts.fill('#exclude', '');
    await opts.click('#save');
    await opts.waitForFunction(() => /Saved/.test(document.querySelector('#saved').textContent));
    await h.signIn(page, demo.base);
    await page.click('#logout');
    assert.match(await newestLogout(popup), /You logged out/);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('Export trace downloads a redacted bundle the collector CLI reads', async () => {
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  const b = await h.launch({ host: false });
  try {
    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    await page.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
    const secrets = await page.evaluate(() => [localStorage.getItem('access_token'), localStorage.getItem('refresh_token')]);
    await page.evaluate(() => localStorage.clear());
    const tab = await tabId(b, page);
    const { popup } = await openPopup(b, tab);
    assert.match(await newestLogout(popup), /The page's own script cleared the credentials/);
    assert.match(await popup.textContent('#status'), /not connected/);
    const [download] = await Promise.all([popup.waitForEvent('download'), popup.click('#export')]);
    const file = path.join(h.tmpDir('export'), 'trace.json');
    await download.saveAs(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const s of secrets) {
      assert.ok(s && s.length > 16);
      assert.ok(!text.includes(s), 'no raw token in the export');
      for (const part of s.split('.').filter((p) => p.length >= 16)) assert.ok(!text.includes(part), 'no token part');
    }
    const bundle = JSON.parse(text);
    assert.equal(bundle.format, 'logout-lens-trace');
    assert.equal(bundle.diagnoses.length, 1);
    assert.equal(bundle.diagnoses[0].cause, 'storage_cleared_by_page');

    const db = path.join(h.tmpDir('cli'), 'events.db');
    const env = { ...process.env, LOGOUT_LENS_DB: db, NO_COLOR: '1' };
    const imported = execFileSync(h.HOST_BIN, ['import', file], { encoding: 'utf8', env });
    const trace = imported.match(/as trace (\d+)/);
    assert.ok(trace, imported);
    const verdict = execFileSync(h.HOST_BIN, ['diagnose', '--trace', trace[1]], { encoding: 'utf8', env });
    assert.match(verdict, /storage_cleared_by_page|cleared the credentials/i, verdict);

    // Copy full state: redacted too.
    const state = await popup.evaluate(() => globalThis.logoutLensState());
    for (const s of secrets) assert.ok(!state.includes(s));
    await popup.click('#copy');
    await popup.waitForFunction(() => /Copied/.test(document.querySelector('#action-status').textContent));
  } finally {
    await b.close();
    demo.stop();
  }
});

test("options: forwarding sends each logout to the site's own /v1/auth/logout-event/", async () => {
  const demo = await h.startDemo(['--poll', '60s', '--reports-every', '0']);
  const b = await h.launch();
  try {
    const opts = await b.ctx.newPage();
    await opts.goto(`${EXT}/options.html`);
    await opts.check('#forward');
    await opts.click('#save');
    await opts.waitForFunction(() => /Saved/.test(document.querySelector('#saved').textContent));
    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    await page.waitForTimeout(1000);
    await page.evaluate(() => localStorage.clear());
    const got = await h.waitFor(async () => {
      const list = await (await fetch(`${demo.base}/demo/logout-events.json`)).json();
      const items = Array.isArray(list) ? list : list.events || [];
      return items.find((e) => /cleared the credentials/.test(e.message || ''));
    }, { what: 'the forwarded logout report in the demo' });
    assert.equal(got.type, 'AUTH_ERROR');
    assert.equal(got.location, '/dashboard');
    assert.ok(got.idle_minutes === 0 || got.idle_minutes === null || got.idle_minutes === undefined, JSON.stringify(got));
  } finally {
    await b.close();
    demo.stop();
  }
});
