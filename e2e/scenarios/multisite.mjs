// One browser profile, many sites, one run: the way a developer uses the
// extension all day, shared by the Chromium run (multisite.test.mjs) and the
// Firefox run (firefox/multisite.test.mjs). Demo instances on 127.0.0.1 and
// localhost ports (each port its own origin; 127.0.0.1 and localhost
// different sites; two ports of one host share cookies) produce six logout
// causes in sequence, with every tab left open. For each logout the stored
// cause (collector DB), the popup's Diagnose and the text in the page
// (overlay or sign-in banner) must name it.
//
// The scenario drives a browser through `browser`, which each run makes
// from its own harness:
//
// - `db`: the collector's DB file;
// - `newTab()`, `goto(tab, url)`, `url(tab)`, `type(tab, selector, text)`,
//   `click(tab, selector)`, `evaluate(tab, fn)`;
// - `signIn(tab, base)`: the demo's form with real input, on to its dashboard;
// - `waitForUrl(tab, re, timeout)`, `apiCalls(tab, n)` (the dashboard's API
//   counter reaches `n`);
// - `tabId(tab)`: the browser's id of the tab (the extension's view);
// - `popup(tabId)`: the popup for that tab, as `{ newestLogout(), diagnoseNewest()
//   → first cause's text, siteStatus(), errors, close() }`;
// - `pageUi(tab)`: the in-page UI as `{ kind, text, details? }` or null;
// - `drained()`: resolves once the extension's queue is in the collector.
import assert from 'node:assert/strict';
import * as h from '../extension/helpers.mjs';

/** The model's titles of the causes this run produces (`Cause::title`). */
export const TITLES = {
  user_logout: 'You logged out',
  forbidden_treated_as_logout: 'A 403 was treated as a logout',
  session_cookie_expired: 'Session cookie expired',
  refresh_token_reused: 'Refresh token already used by another tab',
  refresh_token_expired: 'Refresh token expired',
  storage_cleared_by_page: "The page's own script cleared the credentials",
};

const logoutsOf = (db, origin) =>
  h.dbEvents(db, "kind = 'logout_observed'").map((r) => r.event).filter((e) => e.origin === origin);

/** The first stored logout of `origin` (held logouts reach the collector with their cause). */
function storedLogout(db, origin, timeout = 30000) {
  return h.waitFor(() => logoutsOf(db, origin)[0], { timeout, what: `a logout of ${origin} in the collector DB` });
}

/**
 * The demo instances of the run, started (each stopped by `stop()`):
 * A signs out by click. B logs out on the 403 its first poll gets. C: a
 * short session cookie. E stays signed in on C's host the whole time.
 * F: two tabs race one refresh token. G: tokens expire while idle.
 * H: the page clears its own tokens (polls rarely, so it stays put).
 */
export async function startSites() {
  const demos = [];
  const start = async (args, host) => {
    const d = await h.startDemo(args, { host });
    demos.push(d);
    return d;
  };
  const quiet = ['--reports-every', '0'];
  try {
    return {
      A: await start(['--poll', '1s', ...quiet], '127.0.0.1'),
      B: await start(['--logout-on-403', '--reports-every', '1', '--poll', '60s'], 'localhost'),
      C: await start(['--cookie-max-age', '8s', '--poll', '1s', ...quiet], '127.0.0.1'),
      E: await start(['--poll', '2s', ...quiet], '127.0.0.1'),
      F: await start(['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--uncoordinated-refresh', '--grace', '0s', ...quiet], 'localhost'),
      G: await start(['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--refresh-ttl-no-remember', '6s', ...quiet], 'localhost'),
      H: await start(['--poll', '60s', ...quiet], 'localhost'),
      stop: () => demos.forEach((d) => d.stop()),
    };
  } catch (e) {
    demos.forEach((d) => d.stop());
    throw e;
  }
}

