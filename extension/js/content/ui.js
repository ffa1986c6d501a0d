// Logout Lens in-page UI: the logout overlay and the sign-in banner. Not a
// registered content script: the worker injects this file into a tab's top
// frame only when it has something to show, then sends the (Rust-made)
// text, which is shown only on a page of the site that logged out. It lives
// in a closed shadow root under one fixed-position host, so the page's CSS
// cannot reach it, the page's scripts cannot read what it says (the cause,
// the idle time, the path), and it cannot reach the page beyond its own box.
(() => {
  if (globalThis.__logoutLensUi) return;
  globalThis.__logoutLensUi = true;

  const CSS = `
    :host { all: initial; }
    .box { box-sizing: border-box; position: fixed; left: 50%; transform: translateX(-50%);
      width: min(560px, calc(100vw - 24px)); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
      color: #111827; background: #ffffff; border: 1px solid #d1d5db; border-left: 6px solid #b91c1c;
      border-radius: 8px; box-shadow: 0 8px 28px rgba(0,0,0,.25); padding: 12px 14px; display: flex; gap: 12px;
      align-items: flex-start; }
    .overlay { top: 16px; }
    .banner { top: 12px; border-left-color: #1d4ed8; }
    .icon { font-size: 24px; line-height: 1; flex: none; }
    .body { flex: 1; min-width: 0; }
    .title { font-weight: 700; margin: 0 0 2px; font-size: 15px; }
    .text { margin: 0; overflow-wrap: anywhere; }
    details { margin-top: 6px; }
    summary { cursor: pointer; color: #1d4ed8; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0 0; font-size: 13px; }
    dt { color: #4b5563; } dd { margin: 0; overflow-wrap: anywhere; }
    button { font: inherit; flex: none; background: #f3f4f6; color: #111827; border: 1px solid #9ca3af;
      border-radius: 6px; padding: 2px 9px; cursor: pointer; }
    button:hover { background: #e5e7eb; }
    :focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
  `;

  let host = null;
  let timer = 0;

  function mount(kind, label) {
    if (host) host.remove();
    clearTimeout(timer);
    let root;
    // A page that defined `logout-lens-ui` itself (and gave it a shadow
    // root first) gets a plain `div` host instead.
    for (const tag of ['logout-lens-ui', 'div']) {
      host = document.createElement(tag);
      try {
        root = host.attachShadow({ mode: 'closed' });
        break;
      } catch (_) {
        // Taken: try the next.
      }
    }
    // Inline !important beats any page rule aimed at the host itself.
    host.setAttribute('style', 'all: initial !important; position: fixed !important; z-index: 2147483647 !important; inset: 0 auto auto 0 !important; width: 0 !important; height: 0 !important; display: block !important;');
    const style = document.createElement('style');
    style.textContent = CSS;
    const box = document.createElement('div');
    box.className = `box ${kind}`;
    box.setAttribute('role', kind === 'overlay' ? 'alert' : 'status');
    box.setAttribute('aria-label', label);
    root.append(style, box);
    (document.body || document.documentElement).append(host);
    return box;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function dismiss() {
    clearTimeout(timer);
    if (host) host.remove();
    host = null;
  }

  function closeButton(box) {
    const b = el('button', 'close', 'Dismiss');
    b.type = 'button';
    b.addEventListener('click', dismiss);
    box.addEventListener('keydown', (e) => e.key === 'Escape' && dismiss());
    box.append(b);
    return b;
  }

  function overlay(msg) {
    const box = mount('overlay', 'Logout Lens: logout detected');
    const body = el('div', 'body');
    body.append(el('p', 'title', 'Logout Lens'), el('p', 'text', String(msg.text)));
    box.append(el('span', 'icon', String(msg.icon || '⚠️')), body);
    closeButton(box).focus({ preventScroll: true });
  }

  function banner(b) {
    const box = mount('banner', 'Logout Lens: why you were signed out');
    const body = el('div', 'body');
    body.append(el('p', 'title', String(b.message)));
    const details = el('details');
    details.append(el('summary', '', 'Technical details'));
    const dl = el('dl');
    for (const [k, v] of b.details || []) dl.append(el('dt', '', String(k)), el('dd', '', String(v)));
    details.append(dl);
    body.append(details);
    box.append(el('span', 'icon', String(b.icon)), body);
    closeButton(box);
    timer = setTimeout(dismiss, Number(b.hide_after_ms) || 30000);
  }

  chrome.runtime.onMessage.addListener((msg) => {
    if (!msg || typeof msg.t !== 'string' || msg.origin !== location.origin) return;
    if (msg.t === 'ui:overlay') overlay(msg);
    else if (msg.t === 'ui:banner' && msg.banner) banner(msg.banner);
  });
})();
