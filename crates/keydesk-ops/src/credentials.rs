//! Credential workflows: `password_reset`, `mfa_reset`, `issue_tap`, `unblock_signin`,
//! `revoke_sessions` and `disable_account`.
//!
//! Each one reads the user first, refuses what Entra would refuse (synced users for password and
//! enable changes) with guidance, prepares the out-of-band delivery before changing anything, and
//! verifies the result by reading it back. Temporary passwords come from the OS generator and
//! leave only through [`crate::delivery`].

use keydesk_core::Secret;
use keydesk_graph::model::{AuthMethod, TapRequest, User};
use keydesk_policy::Action;
use serde_json::json;
use time::OffsetDateTime;

use crate::delivery::{self, Delivery, SecretKind};
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve, roles};

/// Options of a password reset.
#[derive(Debug, Clone)]
pub struct PasswordResetOptions {
    pub delivery: Delivery,
    pub revoke_sessions: bool,
}

/// Options of a Temporary Access Pass.
#[derive(Debug, Clone)]
pub struct TapOptions {
    pub lifetime_minutes: Option<u32>,
    pub usable_once: bool,
    pub delivery: Delivery,
}

/// Options of an MFA reset.
#[derive(Debug, Clone)]
pub struct MfaResetOptions {
    /// Issue a TAP before removing methods, so the user is not stranded.
    pub tap: Option<TapOptions>,
}

fn synced_refusal(user: &User, what: &str) -> Error {
    Error::refused(
        format!(
            "{} is synced from on-premises Active Directory; Entra refuses {what} for it",
            resolve::upn(user)
        ),
        "make the change in Active Directory (e.g. Set-ADAccountPassword / Enable-ADAccount), then let Entra Connect sync it (Start-ADSyncSyncCycle -PolicyType Delta)",
    )
}

/// Resets a password to a generated temporary one that must be changed at next sign-in.
pub async fn password_reset(
    ops: &Ops,
    query: &str,
    options: &PasswordResetOptions,
    mode: &Mode,
) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    password_reset_user(ops, &user, options, mode).await
}

