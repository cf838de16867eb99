//! `diagnose_signin`: gather the evidence of why a user cannot sign in (account flags, recent
//! sign-ins, Identity Protection, methods, sync state, privileged roles) and rank the causes with
//! `keydesk_core::diagnosis`.

use keydesk_core::diagnosis::{
    self, Cause, Diagnosis, Evidence, Fix, MethodFact, RiskFact, SignInFact, UserFacts,
};
use keydesk_graph::SignInQuery;
use keydesk_graph::model::{AuthMethod, RiskyUser, SignIn, User};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::report::{Outcome, Report};
use crate::{Ops, Result, resolve, roles};

/// The most sign-ins read for one user's diagnosis.
const SIGN_IN_LIMIT: usize = 1000;

/// What Graph said about one user.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub user: User,
    pub sign_ins: Vec<SignIn>,
    pub risky: Option<RiskyUser>,
    pub methods: Vec<AuthMethod>,
    pub privileged_roles: Vec<String>,
    pub now: OffsetDateTime,
}

/// Reads everything a diagnosis needs about a resolved user.
pub async fn gather(ops: &Ops, user: User) -> Result<Gathered> {
    let now = OffsetDateTime::now_utc();
    let query = SignInQuery {
        user_id: Some(user.id.clone()),
        since: Some(now - time::Duration::days(ops.settings.sign_in_window_days)),
        ..SignInQuery::default()
    };
    let (sign_ins, risky, methods, privileged_roles) = futures::try_join!(
        async {
            ops.graph
                .sign_ins(&query, SIGN_IN_LIMIT)
                .await
                .map_err(crate::Error::from)
        },
        async {
            ops.graph
                .get_risky_user(&user.id)
                .await
                .map_err(crate::Error::from)
        },
        async {
            ops.graph
                .list_methods(&user.id)
                .await
                .map_err(crate::Error::from)
        },
        roles::privileged_roles_of(ops, &user.id),
    )?;
    Ok(Gathered {
        user,
        sign_ins,
        risky,
        methods,
        privileged_roles,
        now,
    })
}

/// The pure evidence for `keydesk_core::diagnosis`.
pub fn evidence(gathered: &Gathered) -> Evidence {
    let user = &gathered.user;
    Evidence {
        now: gathered.now,
        user: UserFacts {
            user_principal_name: resolve::upn(user),
            display_name: user.display_name.clone().unwrap_or_default(),
            account_enabled: user.account_enabled.unwrap_or(true),
            synced_from_on_premises: user.on_premises_sync_enabled == Some(true),
            on_premises_sam_account_name: user.on_premises_sam_account_name.clone(),
        },
        sign_ins: gathered.sign_ins.iter().filter_map(sign_in_fact).collect(),
        risk: gathered.risky.as_ref().map(|risky| RiskFact {
            level: risky.risk_level.as_str().to_string(),
            state: risky.risk_state.as_str().to_string(),
            detail: risky.risk_detail.clone().unwrap_or_default(),
            last_updated: risky.risk_last_updated_date_time.unwrap_or(gathered.now),
        }),
        methods: gathered
            .methods
            .iter()
            .filter(|m| !matches!(m, AuthMethod::Password(_)))
            .map(|m| MethodFact {
                kind: m.kind().to_string(),
                mfa_capable: !matches!(
                    m,
                    AuthMethod::Email(_) | AuthMethod::TemporaryAccessPass(_)
                ),
            })
            .collect(),
        privileged_roles: gathered.privileged_roles.clone(),
    }
}

fn sign_in_fact(sign_in: &SignIn) -> Option<SignInFact> {
    let location = sign_in.location.as_ref();
    Some(SignInFact {
        id: sign_in.id.clone(),
        at: sign_in.created_date_time?,
        error_code: sign_in
            .status
            .as_ref()
            .and_then(|s| s.error_code)
            .unwrap_or(0),
        ip_address: sign_in.ip_address.clone().unwrap_or_default(),
        city: location.and_then(|l| l.city.clone()),
        country: location.and_then(|l| l.country_or_region.clone()),
        app: sign_in.app_display_name.clone().unwrap_or_default(),
        failure_reason: sign_in
            .status
            .as_ref()
            .and_then(|s| s.failure_reason.clone()),
    })
}

