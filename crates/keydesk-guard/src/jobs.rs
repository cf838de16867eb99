//! The durable job queue for bulk work, in the guard's database: a job is one approved list
//! (`keydesk_jobs`), its items one entry each (`keydesk_job_items`).
//!
//! Several keydesk instances share the queue. A worker claims items with a lease
//! ([`GuardState::claim_job_items`]): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent
//! claimers never wait for or take each other's rows; on SQLite the single statement is atomic
//! because SQLite has one writer at a time. A worker renews its leases while it works
//! ([`GuardState::renew_job_leases`]); an instance that dies leaves them to expire, and the items
//! become claimable again. Finishing an item ([`GuardState::finish_job_item`]) is conditional on
//! still holding the claim, so a worker whose lease was taken over cannot overwrite the result.
//!
//! The queue records what happened to each item; it does not make the tenant's writes
//! idempotent by itself. The worker re-plans a re-claimed item from the directory's current
//! state, so a change the dead instance already made plans as "nothing to do".

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, GuardState};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// No item claimed yet.
    Queued,
    /// Items are being worked on.
    Running,
    /// Every item has a final status.
    Finished,
}

impl JobStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Finished => "finished",
        }
    }

    fn parse(text: &str) -> Result<JobStatus, Error> {
        Ok(match text {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "finished" => JobStatus::Finished,
            other => return Err(Error::Corrupt(format!("job status {other:?}"))),
        })
    }
}

/// Where a job item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemStatus {
    /// Waiting for a worker.
    Queued,
    /// Claimed by a worker whose lease runs until `lease_until`.
    Running,
    /// Changed and verified.
    Done,
    /// Nothing needed changing.
    NothingToDo,
    /// Not authorized, or refused by the operation.
    Refused,
    /// The change failed (or the item was given up after too many attempts).
    Failed,
    /// The job was cancelled before a worker claimed the item.
    Cancelled,
}

impl ItemStatus {
    /// Every status, in display order.
    pub const ALL: [ItemStatus; 7] = [
        ItemStatus::Queued,
        ItemStatus::Running,
        ItemStatus::Done,
        ItemStatus::NothingToDo,
        ItemStatus::Refused,
        ItemStatus::Failed,
        ItemStatus::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Queued => "queued",
            ItemStatus::Running => "running",
            ItemStatus::Done => "done",
            ItemStatus::NothingToDo => "nothing_to_do",
            ItemStatus::Refused => "refused",
            ItemStatus::Failed => "failed",
            ItemStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the item is finished for good.
    pub fn is_final(self) -> bool {
        !matches!(self, ItemStatus::Queued | ItemStatus::Running)
    }

    fn parse(text: &str) -> Result<ItemStatus, Error> {
        ItemStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::Corrupt(format!("job item status {text:?}")))
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// keydesk's id for it, e.g. `job-3f2a9c1d5e6f`.
    pub id: String,
    /// What it does, e.g. `bulk_unlock`.
    pub kind: String,
    /// Who asked (lower-case UPN); the items run as this person, read from the directory anew.
    pub requester: String,
    /// The hash of the list's plan (the bulk plan the approval is bound to).
    pub plan_hash: String,
    /// The list approval the job uses, if the list needed one.
    pub approval_id: Option<String>,
    /// Where temporary credentials go, as the requester wrote it.
    pub delivery: Option<String>,
    /// Where it stands.
    pub status: JobStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub finished_at: Option<i64>,
}

/// A job to queue with its items.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The job's fields (status and `finished_at` are ignored: a new job is queued).
    pub job: JobRecord,
    /// One input per item, in order.
    pub inputs: Vec<String>,
}

/// A stored job item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobItemRecord {
    /// The item's id.
    pub id: String,
    /// Its job.
    pub job_id: String,
    /// Its place in the list, from 0.
    pub position: i64,
    /// The input (a UPN, object id or name).
    pub input: String,
    /// Where it stands.
    pub status: ItemStatus,
    /// The instance that claimed it last.
    pub claimed_by: Option<String>,
    /// Unix seconds: the claim's lease.
    pub lease_until: Option<i64>,
    /// How many times it was claimed.
    pub attempts: i64,
    /// One sentence about how it ended.
    pub result: Option<String>,
    /// Unix seconds.
    pub finished_at: Option<i64>,
}