/// [`password_reset`] for an already resolved user.
pub async fn password_reset_user(
    ops: &Ops,
    user: &User,
    options: &PasswordResetOptions,
    mode: &Mode,
) -> Result<Report> {
    let upn = resolve::upn(user);
    let mut report = Report::new("password_reset", Some(&upn));
    if user.on_premises_sync_enabled == Some(true) {
        if ops.ad.is_some() {
            return password_reset_in_ad(ops, user, options, mode).await;
        }
        return Err(synced_refusal(user, "password changes"));
    }
    let privileged = roles::privileged_roles_of(ops, &user.id).await?;
    let path = if privileged.is_empty() {
        "passwordProfile (PATCH /users/{id})"
    } else {
        "the authentication methods API (resetPassword), as the target holds a privileged role"
    };
    let recipient = delivery::prepare(ops, user, &options.delivery).await?;
    let plan_delivery = match (&options.delivery, &recipient) {
        (Delivery::Reveal, _) => "show it once to the operator".to_string(),
        (_, Some(to)) => format!("deliver it to {to}"),
        (_, None) => "deliver it".to_string(),
    };
    report.details = json!({
        "privilegedRoles": privileged,
        "path": if privileged.is_empty() { "passwordProfile" } else { "authenticationMethods" },
        "forceChangePasswordNextSignIn": true,
        "delivery": recipient,
        "revokeSessions": options.revoke_sessions,
    });
    if mode.plan_only(
        &[
            Action::PasswordReset,
            Action::UnlockAccount,
            Action::ContainCompromise,
        ],
        report.target.as_deref(),
    )? {
        report.outcome = Outcome::Planned;
        report.step(
            "generate",
            format!(
                "generate a {}-character temporary password",
                ops.settings.password_length.max(14)
            ),
            StepStatus::Planned,
        );
        report.step(
            "reset",
            format!("set it through {path}, forcing a change at next sign-in"),
            StepStatus::Planned,
        );
        if options.revoke_sessions {
            report.step(
                "revoke_sessions",
                "revoke refresh tokens and sessions",
                StepStatus::Planned,
            );
        }
        report.step("deliver", plan_delivery, StepStatus::Planned);
        report.summary = format!(
            "Would reset {upn}'s password and {}.",
            report
                .steps
                .last()
                .map(|s| s.detail.clone())
                .unwrap_or_default()
        );
        return Ok(report);
    }

    let started = OffsetDateTime::now_utc();
    let password = keydesk_core::secret::generate_password_os(ops.settings.password_length)
        .map_err(|e| {
            Error::Delivery(format!(
                "the operating system's random generator failed: {e}"
            ))
        })?;
    report.step(
        "generate",
        format!(
            "generated a {}-character temporary password",
            password.len()
        ),
        StepStatus::Done,
    );
    if privileged.is_empty() {
        ops.graph
            .set_password_profile(&user.id, &password, true)
            .await?;
        report.step(
            "reset",
            "passwordProfile set; change required at next sign-in",
            StepStatus::Done,
        );
    } else {
        match ops
            .graph
            .reset_password_via_methods(&user.id, Some(&password))
            .await
        {
            Ok(reset)
                if reset.operation.status == keydesk_graph::model::OperationStatus::Succeeded =>
            {
                report.step(
                    "reset",
                    "reset through the authentication methods API (operation succeeded)",
                    StepStatus::Done,
                );
            }
            Ok(_) => {
                return Err(Error::refused(
                    format!("Graph's password reset operation for {upn} did not succeed"),
                    "check the user's audit log; nothing was delivered",
                ));
            }
            // Graph documents the methods API reset as delegated-only, so an app may be refused.
            // passwordProfile then works if the app's service principal holds Privileged
            // Authentication Administrator (Graph answers 403 otherwise, and nothing changed).
            Err(keydesk_graph::Error::Graph(error)) if matches!(error.status, 400 | 403) => {
                let code = error.code.clone().unwrap_or_else(|| "refused".into());
                report.step("reset", format!("the authentication methods API refused an app-only reset ({code}); falling back to passwordProfile"), StepStatus::Skipped);
                ops.graph
                    .set_password_profile(&user.id, &password, true)
                    .await?;
                report.step(
                    "reset",
                    "passwordProfile set; change required at next sign-in",
                    StepStatus::Done,
                );
            }
            Err(error) => return Err(error.into()),
        }
    }
    if options.revoke_sessions {
        revoke(ops, user, &mut report).await?;
    }
    delivery::deliver(
        ops,
        user,
        &password,
        SecretKind::TemporaryPassword,
        &options.delivery,
        recipient.as_deref(),
        &mut report,
    )
    .await?;

    let after = ops
        .graph
        .get_user(
            &user.id,
            &[
                "id",
                "lastPasswordChangeDateTime",
                "signInSessionsValidFromDateTime",
            ],
        )
        .await?;
    let changed = after
        .last_password_change_date_time
        .is_some_and(|t| t >= started - time::Duration::seconds(5));
    if changed {
        report.verify("lastPasswordChangeDateTime moved to the reset time");
    } else {
        report.note(
            "Graph did not show a new lastPasswordChangeDateTime yet; it can lag behind the reset.",
        );
    }
    if options.revoke_sessions {
        report.note("Revoking sessions does not end access tokens already issued; they expire within about an hour.");
    }
    report.outcome = Outcome::Done;
    report.summary = format!("Reset {upn}'s password; the user must change it at next sign-in.");
    Ok(report)
}

