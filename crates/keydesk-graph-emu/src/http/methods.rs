//! `/users/{id}/authentication/...`: registered methods per type, the rules Graph applies when
//! deleting them, Temporary Access Pass creation, the long-running password reset, and the
//! authentication methods registration report.
//!
//! This service speaks its own error dialect (`badRequest` with `innerError.message`).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::collection::{self, Listing, to_json};
use super::{GraphRequest, GraphResult, Reply, graph_timestamp};
use crate::error::GraphError;
use crate::model::{AuthMethod, PasswordResetOperation, Timestamp, UserRecord, ids};
use crate::odata::Supported;
use crate::tenant::{hash_password, may_reset_password, user_target};

const READ: &[&str] = &[
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];
const WRITE: &[&str] = &["UserAuthenticationMethod.ReadWrite.All"];

/// The TAP policy of the demo tenant (Graph's common defaults).
pub const TAP_MIN_MINUTES: u32 = 60;
pub const TAP_MAX_MINUTES: u32 = 480;
pub const TAP_DEFAULT_MINUTES: u32 = 60;
pub const TAP_LENGTH: usize = 8;

const TYPED: &[&str] = &[
    "phoneMethods",
    "microsoftAuthenticatorMethods",
    "fido2Methods",
    "emailMethods",
    "softwareOathMethods",
    "windowsHelloForBusinessMethods",
    "temporaryAccessPassMethods",
    "platformCredentialMethods",
];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::auth_methods(StatusCode::BAD_REQUEST, "badRequest", message)
}

fn method_not_found(id: &str) -> GraphError {
    GraphError::auth_methods(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        format!("The requested authentication method '{id}' was not found."),
    )
}

pub fn route(request: &GraphRequest<'_>, user: &str, rest: &[&str]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] if *method == Method::GET => {
            request.require(READ)?;
            request.shared.tenant().user(user)?;
            Ok(Reply::ok(json!({
                "@odata.context": request.context(&format!("users('{user}')/authentication/$entity")),
                "id": user
            })))
        }
        ["methods"] if *method == Method::GET => list(request, user, None),
        ["methods", id] => match *method {
            Method::GET => get(request, user, None, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["methods" | "passwordMethods", id, "resetPassword"] if *method == Method::POST => {
            reset_password(request, user, id)
        }
        ["passwordMethods"] if *method == Method::GET => {
            list(request, user, Some("passwordMethods"))
        }
        ["passwordMethods", id] => match *method {
            Method::GET => get(request, user, Some("passwordMethods"), id),
            Method::DELETE => Err(bad("The password authentication method cannot be deleted.")),
            _ => Err(GraphError::method_not_allowed()),
        },
        [kind] if TYPED.contains(kind) => match *method {
            Method::GET => list(request, user, Some(kind)),
            Method::POST => create(request, user, kind),
            _ => Err(GraphError::method_not_allowed()),
        },
        [kind, id] if TYPED.contains(kind) => match *method {
            Method::GET => get(request, user, Some(kind), id),
            Method::DELETE => delete(request, user, kind, id),
            Method::PATCH if *kind == "phoneMethods" || *kind == "emailMethods" => {
                update(request, user, kind, id)
            }
            _ => Err(GraphError::method_not_allowed()),
        },
        ["operations"] if *method == Method::GET => operations(request, user, None),
        ["operations", id] if *method == Method::GET => operations(request, user, Some(id)),
        ["signInPreferences"] if request.version == super::ApiVersion::Beta => match *method {
            Method::GET => sign_in_preferences(request, user),
            Method::PATCH => set_sign_in_preferences(request, user),
            _ => Err(GraphError::method_not_allowed()),
        },
        [segment, ..] => Err(GraphError::unknown_segment(segment)),
        [] => Err(GraphError::method_not_allowed()),
    }
}

fn password_method(record: &UserRecord) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": ids::PASSWORD_METHOD,
        "password": null,
        "createdDateTime": record.user.last_password_change_date_time.map(graph_timestamp),
    })
}

