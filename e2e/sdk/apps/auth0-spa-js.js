// @auth0/auth0-spa-js against the real provider (serving Auth0's paths:
// /authorize, /oauth/token, web_message silent auth). `cache`: 'localstorage'
// or the SDK's default 'memory'.
import { createAuth0Client } from '@auth0/auth0-spa-js';
import { cfg, here, expose } from './common.js';

expose((app) => {
  let client;
  return {
    async start() {
      client = await createAuth0Client({
        domain: cfg.domain,
        clientId: cfg.clientId,
        cacheLocation: cfg.cache || 'memory',
        useRefreshTokens: cfg.useRefreshTokens ?? true,
        authorizationParams: { redirect_uri: here, scope: 'openid profile email offline_access' },
      });
      const q = new URLSearchParams(location.search);
      if (q.has('code') || q.has('error')) {
        await client.handleRedirectCallback();
        history.replaceState(null, '', here);
      }
      return client.isAuthenticated();
    },
    signIn: () => client.loginWithRedirect(),
    signOut: () => client.logout({ logoutParams: { returnTo: here } }),
    refresh: () => client.getTokenSilently({ cacheMode: 'off' }).catch((e) => {
      app.note('getTokenSilently_error', e.error || e);
      throw e;
    }),
    user: () => client.getUser(),
  };
});
