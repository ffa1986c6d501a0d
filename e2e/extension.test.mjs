// End-to-end tests of the Logout Lens extension in a real headless Chromium,
// against the demo app, with the real collector as native host.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as h from './extension/helpers.mjs';

before(() => h.checkPrerequisites());

// The two network sources: the default install (no webRequest; the page's
// fetch/XHR calls come from the MAIN-world hook) and the state after the
// user opts in to "Full network capture" (webRequest held at load).
let wrDist = null;
const NETWORKS = [
  { name: 'page hook', dist: () => h.DIST, hook: true },
  { name: 'webRequest', dist: () => (wrDist ||= h.webRequestDist()), hook: false },
];

/** Records every token the app sees (login/refresh bodies, cookies, storage) to scan for later. */
function captureSecrets(ctx) {
  const secrets = new Set();
  ctx.on('response', async (res) => {
    if (!/\/v1\/auth\/(login|refresh)\/?$/.test(new URL(res.url()).pathname)) return;
    try {
      const body = await res.json();
      for (const k of ['access', 'refresh']) if (typeof body[k] === 'string' && body[k].length >= 16) secrets.add(body[k]);
    } catch (_) {
      // Error bodies carry no tokens.
    }
    let headers = [];
    try {
      headers = await res.headersArray();
    } catch (_) {
      // The scenario ended (and scanned) while this response was still being read.
    }
    for (const c of headers.filter((x) => x.name.toLowerCase() === 'set-cookie')) {
      const v = c.value.split(';')[0].split('=').slice(1).join('=');
      if (v.length >= 16) secrets.add(v);
    }
  });
  return secrets;
}

/** Adds the tokens the signed-in page holds right now (storage and cookies). */
async function rememberSecrets(page, ctx, secrets) {
  const stored = await page.evaluate(() => [localStorage.getItem('access_token'), localStorage.getItem('refresh_token')]);
  for (const v of stored) if (v && v.length >= 16) secrets.add(v);
  for (const c of await ctx.cookies()) if (c.value.length >= 16) secrets.add(c.value);
}

/** No raw token (nor its JWT payload or signature alone) in `text`. */
function assertNoTokenIn(text, secrets, where) {
  for (const s of secrets) {
    assert.ok(!text.includes(s), `raw token found in ${where}`);
    for (const part of s.split('.').filter((p) => p.length >= 16)) {
      assert.ok(!text.includes(part), `a token part found in ${where}`);
    }
  }
}

/**
 * No raw token in any file of the collector's database (db, WAL, SHM), nor in
 * what the extension keeps in chrome.storage.local (the unacked ring).
 */
async function assertNoRawTokens(db, sw, secrets) {
  assert.ok(secrets.size > 0, 'the scenario saw tokens to look for');
  for (const [file, bytes] of h.filesUnder(path.dirname(db))) {
    assertNoTokenIn(bytes.toString('latin1'), secrets, file);
  }
  const stored = await sw.evaluate(() => chrome.storage.local.get(null).then((o) => JSON.stringify(o)));
  assertNoTokenIn(stored, secrets, 'chrome.storage.local');
}

/**
 * The exchanges came from the source under test, once each: the hook's ids
 * are `page:<tab>:<frame>:<n>`, webRequest's are plain numbers. With the hook,
 * the bearer token the page sent (`bearer`: not in cookie mode) was seen, and
 * stored only as a fingerprint.
 */
function assertNetworkSource(db, hook, bearer) {
  const xs = h.dbEvents(db, "kind = 'http_exchange'").map((r) => r.event);
  assert.ok(xs.length > 0, 'exchanges were recorded');
  const fromHook = xs.filter((x) => String(x.request_id).startsWith('page:'));
  assert.equal(fromHook.length, hook ? xs.length : 0, `exchanges from the page hook: ${fromHook.length} of ${xs.length}`);
  if (hook && bearer) assert.ok(xs.some((x) => x.access_token_fp), 'the hook saw the Authorization header');
}

async function logoutInDb(db, timeout = 25000) {
  const rows = await h.waitFor(() => {
    const r = h.dbEvents(db, "kind = 'logout_observed'");
    return r.length ? r : null;
  }, { timeout, what: 'a logout_observed event in the collector DB' });
  return rows[0].event;
}

/**
 * One scenario: demo with `demoArgs`, sign in with real input, let `act`
 * provoke the logout, and check the stored verdict.
 */
