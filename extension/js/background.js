// Logout Lens service worker (Chromium) / background module (Firefox).
//
// Thin glue: every listener is registered synchronously at the top level (a
// worker woken by an event must find its listener at once), events are queued
// until the wasm core is ready, then forwarded as they are. All rules live in
// Rust. Never `await` at the top level: it kills the service worker.
import init, { start, handle, status, held_ids, held_timeline, settle } from './wasm/logout_lens_extension.js';
// The pages' module, instantiated here only when a logout needs its cause.
import initPages, { page_causes } from './wasm/logout_lens_extension_ui.js';
import { isUiMessage, uiDrained, uiStarted } from './ui-worker.js';

// The caps the Rust core applies (extension/src/limits.rs), written in by
// `cargo xtask dist`.
const LIMITS = /*LIMITS*/ {};

// Events wait here until the core is ready, and then a little longer: work
// is done in batches just after a burst (a page load) instead of competing
// with it. Each keeps the time it happened.
const MAX_PENDING = LIMITS.GLUE_PENDING;
// The most messages one forwarder batch may carry (content/isolated.js: LEAVE_MAX).
const MAX_BATCH = LIMITS.BATCH_MESSAGES;
const DEFER_MS = 250;
const pending = [];
let started = false;
let timer = 0;

const ready = init({ module_or_path: new URL('./wasm/logout_lens_extension_bg.wasm', import.meta.url) })
  // The saved options apply before the first queued event is handled.
  .then(() => start())
  .then(() => {
    uiStarted();
    started = true;
    drain();
  })
  .catch((e) => console.error('logout-lens: failed to start', e));

function drain() {
  timer = 0;
  pendingPerTab.clear();
  for (const [input, at] of pending.splice(0)) {
    try {
      handle(input, at);
    } catch (e) {
      console.warn('logout-lens:', input.input, e);
    }
  }
  uiDrained();
  if (!settleTimer && held_ids().length) settleTimer = setTimeout(settleLater, SETTLE_MS);
}

// A logout waits a moment for its cause: a page left before it had loaded
// hands over what it saw as it goes, and that can reach the worker just
// after the navigation that showed the logout, so in the next batch.
const SETTLE_MS = 500;
let settleTimer = 0;
function settleLater() {
  settleTimer = 0;
  settleHeld();
}

// A logout leaves the core without its cause: the diagnosis is in the
// pages' module, which the worker would otherwise compile at every wake. It
// is instantiated on the first logout; if it fails, the logouts go on
// without a cause (and unalerted) rather than not at all. The core then
// queues and alerts them. One settling at a time.
let pages = null;
let settling = Promise.resolve();
function settleHeld() {
  settling = settling.then(async () => {
    const ids = held_ids();
    if (!ids.length) return;
    const timeline = held_timeline();
    let answer;
    try {
      pages ||= initPages({ module_or_path: new URL('./wasm/logout_lens_extension_ui_bg.wasm', import.meta.url) });
      await pages;
      answer = page_causes(ids, timeline);
    } catch (e) {
      pages = null;
      console.warn('logout-lens: diagnosis unavailable', e);
    }
    settle(answer);
  }).catch((e) => console.warn('logout-lens: settling', e));
  return settling;
}

// One tab may fill at most this much of the queue, so a page flooding it
// (many frames, each within its forwarder's own limit) leaves room for the
// other tabs' events.
const MAX_PENDING_PER_TAB = LIMITS.GLUE_PENDING_PER_TAB;
const pendingPerTab = new Map();

function forward(name, details) {
  const tab = name === 'page' ? details.tab : details && details.tabId;
  if (pending.length >= MAX_PENDING) return;
  if (typeof tab === 'number' && tab >= 0) {
    const n = pendingPerTab.get(tab) || 0;
    if (n >= MAX_PENDING_PER_TAB) return;
    pendingPerTab.set(tab, n + 1);
  }
  pending.push([{ input: name, details }, Date.now()]);
  if (started && !timer) timer = setTimeout(drain, DEFER_MS);
}

