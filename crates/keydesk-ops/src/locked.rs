//! `list_locked_accounts`: accounts that cannot sign in because they are disabled
//! (`accountEnabled eq false`) or were recently stopped by smart lockout (sign-ins failing with
//! 50053), optionally in one department.
//!
//! Entra has no "locked" flag: smart lockout shows only in the sign-in log and clears by itself,
//! so this reads the log for the window asked. Unlocking is the credential workflows' business.

use std::collections::BTreeMap;

use keydesk_graph::model::{DirectoryAudit, SignIn, User};
use keydesk_graph::{AuditQuery, Filter, HELPDESK_USER_SELECT, Query, SignInQuery};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::directory::{counted, timestamp};
use crate::report::{Outcome, Report};
use crate::{Error, Ops, Result, resolve};

/// Smart lockout's sign-in error code.
pub const SMART_LOCKOUT: i64 = 50053;
/// Longest window keydesk reads (sign-in logs are kept 30 days on P1/P2).
pub const MAX_WINDOW_HOURS: u32 = 30 * 24;
/// Most lockout sign-ins read for one listing.
const SIGN_IN_LIMIT: usize = 5000;
/// Users looked up per `id in (...)` filter.
const IDS_PER_QUERY: usize = 15;

/// Why an account is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    Disabled,
    SmartLockout,
    Both,
}

/// One locked account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockedAccount {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    pub department: Option<String>,
    pub reason: LockReason,
    pub account_enabled: bool,
    /// The latest lockout sign-in or "Disable account" audit, RFC 3339.
    pub last_event: Option<String>,
    /// Lockout (50053) sign-ins in the window.
    pub lockout_sign_ins: usize,
    /// Addresses the lockout sign-ins came from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lockout_ips: Vec<String>,
    /// A successful sign-in happened after the latest lockout (it has cleared).
    pub signed_in_since: bool,
    pub synced: bool,
}

/// Lockout sign-ins of one user.
#[derive(Default)]
struct Lockouts {
    count: usize,
    last: Option<OffsetDateTime>,
    ips: Vec<String>,
}

/// `list_locked_accounts`: disabled accounts plus accounts with smart-lockout sign-ins in the last
/// `window_hours`, optionally only in `department`.
pub async fn list_locked_accounts(
    ops: &Ops,
    department: Option<&str>,
    window_hours: u32,
) -> Result<Report> {
    if window_hours == 0 || window_hours > MAX_WINDOW_HOURS {
        return Err(Error::InvalidInput(format!(
            "the window must be 1 to {MAX_WINDOW_HOURS} hours"
        )));
    }
    let department = department.map(str::trim).filter(|d| !d.is_empty());
    let now = OffsetDateTime::now_utc();
    let since = now - time::Duration::hours(i64::from(window_hours));
    let mut report = Report::new("list_locked_accounts", None);

    let mut disabled_filter = Filter::eq("accountEnabled", false);
    if let Some(department) = department {
        disabled_filter = disabled_filter.and(Filter::eq("department", department));
    }
    let (disabled, sign_ins, audits) = futures::join!(
        ops.graph.find_users(disabled_filter, HELPDESK_USER_SELECT),
        lockout_sign_ins(ops, since),
        disable_audits(ops, now),
    );
    let disabled = disabled?;
    let sign_ins = match sign_ins {
        Ok(sign_ins) => sign_ins,
        Err(error) if readable_elsewhere(&error) => {
            report.note(format!(
                "The sign-in log could not be read, so smart lockouts are not listed: {}",
                error.explain()
            ));
            Vec::new()
        }
        Err(error) => return Err(error.into()),
    };
    let disabled_at = match audits {
        Ok(audits) => last_disable_by_user(&audits),
        Err(error) if readable_elsewhere(&error) => BTreeMap::new(),
        Err(error) => return Err(error.into()),
    };

    let mut lockouts: BTreeMap<String, Lockouts> = BTreeMap::new();
    for sign_in in &sign_ins {
        let Some(user_id) = sign_in.user_id.clone() else {
            continue;
        };
        let entry = lockouts.entry(user_id).or_default();
        entry.count += 1;
        entry.last = entry.last.max(sign_in.created_date_time);
        if let Some(ip) = &sign_in.ip_address
            && !entry.ips.contains(ip)
        {
            entry.ips.push(ip.clone());
        }
    }
    let missing: Vec<String> = lockouts
        .keys()
        .filter(|id| !disabled.iter().any(|u| &u.id == *id))
        .cloned()
        .collect();
    let mut locked_users = users_by_id(ops, &missing).await?;
    if let Some(department) = department {
        locked_users.retain(|u| {
            u.department
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(department))
        });
    }

    let mut accounts = Vec::new();
    for user in disabled.iter().chain(&locked_users) {
        let lockout = lockouts.get(&user.id);
        let enabled = user.account_enabled.unwrap_or(true);
        let reason = match (enabled, lockout.is_some()) {
            (false, true) => LockReason::Both,
            (false, false) => LockReason::Disabled,
            (true, _) => LockReason::SmartLockout,
        };
        let last_lockout = lockout.and_then(|l| l.last);
        let last_event = [last_lockout, disabled_at.get(&user.id).copied()]
            .into_iter()
            .flatten()
            .max();
        let signed_in_since = match last_lockout {
            Some(after) if enabled => signed_in_after(ops, &user.id, after).await?,
            _ => false,
        };
        accounts.push(LockedAccount {
            id: user.id.clone(),
            user_principal_name: resolve::upn(user),
            display_name: user.display_name.clone(),
            department: user.department.clone(),
            reason,
            account_enabled: enabled,
            last_event: last_event.map(timestamp),
            lockout_sign_ins: lockout.map_or(0, |l| l.count),
            lockout_ips: lockout.map(|l| l.ips.clone()).unwrap_or_default(),
            signed_in_since,
            synced: user.is_synced(),
        });
    }
    accounts.sort_by(|a, b| {
        b.last_event
            .cmp(&a.last_event)
            .then_with(|| a.user_principal_name.cmp(&b.user_principal_name))
    });

    let disabled_count = accounts
        .iter()
        .filter(|a| a.reason != LockReason::SmartLockout)
        .count();
    let lockout_count = accounts
        .iter()
        .filter(|a| a.reason != LockReason::Disabled)
        .count();
    let scope = department.map(|d| format!(" in {d}")).unwrap_or_default();
    report.outcome = Outcome::Info;
    report.summary = format!(
        "{}{scope}: {disabled_count} disabled, {lockout_count} with smart lockout in the last {window_hours} h.",
        counted(accounts.len(), "locked account")
    );
    if lockout_count > 0 {
        report.note("Smart lockout has no unlock API: it clears by itself after the lockout period. keydesk unlock explains the options (wait, reset the password, or a Temporary Access Pass).");
    }
    if accounts.iter().any(|a| a.synced && !a.account_enabled) {
        report.note("Some disabled accounts are synced from on-premises AD: enable them there.");
    }
    if sign_ins.len() >= SIGN_IN_LIMIT {
        report.note(format!("Only the latest {SIGN_IN_LIMIT} lockout sign-ins were read; narrow the window for a complete list."));
    }
    report.note("Sign-in events can take a few minutes to reach the log.");
    report.details = json!({
        "department": department,
        "windowHours": window_hours,
        "since": timestamp(since),
        "count": accounts.len(),
        "accounts": accounts,
    });
    Ok(report)
}

