//! Why can't this user sign in? From evidence (account flags, recent sign-in errors, Identity
//! Protection state, registered methods, sync state, roles) to causes ranked by how surely they
//! block sign-in now, each with the evidence behind it and the fix that addresses it.
//!
//! Only failures since the user's last successful sign-in count as current: yesterday's typo
//! followed by a good sign-in explains nothing today.

use time::{Duration, OffsetDateTime};

/// Everything gathered about one user.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub now: OffsetDateTime,
    pub user: UserFacts,
    /// Sign-ins in the window, any order.
    pub sign_ins: Vec<SignInFact>,
    pub risk: Option<RiskFact>,
    /// Registered methods other than the password.
    pub methods: Vec<MethodFact>,
    /// Display names of privileged directory roles the user holds.
    pub privileged_roles: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct UserFacts {
    pub user_principal_name: String,
    pub display_name: String,
    pub account_enabled: bool,
    pub synced_from_on_premises: bool,
    pub on_premises_sam_account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignInFact {
    pub id: String,
    pub at: OffsetDateTime,
    pub error_code: i64,
    pub ip_address: String,
    pub city: Option<String>,
    pub country: Option<String>,
    pub app: String,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RiskFact {
    pub level: String,
    pub state: String,
    pub detail: String,
    pub last_updated: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct MethodFact {
    pub kind: String,
    pub mfa_capable: bool,
}

/// One reason the user cannot sign in.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub kind: CauseKind,
    pub summary: String,
    /// The sign-ins that show it (newest first).
    pub evidence: Vec<SignInFact>,
    pub fix: Fix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CauseKind {
    AccountDisabled,
    RiskBlocked,
    SmartLockout,
    PasswordExpired,
    MfaNotRegistered,
    ConditionalAccessBlocked,
    WrongPassword,
}

impl CauseKind {
    pub fn name(self) -> &'static str {
        match self {
            CauseKind::AccountDisabled => "account_disabled",
            CauseKind::RiskBlocked => "risk_blocked",
            CauseKind::SmartLockout => "smart_lockout",
            CauseKind::PasswordExpired => "password_expired",
            CauseKind::MfaNotRegistered => "mfa_not_registered",
            CauseKind::ConditionalAccessBlocked => "conditional_access_blocked",
            CauseKind::WrongPassword => "wrong_password",
        }
    }
}

/// What fixes a cause.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Re-enable the account in Entra.
    EnableAccount,
    /// Dismiss the user's risk once recent sign-ins look clean (or investigate if they don't).
    UnblockSignIn,
    /// Smart lockout has no unlock API: it clears by itself; reset the password or issue a TAP
    /// if the user cannot wait.
    WaitForLockout {
        remaining: Duration,
        attack_suspected: bool,
        unfamiliar_ips: Vec<String>,
    },
    ResetPassword,
    IssueTemporaryAccessPass,
    /// Conditional Access decides; review the policy, nothing to change on the user.
    ReviewConditionalAccess,
    /// The account is mastered in on-premises AD: make the change there.
    OnPremises {
        action: String,
    },
}

/// The diagnosis of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub user_principal_name: String,
    /// Most blocking first.
    pub causes: Vec<Cause>,
    pub last_success: Option<OffsetDateTime>,
    pub privileged: bool,
    pub synced_from_on_premises: bool,
}

/// Sign-in error codes and what they mean.
pub mod codes {
    pub const BAD_PASSWORD: i64 = 50126;
    pub const LOCKED: i64 = 50053;
    pub const DISABLED: i64 = 50057;
    pub const EXPIRED: i64 = 50055;
    pub const MFA_ENROLL: i64 = 50079;
    pub const MFA_ENROLL_REQUIRED: i64 = 50072;
    pub const CA_BLOCKED: i64 = 53003;
    pub const RISK_BLOCKED: [i64; 3] = [53004, 530032, 530034];
}

/// Entra's first lockout lasts a minute; each further one lasts longer.
pub const FIRST_LOCKOUT: Duration = Duration::seconds(60);

