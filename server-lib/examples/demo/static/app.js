// Logout Lens demo SPA. Plain script, no build step. Behaviour follows the seed app:
// tokens in localStorage (or HttpOnly cookies), a dashboard polling a protected API,
// refresh on 401, and a logout tracker that posts the seed payload to the server.
(() => {
  'use strict';
  const CONFIG = JSON.parse(document.getElementById('demo-config').textContent);
  const COOKIE_MODE = CONFIG.tokens === 'cookie';
  const K = {
    access: 'access_token',
    refresh: 'refresh_token',
    user: 'user',
    device: 'device_id',
    lastActivity: 'last_activity',
    lastRefresh: 'last_refresh_at',
    accessExpiry: 'access_expires_at',
  };
  const page = document.body.dataset.page;
  const $ = (id) => document.getElementById(id);

  // With --uncoordinated-refresh every tab keeps its own copy of the tokens, read once at load:
  // the classic SPA bug that lets two tabs refresh with the same token.
  let memory = { access: localStorage.getItem(K.access), refresh: localStorage.getItem(K.refresh) };
  function tokens() {
    if (CONFIG.uncoordinated_refresh) return memory;
    return { access: localStorage.getItem(K.access), refresh: localStorage.getItem(K.refresh) };
  }
  function currentUser() {
    try { return JSON.parse(localStorage.getItem(K.user) || 'null'); } catch { return null; }
  }
  function saveTokens(body) {
    if (!COOKIE_MODE) {
      memory = { access: body.access, refresh: body.refresh };
      localStorage.setItem(K.access, body.access);
      localStorage.setItem(K.refresh, body.refresh);
    }
    if (body.user && body.user.email) localStorage.setItem(K.user, JSON.stringify(body.user));
    if (body.access_expires_at_ms) localStorage.setItem(K.accessExpiry, String(body.access_expires_at_ms));
    localStorage.setItem(K.lastRefresh, String(Date.now()));
  }
  function clearSession() {
    for (const k of [K.access, K.refresh, K.user, K.accessExpiry]) localStorage.removeItem(k);
    memory = { access: null, refresh: null };
  }
  function signedIn() {
    return !!currentUser() && (COOKIE_MODE || !!tokens().refresh);
  }

  // ---- activity, for idleMinutes ----
  let lastWrite = 0;
  function markActivity() {
    const now = Date.now();
    if (now - lastWrite > 5000) {
      lastWrite = now;
      localStorage.setItem(K.lastActivity, String(now));
    }
  }
  for (const ev of ['mousemove', 'keydown', 'click', 'scroll', 'touchstart']) {
    addEventListener(ev, markActivity, { passive: true });
  }

  function log(text) {
    const list = $('log');
    if (!list) return;
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    list.prepend(li);
    while (list.children.length > 50) list.lastChild.remove();
  }
  function setText(id, text) {
    const el = $(id);
    if (el) el.textContent = text;
  }

  // ---- the logout tracker (the seed's payload, field for field) ----
  async function trackLogout(message, type) {
    const user = currentUser();
    const t = tokens();
    const last = Number(localStorage.getItem(K.lastActivity) || Date.now());
    const payload = {
      type,
      message,
      timestamp: Date.now(),
      idleMinutes: Math.max(0, Math.round((Date.now() - last) / 60000)),
      location: location.pathname,
      context: {
        hasToken: COOKIE_MODE ? !!user : !!t.access,
        hasRefreshToken: COOKIE_MODE ? !!user : !!t.refresh,
        isAuthenticated: !!user,
        userId: user ? user.id : undefined,
        userEmail: user ? user.email : undefined,
      },
    };
    const headers = { 'content-type': 'application/json' };
    if (!COOKIE_MODE && t.access) headers.authorization = `Bearer ${t.access}`;
    try {
      await fetch('/v1/auth/logout-event/', {
        method: 'POST', headers, body: JSON.stringify(payload), keepalive: true, credentials: 'same-origin',
      });
    } catch (e) {
      console.warn('logout event not sent', e);
    }
  }

  let loggingOut = false;
  async function logout(message, type) {
    if (loggingOut) return;
    loggingOut = true;
    stopPolling();
    log(`logout: ${type} ${message}`);
    await trackLogout(message, type);
    if (type === 'USER_ACTION') {
      const t = tokens();
      try {
        await fetch('/v1/auth/logout/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify(COOKIE_MODE ? {} : { refresh: t.refresh }),
        });
      } catch (e) {
        console.warn('logout request failed', e);
      }
    }
    clearSession();
    sessionStorage.setItem('logout_notice', `${type}: ${message}`);
    location.assign(`/signin?reason=${encodeURIComponent(type)}`);
  }

  // ---- refresh ----
  let inflight = null;
  function refreshFailureType(code) {
    return ['expired', 'idle_timeout', 'missing_token'].includes(code) ? 'TOKEN_EXPIRED' : 'REFRESH_FAILED';
  }
  function refreshedElsewhere(started, stale) {
    if (COOKIE_MODE) return Number(localStorage.getItem(K.lastRefresh) || 0) >= started;
    return localStorage.getItem(K.refresh) !== stale;
  }
  async function doRefresh(started, stale) {
    // Another tab may have refreshed while this one waited for the lock.
    if (!CONFIG.uncoordinated_refresh && refreshedElsewhere(started, stale)) return true;
    let res;
    try {
      res = await fetch('/v1/auth/refresh/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(COOKIE_MODE ? {} : { refresh: tokens().refresh }),
      });
    } catch (e) {
      // A network blip is not a reason to log anyone out.
      log(`refresh failed: network (${e})`);
      return false;
    }
    if (res.ok) {
      saveTokens(await res.json());
      const n = Number($('refreshes') ? $('refreshes').textContent : 0) + 1;
      setText('refreshes', String(n));
      log('refreshed tokens');
      return true;
    }
    const code = res.headers.get('x-auth-error-code') || `http_${res.status}`;
    await logout(`Refresh token returned ${res.status} (${code})`, refreshFailureType(code));
    return false;
  }
  function refresh() {
    if (inflight) return inflight;
    const started = Date.now();
    const stale = tokens().refresh;
    const run = () => doRefresh(started, stale);
    inflight = (!CONFIG.uncoordinated_refresh && navigator.locks
      ? coordinated(run, () => refreshedElsewhere(started, stale))
      : run()
    ).finally(() => { inflight = null; });
    return inflight;
  }
  // One tab refreshes at a time. A tab that had to wait for the lock gives the
  // holder's new tokens a moment to reach its own localStorage: storage is
  // synced between tabs asynchronously, so right after the lock is handed
  // over this tab may still read the old refresh token, and sending that one
  // again is a reuse that strict rotation punishes.
  const LOCK = 'logout-lens-demo-refresh';
  const CONTENDED = {};
  async function coordinated(run, done) {
    const first = await navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? run() : CONTENDED));
    if (first !== CONTENDED) return first;
    return navigator.locks.request(LOCK, async () => {
      await storageSettled(done, 500);
      return run();
    });
  }
  function storageSettled(done, ms) {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(wait);
        removeEventListener('storage', onStorage);
        resolve();
      };
      const onStorage = () => { if (done()) finish(); };
      const wait = setTimeout(finish, ms);
      addEventListener('storage', onStorage);
    });
  }

  function authedFetch(path) {
    const headers = {};
    const t = tokens();
    if (!COOKIE_MODE && t.access) headers.authorization = `Bearer ${t.access}`;
    return fetch(path, { headers, credentials: 'same-origin' });
  }

  async function api(path) {
    let res = await authedFetch(path);
    if (res.status === 401) {
      log(`${path}: 401 ${res.headers.get('x-auth-error-code') || ''}`);
      if (!(await refresh())) return null;
      res = await authedFetch(path);
    }
    if (res.status === 403) {
      log(`${path}: 403`);
      if (CONFIG.logout_on_403) {
        await logout(`API returned 403 for ${path}`, 'AUTH_ERROR');
        return null;
      }
    }
    return res;
  }

  // ---- dashboard ----
  let timer = null;
  let polls = 0;
  function stopPolling() {
    if (timer) clearTimeout(timer);
    timer = null;
  }
  async function poll() {
    polls += 1;
    try {
      const me = await api('/api/me');
      if (me && me.ok) {
        const body = await me.json();
        setText('api-ok', String(Number($('api-ok').textContent) + 1));
        setText('session', body.session_id);
        setText('status', 'signed in');
      } else if (me) {
        setText('api-fail', String(Number($('api-fail').textContent) + 1));
        setText('status', `API answered ${me.status}`);
      }
      if (!loggingOut && CONFIG.reports_every > 0 && polls % CONFIG.reports_every === 0) {
        const r = await api('/api/reports');
        if (r) setText('reports', r.ok ? 'loaded' : `not permitted (${r.status})`);
      }
    } catch (e) {
      setText('status', `network error: ${e}`);
    }
    const exp = Number(localStorage.getItem(K.accessExpiry) || 0);
    if (exp) setText('access-expiry', `expires in ${Math.round((exp - Date.now()) / 1000)} s`);
    if (!loggingOut) timer = setTimeout(poll, CONFIG.poll_ms);
  }

  function startDashboard() {
    if (!signedIn()) {
      location.replace('/signin');
      return;
    }
    const user = currentUser();
    setText('who', user.email);
    $('logout').addEventListener('click', () => logout('User clicked logout button', 'USER_ACTION'));
    // Another tab logged out: follow it (that tab already reported why).
    addEventListener('storage', (e) => {
      if (e.key === K.user && !e.newValue && !loggingOut) {
        loggingOut = true;
        stopPolling();
        sessionStorage.setItem('logout_notice', 'Signed out in another tab');
        location.assign('/signin');
      }
    });
    markActivity();
    poll();
  }

  // ---- sign-in ----
  function startSignin() {
    if (signedIn()) {
      location.replace('/dashboard');
      return;
    }
    const notice = sessionStorage.getItem('logout_notice');
    if (notice) {
      const el = $('logout-notice');
      el.textContent = `You were logged out — ${notice}`;
      el.hidden = false;
    }
    $('signin-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const err = $('signin-error');
      err.hidden = true;
      let device = localStorage.getItem(K.device);
      if (!device) {
        device = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
        localStorage.setItem(K.device, device);
      }
      try {
        const res = await fetch('/v1/auth/login/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify({
            email: $('email').value,
            password: $('password').value,
            remember_me: $('remember-me').checked,
            device_id: device,
          }),
        });
        const body = await res.json();
        if (!res.ok) throw new Error(body.detail || `sign-in failed (${res.status})`);
        saveTokens(body);
        sessionStorage.removeItem('logout_notice');
        localStorage.setItem(K.lastActivity, String(Date.now()));
        location.assign('/dashboard');
      } catch (ex) {
        err.textContent = ex.message;
        err.hidden = false;
      }
    });
  }

  if (page === 'dashboard') startDashboard();
  if (page === 'signin') startSignin();
})();
