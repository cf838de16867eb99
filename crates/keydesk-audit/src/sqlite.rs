//! [`SqliteStore`]: the audit log in a SQLite file (keydesk's default, in its data directory).
//!
//! Durability: WAL journal with `synchronous=FULL`, so a commit is on disk (the WAL is synced)
//! before `append` returns. Serialization: appends run in `BEGIN IMMEDIATE` transactions, which
//! take SQLite's write lock before reading the chain head, so two processes sharing the file
//! queue up (for up to [`BUSY_TIMEOUT`]) instead of forking the chain; within one process an
//! async mutex queues them first, so they don't spin in SQLite's busy handler.
//! Ids and timestamps are stored as text (`id` as the hyphenated UUID, `recorded_at` in the
//! record timestamp format).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use uuid::Uuid;

use crate::record::timestamp;
use crate::store::{JsonColumns, RawColumns, RowVisitor, StoredRow, select_columns};
use crate::{AuditEvent, AuditRecord, AuditStore, Backend, ChainHead, Error, Page};

/// How long an append waits for another process's append to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema migrations, tracked in a table of their own so the audit log can share a
/// database with other users of sqlx's default `_sqlx_migrations`.
fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.dangerous_set_table_name(crate::store::MIGRATIONS_TABLE);
    migrator
}

/// The audit log in a SQLite file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    append_queue: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens the log at `path`, creating the file (and its directory) and migrating as needed.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, Error> {
        let path = path.as_ref();
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        SqliteStore::connect_with(options).await
    }

    /// Opens the log with explicit connection options (tests use an in-memory or temporary
    /// database). The options should keep `synchronous=FULL` for durable appends.
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<SqliteStore, Error> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        Ok(SqliteStore {
            pool,
            append_queue: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Closes the connections, waiting for work in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn append_event(&self, event: &AuditEvent) -> Result<AuditRecord, Error> {
        event.validate()?;
        let json = JsonColumns::encode(event)?;
        let _queued = self.append_queue.lock().await;
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let head = read_head(&mut transaction).await?.ok_or_else(|| {
            Error::Chain("the chain head row is missing; refusing to append".to_owned())
        })?;
        let record = AuditRecord::seal(
            head.seq + 1,
            Uuid::new_v4(),
            timestamp::now(),
            event.clone(),
            head.hash.clone(),
        )?;
        let canonical = record.canonical_json()?;
        sqlx::query(crate::store::INSERT_RECORD)
            .bind(record.seq)
            .bind(i64::from(record.v))
            .bind(record.id.to_string())
            .bind(timestamp::format(record.recorded_at))
            .bind(record.event.kind.as_str())
            .bind(&record.event.actor)
            .bind(&record.event.on_behalf_of)
            .bind(&record.event.action)
            .bind(&record.event.target)
            .bind(record.event.store.as_str())
            .bind(json.decision)
            .bind(json.approvals)
            .bind(json.verifications)
            .bind(json.graph_request_ids)
            .bind(record.event.intent_id.map(|id| id.to_string()))
            .bind(json.outcome)
            .bind(json.details)
            .bind(canonical)
            .bind(&record.prev_hash)
            .bind(&record.hash)
            .execute(&mut *transaction)
            .await?;
        let moved =
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3")
                .bind(record.seq)
                .bind(&record.hash)
                .bind(head.seq)
                .execute(&mut *transaction)
                .await?;
        if moved.rows_affected() != 1 {
            return Err(Error::Chain(
                "the chain head moved during an append; refusing to commit".to_owned(),
            ));
        }
        transaction.commit().await?;
        tracing::debug!(seq = record.seq, action = %record.event.action, "audit record appended");
        Ok(record)
    }

    async fn read_rows(&self, page: Page) -> Result<Vec<StoredRow>, Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            select_columns!(),
            " FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(page.after_seq)
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_row).collect()
    }

    async fn scan_rows(&self, visit: &mut RowVisitor<'_>) -> Result<Option<ChainHead>, Error> {
        // A deferred transaction: WAL gives it one snapshot from its first read to its end.
        let mut transaction = self.pool.begin().await?;
        let head = read_head(&mut transaction).await?;
        {
            let mut rows = sqlx::query(concat!(
                "SELECT ",
                select_columns!(),
                " FROM audit_records ORDER BY seq"
            ))
            .fetch(&mut *transaction);
            while let Some(row) = rows.try_next().await? {
                visit(stored_row(&row)?)?;
            }
        }
        transaction.rollback().await?;
        Ok(head)
    }

    async fn read_for_user(&self, upn: &str) -> Result<Vec<AuditRecord>, Error> {
        let upn = upn.trim().to_ascii_lowercase();
        let rows = sqlx::query(concat!(
            "SELECT ",
            select_columns!(),
            " FROM audit_records WHERE lower(actor) = $1 OR lower(target) = $1 \
              OR lower(on_behalf_of) = $1 ORDER BY seq"
        ))
        .bind(upn)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let stored = stored_row(row)?;
                stored.record.map_err(|detail| Error::Corrupt {
                    seq: stored.seq,
                    detail,
                })
            })
            .collect()
    }

    async fn read_head(&self) -> Result<Option<ChainHead>, Error> {
        let mut connection = self.pool.acquire().await?;
        read_head(&mut connection).await
    }
}

