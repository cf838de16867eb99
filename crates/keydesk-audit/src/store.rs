//! The storage port: [`AuditStore`], what it returns, and [`open`], which picks an implementation
//! from a path or URL.
//!
//! One implementation per database ([`crate::SqliteStore`], [`crate::PgStore`]) rather than
//! sqlx's `Any` driver, which cannot bind `Uuid` or `OffsetDateTime`. Both use the same table
//! layout (`migrations/`): one row per record with the event fields as columns (nested values as
//! JSON text), the canonical JSON the hash was computed over, `prev_hash` and `hash`; and a
//! one-row `audit_head` table holding the last record's seq and hash. An append locks that row,
//! so appends from any number of processes are serialized and the chain cannot fork.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use uuid::Uuid;

use crate::event::{Approval, Decision, DirectoryStore, EventKind, Outcome, Verification};
use crate::{AuditEvent, AuditRecord, ChainHead, Error};

/// Storage for the audit log. Every method is one round of database work; `append` returns only
/// after the record is durably committed.
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Appends `event` as the next record of the chain: reads the chain head, seals the record
    /// after it and inserts it in one serialized transaction, and returns the committed record.
    /// An error means nothing was written.
    fn append<'a>(&'a self, event: &'a AuditEvent) -> BoxFuture<'a, Result<AuditRecord, Error>>;

    /// Up to `page.limit` stored rows with `seq > page.after_seq`, in seq order, as they are:
    /// for verification, which must see rows that no longer decode.
    fn stored_rows(&self, page: Page) -> BoxFuture<'_, Result<Vec<StoredRow>, Error>>;

    /// Reads the chain head row and then every stored row in seq order, as [`Self::stored_rows`]
    /// returns them, from one consistent snapshot (a read transaction), handing each row to
    /// `visit` as it streams in; stops at the first error `visit` returns. Returns the head row.
    /// Verification and export use this, so appends landing meanwhile can't look like tampering.
    fn scan<'a>(
        &'a self,
        visit: &'a mut RowVisitor<'_>,
    ) -> BoxFuture<'a, Result<Option<ChainHead>, Error>>;

    /// Every record that `upn` asked for, was acted on, or was acted for (actor, target or
    /// on-behalf-of, compared without ASCII case), in seq order.
    fn for_user<'a>(&'a self, upn: &'a str) -> BoxFuture<'a, Result<Vec<AuditRecord>, Error>>;

    /// The chain head row: the last record's seq and hash (seq 0 for an empty log), or `None`
    /// if the row has been deleted.
    fn head(&self) -> BoxFuture<'_, Result<Option<ChainHead>, Error>>;

    /// Up to `page.limit` records with `seq > page.after_seq`, in seq order. A row that no
    /// longer decodes is an [`Error::Corrupt`].
    fn records(&self, page: Page) -> BoxFuture<'_, Result<Vec<AuditRecord>, Error>> {
        Box::pin(async move {
            let rows = self.stored_rows(page).await?;
            rows.into_iter()
                .map(|row| {
                    row.record.map_err(|detail| Error::Corrupt {
                        seq: row.seq,
                        detail,
                    })
                })
                .collect()
        })
    }
}

/// What [`AuditStore::scan`] hands each row to.
pub type RowVisitor<'v> = dyn FnMut(StoredRow) -> Result<(), Error> + Send + 'v;

/// Which database a store uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A window of the log: records after `after_seq`, at most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub after_seq: i64,
    pub limit: u32,
}

/// One stored row, read without trusting it.
#[derive(Clone, Debug)]
pub struct StoredRow {
    /// The `seq` column.
    pub seq: i64,
    /// The record the columns describe, or why they no longer describe one.
    pub record: Result<AuditRecord, String>,
    /// The `canonical` column: the text the hash was computed over when the row was written.
    pub canonical: String,
    /// The `prev_hash` column.
    pub prev_hash: String,
    /// The `hash` column.
    pub hash: String,
}

/// The table that records which schema migrations were applied.
pub const MIGRATIONS_TABLE: &str = "_keydesk_audit_migrations";

/// How many records the paged readers ask for at a time.
pub const PAGE_SIZE: u32 = 1_000;

impl Page {
    /// The first page.
    pub fn first() -> Page {
        Page {
            after_seq: 0,
            limit: PAGE_SIZE,
        }
    }

    /// The page after one whose last record was `last_seq`.
    pub fn after(last_seq: i64) -> Page {
        Page {
            after_seq: last_seq,
            limit: PAGE_SIZE,
        }
    }
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The audit database file inside keydesk's data directory.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join("audit.sqlite3")
}

