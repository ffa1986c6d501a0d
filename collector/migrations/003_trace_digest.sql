-- An imported trace remembers the SHA-256 of the file it came from, so the
-- same file imported twice is reported instead of stored twice.
ALTER TABLE traces ADD COLUMN digest TEXT;
CREATE UNIQUE INDEX traces_digest ON traces (digest) WHERE digest IS NOT NULL;
