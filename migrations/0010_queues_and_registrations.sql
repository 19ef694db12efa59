-- Batch job chunks become a retry queue like webhook deliveries, pushes and
-- Google updates: each claim counts an attempt, a failed chunk waits before
-- its next one, and its last error is kept.

ALTER TABLE job_chunks ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN last_error TEXT;
ALTER TABLE job_chunks ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX job_chunks_next ON job_chunks (status, next_attempt_at);

-- When a device last registered (or refreshed) its push token: APNs reports
-- a dead token with the time it learned so, and only registrations older
-- than that are removed. Existing rows count as registered long ago.

ALTER TABLE connections ADD COLUMN registered_at BIGINT NOT NULL DEFAULT 0;