/// Opens (creating and migrating as needed) the audit log at `location`:
/// `postgres://...` or `postgresql://...` for PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a
/// plain file path for SQLite.
pub async fn open(location: &str) -> Result<Box<dyn AuditStore>, Error> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Ok(Box::new(crate::PgStore::open(location).await?));
    }
    let path = if let Some(rest) = location.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = location.strip_prefix("sqlite:") {
        rest
    } else if let Some((scheme, _)) = location.split_once("://") {
        // Name only the scheme: the rest may hold a password.
        return Err(Error::Location(format!(
            "{scheme}:// (use postgres://..., sqlite://PATH or a file path)"
        )));
    } else {
        location
    };
    if path.is_empty() {
        return Err(Error::Location("an empty path".to_owned()));
    }
    if path.starts_with(":memory:") || path.contains("mode=memory") {
        return Err(Error::Location(
            "an in-memory database (the audit log would be lost; give a file path)".to_owned(),
        ));
    }
    Ok(Box::new(crate::SqliteStore::open(path).await?))
}

/// The columns of a record that hold JSON text, encoded. Shared by both stores.
#[derive(Debug)]
pub(crate) struct JsonColumns {
    pub(crate) decision: Option<String>,
    pub(crate) approvals: String,
    pub(crate) verifications: String,
    pub(crate) graph_request_ids: String,
    pub(crate) outcome: Option<String>,
    pub(crate) details: String,
}

/// The plain columns of a record as read back, before they are trusted. Shared by both stores;
/// each store reads `id`, `recorded_at` and `intent_id` in its own column types.
#[derive(Debug)]
pub(crate) struct RawColumns {
    pub(crate) seq: i64,
    pub(crate) v: i64,
    pub(crate) id: Uuid,
    pub(crate) recorded_at: time::OffsetDateTime,
    pub(crate) kind: String,
    pub(crate) actor: String,
    pub(crate) on_behalf_of: Option<String>,
    pub(crate) action: String,
    pub(crate) target: Option<String>,
    pub(crate) store: String,
    pub(crate) intent_id: Option<Uuid>,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
    pub(crate) json: JsonColumns,
}

impl JsonColumns {
    pub(crate) fn encode(event: &AuditEvent) -> Result<JsonColumns, Error> {
        Ok(JsonColumns {
            decision: event
                .decision
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
            approvals: serde_json::to_string(&event.approvals)?,
            verifications: serde_json::to_string(&event.verifications)?,
            graph_request_ids: serde_json::to_string(&event.graph_request_ids)?,
            outcome: event
                .outcome
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
            details: serde_json::to_string(&event.details)?,
        })
    }
}

impl RawColumns {
    /// The record these columns describe, or what is wrong with them.
    pub(crate) fn decode(self) -> Result<AuditRecord, String> {
        let kind =
            EventKind::parse(&self.kind).ok_or_else(|| format!("unknown kind {:?}", self.kind))?;
        let store = DirectoryStore::parse(&self.store)
            .ok_or_else(|| format!("unknown store {:?}", self.store))?;
        let v = u32::try_from(self.v).map_err(|_| format!("bad schema version {}", self.v))?;
        let json = self.json;
        let decision: Option<Decision> = json
            .decision
            .as_deref()
            .map(|text| parse_column("decision", text))
            .transpose()?;
        let approvals: Vec<Approval> = parse_column("approvals", &json.approvals)?;
        let verifications: Vec<Verification> = parse_column("verifications", &json.verifications)?;
        let graph_request_ids: Vec<String> =
            parse_column("graph_request_ids", &json.graph_request_ids)?;
        let outcome: Option<Outcome> = json
            .outcome
            .as_deref()
            .map(|text| parse_column("outcome", text))
            .transpose()?;
        let details: serde_json::Value = parse_column("details", &json.details)?;
        Ok(AuditRecord {
            v,
            seq: self.seq,
            id: self.id,
            recorded_at: self.recorded_at,
            event: AuditEvent {
                kind,
                actor: self.actor,
                on_behalf_of: self.on_behalf_of,
                action: self.action,
                target: self.target,
                store,
                decision,
                approvals,
                verifications,
                graph_request_ids,
                intent_id: self.intent_id,
                outcome,
                details,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

fn parse_column<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|error| format!("column {column} does not decode: {error}"))
}

/// The columns `stored_rows` and `for_user` select, in the order both stores read them.
macro_rules! select_columns {
    () => {
        "seq, v, id, recorded_at, kind, actor, on_behalf_of, action, target, store, decision, \
         approvals, verifications, graph_request_ids, intent_id, outcome, details, canonical, \
         prev_hash, hash"
    };
}
pub(crate) use select_columns;

/// The insert both stores run, with `$1`..`$20` in `select_columns!` order.
pub(crate) const INSERT_RECORD: &str = "INSERT INTO audit_records (seq, v, id, recorded_at, \
    kind, actor, on_behalf_of, action, target, store, decision, approvals, verifications, \
    graph_request_ids, intent_id, outcome, details, canonical, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";
