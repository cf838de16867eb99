//! The containment plan: pure data, in the reference's order (§3.2), for the caller to execute
//! through keydesk's guardrails and audit log (or print for `--dry-run`).
//!
//! Order: preserve evidence → revoke sessions → remove methods the attacker registered →
//! remove malicious grants (and disable the app where configured) → confirm compromised in
//! Identity Protection → reset the password with out-of-band delivery → revoke again → issue a
//! short Temporary Access Pass. Confirming compromise comes after removing attacker methods so
//! an attacker-owned method cannot self-remediate the risk. What Graph cannot do (mailbox
//! forwarding, hidden rules, delegates) becomes a [`FollowUp`], never a silent omission.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detect::{FindingKind, Investigation, Severity};
use crate::model::{Evidence, Timestamp};
use crate::verdict::{Basis, VerdictKind};

/// One kind of containment step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainmentAction {
    /// Write the evidence snapshot and record its SHA-256 (read-only).
    PreserveEvidence,
    /// `POST /users/{id}/revokeSignInSessions`.
    RevokeSessions,
    /// `DELETE /users/{id}/authentication/{type}Methods/{methodId}`.
    RemoveAuthMethod,
    /// `DELETE /oauth2PermissionGrants/{id}`.
    RemoveGrant,
    /// `PATCH /servicePrincipals/{id}` `accountEnabled=false` (tenant-wide).
    DisableApp,
    /// `POST /identityProtection/riskyUsers/confirmCompromised`.
    ConfirmCompromised,
    /// Admin password reset, delivered out of band, change at next sign-in.
    PasswordReset,
    /// `POST /users/{id}/authentication/temporaryAccessPassMethods` (short, one-time).
    IssueTap,
}

impl ContainmentAction {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainmentAction::PreserveEvidence => "preserve_evidence",
            ContainmentAction::RevokeSessions => "revoke_sessions",
            ContainmentAction::RemoveAuthMethod => "remove_auth_method",
            ContainmentAction::RemoveGrant => "remove_grant",
            ContainmentAction::DisableApp => "disable_app",
            ContainmentAction::ConfirmCompromised => "confirm_compromised",
            ContainmentAction::PasswordReset => "password_reset",
            ContainmentAction::IssueTap => "issue_tap",
        }
    }

    /// The keydesk operation (policy action name) that performs it.
    pub fn keydesk_action(self) -> &'static str {
        match self {
            ContainmentAction::PreserveEvidence => "investigate_compromise",
            ContainmentAction::RevokeSessions => "revoke_sessions",
            ContainmentAction::RemoveAuthMethod => "mfa_reset",
            ContainmentAction::RemoveGrant => "remove_grant",
            ContainmentAction::DisableApp => "disable_app",
            ContainmentAction::ConfirmCompromised => "confirm_compromised",
            ContainmentAction::PasswordReset => "password_reset",
            ContainmentAction::IssueTap => "issue_tap",
        }
    }
}

/// What a step acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// `user`, `auth_method`, `grant`, `service_principal`.
    pub kind: String,
    /// Object id.
    pub id: String,
    /// Human label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One ordered step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainmentStep {
    /// 1-based position.
    pub order: u32,
    /// What to do.
    pub action: ContainmentAction,
    /// The keydesk operation that does it.
    pub keydesk_action: String,
    /// Why, in one sentence.
    pub reason: String,
    /// On what.
    pub targets: Vec<Target>,
    /// The Graph calls (for `--dry-run`).
    pub graph_calls: Vec<String>,
    /// Affects more than this user (needs approval under the default policy).
    pub tenant_wide: bool,
}

/// A task keydesk cannot do through Graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Who does it (`Exchange admin`, `Security`, `Helpdesk`).
    pub owner: String,
    /// What to do.
    pub task: String,
}

/// `active`: the attacker is in now, cut access first; `historical`: capture everything first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Attacker activity in the last two hours.
    Active,
    /// Past indicators only.
    Historical,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainmentPlan {
    /// UPN.
    pub user: String,
    /// Object id (empty when only a file was read).
    pub user_id: String,
    /// Active or historical.
    pub mode: Mode,
    /// Steps, in order (empty when nothing needs containment).
    pub steps: Vec<ContainmentStep>,
    /// Tasks outside Graph.
    pub follow_ups: Vec<FollowUp>,
    /// Notes for the operator.
    pub notes: Vec<String>,
}

