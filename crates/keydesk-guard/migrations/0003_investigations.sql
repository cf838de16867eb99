-- Investigations kept for their reports, so every keydesk instance on the database can show
-- any instance's report. No secrets: the findings (JSON) and the rendered report. The evidence
-- snapshot stays where the investigating instance wrote it; its SHA-256 is in the audit log.
-- Portable SQL (SQLite and PostgreSQL), times in unix seconds.

CREATE TABLE IF NOT EXISTS keydesk_investigations (
    id TEXT PRIMARY KEY,
    user_upn TEXT NOT NULL,
    days BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    verdict TEXT NOT NULL,
    result TEXT NOT NULL,
    markdown TEXT NOT NULL,
    html TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS keydesk_investigations_created ON keydesk_investigations (created_at);
