-- Signed smart links: the keys customers sign links with (several active at
-- once, for rotation; the secret is needed to check a signature, so it is
-- stored as issued), and each opened link's pass (one per template and
-- link id; `canonical_hash` tells a replay with other values apart).

CREATE TABLE link_keys (
    id          TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE smart_links (
    id             TEXT PRIMARY KEY,
    template_id    TEXT NOT NULL,
    link_id        TEXT NOT NULL,
    key_id         TEXT NOT NULL,
    canonical_hash TEXT NOT NULL,
    pass_id        TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