/// A method's JSON, with the TAP's usability computed from the clock and its secret hidden.
pub fn method_json(method: &AuthMethod, now: Timestamp) -> Value {
    let mut value = to_json(method);
    if let AuthMethod::TemporaryAccessPass {
        start_date_time,
        created_date_time,
        lifetime_in_minutes,
        ..
    } = method
    {
        let start = start_date_time.or(*created_date_time).unwrap_or(now);
        let end = start + time::Duration::minutes(i64::from(*lifetime_in_minutes));
        let (usable, reason) = if now < start {
            (false, "NotYetValid")
        } else if now >= end {
            (false, "Expired")
        } else {
            (true, "EnabledByPolicy")
        };
        value["isUsable"] = json!(usable);
        value["methodUsabilityReason"] = json!(reason);
        value["temporaryAccessPass"] = Value::Null;
    }
    value
}

fn all_methods(record: &UserRecord, now: Timestamp, kind: Option<&str>) -> Vec<Value> {
    let mut values = Vec::new();
    if kind.is_none() || kind == Some("passwordMethods") {
        values.push(password_method(record));
    }
    for method in &record.methods {
        if kind.is_none() || kind == Some(method.collection()) {
            values.push(method_json(method, now));
        }
    }
    values
}

fn list(request: &GraphRequest<'_>, user: &str, kind: Option<&str>) -> GraphResult {
    request.require(READ)?;
    let now = request.shared.now();
    let tenant = request.shared.tenant();
    let record = tenant.user(user)?;
    let values = all_methods(record, now, kind);
    let context = format!(
        "users('{}')/authentication/{}",
        record.user.id,
        kind.unwrap_or("methods")
    );
    Ok(Reply::ok(json!({
        "@odata.context": request.context(&context),
        "value": values
    })))
}

fn get(request: &GraphRequest<'_>, user: &str, kind: Option<&str>, id: &str) -> GraphResult {
    request.require(READ)?;
    let now = request.shared.now();
    let tenant = request.shared.tenant();
    let record = tenant.user(user)?;
    let value = all_methods(record, now, kind)
        .into_iter()
        .find(|m| m.get("id").and_then(Value::as_str) == Some(id))
        .ok_or_else(|| method_not_found(id))?;
    let context = format!(
        "users('{}')/authentication/{}",
        record.user.id,
        kind.unwrap_or("methods")
    );
    let (value, _) =
        collection::entity(request, &context, "authenticationMethod", None, &[], value)?;
    Ok(Reply::ok(value))
}

fn delete(request: &GraphRequest<'_>, user: &str, kind: &str, id: &str) -> GraphResult {
    request.require(WRITE)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let record = tenant.user_mut(user)?;
    let index = record
        .methods
        .iter()
        .position(|m| m.id() == id && m.collection() == kind)
        .ok_or_else(|| method_not_found(id))?;
    let others = record
        .methods
        .iter()
        .filter(|m| m.id() != id && !matches!(m, AuthMethod::TemporaryAccessPass { .. }))
        .count();
    if record.default_method_id.as_deref() == Some(id) && others > 0 {
        return Err(bad(format!(
            "The requested authentication method id of [{id}] matches the user's current default authentication method, and cannot be deleted until the default authentication method is changed"
        )));
    }
    let has_alternate = record.methods.iter().any(
        |m| matches!(m, AuthMethod::Phone { phone_type, .. } if phone_type == "alternateMobile"),
    );
    if id == ids::PHONE_MOBILE && has_alternate {
        return Err(bad(
            "Cannot delete the mobile phone method while an alternate mobile phone method is registered. Update the mobile number instead, or delete the alternate mobile phone first.",
        ));
    }
    record.methods.remove(index);
    if record.default_method_id.as_deref() == Some(id) {
        record.default_method_id = None;
    }
    let target = user_target(record, Vec::new());
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Admin deleted security info",
        "UserManagement",
        "Authentication Methods",
        target,
    );
    Ok(Reply::no_content())
}

fn valid_phone(number: &str) -> bool {
    // "+{country code} {subscriber number}x{extension}", as Graph documents.
    let Some(rest) = number.strip_prefix('+') else {
        return false;
    };
    let Some((country, subscriber)) = rest.split_once(' ') else {
        return false;
    };
    let subscriber = subscriber.split('x').next().unwrap_or("");
    !country.is_empty()
        && country.len() <= 3
        && country.chars().all(|c| c.is_ascii_digit())
        && subscriber.chars().filter(char::is_ascii_digit).count() >= 4
        && subscriber
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
}

