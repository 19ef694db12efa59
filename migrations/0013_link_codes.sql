-- Multi-pass links (an order's tickets behind one link: pass_ids, a JSON
-- array), the user a link's passes belong to, and the one-time codes a
-- link's returnUrl carries back to the customer's app. A code is stored
-- only as its SHA-256; it is good once, for ten minutes.

ALTER TABLE links ADD COLUMN pass_ids TEXT;
ALTER TABLE links ADD COLUMN user_id TEXT;

CREATE TABLE link_codes (
    code_hash  TEXT PRIMARY KEY,
    link_id    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
