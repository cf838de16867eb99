//! Test fixtures: a fresh audit database per test on SQLite (a temporary file) or PostgreSQL (a
//! schema of its own in the database `KEYDESK_TEST_POSTGRES_URL` names), with raw SQL access for
//! tampering, and `backend_tests!`, which runs one test body against both.

use std::io::Write;
use std::str::FromStr;

use keydesk_audit::record::timestamp;
use keydesk_audit::{AuditEvent, AuditRecord, AuditStore, PgStore, SqliteStore};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

/// The variable that turns the PostgreSQL tests on.
pub const POSTGRES_URL_VAR: &str = "KEYDESK_TEST_POSTGRES_URL";

/// A fresh, empty audit log and a side door into its database.
pub struct Fixture {
    pub store: Box<dyn AuditStore>,
    raw: Raw,
}

enum Raw {
    Sqlite {
        pool: SqlitePool,
        path: std::path::PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        pool: PgPool,
        options: Box<PgConnectOptions>,
        admin: PgPool,
        schema: String,
    },
}

impl Fixture {
    pub async fn sqlite() -> anyhow::Result<Fixture> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("data").join("audit.sqlite3");
        let store = SqliteStore::open(&path).await?;
        let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path)).await?;
        Ok(Fixture {
            store: Box::new(store),
            raw: Raw::Sqlite {
                pool,
                path,
                _dir: dir,
            },
        })
    }

    /// A fixture in a new schema, or `None` (after saying so on the terminal) when
    /// `KEYDESK_TEST_POSTGRES_URL` is not set.
    pub async fn postgres(test: &str) -> anyhow::Result<Option<Fixture>> {
        let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
            // Straight to the terminal: libtest captures `eprintln!` of passing tests, and a
            // skipped database must not look like a silent pass.
            let _ = writeln!(
                std::io::stderr(),
                "postgres::{test}: skipped: set {POSTGRES_URL_VAR} (scripts/postgres.sh prints one)"
            );
            return Ok(None);
        };
        let base = PgConnectOptions::from_str(&url)?;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone())
            .await?;
        let schema = format!(
            "kd_audit_test_{}_{}",
            test.chars().take(30).collect::<String>(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&admin)
            .await?;
        let options = base.options([("search_path", schema.as_str())]);
        let store = PgStore::connect_with(options.clone()).await?;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.clone())
            .await?;
        Ok(Some(Fixture {
            store: Box::new(store),
            raw: Raw::Postgres {
                pool,
                options: Box::new(options),
                admin,
                schema,
            },
        }))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.raw, Raw::Postgres { .. })
    }

    /// Runs `sql` directly on the database, as someone with write access could.
    pub async fn exec(&self, sql: &str) -> anyhow::Result<u64> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let affected = match &self.raw {
            Raw::Sqlite { pool, .. } => sqlx::query(sql).execute(pool).await?.rows_affected(),
            Raw::Postgres { pool, .. } => sqlx::query(sql).execute(pool).await?.rows_affected(),
        };
        Ok(affected)
    }

    /// Drops the append-only triggers, as a determined tamperer would first.
    pub async fn drop_append_only_guard(&self) -> anyhow::Result<()> {
        if self.is_postgres() {
            self.exec("DROP TRIGGER audit_records_no_change ON audit_records")
                .await?;
            self.exec("DROP TRIGGER audit_records_no_truncate ON audit_records")
                .await?;
        } else {
            self.exec("DROP TRIGGER audit_records_no_update").await?;
            self.exec("DROP TRIGGER audit_records_no_delete").await?;
        }
        Ok(())
    }

    /// Inserts `record` as a row directly, with the canonical text and hash it carries.
    pub async fn insert_raw(&self, record: &AuditRecord) -> anyhow::Result<()> {
        let canonical = record.canonical_json()?;
        let event = &record.event;
        let decision = event.decision.as_ref().map(json);
        let outcome = event.outcome.as_ref().map(json);
        let sql = "INSERT INTO audit_records (seq, v, id, recorded_at, kind, actor, on_behalf_of, \
            action, target, store, decision, approvals, verifications, graph_request_ids, \
            intent_id, outcome, details, canonical, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, \
            $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";
        match &self.raw {
            Raw::Sqlite { pool, .. } => {
                sqlx::query(sql)
                    .bind(record.seq)
                    .bind(i64::from(record.v))
                    .bind(record.id.to_string())
                    .bind(timestamp::format(record.recorded_at))
                    .bind(event.kind.as_str())
                    .bind(&event.actor)
                    .bind(&event.on_behalf_of)
                    .bind(&event.action)
                    .bind(&event.target)
                    .bind(event.store.as_str())
                    .bind(decision)
                    .bind(json(&event.approvals))
                    .bind(json(&event.verifications))
                    .bind(json(&event.graph_request_ids))
                    .bind(event.intent_id.map(|id| id.to_string()))
                    .bind(outcome)
                    .bind(json(&event.details))
                    .bind(canonical)
                    .bind(&record.prev_hash)
                    .bind(&record.hash)
                    .execute(pool)
                    .await?;
            }
            Raw::Postgres { pool, .. } => {
                sqlx::query(sql)
                    .bind(record.seq)
                    .bind(record.v as i32)
                    .bind(record.id)
                    .bind(record.recorded_at)
                    .bind(event.kind.as_str())
                    .bind(&event.actor)
                    .bind(&event.on_behalf_of)
                    .bind(&event.action)
                    .bind(&event.target)
                    .bind(event.store.as_str())
                    .bind(decision)
                    .bind(json(&event.approvals))
                    .bind(json(&event.verifications))
                    .bind(json(&event.graph_request_ids))
                    .bind(event.intent_id)
                    .bind(outcome)
                    .bind(json(&event.details))
                    .bind(canonical)
                    .bind(&record.prev_hash)
                    .bind(&record.hash)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// A second store on the same database, as a second keydesk instance would open it.
    pub async fn another_store(&self) -> anyhow::Result<Box<dyn AuditStore>> {
        Ok(match &self.raw {
            Raw::Sqlite { path, .. } => Box::new(SqliteStore::open(path).await?),
            Raw::Postgres { options, .. } => {
                Box::new(PgStore::connect_with(options.as_ref().clone()).await?)
            }
        })
    }

    /// Drops the PostgreSQL schema (the SQLite file goes with its temporary directory).
    pub async fn cleanup(self) {
        if let Raw::Postgres {
            pool,
            admin,
            schema,
            ..
        } = self.raw
        {
            pool.close().await;
            drop(self.store);
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA \"{schema}\" CASCADE"
            )))
            .execute(&admin)
            .await;
        }
    }
}

