//! Bulk work as durable jobs that every keydesk instance on one database shares.
//!
//! [`Service::submit_bulk_unlock`] turns a list into a job: the list is one plan (the same as
//! `keydesk unlock --from-file`'s, so its hash is the same), and when any user on it would need a
//! verification or an approval, the list is filed for a second approver's approval as a whole
//! (`request_bulk_approval`) instead of being queued. Submitting the same list again once it is
//! approved uses the approval (`begin_bulk`) and queues the job, one item per user.
//!
//! [`run_worker`] runs in every instance: it claims a few items at a time with a lease, renews
//! the leases while it works, and runs each item through `keydesk_ops::guarded::BulkGuard` (the
//! item's own facts, policy decision, audit intent and outcome) with the job's list approval.
//! Exactly once: an item whose instance died is claimed again after its lease and re-planned from
//! the directory's current state, so a user the dead instance already re-enabled plans as
//! "nothing to do" and is not written again. An item's result is recorded only by the instance
//! still holding its claim.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use keydesk_guard::jobs::{ClaimedItem, ItemStatus, JobItemRecord, JobRecord, JobStatus, NewJob};
use keydesk_guard::state::{ApprovalRecord, ApprovalStatus};
use keydesk_guard::{BulkRun, PlannedChange, Request};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::guarded::{Actor, BulkGuard};
use keydesk_ops::unlock::{self, Quiet, UnlockOptions};
use keydesk_ops::{Outcome, facts, resolve};
use keydesk_policy::{Effect, Origin, normalize_upn};

use crate::{Error, Result, Service};

/// The kind of job a bulk unlock is.
pub const BULK_UNLOCK: &str = "bulk_unlock";
/// The most users one job takes.
pub const MAX_USERS: usize = 5_000;
/// Users whose policy facts are read at once when checking whether a list needs approval.
const CHECKS_IN_FLIGHT: usize = 8;

/// How submitting a job ended.
#[derive(Debug)]
pub enum Submitted {
    /// Queued now.
    Queued(JobRecord),
    /// The same list from the same person is already queued or running.
    AlreadyQueued(JobRecord),
    /// The list needs a second approver's approval first: the request filed for it (or the one
    /// already waiting). Submit the same list again once it is approved.
    NeedsApproval(ApprovalRecord),
}

/// A job with its items.
#[derive(Debug, Clone)]
pub struct JobView {
    pub job: JobRecord,
    pub items: Vec<JobItemRecord>,
}

impl JobView {
    /// Items per status (every status present, zeros included).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        ItemStatus::ALL
            .into_iter()
            .map(|status| {
                (
                    status.as_str(),
                    self.items.iter().filter(|i| i.status == status).count(),
                )
            })
            .collect()
    }
}

/// The plan of a bulk unlock of `inputs`: the same plan `keydesk unlock --from-file` approves.
pub fn bulk_unlock_plan(inputs: &[String]) -> PlannedChange {
    PlannedChange {
        action: keydesk_policy::Action::UnlockAccount,
        target: None,
        summary: format!("bulk unlock of {} users", inputs.len()),
        steps: inputs
            .iter()
            .map(|input| ("unlock_account".to_string(), input.to_lowercase()))
            .collect(),
    }
}

/// The delivery a job's items use for a temporary credential: `manager` (default), a person, or
/// `sms:+15551234567`. `reveal` is refused: nobody is there to see it.
pub fn job_delivery(text: Option<&str>) -> Result<Delivery> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Delivery::Manager);
    };
    Ok(match text {
        t if t.eq_ignore_ascii_case("manager") => Delivery::Manager,
        t if t.eq_ignore_ascii_case("reveal") => {
            return Err(Error::InvalidInput(
                "a job runs in the background and cannot reveal a credential to you: use manager, a person, or sms:+NUMBER".into(),
            ));
        }
        t => match t.strip_prefix("sms:") {
            Some(phone) if phone.starts_with('+') && phone.len() <= 20 => {
                Delivery::Sms(phone.to_string())
            }
            Some(_) => {
                return Err(Error::InvalidInput(
                    "an SMS delivery needs a phone number in international format: sms:+15551234567".into(),
                ));
            }
            None if t.len() <= 256 => Delivery::MailTo(t.to_string()),
            None => return Err(Error::InvalidInput("the delivery is too long".into())),
        },
    })
}

