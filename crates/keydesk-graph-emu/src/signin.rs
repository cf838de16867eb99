//! Simulated sign-in attempts: Entra's checks in order (unknown user, disabled account, smart
//! lockout, wrong or expired password, risk policy, MFA registration and MFA answer), writing the
//! sign-in log entry a real tenant would show.
//!
//! Smart lockout follows Entra's documented behaviour: after `threshold` failures the account is
//! locked for a minute, each further failure after the lock ends locks it again for longer, a
//! repeated bad password does not count again (the last three are remembered), and familiar and
//! unfamiliar locations keep separate counters.

use serde::Deserialize;

use crate::model::{
    AuthenticationDetail, DeviceDetail, GeoCoordinates, LockoutCounter, SignIn, SignInLocation,
    SignInStatus, TenantState, Timestamp,
};
use crate::tenant::hash_password;

/// One attempt, as `/_emulator/signin` takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub user_principal_name: String,
    pub password: String,
    pub ip_address: String,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country_or_region: Option<String>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub app_display_name: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub operating_system: Option<String>,
    #[serde(default)]
    pub browser: Option<String>,
    /// `approve` (default), `deny`, `timeout` or `fraud`.
    #[serde(default)]
    pub mfa: Option<String>,
}

/// The smart lockout policy.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub duration_seconds: i64,
}

/// Longest lockout, whatever the number of repeated lockouts.
const MAX_LOCKOUT_SECONDS: i64 = 30 * 60;

/// Evaluates an attempt, records its sign-in entry and returns it.
pub fn attempt(
    tenant: &mut TenantState,
    attempt: &Attempt,
    policy: LockoutPolicy,
    now: Timestamp,
) -> SignIn {
    let salt = tenant.salt.clone();
    let mut entry = blank_entry(attempt, now);
    let Ok(user_id) = tenant.user_id(&attempt.user_principal_name) else {
        set_status(
            &mut entry,
            50034,
            "The user account does not exist in the tenant directory.",
        );
        tenant.sign_ins.push(entry.clone());
        return entry;
    };
    let risky = tenant
        .risky_users
        .get(&user_id)
        .is_some_and(|r| r.risky_user.risk_state == "atRisk" && r.risky_user.risk_level == "high");
    let Some(record) = tenant.users.get_mut(&user_id) else {
        tenant.sign_ins.push(entry.clone());
        return entry;
    };
    entry.user_id = record.user.id.clone();
    entry.user_display_name = record.user.display_name.clone();
    entry.user_principal_name = record.user.user_principal_name.to_lowercase();

    let familiar = record.familiar_ips.contains(&attempt.ip_address);
    let password_hash = hash_password(&salt, &attempt.password);
    let password_ok = password_hash == record.password_hash;
    let counter = if familiar {
        &mut record.lockout.familiar
    } else {
        &mut record.lockout.unfamiliar
    };

    if !record.user.account_enabled {
        set_status(
            &mut entry,
            50057,
            "User account is disabled. The account has been disabled by an administrator.",
        );
    } else if counter.locked_until.is_some_and(|until| until > now) {
        set_status(
            &mut entry,
            50053,
            "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
        );
    } else if !password_ok {
        if register_failure(counter, &password_hash, policy, now) {
            set_status(
                &mut entry,
                50053,
                "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
            );
        } else {
            set_status(
                &mut entry,
                50126,
                "Error validating credentials due to invalid username or password.",
            );
        }
        entry.authentication_details.push(step(
            now,
            "Password",
            false,
            "Invalid username or password or Invalid on-premise username or password.",
            "Primary authentication",
        ));
    } else if record.password_expires.is_some_and(|expiry| expiry <= now) {
        set_status(&mut entry, 50055, "The password is expired.");
    } else if risky {
        set_status(
            &mut entry,
            530032,
            "User account is blocked due to user risk policy.",
        );
        entry.risk_state = "atRisk".into();
        entry.risk_level_during_sign_in = "high".into();
        entry.risk_level_aggregated = "high".into();
        entry.conditional_access_status = "failure".into();
    } else {
        entry.authentication_details.push(step(
            now,
            "Password",
            true,
            "Correct password",
            "Primary authentication",
        ));
        let usable_mfa = record.methods.iter().any(|m| m.is_mfa_capable());
        if record.mfa_required && !usable_mfa {
            set_status(
                &mut entry,
                50079,
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication.",
            );
            entry.authentication_requirement = "multiFactorAuthentication".into();
        } else if record.mfa_required {
            entry.authentication_requirement = "multiFactorAuthentication".into();
            let (code, detail) = match attempt.mfa.as_deref() {
                Some("deny") => (500121, "MFA denied; user declined the authentication"),
                Some("timeout") => (
                    500121,
                    "MFA denied; user did not respond to mobile app notification",
                ),
                Some("fraud") => (500121, "MFA denied; Phone App Reported Fraud"),
                _ => (0, "MFA successfully completed"),
            };
            entry.authentication_details.push(step(
                now,
                "Mobile app notification",
                code == 0,
                detail,
                "Multi-factor authentication",
            ));
            if code == 0 {
                succeed(&mut entry, counter_reset(record), attempt);
            } else {
                set_status(
                    &mut entry,
                    code,
                    "Authentication failed during strong authentication request.",
                );
                entry.status.additional_details = Some(detail.to_string());
            }
        } else {
            succeed(&mut entry, counter_reset(record), attempt);
        }
        if entry.status.error_code == 0 {
            let activity =
                record
                    .user
                    .sign_in_activity
                    .get_or_insert(crate::model::SignInActivity {
                        last_sign_in_date_time: None,
                        last_sign_in_request_id: None,
                        last_non_interactive_sign_in_date_time: None,
                        last_non_interactive_sign_in_request_id: None,
                        last_successful_sign_in_date_time: None,
                        last_successful_sign_in_request_id: None,
                    });
            activity.last_successful_sign_in_date_time = Some(now);
            activity.last_successful_sign_in_request_id = Some(entry.id.clone());
        }
    }
    if let Some(activity) = record.user.sign_in_activity.as_mut() {
        activity.last_sign_in_date_time = Some(now);
        activity.last_sign_in_request_id = Some(entry.id.clone());
    }
    tenant.sign_ins.push(entry.clone());
    entry
}