/// Diagnoses a user by name, UPN or mail.
pub async fn diagnose_signin(ops: &Ops, query: &str) -> Result<(Report, Gathered, Diagnosis)> {
    let user = resolve::user(&ops.graph, query).await?;
    let gathered = gather(ops, user).await?;
    let diagnosis = diagnosis::diagnose(&evidence(&gathered));
    let mut report = Report::new("diagnose_signin", Some(&resolve::upn(&gathered.user)));
    report.outcome = Outcome::Info;
    report.summary = match diagnosis.causes.first() {
        Some(cause) => format!("{} — {}", cause.kind.name(), cause.summary),
        None => "No blocking cause found in the account state or recent sign-ins.".to_string(),
    };
    let link = crate::linked::lookup(ops, &gathered.user).await;
    if diagnosis.synced_from_on_premises {
        if ops.ad.is_some() {
            report.note("The account is synced from on-premises Active Directory: keydesk unlocks, enables and resets its password there, and the change reaches Entra with the next sync.");
        } else {
            report.note("The account is synced from on-premises Active Directory: password and enable changes must be made there.");
        }
    }
    if let Some(sentence) = crate::linked::sentence(&link) {
        report.note(sentence);
    }
    if let crate::linked::AdLink::Found(found) = &link
        && found.account.locked()
    {
        report.summary = format!(
            "ad_lockout — {} is locked out in on-premises Active Directory ({}, {} bad passwords); keydesk unlock clears it there.",
            resolve::upn(&gathered.user),
            found.account.dn,
            found.account.bad_pwd_count
        );
    }
    if diagnosis.privileged {
        report.note(format!(
            "Privileged account: {}.",
            gathered.privileged_roles.join(", ")
        ));
    }
    report.details = details(&gathered, &diagnosis);
    if !matches!(link, crate::linked::AdLink::CloudOnly)
        && let Some(object) = report.details.as_object_mut()
    {
        let entra_locked = diagnosis
            .causes
            .iter()
            .any(|c| c.kind == diagnosis::CauseKind::SmartLockout);
        object.insert(
            "linkedAccounts".into(),
            crate::linked::accounts_json(&gathered.user, &link, Some(entra_locked)),
        );
    }
    Ok((report, gathered, diagnosis))
}

/// The diagnosis as JSON.
pub fn details(gathered: &Gathered, diagnosis: &Diagnosis) -> Value {
    let user = &gathered.user;
    json!({
        "user": {
            "id": user.id,
            "userPrincipalName": resolve::upn(user),
            "displayName": user.display_name,
            "accountEnabled": user.account_enabled,
            "onPremisesSyncEnabled": user.on_premises_sync_enabled,
            "lastPasswordChangeDateTime": user.last_password_change_date_time.map(timestamp),
        },
        "causes": diagnosis.causes.iter().map(cause_json).collect::<Vec<_>>(),
        "lastSuccessfulSignIn": diagnosis.last_success.map(timestamp),
        "privilegedRoles": gathered.privileged_roles,
        "risk": gathered.risky.as_ref().map(|r| json!({
            "level": r.risk_level.as_str(), "state": r.risk_state.as_str(), "detail": r.risk_detail,
        })),
        "methods": gathered.methods.iter().map(|m| m.kind().to_string()).collect::<Vec<_>>(),
        "signInsExamined": gathered.sign_ins.len(),
    })
}

fn cause_json(cause: &Cause) -> Value {
    json!({
        "kind": cause.kind.name(),
        "summary": cause.summary,
        "fix": fix_json(&cause.fix),
        "evidence": cause.evidence.iter().take(20).map(|s| json!({
            "signInId": s.id, "time": timestamp(s.at), "errorCode": s.error_code,
            "ipAddress": s.ip_address, "city": s.city, "country": s.country,
        })).collect::<Vec<_>>(),
    })
}

/// A fix as JSON: a stable `action` and its parameters.
pub fn fix_json(fix: &Fix) -> Value {
    match fix {
        Fix::EnableAccount => json!({"action": "enable_account"}),
        Fix::UnblockSignIn => json!({"action": "unblock_signin"}),
        Fix::WaitForLockout {
            remaining,
            attack_suspected,
            unfamiliar_ips,
        } => json!({
            "action": "wait_or_reset",
            "remainingSeconds": remaining.whole_seconds(),
            "attackSuspected": attack_suspected,
            "unfamiliarIps": unfamiliar_ips,
            "alternatives": ["password_reset", "issue_tap"],
        }),
        Fix::ResetPassword => json!({"action": "password_reset"}),
        Fix::IssueTemporaryAccessPass => json!({"action": "issue_tap"}),
        Fix::ReviewConditionalAccess => json!({"action": "review_conditional_access"}),
        Fix::OnPremises { action } => json!({"action": "on_premises", "detail": action}),
    }
}

/// A human sentence for a fix.
pub fn fix_sentence(fix: &Fix) -> String {
    match fix {
        Fix::EnableAccount => "Re-enable the account.".into(),
        Fix::UnblockSignIn => "Dismiss the user's risk after checking recent sign-ins (keydesk unblock).".into(),
        Fix::WaitForLockout { remaining, attack_suspected, .. } => {
            let when = if remaining.is_positive() {
                format!("in about {} s", remaining.whole_seconds())
            } else {
                "on its own; the last lockout has probably lapsed (repeated lockouts last longer, and Entra does not show how long)".to_string()
            };
            let mut text = format!(
                "Smart lockout has no unlock API: it clears {when}. If the user cannot wait, reset the password or issue a Temporary Access Pass."
            );
            if *attack_suspected {
                text.push_str(" The failures came from unfamiliar addresses: treat it as a possible attack and consider investigating.");
            }
            text
        }
        Fix::ResetPassword => "Reset the password (keydesk reset-password).".into(),
        Fix::IssueTemporaryAccessPass => "Issue a Temporary Access Pass so the user can register MFA (keydesk tap).".into(),
        Fix::ReviewConditionalAccess => "Review the Conditional Access policy that blocks the sign-in; nothing to change on the user.".into(),
        Fix::OnPremises { action } => format!(
            "The account is mastered in on-premises Active Directory: {action}; the change reaches Entra with the next sync (Start-ADSyncSyncCycle -PolicyType Delta)."
        ),
    }
}

fn timestamp(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
