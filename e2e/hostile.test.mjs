// A hostile page against the extension, in a real headless Chromium: a
// cross-origin frame that forges a sign-in and a logout of the site around
// it, a page that floods the extension with 100k events while another site
// works in another tab, and a page script that listens to every event and
// patches the built-ins the extension's page scripts might call, to read the
// tokens they carry. The attacker knows the extension's source: the event
// names it tries are read from dist/chromium's content scripts.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './extension/helpers.mjs';
import * as v from './extension/views.mjs';
import { serve, jwt, opaque, findSecrets } from './extension/sites.mjs';

before(() => h.checkPrerequisites());

const DAY_MS = 86_400_000;
/** The clock-skew sample a forged `Date` claims: about −2.9 years. */
const SKEW_MS = -92_000_000_000;

/** Every `logout-lens:…` event name in the shipped content scripts. */
function extensionEventNames() {
  const names = new Set();
  for (const f of ['main-world.js', 'isolated.js', 'ui.js']) {
    const src = fs.readFileSync(path.join(h.DIST, 'content', f), 'utf8');
    for (const m of src.matchAll(/['"`](logout-lens:[\w:.-]+)['"`]/g)) names.add(m[1]);
  }
  return [...names];
}

/** A storage key holding an access token, in the popup's words. */
const credentialRows = (popup) =>
  popup.$$eval('#tokens tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

test('a cross-origin frame forging a sign-in and a logout changes nothing of the site around it', async () => {
  const top = await h.startDemo(['--poll', '2s', '--reports-every', '0']);
  const forged = jwt({ exp: Math.floor(Date.now() / 1000) + 7 * 86400 });
  const names = extensionEventNames();
  // The "ad" site: its own login API answering with a clock 92 billion ms behind.
  const past = () => new Date(Date.now() + SKEW_MS).toUTCString();
  const ad = await serve((req, url) => {
    if (url.pathname === '/v1/auth/login/') {
      return { headers: { 'content-type': 'application/json', date: past() }, body: JSON.stringify({ access: forged, refresh: opaque('r-') }) };
    }
    if (url.pathname === '/api/me') {
      return { status: 401, headers: { date: past(), 'www-authenticate': 'Bearer error="invalid_token"', 'x-auth-error-code': 'expired' }, body: '{}' };
    }
    if (url.pathname === '/signin') return '<!doctype html><title>Sign in</title><form><input name=email><button>Sign in</button></form>';
    if (url.pathname !== '/ad') return null;
    return `<!doctype html><title>ad</title><button id=out>Log out</button><script>
      const TOP = ${JSON.stringify(top.base)};
      const NAMES = ${JSON.stringify(names)};
      const FORGED = ${JSON.stringify(forged)};
      const fire = (name, detail) => {
        document.dispatchEvent(new CustomEvent(name, { detail }));
        window.dispatchEvent(new CustomEvent(name, { detail }));
        const decoy = document.createElement('div');
        document.dispatchEvent(new MouseEvent(name, { relatedTarget: decoy }));
      };
      const storageMsg = (op) => JSON.stringify({ t: 'storage', area: 'local', op, key: 'access_token', value: FORGED, old: FORGED,
        entries: [['access_token', FORGED]], stack: 'at ' + TOP + '/dashboard:1:1', at: Date.now() + ${SKEW_MS} });
      const netMsg = (status, code) => JSON.stringify({ t: 'net', id: 7, url: TOP + '/v1/auth/refresh/', method: 'POST', auth: 'Bearer ' + FORGED,
        body: '{"refresh":"forged"}', start: Date.now() + ${SKEW_MS}, end: Date.now() - 5000, status, error: null, redirected: false,
        final_url: null, headers: [['date', new Date(Date.now() + ${SKEW_MS}).toUTCString()], ['x-auth-error-code', code]] });
      // A cross-site frame may get no storage at all (third-party storage blocked).
      const store = (() => { try { return localStorage; } catch (_) { return null; } })();
      window.forge = async () => {
        // A sign-in: tokens in storage, a login exchange, a clock far behind.
        if (store) {
          store.setItem('access_token', FORGED);
          store.setItem('refresh_token', 'r-${'x'.repeat(40)}');
        }
        document.cookie = 'sessionid=${'s'.repeat(40)}; path=/';
        await fetch('/v1/auth/login/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@b.c","password":"x"}' });
        await fetch('/api/me', { headers: { authorization: 'Bearer ' + FORGED } });
        // The top site's refresh endpoint, as if its refresh failed.
        await fetch(TOP + '/v1/auth/refresh/', { method: 'POST', body: '{"refresh":"forged"}' }).catch(() => {});
        // Hand-made hook messages and handshakes, under every name the extension uses.
        for (const n of NAMES) {
          fire(n, storageMsg('set'));
          fire(n, netMsg(200, 'ok'));
          fire(n, netMsg(401, 'reuse_detected'));
          fire(n, storageMsg('clear'));
        }
        window.postMessage({ t: 'storage', area: 'local', op: 'clear' }, '*');
        parent.postMessage({ t: 'click', label: 'Log out' }, '*');
        return true;
      };
      document.getElementById('out').addEventListener('click', () => {
        if (store) store.clear();
        document.cookie = 'sessionid=; max-age=0; path=/';
        location.href = '/signin';
      });
    </script>`;
  });
  const b = await h.launch();
  const startedAt = Date.now();
  try {
    const tab = await b.ctx.newPage();
    await h.signIn(tab, top.base);
    await tab.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
    // Two ad frames: another site (localhost) and another origin of the same site (127.0.0.1, another port).
    const adOrigins = [ad.base('localhost'), ad.base('127.0.0.1')];
    // The site's own page embeds them, as an ad script would.
    await tab.evaluate((srcs) => {
      for (const src of srcs) {
        const f = document.createElement('iframe');
        f.src = src;
        f.width = '300';
        f.height = '100';
        document.body.prepend(f);
      }
    }, adOrigins.map((o) => `${o}/ad`));
    const frames = [];
    for (const o of adOrigins) {
      const frame = await h.waitFor(() => tab.frames().find((f) => f.url().startsWith(o)), { what: `the ad frame of ${o}` });
      await frame.waitForLoadState('load');
      frames.push(frame);
    }
    // Once their forwarders are up (after load), the frames forge, then sign "out" with a real click and go to a login page.
    await new Promise((r) => setTimeout(r, 2500));
    for (const frame of frames) assert.equal(await frame.evaluate(() => window.forge()), true);
    await new Promise((r) => setTimeout(r, 1500));
    for (const frame of frames) await frame.click('#out');
    for (const o of adOrigins) {
      await h.waitFor(() => tab.frames().find((f) => f.url() === `${o}/signin`), { what: `the ad frame of ${o} on its sign-in page` });
    }
    // Let everything the frame sent be handled, then what the top site still is.
    await new Promise((r) => setTimeout(r, 3000));
    await h.drained(b.sw);

    const problems = [];
    const all = h.dbEvents(b.db).map((r) => r.event);
    const topLogouts = all.filter((e) => e.kind === 'logout_observed' && e.origin === top.base);
    if (topLogouts.length) problems.push(`logouts of the top site: ${JSON.stringify(topLogouts)}`);
    const fromFrame = all.filter((e) => e.frame > 0);
    if (!fromFrame.length) problems.push('nothing recorded from the frame (the test did not exercise it)');
    const misattributed = fromFrame.filter((e) => !adOrigins.includes(e.origin));
    if (misattributed.length) problems.push(`frame events filed under another origin: ${JSON.stringify(misattributed.map((e) => [e.kind, e.origin, e.url || e.key]))}`);
    const skews = all.filter((e) => e.kind === 'time_sample' && e.skew_ms !== undefined && Math.abs(e.skew_ms) > DAY_MS);
    if (skews.length) problems.push(`clock-skew samples beyond a day: ${skews.map((e) => e.skew_ms)}`);
    const farOff = all.filter((e) => e.ts_ms < startedAt - 10 * 60 * 1000 || e.ts_ms > Date.now() + 60 * 1000);
    if (farOff.length) problems.push(`events dated far from when they arrived: ${JSON.stringify(farOff.map((e) => [e.kind, e.ts_ms]))}`);
    const negative = all.filter((e) => typeof e.duration_ms === 'number' && e.duration_ms < 0);
    if (negative.length) problems.push(`negative durations: ${negative.length}`);
    const forgedTop = all.filter((e) => e.origin === top.base && e.kind === 'http_exchange' && e.frame > 0);
    if (forgedTop.length) problems.push(`exchanges of the top site from the frame: ${forgedTop.length}`);

    // What the user sees of the top site: still signed in, with its own tokens, no logout, a sane clock.
    const { popup } = await v.openPopup(b, await v.tabId(b, tab));
    await popup.waitForFunction(() => document.querySelector('#site-status').textContent !== '');
    const status = await popup.textContent('#site-status');
    if (!/^Signed in/.test(status)) problems.push(`top site's status: ${status}`);
    const rows = await credentialRows(popup);
    if (rows.some((r) => /day/.test(r[2]))) problems.push(`the forged 7-day token is listed for the top site: ${JSON.stringify(rows)}`);
    const logouts = await popup.locator('#logouts li').count();
    if (logouts) problems.push(`the popup lists ${logouts} logouts for the top site`);
    const skew = await popup.textContent('#session');
    if (/\d+ ?d\b|day|year/.test(skew)) problems.push(`the popup's clock skew: ${skew}`);
    await popup.close();
    // The top page shows no overlay.
    const ui = await v.pageUi(b.ctx, tab);
    if (ui) problems.push(`the top page shows the ${ui.kind}: ${ui.text}`);
    assert.deepEqual(problems, []);
  } finally {
    await b.close();
    top.stop();
    await ad.close();
  }
});

test('a page flooding 100k events (itself and nine frames) costs a site in another tab none of its events', async () => {
  const victim = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  // The page and nine frames of its own, each 5,000 rounds of a write and a
  // removal: 100k storage events, each frame with its own forwarder.
  const FRAMES = 9;
  const ROUNDS = 5_000;
  const flooder = await serve((req, url) => {
    if (url.pathname !== '/flood' && url.pathname !== '/flood-frame') return null;
    const frames = url.pathname === '/flood' ? `<script>for (let i = 0; i < ${FRAMES}; i++) document.body.append(Object.assign(document.createElement('iframe'), { src: '/flood-frame' }));</script>` : '';
    return `<!doctype html><title>flood</title><body><p id=n>0</p>${frames}<script>
          const TOKEN = ${JSON.stringify(jwt({ exp: Math.floor(Date.now() / 1000) + 3600 }))};
          window.flood = (rounds) => new Promise((done) => {
            let i = 0;
            const chunk = () => {
              const end = Math.min(rounds, i + 1000);
              for (; i < end; i++) {
                // A sign-in and a logout every time: credentials come and go.
                localStorage.setItem('access_token', TOKEN);
                localStorage.removeItem('access_token');
              }
              document.getElementById('n').textContent = String(i);
              if (i < rounds) setTimeout(chunk, 0); else done(i);
            };
            chunk();
          });
        </script>`;
  });
  // No collector while it happens: everything waits in the extension's ring.
  const b = await h.launch({ host: false });
  try {
    const tab = await b.ctx.newPage();
    await h.signIn(tab, victim.base);
    await tab.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 2);
    const flood = await b.ctx.newPage();
    await flood.goto(`${flooder.base('localhost')}/flood`);
    await flood.waitForLoadState('load');
    await new Promise((r) => setTimeout(r, 2500));
    const frames = flood.frames();
    assert.equal(frames.length, FRAMES + 1);
    const t0 = Date.now();
    const flooding = Promise.all(frames.map((f) => f.evaluate((n) => window.flood(n), ROUNDS)));
    // Meanwhile the victim site writes 20 tokens of its own.
    const KEYS = 20;
    for (let i = 0; i < KEYS; i++) {
      await tab.evaluate((k) => localStorage.setItem(`victim_token_${k}`, `v-${k}-${'t'.repeat(40)}`), i);
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.deepEqual(await flooding, frames.map(() => ROUNDS));
    const floodMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 3000));
    const during = await h.relayStatus(b.sw);
    // Then the collector arrives and takes what the ring kept.
    h.installHost(b.udd);
    await h.drained(b.sw, 120000);
    const rows = h.dbEvents(b.db).map((r) => r.event);
    const mine = rows.filter((e) => e.origin === victim.base);
    const keys = new Set(mine.filter((e) => e.kind === 'storage_change').map((e) => e.key));
    const lost = [...Array(KEYS).keys()].map((i) => `victim_token_${i}`).filter((k) => !keys.has(k));
    const login = mine.filter((e) => e.kind === 'http_exchange' && /\/v1\/auth\/login\/$/.test(e.url));
    const flooded = rows.filter((e) => e.origin === flooder.base('localhost'));
    const problems = [];
    if (lost.length) problems.push(`victim writes lost: ${lost.length} of ${KEYS}`);
    if (!login.length) problems.push('the victim\'s sign-in exchange was lost');
    // The worker's own timeline still holds the victim's sign-in (the popup's Copy full state).
    const { popup } = await v.openPopup(b, await v.tabId(b, tab));
    const state = await h.waitFor(() => popup.evaluate(() => globalThis.logoutLensState && globalThis.logoutLensState()), { what: 'the popup state' });
    if (!/\/v1\/auth\/login\//.test(state)) problems.push('the victim\'s sign-in is gone from the extension\'s timeline');
    await popup.close();
    // One notification per origin per minute, however many logouts the flooder fakes.
    const notes = Object.keys(await b.sw.evaluate(() => chrome.notifications.getAll())).filter((k) => k.startsWith('logout-lens-'));
    if (notes.length > 1) problems.push(`${notes.length} notifications`);
    // Report the flood's size next to the verdict, for the record.
    assert.deepEqual(problems, [], JSON.stringify({ floodMs, during, stored: rows.length, flooded: flooded.length, victim: mine.length }));
  } finally {
    await b.close();
    victim.stop();
    await flooder.close();
  }
});

/**
 * The spy: the page's first script. It listens to every event type on
 * window and document in the capture phase, sees every dispatchEvent and
 * postMessage, forges the extension's handshakes, and patches the built-ins
 * (prototype methods, getters, Object.prototype setters and toJSON) so that
 * any call the extension's MAIN-world script makes into them is recorded
 * with its receiver and arguments. Everything goes to the console as
 * `LLSPY …` lines.
 */
function spySource(names) {
  return `(() => {
  const NAMES = ${JSON.stringify(names)};
  const log = console.log.bind(console);
  const stringify = JSON.stringify;
  const OError = Error;
  const ownKeys = Reflect.ownKeys;
  const getDesc = Object.getOwnPropertyDescriptor;
  const define = Object.defineProperty;
  OError.stackTraceLimit = 60;
  let busy = false;
  const show = (v) => { try { return typeof v === 'string' ? v : stringify(v, (k, x) => typeof x === 'function' ? 'fn' : x); } catch (_) { try { return String(v); } catch (_) { return '?'; } } };
  const report = (tag, ...vs) => { busy = true; try { log('LLSPY ' + tag + ' ' + vs.map(show).join(' | ')); } finally { busy = false; } };
  const fromExt = () => { busy = true; try { return (new OError().stack || '').includes('extension://'); } finally { busy = false; } };
  const seen = (e) => {
    if (busy) return;
    busy = true;
    try {
      if (e.type === 'storage') return;
      const got = [];
      try { if (e.detail !== undefined && e.detail !== null) got.push(e.detail); } catch (_) {}
      try { if (e.data !== undefined && e.data !== null) got.push(e.data); } catch (_) {}
      let node = null;
      try { node = e.relatedTarget; } catch (_) {}
      try { if (e.ports && e.ports.length) { got.push('PORT'); for (const p of e.ports) p.onmessage = (m) => report('port-msg', m.data); } } catch (_) {}
      busy = false;
      if (got.length) report('event', e.type, ...got);
      if (node && !node.__spied) {
        node.__spied = true;
        report('node', e.type);
        for (const n of NAMES) node.addEventListener(n, (x) => report('node-event', n, x.detail), true);
      }
    } finally { busy = false; }
  };
  const types = new Set([...NAMES, 'message', 'messageerror']);
  for (const o of [window, Document.prototype, Element.prototype, HTMLElement.prototype]) {
    for (const k in o) if (k.startsWith('on')) types.add(k.slice(2));
  }
  for (const t of types) { addEventListener(t, seen, true); document.addEventListener(t, seen, true); }
  // Every event anyone dispatches, every message anyone posts.
  const wrap = (target, key, make) => { const d = getDesc(target, key); if (d && d.configurable !== false) define(target, key, make(d)); };
  wrap(EventTarget.prototype, 'dispatchEvent', (d) => ({ ...d, value: function dispatchEvent(e) { seen(e); return d.value.call(this, e); } }));
  wrap(window, 'postMessage', (d) => ({ ...d, value: function postMessage(m, ...r) { if (!busy) report('postMessage', m); return d.value.call(this, m, ...r); } }));
  wrap(MessagePort.prototype, 'postMessage', (d) => ({ ...d, value: function postMessage(m, ...r) { if (!busy) report('port.postMessage', m); return d.value.call(this, m, ...r); } }));
  // Built-ins the extension's script might call after load: record calls made from it.
  const spyOn = (target, label) => {
    for (const key of ownKeys(target)) {
      if (key === 'constructor' || key === 'prototype' || key === 'caller' || key === 'arguments' || key === 'length' || key === 'name') continue;
      const d = getDesc(target, key);
      if (!d || d.configurable === false) continue;
      const name = label + '.' + String(key);
      if (typeof d.value === 'function') {
        const f = d.value;
        define(target, key, { ...d, value: function (...args) { if (!busy && fromExt()) report('call', name, this, args); return f.apply(this, args); } });
      } else if (d.get) {
        const g = d.get;
        define(target, key, { ...d, get: function () { if (!busy && fromExt()) report('get', name, this); return g.call(this); } });
      }
    }
  };
  for (const [t, label] of [[String.prototype, 'String'], [Array.prototype, 'Array'], [Object, 'Object'], [JSON, 'JSON'],
    [Headers.prototype, 'Headers'], [Request.prototype, 'Request'], [Response.prototype, 'Response'], [URL.prototype, 'URL'],
    [URLSearchParams.prototype, 'URLSearchParams'], [RegExp.prototype, 'RegExp'], [Map.prototype, 'Map'], [Set.prototype, 'Set'],
    [WeakMap.prototype, 'WeakMap'], [Promise.prototype, 'Promise'], [Number.prototype, 'Number'], [Math, 'Math'], [Date.prototype, 'Date'],
    [Event.prototype, 'Event'], [CustomEvent.prototype, 'CustomEvent'], [Storage.prototype, 'Storage']]) spyOn(t, label);
  // Setters on Object.prototype for the keys a message might be built with, and toJSON.
  for (const key of ['at', 't', 'id', 'auth', 'value', 'old', 'body', 'stack', 'entries', 'headers', 'detail', 'text', 'key', 'msg', 'msgs', 'url']) {
    define(Object.prototype, key, { configurable: true, get() { return undefined; },
      set(v) { if (!busy && fromExt()) report('set', key, v, this); define(this, key, { value: v, writable: true, enumerable: true, configurable: true }); } });
  }
  define(Object.prototype, 'toJSON', { configurable: true, get() { if (!busy && fromExt()) report('toJSON', this); return undefined; } });
  // Forged handshakes, now and after load.
  const forge = () => {
    for (const n of NAMES) {
      const decoy = document.createElement('span');
      for (const t of [document, window]) {
        t.dispatchEvent(new CustomEvent(n, { detail: '{"t":"hello"}' }));
        t.dispatchEvent(new MouseEvent(n, { relatedTarget: decoy }));
      }
      decoy.addEventListener(n, (x) => report('decoy-event', n, x.detail), true);
    }
  };
  forge();
  addEventListener('load', () => setTimeout(forge, 0));
})();`;
}

test('a page script listening to every event and patching built-ins sees no raw token', async () => {
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0', '--access-ttl', '4s', '--leeway', '0s']);
  const b = await h.launch();
  try {
    const spy = `<script>${spySource(extensionEventNames())}</script>`;
    // The spy is the page's own first script (after the extension's document-start scripts, as on any page).
    await b.ctx.route(/\/(signin|dashboard)(\?.*)?$/, async (route) => {
      const res = await route.fetch();
      const body = (await res.text()).replace('<head>', `<head>${spy}`);
      await route.fulfill({ response: res, body });
    });
    const secrets = {};
    const remember = async (page, when) => {
      const [a, r] = await page.evaluate(() => [localStorage.getItem('access_token'), localStorage.getItem('refresh_token')]);
      secrets[`access token ${when}`] = a;
      secrets[`refresh token ${when}`] = r;
    };
    const lines = [];
    const watch = (p) => p.on('console', (m) => m.text().startsWith('LLSPY') && lines.push(`${p.url()} ${m.text()}`));
    b.ctx.on('page', watch);
    const page = await b.ctx.newPage();
    watch(page);
    await h.signIn(page, demo.base);
    await remember(page, 'at sign-in');
    // Polls (Authorization headers) and a refresh (the body carries the refresh token) after load.
    await page.waitForFunction(() => Number(document.getElementById('refreshes').textContent) >= 1, null, { timeout: 20000 });
    await remember(page, 'after a refresh');
    // The page's own writes after its load, then a logout by clearing storage (the page is left as the app reacts).
    secrets.planted = jwt({ sub: 'planted' });
    await page.evaluate((t) => localStorage.setItem('planted_token', t), secrets.planted);
    await new Promise((r) => setTimeout(r, 1500));
    await page.evaluate(() => localStorage.clear());
    await page.waitForURL(/\/signin/, { timeout: 20000 });
    await new Promise((r) => setTimeout(r, 1500));
    await h.drained(b.sw);
    // The hook still works through its private channel: the extension got the page's writes and bearer tokens.
    const rows = h.dbEvents(b.db).map((r) => r.event);
    assert.ok(rows.some((e) => e.kind === 'storage_change' && e.actor === 'page_script' && e.key === 'planted_token'), 'the hook reported the page write');
    assert.ok(rows.some((e) => e.kind === 'http_exchange' && e.access_token_fp && String(e.request_id).startsWith('page:')), 'the hook reported a bearer token');
    assert.ok(Object.values(secrets).every((s) => typeof s === 'string' && s.length >= 16), JSON.stringify(Object.keys(secrets)));
    assert.notEqual(secrets['access token at sign-in'], secrets['access token after a refresh']);
    const text = lines.join('\n');
    const found = findSecrets(text, secrets, 'what the spy saw');
    const handshakes = lines.filter((l) => / LLSPY (node-event|decoy-event|port-msg) /.test(l));
    assert.deepEqual({ found, handshakes: handshakes.slice(0, 5) }, { found: [], handshakes: [] }, lines.slice(0, 20).join('\n').slice(0, 4000));
  } finally {
    await b.close();
    demo.stop();
  }
});
