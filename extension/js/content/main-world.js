// Logout Lens, MAIN world (document_start, every frame): catches the page's
// own writes to web storage and document.cookie, which no event reports in
// the tab that made them, and the page's fetch/XMLHttpRequest calls (the
// default network capture: webRequest costs every page load on Chromium).
// Observes and forwards only; the page can forge these messages, so the
// extension treats them as untrusted.
//
// The isolated-world forwarder (content/isolated.js) is declared at
// document start too, but stays quiet until the renderer is idle after the
// page's `load` (or the document is left first), so no message leaves a
// page while it loads. Until the forwarder announces itself
// (`logout-lens:ready`), messages wait here, each with the time it happened.
(() => {
  const EVT = 'logout-lens:main';
  const READY = 'logout-lens:ready';
  const MAX_VALUE = 16384;
  const MAX_ENTRIES = 500;
  const MAX_WAITING = 500;
  const doc = document;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const CE = CustomEvent;
  const stringify = JSON.stringify;
  const now = Date.now;
  const S = Storage.prototype;
  const { setItem, removeItem, clear, getItem, key } = S;
  const lengthOf = Object.getOwnPropertyDescriptor(S, 'length').get;

  // A message's stack is captured when it happens but written out only as
  // the message leaves: formatting a stack makes V8 work out the source
  // positions of every function on it (recompiling them), which during a
  // page load would be the page's own start-up code, on the load's path.
  const Err = Error;
  const trace = (e) => {
    const s = e.stack || '';
    return s.split('\n').slice(3, 8).map((l) => l.trim()).join('\n').slice(0, 1000);
  };
  const encode = (m) => {
    if (m.stack) m.stack = trace(m.stack);
    return stringify(m);
  };
  let waiting = [];
  const emit = (m) => dispatch.call(doc, new CE(EVT, { detail: encode(m) }));
  const post = (m) => {
    try {
      m.at = now();
      if (!waiting) emit(m);
      else if (waiting.length < MAX_WAITING) waiting.push(m);
    } catch (_) {
      // Never break the page.
    }
  };
  // Every (re)injected forwarder says so; the first one takes the backlog.
  doc.addEventListener(READY, () => {
    const backlog = waiting || [];
    waiting = null;
    for (const m of backlog) {
      try {
        emit(m);
      } catch (_) {
        // Never break the page.
      }
    }
  });
  // The caller's frames: this function's, the hook's and V8's header line are
  // cut when written out (`trace`).
  const stack = () => new Err();
  const cap = (v) => (v === null || v === undefined ? null : String(v).length <= MAX_VALUE ? String(v) : null);
  const area = (s) => {
    try {
      if (s === window.localStorage) return 'local';
      if (s === window.sessionStorage) return 'session';
    } catch (_) {
      // Storage access can throw in sandboxed frames.
    }
    return null;
  };
  const read = (s, k) => {
    try {
      return getItem.call(s, k);
    } catch (_) {
      return null;
    }
  };

  S.setItem = function setItemHooked(k, v) {
    const a = area(this);
    const old = a ? read(this, k) : null;
    const r = setItem.apply(this, arguments);
    if (a) post({ t: 'storage', area: a, op: 'set', key: String(k), value: cap(v), old: cap(old), stack: stack() });
    return r;
  };
  S.removeItem = function removeItemHooked(k) {
    const a = area(this);
    const old = a ? read(this, k) : null;
    const r = removeItem.apply(this, arguments);
    if (a && old !== null) post({ t: 'storage', area: a, op: 'remove', key: String(k), old: cap(old), stack: stack() });
    return r;
  };
  S.clear = function clearHooked() {
    const a = area(this);
    const entries = [];
    if (a) {
      try {
        const n = Math.min(lengthOf.call(this), MAX_ENTRIES);
        for (let i = 0; i < n; i++) {
          const k = key.call(this, i);
          const v = cap(getItem.call(this, k));
          if (k !== null && v !== null) entries.push([k, v]);
        }
      } catch (_) {
        // Reading is best effort.
      }
    }
    const r = clear.apply(this, arguments);
    if (a) post({ t: 'storage', area: a, op: 'clear', entries, stack: stack() });
    return r;
  };

  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (cookie && cookie.set && cookie.configurable) {
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true,
      enumerable: cookie.enumerable,
      get() {
        return cookie.get.call(this);
      },
      set(v) {
        cookie.set.call(this, v);
        post({ t: 'cookie', text: String(v).slice(0, MAX_VALUE), stack: stack() });
      },
    });
  }

  // --- fetch and XMLHttpRequest: one message per request, after it ends.
  // The originals are called exactly as before and their results returned
  // untouched; nothing is awaited on the page's path, no body is read, and
  // all the work (URLs, headers, JSON) waits until the response is in.
  const HEADERS = ['date', 'www-authenticate', 'x-auth-error-code', 'location'];
  // A per-frame counter, started at random so two documents of one frame differ.
  let seq = Math.floor(Math.random() * 1e9) * 1000;
  const then = Promise.prototype.then;
  const R = typeof Request === 'function' ? Request : null;
  const H = typeof Headers === 'function' ? Headers : null;
  const US = typeof URLSearchParams === 'function' ? URLSearchParams : null;
  const absolute = (u) => {
    try {
      const a = new URL(String(u), doc.baseURI).href;
      return /^https?:/.test(a) ? a : null;
    } catch (_) {
      return null;
    }
  };
  // Only bodies that are text already: nothing is read or copied.
  const bodyText = (b) => {
    const t = typeof b === 'string' ? b : US && b instanceof US ? String(b) : null;
    return t === null || t.length <= MAX_VALUE ? t : t.slice(0, MAX_VALUE);
  };
  const authIn = (h) => {
    if (!h) return null;
    if (H && h instanceof H) return h.get('authorization');
    const list = Array.isArray(h) ? h : Object.entries(h);
    for (const [k, v] of list) if (String(k).toLowerCase() === 'authorization') return String(v);
    return null;
  };
  const netPost = (m) => {
    m.t = 'net';
    m.id = ++seq;
    m.auth = m.auth === null || m.auth === undefined ? null : cap(m.auth);
    post(m);
  };

  const ofetch = window.fetch;
  if (typeof ofetch === 'function') {
    const fetchDone = (input, init, start, res, err) => {
      try {
        const req = R && input instanceof R ? input : null;
        const url = absolute(req ? req.url : input);
        if (!url) return;
        // Opaque responses say nothing, not even the status.
        if (res && (res.type === 'opaque' || res.type === 'opaqueredirect')) return;
        const o = init || {};
        const headers = [];
        if (res) {
          for (const n of HEADERS) {
            const v = res.headers.get(n);
            if (v !== null) headers.push([n, v]);
          }
        }
        netPost({
          url,
          method: String(o.method || (req && req.method) || 'GET').toUpperCase(),
          auth: authIn(o.headers) || (req ? req.headers.get('authorization') : null),
          body: bodyText(o.body),
          start,
          end: now(),
          status: res ? res.status : 0,
          error: res ? null : err && err.name === 'AbortError' ? 'net::ERR_ABORTED' : 'net::ERR_FAILED',
          redirected: res ? res.redirected : false,
          final_url: res ? res.url : null,
          headers,
        });
      } catch (_) {
        // Never break the page.
      }
    };
    const hooked = function fetch(input, init) {
      const start = now();
      const p = ofetch.apply(this, arguments);
      try {
        then.call(
          p,
          (res) => fetchDone(input, init, start, res, null),
          (err) => fetchDone(input, init, start, null, err),
        );
      } catch (_) {
        // Not a promise: nothing to watch.
      }
      return p;
    };
    try {
      window.fetch = hooked;
    } catch (_) {
      // A frozen global: leave it.
    }
  }

  const X = typeof XMLHttpRequest === 'function' ? XMLHttpRequest.prototype : null;
  if (X) {
    const { open, setRequestHeader, send } = X;
    const on = EventTarget.prototype.addEventListener;
    const status = Object.getOwnPropertyDescriptor(X, 'status').get;
    const responseURL = Object.getOwnPropertyDescriptor(X, 'responseURL').get;
    const getHeader = X.getResponseHeader;
    const calls = new WeakMap();
    const xhrDone = function xhrDone(e) {
      try {
        const c = calls.get(this);
        if (!c || c.done) return;
        if (e.type !== 'loadend') {
          c.error = e.type === 'abort' ? 'net::ERR_ABORTED' : e.type === 'timeout' ? 'net::ERR_TIMED_OUT' : 'net::ERR_FAILED';
          return;
        }
        c.done = true;
        const url = absolute(c.url);
        if (!url) return;
        const code = status.call(this);
        const headers = [];
        if (code) {
          for (const n of HEADERS) {
            const v = getHeader.call(this, n);
            if (v !== null) headers.push([n, v]);
          }
        }
        const final = code ? responseURL.call(this) : '';
        netPost({
          url,
          method: String(c.method || 'GET').toUpperCase(),
          auth: c.auth,
          body: c.body,
          start: c.start,
          end: now(),
          status: code,
          error: code ? null : c.error || 'net::ERR_FAILED',
          redirected: !!final && final !== url.split('#')[0],
          final_url: final || null,
          headers,
        });
      } catch (_) {
        // Never break the page.
      }
    };
    const hooks = {};
    hooks.open = function openHooked(method, url) {
      try {
        calls.set(this, { method, url, auth: null, body: null, start: 0, done: false, error: null });
      } catch (_) {
        // Never break the page.
      }
      return open.apply(this, arguments);
    };
    hooks.setRequestHeader = function setRequestHeaderHooked(name, value) {
      const r = setRequestHeader.apply(this, arguments);
      try {
        const c = calls.get(this);
        if (c && String(name).toLowerCase() === 'authorization') c.auth = String(value);
      } catch (_) {
        // Never break the page.
      }
      return r;
    };
    hooks.send = function sendHooked(body) {
      try {
        const c = calls.get(this);
        if (c && !c.start) {
          c.start = now();
          c.body = bodyText(body);
          on.call(this, 'abort', xhrDone);
          on.call(this, 'timeout', xhrDone);
          on.call(this, 'error', xhrDone);
          on.call(this, 'loadend', xhrDone);
        }
      } catch (_) {
        // Never break the page.
      }
      return send.apply(this, arguments);
    };
    try {
      Object.assign(X, hooks);
    } catch (_) {
      // A frozen prototype: leave it.
    }
  }
})();
