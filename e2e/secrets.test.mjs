// The secret scan, through the real extension in a real headless Chromium:
// a leaky app puts JWTs, bearer tokens, e-mail addresses and cookie values
// into every string the extension records (page paths like /magic/<JWT>,
// ;jsessionid=, #/reset/<token>, query strings, storage keys, inline-script
// stacks whose URL has ?code=, button labels, request bodies, Authorization,
// WWW-Authenticate, X-Auth-Error-Code and Location headers, Set-Cookie), logs
// out twice, and then none of them may be found in the saved ring
// (chrome.storage.local), the popup's Copy full state and Export trace, the
// overlay and banner, the collector's DB files, or the output of any CLI
// command (list, show, tail, diagnose, export, export --har, report, doctor,
// import and what is read back from the import). Once with the page hook
// (the default) and once with webRequest (the opt-in full capture, which
// also sees Set-Cookie, redirects and document loads).
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './extension/helpers.mjs';
import * as v from './extension/views.mjs';
import { serve, jwt, opaque, opaqueLetters, findSecrets } from './extension/sites.mjs';

before(() => h.checkPrerequisites());

/** Fresh secrets for one run, named by where they are planted. */
function plant() {
  const email = `alice.${opaque('').slice(0, 8).toLowerCase().replace(/[^a-z0-9]/g, 'x')}@example.com`;
  return {
    email,
    password: opaque('pw-'),
    jwtPath: jwt({ purpose: 'magic-link' }),
    jsessionid: opaque('JS'),
    code: opaque('code-'),
    reset: opaque('reset-'),
    accessJwt: jwt({ sub: email, email, name: 'Alice Secret' }),
    idTokenKeyJwt: jwt({ purpose: 'key' }),
    refresh: opaque('rt-'),
    bearer: opaque('opaque-bearer-'),
    cookieJs: opaque('cj-'),
    cookieServer: opaque('cs-'),
    loginAccess: jwt({ sub: email }),
    loginRefresh: opaque('lr-'),
    queryJwt: jwt({ purpose: 'query' }),
    wwwJwt: jwt({ purpose: 'www-authenticate' }),
    errorCodeJwt: jwt({ purpose: 'x-auth-error-code' }),
    locationJwt: jwt({ purpose: 'location' }),
    code2: opaque('code2-'),
    // Without a digit: a random token sometimes has none.
    resetLetters: opaqueLetters('resetb-'),
    jsessionid2: opaque('JT'),
    clientSecret: opaque('cs2-'),
    code3: opaque('code3-'),
    resetLetters2: opaqueLetters('resetc-'),
  };
}

