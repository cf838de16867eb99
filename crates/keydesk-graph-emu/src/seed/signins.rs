//! Sign-in records: the builder that turns an [`Attempt`] into a beta-shaped [`SignIn`] with the
//! error codes, failure reasons, MFA details and conditional access results a real tenant logs,
//! plus the apps that appear in the logs. Ordinary history is generated in `history`, each
//! scenario's attempts in `scenarios`.

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::json;
use time::Duration;

use super::places::{Device, Place};
use super::{apps, random_id};
use crate::model::{
    AuthenticationDetail, DeviceDetail, MfaDetail, SignIn, SignInStatus, Timestamp, UserRecord,
};

/// An app as sign-ins show it: the client and the resource it asked a token for.
#[derive(Debug)]
pub(super) struct AppRef {
    pub app_id: &'static str,
    pub name: &'static str,
    pub resource_id: &'static str,
    pub resource_name: &'static str,
}

pub(super) static OFFICE_HOME: AppRef = AppRef {
    app_id: apps::OFFICE_HOME_APP_ID,
    name: "OfficeHome",
    resource_id: apps::GRAPH_APP_ID,
    resource_name: "Microsoft Graph",
};
pub(super) static EXCHANGE: AppRef = AppRef {
    app_id: apps::EXCHANGE_ONLINE_APP_ID,
    name: "Office 365 Exchange Online",
    resource_id: apps::EXCHANGE_ONLINE_APP_ID,
    resource_name: "Office 365 Exchange Online",
};
pub(super) static TEAMS: AppRef = AppRef {
    app_id: apps::TEAMS_APP_ID,
    name: "Microsoft Teams",
    resource_id: apps::GRAPH_APP_ID,
    resource_name: "Microsoft Graph",
};
pub(super) static SHAREPOINT: AppRef = AppRef {
    app_id: apps::SHAREPOINT_APP_ID,
    name: "Office 365 SharePoint Online",
    resource_id: apps::SHAREPOINT_APP_ID,
    resource_name: "Office 365 SharePoint Online",
};
pub(super) static AZURE_PORTAL: AppRef = AppRef {
    app_id: apps::AZURE_PORTAL_APP_ID,
    name: "Azure Portal",
    resource_id: apps::AZURE_SERVICE_MANAGEMENT_APP_ID,
    resource_name: "Windows Azure Service Management API",
};
pub(super) static MAIL_HELPER_PRO: AppRef = AppRef {
    app_id: apps::MAIL_HELPER_PRO_APP_ID,
    name: "Mail Helper Pro",
    resource_id: apps::GRAPH_APP_ID,
    resource_name: "Microsoft Graph",
};

/// The conditional access policies every sign-in reports on.
const MFA_POLICY: (&str, &str) = (
    "3c2e7f1a-5d4b-4c8e-9a6f-1b0d2e3f4a5b",
    "Require multifactor authentication for all users",
);
const RISK_POLICY: (&str, &str) = (
    "8a1d4e7b-2c5f-4b9a-8e3d-6f0a1c2b3d4e",
    "Block high-risk users",
);

/// MFA methods as `authenticationDetails` names them.
pub(super) const PUSH: &str = "Mobile app notification";
pub(super) const SMS: &str = "Text message";
pub(super) const FIDO2: &str = "FIDO2 security key";
pub(super) const WHFB: &str = "Windows Hello for Business";
pub(super) const OATH: &str = "OATH verification code";

/// How a sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Success; `Some(method)` when MFA was performed, `None` when a token claim satisfied it.
    Success(Option<&'static str>),
    /// 50126.
    BadPassword,
    /// 50053 (smart lockout).
    Locked,
    /// 50057.
    Disabled,
    /// 50055.
    PasswordExpired,
    /// 50079: must register an MFA method.
    MfaRegistrationRequired,
    /// 500121 with the user declining the push (the method).
    MfaDenied(&'static str),
    /// 530032: blocked by the high-risk-user policy.
    RiskBlocked,
    /// 53004: security-info registration blocked because the user is at risk.
    ProofUpBlocked,
}

/// Identity Protection's view of one sign-in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Risk {
    pub during_sign_in: &'static str,
    pub aggregated: &'static str,
    pub state: &'static str,
    pub event_types: &'static [&'static str],
}

impl Risk {
    fn events(risk: Option<&Risk>) -> Vec<String> {
        risk.map(|r| r.event_types.iter().map(|e| (*e).to_owned()).collect())
            .unwrap_or_default()
    }
}

/// Who signs in, as the log names them.
#[derive(Debug, Clone)]
pub(super) struct Who {
    pub id: String,
    pub display_name: String,
    /// Lower-case, as sign-in logs show it.
    pub upn: String,
}

impl Who {
    pub fn of(record: &UserRecord) -> Self {
        Who {
            id: record.user.id.clone(),
            display_name: record.user.display_name.clone(),
            upn: record.user.user_principal_name.to_lowercase(),
        }
    }
}