/// [`password_reset_user`] for a synced user, in Active Directory: a generated password set as
/// `unicodePwd` with `pwdLastSet` = 0 (change at next logon), read back, then delivered. AD's
/// password policy decides; a refusal comes back with AD's reason and nothing is delivered.
async fn password_reset_in_ad(
    ops: &Ops,
    user: &User,
    options: &PasswordResetOptions,
    mode: &Mode,
) -> Result<Report> {
    let upn = resolve::upn(user);
    let mut report = Report::new("password_reset", Some(&upn));
    let ad = ops.ad.as_ref().ok_or_else(|| {
        Error::refused(
            "Active Directory is not configured",
            crate::linked::NOT_CONFIGURED,
        )
    })?;
    let found = crate::linked::require(ops, user).await?;
    let account = found.account;
    let dn = account.dn.clone();
    let recipient = delivery::prepare(ops, user, &options.delivery).await?;
    let plan_delivery = match (&options.delivery, &recipient) {
        (Delivery::Reveal, _) => "show it once to the operator".to_string(),
        (_, Some(to)) => format!("deliver it to {to}"),
        (_, None) => "deliver it".to_string(),
    };
    report.details = json!({
        "store": crate::linked::STORE_AD,
        "adAccount": crate::linked::account_json(&account, Some(&found.anchor)),
        "forceChangePasswordNextSignIn": true,
        "delivery": recipient,
        "revokeSessions": options.revoke_sessions,
    });
    let length = ops.settings.password_length.max(14);
    if mode.plan_only(
        &[
            Action::PasswordReset,
            Action::UnlockAccount,
            Action::ContainCompromise,
        ],
        report.target.as_deref(),
    )? {
        report.outcome = Outcome::Planned;
        report.step(
            "generate",
            format!("generate a {length}-character temporary password"),
            StepStatus::Planned,
        );
        report.step(
            "ad_reset_password",
            format!("in Active Directory: set it as the password of {dn} (unicodePwd), change required at next logon (pwdLastSet = 0)"),
            StepStatus::Planned,
        );
        if options.revoke_sessions {
            report.step(
                "revoke_sessions",
                "revoke refresh tokens and sessions in Entra ID",
                StepStatus::Planned,
            );
        }
        report.step("deliver", plan_delivery, StepStatus::Planned);
        report.summary = format!(
            "Would reset {upn}'s password in Active Directory ({dn}) and {}.",
            report
                .steps
                .last()
                .map(|s| s.detail.clone())
                .unwrap_or_default()
        );
        return Ok(report);
    }
    let Mode::Execute(approved) = mode else {
        return Err(Error::refused(
            "this change is not authorized",
            "plan and authorize it through keydesk's guard",
        ));
    };
    let password = keydesk_core::secret::generate_password_os(ops.settings.password_length)
        .map_err(|e| {
            Error::Delivery(format!(
                "the operating system's random generator failed: {e}"
            ))
        })?;
    report.step(
        "generate",
        format!(
            "generated a {}-character temporary password",
            password.len()
        ),
        StepStatus::Done,
    );
    let after = ad
        .reset_password(approved, &account, &password, true)
        .await?;
    report.step(
        "ad_reset_password",
        format!("password set on {dn}; change required at next logon"),
        StepStatus::Done,
    );
    report.verify(format!(
        "Active Directory: pwdLastSet is 0 on {} (the user must change the password at next logon)",
        after.dn
    ));
    if options.revoke_sessions {
        revoke(ops, user, &mut report).await?;
    }
    delivery::deliver(
        ops,
        user,
        &password,
        SecretKind::TemporaryPassword,
        &options.delivery,
        recipient.as_deref(),
        &mut report,
    )
    .await?;
    report.note(crate::linked::SYNC_NOTE);
    report.outcome = Outcome::Done;
    report.summary = format!(
        "Reset {upn}'s password in Active Directory ({dn}); the user must change it at next logon."
    );
    Ok(report)
}

