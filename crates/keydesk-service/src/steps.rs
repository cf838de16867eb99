//! One plan step → its policy status now ([`preview`]) or its guarded execution ([`run`]).
//!
//! Writes go through `keydesk_ops::guarded::run`, exactly like the commands: the confirmation is
//! the caller's explicit "execute" (the console's button, the API's execute call, the MCP tool
//! call), so the guard's confirm hook always says yes here. Reads are checked against the policy
//! first: an employee sees their own account, not everyone's.

use keydesk_guard::state::ApprovalRecord;
use keydesk_guard::{Guard, PlannedChange, Request};
use keydesk_ops::credentials::{self, MfaResetOptions, PasswordResetOptions, TapOptions};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::directory::{self, NewUserRequest, ProfileUpdate, SearchCriteria};
use keydesk_ops::guarded::{self, Actor, Guarded, Subject};
use keydesk_ops::unlock::{self, UnlockOptions};
use keydesk_ops::{Mode, Ops, Report, facts, groups, resolve};
use keydesk_planner::{Action, Step};
use keydesk_policy::{Decision, Effect, Missing, Resource};
use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result, Secret, Service};

/// A step with the policy's answer for it, as the guard would give it now.
#[derive(Debug, Clone, Serialize)]
pub struct StepPreview {
    pub step: Step,
    /// `allow`, `deny`, `needs_approval`, `needs_verification`, or `unknown` when it cannot be
    /// evaluated (which refuses it).
    pub policy: &'static str,
    /// One sentence.
    pub explanation: String,
    /// Whether the step changes anything.
    pub change: bool,
    /// What is missing before it may run, in order: `verification`, `approval`.
    pub missing: Vec<&'static str>,
    /// The policies' reasons, in words (why it is allowed, held or refused).
    pub reasons: Vec<String>,
}

/// How running a step ended.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per call
pub enum StepResult {
    /// Executed (or read, or nothing needed doing): the report. `reveal` holds a temporary
    /// credential the requester asked to see once; it is never serialized.
    Done {
        report: Report,
        reveal: Option<Secret>,
    },
    /// An approval or a verification is missing. When an approval is missing, the request
    /// filed for this exact plan.
    Pending {
        report: Report,
        decision: Decision,
        approval: Option<ApprovalRecord>,
    },
    /// The policy refused.
    Denied { report: Report, decision: Decision },
    /// An investigation finished (its report is kept by the service).
    Investigated(crate::Investigation),
}

fn effect_name(effect: Effect) -> &'static str {
    match effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
        Effect::NeedsApproval => "needs_approval",
        Effect::NeedsVerification => "needs_verification",
    }
}

/// A person's directory roles are part of their profile: `discover_roles` about one person is
/// `show_user` (an employee may see their own; the tenant-wide role list is for staff).
fn policy_action(step: &Step) -> Action {
    match (step.action, &step.target) {
        (Action::DiscoverRoles, Some(_)) => Action::ShowUser,
        (action, _) => action,
    }
}

async fn resource(ops: &Ops, step: &Step) -> Result<Resource, keydesk_ops::Error> {
    let group = step.params.get("group").and_then(Value::as_str);
    match (step.action, group, step.target.as_deref()) {
        (
            Action::GrantAccess
            | Action::RemoveAccess
            | Action::RequestAccess
            | Action::CheckMembership
            | Action::ListGroupMembers,
            Some(group),
            _,
        ) => {
            let group = resolve::group(&ops.graph, group).await?;
            facts::group_resource(ops, &group).await
        }
        (Action::CreateUser, _, _) | (_, _, None) => Ok(Resource::Tenant),
        (_, _, Some(target)) => {
            let user = resolve::user(&ops.graph, target).await?;
            facts::user_resource(ops, &user).await
        }
    }
}

const PROFILE_FIELDS: &[&str] = &[
    "mobilePhone",
    "businessPhones",
    "officeLocation",
    "jobTitle",
    "department",
    "displayName",
];