fn create(request: &GraphRequest<'_>, user: &str, kind: &str) -> GraphResult {
    request.require(WRITE)?;
    let body = request.json_or_empty()?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let record = tenant.user_mut(user)?;
    let (method, secret) = match kind {
        "phoneMethods" => {
            let number = body
                .get("phoneNumber")
                .and_then(Value::as_str)
                .unwrap_or("");
            let phone_type = body.get("phoneType").and_then(Value::as_str).unwrap_or("");
            if !valid_phone(number) {
                return Err(bad(format!(
                    "Invalid phone number '{number}'. Use the format +{{country code}} {{number}}."
                )));
            }
            let id = match phone_type {
                "mobile" => ids::PHONE_MOBILE,
                "alternateMobile" => ids::PHONE_ALTERNATE_MOBILE,
                "office" => ids::PHONE_OFFICE,
                _ => return Err(bad(format!("Invalid phoneType '{phone_type}'."))),
            };
            if record.methods.iter().any(|m| m.id() == id) {
                return Err(bad(format!(
                    "A phone method of type '{phone_type}' is already registered."
                )));
            }
            if phone_type == "alternateMobile"
                && !record.methods.iter().any(|m| m.id() == ids::PHONE_MOBILE)
            {
                return Err(bad("An alternate mobile phone requires a mobile phone."));
            }
            (
                AuthMethod::Phone {
                    id: id.into(),
                    phone_number: number.into(),
                    phone_type: phone_type.into(),
                    sms_sign_in_state: "notAllowedByPolicy".into(),
                },
                None,
            )
        }
        "emailMethods" => {
            let address = body
                .get("emailAddress")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !address.contains('@') {
                return Err(bad(format!("Invalid email address '{address}'.")));
            }
            if record.methods.iter().any(|m| m.id() == ids::EMAIL_METHOD) {
                return Err(bad("An email method is already registered."));
            }
            (
                AuthMethod::Email {
                    id: ids::EMAIL_METHOD.into(),
                    email_address: address.into(),
                },
                None,
            )
        }
        "temporaryAccessPassMethods" => {
            let lifetime = match body.get("lifetimeInMinutes") {
                None | Some(Value::Null) => TAP_DEFAULT_MINUTES,
                Some(value) => value
                    .as_u64()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| bad("lifetimeInMinutes must be a whole number."))?,
            };
            if !(10..=43_200).contains(&lifetime)
                || !(TAP_MIN_MINUTES..=TAP_MAX_MINUTES).contains(&lifetime)
            {
                return Err(bad(format!(
                    "The lifetime of {lifetime} minutes is outside the policy's allowed range of {TAP_MIN_MINUTES} to {TAP_MAX_MINUTES} minutes."
                )));
            }
            let is_usable_once = body
                .get("isUsableOnce")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let start = match body.get("startDateTime").and_then(Value::as_str) {
                Some(text) => Some(
                    time::OffsetDateTime::parse(
                        text,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .map_err(|_| bad(format!("Invalid startDateTime '{text}'.")))?,
                ),
                None => None,
            };
            // One TAP per user: a new one replaces the old.
            record
                .methods
                .retain(|m| !matches!(m, AuthMethod::TemporaryAccessPass { .. }));
            let pass = tap_value();
            (
                AuthMethod::TemporaryAccessPass {
                    id: uuid::Uuid::new_v4().to_string(),
                    temporary_access_pass: None,
                    created_date_time: Some(now),
                    start_date_time: Some(start.unwrap_or(now)),
                    lifetime_in_minutes: lifetime,
                    is_usable_once,
                    is_usable: true,
                    method_usability_reason: "EnabledByPolicy".into(),
                },
                Some(pass),
            )
        }
        _ => return Err(GraphError::method_not_allowed()),
    };
    let mut value = method_json(&method, now);
    if let Some(pass) = &secret {
        value["temporaryAccessPass"] = json!(pass);
        value["startDateTime"] = match &method {
            AuthMethod::TemporaryAccessPass {
                start_date_time, ..
            } => json!(start_date_time.map(graph_timestamp)),
            _ => Value::Null,
        };
    }
    if record.default_method_id.is_none()
        && !matches!(
            method,
            AuthMethod::TemporaryAccessPass { .. } | AuthMethod::Email { .. }
        )
    {
        record.default_method_id = Some(method.id().to_string());
    }
    record.methods.push(method);
    let target = user_target(record, Vec::new());
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Admin registered security info",
        "UserManagement",
        "Authentication Methods",
        target,
    );
    if let Value::Object(map) = &mut value {
        map.insert(
            "@odata.context".into(),
            json!(request.context(&format!("users('{user}')/authentication/{kind}/$entity"))),
        );
    }
    Ok(Reply::json(StatusCode::CREATED, value))
}