async fn revoke(ops: &Ops, user: &User, report: &mut Report) -> Result<()> {
    let revoked = ops.graph.revoke_sign_in_sessions(&user.id).await?;
    if !revoked {
        return Err(Error::refused(
            "Graph did not confirm the session revocation",
            "retry keydesk revoke",
        ));
    }
    report.step(
        "revoke_sessions",
        "refresh tokens and sessions revoked",
        StepStatus::Done,
    );
    Ok(())
}

/// Issues a Temporary Access Pass and delivers it out of band.
pub async fn issue_tap(
    ops: &Ops,
    query: &str,
    options: &TapOptions,
    mode: &Mode,
) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    issue_tap_user(ops, &user, options, mode).await
}

/// [`issue_tap`] for an already resolved user.
pub async fn issue_tap_user(
    ops: &Ops,
    user: &User,
    options: &TapOptions,
    mode: &Mode,
) -> Result<Report> {
    let mut report = Report::new("issue_tap", Some(&resolve::upn(user)));
    let recipient = delivery::prepare(ops, user, &options.delivery).await?;
    if mode.plan_only(
        &[
            Action::IssueTap,
            Action::UnlockAccount,
            Action::MfaReset,
            Action::ContainCompromise,
        ],
        report.target.as_deref(),
    )? {
        report.outcome = Outcome::Planned;
        tap_step(
            &mut report,
            options,
            recipient.as_deref(),
            StepStatus::Planned,
        );
        report.summary = format!(
            "Would issue a Temporary Access Pass for {}.",
            resolve::upn(user)
        );
        return Ok(report);
    }
    create_and_deliver_tap(ops, user, options, recipient.as_deref(), &mut report).await?;
    report.outcome = Outcome::Done;
    report.summary = format!("Issued a Temporary Access Pass for {}.", resolve::upn(user));
    Ok(report)
}

fn tap_step(
    report: &mut Report,
    options: &TapOptions,
    recipient: Option<&str>,
    status: StepStatus,
) {
    let lifetime = options
        .lifetime_minutes
        .map_or("the policy's default lifetime".to_string(), |m| {
            format!("{m} minutes")
        });
    let usage = if options.usable_once {
        "one-time use"
    } else {
        "multi-use"
    };
    let to = recipient.map_or("the operator (shown once)".to_string(), str::to_string);
    report.step(
        "issue_tap",
        format!("create a Temporary Access Pass ({lifetime}, {usage}) for {to}"),
        status,
    );
}

async fn create_and_deliver_tap(
    ops: &Ops,
    user: &User,
    options: &TapOptions,
    recipient: Option<&str>,
    report: &mut Report,
) -> Result<()> {
    let request = TapRequest {
        lifetime_in_minutes: options.lifetime_minutes,
        is_usable_once: options.usable_once,
        ..TapRequest::default()
    };
    let tap = ops.graph.create_tap_with(&user.id, &request).await?;
    let pass: Secret = tap.temporary_access_pass.clone().ok_or_else(|| {
        Error::Delivery("Graph created the TAP but did not return its value".into())
    })?;
    report.step(
        "issue_tap",
        format!(
            "Temporary Access Pass created ({} minutes, {})",
            tap.lifetime_in_minutes.unwrap_or(0),
            if tap.is_usable_once == Some(true) {
                "one-time use"
            } else {
                "multi-use"
            }
        ),
        StepStatus::Done,
    );
    delivery::deliver(
        ops,
        user,
        &pass,
        SecretKind::TemporaryAccessPass,
        &options.delivery,
        recipient,
        report,
    )
    .await?;
    let methods = ops.graph.list_methods(&user.id).await?;
    if methods
        .iter()
        .any(|m| matches!(m, AuthMethod::TemporaryAccessPass(_)))
    {
        report.verify("the Temporary Access Pass is registered");
    }
    Ok(())
}