/** The leaky app: every answer and every page script carries a secret somewhere. */
function leakyApp(s) {
  const page = (title, script) => `<!doctype html><html><head><title>${title}</title></head><body>
<h1>${title}</h1><button id=out type=button>Log out ${s.email}</button>
<script>
const S = ${JSON.stringify(s)};
// Signed in: a JWT and an opaque refresh token in storage, a token under a key naming the user, a session cookie.
function signin() {
  localStorage.setItem('access_token', S.accessJwt);
  localStorage.setItem('refresh_token', S.refresh);
  localStorage.setItem('id_token:' + S.email, S.idTokenKeyJwt);
  document.cookie = 'sid=' + S.cookieJs + '; path=/';
}
// The app's own script drops its credentials (its frame in the stack names this page's URL).
function wipe() {
  document.cookie = 'sid=; max-age=0; path=/';
  localStorage.clear();
}
async function calls() {
  await fetch('/v1/auth/login/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: S.email, password: S.password }) });
  await fetch('/api/me?access_token=' + S.queryJwt + '&code=' + S.code + '&email=' + encodeURIComponent(S.email), { headers: { Authorization: 'Bearer ' + S.accessJwt } });
  await fetch('/api/data;jsessionid=' + S.jsessionid2, { headers: { Authorization: 'Bearer ' + S.bearer } });
  await fetch('/v1/auth/refresh/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: S.refresh }) });
  await new Promise((done) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/oauth/token');
    x.setRequestHeader('content-type', 'application/x-www-form-urlencoded');
    x.onloadend = done;
    x.send('grant_type=refresh_token&refresh_token=' + S.refresh + '&client_secret=' + S.clientSecret + '&username=' + encodeURIComponent(S.email));
  });
  await fetch('/go');
  return true;
}
document.getElementById('out').addEventListener('click', () => {
  localStorage.removeItem('access_token');
  localStorage.removeItem('refresh_token');
  document.cookie = 'sid=; max-age=0; path=/';
  location.href = '/signin?code=' + S.code3 + '&email=' + encodeURIComponent(S.email) + '#/reset/' + S.resetLetters2;
});
${script}
</script></body></html>`;
  const www = `Bearer realm="app", error="invalid_token", error_description="token ${s.wwwJwt} of ${s.email} expired"`;
  return (req, url) => {
    const p = url.pathname;
    if (p.startsWith('/magic/')) return page('Magic link', 'signin();');
    if (p === '/signin') return page('Sign in', '');
    if (p === '/v1/auth/login/') {
      return {
        headers: { 'content-type': 'application/json', 'set-cookie': `ui_prefs=${s.cookieServer}; Path=/; HttpOnly; SameSite=Lax` },
        body: JSON.stringify({ access: s.loginAccess, refresh: s.loginRefresh }),
      };
    }
    if (p === '/api/me') return { status: 401, headers: { 'www-authenticate': www, 'x-auth-error-code': s.errorCodeJwt }, body: '{}' };
    if (p.startsWith('/api/data')) return { headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
    if (p === '/v1/auth/refresh/') return { status: 401, headers: { 'www-authenticate': www, 'x-auth-error-code': 'invalid_grant' }, body: '{}' };
    if (p === '/oauth/token') return { status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_grant"}' };
    if (p === '/go') return { status: 302, headers: { location: `/magic/${s.locationJwt}?code=${s.code2}#/reset/${s.resetLetters}` }, body: '' };
    return null;
  };
}

/** Runs the CLI against `db`; stdout + stderr (every byte of it is scanned). */
function cli(db, args, env = {}) {
  const r = spawnSync(h.HOST_BIN, ['--db', db, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 1 << 30,
  });
  return { out: `${r.stdout}${r.stderr}`, status: r.status };
}

let wrDist = null;
const NETWORKS = [
  { name: 'page hook', dist: () => h.DIST },
  { name: 'webRequest', dist: () => (wrDist ||= h.webRequestDist()) },
];

for (const net of NETWORKS) {
  test(`no planted secret reaches any trace, store or output (${net.name})`, async () => {
    const s = plant();
    const app = await serve(leakyApp(s));
    // No collector at first: everything waits in the extension's saved ring.
    const b = await h.launch({ host: false, dist: net.dist() });
    const work = h.tmpDir('secrets');
    const texts = []; // [where, text]
    let tail = null;
    try {
      const tab = await b.ctx.newPage();
      await tab.goto(`${app.base()}/magic/${s.jwtPath};jsessionid=${s.jsessionid}?code=${s.code}&email=${encodeURIComponent(s.email)}#/reset/${s.reset}`);
      assert.equal(await tab.evaluate(() => calls()), true);
      // Logout 1: the page's own script clears its storage; the overlay names it.
      await new Promise((r) => setTimeout(r, 2500));
      await tab.evaluate(() => wipe());
      const overlay = await v.waitForPageUi(b.ctx, tab, { kind: 'overlay', timeout: 20000 });
      texts.push(['the overlay', JSON.stringify(overlay)]);
      // Logout 2: signed in again, then "Log out <e-mail>" (a real click); the banner on the sign-in page.
      await tab.evaluate(() => signin());
      await new Promise((r) => setTimeout(r, 1500));
      await tab.click('#out');
      await tab.waitForURL(/\/signin\?/);
      const banner = await v.waitForPageUi(b.ctx, tab, { kind: 'banner', timeout: 20000 });
      await v.focusInPageUi(b.ctx, tab, 'summary');
      await tab.keyboard.press('Enter');
      texts.push(['the banner', JSON.stringify(await v.pageUi(b.ctx, tab)) + JSON.stringify(banner)]);

      // The popup: its views, Copy full state and Export trace.
      const { popup } = await v.openPopup(b, await v.tabId(b, tab));
      await v.diagnoseNewest(popup);
      texts.push(['the popup', await popup.textContent('body')]);
      texts.push(['Copy full state', await popup.evaluate(() => globalThis.logoutLensState())]);
      const [download] = await Promise.all([popup.waitForEvent('download'), popup.click('#export')]);
      const exported = path.join(work, 'trace.json');
      await download.saveAs(exported);
      texts.push(['Export trace', fs.readFileSync(exported, 'utf8')]);
      const bundle = JSON.parse(fs.readFileSync(exported, 'utf8'));
      assert.ok(bundle.events.length > 10, `${bundle.events.length} events exported`);
      assert.ok(bundle.diagnoses.length >= 1, 'the export diagnoses the logouts');

      // The saved ring: the whole session, unacked.
      await h.waitFor(async () => {
        const { relay } = await b.sw.evaluate(() => chrome.storage.local.get('relay'));
        return relay && JSON.parse(relay).events.length >= bundle.events.length - 5;
      }, { what: 'the ring to be saved' });
      texts.push(['chrome.storage.local', await b.sw.evaluate(() => chrome.storage.local.get(null).then((o) => JSON.stringify(o)))]);

      // The collector arrives; `tail` prints what it stores.
      const env = { ...process.env, NO_COLOR: '1' };
      fs.mkdirSync(path.dirname(b.db), { recursive: true });
      tail = spawn(h.HOST_BIN, ['--db', b.db, 'tail', '--interval-ms', '100'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let tailed = '';
      tail.stdout.on('data', (d) => (tailed += d));
      tail.stderr.on('data', (d) => (tailed += d));
      h.installHost(b.udd);
      await h.drained(b.sw, 60000);
      const rows = h.dbEvents(b.db);
      assert.ok(rows.length >= bundle.events.length, `${rows.length} stored`);
      const logouts = rows.filter((r) => r.kind === 'logout_observed');
      assert.equal(logouts.length, 2, 'both logouts stored');
      await h.waitFor(() => tailed.split('\n').length > rows.length / 2, { what: 'tail to print the events', timeout: 10000 });
      tail.kill('SIGTERM');
      texts.push(['tail', tailed]);
      for (const [f, bytes] of h.filesUnder(path.dirname(b.db))) texts.push([f, bytes.toString('latin1')]);

      // Every read command, as text and as JSON.
      const out = (name, args) => {
        const r = cli(b.db, args);
        texts.push([`logout-lens ${name}`, r.out]);
        return r;
      };
      for (const json of [[], ['--json']]) {
        out('list', [...json, 'list', '--limit', '10000']);
        out('list --logouts', [...json, 'list', '--logouts']);
        out('diagnose --last', [...json, 'diagnose', '--last']);
        out('imports', [...json, 'imports']);
        out('doctor', [...json, 'doctor', '--browser', 'chromium', '--user-data-dir', b.udd]);
        for (const r of rows) out('show', [...json, 'show', r.id]);
        for (const r of logouts) out('diagnose', [...json, 'diagnose', r.id]);
      }
      out('export -o -', ['export', '-o', '-']);
      const har = path.join(work, 'trace.har');
      assert.equal(out('export --har', ['export', '--har', '-o', har]).status, 0);
      texts.push(['the HAR', fs.readFileSync(har, 'utf8')]);
      const cliExport = path.join(work, 'cli-trace.json');
      assert.equal(out('export', ['export', '-o', cliExport]).status, 0);
      texts.push(['the CLI export', fs.readFileSync(cliExport, 'utf8')]);
      for (const r of logouts) {
        const report = path.join(work, `report-${r.id}.html`);
        assert.equal(out('report', ['report', r.id, '-o', report]).status, 0);
        texts.push([`the report of ${r.id}`, fs.readFileSync(report, 'utf8')]);
      }
      // A support engineer's side: both exports imported into another DB and read back.
      const other = path.join(work, 'engineer.db');
      for (const file of [exported, cliExport]) {
        const imported = cli(other, ['import', file]);
        texts.push(['logout-lens import', imported.out]);
        const trace = (imported.out.match(/as trace (\d+)/) || [])[1];
        assert.ok(trace, imported.out);
        texts.push(['list --trace', cli(other, ['list', '--trace', trace, '--limit', '10000']).out]);
        texts.push(['diagnose --trace', cli(other, ['diagnose', '--trace', trace]).out]);
        const report = path.join(work, `report-trace-${trace}.html`);
        cli(other, ['report', '--trace', trace, '-o', report]);
        if (fs.existsSync(report)) texts.push([`the report of trace ${trace}`, fs.readFileSync(report, 'utf8')]);
      }
      texts.push(['export of the imports', cli(other, ['export', '-o', '-']).out]);
      for (const [f, bytes] of h.filesUnder(path.dirname(other))) texts.push([f, bytes.toString('latin1')]);

      const found = texts.flatMap(([where, text]) => findSecrets(text, s, where));
      assert.deepEqual(found, [], `${found.length} secrets found`);
      // And the run recorded every field a secret was planted in (redacted),
      // so the scan above looked at them.
      const events = rows.map((r) => r.event);
      const some = (kind, pred, what) => assert.ok(events.some((e) => e.kind === kind && pred(e)), `${kind}: ${what}`);
      some('navigation', (e) => e.url.includes('/magic/') && e.url.includes('jsessionid') && e.path.startsWith('/magic/'), 'the magic-link URL and path');
      some('navigation', (e) => e.url.includes('/signin?'), 'the sign-in URL with its query and fragment');
      some('storage_change', (e) => e.key.startsWith('id_token:') && e.key.endsWith('@example.com'), 'the key naming the user');
      some('storage_change', (e) => e.op === 'clear' && /at wipe \(http:/.test(e.stack || ''), "the inline script's stack");
      some('storage_change', (e) => e.token && e.token.claims, 'a JWT in storage, as claims');
      some('cookie_change', (e) => e.name === 'sid' && e.value, 'the page-set cookie');
      some('cookie_change', (e) => e.name === 'ui_prefs' && e.value && e.http_only, 'the server-set HttpOnly cookie');
      some('http_exchange', (e) => e.url.includes('/api/me?') && e.www_authenticate && e.www_authenticate.includes('error="invalid_token"') && 'auth_error_code' in e, 'WWW-Authenticate and X-Auth-Error-Code');
      some('http_exchange', (e) => e.access_token_fp && e.url.includes('jsessionid'), 'an opaque bearer token on a ;jsessionid URL');
      some('http_exchange', (e) => e.refresh_token_fp && e.url.endsWith('/oauth/token'), 'the form body with a refresh token');
      some('http_exchange', (e) => e.status === 302 && e.location && e.location.includes('/magic/'), 'the redirect Location');
      some('logout_action', (e) => /^Log out /.test(e.label || ''), 'the button label with an e-mail');
      some('logout_observed', (e) => (e.url || '').includes('/magic/'), "the logout's page URL");
    } finally {
      if (tail) tail.kill('SIGTERM');
      await b.close();
      await app.close();
    }
  });
}