async function scenario({ demoArgs, act, cause, coarse, minIdleMs = 0, trigger, net = NETWORKS[0], bearer = true, signInUntil }) {
  const demo = await h.startDemo(demoArgs);
  const b = await h.launch({ dist: net.dist() });
  try {
    const secrets = captureSecrets(b.ctx);
    const page = await b.ctx.newPage();
    const lastInput = await h.signIn(page, demo.base, { waitUntil: signInUntil });
    await rememberSecrets(page, b.ctx, secrets);
    // Signing in costs the worker no diagnosis: its module comes with the logout.
    assert.equal(await b.sw.evaluate(() => globalThis.logoutLensDiagnoser()), false);
    await act({ page, b, demo });
    const logout = await logoutInDb(b.db);
    const idle = logout.idle_ms;
    assert.equal(logout.cause, cause, JSON.stringify(logout));
    assert.equal(logout.coarse, coarse);
    if (trigger) assert.equal(logout.trigger, trigger);
    assert.equal(logout.origin, demo.base);
    assert.ok(idle >= minIdleMs, `idle ${idle} ms >= ${minIdleMs}`);
    assert.ok(idle <= logout.ts_ms - lastInput + 3000, `idle ${idle} ms is at most the time since the last input`);
    // Let the rest of the episode land, then scan the files.
    await h.waitFor(async () => (await h.relayStatus(b.sw)).queued === 0, { what: 'the queue to drain' });
    await assertNoRawTokens(b.db, b.sw, secrets);
    assertNetworkSource(b.db, net.hook, bearer);
    return logout;
  } finally {
    await b.close();
    demo.stop();
  }
}

for (const net of NETWORKS) {
  test(`access token expires while the user is idle and the refresh fails (${net.name})`, async () => {
    await scenario({
      net,
      demoArgs: ['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--refresh-ttl-no-remember', '6s', '--reports-every', '0'],
      act: ({ page }) => page.waitForURL(/\/signin/, { timeout: 20000 }),
      cause: 'refresh_token_expired',
      coarse: 'TOKEN_EXPIRED',
      minIdleMs: 4000,
    });
  });

  test(`two tabs refresh with the same token and rotation rejects the loser (${net.name})`, async () => {
    await scenario({
      net,
      demoArgs: ['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--uncoordinated-refresh', '--grace', '0s', '--reports-every', '0'],
      act: async ({ b, demo }) => {
        const second = await b.ctx.newPage();
        await second.goto(`${demo.base}/dashboard`);
      },
      cause: 'refresh_token_reused',
      coarse: 'REFRESH_FAILED',
    });
  });

  // The dashboard never finishes loading (a slow image holds its `load`
  // event): everything the page saw is handed over only as it is left.
  test(`the app logs out while its page is still loading (${net.name})`, async () => {
    await scenario({
      net,
      demoArgs: ['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--refresh-ttl-no-remember', '4s', '--slow-load', '60s', '--reports-every', '0'],
      signInUntil: 'commit',
      act: ({ page }) => page.waitForURL(/\/signin/, { timeout: 20000 }),
      cause: 'refresh_token_expired',
      coarse: 'TOKEN_EXPIRED',
      minIdleMs: 3000,
    });
  });

  test(`a short session cookie expires (${net.name})`, async () => {
    await scenario({
      net,
      demoArgs: ['--cookie-max-age', '3s', '--poll', '1s', '--reports-every', '0'],
      bearer: false, // tokens in HttpOnly cookies
      act: ({ page }) => page.waitForURL(/\/signin/, { timeout: 20000 }),
      cause: 'session_cookie_expired',
      coarse: 'TOKEN_EXPIRED',
      minIdleMs: 2000,
    });
  });

  test(`the app logs out on a 403 (${net.name})`, async () => {
    await scenario({
      net,
      demoArgs: ['--logout-on-403', '--reports-every', '2', '--poll', '1s'],
      act: ({ page }) => page.waitForURL(/\/signin/, { timeout: 20000 }),
      cause: 'forbidden_treated_as_logout',
      coarse: 'AUTH_ERROR',
    });
  });

  test(`the page's own script clears localStorage (${net.name})`, async () => {
    const logout = await scenario({
      net,
      demoArgs: ['--poll', '1s', '--reports-every', '0'],
      act: async ({ page }) => {
        await page.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
        await page.evaluate(() => localStorage.clear());
      },
      cause: 'storage_cleared_by_page',
      coarse: 'AUTH_ERROR',
      trigger: 'credentials_vanished',
    });
    assert.equal(logout.path, '/dashboard');
  });
}

