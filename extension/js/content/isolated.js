// Logout Lens, isolated world: forwards the MAIN-world hook's messages
// (storage and cookie writes, finished fetch/XHR calls), input activity,
// lifecycle, clicks on buttons and links, and a periodic look at web
// storage. Observes only; every decision is made in the extension's Rust core.
//
// The hook's messages come over a private channel (see main-world.js): a
// node only the two scripts hold, agreed on at document start before
// any page script runs. Everything the page controls is bounded here before
// it leaves: each field is checked and capped, and the hook's messages pass
// a per-document token bucket (a flood costs the page its own messages, not
// the extension its work).
//
// Declared at document_start in every frame, but quiet while the page loads:
// nothing leaves before the renderer is idle after the `load` event (each
// `runtime.sendMessage` opens a channel through the browser, and those
// compete with a page load), and the MAIN-world hook keeps its messages
// until then; input, visibility and the periodic look at storage are
// watched from then on too. A document left before it has loaded (an app
// that logs out at start) hands everything over as it goes, in one bounded
// message, so that logout keeps its evidence. The worker also injects it
// into open tabs when the extension is installed or reloaded; a second copy
// in one document (a reload of the extension reuses the world) takes over
// the first one's channel, and the older copies' listeners go quiet.
(() => {
  const OFFER = 'logout-lens:offer';
  const ASK = 'logout-lens:ask';
  const MSG = 'logout-lens:msg';
  const READY = 'logout-lens:ready';
  const PENDING = 'logout-lens:pending';
  // Field caps and the hook's bucket: the Rust core's own (extension/src/
  // limits.rs), written in by `cargo xtask dist`, so that what leaves here
  // is never clipped there.
  const LIMITS = /*LIMITS*/ {};
  const MAX_VALUE = LIMITS.VALUE;
  const MAX_KEY = LIMITS.KEY;
  const MAX_URL = LIMITS.URL;
  const MAX_METHOD = LIMITS.METHOD;
  const MAX_HEADERS = LIMITS.HEADERS;
  const MAX_HEADER_NAME = LIMITS.HEADER_NAME;
  const MAX_HEADER_VALUE = LIMITS.HEADER_VALUE;
  const MAX_STACK = LIMITS.STACK;
  const MAX_LABEL = LIMITS.LABEL;
  const MAX_ENTRIES = LIMITS.ENTRIES;
  const MAX_BODY = LIMITS.BODY;
  const MAX_ENTRIES_CHARS = LIMITS.ENTRIES_CHARS;
  // The hook's messages: a burst as large as its backlog, then RATE a second.
  const BUCKET_MESSAGES = LIMITS.FORWARDER_BURST;
  const RATE_MESSAGES = LIMITS.FORWARDER_RATE_PER_S;
  const BUCKET_CHARS = LIMITS.FORWARDER_BURST_CHARS;
  const RATE_CHARS = LIMITS.FORWARDER_RATE_CHARS_PER_S;
  const INPUT_STEP_MS = 2000;
  const SCAN_EVERY_MS = 15000;
  const LOAD_WAIT_MS = 10000;

  const prev = globalThis.logoutLensForwarder;
  const me = { channel: (prev && prev.channel) || null };
  globalThis.logoutLensForwarder = me;
  const current = () => globalThis.logoutLensForwarder === me;

  // Messages go in batches: every `runtime.sendMessage` opens a channel
  // through the browser, and a page's bursts (the hook's backlog, a scan,
  // a page's API calls) would otherwise each pay for one. Until the start
  // below (`open`) they only gather. Then a batch leaves BATCH_MS after its
  // first message or when it is full. A document left with messages still
  // here sends them all as it goes, in one message (`pagehide`): at most the
  // hook's hand-over (HOOK_WAITING) and what was gathered since, with the dropped
  // count within what the worker reads of one batch (BATCH_MESSAGES).
  const BATCH_MS = 100;
  const BATCH_MAX = 100;
  const LEAVE_MAX = LIMITS.BATCH_MESSAGES - 1;
  let batch = [];
  let timer = 0;
  let open = false;
  const post = (msgs) => {
    if (!msgs.length || !current()) return;
    // What the bucket refused since the last batch, counted by the core.
    if (dropped) {
      msgs.push({ t: 'dropped', n: dropped });
      dropped = 0;
    }
    try {
      const p = chrome.runtime.sendMessage(msgs.length === 1 ? msgs[0] : { t: 'batch', msgs });
      if (p && p.catch) p.catch(() => {});
    } catch (_) {
      // The extension was reloaded; this page's script is orphaned.
    }
  };
  const flush = () => {
    clearTimeout(timer);
    timer = 0;
    if (!open) return;
    post(batch.splice(0, BATCH_MAX));
    if (batch.length) timer = setTimeout(flush, 0);
    else watchLeave(false);
  };
  const send = (msg) => {
    if (!current()) return;
    batch.push(msg);
    watchLeave(true);
    if (!open || leaving) return;
    if (batch.length >= BATCH_MAX) flush();
    else if (!timer) timer = setTimeout(flush, BATCH_MS);
  };

  // Leaving: listened to only while something would be lost with the
  // document (the hook keeps messages for the start, or a batch waits), so
  // that a page closed or left with nothing pending runs none of this file:
  // Firefox aborts whatever script runs in a tab being torn down ("Script
  // terminated by timeout"). `beforeunload` comes first, before that
  // teardown (a tab closed by the user asks the page first), `pagehide` is
  // the fallback (and what a frame removed or a close without asking
  // gets). The work is bounded: the hook's backlog in one event, one
  // message out. (Firefox keeps a page with a `beforeunload` listener out
  // of its back/forward cache: only a page left while something is pending.)
  let leaving = false;
  const leave = () => {
    leaving = true;
    try {
      takeOver();
      clearTimeout(timer);
      timer = 0;
      post(batch.splice(0, LEAVE_MAX));
      batch = [];
      watchLeave(false);
    } finally {
      leaving = false;
    }
  };
  let watchingLeave = false;
  const watchLeave = (on) => {
    if (on === watchingLeave) return;
    watchingLeave = on;
    for (const t of ['beforeunload', 'pagehide']) {
      if (on) addEventListener(t, leave, true);
      else removeEventListener(t, leave, true);
    }
  };

  // --- The hook's messages: checked, capped and rate-limited.
  const str = (v, max) => (typeof v === 'string' && v.length <= max ? v : null);
  const cut = (v, max) => (typeof v === 'string' ? v.slice(0, max) : null);
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  // `[key, value]` pairs: a key too long is skipped, a value too long
  // skipped (`str`: a token cut short is no token) or cut (`cut`: text).
  const pairs = (list, maxKey, maxValue, maxCount, maxChars, value = str) => {
    const out = [];
    if (!Array.isArray(list)) return out;
    let chars = 0;
    for (let i = 0; i < list.length && out.length < maxCount; i++) {
      const p = list[i];
      if (!Array.isArray(p)) continue;
      const k = str(p[0], maxKey);
      const v = value(p[1], maxValue);
      if (k === null || v === null || chars + k.length + v.length > maxChars) continue;
      chars += k.length + v.length;
      out.push([k, v]);
    }
    return out;
  };
  /** The hook's message as the core may see it, or null. */
  const clean = (m) => {
    if (!m || typeof m !== 'object') return null;
    const at = num(m.at);
    if (m.t === 'storage') {
      if ((m.area !== 'local' && m.area !== 'session') || (m.op !== 'set' && m.op !== 'remove' && m.op !== 'clear')) return null;
      return {
        t: 'storage',
        area: m.area,
        op: m.op,
        key: cut(m.key, MAX_KEY) || '',
        value: str(m.value, MAX_VALUE),
        old: str(m.old, MAX_VALUE),
        entries: pairs(m.entries, MAX_KEY, MAX_VALUE, MAX_ENTRIES, MAX_ENTRIES_CHARS),
        stack: cut(m.stack, MAX_STACK),
        at,
      };
    }
    if (m.t === 'cookie') {
      const text = str(m.text, MAX_VALUE);
      return text === null ? null : { t: 'cookie', text, stack: cut(m.stack, MAX_STACK), at };
    }
    if (m.t === 'net') {
      const url = cut(m.url, MAX_URL);
      const id = num(m.id);
      const start = num(m.start);
      const end = num(m.end);
      const status = num(m.status);
      if (url === null || id === null || start === null || end === null || status === null) return null;
      return {
        t: 'net',
        id,
        url,
        method: cut(m.method, MAX_METHOD) || 'GET',
        // `Bearer ` and a token.
        auth: str(m.auth, MAX_VALUE + 16),
        body: cut(m.body, MAX_BODY),
        start,
        end,
        status: status >= 0 && status <= 999 ? Math.floor(status) : 0,
        error: cut(m.error, 64),
        redirected: m.redirected === true,
        final_url: cut(m.final_url, MAX_URL),
        headers: pairs(m.headers, MAX_HEADER_NAME, MAX_HEADER_VALUE, MAX_HEADERS, MAX_HEADERS * MAX_HEADER_VALUE, cut),
        at,
      };
    }
    return null;
  };
  // A token bucket per document: a burst the size of the hook's backlog, then RATE a second.
  let tokens = BUCKET_MESSAGES;
  let chars = BUCKET_CHARS;
  let filled = Date.now();
  let dropped = 0;
  const admit = (size) => {
    const t = Date.now();
    const s = Math.max(0, t - filled) / 1000;
    filled = t;
    tokens = Math.min(BUCKET_MESSAGES, tokens + s * RATE_MESSAGES);
    chars = Math.min(BUCKET_CHARS, chars + s * RATE_CHARS);
    if (tokens < 1 || chars < size) {
      dropped++;
      return false;
    }
    tokens -= 1;
    chars -= size;
    return true;
  };
  const fromHook = (e) => {
    if (!current()) return;
    const text = e.detail;
    if (typeof text !== 'string') return;
    let v;
    try {
      v = JSON.parse(text);
    } catch (_) {
      return;
    }
    // One message, or the hook's backlog as one array (each counted alone).
    const list = Array.isArray(v) ? v : [v];
    const size = Array.isArray(v) ? text.length / Math.max(1, list.length) : text.length;
    for (let i = 0; i < list.length; i++) {
      const m = clean(list[i]);
      if (m && admit(size)) send(m);
    }
  };
  const link = (node) => {
    me.channel = node;
    node.addEventListener(MSG, fromHook);
    // The hook keeps its first message for the start: from then on leaving must hand it over.
    node.addEventListener(PENDING, () => current() && !open && watchLeave(true));
  };
  if (me.channel) {
    link(me.channel);
  } else if (document.readyState === 'loading') {
    // At document start (see main-world.js): take the first offer (its
    // `relatedTarget` is the hook's node), then ask (the hook answers at
    // once if it ran first; else its offer comes next).
    const take = (e) => {
      const node = e.relatedTarget;
      if (me.channel || !node || node === document || typeof node.addEventListener !== 'function') return;
      e.preventDefault();
      document.removeEventListener(OFFER, take, true);
      link(node);
    };
    document.addEventListener(OFFER, take, true);
    document.dispatchEvent(new CustomEvent(ASK));
  }

  // The hook hands over its backlog when told it is ready (synchronously:
  // its messages are in `batch` when this returns).
  const takeOver = () => {
    if (open) return;
    open = true;
    if (me.channel) me.channel.dispatchEvent(new CustomEvent(READY));
    if (batch.length && !timer) timer = setTimeout(flush, BATCH_MS);
    watchLeave(batch.length > 0);
  };

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
  // lands on the browser just as it starts loading the next page. So
  // `hidden` is reported a task later, which never comes for a document
  // that is gone (and finds it visible again after a return from the
  // back/forward cache).
  const life = (state) => send({ t: 'lifecycle', state });
  const hidden = () =>
    setTimeout(() => {
      if (current() && document.visibilityState === 'hidden') life('hidden');
    }, 0);

  // Clicks on controls, with their visible label (the core decides what a logout control is).
  addEventListener(
    'click',
    (e) => {
      if (!e.isTrusted || !e.target || !e.target.closest) return;
      const el = e.target.closest('button, a, [role=button], input[type=submit], input[type=button]');
      if (!el) return;
      const label = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, MAX_LABEL);
      if (label) send({ t: 'click', label });
    },
    true,
  );

  // A look at storage: on load, when shown again, and periodically while visible.
  const entries = (s) => {
    const out = [];
    try {
      const n = Math.min(s.length, MAX_ENTRIES * 4);
      let total = 0;
      for (let i = 0; i < n && out.length < MAX_ENTRIES; i++) {
        const k = s.key(i);
        const v = s.getItem(k);
        if (k === null || v === null || k.length > MAX_KEY || v.length > MAX_VALUE || total + k.length + v.length > MAX_ENTRIES_CHARS) continue;
        total += k.length + v.length;
        out.push([k, v]);
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
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return hidden();
      life('visible');
      scan();
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