// --- Network. By default the page's own fetch/XHR calls come from the
// MAIN-world hook (content/main-world.js) as `page` messages. webRequest is
// an opt-in (optional permission, options page): Chromium sends every
// request of every frame through a browser-side proxy as soon as an
// extension merely holds it. Without the permission `chrome.webRequest` is
// undefined; the core is told first which source is live, so the hook's
// records are ignored while webRequest reports the same requests.
const wr = chrome.webRequest;
forward('capture', { webRequest: !!wr });
if (wr) {
  // Observe only. Chrome hides Cookie/Set-Cookie without `extraHeaders`;
  // Firefox has no such option (and shows them anyway).
  const EXTRA =
    wr.OnHeadersReceivedOptions && Object.values(wr.OnHeadersReceivedOptions).includes('extraHeaders')
      ? ['extraHeaders']
      : [];
  // Only the request types that can carry auth: images, scripts and styles
  // never do, and every listened-to request costs the page an IPC round.
  const FILTER = {
    urls: ['http://*/*', 'https://*/*'],
    types: ['main_frame', 'sub_frame', 'xmlhttprequest', 'other', 'ping'],
  };
  const MAX_BODY = LIMITS.BODY;

  const withBody = (d) => {
    const b = d.requestBody;
    if (!b) return d;
    let bodyText;
    if (b.formData) {
      bodyText = Object.entries(b.formData)
        .map(([k, v]) => `${k}=${(v && v[0]) || ''}`)
        .join('&');
    } else if (b.raw && b.raw[0] && b.raw[0].bytes) {
      bodyText = new TextDecoder().decode(new Uint8Array(b.raw[0].bytes).subarray(0, MAX_BODY));
    }
    return { ...d, requestBody: undefined, bodyText };
  };

  wr.onBeforeRequest.addListener((d) => forward('before_request', withBody(d)), FILTER, ['requestBody']);
  wr.onSendHeaders.addListener((d) => forward('send_headers', d), FILTER, ['requestHeaders', ...EXTRA]);
  wr.onHeadersReceived.addListener((d) => forward('headers_received', d), FILTER, ['responseHeaders', ...EXTRA]);
  wr.onBeforeRedirect.addListener((d) => forward('before_redirect', d), FILTER, ['responseHeaders', ...EXTRA]);
  wr.onCompleted.addListener((d) => forward('completed', d), FILTER, ['responseHeaders', ...EXTRA]);
  wr.onErrorOccurred.addListener((d) => forward('error', d), FILTER);
}

// --- cookies, idle, tabs, alarms.
chrome.cookies.onChanged.addListener((info) => forward('cookie_changed', info));
chrome.idle.setDetectionInterval(15);
chrome.idle.onStateChanged.addListener((state) => forward('idle', { state }));
chrome.tabs.onUpdated.addListener((tabId, change) => {
  if (change.url !== undefined || change.discarded !== undefined || change.frozen !== undefined) {
    forward('tab_updated', { tabId, url: change.url, discarded: change.discarded, frozen: change.frozen });
  }
});
chrome.tabs.onRemoved.addListener((tabId) => forward('tab_removed', { tabId }));
chrome.alarms.create('logout-lens-tick', { periodInMinutes: 0.5 });
chrome.alarms.onAlarm.addListener(() => forward('tick', { mono_ms: performance.now() }));

// --- The isolated-world forwarder (content/isolated.js) is declared, so it
// is in every frame from document start; tabs already open when the
// extension arrives (install, update, reload) were loaded without it. Pages
// the extension may not touch (chrome://, the web store) refuse, which is fine.
chrome.runtime.onInstalled.addListener(() => {
  chrome.tabs.query({ url: ['http://*/*', 'https://*/*'] }).then((tabs) => {
    for (const t of tabs) {
      if (t.id === undefined) continue;
      chrome.scripting
        .executeScript({ target: { tabId: t.id, allFrames: true }, files: ['content/isolated.js'], injectImmediately: true })
        .catch(() => {});
    }
  });
});

// --- content scripts and the popup.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (isUiMessage(msg)) return false; // ui-worker.js answers these.
  // Only the extension's own pages may ask (a content script's sender.url is its page).
  if (msg && msg.t === 'status' && sender.url && sender.url.startsWith(chrome.runtime.getURL(''))) {
    ready.then(() => sendResponse(status()));
    return true;
  }
  if (sender.id !== chrome.runtime.id) return false;
  const tab = sender.tab ? sender.tab.id : undefined;
  // The forwarder batches (and bounds its batches: at most what a document
  // hands over as it is left); each message is still its own input, with
  // what the browser says about its sender (the frame's own URL and origin).
  const msgs = msg && msg.t === 'batch' && Array.isArray(msg.msgs) ? msg.msgs.slice(0, MAX_BATCH) : [msg];
  for (const m of msgs) forward('page', { msg: m, tab, frame: sender.frameId, url: sender.url, origin: sender.origin });
  return false;
});

// For the popup's console and the end-to-end tests: the relay's counters,
// and whether the pages' module (the diagnosis) was instantiated here.
globalThis.logoutLensStatus = () => (started ? status() : null);
globalThis.logoutLensDiagnoser = () => pages !== null;
