//! Sign-in log entries (`auditLogs/signIns`), v1.0 fields plus beta-only fields as options.

use serde::Deserialize;
use time::OffsetDateTime;

/// One sign-in event.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignIn {
    /// Sign-in id.
    pub id: String,
    /// When it happened.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
    /// Display name.
    pub user_display_name: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// User object id.
    pub user_id: Option<String>,
    /// Client app id.
    pub app_id: Option<String>,
    /// Client app name.
    pub app_display_name: Option<String>,
    /// Source IP address.
    pub ip_address: Option<String>,
    /// `Browser`, `Mobile Apps and Desktop clients`, legacy protocols, ...
    pub client_app_used: Option<String>,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// `success`, `failure`, `notApplied`.
    pub conditional_access_status: Option<String>,
    /// Interactive sign-in (v1.0).
    pub is_interactive: Option<bool>,
    /// Risk detail.
    pub risk_detail: Option<String>,
    /// Aggregated risk level.
    pub risk_level_aggregated: Option<String>,
    /// Risk level during sign-in.
    pub risk_level_during_sign_in: Option<String>,
    /// Risk state.
    pub risk_state: Option<String>,
    /// Risk event types (v1).
    pub risk_event_types: Vec<String>,
    /// Risk event types (v2).
    #[serde(rename = "riskEventTypes_v2")]
    pub risk_event_types_v2: Vec<String>,
    /// Resource name (e.g. `Microsoft Graph`).
    pub resource_display_name: Option<String>,
    /// Resource app id.
    pub resource_id: Option<String>,
    /// Outcome.
    pub status: Option<SignInStatus>,
    /// Device.
    pub device_detail: Option<DeviceDetail>,
    /// Location.
    pub location: Option<SignInLocation>,
    /// Conditional Access policies evaluated.
    pub applied_conditional_access_policies: Vec<AppliedConditionalAccessPolicy>,
    /// Beta: `interactiveUser`, `nonInteractiveUser`, `servicePrincipal`, `managedIdentity`.
    pub sign_in_event_types: Option<Vec<String>>,
    /// Beta: each authentication step.
    pub authentication_details: Option<Vec<AuthenticationDetail>>,
    /// Beta: user agent string.
    pub user_agent: Option<String>,
    /// Beta: `none`, `oAuth2`, `ropc`, `wsFederation`, `saml20`, `deviceCode`, ...
    pub authentication_protocol: Option<String>,
    /// Beta: `none`, `primaryRefreshToken`, `saml11`, ...
    pub incoming_token_type: Option<String>,
    /// Beta: session id.
    pub session_id: Option<String>,
    /// Beta: unique token identifier.
    pub unique_token_identifier: Option<String>,
    /// Beta: autonomous system number of the source.
    pub autonomous_system_number: Option<i64>,
    /// Beta: MFA detail.
    pub mfa_detail: Option<MfaDetail>,
    /// Beta: `singleFactorAuthentication` or `multiFactorAuthentication`.
    pub authentication_requirement: Option<String>,
    /// Beta: `member` or `guest`.
    pub user_type: Option<String>,
}

impl SignIn {
    /// The AADSTS error code (0 = success).
    pub fn error_code(&self) -> Option<i64> {
        self.status.as_ref().and_then(|status| status.error_code)
    }

    /// Whether the sign-in succeeded.
    pub fn succeeded(&self) -> bool {
        self.error_code() == Some(0)
    }
}

/// `signIn.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignInStatus {
    /// 0 on success; 50126 bad password, 50053 locked, 50057 disabled, ...
    pub error_code: Option<i64>,
    /// Failure reason.
    pub failure_reason: Option<String>,
    /// Extra detail.
    pub additional_details: Option<String>,
}

/// `signIn.deviceDetail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeviceDetail {
    /// Device id.
    pub device_id: Option<String>,
    /// Device name.
    pub display_name: Option<String>,
    /// Operating system.
    pub operating_system: Option<String>,
    /// Browser.
    pub browser: Option<String>,
    /// Intune compliant.
    pub is_compliant: Option<bool>,
    /// Managed.
    pub is_managed: Option<bool>,
    /// Join type.
    pub trust_type: Option<String>,
}

/// Sign-in or detection location.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignInLocation {
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Two-letter country or region.
    pub country_or_region: Option<String>,
    /// Coordinates.
    pub geo_coordinates: Option<GeoCoordinates>,
}

/// Coordinates of a [`SignInLocation`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GeoCoordinates {
    /// Altitude.
    pub altitude: Option<f64>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
}

/// A Conditional Access policy evaluated during sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppliedConditionalAccessPolicy {
    /// Policy id.
    pub id: Option<String>,
    /// Policy name.
    pub display_name: Option<String>,
    /// Grant controls enforced.
    pub enforced_grant_controls: Vec<String>,
    /// Session controls enforced.
    pub enforced_session_controls: Vec<String>,
    /// `success`, `failure`, `notApplied`, `notEnabled`, ...
    pub result: Option<String>,
}

/// Beta `signIn.authenticationDetails` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthenticationDetail {
    /// When the step happened.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub authentication_step_date_time: Option<OffsetDateTime>,
    /// `Password`, `Mobile app notification`, ...
    pub authentication_method: Option<String>,
    /// Method detail.
    pub authentication_method_detail: Option<String>,
    /// Whether the step succeeded.
    pub succeeded: Option<bool>,
    /// Step result detail.
    pub authentication_step_result_detail: Option<String>,
    /// Step requirement (`Primary authentication`, `MFA`).
    pub authentication_step_requirement: Option<String>,
}

/// Beta `signIn.mfaDetail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MfaDetail {
    /// MFA method.
    pub auth_method: Option<String>,
    /// MFA detail.
    pub auth_detail: Option<String>,
}