/// The order Graph accepts for removing methods: alternate phones before the mobile phone, and
/// the default method last.
fn removal_order(methods: Vec<AuthMethod>, default_kind: Option<&str>) -> Vec<AuthMethod> {
    let rank = |method: &AuthMethod| -> u8 {
        let is_default = default_kind.is_some_and(|kind| matches_preference(method, kind));
        match method {
            _ if is_default => 3,
            AuthMethod::Phone(phone) if phone.phone_type.as_deref() == Some("mobile") => 2,
            _ => 1,
        }
    };
    let mut methods = methods;
    methods.sort_by_key(|m| rank(m));
    methods
}

fn matches_preference(method: &AuthMethod, preference: &str) -> bool {
    match (method, preference) {
        (AuthMethod::MicrosoftAuthenticator(_), "push") => true,
        (AuthMethod::Phone(phone), "sms" | "voiceMobile") => {
            phone.phone_type.as_deref() == Some("mobile")
        }
        (AuthMethod::Phone(phone), "voiceAlternateMobile") => {
            phone.phone_type.as_deref() == Some("alternateMobile")
        }
        (AuthMethod::Phone(phone), "voiceOffice") => phone.phone_type.as_deref() == Some("office"),
        (AuthMethod::SoftwareOath(_), "oath") => true,
        _ => false,
    }
}

/// Removes every registered method except the password (and a fresh TAP), optionally issuing
/// a TAP first so the user can register again.
pub async fn mfa_reset(
    ops: &Ops,
    query: &str,
    options: &MfaResetOptions,
    mode: &Mode,
) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let mut report = Report::new("mfa_reset", Some(&upn));
    let methods: Vec<AuthMethod> = ops
        .graph
        .list_methods(&user.id)
        .await?
        .into_iter()
        .filter(|m| m.is_deletable() && !matches!(m, AuthMethod::TemporaryAccessPass(_)))
        .collect();
    let default_kind = ops
        .graph
        .get_sign_in_preferences(&user.id)
        .await
        .ok()
        .and_then(|p| p.user_preferred_method_for_secondary_authentication);
    let ordered = removal_order(methods, default_kind.as_deref());
    let recipient = match &options.tap {
        Some(tap) => delivery::prepare(ops, &user, &tap.delivery).await?,
        None => None,
    };
    report.details = json!({
        "methods": ordered.iter().map(|m| json!({"type": m.kind(), "id": m.id()})).collect::<Vec<_>>(),
        "default": default_kind,
        "tapFirst": options.tap.is_some(),
    });
    if ordered.is_empty() && options.tap.is_none() {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("{upn} has no registered methods besides the password.");
        return Ok(report);
    }
    if mode.plan_only(
        &[Action::MfaReset, Action::ContainCompromise],
        report.target.as_deref(),
    )? {
        if let Some(tap) = &options.tap {
            tap_step(&mut report, tap, recipient.as_deref(), StepStatus::Planned);
        }
        for method in &ordered {
            report.step(
                "remove_method",
                format!("remove {} ({})", method.kind(), method.id()),
                StepStatus::Planned,
            );
        }
        report.outcome = Outcome::Planned;
        report.summary = format!("Would remove {} methods from {upn}.", ordered.len());
        return Ok(report);
    }
    if let Some(tap) = &options.tap {
        create_and_deliver_tap(ops, &user, tap, recipient.as_deref(), &mut report).await?;
    }
    let mut pending = ordered;
    let mut deferred = Vec::new();
    // One extra round: a method Graph calls the default is retried after all others.
    for _ in 0..2 {
        for method in pending.drain(..) {
            match ops.graph.delete_method(&user.id, &method).await {
                Ok(()) => report.step(
                    "remove_method",
                    format!("removed {} ({})", method.kind(), method.id()),
                    StepStatus::Done,
                ),
                Err(keydesk_graph::Error::Graph(error)) if error.status == 400 => {
                    deferred.push(method)
                }
                Err(error) => return Err(error.into()),
            }
        }
        pending = std::mem::take(&mut deferred);
        if pending.is_empty() {
            break;
        }
    }
    for method in &pending {
        report.step(
            "remove_method",
            format!(
                "Graph refused to remove {} ({})",
                method.kind(),
                method.id()
            ),
            StepStatus::Failed,
        );
    }
    let remaining: Vec<String> = ops
        .graph
        .list_methods(&user.id)
        .await?
        .iter()
        .filter(|m| {
            !matches!(
                m,
                AuthMethod::Password(_) | AuthMethod::TemporaryAccessPass(_)
            )
        })
        .map(|m| m.kind().to_string())
        .collect();
    if remaining.is_empty() {
        report.verify("only the password (and the new Temporary Access Pass) remain");
        report.outcome = Outcome::Done;
        report.summary = format!("Reset {upn}'s MFA: the user registers again at next sign-in.");
    } else {
        report.outcome = Outcome::Failed;
        report.summary = format!("Some methods of {upn} remain: {}.", remaining.join(", "));
    }
    Ok(report)
}

