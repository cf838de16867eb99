//! Containing a compromised account: runs a [`ContainmentPlan`] from keydesk-investigate in the
//! plan's order, every step behind the guard's capability for `contain_compromise` on the user,
//! and verifies each change by reading the state back through Graph.
//!
//! A failed step does not stop the ones after it (revoking sessions is still worth doing when a
//! grant could not be removed); the report marks it failed and the outcome is `failed`.

use std::collections::BTreeMap;

use keydesk_graph::model::{RiskState, User};
use keydesk_investigate::{ContainmentAction, ContainmentPlan, ContainmentStep};
use keydesk_policy::Action;
use serde_json::json;

use crate::credentials::{self, PasswordResetOptions, TapOptions};
use crate::delivery::Delivery;
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve};

/// How containment delivers the credentials it creates, and what was preserved before it.
#[derive(Debug, Clone)]
pub struct ContainOptions {
    /// Where the temporary password and the Temporary Access Pass go (never the user's own
    /// mailbox, which the attacker may read).
    pub delivery: Delivery,
    /// The Temporary Access Pass's lifetime.
    pub tap_lifetime_minutes: u32,
    /// The preserved evidence: the snapshot's path and SHA-256.
    pub evidence: Option<(String, String)>,
}

/// Executes (or, on a dry run, shows) the containment plan for its user.
pub async fn contain(
    ops: &Ops,
    plan: &ContainmentPlan,
    options: &ContainOptions,
    mode: &Mode,
) -> Result<Report> {
    let query = if plan.user_id.is_empty() {
        plan.user.as_str()
    } else {
        plan.user_id.as_str()
    };
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let mut report = Report::new("contain_compromise", Some(&upn));
    report.details = json!({ "plan": plan });
    for follow_up in &plan.follow_ups {
        report.note(format!(
            "follow-up for {}: {}",
            follow_up.owner, follow_up.task
        ));
    }
    if plan.steps.is_empty() {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("Nothing to contain for {upn}.");
        for note in &plan.notes {
            report.note(note.clone());
        }
        return Ok(report);
    }
    if matches!(options.delivery, Delivery::Reveal) {
        return Err(Error::refused(
            "containment creates a temporary password and a Temporary Access Pass; they are delivered out of band, not shown",
            "deliver them to the manager (the default), --deliver-to a named person, or --sms a verified number",
        ));
    }
    if mode.plan_only(&[Action::ContainCompromise], report.target.as_deref())? {
        for step in &plan.steps {
            report.step(
                step.action.as_str(),
                planned_detail(step),
                StepStatus::Planned,
            );
        }
        report.outcome = Outcome::Planned;
        report.summary = format!(
            "Would contain {upn}: {} steps in order, each verified through Graph.",
            plan.steps.len()
        );
        return Ok(report);
    }
    let mut failed = 0;
    let mut methods = None;
    for step in &plan.steps {
        let result = match step.action {
            ContainmentAction::PreserveEvidence => {
                preserve(&mut report, options);
                Ok(())
            }
            ContainmentAction::RevokeSessions => credentials::revoke_sessions(ops, &user.id, mode)
                .await
                .map(|sub| absorb(&mut report, sub)),
            ContainmentAction::RemoveAuthMethod => {
                remove_methods(ops, &user, step, &mut methods, &mut report).await
            }
            ContainmentAction::RemoveGrant => remove_grants(ops, &user, step, &mut report).await,
            ContainmentAction::DisableApp => disable_apps(ops, step, &mut report).await,
            ContainmentAction::ConfirmCompromised => {
                confirm_compromised(ops, &user, &mut report).await
            }
            ContainmentAction::PasswordReset => {
                let reset = PasswordResetOptions {
                    delivery: options.delivery.clone(),
                    revoke_sessions: false,
                };
                credentials::password_reset_user(ops, &user, &reset, mode)
                    .await
                    .map(|sub| absorb(&mut report, sub))
            }
            ContainmentAction::IssueTap => {
                let tap = TapOptions {
                    lifetime_minutes: Some(options.tap_lifetime_minutes),
                    usable_once: true,
                    delivery: options.delivery.clone(),
                };
                credentials::issue_tap_user(ops, &user, &tap, mode)
                    .await
                    .map(|sub| absorb(&mut report, sub))
            }
        };
        if let Err(error) = result {
            failed += 1;
            report.step(
                step.action.as_str(),
                format!("failed: {error}"),
                StepStatus::Failed,
            );
        }
    }
    let done = plan.steps.len() - failed;
    if failed == 0 {
        report.outcome = Outcome::Done;
        report.summary = format!("Contained {upn}: {done} steps done and verified through Graph.");
    } else {
        report.outcome = Outcome::Failed;
        report.summary = format!(
            "Containment of {upn} is incomplete: {failed} of {} steps failed; the others were done.",
            plan.steps.len()
        );
    }
    Ok(report)
}

