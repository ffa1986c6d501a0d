// Logout Lens UI, worker side: the badge, the logout alert (notification,
// in-page overlay, sign-in banner), the popup's requests and the options.
// Every decision and every sentence comes from Rust: the worker's core
// (`ui(…)`), and the pages' wasm for the popup's views and for the alerts
// (`page_alerts`, given to `showAlerts` by background.js once a logout is
// settled); this file only moves them to the right place. Listeners are
// registered at the top level, like the rest of the worker's.
import { ui, ui_configure } from './wasm/logout_lens_extension.js';

const isLogin = (url) => ui('is_login', url) === 'true';

const OPTION_KEYS = ['site_hints', 'exclude', 'capture', 'collector', 'forward', 'keep_sub', 'keep_email', 'token_keys'];
// A banner waits this long for its tab to reach the login page.
const BANNER_WAIT_MS = 120000;
// The overlay and banner code, injected on demand only.
const UI_SCRIPT = 'content/ui.js';

let started = false;
let markStarted;
const startedP = new Promise((r) => (markStarted = r));
let forwardReports = false;
const pendingBanners = new Map();

/** Messages for this file (so the capture glue does not treat them as page input). */
export function isUiMessage(msg) {
  return !!msg && typeof msg.t === 'string' && msg.t.startsWith('ui:');
}

/** Called once the core has started; settles once the saved options apply. */
export async function uiStarted() {
  await applyOptions();
  started = true;
  markStarted();
  badges();
}

/** Called after each batch of events: fresh badges. */
export function uiDrained() {
  if (!started) return;
  badges();
}

async function applyOptions() {
  const o = await chrome.storage.local.get(OPTION_KEYS);
  ui_configure(
    typeof o.site_hints === 'string' ? o.site_hints : '{}',
    Array.isArray(o.exclude) ? o.exclude.join('\n') : '',
    typeof o.capture === 'string' ? o.capture : 'full',
    o.collector !== false,
    o.keep_sub === true,
    o.keep_email === true,
    Array.isArray(o.token_keys) ? o.token_keys.join('\n') : '',
  );
  forwardReports = o.forward === true;
  if (started) badges();
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && started && OPTION_KEYS.some((k) => k in changes)) applyOptions();
});

// What each tab's badge shows, so a batch of events that changes nothing
// costs no calls into the browser; forgotten when the tab navigates, so the
// next batch sets it again.
const shownBadges = new Map();
if (chrome.action.setBadgeTextColor) chrome.action.setBadgeTextColor({ color: '#ffffff' }).catch(() => {});

function setBadge(tabId, url) {
  const b = JSON.parse(ui('badge', url));
  if (!b) return;
  const shown = `${b.text} ${b.color}`;
  if (shownBadges.get(tabId) === shown) return;
  shownBadges.set(tabId, shown);
  chrome.action.setBadgeText({ tabId, text: b.text }).catch(() => {});
  chrome.action.setBadgeBackgroundColor({ tabId, color: b.color }).catch(() => {});
}

async function badges() {
  for (const t of await chrome.tabs.query({ active: true })) setBadge(t.id, t.url);
}

chrome.tabs.onActivated.addListener(({ tabId }) => {
  if (!started) return;
  chrome.tabs.get(tabId).then((t) => setBadge(t.id, t.url), () => {});
});

/** `scheme://host[:port]` of a URL, or null. */
function originOf(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch (_) {
    return null;
  }
}

async function inject(tabId, msg) {
  try {
    await chrome.scripting.executeScript({ target: { tabId, frameIds: [0] }, files: [UI_SCRIPT] });
    await chrome.tabs.sendMessage(tabId, msg, { frameId: 0 });
    return true;
  } catch (_) {
    return false; // The tab went away or is not scriptable (a browser page).
  }
}

async function showBanner(tabId) {
  const p = pendingBanners.get(tabId);
  if (!p) return;
  if (Date.now() > p.until) {
    pendingBanners.delete(tabId);
    return;
  }
  const tab = await chrome.tabs.get(tabId).catch(() => null);
  // Only on a sign-in page of the site that logged out: another site's
  // page (the tab went elsewhere) is left alone, and the banner waits.
  if (!tab || tab.status !== 'complete' || !tab.url || originOf(tab.url) !== p.origin || !isLogin(tab.url)) return;
  pendingBanners.delete(tabId);
  await inject(tabId, { t: 'ui:banner', origin: p.origin, banner: p.banner });
}

/** The alerts the pages' module made for the logouts just settled (JSON). */
export async function showAlerts(json) {
  for (const a of JSON.parse(json)) {
    if (a.notification) {
      chrome.notifications
        .create(`logout-lens-${a.id}`, {
          type: 'basic',
          iconUrl: chrome.runtime.getURL('icons/icon-128.png'),
          title: a.notification.title,
          message: a.notification.message,
        })
        .catch(() => {});
    }
    if (forwardReports && a.origin) {
      fetch(`${a.origin}/v1/auth/logout-event/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(a.report),
        credentials: 'omit',
      }).catch(() => {});
    }
    if (a.tab == null || !a.origin) continue;
    pendingBanners.set(a.tab, { banner: a.banner, origin: a.origin, until: Date.now() + BANNER_WAIT_MS });
    // The tab may already be on the login page (or still loading it: then
    // tabs.onUpdated shows the banner once it is complete). The overlay
    // goes only to a page of the site that logged out (not to the page
    // around a frame of another site, nor to a site the tab went on to).
    const tab = await chrome.tabs.get(a.tab).catch(() => null);
    if (!tab || originOf(tab.url) !== a.origin) continue;
    if (isLogin(tab.url)) showBanner(a.tab);
    else if (a.overlay && tab.status === 'complete') {
      inject(a.tab, { t: 'ui:overlay', origin: a.origin, text: a.overlay_text, icon: a.banner.icon });
    }
  }
}

chrome.tabs.onUpdated.addListener((tabId, change) => {
  if (change.url !== undefined) shownBadges.delete(tabId);
  if (started && change.status === 'complete' && pendingBanners.has(tabId)) showBanner(tabId);
});
chrome.tabs.onRemoved.addListener((tabId) => {
  pendingBanners.delete(tabId);
  shownBadges.delete(tabId);
});

async function tabUrl(tab) {
  if (typeof tab !== 'number') return undefined;
  const t = await chrome.tabs.get(tab).catch(() => null);
  return (t && t.url) || undefined;
}

// The popup (an extension page only, never a content script) makes its views
// with its own wasm; the worker hands it the tab's context and, when it
// changed since the popup's copy (`rev`), the redacted timeline.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!isUiMessage(msg) || !sender.url || !sender.url.startsWith(chrome.runtime.getURL(''))) return false;
  (async () => {
    await startedP;
    if (msg.t !== 'ui:popup') return null;
    const url = await tabUrl(msg.tab);
    const cx = JSON.parse(ui('popup', url));
    if (!cx) return null;
    return { url: url || null, ...cx, events: cx.rev === msg.rev ? undefined : ui('events') };
  })().then(sendResponse, () => sendResponse(null));
  return true;
});