/** What a page's own fetch/XHR calls return: the same with and without the hook. */
function pageNetworkBehaviour() {
  const xhr = (method, url, { async = true, auth, body } = {}) =>
    new Promise((resolve) => {
      const x = new XMLHttpRequest();
      const seen = [];
      x.onreadystatechange = () => seen.push(x.readyState);
      x.onloadend = () => resolve([x.status, x.responseText.length > 0, x.getResponseHeader('content-type'), seen.join('')]);
      x.open(method, url, async);
      if (auth) x.setRequestHeader('Authorization', auth);
      x.send(body);
      if (!async) resolve([x.status, x.responseText.length > 0, seen.join('')]);
    });
  const name = (e) => (e && e.name) || String(e);
  return (async () => {
    const out = {};
    const p = fetch('/api/me', { headers: { authorization: 'Bearer not-a-token' } });
    out.promise = p instanceof Promise;
    const r = await p;
    out.fetch = [r.status, r.ok, r.redirected, r.bodyUsed, (await r.text()).length > 0, r.bodyUsed];
    out.request = await fetch(new Request('/v1/auth/refresh/', { method: 'POST', body: '{"refresh":"nope"}', headers: { 'content-type': 'application/json' } })).then((x) => x.status);
    out.params = await fetch('/v1/auth/login/', { method: 'POST', body: new URLSearchParams({ email: 'x@y.z', password: 'no' }) }).then((x) => x.status);
    out.refused = await fetch('http://127.0.0.1:1/').then(() => 'ok', name);
    out.badUrl = await fetch('http://[bad').then(() => 'ok', name);
    const ac = new AbortController();
    const aborted = fetch('/api/me', { signal: ac.signal });
    ac.abort();
    out.aborted = await aborted.then(() => 'ok', name);
    out.noThis = await fetch.call(undefined, '/signin').then((x) => x.status, name);
    out.wrongThis = await Promise.resolve()
      .then(() => fetch.call({}, '/signin'))
      .then(() => 'ok', name);
    out.xhr = await xhr('GET', '/api/me', { auth: 'Bearer not-a-token' });
    out.xhrSync = await xhr('GET', '/signin', { async: false });
    out.xhrPost = await xhr('POST', '/v1/auth/refresh/', { body: '{"refresh":"nope"}' });
    out.xhrError = await xhr('GET', 'http://127.0.0.1:1/');
    try {
      new XMLHttpRequest().setRequestHeader('a', 'b');
      out.headerBeforeOpen = 'ok';
    } catch (e) {
      out.headerBeforeOpen = name(e);
    }
    try {
      new XMLHttpRequest().send();
      out.sendBeforeOpen = 'ok';
    } catch (e) {
      out.sendBeforeOpen = name(e);
    }
    return out;
  })();
}

test('the page hook leaves what the page sees unchanged, and records its calls', async () => {
  const demo = await h.startDemo(['--reports-every', '0']);
  const results = [];
  try {
    for (const extension of [false, true]) {
      const b = await h.launch({ extension, host: extension });
      try {
        const page = await b.ctx.newPage();
        await page.goto(`${demo.base}/signin`);
        results.push(await page.evaluate(pageNetworkBehaviour));
        if (!extension) continue;
        // The calls reached the collector as exchanges from the hook.
        const xs = await h.waitFor(() => {
          const r = h.dbEvents(b.db, "kind = 'http_exchange'").map((e) => e.event);
          return r.length >= 10 && r;
        }, { what: 'the page\'s calls as exchanges' });
        assert.ok(xs.every((x) => String(x.request_id).startsWith('page:')));
        const refresh = xs.filter((x) => x.url.endsWith('/v1/auth/refresh/'));
        assert.equal(refresh.length, 2, 'fetch(Request) and XHR refresh calls');
        assert.ok(refresh.some((x) => x.refresh_token_fp), 'the XHR body was read for a refresh token');
        assert.ok(xs.some((x) => x.error === 'net::ERR_ABORTED'), 'the aborted fetch');
        assert.ok(xs.some((x) => x.status === undefined && x.error === 'net::ERR_FAILED'), 'a refused connection');
        assert.ok(xs.filter((x) => x.url.endsWith('/api/me') && x.access_token_fp).length >= 2, 'fetch and XHR bearer tokens');
        assert.equal(await b.sw.evaluate(() => typeof chrome.webRequest), 'undefined', 'the default install holds no webRequest');
      } finally {
        await b.close();
      }
    }
  } finally {
    demo.stop();
  }
  assert.deepEqual(results[1], results[0]);
  assert.equal(results[0].promise, true);
  assert.equal(results[0].refused, 'TypeError');
  assert.equal(results[0].aborted, 'AbortError');
});

