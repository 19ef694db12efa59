-- Portable SQL (SQLite and PostgreSQL): TEXT and BIGINT only.
-- Times are Unix milliseconds; documents are JSON text.

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE passes (
    id            TEXT PRIMARY KEY,
    template_id   TEXT NOT NULL,
    serial_number TEXT NOT NULL UNIQUE,
    auth_token    TEXT NOT NULL,
    status        TEXT NOT NULL,
    custom_fields TEXT NOT NULL,
    overrides     TEXT NOT NULL,
    user_id       TEXT,
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX passes_by_template ON passes (template_id, id);
CREATE INDEX passes_by_user ON passes (user_id, id);
