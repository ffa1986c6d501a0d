// One browser profile, many sites, one run: the way a developer uses the
// extension all day. Demo instances on 127.0.0.1 and localhost ports (each
// port its own origin; 127.0.0.1 and localhost different sites; two ports of
// one host share cookies) produce six logout causes in sequence, with every
// tab left open. For each logout the stored cause (collector DB), the popup's
// Diagnose and the text in the page (overlay or sign-in banner) must name it.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './extension/helpers.mjs';
import * as v from './extension/views.mjs';

before(() => h.checkPrerequisites());

/** The model's titles of the causes this run produces (`Cause::title`). */
const TITLES = {
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

test('one profile, six sites, six logout causes in sequence: DB, popup and page all name each cause', async () => {
  const demos = [];
  const start = async (args, host) => {
    const d = await h.startDemo(args, { host });
    demos.push(d);
    return d;
  };
  const quiet = ['--reports-every', '0'];
  // A: signs out by click. B: logs out on the 403 its first poll gets. C: a
  // short session cookie. E: stays signed in on C's host the whole time.
  // F: two tabs race one refresh token. G: tokens expire while idle.
  // H: the page clears its own tokens (polls rarely, so it stays put).
  const A = await start(['--poll', '1s', ...quiet], '127.0.0.1');
  const B = await start(['--logout-on-403', '--reports-every', '1', '--poll', '60s'], 'localhost');
  const C = await start(['--cookie-max-age', '8s', '--poll', '1s', ...quiet], '127.0.0.1');
  const E = await start(['--poll', '2s', ...quiet], '127.0.0.1');
  const F = await start(['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--uncoordinated-refresh', '--grace', '0s', ...quiet], 'localhost');
  const G = await start(['--access-ttl', '2s', '--leeway', '0s', '--poll', '1s', '--refresh-ttl-no-remember', '6s', ...quiet], 'localhost');
  const H = await start(['--poll', '60s', ...quiet], 'localhost');
  const b = await h.launch();
  // Wrong verdicts are collected rather than thrown, so one run shows them all.
  const problems = [];
  const check = (ok, what) => ok || problems.push(what);
  const verdicts = {};

  /** Checks one logout everywhere the user would look. */
  async function verify(site, page, cause, name) {
    const logout = await storedLogout(b.db, site.base);
    verdicts[name] = logout.cause;
    check(logout.cause === cause, `${name} (${site.base}): stored cause ${logout.cause}, expected ${cause}`);
    const tab = await v.tabId(b, page);
    const { popup, errors } = await v.openPopup(b, tab);
    try {
      const item = await v.newestLogout(popup);
      check(item.includes(TITLES[cause]), `${name}: the popup lists "${item}", expected "${TITLES[cause]}"`);
      const d = await v.diagnoseNewest(popup);
      check(d.first.includes(TITLES[cause]), `${name}: Diagnose ranks first "${d.first.slice(0, 80)}", expected "${TITLES[cause]}"`);
      check(errors.length === 0, `${name}: popup errors ${errors}`);
    } finally {
      await popup.close();
    }
    // The overlay (still on the app's page) or the banner (on its sign-in page).
    const ui = await v.waitForPageUi(b.ctx, page, { timeout: 15000 }).catch(() => null);
    if (!ui) {
      check(false, `${name}: neither overlay nor banner on ${page.url()}`);
    } else if (ui.kind === 'banner') {
      const code = ui.details.map(([k, val]) => `${k}=${val}`).join(' ');
      check(code.includes(cause), `${name}: the banner's details say "${code}", expected ${cause}`);
    } else {
      const want = TITLES[cause].toLowerCase();
      check(ui.text.toLowerCase().includes(want), `${name}: the overlay says "${ui.text}", expected "${want}"`);
    }
    return logout;
  }

  try {
    // 1. A: sign in, then "Log out".
    const tabA = await b.ctx.newPage();
    await h.signIn(tabA, A.base);
    await tabA.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 2);
    await tabA.click('#logout');
    const clickedAt = Date.now();
    await tabA.waitForURL(/\/signin/);
    await verify(A, tabA, 'user_logout', 'A');

    // 2. B, another site, logs out 8–15 s after A's click (its first poll gets a 403).
    const tabB = await b.ctx.newPage();
    await new Promise((r) => setTimeout(r, Math.max(0, clickedAt + 9000 - Date.now())));
    await tabB.goto(`${B.base}/signin`);
    await tabB.fill('#email', 'demo@example.com');
    await tabB.fill('#password', 'demo-password');
    await tabB.click('#signin');
    await tabB.waitForURL(/\/signin\?reason=/, { timeout: 20000 });
    const lb = await verify(B, tabB, 'forbidden_treated_as_logout', 'B');
    const gap = lb.ts_ms - clickedAt;
    assert.ok(gap >= 8000 && gap <= 15000, `B's logout came ${gap} ms after A's click (the case needs 8–15 s)`);

    // 3. C's session cookie expires; E, on another port of the same host,
    // signed in after C (so it is the newest tab on that host), must stay
    // signed in, and A's tab (same host, signed out) must not log out again.
    const tabC = await b.ctx.newPage();
    await h.signIn(tabC, C.base);
    const tabE = await b.ctx.newPage();
    await h.signIn(tabE, E.base);
    await tabE.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
    await tabC.waitForURL(/\/signin/, { timeout: 30000 });
    await verify(C, tabC, 'session_cookie_expired', 'C');

    // 4. F: two tabs of one app refresh with the same token; rotation rejects one.
    const tabF = await b.ctx.newPage();
    await h.signIn(tabF, F.base);
    const tabF2 = await b.ctx.newPage();
    await tabF2.goto(`${F.base}/dashboard`);
    const lf = await storedLogout(b.db, F.base, 30000);
    const loserF = lf.tab === (await v.tabId(b, tabF2)) ? tabF2 : tabF;
    await loserF.waitForURL(/\/signin/, { timeout: 20000 });
    await verify(F, loserF, 'refresh_token_reused', 'F');

    // 5. G: the user is idle; the access token expires and the refresh fails.
    const tabG = await b.ctx.newPage();
    await h.signIn(tabG, G.base);
    await tabG.waitForURL(/\/signin/, { timeout: 30000 });
    await verify(G, tabG, 'refresh_token_expired', 'G');

    // 6. B's tab goes to another site (H) in place; H's page clears its own tokens.
    const navAt = Date.now();
    await h.signIn(tabB, H.base);
    await tabB.waitForFunction(() => Number(document.getElementById('api-ok').textContent) >= 1);
    await tabB.evaluate(() => localStorage.clear());
    const lh = await verify(H, tabB, 'storage_cleared_by_page', 'H');
    check(lh.path === '/dashboard', `H: logout path ${lh.path}`);

    // What must not have happened anywhere in the run.
    await h.drained(b.sw);
    const all = h.dbEvents(b.db).map((r) => r.event);
    const logouts = all.filter((e) => e.kind === 'logout_observed');
    for (const [name, site] of Object.entries({ A, B, C, G, H })) {
      const mine = logouts.filter((e) => e.origin === site.base);
      check(mine.length === 1, `${name}: ${mine.length} logouts stored (${mine.map((e) => e.cause)}), expected 1`);
    }
    check(logoutsOf(b.db, E.base).length === 0, `E (same host as C): phantom logouts ${JSON.stringify(logoutsOf(b.db, E.base))}`);
    const tabBId = await v.tabId(b, tabB);
    const misfiled = all.filter((e) => e.tab === tabBId && e.ts_ms >= navAt + 1000 && e.origin !== H.base);
    check(misfiled.length === 0, `after tab B went to H: events filed under another site: ${JSON.stringify(misfiled.map((e) => [e.kind, e.origin, e.path]))}`);
    // E is still signed in, by its popup.
    const { popup } = await v.openPopup(b, await v.tabId(b, tabE));
    await popup.waitForFunction(() => document.querySelector('#site-status').textContent !== '');
    const status = await popup.textContent('#site-status');
    check(/Signed in/.test(status), `E's popup says "${status}"`);
    await popup.close();

    const causes = new Set(Object.values(verdicts));
    check(causes.size >= 5, `distinct causes: ${[...causes]}`);
    assert.deepEqual(problems, [], `verdicts: ${JSON.stringify(verdicts)}`);
  } finally {
    await b.close();
    for (const d of demos) d.stop();
  }
});