/// A TAP as Entra makes them: eight characters, letters, digits and symbols, from the OS generator.
fn tap_value() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+=@#$%";
    let mut rng = rand::rng();
    (0..TAP_LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn update(request: &GraphRequest<'_>, user: &str, kind: &str, id: &str) -> GraphResult {
    request.require(WRITE)?;
    let body = request.json()?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let record = tenant.user_mut(user)?;
    let method = record
        .methods
        .iter_mut()
        .find(|m| m.id() == id && m.collection() == kind)
        .ok_or_else(|| method_not_found(id))?;
    match method {
        AuthMethod::Phone { phone_number, .. } => {
            let number = body
                .get("phoneNumber")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !valid_phone(number) {
                return Err(bad(format!("Invalid phone number '{number}'.")));
            }
            *phone_number = number.to_string();
        }
        AuthMethod::Email { email_address, .. } => {
            let address = body
                .get("emailAddress")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !address.contains('@') {
                return Err(bad(format!("Invalid email address '{address}'.")));
            }
            *email_address = address.to_string();
        }
        _ => return Err(GraphError::method_not_allowed()),
    }
    let target = user_target(record, Vec::new());
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Admin updated security info",
        "UserManagement",
        "Authentication Methods",
        target,
    );
    Ok(Reply::no_content())
}

fn reset_password(request: &GraphRequest<'_>, user: &str, method_id: &str) -> GraphResult {
    request.require(WRITE)?;
    if method_id != ids::PASSWORD_METHOD {
        return Err(method_not_found(method_id));
    }
    let body = request.json_or_empty()?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let user_id = tenant.user_id(user)?;
    let roles = tenant.role_templates_of(&user_id);
    let in_group = tenant.in_role_assignable_group(&user_id);
    let caller = &request.caller;
    let privileged_caller = caller.holds_role(ids::roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR)
        || caller.holds_role(ids::roles::GLOBAL_ADMINISTRATOR);
    let auth_admin = caller.holds_role(ids::roles::AUTHENTICATION_ADMINISTRATOR)
        && may_reset_password(
            &[ids::roles::AUTHENTICATION_ADMINISTRATOR.to_string()],
            &roles,
            in_group,
        );
    if !privileged_caller && !auth_admin {
        return Err(GraphError::auth_methods(
            StatusCode::FORBIDDEN,
            "accessDenied",
            "Request Authorization failed: the caller needs the Privileged Authentication Administrator, Global Administrator or (for non-admin targets) Authentication Administrator role.",
        ));
    }
    if tenant.users[&user_id].user.on_premises_sync_enabled == Some(true) {
        return Err(bad(
            "Password reset through the authentication methods API is not available for users synced from on-premises without password writeback.",
        ));
    }
    let provided = body
        .get("newPassword")
        .and_then(Value::as_str)
        .map(str::to_string);
    let password = match &provided {
        Some(password) => {
            super::users::check_complexity(password).map_err(|e| bad(e.message))?;
            password.clone()
        }
        None => generated_password(),
    };
    let salt = tenant.salt.clone();
    let operation_id = uuid::Uuid::new_v4().to_string();
    let location = format!(
        "{}/users/{user_id}/authentication/operations/{operation_id}",
        request.base()
    );
    if let Some(record) = tenant.users.get_mut(&user_id) {
        record.password_hash = hash_password(&salt, &password);
        record.user.last_password_change_date_time = Some(now);
        record.password_expires =
            Some(now + time::Duration::days(super::users::PASSWORD_LIFETIME_DAYS));
        record.lockout = Default::default();
        if let Some(profile) = record.user.password_profile.as_mut() {
            profile.force_change_password_next_sign_in = true;
        } else {
            record.user.password_profile = Some(crate::model::PasswordProfileView {
                password: None,
                force_change_password_next_sign_in: true,
                force_change_password_next_sign_in_with_mfa: false,
            });
        }
    }
    tenant.operations.insert(
        operation_id.clone(),
        PasswordResetOperation {
            id: operation_id,
            user_id: user_id.clone(),
            status: "running".into(),
            created_date_time: now,
            last_action_date_time: now,
            resource_location: Some(location.clone()),
            status_detail: None,
            completes_at: now + time::Duration::seconds(1),
        },
    );
    let who = request.initiator();
    let target = user_target(&tenant.users[&user_id], Vec::new());
    tenant.audit(
        now,
        &who,
        "Reset password (by admin)",
        "UserManagement",
        "Self-service Password Management",
        target,
    );
    super::users::remediate_risk(&mut tenant, &user_id, now, &who.service_principal_id);
    let body = match provided {
        Some(_) => json!({}),
        None => json!({
            "@odata.context": request.context("microsoft.graph.passwordResetResponse"),
            "newPassword": password
        }),
    };
    Ok(Reply::json(StatusCode::ACCEPTED, body)
        .with_header("Location", location)
        .with_header("Retry-After", "1"))
}

