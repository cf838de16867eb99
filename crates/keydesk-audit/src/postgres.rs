//! [`PgStore`]: the audit log in PostgreSQL (`--database-url postgres://...`), which several
//! keydesk instances may share.
//!
//! Serialization: an append locks the one `audit_head` row (`SELECT ... FOR UPDATE`) before
//! reading it, so concurrent appenders, in this process or any other, wait their turn and each
//! sees the head the previous one committed; the chain cannot fork. Durability: every session
//! runs with `synchronous_commit = on`, so `append` returns after the commit is flushed to the
//! write-ahead log. Ids are `uuid` and `recorded_at` is `timestamptz` (microseconds, which is
//! why records carry microsecond timestamps).

use std::str::FromStr;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use uuid::Uuid;

use crate::record::timestamp;
use crate::store::{JsonColumns, RawColumns, RowVisitor, StoredRow, select_columns};
use crate::{AuditEvent, AuditRecord, AuditStore, Backend, ChainHead, Error, Page};

/// The schema migrations, tracked in a table of their own so the audit log can share a
/// database with other users of sqlx's default `_sqlx_migrations`.
fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.dangerous_set_table_name(crate::store::MIGRATIONS_TABLE);
    migrator
}

/// The audit log in PostgreSQL.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host/database`) and migrates as needed.
    pub async fn open(url: &str) -> Result<PgStore, Error> {
        let options = PgConnectOptions::from_str(url)?;
        PgStore::connect_with(options).await
    }

    /// Connects with explicit options (tests add a `search_path` to get a schema of their own)
    /// and migrates as needed. `synchronous_commit = on` is added to the options.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PgStore, Error> {
        let options = options.options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Closes the connections, waiting for work in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn append_event(&self, event: &AuditEvent) -> Result<AuditRecord, Error> {
        event.validate()?;
        let json = JsonColumns::encode(event)?;
        let mut transaction = self.pool.begin().await?;
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
                .fetch_optional(&mut *transaction)
                .await?;
        let (head_seq, head_hash) = head.ok_or_else(|| {
            Error::Chain("the chain head row is missing; refusing to append".to_owned())
        })?;
        let record = AuditRecord::seal(
            head_seq + 1,
            Uuid::new_v4(),
            timestamp::now(),
            event.clone(),
            head_hash,
        )?;
        let canonical = record.canonical_json()?;
        sqlx::query(crate::store::INSERT_RECORD)
            .bind(record.seq)
            .bind(i32::try_from(record.v).unwrap_or(i32::MAX))
            .bind(record.id)
            .bind(record.recorded_at)
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
            .bind(record.event.intent_id)
            .bind(json.outcome)
            .bind(json.details)
            .bind(canonical)
            .bind(&record.prev_hash)
            .bind(&record.hash)
            .execute(&mut *transaction)
            .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(record.seq)
            .bind(&record.hash)
            .execute(&mut *transaction)
            .await?;
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
        // One snapshot for the head and every row.
        let mut transaction = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let head =
            sqlx::query_as::<_, (i64, String)>("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&mut *transaction)
                .await?
                .map(|(seq, hash)| ChainHead { seq, hash });
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
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(seq, hash)| ChainHead { seq, hash }))
    }
}

impl AuditStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
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

/// Reads one row without trusting it (see the SQLite store's twin).
fn stored_row(row: &PgRow) -> Result<StoredRow, Error> {
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

fn raw_columns(row: &PgRow) -> Result<RawColumns, String> {
    fn column<'r, T>(row: &'r PgRow, name: &str) -> Result<T, String>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        row.try_get(name)
            .map_err(|error| format!("column {name} does not decode: {error}"))
    }
    let v: i32 = column(row, "v")?;
    Ok(RawColumns {
        seq: column(row, "seq")?,
        v: i64::from(v),
        id: column(row, "id")?,
        recorded_at: column(row, "recorded_at")?,
        kind: column(row, "kind")?,
        actor: column(row, "actor")?,
        on_behalf_of: column(row, "on_behalf_of")?,
        action: column(row, "action")?,
        target: column(row, "target")?,
        store: column(row, "store")?,
        intent_id: column(row, "intent_id")?,
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
