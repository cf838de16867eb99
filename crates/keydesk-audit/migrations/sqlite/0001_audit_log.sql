-- keydesk's audit log (SQLite). One row per record; nested values as JSON text; `canonical` is the
-- exact text `hash` was computed over. `audit_head` holds the last record's seq and hash; an append
-- updates it in the same BEGIN IMMEDIATE transaction as the insert.
CREATE TABLE audit_records (
    seq               INTEGER PRIMARY KEY,
    v                 INTEGER NOT NULL,
    id                TEXT    NOT NULL UNIQUE,
    recorded_at       TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    actor             TEXT    NOT NULL,
    on_behalf_of      TEXT,
    action            TEXT    NOT NULL,
    target            TEXT,
    store             TEXT    NOT NULL,
    decision          TEXT,
    approvals         TEXT    NOT NULL,
    verifications     TEXT    NOT NULL,
    graph_request_ids TEXT    NOT NULL,
    intent_id         TEXT,
    outcome           TEXT,
    details           TEXT    NOT NULL,
    canonical         TEXT    NOT NULL,
    prev_hash         TEXT    NOT NULL,
    hash              TEXT    NOT NULL
);

CREATE INDEX audit_records_actor ON audit_records (lower(actor));
CREATE INDEX audit_records_target ON audit_records (lower(target));
CREATE INDEX audit_records_on_behalf_of ON audit_records (lower(on_behalf_of));
CREATE INDEX audit_records_intent_id ON audit_records (intent_id);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT DO NOTHING;

-- Append-only: refuse changes through SQL. This stops accidents, not someone who can drop the
-- triggers; that is what the hash chain and `keydesk audit verify` are for.
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;

CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