/** A JWT-shaped token (unsigned: the extension never verifies). */
function fakeJwt(salt) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 900;
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: '1', exp, iat: exp - 900, jti: salt })}.${'s'.repeat(24)}${salt}`;
}

test('what a frame does before it has loaded waits in the page hook and arrives dated', async () => {
  // The forwarder sends nothing until a frame has loaded: the top frame's
  // inline script and a frame added later both write before theirs starts,
  // and their stacks are written out only then.
  const demo = await h.startDemo(['--reports-every', '0']);
  const b = await h.launch();
  try {
    const top = fakeJwt('toptoptoptop');
    const inner = fakeJwt('innerinnerin');
    const page = (key, token) =>
      `<!doctype html><title>early</title><script>localStorage.setItem(${JSON.stringify(key)}, ${JSON.stringify(token)})</script><p>early</p>`;
    await b.ctx.route(`${demo.base}/early`, (r) => r.fulfill({ contentType: 'text/html', body: page('access_token', top) }));
    await b.ctx.route(`${demo.base}/early-frame`, (r) => r.fulfill({ contentType: 'text/html', body: page('refresh_token', inner) }));
    const tab = await b.ctx.newPage();
    await tab.goto(`${demo.base}/early`);
    const loadedAt = await tab.evaluate(() => performance.timeOrigin + performance.getEntriesByType('navigation')[0].loadEventEnd);
    await tab.evaluate(() => {
      const f = document.createElement('iframe');
      f.src = '/early-frame';
      document.body.append(f);
    });
    const writes = await h.waitFor(() => {
      const r = h.dbEvents(b.db, "kind = 'storage_change'").map((e) => e.event);
      const hooked = r.filter((e) => e.actor === 'page_script');
      return hooked.length >= 2 && hooked;
    }, { what: 'both frames\' writes from the page hook' });
    const byKey = Object.fromEntries(writes.map((e) => [e.key, e]));
    assert.equal(byKey.access_token.frame, 0);
    assert.ok(byKey.refresh_token.frame > 0, 'the added frame got its own forwarder');
    assert.match(byKey.access_token.stack || '', /early/, 'the writing script is named');
    // Dated when the page wrote it, not when the forwarder delivered it.
    assert.ok(byKey.access_token.ts_ms <= loadedAt, `${byKey.access_token.ts_ms} <= ${loadedAt}`);
    await h.drained(b.sw);
    await assertNoRawTokens(b.db, b.sw, new Set([top, inner]));
  } finally {
    await b.close();
    demo.stop();
  }
});

test('a page left before it loaded hands its whole backlog over in one message', async () => {
  // 300 token writes at document start, a load that never ends (an image
  // that never comes), then the user goes elsewhere: the forwarder, never
  // started, takes the hook's backlog on pagehide and sends it at once.
  const demo = await h.startDemo(['--reports-every', '0']);
  const b = await h.launch();
  try {
    const N = 300;
    await b.ctx.route(`${demo.base}/never.gif`, () => {});
    await b.ctx.route(`${demo.base}/busy`, (r) =>
      r.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>busy</title><script>
          const jwt = (i) => btoa(JSON.stringify({ alg: 'HS256' })).replace(/=+$/, '') + '.' + btoa(JSON.stringify({ sub: String(i), exp: Math.floor(Date.now() / 1000) + 900 })).replace(/=+$/, '') + '.' + 'sig'.repeat(8) + i;
          for (let i = 0; i < ${N}; i++) localStorage.setItem('token_' + i, jwt(i));
        </script><img src="/never.gif">`,
      }),
    );
    // What the worker receives from the page's frame: one entry per runtime message.
    await b.sw.evaluate(() => {
      globalThis.fromPage = [];
      chrome.runtime.onMessage.addListener((m, sender) => {
        if (sender.tab && m && (m.t === 'batch' || m.t === 'storage')) globalThis.fromPage.push(m.t === 'batch' ? m.msgs.length : 1);
      });
    });
    const tab = await b.ctx.newPage();
    await tab.goto(`${demo.base}/busy`, { waitUntil: 'commit' });
    await tab.waitForFunction((n) => localStorage.length >= n, N);
    assert.equal(await tab.evaluate(() => document.readyState), 'interactive', 'the load never ends');
    await tab.goto(`${demo.base}/signin`);
    const writes = await h.waitFor(() => {
      const r = h.dbEvents(b.db, "kind = 'storage_change'").map((e) => e.event).filter((e) => /^token_\d+$/.test(e.key));
      return r.length >= N && r;
    }, { what: `all ${N} writes in the collector`, timeout: 30000 });
    assert.equal(new Set(writes.map((e) => e.key)).size, N);
    assert.ok(writes.every((e) => e.path === '/busy' && e.actor === 'page_script'));
    const sizes = await b.sw.evaluate(() => globalThis.fromPage);
    assert.equal(sizes.filter((n) => n >= N).length, 1, `one message carried them all: ${JSON.stringify(sizes)}`);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('the options page shows whether the full network capture is on', async () => {
  for (const net of NETWORKS) {
    const b = await h.launch({ dist: net.dist(), host: false });
    try {
      const opts = await b.ctx.newPage();
      await opts.goto('chrome-extension://pgblapmpbbjjadbhpohickicabgcppge/options.html');
      await opts.waitForFunction(() => document.getElementById('full_network_status').textContent !== '');
      assert.equal(await opts.isChecked('#full_network'), !net.hook, net.name);
      assert.equal(await b.sw.evaluate(() => typeof chrome.webRequest), net.hook ? 'undefined' : 'object', net.name);
    } finally {
      await b.close();
    }
  }
});