fn generated_password() -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    let word: String = (0..4)
        .map(|i| {
            let set = if i == 0 { UPPER } else { LOWER };
            set[rng.random_range(0..set.len())] as char
        })
        .collect();
    format!("{word}{:04}!", rng.random_range(0..10_000))
}

fn operations(request: &GraphRequest<'_>, user: &str, id: Option<&str>) -> GraphResult {
    request.require(READ)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let user_id = tenant.user_id(user)?;
    for operation in tenant.operations.values_mut() {
        if operation.status == "running" && now >= operation.completes_at {
            operation.status = "succeeded".into();
            operation.last_action_date_time = operation.completes_at;
        }
    }
    let render = |operation: &PasswordResetOperation| {
        json!({
            "id": operation.id,
            "status": operation.status,
            "createdDateTime": graph_timestamp(operation.created_date_time),
            "lastActionDateTime": graph_timestamp(operation.last_action_date_time),
            "resourceLocation": operation.resource_location,
            "statusDetail": operation.status_detail,
        })
    };
    match id {
        Some(id) => {
            let operation = tenant
                .operations
                .get(id)
                .filter(|o| o.user_id == user_id)
                .ok_or_else(|| GraphError::not_found(id))?;
            let mut value = render(operation);
            value["@odata.context"] = json!(request.context(&format!(
                "users('{user_id}')/authentication/operations/$entity"
            )));
            Ok(Reply::ok(value))
        }
        None => {
            let values: Vec<Value> = tenant
                .operations
                .values()
                .filter(|o| o.user_id == user_id)
                .map(render)
                .collect();
            Ok(Reply::ok(json!({
                "@odata.context": request.context(&format!("users('{user_id}')/authentication/operations")),
                "value": values
            })))
        }
    }
}

fn preference_of(method: &AuthMethod) -> &'static str {
    match method {
        AuthMethod::MicrosoftAuthenticator { .. } => "push",
        AuthMethod::Phone { phone_type, .. } if phone_type == "office" => "voiceOffice",
        AuthMethod::Phone { .. } => "sms",
        AuthMethod::SoftwareOath { .. } => "oath",
        _ => "unknownFutureValue",
    }
}

fn sign_in_preferences(request: &GraphRequest<'_>, user: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let record = tenant.user(user)?;
    let preferred = record
        .default_method_id
        .as_ref()
        .and_then(|id| record.methods.iter().find(|m| m.id() == id))
        .map(preference_of);
    Ok(Reply::ok(json!({
        "@odata.context": request.context(&format!("users('{}')/authentication/signInPreferences", record.user.id)),
        "isSystemPreferredAuthenticationMethodEnabled": true,
        "userPreferredMethodForSecondaryAuthentication": preferred,
        "systemPreferredAuthenticationMethod": preferred,
    })))
}

fn set_sign_in_preferences(request: &GraphRequest<'_>, user: &str) -> GraphResult {
    request.require(WRITE)?;
    let body = request.json()?;
    let wanted = body
        .get("userPreferredMethodForSecondaryAuthentication")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("userPreferredMethodForSecondaryAuthentication is required."))?
        .to_string();
    let mut tenant = request.shared.tenant_mut();
    let record = tenant.user_mut(user)?;
    let method = record
        .methods
        .iter()
        .find(|m| preference_of(m) == wanted)
        .ok_or_else(|| bad(format!("The user has no registered method for '{wanted}'.")))?;
    record.default_method_id = Some(method.id().to_string());
    Ok(Reply::no_content())
}

