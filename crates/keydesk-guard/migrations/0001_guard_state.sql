-- keydesk-guard's state: approval requests, end-user verifications and the record of sensitive
-- actions the hourly budget counts. Portable SQL: the same file migrates SQLite and PostgreSQL.

CREATE TABLE IF NOT EXISTS keydesk_approvals (
    id TEXT PRIMARY KEY,
    plan_hash TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    requester TEXT NOT NULL,
    summary TEXT NOT NULL,
    plan TEXT NOT NULL,
    approvers TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_roles TEXT,
    decided_at BIGINT,
    used_at BIGINT,
    used_by TEXT
);
CREATE INDEX IF NOT EXISTS keydesk_approvals_plan ON keydesk_approvals (plan_hash);

CREATE TABLE IF NOT EXISTS keydesk_verifications (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    operator TEXT NOT NULL,
    method TEXT NOT NULL,
    sent_to TEXT NOT NULL,
    code_salt TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    verified_at BIGINT,
    used_at BIGINT,
    used_by TEXT
);
CREATE INDEX IF NOT EXISTS keydesk_verifications_target ON keydesk_verifications (target, operator);

CREATE TABLE IF NOT EXISTS keydesk_sensitive_actions (
    id TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS keydesk_sensitive_actions_operator ON keydesk_sensitive_actions (operator, at);