/// Ranks the causes found in the evidence.
pub fn diagnose(evidence: &Evidence) -> Diagnosis {
    let mut sign_ins = evidence.sign_ins.clone();
    sign_ins.sort_by_key(|s| std::cmp::Reverse(s.at));
    let last_success = sign_ins.iter().find(|s| s.error_code == 0).map(|s| s.at);
    let current: Vec<&SignInFact> = sign_ins
        .iter()
        .filter(|s| s.error_code != 0 && last_success.is_none_or(|t| s.at > t))
        .collect();
    let with = |codes: &[i64]| -> Vec<SignInFact> {
        current
            .iter()
            .filter(|s| codes.contains(&s.error_code))
            .map(|s| (*s).clone())
            .collect()
    };
    let synced = evidence.user.synced_from_on_premises;
    let on_prem = |action: &str| Fix::OnPremises {
        action: action.to_string(),
    };
    let mut causes = Vec::new();

    if !evidence.user.account_enabled {
        causes.push(Cause {
            kind: CauseKind::AccountDisabled,
            summary: "The account is disabled (accountEnabled is false).".into(),
            evidence: with(&[codes::DISABLED]),
            fix: if synced {
                on_prem("enable the account in Active Directory")
            } else {
                Fix::EnableAccount
            },
        });
    }

    let risk_signins = with(&codes::RISK_BLOCKED);
    let at_risk = evidence
        .risk
        .as_ref()
        .filter(|r| r.state == "atRisk" || r.state == "confirmedCompromised");
    if at_risk.is_some() || !risk_signins.is_empty() {
        let summary = match at_risk {
            Some(risk) => format!(
                "Identity Protection rates the user's risk {} ({}); risk policy blocks sign-in.",
                risk.level, risk.state
            ),
            None => "Sign-ins are blocked by a risk-based policy.".to_string(),
        };
        causes.push(Cause {
            kind: CauseKind::RiskBlocked,
            summary,
            evidence: risk_signins,
            fix: Fix::UnblockSignIn,
        });
    }

    let locked = with(&[codes::LOCKED]);
    if let Some(last_locked) = locked.first() {
        let failures = with(&[codes::BAD_PASSWORD, codes::LOCKED]);
        let familiar: Vec<&str> = sign_ins
            .iter()
            .filter(|s| s.error_code == 0)
            .map(|s| s.ip_address.as_str())
            .collect();
        let mut unfamiliar: Vec<String> = failures
            .iter()
            .filter(|s| !familiar.contains(&s.ip_address.as_str()))
            .map(|s| s.ip_address.clone())
            .collect();
        unfamiliar.sort();
        unfamiliar.dedup();
        // Repeated lockouts double the duration; count bursts of locked sign-ins a minute apart.
        let mut lockouts = 1i32;
        for pair in locked.windows(2) {
            if pair[0].at - pair[1].at > FIRST_LOCKOUT {
                lockouts += 1;
            }
        }
        let duration = FIRST_LOCKOUT * 2i32.pow((lockouts - 1).clamp(0, 5) as u32);
        let remaining = (last_locked.at + duration - evidence.now).max(Duration::ZERO);
        let bad = failures
            .iter()
            .filter(|s| s.error_code == codes::BAD_PASSWORD)
            .count();
        let mut summary = format!(
            "Smart lockout: {bad} wrong passwords then {} locked attempts, last at {}.",
            locked.len(),
            rfc3339(last_locked.at)
        );
        if !unfamiliar.is_empty() {
            summary.push_str(&format!(
                " The failures came from {} never seen in a successful sign-in: possibly a password-guessing attack.",
                unfamiliar.join(", ")
            ));
        }
        causes.push(Cause {
            kind: CauseKind::SmartLockout,
            summary,
            evidence: failures,
            fix: Fix::WaitForLockout {
                remaining,
                attack_suspected: !unfamiliar.is_empty(),
                unfamiliar_ips: unfamiliar,
            },
        });
    }

    let expired = with(&[codes::EXPIRED]);
    if !expired.is_empty() {
        causes.push(Cause {
            kind: CauseKind::PasswordExpired,
            summary: "The password has expired; sign-ins fail with 50055.".into(),
            evidence: expired,
            fix: if synced {
                on_prem("reset the password in Active Directory")
            } else {
                Fix::ResetPassword
            },
        });
    }

    let enrol = with(&[codes::MFA_ENROLL, codes::MFA_ENROLL_REQUIRED]);
    let has_mfa = evidence.methods.iter().any(|m| m.mfa_capable);
    if !enrol.is_empty() || (!has_mfa && evidence.user.account_enabled && !current.is_empty()) {
        causes.push(Cause {
            kind: CauseKind::MfaNotRegistered,
            summary: if has_mfa {
                "Sign-ins ask the user to register for MFA (50079/50072).".into()
            } else {
                "The user has no MFA method registered, and policy requires MFA.".into()
            },
            evidence: enrol,
            fix: Fix::IssueTemporaryAccessPass,
        });
    }

    let ca = with(&[codes::CA_BLOCKED]);
    if !ca.is_empty() {
        causes.push(Cause {
            kind: CauseKind::ConditionalAccessBlocked,
            summary: "A Conditional Access policy blocks these sign-ins (53003).".into(),
            evidence: ca,
            fix: Fix::ReviewConditionalAccess,
        });
    }

    let wrong = with(&[codes::BAD_PASSWORD]);
    if !wrong.is_empty() && locked.is_empty() {
        causes.push(Cause {
            kind: CauseKind::WrongPassword,
            summary: format!(
                "{} wrong-password attempts since the last successful sign-in.",
                wrong.len()
            ),
            evidence: wrong,
            fix: if synced {
                on_prem("reset the password in Active Directory")
            } else {
                Fix::ResetPassword
            },
        });
    }

    causes.sort_by_key(|c| c.kind);
    Diagnosis {
        user_principal_name: evidence.user.user_principal_name.clone(),
        causes,
        last_success,
        privileged: !evidence.privileged_roles.is_empty(),
        synced_from_on_premises: synced,
    }
}

/// RFC 3339 text for messages.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests;
