// Real-Chromium checks of the demo app: each cause switch produces the logout it promises,
// and the coordinated default does not. Run from the repo root after building the demo:
//   cargo build -p logout-lens-server --example demo
//   (cd e2e && npm ci) && node --test server-lib/tests/browser/
// Uses playwright-core from e2e/node_modules and the Debian chromium at /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'e2e/package.json'));
const { chromium } = require('playwright-core');
const DEMO = process.env.DEMO_BIN || path.join(root, 'target/debug/examples/demo');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function startDemo(args) {
  const child = spawn(DEMO, ['--addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`demo did not start: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`demo exited ${code}: ${stderr}`)));
  });
  return { url, stop: () => child.kill('SIGINT'), logs: () => stderr };
}

async function withDemo(args, fn) {
  const demo = await startDemo(args);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const context = await browser.newContext();
    await fn(demo, context);
  } finally {
    await browser.close();
    demo.stop();
  }
}

async function signIn(page, url, remember = true) {
  await page.goto(`${url}/signin`);
  await page.fill('#email', 'demo@example.com');
  await page.fill('#password', 'demo-password');
  if (remember) await page.check('#remember-me');
  await page.click('#signin');
  await page.waitForURL(`${url}/dashboard`);
}

async function events(url) {
  const res = await fetch(`${url}/demo/logout-events.json`);
  return (await res.json()).events;
}

async function waitForSignin(page, url, ms) {
  await page.waitForURL(new RegExp(`^${url}/signin`), { timeout: ms });
}

test('sign in, refresh on 401, log out; pages show the switches', async () => {
  await withDemo(['--access-ttl', '2s', '--leeway', '0s', '--poll', '400ms'], async ({ url }, ctx) => {
    const page = await ctx.newPage();
    await page.goto(`${url}/signin`);
    assert.match(await page.textContent('label.remember'), /Remember me for 20 days/);
    assert.equal(await page.getAttribute('body', 'data-switch-access-ttl'), '2s');
    assert.equal(await page.getAttribute('[data-switch="uncoordinated-refresh"]', 'data-value'), 'off');
    await signIn(page, url);
    assert.equal(await page.textContent('#who'), 'demo@example.com');
    await page.waitForFunction(() => Number(document.getElementById('refreshes').textContent) >= 1, null, { timeout: 10000 });
    assert.ok(await page.evaluate(() => localStorage.getItem('refresh_token')));
    await page.click('#logout');
    await waitForSignin(page, url, 5000);
    assert.match(await page.textContent('#logout-notice'), /USER_ACTION/);
    const [last] = await events(url);
    assert.equal(last.type, 'USER_ACTION');
    assert.equal(last.server_user_id, '1');
  });
});

test('uncoordinated refresh across two tabs trips reuse detection', async () => {
  const args = ['--uncoordinated-refresh', '--grace', '0s', '--access-ttl', '2s', '--leeway', '0s', '--poll', '300ms'];
  await withDemo(args, async ({ url }, ctx) => {
    const a = await ctx.newPage();
    await signIn(a, url);
    const b = await ctx.newPage();
    await b.goto(`${url}/dashboard`);
    await Promise.all([waitForSignin(a, url, 15000), waitForSignin(b, url, 15000)]);
    const evs = await events(url);
    const failed = evs.find((e) => e.type === 'REFRESH_FAILED' && /reused/.test(e.message));
    assert.ok(failed, JSON.stringify(evs));
    assert.equal(failed.server_reason, 'reused');
  });
});

test('coordinated refresh keeps two tabs signed in with strict rotation', async () => {
  await withDemo(['--grace', '0s', '--access-ttl', '2s', '--leeway', '0s', '--poll', '300ms'], async ({ url }, ctx) => {
    const a = await ctx.newPage();
    await signIn(a, url);
    const b = await ctx.newPage();
    await b.goto(`${url}/dashboard`);
    await a.waitForTimeout(6500);
    assert.equal(new URL(a.url()).pathname, '/dashboard');
    assert.equal(new URL(b.url()).pathname, '/dashboard');
    assert.ok(Number(await a.textContent('#refreshes')) + Number(await b.textContent('#refreshes')) >= 2);
    assert.deepEqual(await events(url), []);
  });
});

test('logout on any 403', async () => {
  await withDemo(['--logout-on-403', '--reports-every', '2', '--poll', '300ms'], async ({ url }, ctx) => {
    const page = await ctx.newPage();
    await signIn(page, url);
    await waitForSignin(page, url, 10000);
    const [last] = await events(url);
    assert.equal(last.type, 'AUTH_ERROR');
    assert.match(last.message, /403/);
  });
});

test('server forgets sessions', async () => {
  await withDemo(['--forget-sessions-after', '2s', '--poll', '300ms'], async ({ url }, ctx) => {
    const page = await ctx.newPage();
    await signIn(page, url);
    await waitForSignin(page, url, 10000);
    const [last] = await events(url);
    assert.equal(last.type, 'REFRESH_FAILED');
    assert.match(last.message, /not_found/);
    assert.match(last.token_status, /session:unknown/);
  });
});

test('short session cookie in cookie mode', async () => {
  await withDemo(['--cookie-max-age', '2s', '--poll', '300ms'], async ({ url }, ctx) => {
    const page = await ctx.newPage();
    await signIn(page, url);
    assert.equal(await page.evaluate(() => localStorage.getItem('refresh_token')), null, 'tokens stay in HttpOnly cookies');
    assert.equal(await page.getAttribute('body', 'data-switch-tokens'), 'cookie');
    await waitForSignin(page, url, 10000);
    const [last] = await events(url);
    assert.equal(last.type, 'TOKEN_EXPIRED');
    assert.match(last.message, /missing_token/);
  });
});
