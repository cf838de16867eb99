//! From a plan to an authorized execution: [`run`] does a dry run, reads the facts, asks the
//! guard, confirms with the operator, executes with the capability and records the outcome.
//! [`BulkGuard`] does the same per item of a bulk run (one intent per user).

use std::sync::Arc;

use keydesk_graph::model::User;
use keydesk_guard::state::ApprovalRecord;
use keydesk_guard::{Approved, Authorization, BulkRun, Completion, Guard, PlannedChange, Request};
use keydesk_policy::{Action, Decision, Origin, Principal, Resource};
use serde_json::json;

use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, facts, resolve};

/// Who acts, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The principal's facts (see [`facts::principal`]).
    pub principal: Principal,
    /// Where the request came from.
    pub origin: Origin,
    /// The person the principal acts for, when different.
    pub on_behalf_of: Option<String>,
}

impl Actor {
    /// Reads `upn`'s facts from the directory.
    pub async fn read(ops: &Ops, upn: &str, origin: Origin) -> Result<Actor> {
        Ok(Actor {
            principal: facts::principal(ops, upn).await?,
            origin,
            on_behalf_of: None,
        })
    }
}

/// What a change applies to, for the policy.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The user the plan names (its `target`).
    User,
    /// A group (name, mail or id, as the operator typed it).
    Group(String),
    /// The tenant (user creation).
    Tenant,
}

/// How a guarded run ended.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // returned once per command; boxing buys nothing
pub enum Guarded {
    /// Dry run, or nothing to change: the plan.
    Planned(Report),
    /// Executed (the report says how it went).
    Executed(Report),
    /// An approval or a verification is missing.
    Pending {
        /// The plan.
        plan: Report,
        /// What the policy decided and what is missing.
        decision: Decision,
        /// The approval request filed for this plan, if an approval is missing.
        approval: Option<ApprovalRecord>,
    },
    /// The policy refused.
    Denied {
        /// The plan.
        plan: Report,
        /// The decision and its reasons.
        decision: Decision,
    },
    /// The operator said no at the confirmation.
    Declined(Report),
}

/// The plan as the guard sees it.
pub fn planned_change(plan: &Report) -> Result<PlannedChange> {
    let action: Action = plan
        .action
        .parse()
        .map_err(|_| Error::InvalidInput(format!("'{}' is not a keydesk action", plan.action)))?;
    Ok(PlannedChange {
        action,
        target: plan.target.clone(),
        summary: plan.summary.clone(),
        steps: plan
            .steps
            .iter()
            .map(|s| (s.action.clone(), s.detail.clone()))
            .collect(),
    })
}

async fn resource(ops: &Ops, plan: &Report, subject: &Subject) -> Result<Resource> {
    match subject {
        Subject::Tenant => Ok(Resource::Tenant),
        Subject::Group(query) => {
            let group = resolve::group(&ops.graph, query).await?;
            facts::group_resource(ops, &group).await
        }
        Subject::User => {
            let target = plan
                .target
                .as_deref()
                .ok_or_else(|| Error::InvalidInput("the plan names no user".into()))?;
            let user = resolve::user(&ops.graph, target).await?;
            facts::user_resource_in(ops, &user, crate::linked::acts_in_ad(plan)).await
        }
    }
}

/// Plans with `op(Mode::DryRun)`; unless `dry_run`, asks the guard, then `confirm` (which sees
/// the plan and the allow decision), executes with `op(Mode::Execute(..))` and records the
/// outcome. A plan with nothing to change is returned as planned, without asking anyone.
pub async fn run<F, Fut>(
    ops: &Ops,
    guard: &Guard,
    actor: &Actor,
    subject: Subject,
    dry_run: bool,
    confirm: &(dyn Fn(&Report, &Decision) -> bool + Sync),
    op: F,
) -> Result<Guarded>
where
    F: Fn(Mode) -> Fut,
    Fut: std::future::Future<Output = Result<Report>>,
{
    let plan = op(Mode::DryRun).await?;
    if plan.outcome != Outcome::Planned {
        return Ok(Guarded::Planned(plan));
    }
    let request = Request {
        principal: actor.principal.clone(),
        resource: resource(ops, &plan, &subject).await?,
        plan: planned_change(&plan)?,
        origin: actor.origin,
        on_behalf_of: actor.on_behalf_of.clone(),
        profile_fields: profile_fields(&plan),
    };
    if dry_run {
        let decision = guard.check(&request).await.map_err(guard_error)?;
        return Ok(match decision.effect {
            keydesk_policy::Effect::Allow => Guarded::Planned(plan),
            keydesk_policy::Effect::Deny => Guarded::Denied { plan, decision },
            _ => Guarded::Pending {
                plan,
                decision,
                approval: None,
            },
        });
    }
    // Confirm before anything is used or written: a "no" leaves no trace but this answer.
    let preview = guard.check(&request).await.map_err(guard_error)?;
    if preview.effect == keydesk_policy::Effect::Allow && !confirm(&plan, &preview) {
        return Ok(Guarded::Declined(plan));
    }
    let approved = match guard.authorize(&request).await.map_err(guard_error)? {
        Authorization::Approved(approved) => Arc::new(approved),
        Authorization::Pending { decision, approval } => {
            return Ok(Guarded::Pending {
                plan,
                decision,
                approval,
            });
        }
        Authorization::Denied { decision } => return Ok(Guarded::Denied { plan, decision }),
    };
    let result = op(Mode::Execute(approved.clone())).await;
    complete(guard, approved, &result).await;
    result.map(Guarded::Executed)
}

