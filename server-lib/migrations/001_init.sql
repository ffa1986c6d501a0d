-- Refresh-token families: one per login (and device). `generation` is the current token's.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    device_id      TEXT,
    remember_me    INTEGER NOT NULL,
    created_ms     INTEGER NOT NULL,
    expires_ms     INTEGER NOT NULL,
    last_used_ms   INTEGER NOT NULL,
    generation     INTEGER NOT NULL DEFAULT 0,
    revoked_ms     INTEGER,
    revoked_reason TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_created ON sessions (created_ms);

-- Every refresh token ever issued, by SHA-256 only. Old generations stay so reuse is detected.
-- `successor_sealed` is the next token XOR a key derived from this token: only its holder can
-- recover it, which lets a grace-window retry get the same successor.
CREATE TABLE refresh_tokens (
    hash             BLOB PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    generation       INTEGER NOT NULL,
    issued_ms        INTEGER NOT NULL,
    rotated_ms       INTEGER,
    successor_sealed BLOB
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id, generation);

-- Reports posted to /v1/auth/logout-event/. reported_* are what the client claims;
-- server_* are what its credentials proved.
CREATE TABLE logout_events (
    id                INTEGER PRIMARY KEY,
    received_ms       INTEGER NOT NULL,
    client_ip         TEXT,
    user_agent        TEXT,
    format            TEXT NOT NULL,
    report_type       TEXT NOT NULL,
    message           TEXT,
    idle_minutes      REAL,
    location          TEXT,
    reported_user_id  TEXT,
    reported_email    TEXT,
    server_user_id    TEXT,
    server_session_id TEXT,
    token_status      TEXT,
    server_reason     TEXT,
    payload           TEXT NOT NULL
) STRICT;
CREATE INDEX logout_events_received ON logout_events (received_ms);
