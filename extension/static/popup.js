// The debug panel for the current tab (or `?tab=<id>` when opened as a
// page), once a second so the countdowns stay live. The worker hands over the
// tab's context and its (redacted) timeline; this page's own wasm makes the
// views. All text comes from Rust; this only places it.
import init, { page_events, page_popup, page_diagnose, page_state, page_export } from './wasm/logout_lens_extension_ui.js';

const q = (s) => document.querySelector(s);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
};
const send = (msg) => chrome.runtime.sendMessage(msg);
const ready = init({ module_or_path: new URL('./wasm/logout_lens_extension_ui_bg.wasm', import.meta.url) });
let tab;
// The worker's last answer, and the timeline's revision this page holds.
let cx = null;
let rev = null;

async function pickTab() {
  const asked = Number(new URLSearchParams(location.search).get('tab'));
  if (Number.isInteger(asked) && asked > 0) return asked;
  const [t] = await chrome.tabs.query({ active: true, currentWindow: true });
  return t && t.id;
}

function rows(dl, pairs) {
  dl.textContent = '';
  for (const [k, v, cls] of pairs) dl.append(el('dt', '', k), el('dd', cls || '', v));
}

function render(r) {
  const v = r.view;
  q('#origin').textContent = v.origin || r.url || 'No site';
  q('#site-status').textContent = v.status;
  const body = q('#tokens tbody');
  body.textContent = '';
  for (const c of v.credentials) {
    const tr = el('tr');
    tr.append(el('td', '', c.kind), el('td', '', c.place), el('td', `level-${c.countdown.level}`, c.countdown.text));
    body.append(tr);
  }
  q('#tokens').hidden = v.credentials.length === 0;
  q('#no-tokens').hidden = v.credentials.length !== 0;
  const refreshCls = v.refresh_ok === true ? 'ok' : v.refresh_ok === false ? 'bad' : '';
  rows(q('#session'), [
    ['Last refresh', v.last_refresh, refreshCls],
    ['Idle', v.idle],
    ['Clock skew', v.skew],
  ]);
  const ol = q('#logouts');
  // Redrawn when a logout comes, gets its cause, or ages.
  const ids = v.logouts.map((l) => `${l.id} ${l.cause}`).join();
  if (ol.dataset.ids !== ids || ol.dataset.ago !== v.logouts.map((l) => l.ago).join()) {
    const focused = document.activeElement && document.activeElement.dataset.id;
    ol.textContent = '';
    for (const l of v.logouts) {
      const li = el('li');
      const what = el('div', 'what');
      what.append(el('div', 'fine', l.title), el('div', 'meta', `${l.coarse} · ${l.cause} · ${l.idle} · ${l.ago}`));
      const b = el('button', 'secondary', 'Diagnose');
      b.type = 'button';
      b.dataset.id = l.id;
      b.setAttribute('aria-label', `Diagnose: ${l.title}, ${l.ago}`);
      b.addEventListener('click', () => diagnose(l.id));
      li.append(el('span', 'icon', l.icon), what, b);
      ol.append(li);
      if (focused === l.id) b.focus();
    }
    ol.dataset.ids = ids;
    ol.dataset.ago = v.logouts.map((l) => l.ago).join();
  }
  q('#no-logouts').hidden = v.logouts.length !== 0;
  const c = r.collector;
  rows(q('#status'), c.rows.map((row) => [row.label, row.value, row.class]));
  const notice = q('#collector-notice');
  if (notice.textContent !== (c.notice || '')) notice.textContent = c.notice || '';
  notice.hidden = !c.notice;
}

async function diagnose(id) {
  await refresh();
  const d = JSON.parse(page_diagnose(String(id)));
  const sec = q('#diagnosis');
  sec.hidden = false;
  const causes = q('#causes');
  causes.textContent = '';
  if (!d) {
    q('#headline').textContent = 'This logout is no longer in memory; use the collector (logout-lens diagnose).';
    return;
  }
  q('#headline').textContent = d.headline;
  for (const c of d.causes) {
    const li = el('li');
    li.append(el('span', 'conf', `${c.confidence}%`), el('strong', '', `${c.icon} ${c.title}`));
    li.append(el('p', '', c.explanation), el('p', 'fix', c.fix_hint));
    const ev = el('ul');
    ev.setAttribute('aria-label', 'Evidence');
    for (const line of c.evidence) ev.append(el('li', '', line));
    li.append(ev);
    causes.append(li);
  }
  sec.scrollIntoView({ block: 'nearest' });
}

function say(text) {
  q('#action-status').textContent = text;
}

/** "Copy full state" as text (null before the worker answered). */
async function stateText() {
  const view = await refresh();
  return view && page_state(view, cx.origin, Date.now());
}
globalThis.logoutLensState = stateText;

async function copyState() {
  const text = await stateText();
  if (!text) return say('Nothing to copy yet.');
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const ta = el('textarea');
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  say(`Copied the redacted state (${text.length} characters).`);
}

async function exportTrace() {
  const text = (await refresh()) && page_export(cx.origin, Date.now());
  if (!text) return say('Nothing to export yet.');
  const a = el('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = `logout-lens-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  say('Exported. Read it with: logout-lens import FILE, then logout-lens diagnose --trace N.');
}

/** Asks the worker, renders, and returns the popup's JSON (null if the worker is not ready). */
async function refresh() {
  await ready;
  const r = await send({ t: 'ui:popup', tab, rev }).catch(() => null);
  if (!r) {
    q('#site-status').textContent = 'Starting…';
    return null;
  }
  if (typeof r.events === 'string' && page_events(r.events)) rev = r.rev;
  cx = r;
  const text = page_popup(r.origin, r.watched, r.signed_in, r.idle_ms, Date.now(), JSON.stringify(r.collector), r.held || []);
  render({ url: r.url, ...JSON.parse(text) });
  return text;
}

q('#copy').addEventListener('click', copyState);
q('#export').addEventListener('click', exportTrace);
pickTab().then((t) => {
  tab = t;
  refresh();
  setInterval(refresh, 1000);
});
