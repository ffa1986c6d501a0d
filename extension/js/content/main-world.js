// Logout Lens, MAIN world (document_start, every frame): catches the page's
// own writes to web storage and document.cookie, which no event reports in
// the tab that made them. Observes and forwards only; the page can forge
// these messages, so the extension treats them as untrusted.
(() => {
  const EVT = 'logout-lens:main';
  const MAX_VALUE = 16384;
  const MAX_ENTRIES = 500;
  const doc = document;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const CE = CustomEvent;
  const stringify = JSON.stringify;
  const S = Storage.prototype;
  const { setItem, removeItem, clear, getItem, key } = S;
  const lengthOf = Object.getOwnPropertyDescriptor(S, 'length').get;

  const post = (m) => {
    try {
      dispatch.call(doc, new CE(EVT, { detail: stringify(m) }));
    } catch (_) {
      // Never break the page.
    }
  };
  const stack = () => {
    const s = new Error().stack || '';
    return s.split('\n').slice(3, 8).map((l) => l.trim()).join('\n').slice(0, 1000);
  };
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
})();
