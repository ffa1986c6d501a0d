// @supabase/supabase-js against the GoTrue stand-in (`/auth/v1/token`).
import { createClient } from '@supabase/supabase-js';
import { cfg, expose } from './common.js';

expose((app) => {
  const supabase = createClient(cfg.url, cfg.anonKey);
  supabase.auth.onAuthStateChange((event) => app.note(event));
  return {
    async start() {
      const { data } = await supabase.auth.getSession();
      return !!data.session;
    },
    async signIn() {
      const { error } = await supabase.auth.signInWithPassword({ email: cfg.email, password: cfg.password });
      if (error) throw error;
      app.setState('signed-in');
    },
    signOut: () => supabase.auth.signOut(),
    refresh: () => supabase.auth.refreshSession(),
    user: async () => (await supabase.auth.getSession()).data.session?.user ?? null,
  };
});
