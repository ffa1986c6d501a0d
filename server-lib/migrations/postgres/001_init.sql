-- The SQLite schema (001_init.sql + 002_last_failure.sql) in PostgreSQL types.
-- Refresh-token families: one per login (and device). `generation` is the current token's.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    device_id       TEXT,
    remember_me     BOOLEAN NOT NULL,
    created_ms      BIGINT NOT NULL,
    expires_ms      BIGINT NOT NULL,
    last_used_ms    BIGINT NOT NULL,
    generation      BIGINT NOT NULL DEFAULT 0,
    revoked_ms      BIGINT,
    revoked_reason  TEXT,
    last_failure    TEXT,
    last_failure_ms BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_created ON sessions (created_ms);
CREATE INDEX sessions_expires ON sessions (expires_ms);

-- Every refresh token ever issued, by SHA-256 only; `successor_sealed` as in SQLite.
CREATE TABLE refresh_tokens (
    hash             BYTEA PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    generation       BIGINT NOT NULL,
    issued_ms        BIGINT NOT NULL,
    rotated_ms       BIGINT,
    successor_sealed BYTEA
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id, generation);

CREATE TABLE logout_events (
    id                BIGSERIAL PRIMARY KEY,
    received_ms       BIGINT NOT NULL,
    client_ip         TEXT,
    user_agent        TEXT,
    format            TEXT NOT NULL,
    report_type       TEXT NOT NULL,
    message           TEXT,
    idle_minutes      DOUBLE PRECISION,
    location          TEXT,
    reported_user_id  TEXT,
    reported_email    TEXT,
    server_user_id    TEXT,
    server_session_id TEXT,
    token_status      TEXT,
    server_reason     TEXT,
    payload           TEXT NOT NULL
);
CREATE INDEX logout_events_received ON logout_events (received_ms);
