// What every test page exposes to the harness: `window.app` with `ready`
// (resolves true when signed in), `signIn()`, `signOut()`, `refresh()`,
// `events` (what the SDK reported), and `document.body.dataset.state`.
export const cfg = window.__CFG || {};
export const here = location.origin + location.pathname;

export function expose(impl) {
  const events = [];
  const app = {
    events,
    note(name, detail) {
      events.push({ at: Date.now(), name, detail: detail === undefined ? undefined : String(detail?.message ?? detail) });
    },
    setState(state) {
      document.body.dataset.state = state;
      const el = document.getElementById('state');
      if (el) el.textContent = state;
    },
  };
  Object.assign(app, impl(app));
  app.ready = Promise.resolve(app.start ? app.start() : false).then(
    (signedIn) => {
      app.setState(signedIn ? 'signed-in' : 'signed-out');
      return signedIn;
    },
    (e) => {
      app.note('start_error', e);
      app.setState('error');
      return false;
    },
  );
  window.app = app;
  return app;
}
