// MSAL.js (@azure/msal-browser) against the real provider in OIDC protocol
// mode (MSAL insists on an https authority). `cache`: 'sessionStorage' (the
// SDK's default), 'localStorage' or 'memoryStorage'.
import { createStandardPublicClientApplication, ProtocolMode, EventType } from '@azure/msal-browser';
import { cfg, here, expose } from './common.js';

const scopes = ['openid', 'profile', 'email', 'offline_access'];

expose((app) => {
  let pca;
  return {
    async start() {
      pca = await createStandardPublicClientApplication({
        auth: {
          clientId: cfg.clientId,
          authority: cfg.issuer,
          knownAuthorities: [new URL(cfg.issuer).host],
          redirectUri: here,
          postLogoutRedirectUri: here,
        },
        cache: { cacheLocation: cfg.cache || 'sessionStorage' },
        system: { protocolMode: ProtocolMode.OIDC },
      });
      pca.addEventCallback((e) => {
        if (e.eventType === EventType.ACQUIRE_TOKEN_FAILURE || e.eventType === EventType.LOGIN_FAILURE) app.note(e.eventType, e.error?.errorCode || e.error);
      });
      const result = await pca.handleRedirectPromise();
      if (result?.account) pca.setActiveAccount(result.account);
      const account = pca.getActiveAccount() || pca.getAllAccounts()[0];
      return !!account;
    },
    signIn: () => pca.loginRedirect({ scopes }),
    signOut: () => pca.logoutRedirect(),
    refresh: () => pca.acquireTokenSilent({ scopes, account: pca.getAllAccounts()[0], forceRefresh: true }),
    user: () => pca.getAllAccounts()[0] || null,
  };
});