/// The guard's request for a step as a whole (before its dry run names the Graph calls).
async fn request(ops: &Ops, actor: &Actor, step: &Step) -> Result<Request> {
    let action: keydesk_policy::Action = policy_action(step)
        .as_str()
        .parse()
        .map_err(|_| Error::InvalidInput(format!("'{}' is not a policy action", step.action)))?;
    Ok(Request {
        principal: actor.principal.clone(),
        resource: resource(ops, step).await?,
        plan: PlannedChange {
            action,
            target: step.target.clone(),
            summary: format!(
                "{} {}",
                step.action.as_str(),
                step.target.as_deref().unwrap_or("")
            ),
            steps: Vec::new(),
        },
        origin: actor.origin,
        on_behalf_of: actor.on_behalf_of.clone(),
        profile_fields: step
            .params
            .keys()
            .filter(|k| PROFILE_FIELDS.contains(&k.as_str()))
            .cloned()
            .collect(),
    })
}

/// The policy's answer for `step` now.
pub(crate) async fn preview(ops: &Ops, guard: &Guard, actor: &Actor, step: &Step) -> StepPreview {
    let change = step.action.is_change();
    let (policy, explanation, missing, reasons) = match request(ops, actor, step).await {
        Err(error) => ("unknown", error.to_string(), Vec::new(), Vec::new()),
        Ok(request) => match guard.check(&request).await {
            Ok(decision) => {
                let explanation = match decision.effect {
                    Effect::Allow => "allowed".to_string(),
                    _ => keydesk_policy::explain(&decision)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                };
                let missing = decision
                    .missing
                    .iter()
                    .map(|m| match m {
                        Missing::Verification { .. } => "verification",
                        Missing::Approval { .. } => "approval",
                    })
                    .collect();
                (
                    effect_name(decision.effect),
                    explanation,
                    missing,
                    decision.reasons.clone(),
                )
            }
            Err(error) => {
                tracing::error!(%error, "policy check failed");
                (
                    "unknown",
                    "the policy could not be evaluated".to_string(),
                    Vec::new(),
                    Vec::new(),
                )
            }
        },
    };
    StepPreview {
        step: step.clone(),
        policy,
        explanation,
        change,
        missing,
        reasons,
    }
}

