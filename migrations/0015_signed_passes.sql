-- Each pass's current version's signature (the detached CMS of its
-- manifest), so a version is signed once: a .pkpass is assembled again
-- from the stored fields around it, byte for byte what the first signing
-- gave. A cache keyed by version and tag (updated_at, template and issuer
-- fingerprints), never the source of truth. BYTEA is a blob on PostgreSQL;
-- SQLite stores the blob as given (NUMERIC affinity leaves blobs alone).

CREATE TABLE signed_passes (
    pass_id   TEXT PRIMARY KEY REFERENCES passes (id) ON DELETE CASCADE,
    version   BIGINT NOT NULL,
    tag       TEXT NOT NULL,
    signature BYTEA NOT NULL,
    signed_at BIGINT NOT NULL
);
