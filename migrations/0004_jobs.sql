-- Batch jobs: a job's items are split into chunks; any instance sharing the
-- database claims a chunk (a lease, like webhook deliveries) and issues its
-- items. Each item's pass id is assigned when the job is created, so an
-- item re-run after a crash finds its pass instead of issuing a second one.

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    total       BIGINT NOT NULL,
    succeeded   BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE TABLE job_chunks (
    id            TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL,
    chunk         BIGINT NOT NULL,
    status        TEXT NOT NULL,
    claimed_by    TEXT,
    claimed_until BIGINT
);

CREATE INDEX job_chunks_due ON job_chunks (status, claimed_until);
CREATE INDEX job_chunks_by_job ON job_chunks (job_id, chunk);

CREATE TABLE job_items (
    job_id  TEXT NOT NULL,
    idx     BIGINT NOT NULL,
    chunk   BIGINT NOT NULL,
    input   TEXT NOT NULL,
    pass_id TEXT NOT NULL,
    status  TEXT NOT NULL,
    error   TEXT,
    PRIMARY KEY (job_id, idx)
);

CREATE INDEX job_items_by_chunk ON job_items (job_id, chunk, idx);