/// Dismisses a user's risk, unless recent sign-ins look like a compromise.
pub async fn unblock_signin(ops: &Ops, query: &str, mode: &Mode) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    unblock_signin_user(ops, &user, mode).await
}

/// [`unblock_signin`] for an already resolved user.
pub async fn unblock_signin_user(ops: &Ops, user: &User, mode: &Mode) -> Result<Report> {
    let upn = resolve::upn(user);
    let mut report = Report::new("unblock_signin", Some(&upn));
    let Some(risky) = ops.graph.get_risky_user(&user.id).await? else {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("{upn} is not a risky user; risk policy is not what blocks them.");
        return Ok(report);
    };
    let state = risky.risk_state.as_str();
    if !matches!(state, "atRisk" | "confirmedCompromised") {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("{upn}'s risk is already {state}.");
        return Ok(report);
    }
    if state == "confirmedCompromised" {
        return Err(Error::refused(
            format!("{upn} was confirmed compromised"),
            "contain and remediate first (keydesk investigate --contain); a password reset remediates the risk",
        ));
    }
    let since = OffsetDateTime::now_utc() - time::Duration::days(ops.settings.sign_in_window_days);
    let detections = ops.graph.risk_detections_for_user(&user.id).await?;
    let suspicious: Vec<String> = detections
        .iter()
        .filter(|d| d.detected_date_time.is_none_or(|t| t >= since))
        .filter(|d| d.activity.as_deref() == Some("signin"))
        .filter_map(|d| d.risk_event_type.clone())
        .collect();
    let risky_successes = ops
        .graph
        .sign_ins(
            &keydesk_graph::SignInQuery {
                user_id: Some(user.id.clone()),
                since: Some(since),
                ..Default::default()
            },
            1000,
        )
        .await?
        .into_iter()
        .filter(|s| s.status.as_ref().is_some_and(|st| st.error_code == Some(0)))
        .filter(|s| {
            matches!(
                s.risk_level_during_sign_in.as_deref(),
                Some("medium" | "high")
            )
        })
        .count();
    report.details = json!({
        "riskLevel": risky.risk_level.as_str(),
        "riskState": state,
        "riskDetail": risky.risk_detail,
        "signInRiskDetections": suspicious,
        "riskySuccessfulSignIns": risky_successes,
        "detections": detections.iter().map(|d| d.risk_event_type.clone()).collect::<Vec<_>>(),
    });
    if !suspicious.is_empty() || risky_successes > 0 {
        return Err(Error::refused(
            format!(
                "recent sign-ins of {upn} look like a compromise ({} risky sign-in detections, {risky_successes} risky successful sign-ins)",
                suspicious.len()
            ),
            format!("investigate before unblocking: keydesk investigate {upn}"),
        ));
    }
    if detections
        .iter()
        .any(|d| d.risk_event_type.as_deref() == Some("leakedCredentials"))
    {
        report.note("The risk comes from leaked credentials: reset the password too, or the leaked one still works.");
    }
    if mode.plan_only(
        &[
            Action::UnblockSignin,
            Action::UnlockAccount,
            Action::ContainCompromise,
        ],
        report.target.as_deref(),
    )? {
        report.step(
            "dismiss_risk",
            "dismiss the user's risk in Identity Protection",
            StepStatus::Planned,
        );
        report.outcome = Outcome::Planned;
        report.summary = format!("Would dismiss {upn}'s risk.");
        return Ok(report);
    }
    ops.graph.dismiss_risky_users(&[user.id.as_str()]).await?;
    report.step(
        "dismiss_risk",
        "risk dismissed in Identity Protection",
        StepStatus::Done,
    );
    let after = ops.graph.get_risky_user(&user.id).await?;
    if after
        .as_ref()
        .is_some_and(|r| r.risk_state.as_str() == "dismissed")
    {
        report.verify("riskState is dismissed");
        report.outcome = Outcome::Done;
        report.summary = format!("Unblocked {upn}: risk dismissed.");
    } else {
        report.outcome = Outcome::Failed;
        report.summary =
            format!("Dismissed {upn}'s risk, but Graph does not show it dismissed yet.");
    }
    Ok(report)
}

