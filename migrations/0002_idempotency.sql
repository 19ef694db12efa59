-- Idempotency-Key: the first request's answer, replayed for the same key and body.
-- status 0 = the first request is still running.

CREATE TABLE idempotency_keys (
    principal      TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         BIGINT NOT NULL,
    content_type   TEXT,
    location       TEXT,
    body           TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (principal, idem_key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