/// `/reports/authenticationMethods/userRegistrationDetails`.
pub fn reports(request: &GraphRequest<'_>, rest: &[&str]) -> GraphResult {
    if request.method != Method::GET {
        return Err(GraphError::method_not_allowed());
    }
    request.require(&[
        "AuditLog.Read.All",
        "UserAuthenticationMethod.Read.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ])?;
    let now = request.shared.now();
    let tenant = request.shared.tenant();
    let details = |record: &UserRecord| -> Value {
        let registered: Vec<&str> = record
            .methods
            .iter()
            .map(|m| match m {
                AuthMethod::MicrosoftAuthenticator { .. } => "microsoftAuthenticatorPush",
                AuthMethod::Phone { phone_type, .. } if phone_type == "office" => "officePhone",
                AuthMethod::Phone { .. } => "mobilePhone",
                AuthMethod::Fido2 { .. } => "fido2SecurityKey",
                AuthMethod::Email { .. } => "email",
                AuthMethod::SoftwareOath { .. } => "softwareOneTimePasscode",
                AuthMethod::WindowsHelloForBusiness { .. } => "windowsHelloForBusiness",
                AuthMethod::TemporaryAccessPass { .. } => "temporaryAccessPass",
            })
            .collect();
        let mfa = record
            .methods
            .iter()
            .any(|m| m.is_mfa_capable() && !matches!(m, AuthMethod::TemporaryAccessPass { .. }));
        let preferred = record
            .default_method_id
            .as_ref()
            .and_then(|id| record.methods.iter().find(|m| m.id() == id))
            .map(preference_of);
        json!({
            "id": record.user.id,
            "userPrincipalName": record.user.user_principal_name,
            "userDisplayName": record.user.display_name,
            "userType": "member",
            "isAdmin": !tenant.role_templates_of(&record.user.id).is_empty(),
            "isMfaCapable": mfa,
            "isMfaRegistered": mfa,
            "isPasswordlessCapable": record.methods.iter().any(|m| matches!(m, AuthMethod::Fido2 { .. } | AuthMethod::WindowsHelloForBusiness { .. })),
            "isSsprCapable": mfa,
            "isSsprEnabled": true,
            "isSsprRegistered": mfa,
            "isSystemPreferredAuthenticationMethodEnabled": true,
            "lastUpdatedDateTime": graph_timestamp(now),
            "methodsRegistered": registered,
            "systemPreferredAuthenticationMethods": preferred.map(|p| vec![p]).unwrap_or_default(),
            "userPreferredMethodForSecondaryAuthentication": preferred,
        })
    };
    match rest {
        ["authenticationMethods", "userRegistrationDetails"] => {
            let listing = Listing {
                type_name: "userRegistrationDetails",
                context: "reports/authenticationMethods/userRegistrationDetails",
                default_select: None,
                directory_object: false,
                default_top: 999,
                supported: Supported {
                    select: true,
                    filter: true,
                    top: Some(999),
                    count: false,
                    search: false,
                    order_by: &[],
                    expand: &[],
                },
            };
            let shape = tenant
                .users
                .values()
                .next()
                .map(|r| match details(r) {
                    Value::Object(map) => map,
                    _ => Default::default(),
                })
                .unwrap_or_default();
            let options = collection::options(request, &listing, &shape)?;
            let body = collection::page(request, &listing, &options, tenant.users.len(), |i| {
                tenant
                    .users
                    .get_index(i)
                    .map(|(_, r)| details(r))
                    .unwrap_or(Value::Null)
            })?;
            Ok(Reply::ok(body))
        }
        ["authenticationMethods", "userRegistrationDetails", id] => {
            let record = tenant.user(id)?;
            let (value, _) = collection::entity(
                request,
                "reports/authenticationMethods/userRegistrationDetails",
                "userRegistrationDetails",
                None,
                &[],
                details(record),
            )?;
            Ok(Reply::ok(value))
        }
        [segment, ..] => Err(GraphError::unknown_segment(segment)),
        [] => Err(GraphError::unknown_segment("reports")),
    }
}
