// Logout Lens, isolated world: forwards the MAIN-world hook's messages
// (storage and cookie writes, finished fetch/XHR calls), input activity,
// lifecycle, clicks on buttons and links, and a periodic look at web
// storage. Observes only; every decision is made in the extension's Rust core.
//
// Declared at document_start in every frame, but quiet while the page loads:
// nothing leaves before the renderer is idle after the `load` event (each
// `runtime.sendMessage` opens a channel through the browser, and those
// compete with a page load), and the MAIN-world hook keeps its messages
// until then; input, visibility and the periodic look at storage are
// watched from then on too. A document left before it has loaded (an app
// that logs out at start) hands everything over as it goes, so that logout
// keeps its evidence. The worker also injects it into
// open tabs when the extension is installed or reloaded; a second copy in one
// document (a reload of the extension reuses the world) takes over and the
// older copies' listeners go quiet.
(() => {
  const me = {};
  globalThis.logoutLensForwarder = me;
  const current = () => globalThis.logoutLensForwarder === me;
  const MAX_VALUE = 16384;
  const MAX_ENTRIES = 500;
  const INPUT_STEP_MS = 2000;
  const SCAN_EVERY_MS = 15000;
  const LOAD_WAIT_MS = 10000;

  // Messages go in batches: every `runtime.sendMessage` opens a channel
  // through the browser, and a page's bursts (the hook's backlog, a scan,
  // a page's API calls) would otherwise each pay for one. Until the start
  // below (`open`) they only gather. Then a batch leaves BATCH_MS after its
  // first message, when it is full, or as the document is left (a click on
  // "Log out" must not be lost with the page). The first batch of a
  // document that was left before it loaded can be larger: the hook keeps
  // at most 500 messages, and the worker reads 100 of a batch.
  const BATCH_MS = 100;
  const BATCH_MAX = 100;
  let batch = [];
  let timer = 0;
  let open = false;
  const flush = () => {
    clearTimeout(timer);
    timer = 0;
    if (!open) return;
    const msgs = batch.splice(0, BATCH_MAX);
    if (batch.length) timer = setTimeout(flush, 0);
    if (!msgs.length || !current()) return;
    try {
      const p = chrome.runtime.sendMessage(msgs.length === 1 ? msgs[0] : { t: 'batch', msgs });
      if (p && p.catch) p.catch(() => {});
    } catch (_) {
      // The extension was reloaded; this page's script is orphaned.
    }
  };
  const send = (msg) => {
    if (!current()) return;
    batch.push(msg);
    if (!open) return;
    if (batch.length >= BATCH_MAX) flush();
    else if (!timer) timer = setTimeout(flush, BATCH_MS);
  };
  // The hook hands over its backlog when told `logout-lens:ready`
  // (synchronously: its messages are in `batch` when this returns).
  const takeOver = () => {
    if (open) return;
    open = true;
    document.dispatchEvent(new CustomEvent('logout-lens:ready'));
    if (batch.length && !timer) timer = setTimeout(flush, BATCH_MS);
  };
  addEventListener(
    'pagehide',
    () => {
      takeOver();
      // Everything, now: the document is going.
      while (batch.length && current()) flush();
    },
    true,
  );

  document.addEventListener('logout-lens:main', (e) => {
    if (typeof e.detail !== 'string' || e.detail.length > 1048576) return;
    let m;
    try {
      m = JSON.parse(e.detail);
    } catch (_) {
      return;
    }
    if (m && (m.t === 'storage' || m.t === 'cookie' || m.t === 'net')) send(m);
  });

  // Input activity: the first input after a pause at once, then at most every
  // INPUT_STEP_MS, plus a trailing report so the last input is exact.
  let lastInput = 0;
  let lastSent = 0;
  let trailing = 0;
  const report = () => {
    trailing = 0;
    if (lastInput > lastSent) {
      lastSent = lastInput;
      send({ t: 'activity', last_input_ms: lastInput });
    }
  };
  const onInput = (e) => {
    if (!e.isTrusted) return;
    lastInput = Date.now();
    if (lastInput - lastSent >= INPUT_STEP_MS) report();
    else if (!trailing) trailing = setTimeout(report, INPUT_STEP_MS);
  };

  // Lifecycle. A document being left turns hidden as it unloads; that is a
  // navigation (the worker sees it from the tab), and a message sent then
  // lands on the browser just as it starts loading the next page.
  let leaving = false;
  addEventListener('pagehide', () => (leaving = true), true);
  const life = (state) => leaving || send({ t: 'lifecycle', state });

  // Clicks on controls, with their visible label (the core decides what a logout control is).
  addEventListener(
    'click',
    (e) => {
      if (!e.isTrusted || !e.target || !e.target.closest) return;
      const el = e.target.closest('button, a, [role=button], input[type=submit], input[type=button]');
      if (!el) return;
      const label = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 64);
      if (label) send({ t: 'click', label });
    },
    true,
  );

  // A look at storage: on load, when shown again, and periodically while visible.
  const entries = (s) => {
    const out = [];
    try {
      const n = Math.min(s.length, MAX_ENTRIES);
      for (let i = 0; i < n; i++) {
        const k = s.key(i);
        const v = s.getItem(k);
        if (k !== null && v !== null && v.length <= MAX_VALUE) out.push([k, v]);
      }
    } catch (_) {
      // Storage may be blocked in this frame.
    }
    return out;
  };
  const scan = () => {
    let local = [];
    let session = [];
    try {
      local = entries(window.localStorage);
      session = entries(window.sessionStorage);
    } catch (_) {
      return;
    }
    send({ t: 'scan', local, session });
  };

  // Start: the hook hands over what it kept since document start, and the
  // first look at storage joins it, so a page load costs one message. Not
  // in the `load` event (its listeners count in the page's load time) but
  // once the renderer is idle after it; at once when injected into a loaded
  // page. A page whose load never ends (a resource that hangs) is not kept
  // waiting for ever.
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    takeOver();
    scan();
    watch();
  };
  // Input, visibility and the periodic look start with the forwarder, not
  // at document start: each listener added then is time on the page's path
  // to `load`, and before it the page can hardly be used.
  const watch = () => {
    for (const t of ['mousedown', 'mousemove', 'keydown', 'wheel', 'touchstart', 'pointerdown']) {
      addEventListener(t, onInput, { capture: true, passive: true });
    }
    addEventListener('pageshow', () => (leaving = false), true);
    document.addEventListener('visibilitychange', () => {
      const visible = document.visibilityState === 'visible';
      life(visible ? 'visible' : 'hidden');
      if (visible) scan();
    });
    document.addEventListener('freeze', () => life('frozen'));
    document.addEventListener('resume', () => life('resumed'));
    if (document.wasDiscarded) life('discarded');
    const every = setInterval(() => {
      if (!current()) clearInterval(every);
      else if (document.visibilityState === 'visible') scan();
    }, SCAN_EVERY_MS);
  };
  const later = (f) => (self.requestIdleCallback ? requestIdleCallback(f, { timeout: 2000 }) : setTimeout(f, 200));
  if (document.readyState === 'complete') start();
  else {
    addEventListener('load', () => later(start), { once: true });
    setTimeout(start, LOAD_WAIT_MS);
  }
})();
