// The debug panel: renders the view model the worker's Rust core makes for
// the current tab (or `?tab=<id>` when opened as a page), once a second so
// the countdowns stay live. All text comes from Rust; this only places it.
const q = (s) => document.querySelector(s);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
};
const send = (msg) => chrome.runtime.sendMessage(msg);
let tab;

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
  const ids = v.logouts.map((l) => l.id).join();
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
  const s = r.collector;
  rows(q('#status'), [
    ['Collector', s.connected ? 'connected' : 'not connected (events are kept)', s.connected ? 'ok' : 'bad'],
    ['Waiting to be stored', s.queued],
    ['Stored', s.acked],
    ['Dropped (queue full)', s.dropped],
  ]);
}

async function diagnose(id) {
  const d = await send({ t: 'ui:diagnose', id });
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

async function copyState() {
  const text = await send({ t: 'ui:state', tab });
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
  const text = await send({ t: 'ui:export', tab });
  if (!text) return say('Nothing to export yet.');
  const a = el('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = `logout-lens-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  say('Exported. Read it with: logout-lens import FILE, then logout-lens diagnose --trace N.');
}

async function refresh() {
  const r = await send({ t: 'ui:popup', tab }).catch(() => null);
  if (r && r.view) render(r);
  else q('#site-status').textContent = 'Starting…';
}

q('#copy').addEventListener('click', copyState);
q('#export').addEventListener('click', exportTrace);
pickTab().then((t) => {
  tab = t;
  refresh();
  setInterval(refresh, 1000);
});