/// The list as given, trimmed, without blanks and without repeats (case-insensitive).
fn normalize_inputs(users: &[String]) -> Result<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let mut inputs = Vec::new();
    for user in users {
        let user = user.trim();
        if user.is_empty() {
            continue;
        }
        if user.len() > 256 {
            return Err(Error::InvalidInput(
                "each user must be at most 256 characters".into(),
            ));
        }
        if seen.insert(user.to_lowercase()) {
            inputs.push(user.to_string());
        }
    }
    if inputs.is_empty() {
        return Err(Error::InvalidInput("list at least one user".into()));
    }
    if inputs.len() > MAX_USERS {
        return Err(Error::InvalidInput(format!(
            "a job takes at most {MAX_USERS} users; split the list"
        )));
    }
    Ok(inputs)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Service {
    /// Submits a bulk unlock of `users` for `actor` (an operator): queues it, or files the
    /// list for approval when any user on it needs a verification or an approval.
    pub async fn submit_bulk_unlock(
        &self,
        actor: &Actor,
        users: &[String],
        delivery: Option<&str>,
    ) -> Result<Submitted> {
        let inputs = normalize_inputs(users)?;
        let delivery = delivery
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        job_delivery(delivery.as_deref())?;
        let plan = bulk_unlock_plan(&inputs);
        let plan_hash = plan.plan_hash();
        let requester = normalize_upn(&actor.principal.upn);
        let state = self.guard.state();
        if let Some(job) = state
            .open_job_for_plan(&plan_hash, &requester)
            .await
            .map_err(Error::Guard)?
        {
            return Ok(Submitted::AlreadyQueued(job));
        }
        // Use this requester's approval of exactly this list, if one is approved and unused.
        let now = unix_now();
        let approved = state
            .approvals_for_plan(&plan_hash)
            .await
            .map_err(Error::Guard)?
            .iter()
            .any(|a| {
                a.status == ApprovalStatus::Approved
                    && a.requester == requester
                    && now < a.expires_at
            });
        let run = if approved {
            self.guard.begin_bulk(&plan).await.map_err(Error::Guard)?
        } else {
            BulkRun {
                plan_hash: plan_hash.clone(),
                approval: None,
                started_at: now,
            }
        };
        if run.approval.is_none() && self.list_needs_approval(actor, &inputs, &run).await? {
            let approval = self
                .guard
                .request_bulk_approval(&actor.principal, &plan)
                .await
                .map_err(Error::Guard)?;
            if let Some(notifier) = &self.notifier {
                notifier.approval_requested(&approval).await;
            }
            return Ok(Submitted::NeedsApproval(approval));
        }
        let job = JobRecord {
            id: crate::token("job", 8),
            kind: BULK_UNLOCK.into(),
            requester,
            plan_hash,
            approval_id: run.approval.as_ref().map(|a| a.id.clone()),
            delivery,
            status: JobStatus::Queued,
            created_at: now,
            finished_at: None,
        };
        state
            .insert_job(&NewJob {
                job: job.clone(),
                inputs,
            })
            .await
            .map_err(Error::Guard)?;
        tracing::info!(job = %job.id, approval = ?job.approval_id, "bulk unlock job queued");
        Ok(Submitted::Queued(job))
    }

    /// Whether any user on the list would need a verification or an approval (the policy's
    /// answer for each as a bulk item with `run`'s approval, stopping at the first that does).
    /// Users that cannot be resolved are left to their item, which reports it.
    async fn list_needs_approval(
        &self,
        actor: &Actor,
        inputs: &[String],
        run: &BulkRun,
    ) -> Result<bool> {
        let ops = self.ops(&actor.principal.upn);
        let ops = &ops;
        // Owned inputs: a closure over borrowed ones makes the handler's future not provably
        // `Send` (a higher-ranked lifetime the compiler cannot see through).
        let mut checks = futures::stream::iter(inputs.to_vec())
            .map(move |input: String| async move {
                let Ok(user) = resolve::user(&ops.graph, &input).await else {
                    return Ok(false);
                };
                let upn = resolve::upn(&user);
                let resource = facts::user_resource_in(ops, &user, false).await?;
                let request = Request {
                    principal: actor.principal.clone(),
                    resource,
                    plan: PlannedChange {
                        action: keydesk_policy::Action::UnlockAccount,
                        target: Some(upn.clone()),
                        summary: format!("Would unlock {upn}."),
                        steps: vec![("enable".into(), "set accountEnabled to true".into())],
                    },
                    origin: Origin::Api,
                    on_behalf_of: None,
                    profile_fields: Vec::new(),
                };
                let decision = self
                    .guard
                    .check_bulk_item(&request, run)
                    .await
                    .map_err(Error::Guard)?;
                Ok::<bool, Error>(matches!(
                    decision.effect,
                    Effect::NeedsApproval | Effect::NeedsVerification
                ))
            })
            .buffer_unordered(CHECKS_IN_FLIGHT);
        while let Some(needs) = checks.next().await {
            if needs? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A job and its items.
    pub async fn job(&self, id: &str) -> Result<JobView> {
        if id.is_empty() || id.len() > 64 {
            return Err(Error::NotFound(format!("no job '{id}'")));
        }
        let state = self.guard.state();
        let job = state
            .job(id)
            .await
            .map_err(Error::Guard)?
            .ok_or_else(|| Error::NotFound(format!("no job '{id}'")))?;
        let items = state.job_items(id).await.map_err(Error::Guard)?;
        Ok(JobView { job, items })
    }

    /// The newest `limit` jobs (1 to 200) with their items, newest first.
    pub async fn jobs(&self, limit: i64) -> Result<Vec<JobView>> {
        let state = self.guard.state();
        let jobs = state
            .recent_jobs(limit.clamp(1, 200))
            .await
            .map_err(Error::Guard)?;
        let mut views = Vec::with_capacity(jobs.len());
        for job in jobs {
            let items = state.job_items(&job.id).await.map_err(Error::Guard)?;
            views.push(JobView { job, items });
        }
        Ok(views)
    }

    /// Cancels job `id` for `actor`: the items no worker has claimed yet will not run; items in
    /// flight finish as they run. The cancellation is audited first: if the record can't be
    /// written, nothing is cancelled. Returns the job afterwards and how many items were
    /// cancelled.
    pub async fn cancel_job(&self, actor: &Actor, id: &str) -> Result<(JobView, u64)> {
        let view = self.job(id).await?;
        if view.job.status == JobStatus::Finished {
            return Ok((view, 0));
        }
        let who = normalize_upn(&actor.principal.upn);
        let mut event = keydesk_audit::AuditEvent::new(
            keydesk_audit::EventKind::JobCancelled,
            who.clone(),
            view.job.kind.clone(),
        );
        event.details = serde_json::json!({
            "job": view.job.id,
            "requester": view.job.requester,
            "plan_hash": view.job.plan_hash,
            "origin": actor.origin.as_str(),
        });
        self.guard
            .audit()
            .append(&event)
            .await
            .map_err(|e| Error::Guard(keydesk_guard::Error::from(e)))?;
        let cancelled = self
            .guard
            .state()
            .cancel_job(id, &format!("cancelled by {who}"), unix_now())
            .await
            .map_err(Error::Guard)?;
        Ok((self.job(id).await?, cancelled))
    }

    /// Runs one claimed item: its final status and one sentence, or an error worth retrying.
    async fn run_job_item(&self, item: &ClaimedItem) -> Result<(ItemStatus, String)> {
        let state = self.guard.state();
        let job = state
            .job(&item.job_id)
            .await
            .map_err(Error::Guard)?
            .ok_or_else(|| Error::NotFound(format!("no job '{}'", item.job_id)))?;
        if job.kind != BULK_UNLOCK {
            return Ok((
                ItemStatus::Failed,
                format!("this keydesk does not know jobs of kind '{}'", job.kind),
            ));
        }
        let approval = match &job.approval_id {
            Some(id) => match state.approval(id).await.map_err(Error::Guard)? {
                Some(record) if record.plan_hash == job.plan_hash => Some(record),
                _ => {
                    return Ok((
                        ItemStatus::Refused,
                        format!("the list approval {id} is missing or is for another list"),
                    ));
                }
            },
            None => None,
        };
        let delivery = job_delivery(job.delivery.as_deref())?;
        // Who asked, as the directory knows them now (an operator who lost the role is refused).
        let actor = self.actor(&job.requester, Origin::Api).await?;
        let ops = self.ops(&job.requester);
        let bulk = BulkGuard {
            guard: &self.guard,
            actor: &actor,
            run: BulkRun {
                plan_hash: job.plan_hash.clone(),
                approval,
                started_at: job.created_at,
            },
        };
        let report = unlock::bulk_unlock(
            &ops,
            std::slice::from_ref(&item.input),
            &UnlockOptions { delivery },
            Some(&bulk),
            &Quiet,
        )
        .await?;
        let Some(result) = report.items.into_iter().next() else {
            return Ok((ItemStatus::Failed, "the unlock reported nothing".into()));
        };
        let status = match result.outcome {
            Outcome::Done => ItemStatus::Done,
            Outcome::NothingToDo | Outcome::Info => ItemStatus::NothingToDo,
            Outcome::Refused => ItemStatus::Refused,
            Outcome::Failed | Outcome::Planned => ItemStatus::Failed,
        };
        Ok((status, result.summary))
    }
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This instance's id in the claims (random per process).
    pub instance: String,
    /// How long a claim lasts without renewal; renewed every third of it.
    pub lease: Duration,
    /// How often the queue is polled for work.
    pub poll: Duration,
    /// Items worked on at once.
    pub concurrency: usize,
    /// Claims of one item before it is given up as failed.
    pub max_attempts: i64,
}

impl WorkerConfig {
    /// A random instance id, a `lease`, polls every 200 ms, 4 items at once, 5 attempts.
    pub fn new(lease: Duration) -> WorkerConfig {
        WorkerConfig {
            instance: crate::token("inst", 8),
            lease: lease.max(Duration::from_secs(1)),
            poll: Duration::from_millis(200),
            concurrency: 4,
            max_attempts: 5,
        }
    }
}

/// Whether an error is about the item itself (final) rather than the moment (worth retrying).
fn is_final(error: &Error) -> Option<ItemStatus> {
    match error {
        Error::Ops(keydesk_ops::Error::Refused { .. }) => Some(ItemStatus::Refused),
        Error::Ops(
            keydesk_ops::Error::UserNotFound { .. }
            | keydesk_ops::Error::AmbiguousUser { .. }
            | keydesk_ops::Error::InvalidInput(_),
        )
        | Error::InvalidInput(_)
        | Error::NotFound(_) => Some(ItemStatus::Failed),
        _ => None,
    }
}

async fn work_on(service: Arc<Service>, item: ClaimedItem, config: Arc<WorkerConfig>) {
    let state = service.guard.state();
    let result = service.run_job_item(&item).await;
    let now = unix_now();
    let recorded = match result {
        Ok((status, summary)) => {
            state
                .finish_job_item(&item.id, &config.instance, status, &summary, now)
                .await
        }
        Err(error) => match is_final(&error) {
            Some(status) => {
                state
                    .finish_job_item(&item.id, &config.instance, status, &error.to_string(), now)
                    .await
            }
            None if item.attempts >= config.max_attempts => {
                state
                    .finish_job_item(
                        &item.id,
                        &config.instance,
                        ItemStatus::Failed,
                        &format!("gave up after {} attempts: {error}", item.attempts),
                        now,
                    )
                    .await
            }
            None => {
                tracing::warn!(item = %item.id, %error, "job item failed for now; it goes back to the queue");
                state.release_job_item(&item.id, &config.instance).await
            }
        },
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            item = %item.id,
            "this instance's claim on the job item ran out and another instance took it over; its result is theirs to record"
        ),
        Err(error) => {
            tracing::error!(item = %item.id, %error, "the job item's result could not be recorded; it will be claimed and re-planned after its lease")
        }
    }
    if let Err(error) = state.finish_job_if_complete(&item.job_id, now).await {
        tracing::error!(job = %item.job_id, %error, "the job's status could not be updated");
    }
}

fn lease_until(config: &WorkerConfig) -> i64 {
    unix_now() + i64::try_from(config.lease.as_secs()).unwrap_or(i64::MAX / 2)
}

/// Starts [`run_worker`] on the current Tokio runtime until `shutdown` turns true (or its sender
/// is dropped). The worker's futures need not be `Send` (the operations' pipelines are not
/// provably so): it runs on a thread of the runtime's blocking pool, driving its items on a
/// `LocalSet` while sharing the runtime's I/O and timers with the server.
pub fn spawn_worker(
    service: Arc<Service>,
    config: WorkerConfig,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let local = tokio::task::LocalSet::new();
        handle.block_on(local.run_until(run_worker(service, config, async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })));
    })
}

