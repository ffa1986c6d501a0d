// Firebase Auth (modular SDK) against the Auth emulator (`connectAuthEmulator`).
// `persistence`: 'indexedDB' (what getAuth() picks first) or 'local'
// (browserLocalPersistence: the same object in localStorage).
import { initializeApp } from 'firebase/app';
import {
  initializeAuth, connectAuthEmulator, browserLocalPersistence, indexedDBLocalPersistence,
  browserSessionPersistence, browserPopupRedirectResolver, signInWithEmailAndPassword,
  createUserWithEmailAndPassword, signOut, onAuthStateChanged,
} from 'firebase/auth';
import { cfg, expose } from './common.js';

expose((app) => {
  const fb = initializeApp({ apiKey: cfg.apiKey, authDomain: cfg.authDomain, projectId: cfg.projectId });
  // getAuth()'s own order: IndexedDB, then localStorage, then sessionStorage.
  const persistence = cfg.persistence === 'local'
    ? browserLocalPersistence
    : [indexedDBLocalPersistence, browserLocalPersistence, browserSessionPersistence];
  const auth = initializeAuth(fb, { persistence, popupRedirectResolver: browserPopupRedirectResolver });
  connectAuthEmulator(auth, cfg.emulator, { disableWarnings: true });
  return {
    start: () => new Promise((resolve) => {
      const off = onAuthStateChanged(auth, (user) => {
        off();
        resolve(!!user);
      });
    }),
    async signIn() {
      try {
        await signInWithEmailAndPassword(auth, cfg.email, cfg.password);
      } catch (e) {
        if (!/user-not-found|invalid-credential|invalid-login/.test(e.code || '')) throw e;
        await createUserWithEmailAndPassword(auth, cfg.email, cfg.password);
      }
      app.setState('signed-in');
    },
    signOut: () => signOut(auth),
    refresh: () => auth.currentUser?.getIdToken(true),
    user: () => auth.currentUser,
  };
});
