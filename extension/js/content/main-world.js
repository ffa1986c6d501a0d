// Logout Lens, MAIN world (document_start, every frame): catches the page's
// own writes to web storage and document.cookie, which no event reports in
// the tab that made them, and the page's fetch/XMLHttpRequest calls (the
// default network capture: webRequest costs every page load on Chromium).
// Observes and forwards only; the page can call these hooks with anything,
// so the extension treats what they report as untrusted.
//
// What it reports holds raw values (tokens in storage, Authorization
// headers, request bodies), and the page must not be able to read them on
// the way out. So nothing goes through `document` or `window`: at document
// start, before any page script exists, this script and the isolated-world
// forwarder (content/isolated.js) agree on a detached node that only the
// two of them hold (the handshake below), and every message is an event
// dispatched on that node, which no page listener can reach. And nothing
// here calls what the page can replace after document start: built-ins are
// captured first and called through `Reflect.apply`, and messages are
// prototype-free objects and arrays (no setter, `toJSON` or array method a
// page defines later is ever reached), so a page that patches prototypes
// sees nothing either.
//
// The forwarder stays quiet until the renderer is idle after the page's
// `load` (or the document is left first), so no message leaves a page while
// it loads. Until the forwarder says it is ready, messages wait here, each
// with the time it happened, and then go over as one message.
(() => {
  'use strict';
  // Event names, shared with content/isolated.js.
  const OFFER = 'logout-lens:offer';
  const ASK = 'logout-lens:ask';
  const MSG = 'logout-lens:msg';
  const READY = 'logout-lens:ready';
  const PENDING = 'logout-lens:pending';
  // The caps the Rust core applies (extension/src/limits.rs), written in by
  // `cargo xtask dist`.
  const LIMITS = /*LIMITS*/ {};
  const MAX_VALUE = LIMITS.VALUE;
  const MAX_KEY = LIMITS.KEY;
  const MAX_URL = LIMITS.URL;
  const MAX_ENTRIES = LIMITS.ENTRIES;
  // The entries of one `clear` and one hand-over, in characters.
  const MAX_ENTRIES_CHARS = LIMITS.ENTRIES_CHARS;
  const MAX_WAITING = LIMITS.HOOK_WAITING;
  const MAX_HANDOVER_CHARS = LIMITS.HOOK_HANDOVER_CHARS;
  // Stacks written out in one hand-over (each costs V8 the source positions of its functions).
  const MAX_HANDOVER_STACKS = 100;

  // --- Built-ins, captured before any page script runs.
  const R = Reflect;
  const apply = R.apply;
  const ownKeys = R.ownKeys;
  const O = Object;
  const create = O.create;
  const getOwn = O.getOwnPropertyDescriptor;
  const defineProp = O.defineProperty;
  const isArray = Array.isArray;
  const Str = String;
  const fromCharCode = String.fromCharCode;
  const stringify = JSON.stringify;
  const now = Date.now;
  const random = Math.random;
  const floor = Math.floor;
  const doc = document;
  const ET = EventTarget.prototype;
  const on = ET.addEventListener;
  const off = ET.removeEventListener;
  const dispatch = ET.dispatchEvent;
  const CE = CustomEvent;
  // The handshake's event: the lightest kind that carries a node (`relatedTarget`).
  const FE = FocusEvent;
  const createTextNode = Document.prototype.createTextNode;
  const setProto = O.setPrototypeOf;
  /** An array with no prototype (nothing a page defines on Array.prototype or Object.prototype is reached). */
  const list = (a) => setProto(a, null);
  const eventType = getOwn(Event.prototype, 'type').get;
  const { slice, indexOf, toLowerCase, charCodeAt } = String.prototype;
  const S = Storage.prototype;
  const { setItem, removeItem, clear, getItem, key } = S;
  const lengthOf = getOwn(S, 'length').get;
  const Err = Error;
  const stackOf = (e) => {
    try {
      return e.stack;
    } catch (_) {
      return '';
    }
  };

  // A message is a prototype-free object whose values are strings,
  // numbers, booleans, null or prototype-free arrays of those: written out
  // by the built-in, no `toJSON` is looked up anywhere but on them.
  const encode = stringify;

  /** `s` without leading and trailing white space. */
  const trim = (s) => {
    let a = 0;
    let b = s.length;
    while (a < b && apply(charCodeAt, s, [a]) <= 32) a++;
    while (b > a && apply(charCodeAt, s, [b - 1]) <= 32) b--;
    return apply(slice, s, [a, b]);
  };

  // A message's stack is captured when it happens but written out only as
  // the message leaves: formatting a stack makes V8 work out the source
  // positions of every function on it (recompiling them), which during a
  // page load would be the page's own start-up code, on the load's path.
  // Written out, it keeps the caller's first five frames (V8's `Error`
  // header line and this file's own frames are cut; SpiderMonkey has no
  // header), at most 1,000 chars.
  const SELF = 'content/main-world.js';
  const trace = (e) => {
    const s = stackOf(e);
    if (typeof s !== 'string') return null;
    let out = '';
    let kept = 0;
    let at = 0;
    while (at < s.length && kept < 5) {
      let end = apply(indexOf, s, ['\n', at]);
      if (end < 0) end = s.length;
      const line = trim(apply(slice, s, [at, end]));
      const mine = apply(indexOf, line, ['-extension://']) >= 0 && apply(indexOf, line, [SELF]) >= 0;
      if (line && line !== 'Error' && !mine) {
        out += (kept++ ? '\n' : '') + line;
      }
      at = end + 1;
    }
    return apply(slice, out, [0, 1000]);
  };
  const stack = () => new Err();

  /** The message as it leaves: its stack written out (or dropped), then JSON. */
  const finish = (m, withStack) => {
    if (m.stack !== undefined) m.stack = withStack ? trace(m.stack) : undefined;
    return encode(m);
  };

  // --- The private channel (see the top). Whichever of the two scripts
  // runs second completes the handshake synchronously, still before any
  // page script: the forwarder announces itself with ASK, this script
  // answers with OFFER, an event on `document` carrying the node as its
  // `relatedTarget`, and the forwarder takes it by cancelling the event.
  // This script answers one ASK only (the forwarder's, at document start);
  // the forwarder takes one offer only, and only while the document is
  // still loading. A text node: the cheapest node for the isolated world to
  // hold a wrapper of.
  const channel = apply(createTextNode, doc, ['']);
  let linked = false;
  const offer = () => {
    const e = new FE(OFFER, { __proto__: null, relatedTarget: channel, cancelable: true });
    linked = !apply(dispatch, doc, [e]) || linked;
  };
  offer();
  if (!linked) {
    const asked = () => {
      apply(off, doc, [ASK, asked, true]);
      if (!linked) offer();
    };
    apply(on, doc, [ASK, asked, true]);
  }

  // Until the forwarder is ready, messages wait here (prototype-free, so
  // that storing one sets nothing a page could have defined).
  let waiting = create(null);
  let count = 0;
  const emit = (text) => apply(dispatch, channel, [new CE(MSG, { __proto__: null, detail: text })]);
  const post = (m) => {
    try {
      if (!waiting) emit(finish(m, true));
      else if (count < MAX_WAITING) {
        waiting[count++] = m;
        // The forwarder listens for the page being left only once there is something to hand over.
        if (count === 1) apply(dispatch, channel, [new CE(PENDING)]);
      }
    } catch (_) {
      // Never break the page.
    }
  };
  // The forwarder is ready: the backlog goes over as one message (a JSON
  // array), newest first to fit its bounds, then the rest live.
  apply(on, channel, [
    READY,
    () => {
      const backlog = waiting;
      const n = count;
      waiting = null;
      if (!backlog || !n) return;
      try {
        const parts = create(null);
        let kept = 0;
        let chars = 0;
        for (let i = n - 1; i >= 0; i--) {
          const text = finish(backlog[i], n - 1 - i < MAX_HANDOVER_STACKS);
          if (chars + text.length > MAX_HANDOVER_CHARS) break;
          chars += text.length + 1;
          parts[kept++] = text;
        }
        let out = '[';
        for (let i = kept - 1; i >= 0; i--) out += parts[i] + (i ? ',' : '');
        emit(out + ']');
      } catch (_) {
        // Never break the page.
      }
    },
  ]);

  const cap = (v) => {
    if (v === null || v === undefined) return null;
    const s = Str(v);
    return s.length <= MAX_VALUE ? s : null;
  };
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
      return apply(getItem, s, [k]);
    } catch (_) {
      return null;
    }
  };

  const hook = (name, f) => {
    defineProp(S, name, { __proto__: null, value: f, writable: true, enumerable: true, configurable: true });
  };
  hook('setItem', function setItem_(k, v) {
    const a = area(this);
    const old = a ? read(this, k) : null;
    const r = apply(setItem, this, arguments);
    if (a) post({ __proto__: null, t: 'storage', area: a, op: 'set', key: apply(slice, Str(k), [0, MAX_KEY]), value: cap(v), old: cap(old), stack: stack(), at: now() });
    return r;
  });
  hook('removeItem', function removeItem_(k) {
    const a = area(this);
    const old = a ? read(this, k) : null;
    const r = apply(removeItem, this, arguments);
    if (a && old !== null) post({ __proto__: null, t: 'storage', area: a, op: 'remove', key: apply(slice, Str(k), [0, MAX_KEY]), old: cap(old), stack: stack(), at: now() });
    return r;
  });
  hook('clear', function clear_() {
    const a = area(this);
    const entries = list([]);
    if (a) {
      try {
        const n = apply(lengthOf, this, []);
        let chars = 0;
        for (let i = 0, kept = 0; i < n && kept < MAX_ENTRIES; i++) {
          const k = apply(key, this, [i]);
          const v = cap(apply(getItem, this, [k]));
          if (k === null || v === null || chars + k.length + v.length > MAX_ENTRIES_CHARS) continue;
          chars += k.length + v.length;
          entries[kept++] = list([apply(slice, k, [0, MAX_KEY]), v]);
        }
      } catch (_) {
        // Reading is best effort.
      }
    }
    const r = apply(clear, this, arguments);
    if (a) post({ __proto__: null, t: 'storage', area: a, op: 'clear', entries, stack: stack(), at: now() });
    return r;
  });

  const cookie = getOwn(Document.prototype, 'cookie');
  if (cookie && cookie.set && cookie.configurable) {
    defineProp(Document.prototype, 'cookie', {
      __proto__: null,
      configurable: true,
      enumerable: cookie.enumerable,
      get() {
        return apply(cookie.get, this, []);
      },
      set(v) {
        apply(cookie.set, this, [v]);
        post({ __proto__: null, t: 'cookie', text: apply(slice, Str(v), [0, MAX_VALUE]), stack: stack(), at: now() });
      },
    });
  }

  // --- fetch and XMLHttpRequest: one message per request, after it ends.
  // The originals are called exactly as before and their results returned
  // untouched; nothing is awaited on the page's path, no body is read, and
  // all the work (URLs, headers) waits until the response is in.
  const HEADERS = ['date', 'www-authenticate', 'x-auth-error-code', 'location'];
  // A per-frame counter, started at random so two documents of one frame differ.
  let seq = floor(random() * 1e9) * 1000;
  const then = Promise.prototype.then;
  const U = URL;
  const href = getOwn(URL.prototype, 'href').get;
  const baseURI = getOwn(Node.prototype, 'baseURI').get;
  const Req = typeof Request === 'function' ? Request.prototype : null;
  const reqUrl = Req && getOwn(Req, 'url').get;
  const reqMethod = Req && getOwn(Req, 'method').get;
  const reqHeaders = Req && getOwn(Req, 'headers').get;
  const Res = typeof Response === 'function' ? Response.prototype : null;
  const res = Res && {
    __proto__: null,
    headers: getOwn(Res, 'headers').get,
    status: getOwn(Res, 'status').get,
    type: getOwn(Res, 'type').get,
    url: getOwn(Res, 'url').get,
    redirected: getOwn(Res, 'redirected').get,
  };
  const headersGet = typeof Headers === 'function' ? Headers.prototype.get : null;
  const paramsText = typeof URLSearchParams === 'function' ? URLSearchParams.prototype.toString : null;
  /** `f` called on `self`, or `fallback` when `self` is not what `f` belongs to (a brand check). */
  const call = (f, self, args, fallback) => {
    try {
      return apply(f, self, args);
    } catch (_) {
      return fallback;
    }
  };
  const absolute = (u) => {
    try {
      const a = apply(href, new U(Str(u), apply(baseURI, doc, [])), []);
      const http = apply(slice, a, [0, 7]) === 'http://' || apply(slice, a, [0, 8]) === 'https://';
      return http ? apply(slice, a, [0, MAX_URL]) : null;
    } catch (_) {
      return null;
    }
  };
  // Only bodies that are text already: nothing is read or copied.
  const bodyText = (b) => {
    let t = typeof b === 'string' ? b : null;
    if (t === null && paramsText && b !== null && typeof b === 'object') t = call(paramsText, b, [], null);
    return t === null || t.length <= MAX_VALUE ? t : apply(slice, t, [0, MAX_VALUE]);
  };
  const authIn = (h) => {
    if (!h || typeof h !== 'object') return null;
    const fromHeaders = headersGet ? call(headersGet, h, ['authorization'], undefined) : undefined;
    if (fromHeaders !== undefined) return fromHeaders;
    if (isArray(h)) {
      for (let i = 0; i < h.length; i++) {
        const p = h[i];
        if (p && apply(toLowerCase, Str(p[0]), []) === 'authorization') return Str(p[1]);
      }
      return null;
    }
    const keys = ownKeys(h);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (typeof k === 'string' && apply(toLowerCase, k, []) === 'authorization') return Str(h[k]);
    }
    return null;
  };
  const netPost = (url, method, auth, body, start, status, error, redirected, finalUrl, headers) =>
    post({
      __proto__: null,
      t: 'net',
      id: ++seq,
      url,
      method: apply(slice, method, [0, 16]),
      auth: auth === null || auth === undefined ? null : cap(auth),
      body,
      start,
      end: now(),
      status,
      error,
      redirected,
      final_url: finalUrl ? apply(slice, finalUrl, [0, MAX_URL]) : null,
      headers,
      at: now(),
    });
  const upper = (m) => {
    // Methods are ASCII: upper-cased here without String.prototype.toUpperCase.
    let out = '';
    for (let i = 0; i < m.length; i++) {
      const c = apply(charCodeAt, m, [i]);
      out += c >= 97 && c <= 122 ? fromCharCode(c - 32) : m[i];
    }
    return out;
  };

  const ofetch = window.fetch;
  if (typeof ofetch === 'function' && Res) {
    const fetchDone = (input, init, start, r, err) => {
      try {
        const rurl = Req ? call(reqUrl, input, [], null) : null;
        const url = absolute(rurl !== null ? rurl : input);
        if (!url) return;
        // Opaque responses say nothing, not even the status.
        const type = r ? apply(res.type, r, []) : null;
        if (type === 'opaque' || type === 'opaqueredirect') return;
        const o = init && typeof init === 'object' ? init : null;
        const headers = list([]);
        if (r) {
          const h = apply(res.headers, r, []);
          for (let i = 0, n = 0; i < HEADERS.length; i++) {
            const v = apply(headersGet, h, [HEADERS[i]]);
            if (v !== null) headers[n++] = list([HEADERS[i], apply(slice, v, [0, MAX_VALUE])]);
          }
        }
        const method = (o && o.method) || (rurl !== null && call(reqMethod, input, [], null)) || 'GET';
        let auth = o ? authIn(o.headers) : null;
        if (auth === null && rurl !== null) auth = call(headersGet, apply(reqHeaders, input, []), ['authorization'], null);
        let errName = null;
        try {
          errName = err ? err.name : null;
        } catch (_) {
          // Not an error object.
        }
        netPost(
          url,
          upper(Str(method)),
          auth,
          o ? bodyText(o.body) : null,
          start,
          r ? apply(res.status, r, []) : 0,
          r ? null : errName === 'AbortError' ? 'net::ERR_ABORTED' : 'net::ERR_FAILED',
          r ? apply(res.redirected, r, []) : false,
          r ? apply(res.url, r, []) : null,
          headers,
        );
      } catch (_) {
        // Never break the page.
      }
    };
    const hooked = function fetch(input, init) {
      const start = now();
      const p = apply(ofetch, this, arguments);
      try {
        apply(then, p, [(r) => fetchDone(input, init, start, r, null), (err) => fetchDone(input, init, start, null, err)]);
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
    const status = getOwn(X, 'status').get;
    const responseURL = getOwn(X, 'responseURL').get;
    const getHeader = X.getResponseHeader;
    const WM = WeakMap.prototype;
    const { get: wmGet, set: wmSet } = WM;
    const calls = new WeakMap();
    const xhrDone = function xhrDone(e) {
      try {
        const c = apply(wmGet, calls, [this]);
        if (!c || c.done) return;
        const type = apply(eventType, e, []);
        if (type !== 'loadend') {
          c.error = type === 'abort' ? 'net::ERR_ABORTED' : type === 'timeout' ? 'net::ERR_TIMED_OUT' : 'net::ERR_FAILED';
          return;
        }
        c.done = true;
        const url = absolute(c.url);
        if (!url) return;
        const code = apply(status, this, []);
        const headers = list([]);
        if (code) {
          for (let i = 0, n = 0; i < HEADERS.length; i++) {
            const v = apply(getHeader, this, [HEADERS[i]]);
            if (v !== null) headers[n++] = list([HEADERS[i], apply(slice, v, [0, MAX_VALUE])]);
          }
        }
        const final = code ? apply(responseURL, this, []) : '';
        const hash = apply(indexOf, url, ['#']);
        netPost(
          url,
          upper(Str(c.method || 'GET')),
          c.auth,
          c.body,
          c.start,
          code,
          code ? null : c.error || 'net::ERR_FAILED',
          !!final && final !== (hash < 0 ? url : apply(slice, url, [0, hash])),
          final || null,
          headers,
        );
      } catch (_) {
        // Never break the page.
      }
    };
    const hooks = { __proto__: null };
    hooks.open = function open_(method, url) {
      try {
        apply(wmSet, calls, [this, { __proto__: null, method, url, auth: null, body: null, start: 0, done: false, error: null }]);
      } catch (_) {
        // Never break the page.
      }
      return apply(open, this, arguments);
    };
    hooks.setRequestHeader = function setRequestHeader_(name, value) {
      const r = apply(setRequestHeader, this, arguments);
      try {
        const c = apply(wmGet, calls, [this]);
        if (c && apply(toLowerCase, Str(name), []) === 'authorization') c.auth = Str(value);
      } catch (_) {
        // Never break the page.
      }
      return r;
    };
    hooks.send = function send_(body) {
      try {
        const c = apply(wmGet, calls, [this]);
        if (c && !c.start) {
          c.start = now();
          c.body = bodyText(body);
          apply(on, this, ['abort', xhrDone]);
          apply(on, this, ['timeout', xhrDone]);
          apply(on, this, ['error', xhrDone]);
          apply(on, this, ['loadend', xhrDone]);
        }
      } catch (_) {
        // Never break the page.
      }
      return apply(send, this, arguments);
    };
    for (const name of ['open', 'setRequestHeader', 'send']) {
      try {
        defineProp(X, name, { __proto__: null, value: hooks[name], writable: true, enumerable: true, configurable: true });
      } catch (_) {
        // A frozen prototype: leave it.
      }
    }
  }
})();
