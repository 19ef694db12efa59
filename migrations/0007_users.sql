-- The people who hold passes, and their user-scoped tokens (hashed).

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE user_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);

CREATE INDEX user_tokens_by_user ON user_tokens (user_id);
