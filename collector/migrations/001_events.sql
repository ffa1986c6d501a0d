-- Events keyed by (trace, id) so replays are idempotent; trace 0 is the local
-- browser, every import gets its own trace.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE traces (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    imported_ms INTEGER NOT NULL
);
INSERT INTO traces (id, name, imported_ms) VALUES (0, 'local', 0);
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    trace       INTEGER NOT NULL,
    id          TEXT NOT NULL,
    ts_ms       INTEGER NOT NULL,
    origin      TEXT,
    kind        TEXT NOT NULL,
    is_logout   INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (trace, id)
);
CREATE INDEX events_trace_ts ON events (trace, ts_ms);
CREATE INDEX events_trace_origin_ts ON events (trace, origin, ts_ms);
CREATE INDEX events_logouts ON events (trace, ts_ms) WHERE is_logout = 1;