/** Runs the scenario on `browser` against `sites` (`startSites()`); throws with every wrong verdict. */
export async function multisite(browser, sites) {
  const { A, B, C, E, F, G, H } = sites;
  // Wrong verdicts are collected rather than thrown, so one run shows them all.
  const problems = [];
  const check = (ok, what) => ok || problems.push(what);
  const verdicts = {};

  /** Checks one logout everywhere the user would look. */
  async function verify(site, tab, cause, name) {
    const logout = await storedLogout(browser.db, site.base);
    verdicts[name] = logout.cause;
    check(logout.cause === cause, `${name} (${site.base}): stored cause ${logout.cause}, expected ${cause}`);
    const popup = await browser.popup(await browser.tabId(tab));
    try {
      const item = await popup.newestLogout();
      check(item.includes(TITLES[cause]), `${name}: the popup lists "${item}", expected "${TITLES[cause]}"`);
      const first = await popup.diagnoseNewest();
      check(first.includes(TITLES[cause]), `${name}: Diagnose ranks first "${first.slice(0, 80)}", expected "${TITLES[cause]}"`);
      check(popup.errors.length === 0, `${name}: popup errors ${popup.errors}`);
    } finally {
      await popup.close();
    }
    // The overlay (still on the app's page) or the banner (on its sign-in page).
    const ui = await h
      .waitFor(async () => (await browser.pageUi(tab).catch(() => null)) || null, { timeout: 15000, what: `the overlay or banner on ${browser.url(tab)}` })
      .catch(() => null);
    if (!ui) {
      check(false, `${name}: neither overlay nor banner on ${browser.url(tab)}`);
    } else if (ui.kind === 'banner') {
      const said = ui.details ? ui.details.map(([k, val]) => `${k}=${val}`).join(' ') : ui.text;
      check(said.includes(cause), `${name}: the banner says "${said}", expected ${cause}`);
    } else {
      const want = TITLES[cause].toLowerCase();
      check(ui.text.toLowerCase().includes(want), `${name}: the overlay says "${ui.text}", expected "${want}"`);
    }
    return logout;
  }

  // 1. A: sign in, then "Log out".
  const tabA = await browser.newTab();
  await browser.signIn(tabA, A.base);
  await browser.apiCalls(tabA, 2);
  await browser.click(tabA, '#logout');
  const clickedAt = Date.now();
  await browser.waitForUrl(tabA, /\/signin/);
  await verify(A, tabA, 'user_logout', 'A');

  // 2. B, another site, logs out 8–15 s after A's click (its first poll gets a 403).
  const tabB = await browser.newTab();
  await new Promise((r) => setTimeout(r, Math.max(0, clickedAt + 9000 - Date.now())));
  await browser.goto(tabB, `${B.base}/signin`);
  await browser.type(tabB, '#email', 'demo@example.com');
  await browser.type(tabB, '#password', 'demo-password');
  await browser.click(tabB, '#signin');
  await browser.waitForUrl(tabB, /\/signin\?reason=/, 20000);
  const lb = await verify(B, tabB, 'forbidden_treated_as_logout', 'B');
  const gap = lb.ts_ms - clickedAt;
  assert.ok(gap >= 8000 && gap <= 15000, `B's logout came ${gap} ms after A's click (the case needs 8–15 s)`);

  // 3. C's session cookie expires; E, on another port of the same host,
  // signed in after C (so it is the newest tab on that host), must stay
  // signed in, and A's tab (same host, signed out) must not log out again.
  const tabC = await browser.newTab();
  await browser.signIn(tabC, C.base);
  const tabE = await browser.newTab();
  await browser.signIn(tabE, E.base);
  await browser.apiCalls(tabE, 1);
  await browser.waitForUrl(tabC, /\/signin/, 30000);
  await verify(C, tabC, 'session_cookie_expired', 'C');

  // 4. F: two tabs of one app refresh with the same token; rotation rejects one.
  const tabF = await browser.newTab();
  await browser.signIn(tabF, F.base);
  const tabFId = await browser.tabId(tabF);
  const tabF2 = await browser.newTab();
  await browser.goto(tabF2, `${F.base}/dashboard`);
  // The tab the logout is filed under is the loser, which the app sends to
  // its sign-in page (a tab is known by its URL, so F's is asked while it
  // is the only one on F's dashboard).
  const lf = await storedLogout(browser.db, F.base, 30000);
  const loserF = lf.tab === tabFId ? tabF : tabF2;
  await browser.waitForUrl(loserF, /\/signin/, 20000);
  await verify(F, loserF, 'refresh_token_reused', 'F');

  // 5. G: the user is idle; the access token expires and the refresh fails.
  const tabG = await browser.newTab();
  await browser.signIn(tabG, G.base);
  await browser.waitForUrl(tabG, /\/signin/, 30000);
  await verify(G, tabG, 'refresh_token_expired', 'G');

  // 6. B's tab goes to another site (H) in place; H's page clears its own tokens.
  const navAt = Date.now();
  await browser.signIn(tabB, H.base);
  await browser.apiCalls(tabB, 1);
  await browser.evaluate(tabB, () => localStorage.clear());
  const lh = await verify(H, tabB, 'storage_cleared_by_page', 'H');
  check(lh.path === '/dashboard', `H: logout path ${lh.path}`);

  // What must not have happened anywhere in the run.
  await browser.drained();
  const all = h.dbEvents(browser.db).map((r) => r.event);
  const logouts = all.filter((e) => e.kind === 'logout_observed');
  for (const [name, site] of Object.entries({ A, B, C, G, H })) {
    const mine = logouts.filter((e) => e.origin === site.base);
    check(mine.length === 1, `${name}: ${mine.length} logouts stored (${mine.map((e) => e.cause)}), expected 1`);
  }
  check(logoutsOf(browser.db, E.base).length === 0, `E (same host as C): phantom logouts ${JSON.stringify(logoutsOf(browser.db, E.base))}`);
  const tabBId = await browser.tabId(tabB);
  const misfiled = all.filter((e) => e.tab === tabBId && e.ts_ms >= navAt + 1000 && e.origin !== H.base);
  check(misfiled.length === 0, `after tab B went to H: events filed under another site: ${JSON.stringify(misfiled.map((e) => [e.kind, e.origin, e.path]))}`);
  // E is still signed in, by its popup.
  const popup = await browser.popup(await browser.tabId(tabE));
  try {
    const status = await popup.siteStatus();
    check(/Signed in/.test(status), `E's popup says "${status}"`);
  } finally {
    await popup.close();
  }

  const causes = new Set(Object.values(verdicts));
  check(causes.size >= 5, `distinct causes: ${[...causes]}`);
  assert.deepEqual(problems, [], `verdicts: ${JSON.stringify(verdicts)}`);
}