/// An item a worker claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedItem {
    /// The item's id.
    pub id: String,
    /// Its job.
    pub job_id: String,
    /// Its place in the list.
    pub position: i64,
    /// The input.
    pub input: String,
    /// Claims so far, this one included.
    pub attempts: i64,
}

const JOB_COLUMNS: &str =
    "id, kind, requester, plan_hash, approval_id, delivery, status, created_at, finished_at";
const ITEM_COLUMNS: &str =
    "id, job_id, position, input, status, claimed_by, lease_until, attempts, result, finished_at";

impl GuardState {
    /// Queues a job and its items (all or nothing).
    pub async fn insert_job(&self, new: &NewJob) -> Result<(), Error> {
        let job = &new.job;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO keydesk_jobs (id, kind, requester, plan_hash, approval_id, delivery, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&job.id)
        .bind(&job.kind)
        .bind(&job.requester)
        .bind(&job.plan_hash)
        .bind(job.approval_id.clone())
        .bind(job.delivery.clone())
        .bind(JobStatus::Queued.as_str())
        .bind(job.created_at)
        .execute(&mut *tx)
        .await?;
        for (position, input) in new.inputs.iter().enumerate() {
            sqlx::query(
                "INSERT INTO keydesk_job_items (id, job_id, position, input, status, attempts) VALUES ($1, $2, $3, $4, $5, 0)",
            )
            .bind(format!("{}:{position}", job.id))
            .bind(&job.id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(input)
            .bind(ItemStatus::Queued.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The job `id`.
    pub async fn job(&self, id: &str) -> Result<Option<JobRecord>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM keydesk_jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(job_from_row).transpose()
    }

    /// The newest `limit` jobs, newest first.
    pub async fn recent_jobs(&self, limit: i64) -> Result<Vec<JobRecord>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM keydesk_jobs ORDER BY created_at DESC, id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(job_from_row).collect()
    }

    /// Cancels job `id`: its queued items become cancelled (with `reason` as their result) and
    /// no worker claims them; items a worker holds finish as they run. Returns how many items
    /// were cancelled; the job is finished once its running items are.
    pub async fn cancel_job(&self, id: &str, reason: &str, at: i64) -> Result<u64, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_job_items SET status = 'cancelled', result = $1, finished_at = $2 WHERE job_id = $3 AND status = 'queued'",
        )
        .bind(reason)
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.finish_job_if_complete(id, at).await?;
        Ok(done.rows_affected())
    }

