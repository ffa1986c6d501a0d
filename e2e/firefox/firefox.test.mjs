// The Logout Lens add-on in a real Firefox ESR (WebDriver BiDi through
// puppeteer-core), against the demo app, with the real collector as its
// native host: each logout scenario reaches the collector with its cause,
// the popup lists it, and the page shows the add-on's in-page alert.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`;
// `apt-get install firefox-esr`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from '../extension/helpers.mjs';
import * as ff from './harness.mjs';

const VERSION = JSON.parse(fs.readFileSync(path.join(ff.FIREFOX_DIST, 'manifest.json'), 'utf8')).version;

before(() => ff.checkFirefoxPrerequisites());

/** The tokens the signed-in page holds (storage and cookies), to scan for. */
async function secretsOf(page) {
  const secrets = new Set();
  const stored = await page.evaluate(() => [localStorage.getItem('access_token'), localStorage.getItem('refresh_token')]);
  for (const v of stored) if (v && v.length >= 16) secrets.add(v);
  for (const c of await page.cookies()) if (c.value.length >= 16) secrets.add(c.value);
  return secrets;
}

/** No raw token, nor a JWT part of one, in any file of the collector's DB. */
function assertNoRawTokens(db, secrets) {
  assert.ok(secrets.size > 0, 'the scenario saw tokens to look for');
  for (const [file, bytes] of h.filesUnder(path.dirname(db))) {
    const text = bytes.toString('latin1');
    for (const s of secrets) {
      assert.ok(!text.includes(s), `raw token in ${file}`);
      for (const part of s.split('.').filter((p) => p.length >= 16)) assert.ok(!text.includes(part), `a token part in ${file}`);
    }
  }
}

/**
 * The popup's newest logout for the tab showing `page`, once its cause is
 * in, and its collector section's Version row.
 */
async function popupLogout(b, page) {
  const popup = await ff.openPopup(b, page);
  try {
    const logout = await h.waitFor(() => popup.evaluate(() => {
      const li = document.querySelector('#logouts li');
      return li && !/Finding the cause/.test(li.textContent) && li.textContent;
    }), { what: 'the logout in the popup' });
    const version = await popup.evaluate(() => {
      const dt = [...document.querySelectorAll('#status dt')].find((d) => d.textContent === 'Version');
      return dt && dt.nextElementSibling.textContent;
    });
    return { logout, version };
  } finally {
    await popup.close();
  }
}

/**
 * One scenario: the demo with `demoArgs`, sign in with real input, `act`
 * provokes the logout; then the stored verdict, the popup and the in-page
 * alert (`ui`: the overlay on the page, or the banner on the sign-in page)
 * of the tab that logged out.
 */
