-- The last refresh refusal per session, so a later logout report can be mapped to the
-- server's reason (expired, idle_timeout, revoked, reused) even when nothing was revoked.
ALTER TABLE sessions ADD COLUMN last_failure TEXT;
ALTER TABLE sessions ADD COLUMN last_failure_ms INTEGER;
