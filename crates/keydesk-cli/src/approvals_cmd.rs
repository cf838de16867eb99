//! The guard at the edge: building it from the data directory and the environment, and the
//! `approvals`, `approve` and `deny` commands.
//!
//! Settings (environment): `KEYDESK_VERIFICATION_MODE` (`restricted`, the default, or
//! `unrestricted`), `KEYDESK_HOURLY_BUDGET` (sensitive actions per operator per hour, default
//! 20), `KEYDESK_UNLOCK_ANY_ACCOUNT` (comma-separated UPNs allowed to unlock users with no MFA
//! method registered).

use std::sync::Arc;

use anyhow::Context;
use keydesk_guard::{Guard, GuardState};
use keydesk_ops::guarded::Actor;
use keydesk_policy::{PolicySettings, VerificationMode};
use serde_json::json;

use crate::home::Home;
use crate::render;

/// `keydesk verify --method`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Method {
    /// The registered phone, else the registered e-mail, else the manager.
    Auto,
    /// A text to the registered phone.
    Sms,
    /// A mail to the registered e-mail method.
    Email,
    /// A mail to the manager, who confirms.
    Manager,
}

impl Method {
    pub fn channel(self) -> keydesk_ops::verify::Channel {
        use keydesk_ops::verify::Channel;
        match self {
            Method::Auto => Channel::Auto,
            Method::Sms => Channel::Sms,
            Method::Email => Channel::Email,
            Method::Manager => Channel::Manager,
        }
    }
}

/// The policy settings in force: the recommended ones, adjusted by the environment.
pub fn settings() -> anyhow::Result<PolicySettings> {
    let mut settings = PolicySettings::recommended();
    if let Ok(mode) = std::env::var("KEYDESK_VERIFICATION_MODE") {
        settings.verification_mode = match mode.trim().to_ascii_lowercase().as_str() {
            "restricted" | "" => VerificationMode::Restricted,
            "unrestricted" => VerificationMode::Unrestricted,
            other => anyhow::bail!(
                "KEYDESK_VERIFICATION_MODE is '{other}'; use restricted or unrestricted"
            ),
        };
    }
    if let Ok(budget) = std::env::var("KEYDESK_HOURLY_BUDGET") {
        settings.hourly_sensitive_budget = budget
            .trim()
            .parse()
            .with_context(|| format!("KEYDESK_HOURLY_BUDGET is '{budget}', not a number"))?;
    }
    Ok(settings)
}

/// The operators granted "unlock any account".
pub fn unlock_any_account() -> Vec<String> {
    std::env::var("KEYDESK_UNLOCK_ANY_ACCOUNT")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The guard: the policy in force, the audit log and the guard's tables in the same database.
pub async fn guard(home: &Home, database_url: Option<&str>) -> anyhow::Result<Guard> {
    let location = crate::audit_cmd::location(home, database_url)?;
    let audit = keydesk_audit::open(&location)
        .await
        .context("opening the audit log")?;
    let state = GuardState::open(&location)
        .await
        .context("opening keydesk's approval and verification tables")?;
    let engine = crate::policy_cmd::engine(home, settings()?)?;
    Ok(Guard::new(engine, Arc::from(audit), state))
}

pub async fn list(guard: &Guard, all: bool, json_output: bool) -> anyhow::Result<u8> {
    let approvals = guard.state().list_approvals(all).await?;
    if json_output {
        render::print_json(&json!({
            "approvals": approvals.iter().map(|a| json!({
                "id": a.id,
                "status": a.status.as_str(),
                "action": a.action,
                "target": a.target,
                "requester": a.requester,
                "summary": a.summary,
                "approvers": a.approvers,
                "planHash": a.plan_hash,
                "expiresAt": a.expires_at,
                "decidedBy": a.decided_by,
            })).collect::<Vec<_>>()
        }));
        return Ok(0);
    }
    if approvals.is_empty() {
        println!("No approval requests{}.", if all { "" } else { " waiting" });
    }
    for a in &approvals {
        println!(
            "{}  {:<8} {} asks: {}",
            a.id,
            a.status.as_str(),
            a.requester,
            a.summary
        );
        for line in a.plan.lines() {
            println!("      · {line}");
        }
        println!("      approver: {}", a.approvers);
    }
    Ok(0)
}

pub async fn decide(
    guard: &Guard,
    actor: &Actor,
    id: &str,
    approve: bool,
    reason: Option<&str>,
    json_output: bool,
) -> anyhow::Result<u8> {
    match guard.decide(id, &actor.principal, approve, reason).await {
        Ok(record) => {
            if json_output {
                render::print_json(&json!({
                    "id": record.id,
                    "status": record.status.as_str(),
                    "decidedBy": record.decided_by,
                }));
            } else {
                println!(
                    "{} {} by {}: {} ({} may now rerun the command)",
                    record.id,
                    record.status.as_str(),
                    actor.principal.upn.to_lowercase(),
                    record.summary,
                    record.requester
                );
            }
            Ok(0)
        }
        Err(error) => Ok(render::error(
            &keydesk_ops::Error::refused(error.to_string(), "nothing was decided"),
            json_output,
        )),
    }
}
