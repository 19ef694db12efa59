-- Distribution links: one URL that gets a pass into whichever wallet the
-- person has, and the passes each link issued.

CREATE TABLE links (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    template_id   TEXT,
    pass_id       TEXT,
    custom_fields TEXT,
    max_claims    BIGINT NOT NULL,
    claims        BIGINT NOT NULL,
    endpoint_id   TEXT,
    return_url    TEXT,
    external_id   TEXT,
    status        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE link_passes (
    link_id    TEXT NOT NULL,
    pass_id    TEXT NOT NULL,
    platform   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (link_id, pass_id, platform)
);

CREATE INDEX link_passes_by_pass ON link_passes (pass_id);
