// Amplify v6 (Cognito user pools) against the Cognito stand-in, reached through
// the SDK's own `userPoolEndpoint` override.
import { Amplify } from 'aws-amplify';
import { signIn, signOut, fetchAuthSession, getCurrentUser } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';
import { cfg, expose } from './common.js';

expose((app) => {
  Amplify.configure({
    Auth: { Cognito: { userPoolId: cfg.userPoolId, userPoolClientId: cfg.clientId, userPoolEndpoint: cfg.endpoint } },
  });
  Hub.listen('auth', ({ payload }) => app.note(payload.event));
  return {
    async start() {
      try {
        await getCurrentUser();
        return true;
      } catch {
        return false;
      }
    },
    async signIn() {
      const out = await signIn({ username: cfg.username, password: cfg.password, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
      if (!out.isSignedIn) throw new Error(`sign-in step ${out.nextStep?.signInStep}`);
      app.setState('signed-in');
    },
    signOut: () => signOut(),
    refresh: () => fetchAuthSession({ forceRefresh: true }),
    user: () => getCurrentUser(),
  };
});