/// A failure that loses one section of evidence but not the listing (no permission, no licence).
fn readable_elsewhere(error: &keydesk_graph::Error) -> bool {
    error
        .graph()
        .is_some_and(|e| e.is_forbidden() || e.status == 401)
}

/// Interactive sign-ins failing with 50053 since `since`, newest first.
async fn lockout_sign_ins(ops: &Ops, since: OffsetDateTime) -> keydesk_graph::Result<Vec<SignIn>> {
    let filter =
        Filter::eq("status/errorCode", SMART_LOCKOUT).and(Filter::ge("createdDateTime", since));
    let query = Query::default().filter(filter).top(1000);
    ops.graph
        .v1()
        .collect_limited("auditLogs/signIns", &query, SIGN_IN_LIMIT)
        .await
}

/// "Disable account" audits of the last 30 days.
async fn disable_audits(
    ops: &Ops,
    now: OffsetDateTime,
) -> keydesk_graph::Result<Vec<DirectoryAudit>> {
    let query = AuditQuery {
        activity: Some("Disable account".into()),
        since: Some(now - time::Duration::days(30)),
        ..AuditQuery::default()
    };
    ops.graph.directory_audits(&query, 1000).await
}

fn last_disable_by_user(audits: &[DirectoryAudit]) -> BTreeMap<String, OffsetDateTime> {
    let mut latest: BTreeMap<String, OffsetDateTime> = BTreeMap::new();
    for audit in audits {
        let Some(at) = audit.activity_date_time else {
            continue;
        };
        for target in &audit.target_resources {
            if let Some(id) = &target.id {
                let entry = latest.entry(id.clone()).or_insert(at);
                *entry = (*entry).max(at);
            }
        }
    }
    latest
}

/// Reads users by object id, a few per request.
async fn users_by_id(ops: &Ops, ids: &[String]) -> Result<Vec<User>> {
    let mut users = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let filter = Filter::is_in("id", chunk.iter().map(String::as_str));
        users.extend(ops.graph.find_users(filter, HELPDESK_USER_SELECT).await?);
    }
    Ok(users)
}

/// Whether the user signed in successfully after `after`.
async fn signed_in_after(ops: &Ops, user_id: &str, after: OffsetDateTime) -> Result<bool> {
    let query = SignInQuery::for_user(user_id, after + time::Duration::seconds(1));
    let sign_ins = ops.graph.sign_ins(&query, 200).await?;
    Ok(sign_ins.iter().any(SignIn::succeeded))
}
