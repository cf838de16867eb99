//! [`GuardState`]: the durable part of the guard — approval requests, end-user verifications and
//! the sensitive actions the hourly budget counts — in SQLite (keydesk's data directory) or
//! PostgreSQL, through one portable set of queries (`sqlx::Any`).
//!
//! Every state change that must happen once (using an approval, using a verification) is a
//! conditional `UPDATE ... WHERE status = ...` whose affected-row count says who won, so two
//! keydesk instances sharing the database cannot both use the same approval.

use std::sync::Once;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::Error;

/// The migrations, tracked in a table of their own (the audit log has another).
fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.dangerous_set_table_name("_keydesk_guard_migrations");
    migrator
}

/// Where approvals, verifications and the budget live.
#[derive(Debug, Clone)]
pub struct GuardState {
    pub(crate) pool: AnyPool,
    /// PostgreSQL (row locks with `SKIP LOCKED`), else SQLite (one writer at a time).
    pub(crate) postgres: bool,
}

/// A stored approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    /// keydesk's id for it, e.g. `apr-3f2a9c1d`.
    pub id: String,
    /// The plan it is bound to.
    pub plan_hash: String,
    /// The action (vocabulary name).
    pub action: String,
    /// The target, lower-case.
    pub target: Option<String>,
    /// Who asked (lower-case UPN).
    pub requester: String,
    /// The plan in one sentence.
    pub summary: String,
    /// The planned steps, one per line, for the approver to read.
    pub plan: String,
    /// Who may approve, in words.
    pub approvers: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; past it the request counts for nothing.
    pub expires_at: i64,
    /// Where it stands.
    pub status: ApprovalStatus,
    /// Who approved or denied it (lower-case UPN).
    pub decided_by: Option<String>,
    /// The decider's directory roles when they decided.
    pub decided_roles: Vec<String>,
    /// Unix seconds.
    pub decided_at: Option<i64>,
    /// The audit intent that used it.
    pub used_by: Option<String>,
}

/// Where an approval request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    /// Waiting for an approver.
    Pending,
    /// Approved and not yet used.
    Approved,
    /// Denied.
    Denied,
    /// Approved and used by an execution: it authorizes nothing more.
    Used,
}

impl ApprovalStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Denied => "denied",
            ApprovalStatus::Used => "used",
        }
    }

    fn parse(text: &str) -> Result<ApprovalStatus, Error> {
        Ok(match text {
            "pending" => ApprovalStatus::Pending,
            "approved" => ApprovalStatus::Approved,
            "denied" => ApprovalStatus::Denied,
            "used" => ApprovalStatus::Used,
            other => return Err(Error::Corrupt(format!("approval status {other:?}"))),
        })
    }
}

/// A stored verification of an end user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRecord {
    /// keydesk's id for it.
    pub id: String,
    /// The user being verified (lower-case UPN).
    pub target: String,
    /// The operator who asked (lower-case UPN).
    pub operator: String,
    /// `registered_method` or `manager_confirmation`.
    pub method: String,
    /// Where the code went (a masked phone number or an address).
    pub sent_to: String,
    pub(crate) code_salt: String,
    pub(crate) code_hash: String,
    /// Wrong codes entered so far.
    pub attempts: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: the code (or, once verified, the verification) is void after it.
    pub expires_at: i64,
    /// `pending`, `verified`, `used` or `failed`.
    pub status: String,
}

const APPROVAL_COLUMNS: &str = "id, plan_hash, action, target, requester, summary, plan, approvers, created_at, expires_at, status, decided_by, decided_roles, decided_at, used_by";
const VERIFICATION_COLUMNS: &str = "id, target, operator, method, sent_to, code_salt, code_hash, attempts, created_at, expires_at, status";

