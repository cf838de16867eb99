-- The durable job queue for bulk work that several keydesk instances share: a job (one approved
-- list) and its items (one user each). Workers claim items with a lease; an instance that dies
-- leaves its leases to expire, and another instance claims those items again. Finishing an item
-- is conditional on still holding its claim. Portable SQL: the same file migrates SQLite and
-- PostgreSQL (times are unix seconds, as in 0001).

CREATE TABLE IF NOT EXISTS keydesk_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    requester TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    approval_id TEXT,
    delivery TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX IF NOT EXISTS keydesk_jobs_plan ON keydesk_jobs (plan_hash, requester);

CREATE TABLE IF NOT EXISTS keydesk_job_items (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    claimed_by TEXT,
    lease_until BIGINT,
    attempts BIGINT NOT NULL,
    result TEXT,
    finished_at BIGINT
);
CREATE INDEX IF NOT EXISTS keydesk_job_items_job ON keydesk_job_items (job_id, position);
CREATE INDEX IF NOT EXISTS keydesk_job_items_claim ON keydesk_job_items (status, lease_until);