/// What a planned step will do, as the plan (and its approval) shows it.
fn planned_detail(step: &ContainmentStep) -> String {
    let on = step
        .targets
        .iter()
        .map(|t| {
            t.label
                .clone()
                .unwrap_or_else(|| format!("{} {}", t.kind, t.id))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let tenant_wide = if step.tenant_wide {
        " [tenant-wide]"
    } else {
        ""
    };
    format!("{on}: {}{tenant_wide}", step.reason)
}

fn absorb(report: &mut Report, sub: Report) {
    report.steps.extend(sub.steps);
    report.verified.extend(sub.verified);
    for note in sub.notes {
        if !report.notes.contains(&note) {
            report.notes.push(note);
        }
    }
}

fn preserve(report: &mut Report, options: &ContainOptions) {
    match &options.evidence {
        Some((path, sha256)) => {
            report.step(
                "preserve_evidence",
                format!("evidence snapshot {path} (sha256 {sha256})"),
                StepStatus::Done,
            );
            report.verify(format!(
                "evidence preserved before any change (sha256 {sha256})"
            ));
        }
        None => report.step(
            "preserve_evidence",
            "no snapshot was written",
            StepStatus::Skipped,
        ),
    }
}

async fn remove_methods(
    ops: &Ops,
    user: &User,
    step: &ContainmentStep,
    cache: &mut Option<Vec<keydesk_graph::model::AuthMethod>>,
    report: &mut Report,
) -> Result<()> {
    if cache.is_none() {
        *cache = Some(ops.graph.list_methods(&user.id).await?);
    }
    let registered = cache.as_deref().unwrap_or_default();
    for target in &step.targets {
        let Some(method) = registered.iter().find(|m| m.id() == target.id) else {
            report.step(
                "remove_auth_method",
                format!("{} is already gone", label(target)),
                StepStatus::Skipped,
            );
            continue;
        };
        ops.graph.delete_method(&user.id, method).await?;
        report.step(
            "remove_auth_method",
            format!("removed {} registered by the attacker", label(target)),
            StepStatus::Done,
        );
    }
    let after = ops.graph.list_methods(&user.id).await?;
    let remaining: Vec<&str> = step
        .targets
        .iter()
        .filter(|t| after.iter().any(|m| m.id() == t.id))
        .map(|t| t.id.as_str())
        .collect();
    if !remaining.is_empty() {
        return Err(Error::refused(
            format!(
                "methods still registered after removal: {}",
                remaining.join(", ")
            ),
            "remove them in the Entra admin center",
        ));
    }
    report.verify(format!(
        "the attacker's methods are no longer registered ({})",
        step.targets
            .iter()
            .map(label)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    *cache = Some(after);
    Ok(())
}

async fn remove_grants(
    ops: &Ops,
    user: &User,
    step: &ContainmentStep,
    report: &mut Report,
) -> Result<()> {
    for target in &step.targets {
        match ops.graph.delete_grant(&target.id).await {
            Ok(()) => report.step(
                "remove_grant",
                format!("removed delegated grant {}", target.id),
                StepStatus::Done,
            ),
            Err(error) if error.is_not_found() => report.step(
                "remove_grant",
                format!("grant {} is already gone", target.id),
                StepStatus::Skipped,
            ),
            Err(error) => return Err(error.into()),
        }
    }
    let after = ops.graph.grants_for_user(&user.id).await?;
    if let Some(left) = step
        .targets
        .iter()
        .find(|t| after.iter().any(|g| g.id == t.id))
    {
        return Err(Error::refused(
            format!("grant {} is still present after removal", left.id),
            "remove it under Enterprise applications → Permissions",
        ));
    }
    report.verify("the malicious delegated grants are gone from the user's grants");
    report.note("Access tokens the app already holds stay valid until they expire; the session revocation covers refresh tokens.");
    Ok(())
}

async fn disable_apps(ops: &Ops, step: &ContainmentStep, report: &mut Report) -> Result<()> {
    let mut disabled = BTreeMap::new();
    for target in &step.targets {
        ops.graph
            .set_service_principal_enabled(&target.id, false)
            .await?;
        report.step(
            "disable_app",
            format!("disabled {} for every user of the tenant", label(target)),
            StepStatus::Done,
        );
        let after = ops.graph.get_service_principal(&target.id).await?;
        disabled.insert(label(target), after.account_enabled == Some(false));
    }
    if let Some((app, _)) = disabled.iter().find(|(_, off)| !**off) {
        return Err(Error::refused(
            format!("{app} is still enabled after the change"),
            "disable it under Enterprise applications → Properties",
        ));
    }
    report.verify(format!(
        "accountEnabled is false for {}",
        disabled.keys().cloned().collect::<Vec<_>>().join(", ")
    ));
    Ok(())
}

async fn confirm_compromised(ops: &Ops, user: &User, report: &mut Report) -> Result<()> {
    ops.graph.confirm_compromised(&[user.id.as_str()]).await?;
    report.step(
        "confirm_compromised",
        "Identity Protection told: user confirmed compromised (user risk high)",
        StepStatus::Done,
    );
    match ops.graph.get_risky_user(&user.id).await? {
        Some(risky) if risky.risk_state == RiskState::ConfirmedCompromised => {
            report.verify("Identity Protection shows riskState confirmedCompromised");
            Ok(())
        }
        other => Err(Error::refused(
            format!(
                "Identity Protection does not show the user as confirmed compromised (riskState {:?})",
                other.map(|r| r.risk_state)
            ),
            "confirm it under Identity Protection → Risky users",
        )),
    }
}

fn label(target: &keydesk_investigate::contain::Target) -> String {
    target
        .label
        .clone()
        .unwrap_or_else(|| format!("{} {}", target.kind, target.id))
}
