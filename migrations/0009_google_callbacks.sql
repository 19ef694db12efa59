-- Nonces of Google Wallet callbacks already handled (replays are ignored).

CREATE TABLE google_callback_nonces (
    nonce       TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