    /// The unfinished job of `requester` for the list `plan_hash`, if there is one.
    pub async fn open_job_for_plan(
        &self,
        plan_hash: &str,
        requester: &str,
    ) -> Result<Option<JobRecord>, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM keydesk_jobs WHERE plan_hash = $1 AND requester = $2 AND status <> 'finished' ORDER BY created_at DESC, id LIMIT 1"
        )))
        .bind(plan_hash)
        .bind(requester)
        .fetch_optional(&self.pool)
        .await?;
        row.map(job_from_row).transpose()
    }

    /// A job's items, in list order.
    pub async fn job_items(&self, job_id: &str) -> Result<Vec<JobItemRecord>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM keydesk_job_items WHERE job_id = $1 ORDER BY position"
        )))
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(item_from_row).collect()
    }

    /// Claims up to `limit` items for `instance` until `lease_until`: queued items, and running
    /// items whose lease ran out before `now` (their instance stopped renewing it). Items whose
    /// lease ran out after `max_attempts` claims are given up as failed instead.
    pub async fn claim_job_items(
        &self,
        instance: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        max_attempts: i64,
    ) -> Result<Vec<ClaimedItem>, Error> {
        let given_up = sqlx::query(
            "UPDATE keydesk_job_items SET status = 'failed', result = $1, finished_at = $2 WHERE status = 'running' AND lease_until < $3 AND attempts >= $4 RETURNING job_id",
        )
        .bind(format!(
            "given up: {max_attempts} workers claimed it and none finished it"
        ))
        .bind(now)
        .bind(now)
        .bind(max_attempts)
        .fetch_all(&self.pool)
        .await?;
        for row in given_up {
            let job_id: String = row.try_get("job_id")?;
            self.finish_job_if_complete(&job_id, now).await?;
        }
        let lock = if self.postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE keydesk_job_items SET status = 'running', claimed_by = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM keydesk_job_items \
                          WHERE status = 'queued' OR (status = 'running' AND lease_until < $3) \
                          ORDER BY job_id, position LIMIT $4{lock}) \
             RETURNING id, job_id, position, input, attempts"
        )))
        .bind(instance)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = rows
            .into_iter()
            .map(|row| {
                Ok(ClaimedItem {
                    id: row.try_get("id")?,
                    job_id: row.try_get("job_id")?,
                    position: row.try_get("position")?,
                    input: row.try_get("input")?,
                    attempts: row.try_get("attempts")?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        claimed.sort_by(|a, b| (&a.job_id, a.position).cmp(&(&b.job_id, b.position)));
        let mut jobs: Vec<&str> = claimed.iter().map(|c| c.job_id.as_str()).collect();
        jobs.dedup();
        for job in jobs {
            sqlx::query(
                "UPDATE keydesk_jobs SET status = 'running' WHERE id = $1 AND status = 'queued'",
            )
            .bind(job)
            .execute(&self.pool)
            .await?;
        }
        Ok(claimed)
    }

    /// Extends the leases of the items `instance` is working on. Returns how many it holds.
    pub async fn renew_job_leases(&self, instance: &str, lease_until: i64) -> Result<u64, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_job_items SET lease_until = $1 WHERE claimed_by = $2 AND status = 'running'",
        )
        .bind(lease_until)
        .bind(instance)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records how item `id` ended, if `instance` still holds its claim. Returns false when it
    /// does not (its lease ran out and another instance claimed the item): the caller's result is
    /// then not recorded.
    pub async fn finish_job_item(
        &self,
        id: &str,
        instance: &str,
        status: ItemStatus,
        result: &str,
        at: i64,
    ) -> Result<bool, Error> {
        if !status.is_final() {
            return Err(Error::Corrupt(format!(
                "{} is not a final job item status",
                status.as_str()
            )));
        }
        let done = sqlx::query(
            "UPDATE keydesk_job_items SET status = $1, result = $2, finished_at = $3 WHERE id = $4 AND claimed_by = $5 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(result)
        .bind(at)
        .bind(id)
        .bind(instance)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts item `id` back in the queue (a transient failure), if `instance` still holds it.
    pub async fn release_job_item(&self, id: &str, instance: &str) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_job_items SET status = 'queued', claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(instance)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks job `id` finished once no item is queued or running. Returns true if this call
    /// finished it.
    pub async fn finish_job_if_complete(&self, id: &str, at: i64) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE keydesk_jobs SET status = 'finished', finished_at = $1 WHERE id = $2 AND status <> 'finished' \
             AND NOT EXISTS (SELECT 1 FROM keydesk_job_items WHERE job_id = $3 AND status IN ('queued', 'running'))",
        )
        .bind(at)
        .bind(id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn job_from_row(row: AnyRow) -> Result<JobRecord, Error> {
    let status: String = row.try_get("status")?;
    Ok(JobRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        requester: row.try_get("requester")?,
        plan_hash: row.try_get("plan_hash")?,
        approval_id: row.try_get("approval_id")?,
        delivery: row.try_get("delivery")?,
        status: JobStatus::parse(&status)?,
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn item_from_row(row: AnyRow) -> Result<JobItemRecord, Error> {
    let status: String = row.try_get("status")?;
    Ok(JobItemRecord {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        position: row.try_get("position")?,
        input: row.try_get("input")?,
        status: ItemStatus::parse(&status)?,
        claimed_by: row.try_get("claimed_by")?,
        lease_until: row.try_get("lease_until")?,
        attempts: row.try_get("attempts")?,
        result: row.try_get("result")?,
        finished_at: row.try_get("finished_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_job(id: &str, inputs: &[&str]) -> NewJob {
        NewJob {
            job: JobRecord {
                id: id.into(),
                kind: "bulk_unlock".into(),
                requester: "meganb@contoso.com".into(),
                plan_hash: "hash".into(),
                approval_id: None,
                delivery: None,
                status: JobStatus::Queued,
                created_at: 100,
                finished_at: None,
            },
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn items_are_claimed_once_reclaimed_after_the_lease_and_finished_only_by_the_holder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = GuardState::open(&dir.path().join("g.db").display().to_string())
            .await
            .expect("opens");
        state
            .insert_job(&new_job("job-1", &["a", "b", "c"]))
            .await
            .expect("queued");
        let first = state
            .claim_job_items("one", 100, 110, 2, 3)
            .await
            .expect("claims");
        assert_eq!(
            first.iter().map(|c| c.input.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let second = state
            .claim_job_items("two", 101, 111, 5, 3)
            .await
            .expect("claims");
        assert_eq!(
            second.iter().map(|c| c.input.as_str()).collect::<Vec<_>>(),
            ["c"],
            "a live lease is not taken"
        );
        assert_eq!(
            state.job("job-1").await.expect("reads").map(|j| j.status),
            Some(JobStatus::Running)
        );
        // "one" dies; after its lease "two" takes its items over.
        let taken = state
            .claim_job_items("two", 111, 121, 5, 3)
            .await
            .expect("claims");
        assert_eq!(taken.len(), 2);
        assert!(taken.iter().all(|c| c.attempts == 2));
        assert!(
            !state
                .finish_job_item(&first[0].id, "one", ItemStatus::Done, "late", 112)
                .await
                .expect("runs"),
            "the old holder cannot finish a taken-over item"
        );
        for item in taken.iter().chain(&second) {
            assert!(
                state
                    .finish_job_item(&item.id, "two", ItemStatus::NothingToDo, "fine", 113)
                    .await
                    .expect("runs")
            );
        }
        assert!(
            state
                .finish_job_if_complete("job-1", 114)
                .await
                .expect("runs")
        );
        let items = state.job_items("job-1").await.expect("reads");
        assert!(items.iter().all(|i| i.status == ItemStatus::NothingToDo));
        assert_eq!(
            state.job("job-1").await.expect("reads").map(|j| j.status),
            Some(JobStatus::Finished)
        );
    }

    #[tokio::test]
    async fn an_item_no_worker_finishes_is_given_up() {
        let state = GuardState::open(":memory:").await.expect("opens");
        state
            .insert_job(&new_job("job-2", &["a"]))
            .await
            .expect("queued");
        for at in [100, 200] {
            assert_eq!(
                state
                    .claim_job_items("w", at, at + 10, 1, 2)
                    .await
                    .expect("claims")
                    .len(),
                1
            );
        }
        assert!(
            state
                .claim_job_items("w", 300, 310, 1, 2)
                .await
                .expect("claims")
                .is_empty()
        );
        let items = state.job_items("job-2").await.expect("reads");
        assert_eq!(items[0].status, ItemStatus::Failed);
        assert_eq!(
            state.job("job-2").await.expect("reads").map(|j| j.status),
            Some(JobStatus::Finished)
        );
    }

    /// On PostgreSQL (`KEYDESK_TEST_POSTGRES_URL`, in a fresh database): concurrent claimers
    /// never get the same item (`FOR UPDATE SKIP LOCKED`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claimers_on_postgres_never_share_an_item() {
        use sqlx::Connection;
        let Ok(base) = std::env::var("KEYDESK_TEST_POSTGRES_URL") else {
            eprintln!("jobs: PostgreSQL test SKIPPED: set KEYDESK_TEST_POSTGRES_URL");
            return;
        };
        let name = format!("keydesk_jobs_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&base).await.expect("connects");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("created");
        let (prefix, _) = base.rsplit_once('/').expect("a database in the URL");
        let url = format!("{prefix}/{name}");
        let inputs: Vec<String> = (0..200).map(|i| format!("u{i}")).collect();
        {
            let state = GuardState::open(&url).await.expect("opens");
            let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            state
                .insert_job(&new_job("job-pg", &refs))
                .await
                .expect("queued");
            let mut claimers = Vec::new();
            for n in 0..6 {
                let state = state.clone();
                claimers.push(tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let got = state
                            .claim_job_items(&format!("w{n}"), 100, 200, 3, 5)
                            .await
                            .expect("claims");
                        if got.is_empty() {
                            break mine;
                        }
                        mine.extend(got.into_iter().map(|c| c.input));
                    }
                }));
            }
            let mut all = Vec::new();
            for claimer in claimers {
                all.extend(claimer.await.expect("joins"));
            }
            all.sort();
            let mut expected = inputs.clone();
            expected.sort();
            assert_eq!(all, expected, "every item claimed exactly once");
            state.close().await;
        }
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
    }
}