impl GuardState {
    /// Opens (creating and migrating as needed) the state at `location`: `postgres://...`,
    /// `sqlite://PATH` or a plain file path.
    pub async fn open(location: &str) -> Result<GuardState, Error> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let url = if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            location.to_owned()
        } else {
            let path = location
                .strip_prefix("sqlite://")
                .or_else(|| location.strip_prefix("sqlite:"))
                .unwrap_or(location);
            if path.contains("://") {
                return Err(Error::Location(
                    "use postgres://..., sqlite://PATH or a file path".into(),
                ));
            }
            if path == ":memory:" {
                "sqlite::memory:".to_owned()
            } else {
                if let Some(parent) = std::path::Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::Location(format!("{}: {e}", parent.display())))?;
                }
                format!("sqlite://{path}?mode=rwc")
            }
        };
        let sqlite = url.starts_with("sqlite:");
        let postgres = !sqlite;
        let memory = url == "sqlite::memory:";
        let pool = AnyPoolOptions::new()
            // One connection for an in-memory database: each connection would get its own.
            .max_connections(if memory { 1 } else { 4 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::query("PRAGMA busy_timeout = 30000")
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        migrator().run(&pool).await?;
        Ok(GuardState { pool, postgres })
    }

    /// Files an approval request.
    pub async fn insert_approval(&self, record: &ApprovalRecord) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO keydesk_approvals (id, plan_hash, action, target, requester, summary, plan, approvers, created_at, expires_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&record.id)
        .bind(&record.plan_hash)
        .bind(&record.action)
        .bind(record.target.clone())
        .bind(&record.requester)
        .bind(&record.summary)
        .bind(&record.plan)
        .bind(&record.approvers)
        .bind(record.created_at)
        .bind(record.expires_at)
        .bind(record.status.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The approval request `id`.
    pub async fn approval(&self, id: &str) -> Result<Option<ApprovalRecord>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APPROVAL_COLUMNS} FROM keydesk_approvals WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(approval_from_row).transpose()
    }

    /// Every approval request for `plan_hash`, oldest first.
    pub async fn approvals_for_plan(&self, plan_hash: &str) -> Result<Vec<ApprovalRecord>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APPROVAL_COLUMNS} FROM keydesk_approvals WHERE plan_hash = $1 ORDER BY created_at, id"
        )))
        .bind(plan_hash)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(approval_from_row).collect()
    }

    /// Approval requests, newest first; only pending ones unless `all`.
    pub async fn list_approvals(&self, all: bool) -> Result<Vec<ApprovalRecord>, Error> {
        let filter = if all { "" } else { "WHERE status = 'pending'" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APPROVAL_COLUMNS} FROM keydesk_approvals {filter} ORDER BY created_at DESC, id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(approval_from_row).collect()
    }

    /// Records a decision on a pending request. Returns false if it was no longer pending.
    pub async fn decide_approval(
        &self,
        id: &str,
        approved: bool,
        by: &str,
        roles: &[String],
        at: i64,
    ) -> Result<bool, Error> {
        let status = if approved {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Denied
        };
        let roles = serde_json::to_string(roles).map_err(|e| Error::Corrupt(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE keydesk_approvals SET status = $1, decided_by = $2, decided_roles = $3, decided_at = $4 WHERE id = $5 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(by)
        .bind(roles)
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an approved request used by `intent`. Returns false if someone else used it first
    /// (or it is not approved): the caller must then not execute.
    pub async fn use_approval(&self, id: &str, intent: &str, at: i64) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_approvals SET status = 'used', used_at = $1, used_by = $2 WHERE id = $3 AND status = 'approved'",
        )
        .bind(at)
        .bind(intent)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Files a verification whose code was just sent.
    pub async fn insert_verification(&self, record: &VerificationRecord) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO keydesk_verifications (id, target, operator, method, sent_to, code_salt, code_hash, attempts, created_at, expires_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&record.id)
        .bind(&record.target)
        .bind(&record.operator)
        .bind(&record.method)
        .bind(&record.sent_to)
        .bind(&record.code_salt)
        .bind(&record.code_hash)
        .bind(record.attempts)
        .bind(record.created_at)
        .bind(record.expires_at)
        .bind(&record.status)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest verification of `target` by `operator` with `status`.
    pub async fn latest_verification(
        &self,
        target: &str,
        operator: &str,
        status: &str,
    ) -> Result<Option<VerificationRecord>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERIFICATION_COLUMNS} FROM keydesk_verifications WHERE target = $1 AND operator = $2 AND status = $3 ORDER BY created_at DESC, id DESC LIMIT 1"
        )))
        .bind(target)
        .bind(operator)
        .bind(status)
        .fetch_optional(&self.pool)
        .await?;
        row.map(verification_from_row).transpose()
    }

    /// Counts a wrong code; at `max` attempts the verification fails for good.
    pub async fn count_failed_attempt(&self, id: &str, max: i64) -> Result<(), Error> {
        sqlx::query(
            "UPDATE keydesk_verifications SET attempts = attempts + 1, status = CASE WHEN attempts + 1 >= $1 THEN 'failed' ELSE status END WHERE id = $2",
        )
        .bind(max)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Pending → verified, valid until `expires_at`. False if it was no longer pending.
    pub async fn mark_verified(&self, id: &str, at: i64, expires_at: i64) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_verifications SET status = 'verified', verified_at = $1, expires_at = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(at)
        .bind(expires_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Verified → used by `intent`. False if it was already used.
    pub async fn use_verification(&self, id: &str, intent: &str, at: i64) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_verifications SET status = 'used', used_at = $1, used_by = $2 WHERE id = $3 AND status = 'verified'",
        )
        .bind(at)
        .bind(intent)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a sensitive action by `operator` for the hourly budget.
    pub async fn record_sensitive(
        &self,
        operator: &str,
        action: &str,
        target: Option<&str>,
        at: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO keydesk_sensitive_actions (id, operator, action, target, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(operator)
        .bind(action)
        .bind(target.map(str::to_owned))
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sensitive actions by `operator` since `since` (unix seconds).
    pub async fn sensitive_since(&self, operator: &str, since: i64) -> Result<u32, Error> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM keydesk_sensitive_actions WHERE operator = $1 AND at > $2",
        )
        .bind(operator)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        let count: i64 = row.try_get("n")?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn approval_from_row(row: AnyRow) -> Result<ApprovalRecord, Error> {
    let roles: Option<String> = row.try_get("decided_roles")?;
    let decided_roles = match roles {
        Some(text) => serde_json::from_str(&text).map_err(|e| Error::Corrupt(e.to_string()))?,
        None => Vec::new(),
    };
    let status: String = row.try_get("status")?;
    Ok(ApprovalRecord {
        id: row.try_get("id")?,
        plan_hash: row.try_get("plan_hash")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        requester: row.try_get("requester")?,
        summary: row.try_get("summary")?,
        plan: row.try_get("plan")?,
        approvers: row.try_get("approvers")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        status: ApprovalStatus::parse(&status)?,
        decided_by: row.try_get("decided_by")?,
        decided_roles,
        decided_at: row.try_get("decided_at")?,
        used_by: row.try_get("used_by")?,
    })
}

fn verification_from_row(row: AnyRow) -> Result<VerificationRecord, Error> {
    Ok(VerificationRecord {
        id: row.try_get("id")?,
        target: row.try_get("target")?,
        operator: row.try_get("operator")?,
        method: row.try_get("method")?,
        sent_to: row.try_get("sent_to")?,
        code_salt: row.try_get("code_salt")?,
        code_hash: row.try_get("code_hash")?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        status: row.try_get("status")?,
    })
}
