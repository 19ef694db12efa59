-- Google Wallet object updates (PATCH) and messages (addMessage), queued in
-- the transaction of the change and claimed like pushes.

CREATE TABLE google_updates (
    id               TEXT PRIMARY KEY,
    pass_id          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    last_status_code BIGINT,
    last_error       TEXT,
    claimed_by       TEXT,
    claimed_until    BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE INDEX google_updates_due ON google_updates (status, next_attempt_at);
CREATE INDEX google_updates_by_pass ON google_updates (pass_id, kind, status);