/// Plans containment for an investigation.
pub fn plan_containment(
    investigation: &Investigation,
    evidence: &Evidence,
    config: &Config,
) -> ContainmentPlan {
    let verdict = &investigation.verdict;
    let user = investigation.user.clone();
    let user_id = evidence.user.id.clone();
    let user_key = if user_id.is_empty() {
        user.clone()
    } else {
        user_id.clone()
    };
    let mode = if verdict.active {
        Mode::Active
    } else {
        Mode::Historical
    };
    let mut plan = ContainmentPlan {
        user: user.clone(),
        user_id: user_id.clone(),
        mode,
        steps: Vec::new(),
        follow_ups: Vec::new(),
        notes: Vec::new(),
    };
    let full = verdict.verdict == VerdictKind::Compromised;
    let credential = verdict.basis == Basis::CredentialKnown;
    if !full && !credential {
        plan.notes.push(format!(
            "The verdict is {}; no containment is recommended. Review the findings.",
            verdict.verdict.as_str()
        ));
        return plan;
    }
    let user_target = || Target {
        kind: "user".to_owned(),
        id: user_key.clone(),
        label: Some(user.clone()),
    };
    let mut push = |action: ContainmentAction,
                    reason: String,
                    targets: Vec<Target>,
                    graph_calls: Vec<String>,
                    tenant_wide: bool| {
        let order = plan.steps.len() as u32 + 1;
        plan.steps.push(ContainmentStep {
            order,
            action,
            keydesk_action: action.keydesk_action().to_owned(),
            reason,
            targets,
            graph_calls,
            tenant_wide,
        });
    };
    push(
        ContainmentAction::PreserveEvidence,
        "Sign-in and audit logs age out in 7 to 30 days and containment writes new events; snapshot and hash the evidence before anything changes.".to_owned(),
        vec![user_target()],
        vec![format!("GET auditLogs/signIns, auditLogs/directoryAudits, identityProtection/riskyUsers/{user_key}, identityProtection/riskDetections, users/{user_key}/authentication/methods, users/{user_key}/oauth2PermissionGrants")],
        false,
    );
    if full {
        push(
            ContainmentAction::RevokeSessions,
            "Invalidate the refresh tokens and sessions the attacker holds.".to_owned(),
            vec![user_target()],
            vec![format!("POST users/{user_key}/revokeSignInSessions")],
            false,
        );
    }
    // Methods the attacker registered (persistence findings only).
    let mut methods: Vec<(String, String)> = Vec::new();
    for f in investigation
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::NewAuthMethod && f.severity >= Severity::High)
    {
        for id in &f.methods {
            if !methods.iter().any(|(m, _)| m == id) {
                methods.push((id.clone(), f.summary.clone()));
            }
        }
    }
    for (id, why) in &methods {
        let method = evidence.auth_methods.iter().find(|m| &m.id == id);
        let kind = method.map_or("unknown", |m| m.kind());
        let label = method.map(|m| {
            let detail = m
                .phone_number
                .as_deref()
                .or(m.display_name.as_deref())
                .unwrap_or("");
            format!("{kind} {detail}").trim().to_owned()
        });
        push(
            ContainmentAction::RemoveAuthMethod,
            format!("Registered by the attacker: {why}"),
            vec![Target {
                kind: "auth_method".to_owned(),
                id: id.clone(),
                label,
            }],
            vec![format!(
                "DELETE users/{user_key}/authentication/{kind}Methods/{id}"
            )],
            false,
        );
    }
    for f in investigation
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::SuspiciousOauthGrant && f.severity >= Severity::High)
    {
        for grant in &f.grants {
            push(
                ContainmentAction::RemoveGrant,
                format!("Malicious delegated grant: {}", f.summary),
                vec![Target {
                    kind: "grant".to_owned(),
                    id: grant.clone(),
                    label: None,
                }],
                vec![format!("DELETE oauth2PermissionGrants/{grant}")],
                false,
            );
        }
        if config.disable_malicious_apps {
            for sp in &f.service_principals {
                let label = evidence
                    .grants
                    .iter()
                    .filter_map(|g| g.client.as_ref())
                    .find(|c| &c.id == sp)
                    .and_then(|c| c.display_name.clone());
                push(
                    ContainmentAction::DisableApp,
                    "Disable (not delete) the app so a new consent cannot bring it back; affects every user of the app.".to_owned(),
                    vec![Target {
                        kind: "service_principal".to_owned(),
                        id: sp.clone(),
                        label,
                    }],
                    vec![format!("PATCH servicePrincipals/{sp} {{\"accountEnabled\": false}}")],
                    true,
                );
            }
        }
    }
    push(
        ContainmentAction::ConfirmCompromised,
        "Tell Identity Protection (user risk high, feeds Microsoft's models); after removing attacker methods so they cannot self-remediate.".to_owned(),
        vec![user_target()],
        vec![format!("POST identityProtection/riskyUsers/confirmCompromised {{\"userIds\": [\"{user_key}\"]}}")],
        false,
    );
    let synced = evidence.user.on_premises_sync_enabled == Some(true);
    if synced {
        plan.follow_ups.push(FollowUp {
            owner: "Identity admin".to_owned(),
            task: "The account is synced from on-premises AD: reset the password there (twice) and disable it there if needed; Graph refuses the change.".to_owned(),
        });
    } else {
        push(
            ContainmentAction::PasswordReset,
            "The attacker knows the password: set a random temporary one, delivered out of band (never to the compromised mailbox), changed at next sign-in.".to_owned(),
            vec![user_target()],
            vec![format!("PATCH users/{user_key} {{\"passwordProfile\": {{\"forceChangePasswordNextSignIn\": true, ...}}}}")],
            false,
        );
    }
    push(
        ContainmentAction::RevokeSessions,
        if full {
            "Revoke again: covers tokens minted between the first revocation and the reset."
                .to_owned()
        } else {
            "Revoke sessions after the reset.".to_owned()
        },
        vec![user_target()],
        vec![format!("POST users/{user_key}/revokeSignInSessions")],
        false,
    );
    if full || !methods.is_empty() {
        push(
            ContainmentAction::IssueTap,
            format!(
                "Let the user register fresh methods and set a password: a one-time Temporary Access Pass valid {} minutes, handed over after identity verification.",
                config.tap_lifetime_minutes
            ),
            vec![user_target()],
            vec![format!(
                "POST users/{user_key}/authentication/temporaryAccessPassMethods {{\"lifetimeInMinutes\": {}, \"isUsableOnce\": true}}",
                config.tap_lifetime_minutes
            )],
            false,
        );
    }
    let exchange = |task: &str| FollowUp {
        owner: "Exchange admin".to_owned(),
        task: task.to_owned(),
    };
    if full {
        plan.follow_ups.extend([
            exchange("Check and remove mailbox forwarding (ForwardingSmtpAddress, ForwardingAddress); not reachable through Graph."),
            exchange("Check inbox rules including hidden ones (forward, redirect, delete, move to RSS/Archive, keywords like invoice or payment) and remove the attacker's."),
            exchange("Check mailbox delegates and FullAccess/SendAs permissions, transport rules, and the restricted-senders list."),
            FollowUp {
                owner: "Security".to_owned(),
                task: "Assess what was accessed (MailItemsAccessed and file access in Purview audit); keydesk cannot see mailbox or file content.".to_owned(),
            },
            FollowUp {
                owner: "Security".to_owned(),
                task: "Pivot on the attacker's addresses and apps across the tenant (keydesk hunt) and consider a Conditional Access block for them.".to_owned(),
            },
            FollowUp {
                owner: "Helpdesk".to_owned(),
                task: "Review devices registered to the user after the first malicious sign-in and disable unknown ones.".to_owned(),
            },
        ]);
    }
    plan.follow_ups.push(FollowUp {
        owner: "Security".to_owned(),
        task: format!(
            "Monitor the account for 14 days (until {}): new methods, consents, re-enabled apps, sign-ins from the attacker's addresses.",
            investigation.window.to.plus(14 * Timestamp::DAY)
        ),
    });
    if mode == Mode::Active {
        plan.notes.push(
            "The attacker was active in the last two hours: run the steps back to back.".to_owned(),
        );
    }
    plan
}
