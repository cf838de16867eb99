//! `create_user`: validates the request, prepares the delivery of the temporary password (so a
//! bad recipient aborts before anything exists), creates the account with a generated password
//! that must be changed at first sign-in, delivers it, sets the manager, and reads the account
//! back.
//!
//! The password exists only in the creation request and the delivered message; reports, notes,
//! errors and logs say where it went, never what it was. Licences and group memberships for the
//! new account are out of scope.

use keydesk_core::Secret;
use keydesk_graph::HELPDESK_USER_SELECT;
use keydesk_graph::model::User;
use keydesk_policy::Action;
use serde_json::{Map, Value, json};

use super::{check_phone, profile_json, usage_location};
use crate::delivery::{self, Delivery, SecretKind};
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve};

/// A new account. Give the UPN, or a mail nickname to combine with the tenant's default domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUserRequest {
    pub display_name: String,
    pub upn: Option<String>,
    pub mail_nickname: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    /// The manager (UPN, mail or name); also the default recipient of the password.
    pub manager: Option<String>,
    pub office_location: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phone: Option<String>,
    pub usage_location: Option<String>,
}

/// Characters Entra accepts in the local part of a UPN.
fn upn_local_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c))
}

/// The UPN and mail nickname of the new account, checked against the tenant's verified domains.
async fn identity(ops: &Ops, request: &NewUserRequest) -> Result<(String, String)> {
    let domains = match ops.graph.organization().await {
        Ok(org) => Some(org.verified_domains),
        Err(error) if error.graph().is_some_and(|e| e.is_forbidden()) => None,
        Err(error) => return Err(error.into()),
    };
    let upn = match (
        request.upn.as_deref().map(str::trim),
        request.mail_nickname.as_deref().map(str::trim),
    ) {
        (Some(upn), _) if !upn.is_empty() => upn.to_string(),
        (_, Some(nickname)) if !nickname.is_empty() => {
            let default = domains
                .iter()
                .flatten()
                .find(|d| d.is_default == Some(true))
                .map(|d| d.name.clone())
                .or_else(|| {
                    ops.actor
                        .split_once('@')
                        .map(|(_, domain)| domain.to_string())
                })
                .ok_or_else(|| {
                    Error::InvalidInput(
                        "give the full UPN: the tenant's default domain is unknown".into(),
                    )
                })?;
            format!("{nickname}@{default}")
        }
        _ => {
            return Err(Error::InvalidInput(
                "a UPN or mail nickname is required".into(),
            ));
        }
    };
    let Some((local, domain)) = upn.split_once('@') else {
        return Err(Error::InvalidInput(format!(
            "'{upn}' is not a UPN (name@domain)"
        )));
    };
    if !upn_local_ok(local) || domain.contains('@') {
        return Err(Error::InvalidInput(format!(
            "'{upn}' is not a valid UPN: use letters, digits and ' . - _ ! # ^ ~ before the @, without a leading or trailing dot"
        )));
    }
    if let Some(domains) = &domains
        && !domains.iter().any(|d| d.name.eq_ignore_ascii_case(domain))
    {
        let names: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
        return Err(Error::InvalidInput(format!(
            "'{domain}' is not a verified domain of the tenant ({})",
            names.join(", ")
        )));
    }
    let nickname = request
        .mail_nickname
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(local)
        .to_string();
    if nickname
        .chars()
        .any(|c| c.is_whitespace() || "@()\\[]\";:<>,".contains(c))
    {
        return Err(Error::InvalidInput(format!(
            "'{nickname}' is not a valid mail nickname"
        )));
    }
    Ok((upn, nickname))
}

