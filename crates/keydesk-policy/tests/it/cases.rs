//! The policy case table: `test_data/cases.toml` holds the demo cast (principals, users, groups)
//! and one entry per case: who asks, which action on what, the context (approvals, good and bad,
//! verification, bulk, origin, budget use) and the expected decision. One test runs them all and
//! prints every miss with the case's name.
//!
//! The TOML shapes below are test-only wire types; the crate's own types stay serde-free.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use keydesk_policy::{
    Action, Approval, ContextFacts, Decision, DecisionRequest, Effect, Missing, Origin,
    PolicyEngine, PolicySettings, Principal, PrincipalKind, Resource, TargetGroup, TargetUser,
    Verification, VerificationMethod, VerificationMode, VerificationStatus, evaluate, explain,
};
use serde::Deserialize;

const CASES: &str = include_str!("../../test_data/cases.toml");
const DOMAIN: &str = "contoso.onmicrosoft.com";
const MINIMUM_CASES: usize = 40;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    defaults: Defaults,
    principals: BTreeMap<String, PrincipalRow>,
    users: BTreeMap<String, UserRow>,
    groups: BTreeMap<String, GroupRow>,
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    now: i64,
    plan: String,
    verification_mode: String,
    hourly_sensitive_budget: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalRow {
    kind: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    unlock_any_account: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRow {
    department: String,
    #[serde(default)]
    privileged_roles: Vec<String>,
    #[serde(default)]
    synced: bool,
    #[serde(default = "yes")]
    mfa_registered: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRow {
    #[serde(default)]
    owners: Vec<String>,
    #[serde(default)]
    privileged: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// A key of `principals`.
    #[serde(rename = "as")]
    principal: String,
    action: String,
    /// A key of `users`, `group:NAME` (a key of `groups`) or `tenant`.
    target: String,
    /// Overrides the target user's UPN as presented (for case-mismatch cases).
    target_upn: Option<String>,
    plan: Option<String>,
    #[serde(default)]
    approvals: Vec<ApprovalRow>,
    verification: Option<VerificationRow>,
    verification_mode: Option<String>,
    hourly_sensitive_budget: Option<u32>,
    #[serde(default)]
    sensitive_last_hour: u32,
    #[serde(default)]
    bulk: bool,
    origin: Option<String>,
    #[serde(default)]
    profile_fields: Vec<String>,
    /// Overrides the principal's `unlock_any_account`.
    unlock_any_account: Option<bool>,

    expect: String,
    missing: Option<Vec<String>>,
    /// A substring of the approval's `from` description.
    missing_from: Option<String>,
    policies: Option<Vec<String>>,
    alert: Option<bool>,
    verification_status: Option<String>,
    approvers: Option<Vec<String>>,
    /// A substring one of the decision's notes must contain.
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalRow {
    by: String,
    plan: Option<String>,
    #[serde(default)]
    used: bool,
    #[serde(default = "ten_minutes")]
    expires_in: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerificationRow {
    /// A key of `users`; defaults to the case's target.
    of: Option<String>,
    #[serde(default = "registered_method")]
    method: String,
    #[serde(default)]
    used: bool,
    #[serde(default = "five_minutes")]
    expires_in: i64,
}

fn yes() -> bool {
    true
}
fn ten_minutes() -> i64 {
    600
}
fn five_minutes() -> i64 {
    300
}
fn registered_method() -> String {
    "registered_method".into()
}

fn upn(name: &str) -> String {
    if name.contains('@') {
        name.to_owned()
    } else {
        format!("{name}@{DOMAIN}")
    }
}

fn verification_mode(name: &str) -> VerificationMode {
    match name {
        "restricted" => VerificationMode::Restricted,
        "unrestricted" => VerificationMode::Unrestricted,
        other => panic!("unknown verification mode `{other}`"),
    }
}

impl Table {
    fn request(&self, case: &Case) -> Result<DecisionRequest, String> {
        let defaults = &self.defaults;
        let row = self
            .principals
            .get(&case.principal)
            .ok_or_else(|| format!("unknown principal `{}`", case.principal))?;
        let principal = Principal {
            upn: upn(&case.principal),
            kind: match row.kind.as_str() {
                "operator" => PrincipalKind::Operator,
                "employee" => PrincipalKind::Employee,
                other => return Err(format!("unknown principal kind `{other}`")),
            },
            directory_roles: row.roles.clone(),
            groups: row.groups.clone(),
            unlock_any_account: case.unlock_any_account.unwrap_or(row.unlock_any_account),
        };
        let action: Action = case.action.parse().map_err(|error| format!("{error}"))?;
        let resource = if case.target == "tenant" {
            Resource::Tenant
        } else if let Some(name) = case.target.strip_prefix("group:") {
            let group = self
                .groups
                .get(name)
                .ok_or_else(|| format!("unknown group `{name}`"))?;
            Resource::Group(TargetGroup {
                name: name.to_owned(),
                owners: group.owners.iter().map(|owner| upn(owner)).collect(),
                privileged: group.privileged,
            })
        } else {
            Resource::User(self.user(&case.target, case.target_upn.as_deref())?)
        };
        let now = defaults.now;
        let plan = case.plan.clone().unwrap_or_else(|| defaults.plan.clone());
        let mut approvals = Vec::new();
        for approval in &case.approvals {
            let approver_roles = self
                .principals
                .get(&approval.by)
                .map(|approver| approver.roles.clone())
                .ok_or_else(|| format!("unknown approver `{}`", approval.by))?;
            approvals.push(Approval {
                approver: upn(&approval.by),
                approver_roles,
                plan_hash: approval.plan.clone().unwrap_or_else(|| plan.clone()),
                used: approval.used,
                expires_at: now + approval.expires_in,
            });
        }
        let verification = match &case.verification {
            None => None,
            Some(row) => Some(Verification {
                method: match row.method.as_str() {
                    "registered_method" => VerificationMethod::RegisteredMethod,
                    "manager" => VerificationMethod::ManagerConfirmation,
                    other => return Err(format!("unknown verification method `{other}`")),
                },
                target: upn(row.of.as_deref().unwrap_or(&case.target)),
                code_used: row.used,
                expires_at: now + row.expires_in,
            }),
        };
        let origin = match case.origin.as_deref().unwrap_or("cli") {
            "cli" => Origin::Cli,
            "api" => Origin::Api,
            "mcp" => Origin::Mcp,
            "chat" => Origin::Chat,
            other => return Err(format!("unknown origin `{other}`")),
        };
        Ok(DecisionRequest {
            principal,
            action,
            resource,
            context: ContextFacts {
                plan_hash: plan,
                approvals,
                verification,
                origin,
                bulk: case.bulk,
                now,
                sensitive_actions_last_hour: case.sensitive_last_hour,
                profile_fields: case.profile_fields.clone(),
            },
        })
    }

    fn user(&self, name: &str, presented_upn: Option<&str>) -> Result<TargetUser, String> {
        let row = self
            .users
            .get(name)
            .ok_or_else(|| format!("unknown user `{name}`"))?;
        Ok(TargetUser {
            upn: presented_upn.map(upn).unwrap_or_else(|| upn(name)),
            department: row.department.clone(),
            privileged_roles: row.privileged_roles.clone(),
            synced: row.synced,
            mfa_registered: row.mfa_registered,
        })
    }

    fn settings(&self, case: &Case) -> PolicySettings {
        let mut settings = PolicySettings::recommended();
        settings.verification_mode = verification_mode(
            case.verification_mode
                .as_deref()
                .unwrap_or(&self.defaults.verification_mode),
        );
        settings.hourly_sensitive_budget = case
            .hourly_sensitive_budget
            .unwrap_or(self.defaults.hourly_sensitive_budget);
        settings
    }
}

/// Compares a decision with a case's expectations; returns the differences.
fn differences(case: &Case, decision: &Decision) -> Vec<String> {
    let mut found = Vec::new();
    let effect = match decision.effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
        Effect::NeedsApproval => "needs_approval",
        Effect::NeedsVerification => "needs_verification",
    };
    if effect != case.expect {
        found.push(format!("effect: expected {}, got {effect}", case.expect));
    }
    if let Some(expected) = &case.missing {
        let actual: Vec<&str> = decision
            .missing
            .iter()
            .map(|missing| match missing {
                Missing::Approval { .. } => "approval",
                Missing::Verification { .. } => "verification",
            })
            .collect();
        if actual != *expected {
            found.push(format!("missing: expected {expected:?}, got {actual:?}"));
        }
    }
    if let Some(expected) = &case.missing_from {
        let from = decision.missing.iter().find_map(|missing| match missing {
            Missing::Approval { from } => Some(from.as_str()),
            Missing::Verification { .. } => None,
        });
        if !from.is_some_and(|from| from.contains(expected.as_str())) {
            found.push(format!(
                "approval from: expected to contain {expected:?}, got {from:?}"
            ));
        }
    }
    if let Some(expected) = &case.policies {
        let mut expected = expected.clone();
        expected.sort();
        if decision.policies != expected {
            found.push(format!(
                "policies: expected {expected:?}, got {:?}",
                decision.policies
            ));
        }
    }
    if let Some(expected) = case.alert
        && decision.alert != expected
    {
        found.push(format!(
            "alert: expected {expected}, got {}",
            decision.alert
        ));
    }
    if let Some(expected) = &case.verification_status {
        let actual = match decision.verification {
            VerificationStatus::NotRequired => "not_required",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Skipped => "skipped",
            VerificationStatus::Missing => "missing",
        };
        if actual != expected {
            found.push(format!("verification: expected {expected}, got {actual}"));
        }
    }
    if let Some(expected) = &case.approvers {
        let expected: Vec<String> = expected
            .iter()
            .map(|name| upn(name).to_lowercase())
            .collect();
        if decision.approvers != expected {
            found.push(format!(
                "approvers: expected {expected:?}, got {:?}",
                decision.approvers
            ));
        }
    }
    if let Some(expected) = &case.note
        && !decision
            .notes
            .iter()
            .any(|note| note.contains(expected.as_str()))
    {
        found.push(format!(
            "notes: expected one containing {expected:?}, got {:?}",
            decision.notes
        ));
    }
    found
}

#[test]
fn policy_cases() {
    let table: Table = toml::from_str(CASES).expect("test_data/cases.toml parses");
    let mut engines: BTreeMap<(String, u32), PolicyEngine> = BTreeMap::new();
    let mut report = String::new();
    let mut misses = 0;
    let mut names = std::collections::BTreeSet::new();
    for case in &table.case {
        assert!(
            names.insert(case.name.as_str()),
            "duplicate case name `{}`",
            case.name
        );
        let settings = table.settings(case);
        let key = (
            format!("{:?}", settings.verification_mode),
            settings.hourly_sensitive_budget,
        );
        let engine = engines.entry(key).or_insert_with(|| {
            PolicyEngine::with_default_policy(settings).expect("the default policy loads")
        });
        let request = match table.request(case) {
            Ok(request) => request,
            Err(error) => {
                misses += 1;
                let _ = writeln!(report, "MISS {}: bad case: {error}", case.name);
                continue;
            }
        };
        let decision = evaluate(engine, &request);
        let found = differences(case, &decision);
        if !found.is_empty() {
            misses += 1;
            let _ = writeln!(report, "MISS {}:", case.name);
            for difference in found {
                let _ = writeln!(report, "    {difference}");
            }
            for line in explain(&decision).lines() {
                let _ = writeln!(report, "    | {line}");
            }
        }
    }
    let total = table.case.len();
    eprintln!(
        "{report}policy cases: {} passed, {misses} failed",
        total - misses
    );
    assert!(
        total >= MINIMUM_CASES,
        "only {total} cases; the acceptance bar is {MINIMUM_CASES}"
    );
    assert_eq!(misses, 0, "policy cases missed:\n{report}");
}