/// The guard's failure as an operation error: nothing was executed.
pub fn guard_error(error: keydesk_guard::Error) -> Error {
    Error::refused(
        format!("keydesk's guard could not authorize this change: {error}"),
        "nothing was changed; fix the cause (keydesk audit verify) and try again",
    )
}

fn profile_fields(plan: &Report) -> Vec<String> {
    if plan.action != "update_user_profile" {
        return Vec::new();
    }
    plan.steps
        .iter()
        .filter_map(|s| s.detail.split(':').next())
        .map(|p| p.trim().to_string())
        .collect()
}

/// Writes the outcome of an authorized execution. If it can't be written, the intent stays open
/// and `keydesk audit verify` reports the action as interrupted.
pub async fn complete(guard: &Guard, approved: Arc<Approved>, result: &Result<Report>) {
    let completion = completion(result);
    let approved = match Arc::try_unwrap(approved) {
        Ok(approved) => approved,
        Err(_) => {
            tracing::error!("an authorization outlived its execution; the outcome is not recorded");
            return;
        }
    };
    if let Err(error) = guard.complete(approved, completion).await {
        tracing::error!(%error, "the outcome could not be recorded; audit verify will show this action as interrupted");
    }
}

/// The outcome record's content for a result.
pub fn completion(result: &Result<Report>) -> Completion {
    use keydesk_audit::OutcomeStatus;
    match result {
        Ok(report) => Completion {
            status: match report.outcome {
                Outcome::Done | Outcome::Info => OutcomeStatus::Done,
                Outcome::NothingToDo => OutcomeStatus::NothingToDo,
                Outcome::Planned => OutcomeStatus::Planned,
                Outcome::Refused => OutcomeStatus::Refused,
                Outcome::Failed => OutcomeStatus::Failed,
            },
            summary: report.summary.clone(),
            details: json!({
                "steps": report.steps.iter().map(|s| json!({
                    "action": s.action,
                    "detail": s.detail,
                    "status": match s.status {
                        StepStatus::Done => "done",
                        StepStatus::Planned => "planned",
                        StepStatus::Skipped => "skipped",
                        StepStatus::Failed => "failed",
                    },
                })).collect::<Vec<_>>(),
                "verified": report.verified,
                "store": keydesk_guard::store_of(report.steps.iter().map(|s| s.action.as_str())),
            }),
            graph_request_ids: report
                .steps
                .iter()
                .filter_map(|s| s.request_id.clone())
                .collect(),
        },
        Err(Error::Refused { reason, .. }) => Completion {
            status: OutcomeStatus::Refused,
            summary: reason.clone(),
            details: json!({}),
            graph_request_ids: Vec::new(),
        },
        Err(error) => Completion {
            status: OutcomeStatus::Failed,
            summary: error.to_string(),
            details: json!({}),
            graph_request_ids: Vec::new(),
        },
    }
}

/// A bulk run's guard: every item is authorized on its own (its own intent and outcome), with
/// the run's list approval standing in for per-user verification.
pub struct BulkGuard<'a> {
    /// The guard.
    pub guard: &'a Guard,
    /// Who runs the bulk.
    pub actor: &'a Actor,
    /// The run (and the list approval it used, if any).
    pub run: BulkRun,
}

/// Why a bulk item was not authorized.
#[derive(Debug, Clone)]
pub struct NotAuthorized {
    /// Denied (true) or waiting for an approval or verification (false).
    pub denied: bool,
    /// One sentence.
    pub reason: String,
}

impl BulkGuard<'_> {
    /// Authorizes one item's plan for `user`.
    pub async fn authorize(
        &self,
        ops: &Ops,
        user: &User,
        plan: &Report,
    ) -> Result<std::result::Result<Arc<Approved>, NotAuthorized>> {
        let request = Request {
            principal: self.actor.principal.clone(),
            resource: facts::user_resource_in(ops, user, crate::linked::acts_in_ad(plan)).await?,
            plan: planned_change(plan)?,
            origin: self.actor.origin,
            on_behalf_of: self.actor.on_behalf_of.clone(),
            profile_fields: Vec::new(),
        };
        Ok(
            match self
                .guard
                .authorize_bulk_item(&request, &self.run)
                .await
                .map_err(guard_error)?
            {
                Authorization::Approved(approved) => Ok(Arc::new(approved)),
                Authorization::Pending { decision, .. } => Err(NotAuthorized {
                    denied: false,
                    reason: keydesk_policy::explain(&decision)
                        .lines()
                        .next()
                        .unwrap_or("needs approval or verification")
                        .to_string(),
                }),
                Authorization::Denied { decision } => Err(NotAuthorized {
                    denied: true,
                    reason: decision
                        .reasons
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "no policy permits it".into()),
                }),
            },
        )
    }

    /// Runs one item that needs the full single-user path (plan, authorize, execute, complete).
    pub async fn run_item<F, Fut>(&self, ops: &Ops, op: F) -> Result<Report>
    where
        F: Fn(Mode) -> Fut,
        Fut: std::future::Future<Output = Result<Report>>,
    {
        let plan = op(Mode::DryRun).await?;
        if plan.outcome != Outcome::Planned {
            return Ok(plan);
        }
        let target = plan
            .target
            .clone()
            .ok_or_else(|| Error::InvalidInput("the plan names no user".into()))?;
        let user = resolve::user(&ops.graph, &target).await?;
        match self.authorize(ops, &user, &plan).await? {
            Ok(approved) => {
                let result = op(Mode::Execute(approved.clone())).await;
                complete(self.guard, approved, &result).await;
                result
            }
            Err(why) => {
                let mut report = plan;
                report.outcome = Outcome::Refused;
                report.summary = why.reason;
                Ok(report)
            }
        }
    }
}