/// Revokes refresh tokens and sessions.
pub async fn revoke_sessions(ops: &Ops, query: &str, mode: &Mode) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let mut report = Report::new("revoke_sessions", Some(&upn));
    if mode.plan_only(
        &[Action::RevokeSessions, Action::ContainCompromise],
        report.target.as_deref(),
    )? {
        report.step(
            "revoke_sessions",
            "revoke refresh tokens and sessions",
            StepStatus::Planned,
        );
        report.outcome = Outcome::Planned;
        report.summary = format!("Would revoke {upn}'s sessions.");
        return Ok(report);
    }
    let started = OffsetDateTime::now_utc();
    revoke(ops, &user, &mut report).await?;
    let after = ops
        .graph
        .get_user(&user.id, &["id", "signInSessionsValidFromDateTime"])
        .await?;
    if after
        .sign_in_sessions_valid_from_date_time
        .is_some_and(|t| t >= started - time::Duration::seconds(5))
    {
        report.verify("signInSessionsValidFromDateTime moved to now");
    }
    report.note("Access tokens already issued stay valid until they expire (about an hour) unless the resource supports continuous access evaluation.");
    report.outcome = Outcome::Done;
    report.summary = format!("Revoked {upn}'s sessions.");
    Ok(report)
}

/// Disables the account and revokes its sessions.
pub async fn disable_account(ops: &Ops, query: &str, mode: &Mode) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let mut report = Report::new("disable_account", Some(&upn));
    if user.on_premises_sync_enabled == Some(true) {
        return Err(synced_refusal(&user, "enable/disable changes"));
    }
    if user.account_enabled == Some(false) {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("{upn} is already disabled.");
        return Ok(report);
    }
    if mode.plan_only(
        &[Action::DisableAccount, Action::ContainCompromise],
        report.target.as_deref(),
    )? {
        report.step(
            "disable",
            "set accountEnabled to false",
            StepStatus::Planned,
        );
        report.step(
            "revoke_sessions",
            "revoke refresh tokens and sessions",
            StepStatus::Planned,
        );
        report.outcome = Outcome::Planned;
        report.summary = format!("Would disable {upn}.");
        return Ok(report);
    }
    ops.graph.set_account_enabled(&user.id, false).await?;
    report.step("disable", "accountEnabled set to false", StepStatus::Done);
    revoke(ops, &user, &mut report).await?;
    let after = ops
        .graph
        .get_user(&user.id, &["id", "accountEnabled"])
        .await?;
    if after.account_enabled == Some(false) {
        report.verify("accountEnabled is false");
        report.outcome = Outcome::Done;
        report.summary = format!("Disabled {upn} and revoked their sessions.");
    } else {
        report.outcome = Outcome::Failed;
        report.summary = format!("Graph still shows {upn} enabled.");
    }
    Ok(report)
}