/// Works on the shared queue until `shutdown` resolves, then finishes the items in hand (their
/// leases renewed meanwhile) and returns. Must run inside a [`tokio::task::LocalSet`] (see
/// [`spawn_worker`]).
pub async fn run_worker(
    service: Arc<Service>,
    config: WorkerConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let config = Arc::new(config);
    let state = service.guard.state().clone();
    let mut tasks = tokio::task::JoinSet::new();
    let mut renew = tokio::time::interval((config.lease / 3).max(Duration::from_millis(200)));
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut poll = tokio::time::interval(config.poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    tracing::info!(instance = %config.instance, "job worker started");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = renew.tick() => {
                if !tasks.is_empty()
                    && let Err(error) = state.renew_job_leases(&config.instance, lease_until(&config)).await
                {
                    tracing::error!(%error, "job leases could not be renewed");
                }
            }
            _ = poll.tick() => {
                let free = config.concurrency.saturating_sub(tasks.len());
                if free == 0 {
                    continue;
                }
                match state
                    .claim_job_items(
                        &config.instance,
                        unix_now(),
                        lease_until(&config),
                        i64::try_from(free).unwrap_or(1),
                        config.max_attempts,
                    )
                    .await
                {
                    Ok(items) => {
                        for item in items {
                            tracing::debug!(item = %item.id, attempts = item.attempts, "job item claimed");
                            tasks.spawn_local(work_on(service.clone(), item, config.clone()));
                        }
                    }
                    Err(error) => tracing::error!(%error, "the job queue could not be read"),
                }
            }
        }
    }
    // Finish what is in hand, keeping the leases alive meanwhile.
    while !tasks.is_empty() {
        tokio::select! {
            _ = tasks.join_next() => {}
            _ = renew.tick() => {
                if let Err(error) = state.renew_job_leases(&config.instance, lease_until(&config)).await {
                    tracing::error!(%error, "job leases could not be renewed");
                }
            }
        }
    }
    tracing::info!(instance = %config.instance, "job worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_trimmed_deduplicated_and_bounded() {
        let users = vec![
            " a@x.com ".to_string(),
            "A@X.com".into(),
            String::new(),
            "b@x.com".into(),
        ];
        assert_eq!(
            normalize_inputs(&users).expect("fine"),
            ["a@x.com", "b@x.com"]
        );
        assert!(normalize_inputs(&[" ".to_string()]).is_err());
        let many: Vec<String> = (0..=MAX_USERS).map(|i| format!("u{i}@x.com")).collect();
        assert!(normalize_inputs(&many).is_err());
    }

    #[test]
    fn a_job_cannot_reveal_a_credential() {
        assert!(job_delivery(Some("reveal")).is_err());
        assert!(matches!(job_delivery(None), Ok(Delivery::Manager)));
        assert!(matches!(
            job_delivery(Some("sms:+15551234567")),
            Ok(Delivery::Sms(_))
        ));
        assert!(job_delivery(Some("sms:555")).is_err());
    }

    #[test]
    fn the_list_plan_is_the_command_lines() {
        let plan = bulk_unlock_plan(&["A@x.com".to_string()]);
        assert_eq!(
            plan.steps,
            vec![("unlock_account".to_string(), "a@x.com".to_string())]
        );
        assert!(plan.target.is_none());
    }
}