async function scenario({ demoArgs, act, cause, coarse, trigger, ui, minIdleMs = 0 }) {
  const demo = await h.startDemo(demoArgs);
  const b = await ff.launchFirefox();
  try {
    const page = await b.browser.newPage();
    const lastInput = await ff.signIn(page, demo.base);
    const secrets = await secretsOf(page);
    const acted = await act({ page, b, demo });
    const pages = Array.isArray(acted) ? acted : [page];

    const logout = (await h.waitFor(() => {
      const r = h.dbEvents(b.db, "kind = 'logout_observed'");
      return r.length && r;
    }, { timeout: 30000, what: 'a logout_observed event in the collector DB' }))[0].event;
    assert.equal(logout.cause, cause, JSON.stringify(logout));
    assert.equal(logout.coarse, coarse);
    if (trigger) assert.equal(logout.trigger, trigger);
    assert.equal(logout.origin, demo.base);
    assert.ok(logout.idle_ms >= minIdleMs, `idle ${logout.idle_ms} ms >= ${minIdleMs}`);
    assert.ok(logout.idle_ms <= logout.ts_ms - lastInput + 3000, `idle ${logout.idle_ms} ms is at most the time since the last input`);

    // The tab that logged out shows the alert: the banner once on the sign-in page.
    const [tab, alert] = await Promise.any(pages.map(async (p) => [p, await ff.inPageUi(b, p, ui)]));
    if (ui === 'banner') assert.ok(alert.includes(`(${cause})`), alert);
    else assert.match(alert, /You're being logged out — .+ — idle \d+ s/);

    const listed = await popupLogout(b, tab);
    assert.ok(listed.logout.includes(`${coarse} · ${cause}`), listed.logout);
    assert.equal(listed.version, `logout-lens ${VERSION} · protocol 1 · schema 1`);

    await ff.drained(b.ext);
    assertNoRawTokens(b.db, secrets);
    return { logout, b };
  } finally {
    await b.close();
    demo.stop();
  }
}

test('Firefox: the user clicks "Log out"', async () => {
  await scenario({
    demoArgs: ['--poll', '1s', '--reports-every', '0'],
    act: async ({ page }) => {
      await page.click('#logout');
      await ff.onSignIn(page);
    },
    cause: 'user_logout',
    coarse: 'USER_ACTION',
    trigger: 'user_action',
    ui: 'banner',
  });
});

test('Firefox: the access token expires while the user is idle and the refresh fails', async () => {
  await scenario({
    demoArgs: ['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--refresh-ttl-no-remember', '6s', '--reports-every', '0'],
    act: ({ page }) => ff.onSignIn(page),
    cause: 'refresh_token_expired',
    coarse: 'TOKEN_EXPIRED',
    minIdleMs: 4000,
    ui: 'banner',
  });
});

test('Firefox: two tabs refresh with the same token and rotation rejects the loser', async () => {
  await scenario({
    demoArgs: ['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--uncoordinated-refresh', '--grace', '0s', '--reports-every', '0'],
    act: async ({ page, b, demo }) => {
      const second = await b.browser.newPage();
      await second.goto(`${demo.base}/dashboard`);
      return [page, second];
    },
    cause: 'refresh_token_reused',
    coarse: 'REFRESH_FAILED',
    ui: 'banner',
  });
});

test("Firefox: the page's own script clears localStorage", async () => {
  await scenario({
    // The app polls rarely, so it stays on the dashboard: the overlay, not the banner.
    demoArgs: ['--poll', '60s', '--reports-every', '0'],
    act: async ({ page }) => {
      await page.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
      await new Promise((r) => setTimeout(r, 1500));
      await page.evaluate(() => localStorage.clear());
    },
    cause: 'storage_cleared_by_page',
    coarse: 'AUTH_ERROR',
    trigger: 'credentials_vanished',
    ui: 'overlay',
  });
});

test('Firefox: a short session cookie expires', async () => {
  await scenario({
    demoArgs: ['--cookie-max-age', '3s', '--poll', '1s', '--reports-every', '0'],
    act: ({ page }) => ff.onSignIn(page),
    cause: 'session_cookie_expired',
    coarse: 'TOKEN_EXPIRED',
    minIdleMs: 2000,
    ui: 'banner',
  });
});

// Firefox shuts a site's content process down as soon as its last tab is
// closed or navigated away, and from the moment the process is told so it
// aborts the next page or content script that runs, however short, with
// "Script terminated by timeout" on its console. The add-on's scripts must
// never be caught so: nothing of theirs may run in a document's teardown
// (see content/isolated.js, `leave`). Checked as pages are reloaded and
// navigated and the app logs out (one test), and as tabs open and close, a
// user's way (beforeunload first; another), each tab in a process of its own.
// `whole`: check the whole session, not only what follows the sign-in.
async function leavePages(leave, { whole = false } = {}) {
  const demo = await h.startDemo(['--poll', '1s', '--reports-every', '0']);
  const b = await ff.launchFirefox();
  try {
    const page = await b.browser.newPage();
    await ff.signIn(page, demo.base);
    const from = whole ? 0 : b.lines.length;
    await leave({ b, demo, page });
    await page.click('#logout');
    await ff.onSignIn(page);
    await ff.drained(b.ext);
    const after = { lines: b.lines.slice(from) };
    const ours = ff.scriptTimeouts(after).concat(after.lines.filter((l) => l.includes(ff.EXT) && /timeout/i.test(l)));
    assert.deepEqual([...new Set(ours)], []);
  } finally {
    await b.close();
    demo.stop();
  }
}

const apiCalled = (p) => p.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);

test('Firefox: reloads, navigations and the logout never trip the slow-script timeout in the add-on', async () => {
  await leavePages(async ({ b, demo, page }) => {
    for (let i = 0; i < 4; i++) {
      await apiCalled(page);
      await page.reload();
    }
    const tab = await b.browser.newPage();
    for (let i = 0; i < 3; i++) {
      await tab.goto(`${demo.base}/dashboard`);
      await apiCalled(tab);
      await tab.goto(`${demo.base}/signin`);
    }
  });
});

test('Firefox: opening and closing tabs never trips the slow-script timeout in the add-on', async () => {
  await leavePages(async ({ b, demo }) => {
    for (let i = 0; i < 12; i++) {
      const tab = await b.browser.newPage();
      await tab.goto(`${demo.base}/dashboard`);
      await apiCalled(tab);
      await tab.goto(`${demo.base}/signin`);
      // As a user closes a tab: Firefox asks the page first (beforeunload).
      await tab.close({ runBeforeUnload: true });
    }
  }, { whole: true });
});

// Nothing listens for `visibilitychange` on a visible page (see above): its
// turn to hidden is seen by looking, and the turn back by the event.
test('Firefox: a tab sent to the background reports hidden, and visible once it is back', async () => {
  const demo = await h.startDemo(['--poll', '60s', '--reports-every', '0']);
  const b = await ff.launchFirefox();
  try {
    const page = await b.browser.newPage();
    await ff.signIn(page, demo.base);
    await apiCalled(page);
    const states = () =>
      h.dbEvents(b.db, "kind = 'page_lifecycle'").map((r) => r.event).filter((e) => e.origin === demo.base).map((e) => e.state);
    const reported = (state) =>
      h.waitFor(async () => (await ff.drained(b.ext)) && states().includes(state), { timeout: 20000, what: `page_lifecycle ${state} of ${demo.base}` });
    // The forwarder starts once the page is idle after its load.
    await new Promise((r) => setTimeout(r, 2500));
    await b.browser.newPage();
    await reported('hidden');
    await page.bringToFront();
    await reported('visible');
    assert.deepEqual(states().slice(0, 2), ['hidden', 'visible']);
  } finally {
    await b.close();
    demo.stop();
  }
});
