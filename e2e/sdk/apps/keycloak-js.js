// keycloak-js in its generic OIDC mode (`oidcProvider`) against the real
// provider. It keeps every token in memory; nothing is persisted.
import Keycloak from 'keycloak-js';
import { cfg, here, expose } from './common.js';

expose((app) => {
  const kc = new Keycloak({ oidcProvider: cfg.issuer, clientId: cfg.clientId });
  kc.onAuthRefreshError = () => app.note('onAuthRefreshError');
  kc.onAuthLogout = () => app.note('onAuthLogout');
  kc.onTokenExpired = () => app.note('onTokenExpired');
  window.keycloak = kc;
  return {
    start: () => kc.init({
      checkLoginIframe: false,
      pkceMethod: 'S256',
      redirectUri: here,
      scope: 'openid email profile',
      responseMode: cfg.responseMode || 'fragment',
    }),
    signIn: () => kc.login({ redirectUri: here }),
    signOut: () => kc.logout({ redirectUri: here }),
    refresh: () => kc.updateToken(-1),
    user: () => (kc.authenticated ? kc.tokenParsed : null),
  };
});
