-- keydesk's audit log (PostgreSQL). One row per record; nested values as JSON text (not jsonb,
-- which would reorder keys and normalize numbers); `canonical` is the exact text `hash` was
-- computed over. `audit_head` holds the last record's seq and hash; an append locks it with
-- SELECT ... FOR UPDATE, which serializes appends across every connection and instance.
CREATE TABLE audit_records (
    seq               BIGINT      PRIMARY KEY,
    v                 INTEGER     NOT NULL,
    id                UUID        NOT NULL UNIQUE,
    recorded_at       TIMESTAMPTZ NOT NULL,
    kind              TEXT        NOT NULL,
    actor             TEXT        NOT NULL,
    on_behalf_of      TEXT,
    action            TEXT        NOT NULL,
    target            TEXT,
    store             TEXT        NOT NULL,
    decision          TEXT,
    approvals         TEXT        NOT NULL,
    verifications     TEXT        NOT NULL,
    graph_request_ids TEXT        NOT NULL,
    intent_id         UUID,
    outcome           TEXT,
    details           TEXT        NOT NULL,
    canonical         TEXT        NOT NULL,
    prev_hash         TEXT        NOT NULL,
    hash              TEXT        NOT NULL
);

CREATE INDEX audit_records_actor ON audit_records (lower(actor));
CREATE INDEX audit_records_target ON audit_records (lower(target));
CREATE INDEX audit_records_on_behalf_of ON audit_records (lower(on_behalf_of));
CREATE INDEX audit_records_intent_id ON audit_records (intent_id);

CREATE TABLE audit_head (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT   NOT NULL,
    hash TEXT     NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT DO NOTHING;

-- Append-only: refuse changes through SQL. This stops accidents, not a superuser who can drop
-- the triggers; that is what the hash chain and `keydesk audit verify` are for.
CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END
$$;

CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();
