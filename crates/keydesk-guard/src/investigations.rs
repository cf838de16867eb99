//! Investigations kept for their reports (`keydesk_investigations`), shared by every instance on
//! the database: the findings as JSON and the report rendered as Markdown and HTML. Nothing
//! secret is in them; the evidence snapshot's hash is in the audit log.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, GuardState};

/// A kept investigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestigationRecord {
    /// keydesk's id for it, e.g. `inv-3f2a9c1d`.
    pub id: String,
    /// Who was investigated (lower-case UPN).
    pub user: String,
    /// The window, in days.
    pub days: i64,
    /// Who asked.
    pub requested_by: String,
    /// The verdict's name.
    pub verdict: String,
    /// The findings, as JSON text.
    pub result: String,
    /// The incident report in Markdown.
    pub markdown: String,
    /// The incident report in HTML.
    pub html: String,
    /// Unix seconds.
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, user_upn, days, requested_by, verdict, result, markdown, html, created_at";

impl GuardState {
    /// Keeps an investigation.
    pub async fn insert_investigation(&self, record: &InvestigationRecord) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO keydesk_investigations (id, user_upn, days, requested_by, verdict, result, markdown, html, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&record.id)
        .bind(&record.user)
        .bind(record.days)
        .bind(&record.requested_by)
        .bind(&record.verdict)
        .bind(&record.result)
        .bind(&record.markdown)
        .bind(&record.html)
        .bind(record.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The investigation `id`.
    pub async fn investigation(&self, id: &str) -> Result<Option<InvestigationRecord>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM keydesk_investigations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(from_row).transpose()
    }

    /// The newest `limit` investigations, newest first, without their rendered reports
    /// (`markdown` and `html` are empty).
    pub async fn recent_investigations(
        &self,
        limit: i64,
    ) -> Result<Vec<InvestigationRecord>, Error> {
        let rows = sqlx::query(
            "SELECT id, user_upn, days, requested_by, verdict, result, '' AS markdown, '' AS html, created_at FROM keydesk_investigations ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(from_row).collect()
    }
}

fn from_row(row: AnyRow) -> Result<InvestigationRecord, Error> {
    Ok(InvestigationRecord {
        id: row.try_get("id")?,
        user: row.try_get("user_upn")?,
        days: row.try_get("days")?,
        requested_by: row.try_get("requested_by")?,
        verdict: row.try_get("verdict")?,
        result: row.try_get("result")?,
        markdown: row.try_get("markdown")?,
        html: row.try_get("html")?,
        created_at: row.try_get("created_at")?,
    })
}