/// The POST body. The password is in it, so it is built just before sending and dropped after.
fn creation_body(
    request: &NewUserRequest,
    upn: &str,
    nickname: &str,
    password: &Secret,
) -> Result<Value> {
    let mut body = Map::new();
    body.insert("accountEnabled".into(), json!(true));
    body.insert("displayName".into(), json!(request.display_name.trim()));
    body.insert("mailNickname".into(), json!(nickname));
    body.insert("userPrincipalName".into(), json!(upn));
    body.insert(
        "passwordProfile".into(),
        json!({"password": password.expose(), "forceChangePasswordNextSignIn": true}),
    );
    let optional = [
        ("givenName", &request.given_name),
        ("surname", &request.surname),
        ("department", &request.department),
        ("jobTitle", &request.job_title),
        ("officeLocation", &request.office_location),
        ("mobilePhone", &request.mobile_phone),
    ];
    for (property, value) in optional {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            body.insert(property.into(), json!(value));
        }
    }
    if let Some(phone) = request
        .business_phone
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        body.insert("businessPhones".into(), json!([phone]));
    }
    if let Some(code) = request
        .usage_location
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        body.insert("usageLocation".into(), json!(usage_location(code)?));
    }
    Ok(Value::Object(body))
}

fn validate(request: &NewUserRequest) -> Result<()> {
    let name = request.display_name.trim();
    if name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(
            "a display name (1 to 256 characters) is required".into(),
        ));
    }
    for (field, phone) in [
        ("mobile phone", &request.mobile_phone),
        ("business phone", &request.business_phone),
    ] {
        if let Some(phone) = phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            check_phone(field, phone)?;
        }
    }
    if let Some(code) = request
        .usage_location
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        usage_location(code)?;
    }
    Ok(())
}

/// `create_user`: creates an account whose temporary password goes to `delivery` (the manager by
/// default, see [`Delivery::Manager`]).
pub async fn create_user(
    ops: &Ops,
    request: &NewUserRequest,
    delivery: &Delivery,
    mode: &Mode,
) -> Result<Report> {
    validate(request)?;
    let (upn, nickname) = identity(ops, request).await?;
    if ops.graph.find_user(&upn, &["id"]).await?.is_some() {
        return Err(Error::InvalidInput(format!("{upn} already exists")));
    }
    let manager = match request
        .manager
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(query) => Some(resolve::user(&ops.graph, query).await?),
        None => None,
    };
    // The account does not exist yet, so "the manager" is named explicitly for delivery.
    let delivery = match (delivery, &manager) {
        (Delivery::Manager, Some(manager)) => Delivery::MailTo(resolve::upn(manager)),
        (Delivery::Manager, None) => {
            return Err(Error::refused(
                format!(
                    "no manager was given for {upn}, so nobody can receive the temporary password"
                ),
                "name the manager, deliver to a named person, or reveal the password once to the operator",
            ));
        }
        (other, _) => other.clone(),
    };
    let placeholder = User {
        user_principal_name: Some(upn.clone()),
        display_name: Some(request.display_name.trim().to_string()),
        mail: Some(upn.clone()),
        ..User::default()
    };
    let recipient = delivery::prepare(ops, &placeholder, &delivery).await?;
    let lowered = upn.to_lowercase();
    let mut report = Report::new("create_user", Some(&lowered));
    let to = match (&delivery, &recipient) {
        (Delivery::Reveal, _) => "show it once to the operator".to_string(),
        (_, Some(to)) => format!("deliver it to {to}"),
        (_, None) => "deliver it".to_string(),
    };
    let manager_upn = manager.as_ref().map(resolve::upn);
    report.details = json!({
        "request": {
            "userPrincipalName": lowered, "mailNickname": nickname, "displayName": request.display_name.trim(),
            "department": request.department, "jobTitle": request.job_title, "officeLocation": request.office_location,
            "usageLocation": request.usage_location,
        },
        "manager": manager_upn,
        "delivery": recipient,
        "forceChangePasswordNextSignIn": true,
    });
    let status = if mode.is_dry_run() {
        StepStatus::Planned
    } else {
        StepStatus::Done
    };
    let plan_create = format!(
        "create {lowered} with a generated temporary password that must be changed at first sign-in"
    );
    if mode.plan_only(&[Action::CreateUser], report.target.as_deref())? {
        report.step("create", plan_create, status);
        report.step("deliver", to.clone(), status);
        if let Some(manager) = &manager_upn {
            report.step(
                "set_manager",
                format!("set the manager to {manager}"),
                status,
            );
        }
        report.outcome = Outcome::Planned;
        report.summary = format!("Would create {lowered} and {to}.");
        return Ok(report);
    }

    let password = keydesk_core::secret::generate_password_os(ops.settings.password_length)
        .map_err(|e| {
            Error::Delivery(format!(
                "the operating system's random generator failed: {e}"
            ))
        })?;
    let body = creation_body(request, &upn, &nickname, &password)?;
    let created: User = ops.graph.post("users", &body).await?;
    drop(body);
    report.step(
        "create",
        format!("created {lowered} (id {})", created.id),
        status,
    );
    report.details["user"] = profile_json(&created);

    let mut failures = Vec::new();
    match delivery::deliver(
        ops,
        &created,
        &password,
        SecretKind::TemporaryPassword,
        &delivery,
        recipient.as_deref(),
        &mut report,
    )
    .await
    {
        Ok(delivered) => report.details["delivered"] = json!(delivered),
        Err(error) => {
            report.step(
                "deliver",
                format!("delivery failed: {error}"),
                StepStatus::Failed,
            );
            report.note(format!("The account exists but its temporary password was not delivered: reset it (keydesk reset-password {lowered}) to issue a new one."));
            failures.push("the password was not delivered");
        }
    }
    drop(password);
    if let Some(manager) = &manager {
        match ops.graph.set_manager(&created.id, &manager.id).await {
            Ok(()) => report.step(
                "set_manager",
                format!("manager set to {}", resolve::upn(manager)),
                StepStatus::Done,
            ),
            Err(error) => {
                report.step(
                    "set_manager",
                    format!("setting the manager failed: {}", error.explain()),
                    StepStatus::Failed,
                );
                failures.push("the manager was not set");
            }
        }
    }

    verify(
        ops,
        &created,
        request,
        manager.as_ref(),
        &mut report,
        &mut failures,
    )
    .await?;
    if failures.is_empty() {
        report.outcome = Outcome::Done;
        report.summary = format!(
            "Created {lowered}; the temporary password went to {}.",
            recipient.as_deref().unwrap_or("the operator")
        );
    } else {
        report.outcome = Outcome::Failed;
        report.summary = format!("Created {lowered}, but {}.", failures.join(" and "));
    }
    Ok(report)
}

