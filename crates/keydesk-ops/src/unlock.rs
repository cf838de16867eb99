//! `unlock_account`: act on the diagnosis. Disabled → re-enable; risk → unblock after checking
//! recent sign-ins; expired password → password reset; no MFA → TAP; smart lockout → explain (no
//! unlock API exists) and flag an attack; synced from on-premises → refuse with AD guidance.
//! Every change is verified by reading it back.
//!
//! Bulk unlock reads the listed users in `$batch`es, re-enables the disabled cloud accounts in
//! `$batch`es (each user written at most once, only if Graph still shows it disabled), verifies
//! in `$batch`es, and runs the full single-user unlock for the rest.

use keydesk_core::diagnosis::{CauseKind, Fix};
use keydesk_graph::BatchRequest;
use keydesk_graph::model::User;
use keydesk_policy::Action;
use serde::Serialize;
use serde_json::json;

use crate::credentials::{self, PasswordResetOptions, TapOptions};
use crate::delivery::Delivery;
use crate::diagnose::{self, fix_sentence};
use crate::guarded::BulkGuard;
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve};
use futures::StreamExt;
use keydesk_guard::Approved;
use std::sync::Arc;

/// How an unlock delivers a new password or TAP when the fix needs one.
#[derive(Debug, Clone)]
pub struct UnlockOptions {
    pub delivery: Delivery,
}