/// Counts a failure; returns whether it locked the account.
fn register_failure(
    counter: &mut LockoutCounter,
    password_hash: &str,
    policy: LockoutPolicy,
    now: Timestamp,
) -> bool {
    if counter.recent_bad_hashes.iter().any(|h| h == password_hash) {
        return false;
    }
    counter.recent_bad_hashes.push(password_hash.to_string());
    if counter.recent_bad_hashes.len() > 3 {
        counter.recent_bad_hashes.remove(0);
    }
    counter.failed_attempts += 1;
    if counter.failed_attempts >= policy.threshold {
        let factor = 1i64 << counter.lockouts.min(10);
        let seconds = (policy.duration_seconds * factor).min(MAX_LOCKOUT_SECONDS);
        counter.locked_until = Some(now + time::Duration::seconds(seconds));
        counter.lockouts += 1;
        return true;
    }
    false
}

fn counter_reset(record: &mut crate::model::UserRecord) -> &mut crate::model::UserRecord {
    record.lockout = Default::default();
    record
}

fn succeed(entry: &mut SignIn, record: &mut crate::model::UserRecord, attempt: &Attempt) {
    set_status(entry, 0, "");
    entry.status.failure_reason = None;
    record.familiar_ips.insert(attempt.ip_address.clone());
}

fn set_status(entry: &mut SignIn, code: i64, reason: &str) {
    entry.status = SignInStatus {
        error_code: code,
        failure_reason: if reason.is_empty() {
            None
        } else {
            Some(reason.to_string())
        },
        additional_details: None,
    };
}

fn step(
    now: Timestamp,
    method: &str,
    succeeded: bool,
    detail: &str,
    requirement: &str,
) -> AuthenticationDetail {
    AuthenticationDetail {
        authentication_step_date_time: now,
        authentication_method: method.to_string(),
        authentication_method_detail: None,
        succeeded,
        authentication_step_result_detail: detail.to_string(),
        authentication_step_requirement: requirement.to_string(),
    }
}

fn blank_entry(attempt: &Attempt, now: Timestamp) -> SignIn {
    let app = attempt
        .app_display_name
        .clone()
        .unwrap_or_else(|| "OfficeHome".into());
    let app_id = match app.as_str() {
        "Office 365 Exchange Online" => "00000002-0000-0ff1-ce00-000000000000",
        "Microsoft Teams" => "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Azure Portal" => "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        _ => "4765445b-32c6-49b0-83e6-1d93765276ca",
    };
    let geo = match (attempt.latitude, attempt.longitude) {
        (Some(latitude), Some(longitude)) => Some(GeoCoordinates {
            altitude: None,
            latitude,
            longitude,
        }),
        _ => None,
    };
    SignIn {
        id: uuid::Uuid::new_v4().to_string(),
        created_date_time: now,
        user_display_name: String::new(),
        user_principal_name: attempt.user_principal_name.to_lowercase(),
        user_id: String::new(),
        app_id: app_id.into(),
        app_display_name: app,
        ip_address: attempt.ip_address.clone(),
        client_app_used: "Browser".into(),
        user_agent: attempt.user_agent.clone(),
        correlation_id: uuid::Uuid::new_v4().to_string(),
        conditional_access_status: "notApplied".into(),
        is_interactive: true,
        risk_detail: "none".into(),
        risk_level_aggregated: "none".into(),
        risk_level_during_sign_in: "none".into(),
        risk_state: "none".into(),
        risk_event_types: Vec::new(),
        risk_event_types_v2: Vec::new(),
        resource_display_name: "Office 365 Exchange Online".into(),
        resource_id: "00000002-0000-0ff1-ce00-000000000000".into(),
        status: SignInStatus {
            error_code: 0,
            failure_reason: None,
            additional_details: None,
        },
        device_detail: DeviceDetail {
            device_id: attempt.device_id.clone().unwrap_or_default(),
            display_name: None,
            operating_system: attempt
                .operating_system
                .clone()
                .unwrap_or_else(|| "Windows 10".into()),
            browser: attempt
                .browser
                .clone()
                .unwrap_or_else(|| "Edge 120.0.0".into()),
            is_compliant: None,
            is_managed: None,
            trust_type: None,
        },
        location: SignInLocation {
            city: attempt.city.clone(),
            state: None,
            country_or_region: attempt.country_or_region.clone(),
            geo_coordinates: geo,
        },
        applied_conditional_access_policies: Vec::new(),
        sign_in_event_types: vec!["interactiveUser".into()],
        authentication_requirement: "singleFactorAuthentication".into(),
        authentication_protocol: "none".into(),
        incoming_token_type: "none".into(),
        original_transfer_method: None,
        session_id: None,
        unique_token_identifier: None,
        autonomous_system_number: None,
        token_issuer_type: "AzureAD".into(),
        user_type: "member".into(),
        authentication_details: Vec::new(),
        mfa_detail: None,
    }
}
