-- Keeping passes current: device registrations (connections), device logs,
-- and the APNs push queue with every attempt recorded.

CREATE TABLE connections (
    id                TEXT PRIMARY KEY,
    pass_id           TEXT NOT NULL,
    platform          TEXT NOT NULL,
    device_library_id TEXT NOT NULL,
    push_token        TEXT NOT NULL,
    state             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE UNIQUE INDEX connections_device_pass ON connections (platform, device_library_id, pass_id);
CREATE INDEX connections_by_pass ON connections (pass_id, state);
CREATE INDEX connections_by_token ON connections (push_token);

CREATE TABLE device_logs (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    message    TEXT NOT NULL
);

CREATE TABLE pushes (
    id               TEXT PRIMARY KEY,
    pass_id          TEXT NOT NULL,
    push_token       TEXT NOT NULL,
    topic            TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    last_status_code BIGINT,
    last_reason      TEXT,
    claimed_by       TEXT,
    claimed_until    BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE INDEX pushes_due ON pushes (status, next_attempt_at);
CREATE INDEX pushes_by_token ON pushes (push_token, status);

CREATE TABLE push_attempts (
    push_id     TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    status_code BIGINT,
    reason      TEXT,
    apns_id     TEXT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (push_id, attempt)
);