test('the user clicks "Log out"', async () => {
  await scenario({
    demoArgs: ['--poll', '1s', '--reports-every', '0'],
    act: ({ page }) => page.click('#logout'),
    cause: 'user_logout',
    coarse: 'USER_ACTION',
    trigger: 'user_action',
  });
});

test('events wait for a missing collector and arrive once it is installed', async () => {
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  const b = await h.launch({ host: false });
  try {
    await h.signInAndLogOut(b, demo.base);
    const queued = await h.waitFor(async () => {
      const s = await h.relayStatus(b.sw);
      return s.queued >= 10 && s;
    }, { what: 'events to queue up' });
    assert.equal(queued.connected, false);
    assert.deepEqual(h.dbEvents(b.db), [], 'nothing stored without a collector');
    h.installHost(b.udd);
    // The logout waits in the worker for its cause (the pages' module) before it is queued.
    await h.waitFor(() => h.dbEvents(b.db).some((r) => r.kind === 'logout_observed'), { what: 'the logout to be stored', timeout: 30000 });
    const done = await h.drained(b.sw, 30000);
    const rows = h.dbEvents(b.db);
    const ids = rows.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'each event once');
    assert.equal(rows.length, done.acked, 'every acked event is stored');
    assert.equal(done.duplicates, 0);
    assert.equal(done.dropped, 0);
    assert.ok(rows.length >= queued.queued, `${rows.length} stored >= ${queued.queued} buffered`);
    assert.equal(rows.filter((r) => r.kind === 'logout_observed').length, 1);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('buffered events survive a restart of the extension worker', async () => {
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  const b = await h.launch({ host: false });
  try {
    const secrets = captureSecrets(b.ctx);
    const page = await h.signInAndLogOut(b, demo.base, (p) => rememberSecrets(p, b.ctx, secrets));
    // The ring as the worker saved it in chrome.storage.local, once it holds the logout.
    const saved = await h.waitFor(async () => {
      const { relay } = await b.sw.evaluate(() => chrome.storage.local.get('relay'));
      if (!relay) return null;
      const events = JSON.parse(relay).events;
      return events.some((e) => JSON.parse(e.json).kind === 'logout_observed') && events.map((e) => e.id);
    }, { what: 'the ring to be saved with the logout in it' });
    // With the collector connected the ring is rarely written (acked events
    // leave nothing to save); here it holds the whole session, redacted.
    assert.ok(secrets.size > 0, 'the scenario saw tokens to look for');
    const ring = await b.sw.evaluate(() => chrome.storage.local.get(null).then((o) => JSON.stringify(o)));
    assertNoTokenIn(ring, secrets, 'the saved ring');
    // Stop the worker as Chromium does when it idles out: its memory is gone, storage.local stays.
    await b.sw.evaluate(() => {
      globalThis.beforeRestart = true;
    });
    const cdp = await b.ctx.newCDPSession(page);
    const { targetInfos } = await cdp.send('Target.getTargets');
    const worker = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith('chrome-extension://'));
    await cdp.send('Target.closeTarget', { targetId: worker.targetId });
    // A page's requests wake the worker again, as they would for a user.
    await page.goto(`${demo.base}/signin`);
    const sw = await h.waitFor(
      async () => {
        const w = b.ctx.serviceWorkers()[0];
        return w && (await w.evaluate(() => globalThis.beforeRestart === undefined)) && w;
      },
      { what: 'a restarted worker (nothing left in memory)' },
    );
    const restored = await h.waitFor(() => h.relayStatus(sw), { what: 'the restarted worker' });
    assert.equal(restored.connected, false);
    assert.ok(restored.queued >= saved.length, `${restored.queued} queued after the restart >= ${saved.length} saved`);
    h.installHost(b.udd);
    const done = await h.drained(sw, 60000);
    const rows = h.dbEvents(b.db);
    const ids = rows.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'each event once');
    assert.equal(done.duplicates, 0);
    const stored = new Set(ids);
    const lost = saved.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], 'every event saved before the restart reaches the collector');
    assert.equal(rows.filter((r) => r.kind === 'logout_observed').length, 1);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('with the collector connected, page loads leave the saved ring alone', async () => {
  const demo = await h.startDemo(['--poll', '10s', '--reports-every', '0']);
  const b = await h.launch();
  try {
    const page = await b.ctx.newPage();
    await h.signIn(page, demo.base);
    const before = await h.drained(b.sw);
    await b.sw.evaluate(() => {
      globalThis.ringWrites = 0;
      chrome.storage.onChanged.addListener((c, area) => {
        if (area === 'local' && c.relay) globalThis.ringWrites++;
      });
    });
    const LOADS = 6;
    for (let i = 0; i < LOADS; i++) {
      await page.reload();
      await page.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
      // Past the worker's batching and the ring's 500 ms save delay.
      await new Promise((r) => setTimeout(r, 1200));
    }
    const after = await h.drained(b.sw);
    assert.ok(after.acked >= before.acked + LOADS, `events to save on every load: ${before.acked} -> ${after.acked} acked`);
    // Every load's events were acked while the save waited for them (it
    // waits while the collector holds every queued event, up to 2 s):
    // nothing for a restart to see, so no write (one per load before). An
    // ack slower than that costs two (the events, then the empty ring).
    const writes = await b.sw.evaluate(() => globalThis.ringWrites);
    assert.ok(writes <= 2, `${writes} ring writes for ${LOADS} loads`);
  } finally {
    await b.close();
    demo.stop();
  }
});

test('the popup shows the relay state', async () => {
  const b = await h.launch();
  try {
    const page = await b.ctx.newPage();
    await page.goto('https://example.invalid/').catch(() => {});
    const popup = await b.ctx.newPage();
    const errors = [];
    popup.on('pageerror', (e) => errors.push(String(e)));
    await popup.goto('chrome-extension://pgblapmpbbjjadbhpohickicabgcppge/popup.html');
    await popup.waitForFunction(() => document.getElementById('status').children.length >= 8);
    const text = await popup.textContent('#status');
    assert.match(text, /Collector/);
    assert.match(text, /Waiting to be stored/);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('web-ext lint passes for dist/firefox', () => {
  const out = execFileSync(
    path.join(h.ROOT, 'e2e/node_modules/.bin/web-ext'),
    ['lint', '--source-dir', path.join(h.ROOT, 'dist/firefox'), '--output', 'json', '--no-input'],
    { encoding: 'utf8', cwd: path.join(h.ROOT, 'e2e') },
  );
  const report = JSON.parse(out.slice(out.indexOf('{')));
  assert.equal(report.summary.errors, 0, JSON.stringify(report.errors, null, 1));
  assert.equal(report.summary.warnings, 0, JSON.stringify(report.warnings, null, 1));
});