/// One sign-in attempt to log.
pub(super) struct Attempt<'a> {
    pub at: Timestamp,
    pub app: &'static AppRef,
    pub ip: &'a str,
    pub asn: u32,
    pub place: &'static Place,
    pub device: &'a Device,
    pub interactive: bool,
    pub outcome: Outcome,
    pub risk: Option<&'a Risk>,
    /// `none` normally, `ropc` for the spray script.
    pub protocol: &'static str,
    /// Reuse a session (the attacker's); `None` starts a new one.
    pub session_id: Option<&'a str>,
}

impl<'a> Attempt<'a> {
    /// A plain interactive browser-style attempt.
    pub fn new(
        at: Timestamp,
        app: &'static AppRef,
        (ip, asn, place): (&'a str, u32, &'static Place),
        device: &'a Device,
        outcome: Outcome,
    ) -> Self {
        Attempt {
            at,
            app,
            ip,
            asn,
            place,
            device,
            interactive: true,
            outcome,
            risk: None,
            protocol: "none",
            session_id: None,
        }
    }
}

/// Builds the log record of an attempt.
pub(super) fn sign_in(rng: &mut StdRng, who: &Who, a: &Attempt<'_>) -> SignIn {
    let (code, reason, details) = status_of(a.outcome);
    let (ca_status, mfa_result, risk_result) = match a.outcome {
        Outcome::Success(_) => ("success", "success", "notApplied"),
        Outcome::BadPassword | Outcome::Locked | Outcome::Disabled | Outcome::PasswordExpired => {
            ("notApplied", "notApplied", "notApplied")
        }
        Outcome::MfaRegistrationRequired | Outcome::MfaDenied(_) => {
            ("failure", "failure", "notApplied")
        }
        Outcome::RiskBlocked | Outcome::ProofUpBlocked => ("failure", "notApplied", "failure"),
    };
    let policies = vec![
        policy(MFA_POLICY, "Mfa", mfa_result),
        policy(RISK_POLICY, "Block", risk_result),
    ];
    let mfa_detail = match a.outcome {
        Outcome::Success(Some(m)) | Outcome::MfaDenied(m) => Some(MfaDetail {
            auth_method: Some(m.to_owned()),
            auth_detail: None,
        }),
        _ => None,
    };
    let requirement = match a.outcome {
        Outcome::Success(_)
        | Outcome::MfaDenied(_)
        | Outcome::MfaRegistrationRequired
        | Outcome::RiskBlocked
        | Outcome::ProofUpBlocked => "multiFactorAuthentication",
        _ => "singleFactorAuthentication",
    };
    let none = || "none".to_owned();
    let token_bytes: [u8; 16] = rng.random();
    SignIn {
        id: random_id(rng),
        created_date_time: a.at,
        user_display_name: who.display_name.to_owned(),
        user_principal_name: who.upn.clone(),
        user_id: who.id.to_owned(),
        app_id: a.app.app_id.to_owned(),
        app_display_name: a.app.name.to_owned(),
        ip_address: a.ip.to_owned(),
        client_app_used: a.device.client_app.to_owned(),
        user_agent: Some(a.device.user_agent.clone()),
        correlation_id: random_id(rng),
        conditional_access_status: ca_status.to_owned(),
        is_interactive: a.interactive,
        risk_detail: none(),
        risk_level_aggregated: a.risk.map_or_else(none, |r| r.aggregated.to_owned()),
        risk_level_during_sign_in: a.risk.map_or_else(none, |r| r.during_sign_in.to_owned()),
        risk_state: a.risk.map_or_else(none, |r| r.state.to_owned()),
        risk_event_types: Risk::events(a.risk),
        risk_event_types_v2: Risk::events(a.risk),
        resource_display_name: a.app.resource_name.to_owned(),
        resource_id: a.app.resource_id.to_owned(),
        status: SignInStatus {
            error_code: code,
            failure_reason: reason.map(str::to_owned),
            additional_details: details.map(str::to_owned),
        },
        device_detail: DeviceDetail {
            device_id: a.device.device_id.clone(),
            display_name: a.device.display_name.clone(),
            operating_system: a.device.os.to_owned(),
            browser: a.device.browser.clone(),
            is_compliant: Some(a.device.compliant),
            is_managed: Some(a.device.managed),
            trust_type: a.device.trust_type.map(str::to_owned),
        },
        location: a.place.location(),
        applied_conditional_access_policies: policies,
        sign_in_event_types: vec![
            if a.interactive {
                "interactiveUser"
            } else {
                "nonInteractiveUser"
            }
            .to_owned(),
        ],
        authentication_requirement: requirement.to_owned(),
        authentication_protocol: a.protocol.to_owned(),
        incoming_token_type: if a.interactive {
            "none"
        } else {
            "refreshToken"
        }
        .to_owned(),
        original_transfer_method: Some("none".to_owned()),
        session_id: Some(a.session_id.map_or_else(|| random_id(rng), str::to_owned)),
        unique_token_identifier: Some(base64_url(&token_bytes)),
        autonomous_system_number: Some(a.asn),
        token_issuer_type: "AzureAD".to_owned(),
        user_type: "member".to_owned(),
        authentication_details: details_of(a.at, a.outcome, a.interactive),
        mfa_detail,
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn policy((id, name): (&str, &str), control: &str, result: &str) -> serde_json::Value {
    json!({
        "id": id,
        "displayName": name,
        "enforcedGrantControls": [control],
        "enforcedSessionControls": [],
        "result": result,
    })
}

/// Error code, failure reason and additional details, as Entra words them.
fn status_of(outcome: Outcome) -> (i64, Option<&'static str>, Option<&'static str>) {
    match outcome {
        Outcome::Success(Some(_)) => (0, None, Some("MFA completed in Azure AD")),
        Outcome::Success(None) => (
            0,
            None,
            Some("MFA requirement satisfied by claim in the token"),
        ),
        Outcome::BadPassword => (
            50126,
            Some("Error validating credentials due to invalid username or password."),
            Some(
                "The user didn't enter the right credentials. It's expected to see some number \
                 of these errors in your logs due to users making mistakes.",
            ),
        ),
        Outcome::Locked => (
            50053,
            Some(
                "Account is locked because user tried to sign in too many times with an \
                 incorrect user ID or password.",
            ),
            None,
        ),
        Outcome::Disabled => (
            50057,
            Some("User account is disabled. The account has been disabled by an administrator."),
            None,
        ),
        Outcome::PasswordExpired => (
            50055,
            Some("Invalid password, entered expired password."),
            None,
        ),
        Outcome::MfaRegistrationRequired => (
            50079,
            Some(
                "Due to a configuration change made by your administrator, or because you moved \
                 to a new location, you must enroll in multi-factor authentication.",
            ),
            Some("User needs to register security info for multi-factor authentication"),
        ),
        Outcome::MfaDenied(_) => (
            500121,
            Some("Authentication failed during strong authentication request."),
            Some("MFA denied; user declined the authentication"),
        ),
        Outcome::RiskBlocked => (
            530032,
            Some("The user is blocked due to their organization's security policy."),
            Some("Sign-in was blocked because the user's risk level is high."),
        ),
        Outcome::ProofUpBlocked => (
            53004,
            Some(
                "ProofUpBlockedDueToRisk - User needs to complete the multi-factor authentication \
                 registration process before accessing this content.",
            ),
            Some("Security info registration was blocked because the user is at risk."),
        ),
    }
}

fn step(
    at: Timestamp,
    method: &str,
    ok: bool,
    result: &str,
    requirement: &str,
) -> AuthenticationDetail {
    AuthenticationDetail {
        authentication_step_date_time: at,
        authentication_method: method.to_owned(),
        authentication_method_detail: (method == "Password")
            .then(|| "Password in the cloud".to_owned()),
        succeeded: ok,
        authentication_step_result_detail: result.to_owned(),
        authentication_step_requirement: requirement.to_owned(),
    }
}

fn details_of(at: Timestamp, outcome: Outcome, interactive: bool) -> Vec<AuthenticationDetail> {
    const FIRST: &str = "Primary authentication";
    const MFA: &str = "Multi-factor authentication";
    let later = at + Duration::seconds(14);
    match outcome {
        Outcome::Success(None) if !interactive => vec![step(
            at,
            "Previously satisfied",
            true,
            "MFA requirement satisfied by claim in the token",
            MFA,
        )],
        Outcome::Success(None) => vec![
            step(
                at,
                "Previously satisfied",
                true,
                "First factor requirement satisfied by claim in the token",
                FIRST,
            ),
            step(
                at,
                "Previously satisfied",
                true,
                "MFA requirement satisfied by claim in the token",
                MFA,
            ),
        ],
        Outcome::Success(Some(m)) => vec![
            step(at, "Password", true, "Correct password", FIRST),
            step(later, m, true, "MFA successfully completed", MFA),
        ],
        Outcome::BadPassword => vec![step(
            at,
            "Password",
            false,
            "Invalid username or password or Invalid on-premise username or password.",
            FIRST,
        )],
        Outcome::Locked => vec![step(at, "Password", false, "Account is locked", FIRST)],
        Outcome::Disabled => vec![step(
            at,
            "Password",
            false,
            "User account is disabled",
            FIRST,
        )],
        Outcome::PasswordExpired => vec![step(at, "Password", false, "Password expired", FIRST)],
        Outcome::MfaRegistrationRequired => vec![
            step(at, "Password", true, "Correct password", FIRST),
            step(
                at,
                "Other",
                false,
                "User needs to register security info",
                MFA,
            ),
        ],
        Outcome::MfaDenied(m) => vec![
            step(at, "Password", true, "Correct password", FIRST),
            step(
                later,
                m,
                false,
                "MFA denied; user declined the authentication",
                MFA,
            ),
        ],
        Outcome::RiskBlocked | Outcome::ProofUpBlocked => {
            vec![step(at, "Password", true, "Correct password", FIRST)]
        }
    }
}