/// JSON text of a record part, for raw inserts.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("audit record parts serialize")
}

/// A realistic intent: an operator resetting a user's password after a manager confirmed them.
pub fn reset_intent(actor: &str, target: &str) -> AuditEvent {
    use keydesk_audit::{Decision, Effect, Verification};
    let mut event = AuditEvent::intent(actor, "password_reset");
    event.target = Some(target.to_owned());
    event.decision = Some(Decision {
        effect: Effect::Allow,
        reasons: vec!["operator holds helpdesk-tier1 for the Sales OU".to_owned()],
        policies: vec!["helpdesk-reset".to_owned()],
    });
    event.verifications = vec![Verification {
        check: "manager_confirmed".to_owned(),
        passed: true,
        detail: Some("confirmed by phone callback".to_owned()),
    }];
    event.details = serde_json::json!({"ticket": "INC-1042", "channel": "phone"});
    event
}

/// Runs each named `async fn name(fixture: &Fixture) -> anyhow::Result<()>` of the enclosing
/// module against SQLite always and against PostgreSQL when it is configured.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    let fixture = crate::support::Fixture::sqlite().await?;
                    super::$name(&fixture).await?;
                    fixture.cleanup().await;
                    Ok(())
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    let Some(fixture) =
                        crate::support::Fixture::postgres(stringify!($name)).await?
                    else {
                        return Ok(());
                    };
                    super::$name(&fixture).await?;
                    fixture.cleanup().await;
                    Ok(())
                }
            )*
        }
    };
}
pub(crate) use backend_tests;