/// Unlocks one user.
pub async fn unlock_account(
    ops: &Ops,
    query: &str,
    options: &UnlockOptions,
    mode: &Mode,
) -> Result<Report> {
    let (mut report, gathered, diagnosis) = diagnose::diagnose_signin(ops, query).await?;
    report.action = "unlock_account".into();
    let user = gathered.user.clone();
    let upn = resolve::upn(&user);
    let details = report.details.take();
    report.details = json!({"diagnosis": details});
    if crate::linked::is_synced(&user) && ops.ad.is_some() {
        return unlock_in_ad(ops, &user, report, mode).await;
    }
    if diagnosis.causes.is_empty() {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!(
            "{upn} is not locked: the account is enabled and recent sign-ins show no blocking error."
        );
        return Ok(report);
    }
    if diagnosis.synced_from_on_premises
        && let Some(cause) = diagnosis
            .causes
            .iter()
            .find(|c| matches!(c.fix, Fix::OnPremises { .. }))
    {
        return Err(Error::refused(
            format!(
                "{upn} is synced from on-premises Active Directory ({})",
                cause.summary.trim_end_matches('.')
            ),
            fix_sentence(&cause.fix),
        ));
    }
    let mut acted = false;
    for cause in &diagnosis.causes {
        match &cause.fix {
            Fix::EnableAccount => {
                enable(ops, &user, mode, &mut report).await?;
                acted = true;
            }
            Fix::UnblockSignIn => {
                let unblock = credentials::unblock_signin_user(ops, &user, mode).await?;
                merge(&mut report, unblock);
                acted = true;
            }
            Fix::ResetPassword if cause.kind == CauseKind::PasswordExpired => {
                let reset = credentials::password_reset_user(
                    ops,
                    &user,
                    &PasswordResetOptions {
                        delivery: options.delivery.clone(),
                        revoke_sessions: false,
                    },
                    mode,
                )
                .await?;
                merge(&mut report, reset);
                acted = true;
            }
            Fix::IssueTemporaryAccessPass => {
                let tap = credentials::issue_tap_user(
                    ops,
                    &user,
                    &TapOptions {
                        lifetime_minutes: None,
                        usable_once: true,
                        delivery: options.delivery.clone(),
                    },
                    mode,
                )
                .await?;
                merge(&mut report, tap);
                acted = true;
            }
            Fix::WaitForLockout {
                attack_suspected, ..
            } => {
                report.step(
                    "explain_lockout",
                    fix_sentence(&cause.fix),
                    StepStatus::Skipped,
                );
                if *attack_suspected {
                    report.note(format!("Possible attack on {upn}: failed sign-ins came from addresses never seen in a successful sign-in."));
                }
            }
            other => report.step("recommend", fix_sentence(other), StepStatus::Skipped),
        }
    }
    report.outcome = match (acted, mode.is_dry_run()) {
        (false, _) => Outcome::NothingToDo,
        (true, true) => Outcome::Planned,
        (true, false) if report.steps.iter().any(|s| s.status == StepStatus::Failed) => {
            Outcome::Failed
        }
        (true, false) => Outcome::Done,
    };
    report.summary = match report.outcome {
        Outcome::NothingToDo => format!(
            "{upn}: {} Nothing keydesk can change fixes it right now.",
            diagnosis.causes[0].summary
        ),
        Outcome::Planned => format!(
            "Would unlock {upn} ({}).",
            diagnosis
                .causes
                .iter()
                .map(|c| c.kind.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "Unlocked {upn} ({}).",
            diagnosis
                .causes
                .iter()
                .map(|c| c.kind.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Ok(report)
}

/// Unlocks a synced user where the account lives: AD's lockout (`lockoutTime` = 0) and
/// `ACCOUNTDISABLE`, each read back. The plan's steps are `ad_*`, so the guard records the store
/// as `ad` and the policy decides on the AD account (a protected one is a privileged target).
async fn unlock_in_ad(ops: &Ops, user: &User, mut report: Report, mode: &Mode) -> Result<Report> {
    let upn = resolve::upn(user);
    let ad = ops.ad.as_ref().ok_or_else(|| {
        Error::refused(
            "Active Directory is not configured",
            crate::linked::NOT_CONFIGURED,
        )
    })?;
    let found = crate::linked::require(ops, user).await?;
    let account = found.account;
    let dn = account.dn.clone();
    let mut planned: Vec<(&str, String)> = Vec::new();
    if account.locked() {
        planned.push((
            "ad_unlock",
            format!("in Active Directory: set lockoutTime to 0 on {dn}"),
        ));
    }
    if account.disabled() {
        planned.push((
            "ad_enable",
            format!("in Active Directory: clear ACCOUNTDISABLE in userAccountControl on {dn}"),
        ));
    }
    report.note(format!(
        "Active Directory account {dn} ({}), linked by {}: {}.",
        account.sam_account_name,
        found.anchor.describe(),
        account.state_sentence()
    ));
    if planned.is_empty() {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!(
            "{upn}'s Active Directory account is neither locked out nor disabled ({}).",
            account.state_sentence()
        );
        return Ok(report);
    }
    if mode.plan_only(&[Action::UnlockAccount], Some(&upn))? {
        for (step, detail) in planned {
            report.step(step, detail, StepStatus::Planned);
        }
        report.outcome = Outcome::Planned;
        report.summary = format!("Would unlock {upn} in Active Directory ({dn}).");
        return Ok(report);
    }
    let Mode::Execute(approved) = mode else {
        return Err(Error::refused(
            "this change is not authorized",
            "plan and authorize it through keydesk's guard",
        ));
    };
    let mut current = account;
    for (step, _) in planned {
        current = match step {
            "ad_unlock" => {
                let after = ad.unlock(approved, &current).await?;
                report.step(
                    step,
                    format!("lockoutTime set to 0 on {dn}"),
                    StepStatus::Done,
                );
                report.verify(format!(
                    "Active Directory: lockoutTime is 0 and the account is not locked (badPwdCount {})",
                    after.bad_pwd_count
                ));
                after
            }
            _ => {
                let after = ad.set_enabled(approved, &current, true).await?;
                report.step(
                    step,
                    format!("ACCOUNTDISABLE cleared on {dn}"),
                    StepStatus::Done,
                );
                report.verify(format!(
                    "Active Directory: userAccountControl {} (enabled)",
                    after.user_account_control
                ));
                after
            }
        };
    }
    if let Some(object) = report.details.as_object_mut() {
        object.insert("store".into(), json!(crate::linked::STORE_AD));
        object.insert(
            "adAccount".into(),
            crate::linked::account_json(&current, Some(&found.anchor)),
        );
    }
    report.note(crate::linked::SYNC_NOTE);
    report.outcome = Outcome::Done;
    report.summary = format!("Unlocked {upn} in Active Directory ({dn}).");
    Ok(report)
}

fn merge(report: &mut Report, other: Report) {
    report.steps.extend(other.steps);
    report.verified.extend(other.verified);
    report.notes.extend(other.notes);
    if other.reveal.is_some() {
        report.reveal = other.reveal;
    }
}

async fn enable(ops: &Ops, user: &User, mode: &Mode, report: &mut Report) -> Result<()> {
    if mode.plan_only(&[Action::UnlockAccount], Some(&resolve::upn(user)))? {
        report.step("enable", "set accountEnabled to true", StepStatus::Planned);
        return Ok(());
    }
    ops.graph.set_account_enabled(&user.id, true).await?;
    report.step("enable", "accountEnabled set to true", StepStatus::Done);
    let after = ops
        .graph
        .get_user(&user.id, &["id", "accountEnabled"])
        .await?;
    if after.account_enabled == Some(true) {
        report.verify("accountEnabled is true");
        Ok(())
    } else {
        report.step(
            "verify",
            "Graph still shows the account disabled",
            StepStatus::Failed,
        );
        Ok(())
    }
}

/// One user's result in a bulk unlock.
#[derive(Debug, Clone, Serialize)]
pub struct BulkItem {
    pub input: String,
    pub user: Option<String>,
    pub outcome: Outcome,
    pub summary: String,
}

/// The result of a bulk unlock.
#[derive(Debug, Clone, Serialize)]
pub struct BulkReport {
    pub items: Vec<BulkItem>,
    pub enabled: usize,
    pub already_fine: usize,
    pub refused: usize,
    pub failed: usize,
    pub graph_requests: u64,
}

/// Progress callbacks for a long bulk run (a progress bar in the CLI).
pub trait Progress: Send + Sync {
    fn started(&self, total: usize);
    fn advanced(&self, done: usize);
}

/// No progress display.
#[derive(Debug)]
pub struct Quiet;

impl Progress for Quiet {
    fn started(&self, _total: usize) {}
    fn advanced(&self, _done: usize) {}
}

/// Properties read for each listed user.
const BULK_SELECT: &str = "id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled";

/// Users per pipeline chunk, chunks in flight, and `$batch`es in flight per chunk phase.
const CHUNK: usize = 100;
const CHUNKS_IN_FLIGHT: usize = 6;
const BATCHES_IN_FLIGHT: usize = 5;
/// Users whose policy facts are read at once within a chunk.
const FACTS_IN_FLIGHT: usize = 8;

/// Unlocks a list of users (UPNs or object ids in batches; names one by one through the
/// resolver). Chunks of users are pipelined (read → authorize → re-enable → verify) so reads
/// overlap the waits that Graph's write budget imposes. `guard` is `None` for a dry run;
/// otherwise every user is authorized on its own (its own audit intent and outcome), so an
/// interrupted run leaves exactly the in-flight users open and a rerun skips finished ones.
pub async fn bulk_unlock(
    ops: &Ops,
    inputs: &[String],
    options: &UnlockOptions,
    guard: Option<&BulkGuard<'_>>,
    progress: &dyn Progress,
) -> Result<BulkReport> {
    let before = ops.graph.stats();
    progress.started(inputs.len());
    let done = std::sync::atomic::AtomicUsize::new(0);
    let advance = |count: usize| {
        let now = done.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
        progress.advanced(now);
    };

    let (direct, named): (Vec<&String>, Vec<&String>) = inputs
        .iter()
        .partition(|i| i.contains('@') || resolve::is_object_id(i));
    let mut items: Vec<BulkItem> = Vec::with_capacity(inputs.len());
    let mut leftovers: Vec<String> = named.into_iter().cloned().collect();
    let mut chunks = futures::stream::iter(direct.chunks(CHUNK))
        .map(|chunk| bulk_chunk(ops, chunk, guard))
        .buffer_unordered(CHUNKS_IN_FLIGHT);
    while let Some(outcome) = chunks.next().await {
        let (finished, rest) = outcome?;
        advance(finished.len());
        items.extend(finished);
        leftovers.extend(rest);
    }
    drop(chunks);

    // Users that are not simply disabled get the full single-user unlock.
    for input in leftovers {
        let result = match guard {
            None => unlock_account(ops, &input, options, &Mode::DryRun).await,
            Some(guard) => {
                guard
                    .run_item(ops, |mode| {
                        let input = input.clone();
                        async move { unlock_account(ops, &input, options, &mode).await }
                    })
                    .await
            }
        };
        let item = match result {
            Ok(report) => BulkItem {
                input: input.clone(),
                user: report.target.clone(),
                outcome: report.outcome,
                summary: report.summary,
            },
            Err(Error::Refused { reason, .. }) => BulkItem {
                input: input.clone(),
                user: None,
                outcome: Outcome::Refused,
                summary: reason,
            },
            Err(error) => BulkItem {
                input: input.clone(),
                user: None,
                outcome: Outcome::Failed,
                summary: error.to_string(),
            },
        };
        items.push(item);
        advance(1);
    }

    let count = |outcome: Outcome| items.iter().filter(|i| i.outcome == outcome).count();
    let used = ops.graph.stats().since(&before);
    Ok(BulkReport {
        enabled: count(Outcome::Done),
        already_fine: count(Outcome::NothingToDo) + count(Outcome::Info),
        refused: count(Outcome::Refused),
        failed: count(Outcome::Failed),
        graph_requests: used.graph_requests(),
        items,
    })
}

/// One chunk: read, re-enable the disabled cloud users, verify. Returns the finished items and
/// the inputs that need the full single-user unlock.
async fn bulk_chunk(
    ops: &Ops,
    chunk: &[&String],
    guard: Option<&BulkGuard<'_>>,
) -> Result<(Vec<BulkItem>, Vec<String>)> {
    let reads: Vec<BatchRequest> = chunk
        .iter()
        .enumerate()
        .map(|(index, input)| {
            BatchRequest::get(
                index.to_string(),
                &format!("/users/{}?$select={BULK_SELECT}", user_key(input)),
            )
        })
        .collect();
    let answers = ops
        .graph
        .batch_all_concurrent(reads, BATCHES_IN_FLIGHT)
        .await?;
    let mut items = Vec::new();
    let mut rest = Vec::new();
    let mut to_enable: Vec<(&String, User)> = Vec::new();
    for (input, answer) in chunk.iter().zip(answers) {
        match answer.json::<User>() {
            Ok(user)
                if user.account_enabled == Some(false)
                    && user.on_premises_sync_enabled != Some(true) =>
            {
                to_enable.push((input, user))
            }
            Ok(user) if user.account_enabled == Some(false) => items.push(BulkItem {
                input: (*input).clone(),
                user: Some(resolve::upn(&user)),
                outcome: Outcome::Refused,
                summary: "synced from on-premises AD: enable it there, then let Entra Connect sync"
                    .into(),
            }),
            _ => rest.push((*input).clone()),
        }
    }
    let Some(guard) = guard else {
        for (input, user) in &to_enable {
            items.push(BulkItem {
                input: (*input).clone(),
                user: Some(resolve::upn(user)),
                outcome: Outcome::Planned,
                summary: "would re-enable the account".into(),
            });
        }
        return Ok((items, rest));
    };
    // Authorize each user on its own: its facts, the policy, its intent record.
    let mut authorized: Vec<(&String, User, Arc<Approved>)> = Vec::new();
    let decisions = futures::stream::iter(to_enable)
        .map(|(input, user)| async move {
            let upn = resolve::upn(&user);
            let mut plan = Report::new("unlock_account", Some(&upn));
            plan.outcome = Outcome::Planned;
            plan.summary = format!("Would unlock {upn} (disabled).");
            plan.step("enable", "set accountEnabled to true", StepStatus::Planned);
            let decision = guard.authorize(ops, &user, &plan).await;
            (input, user, decision)
        })
        .buffered(FACTS_IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    for (input, user, decision) in decisions {
        match decision {
            Ok(Ok(approved)) => {
                // The same gate as every single write: this capability covers this user.
                let gate = Mode::Execute(approved.clone());
                if gate.plan_only(&[Action::UnlockAccount], Some(&resolve::upn(&user)))? {
                    continue;
                }
                authorized.push((input, user, approved))
            }
            Ok(Err(why)) => items.push(BulkItem {
                input: input.clone(),
                user: Some(resolve::upn(&user)),
                outcome: Outcome::Refused,
                summary: why.reason,
            }),
            Err(error) => items.push(BulkItem {
                input: input.clone(),
                user: Some(resolve::upn(&user)),
                outcome: Outcome::Failed,
                summary: error.to_string(),
            }),
        }
    }
    let to_enable = authorized;
    let patches: Vec<BatchRequest> = to_enable
        .iter()
        .enumerate()
        .map(|(index, (_, user, _))| {
            BatchRequest::patch(
                index.to_string(),
                &format!("/users/{}", user.id),
                json!({"accountEnabled": true}),
            )
        })
        .collect();
    let written = ops
        .graph
        .batch_all_concurrent(patches, BATCHES_IN_FLIGHT)
        .await?;
    let verifications: Vec<BatchRequest> = to_enable
        .iter()
        .enumerate()
        .map(|(index, (_, user, _))| {
            BatchRequest::get(
                index.to_string(),
                &format!("/users/{}?$select=id,accountEnabled", user.id),
            )
        })
        .collect();
    let checks = ops
        .graph
        .batch_all_concurrent(verifications, BATCHES_IN_FLIGHT)
        .await?;
    for (((input, user, approved), answer), check) in to_enable.into_iter().zip(written).zip(checks)
    {
        let verified = check.json::<User>().ok().and_then(|u| u.account_enabled) == Some(true);
        let (outcome, summary) = match (answer.error(), verified) {
            (None, true) => (Outcome::Done, "re-enabled; verified".to_string()),
            (Some(error), _) => (Outcome::Failed, error.explain()),
            (None, false) => (
                Outcome::Failed,
                "Graph accepted the change but still shows the account disabled".to_string(),
            ),
        };
        let mut report = Report::new("unlock_account", Some(&resolve::upn(&user)));
        report.outcome = outcome;
        report.summary = summary.clone();
        report.step(
            "enable",
            "accountEnabled set to true",
            if outcome == Outcome::Done {
                StepStatus::Done
            } else {
                StepStatus::Failed
            },
        );
        if outcome == Outcome::Done {
            report.verify("accountEnabled is true");
        }
        crate::guarded::complete(guard.guard, approved, &Ok(report)).await;
        items.push(BulkItem {
            input: input.clone(),
            user: Some(resolve::upn(&user)),
            outcome,
            summary,
        });
    }
    Ok((items, rest))
}

/// A path segment for a user key inside a batch URL.
fn user_key(input: &str) -> String {
    keydesk_graph::odata::segment(input)
}
