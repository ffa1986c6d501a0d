// Logout Lens UI, worker side: tells the worker's Rust core when a tab is
// activated or has loaded (its badge, a sign-in banner waiting for it), when
// the options change, and answers the popup. What is shown, where and when
// is decided in Rust (`ui::wasm`, `ui::alerting`), which also shows it.
// Listeners are registered at the top level, like the rest of the worker's.
import { popup, badges, tab_activated, tab_loaded, options_changed } from './wasm/logout_lens_extension.js';

let started = false;
let markStarted;
const startedP = new Promise((r) => (markStarted = r));

/** Messages for this file (so the capture glue does not treat them as page input). */
export function isUiMessage(msg) {
  return !!msg && typeof msg.t === 'string' && msg.t.startsWith('ui:');
}

/** Called once the core has started (with the saved options applied). */
export function uiStarted() {
  started = true;
  markStarted();
}

/** Called after each batch of events: fresh badges. */
export function uiDrained() {
  if (started) badges();
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && started) options_changed(Object.keys(changes));
});
chrome.tabs.onActivated.addListener(({ tabId }) => {
  if (started) chrome.tabs.get(tabId).then((t) => tab_activated(t.id, t.url), () => {});
});
chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (started && change.status === 'complete') tab_loaded(tabId, tab.url);
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
    return JSON.parse(popup(await tabUrl(msg.tab), typeof msg.rev === 'string' ? msg.rev : undefined));
  })().then(sendResponse, () => sendResponse(null));
  return true;
});