/// Reads the new account back (retrying while the directory catches up).
async fn verify(
    ops: &Ops,
    created: &User,
    request: &NewUserRequest,
    manager: Option<&User>,
    report: &mut Report,
    failures: &mut Vec<&'static str>,
) -> Result<()> {
    let mut after = None;
    for attempt in 0..3 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        if let Some(user) = ops
            .graph
            .find_user(&created.id, HELPDESK_USER_SELECT)
            .await?
        {
            after = Some(user);
            break;
        }
    }
    let Some(after) = after else {
        report.note(
            "The new account could not be read back yet; directory replication can lag a little.",
        );
        failures.push("the account could not be read back");
        return Ok(());
    };
    report.verify(format!(
        "{} reads back, enabled: {}",
        resolve::upn(&after),
        after.account_enabled.unwrap_or(true)
    ));
    let expected = [
        ("department", &request.department, &after.department),
        ("jobTitle", &request.job_title, &after.job_title),
        (
            "officeLocation",
            &request.office_location,
            &after.office_location,
        ),
    ];
    for (property, wanted, got) in expected {
        if let Some(wanted) = wanted.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            if got.as_deref() == Some(wanted) {
                report.verify(format!("{property} is '{wanted}'"));
            } else {
                report.note(format!("{property} reads back as {got:?}, not '{wanted}'"));
            }
        }
    }
    if let Some(manager) = manager {
        let now = ops.graph.get_manager(&created.id).await?;
        if now.as_ref().is_some_and(|m| m.id == manager.id) {
            report.verify(format!("manager is {}", resolve::upn(manager)));
        } else if !failures.contains(&"the manager was not set") {
            failures.push("the manager does not read back");
        }
    }
    report.details["user"] = profile_json(&after);
    Ok(())
}
