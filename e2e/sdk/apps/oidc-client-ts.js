// oidc-client-ts against the real provider: authorization code + PKCE, refresh
// token renewals (`automaticSilentRenew`), iframe renew when there is none.
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { cfg, here, expose } from './common.js';

const settings = {
  authority: cfg.issuer,
  client_id: cfg.clientId,
  redirect_uri: here,
  silent_redirect_uri: `${location.origin}/oidc-client-ts/silent.html`,
  post_logout_redirect_uri: here,
  scope: cfg.scope || 'openid email profile offline_access',
  automaticSilentRenew: cfg.automaticSilentRenew ?? true,
  // The library's default store is sessionStorage; `store: 'localStorage'` is the common option.
  ...(cfg.store === 'localStorage' ? { userStore: new WebStorageStateStore({ store: window.localStorage }) } : {}),
};
const um = new UserManager(settings);

if (window.__SILENT) {
  um.signinCallback().catch((e) => console.error('silent callback', e));
} else {
  expose((app) => {
    um.events.addSilentRenewError((e) => app.note('silentRenewError', e));
    um.events.addAccessTokenExpired(() => app.note('accessTokenExpired'));
    um.events.addUserLoaded(() => app.note('userLoaded'));
    um.events.addUserUnloaded(() => app.note('userUnloaded'));
    um.events.addUserSignedOut(() => app.note('userSignedOut'));
    return {
      async start() {
        const q = new URLSearchParams(location.search);
        if (q.has('code') || q.has('error')) {
          await um.signinCallback();
          history.replaceState(null, '', here);
        }
        const user = await um.getUser();
        return !!user && !user.expired;
      },
      signIn: () => um.signinRedirect(),
      signOut: () => um.signoutRedirect(),
      refresh: () => um.signinSilent(),
      user: () => um.getUser(),
    };
  });
}