fn text(step: &Step, key: &str) -> Option<String> {
    match step.params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flag(step: &Step, key: &str) -> bool {
    step.params.get(key).and_then(Value::as_bool) == Some(true)
}

fn target(step: &Step) -> Result<String> {
    step.target
        .clone()
        .ok_or_else(|| Error::InvalidInput(format!("{} needs a person", step.action.as_str())))
}

fn group(step: &Step) -> Result<String> {
    text(step, "group")
        .ok_or_else(|| Error::InvalidInput(format!("{} needs a group", step.action.as_str())))
}

fn minutes(step: &Step) -> Result<Option<u32>> {
    text(step, "lifetime_minutes")
        .map(|m| {
            m.parse::<u32>()
                .map_err(|_| Error::InvalidInput(format!("lifetime_minutes '{m}' is not a number")))
        })
        .transpose()
}

/// Runs a read after checking the policy allows `actor` this read.
async fn read<F, Fut>(
    ops: &Ops,
    guard: &Guard,
    actor: &Actor,
    step: &Step,
    f: F,
) -> Result<StepResult>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Report, keydesk_ops::Error>>,
{
    let request = request(ops, actor, step).await?;
    let decision = guard.check(&request).await.map_err(Error::Guard)?;
    if decision.effect != Effect::Allow {
        let mut report = Report::new(step.action.as_str(), step.target.as_deref());
        report.outcome = keydesk_ops::Outcome::Refused;
        report.summary = keydesk_policy::explain(&decision).trim_end().to_string();
        return Ok(StepResult::Denied { report, decision });
    }
    Ok(StepResult::Done {
        report: f().await?,
        reveal: None,
    })
}

/// Runs a change through the guard.
async fn write<F, Fut>(
    ops: &Ops,
    guard: &Guard,
    actor: &Actor,
    subject: Subject,
    op: F,
) -> Result<StepResult>
where
    F: Fn(Mode) -> Fut,
    Fut: std::future::Future<Output = Result<Report, keydesk_ops::Error>>,
{
    // The caller's explicit execute call is the confirmation.
    let yes = |_: &Report, _: &Decision| true;
    Ok(
        match guarded::run(ops, guard, actor, subject, false, &yes, op).await? {
            Guarded::Planned(mut report) | Guarded::Executed(mut report) => {
                let reveal = report.reveal.take();
                StepResult::Done { report, reveal }
            }
            Guarded::Declined(report) => StepResult::Done {
                report,
                reveal: None,
            },
            Guarded::Pending {
                plan,
                decision,
                approval,
            } => StepResult::Pending {
                report: plan,
                decision,
                approval,
            },
            Guarded::Denied { plan, decision } => StepResult::Denied {
                report: plan,
                decision,
            },
        },
    )
}

/// Runs `step` for `actor`.
pub(crate) async fn run(
    service: &Service,
    ops: &Ops,
    actor: &Actor,
    step: &Step,
    delivery: Option<Delivery>,
) -> Result<StepResult> {
    let guard = &*service.guard;
    let delivery = delivery.unwrap_or_else(|| match text(step, "deliver_to") {
        Some(to) if to.eq_ignore_ascii_case("manager") => Delivery::Manager,
        Some(to) => Delivery::MailTo(to),
        None => Delivery::Manager,
    });
    let delivery = &delivery;
    match step.action {
        Action::DiagnoseSignin => {
            let user = target(step)?;
            read(ops, guard, actor, step, || async {
                keydesk_ops::diagnose::diagnose_signin(ops, &user)
                    .await
                    .map(|(report, _, _)| report)
            })
            .await
        }
        Action::ShowUser => {
            let user = target(step)?;
            read(ops, guard, actor, step, || directory::show_user(ops, &user)).await
        }
        Action::DiscoverRoles => match step.target.clone() {
            Some(user) => read(ops, guard, actor, step, || directory::show_user(ops, &user)).await,
            None => {
                read(ops, guard, actor, step, || {
                    keydesk_ops::roles::discover_roles(ops)
                })
                .await
            }
        },
        Action::SearchUsers => {
            let criteria = SearchCriteria {
                text: text(step, "name"),
                department: text(step, "department"),
                job_title: text(step, "jobTitle"),
                enabled: None,
            };
            read(ops, guard, actor, step, || directory::search_users(ops, &criteria)).await
        }
        Action::ListLockedAccounts => {
            let department = text(step, "department");
            read(ops, guard, actor, step, || {
                keydesk_ops::locked::list_locked_accounts(ops, department.as_deref(), 24)
            })
            .await
        }
        Action::CheckMembership => {
            let (user, group) = (target(step)?, group(step)?);
            read(ops, guard, actor, step, || {
                groups::check_membership(ops, &user, &group)
            })
            .await
        }
        Action::ListGroupMembers => {
            let group = group(step)?;
            read(ops, guard, actor, step, || {
                groups::list_group_members(ops, &group)
            })
            .await
        }
        Action::ListUserGroups => {
            let user = target(step)?;
            read(ops, guard, actor, step, || groups::list_user_groups(ops, &user)).await
        }
        Action::InvestigateCompromise => {
            let user = target(step)?;
            let days = text(step, "days")
                .and_then(|d| d.parse::<i64>().ok())
                .unwrap_or(7);
            Ok(StepResult::Investigated(
                service.investigate(actor, &user, days).await?,
            ))
        }
        Action::UnlockAccount => {
            let user = &target(step)?;
            let options = &UnlockOptions {
                delivery: delivery.clone(),
            };
            write(ops, guard, actor, Subject::User, |mode| async move {
                unlock::unlock_account(ops, user, options, &mode).await
            })
            .await
        }
        Action::PasswordReset => {
            let user = &target(step)?;
            let options = &PasswordResetOptions {
                delivery: delivery.clone(),
                revoke_sessions: flag(step, "revoke_sessions"),
            };
            write(ops, guard, actor, Subject::User, |mode| async move {
                credentials::password_reset(ops, user, options, &mode).await
            })
            .await
        }
        Action::MfaReset => {
            let user = &target(step)?;
            let options = &MfaResetOptions {
                tap: Some(TapOptions {
                    lifetime_minutes: minutes(step)?,
                    usable_once: true,
                    delivery: delivery.clone(),
                }),
            };
            write(ops, guard, actor, Subject::User, |mode| async move {
                credentials::mfa_reset(ops, user, options, &mode).await
            })
            .await
        }
        Action::IssueTap => {
            let user = &target(step)?;
            let options = &TapOptions {
                lifetime_minutes: minutes(step)?,
                usable_once: true,
                delivery: delivery.clone(),
            };
            write(ops, guard, actor, Subject::User, |mode| async move {
                credentials::issue_tap(ops, user, options, &mode).await
            })
            .await
        }
        Action::UnblockSignin => {
            let user = &target(step)?;
            write(ops, guard, actor, Subject::User, |mode| async move {
                credentials::unblock_signin(ops, user, &mode).await
            })
            .await
        }
        Action::RevokeSessions => {
            let user = &target(step)?;
            write(ops, guard, actor, Subject::User, |mode| async move {
                credentials::revoke_sessions(ops, user, &mode).await
            })
            .await
        }
        Action::DisableAccount => {
            let user = &target(step)?;
            write(ops, guard, actor, Subject::User, |mode| async move {
                credentials::disable_account(ops, user, &mode).await
            })
            .await
        }
        Action::CreateUser => {
            let name = text(step, "displayName")
                .or_else(|| text(step, "name"))
                .ok_or_else(|| Error::InvalidInput("creating a user needs a display name".into()))?;
            let request = &NewUserRequest {
                display_name: name,
                upn: step.target.clone(),
                department: text(step, "department"),
                job_title: text(step, "jobTitle"),
                manager: text(step, "manager"),
                office_location: text(step, "officeLocation"),
                mobile_phone: text(step, "mobilePhone"),
                ..NewUserRequest::default()
            };
            write(ops, guard, actor, Subject::Tenant, |mode| async move {
                directory::create_user(ops, request, delivery, &mode).await
            })
            .await
        }
        Action::UpdateUserProfile => {
            let user = &target(step)?;
            let update = &ProfileUpdate {
                display_name: text(step, "displayName"),
                job_title: text(step, "jobTitle"),
                department: text(step, "department"),
                office_location: text(step, "officeLocation"),
                mobile_phone: text(step, "mobilePhone"),
                business_phones: text(step, "businessPhones").map(|p| vec![p]),
                ..ProfileUpdate::default()
            };
            write(ops, guard, actor, Subject::User, |mode| async move {
                directory::update_user_profile(ops, user, update, &mode).await
            })
            .await
        }
        Action::UpdatePhoto => Err(Error::InvalidInput(
            "a photo update needs the image: upload it with the API's photo call or `keydesk user photo`"
                .into(),
        )),
        Action::GrantAccess => {
            let (user, group) = (&target(step)?, &group(step)?);
            write(
                ops,
                guard,
                actor,
                Subject::Group(group.clone()),
                |mode| async move { groups::grant_access(ops, user, group, &mode).await },
            )
            .await
        }
        Action::RemoveAccess => {
            let (user, group) = (&target(step)?, &group(step)?);
            write(
                ops,
                guard,
                actor,
                Subject::Group(group.clone()),
                |mode| async move { groups::remove_access(ops, user, group, &mode).await },
            )
            .await
        }
        Action::RequestAccess => {
            let user = &step
                .target
                .clone()
                .unwrap_or_else(|| actor.principal.upn.clone());
            let group = &group(step)?;
            write(
                ops,
                guard,
                actor,
                Subject::Group(group.clone()),
                |mode| async move { groups::request_access(ops, user, group, &mode).await },
            )
            .await
        }
    }
}