impl AuditStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn append<'a>(&'a self, event: &'a AuditEvent) -> BoxFuture<'a, Result<AuditRecord, Error>> {
        Box::pin(self.append_event(event))
    }

    fn stored_rows(&self, page: Page) -> BoxFuture<'_, Result<Vec<StoredRow>, Error>> {
        Box::pin(self.read_rows(page))
    }

    fn scan<'a>(
        &'a self,
        visit: &'a mut RowVisitor<'_>,
    ) -> BoxFuture<'a, Result<Option<ChainHead>, Error>> {
        Box::pin(self.scan_rows(visit))
    }

    fn for_user<'a>(&'a self, upn: &'a str) -> BoxFuture<'a, Result<Vec<AuditRecord>, Error>> {
        Box::pin(self.read_for_user(upn))
    }

    fn head(&self) -> BoxFuture<'_, Result<Option<ChainHead>, Error>> {
        Box::pin(self.read_head())
    }
}

async fn read_head(connection: &mut sqlx::SqliteConnection) -> Result<Option<ChainHead>, Error> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(connection)
            .await?;
    Ok(row.map(|(seq, hash)| ChainHead { seq, hash }))
}

/// Reads one row without trusting it: only `seq` must decode; a `canonical`, `prev_hash` or
/// `hash` that doesn't reads as empty (and so fails verification), and everything else that is
/// off lands in `record`'s error.
fn stored_row(row: &SqliteRow) -> Result<StoredRow, Error> {
    let seq: i64 = row.try_get("seq")?;
    let record = raw_columns(row).and_then(RawColumns::decode);
    Ok(StoredRow {
        seq,
        record,
        canonical: row.try_get("canonical").unwrap_or_default(),
        prev_hash: row.try_get("prev_hash").unwrap_or_default(),
        hash: row.try_get("hash").unwrap_or_default(),
    })
}

fn raw_columns(row: &SqliteRow) -> Result<RawColumns, String> {
    fn column<'r, T>(row: &'r SqliteRow, name: &str) -> Result<T, String>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        row.try_get(name)
            .map_err(|error| format!("column {name} does not decode: {error}"))
    }
    let id: String = column(row, "id")?;
    let recorded_at: String = column(row, "recorded_at")?;
    let intent_id: Option<String> = column(row, "intent_id")?;
    Ok(RawColumns {
        seq: column(row, "seq")?,
        v: column(row, "v")?,
        id: Uuid::from_str(&id).map_err(|error| format!("column id: {error}"))?,
        recorded_at: timestamp::parse(&recorded_at)
            .map_err(|error| format!("column recorded_at: {error}"))?,
        kind: column(row, "kind")?,
        actor: column(row, "actor")?,
        on_behalf_of: column(row, "on_behalf_of")?,
        action: column(row, "action")?,
        target: column(row, "target")?,
        store: column(row, "store")?,
        intent_id: intent_id
            .map(|text| Uuid::from_str(&text))
            .transpose()
            .map_err(|error| format!("column intent_id: {error}"))?,
        prev_hash: column(row, "prev_hash")?,
        hash: column(row, "hash")?,
        json: JsonColumns {
            decision: column(row, "decision")?,
            approvals: column(row, "approvals")?,
            verifications: column(row, "verifications")?,
            graph_request_ids: column(row, "graph_request_ids")?,
            outcome: column(row, "outcome")?,
            details: column(row, "details")?,
        },
    })
}
