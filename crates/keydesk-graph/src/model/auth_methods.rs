//! Authentication methods: the polymorphic method list, Temporary Access Passes, sign-in
//! preferences and long-running password-reset operations.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::secret::Secret;

/// Fixed id of the password method.
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// One entry of `GET /users/{id}/authentication/methods`, by `@odata.type`.
/// Unknown or malformed types land in [`AuthMethod::Unknown`] so new method types never break
/// listing.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthMethod {
    /// `#microsoft.graph.passwordAuthenticationMethod` (cannot be deleted).
    Password(PasswordMethod),
    /// `#microsoft.graph.phoneAuthenticationMethod`.
    Phone(PhoneMethod),
    /// `#microsoft.graph.microsoftAuthenticatorAuthenticationMethod`.
    MicrosoftAuthenticator(AuthenticatorMethod),
    /// `#microsoft.graph.fido2AuthenticationMethod`.
    Fido2(Fido2Method),
    /// `#microsoft.graph.emailAuthenticationMethod`.
    Email(EmailMethod),
    /// `#microsoft.graph.softwareOathAuthenticationMethod`.
    SoftwareOath(BasicMethod),
    /// `#microsoft.graph.windowsHelloForBusinessAuthenticationMethod`.
    WindowsHelloForBusiness(WindowsHelloMethod),
    /// `#microsoft.graph.temporaryAccessPassAuthenticationMethod`.
    TemporaryAccessPass(TapMethod),
    /// Any other type (platform credential, QR code, hardware OATH, future types).
    Unknown {
        /// The `@odata.type`, if any.
        odata_type: Option<String>,
        /// The method id, if any.
        id: String,
        /// The raw JSON.
        raw: Value,
    },
}

/// Fields every method has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BasicMethod {
    /// Method id.
    pub id: String,
    /// Registration time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

/// The password method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PasswordMethod {
    /// Always [`PASSWORD_METHOD_ID`].
    pub id: String,
    /// Creation time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

/// A phone method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PhoneMethod {
    /// Fixed per phone type.
    pub id: String,
    /// `+1 2065555555`.
    pub phone_number: Option<String>,
    /// `mobile`, `alternateMobile`, `office`.
    pub phone_type: Option<String>,
    /// SMS sign-in state.
    pub sms_sign_in_state: Option<String>,
}

/// A Microsoft Authenticator registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthenticatorMethod {
    /// Method id.
    pub id: String,
    /// Device name.
    pub display_name: Option<String>,
    /// Device tag.
    pub device_tag: Option<String>,
    /// App version.
    pub phone_app_version: Option<String>,
    /// Registration time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

/// A FIDO2 security key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Fido2Method {
    /// Method id.
    pub id: String,
    /// Key name.
    pub display_name: Option<String>,
    /// Authenticator attestation GUID.
    pub aa_guid: Option<String>,
    /// Key model.
    pub model: Option<String>,
    /// Attestation level.
    pub attestation_level: Option<String>,
    /// Registration time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

/// An e-mail method (SSPR).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EmailMethod {
    /// Method id.
    pub id: String,
    /// The address.
    pub email_address: Option<String>,
}

/// A Windows Hello for Business key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WindowsHelloMethod {
    /// Method id.
    pub id: String,
    /// Device name.
    pub display_name: Option<String>,
    /// `normal`, `weak`, `unknown`.
    pub key_strength: Option<String>,
    /// Registration time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

/// A Temporary Access Pass as listed (the pass itself is never returned after creation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TapMethod {
    /// Method id.
    pub id: String,
    /// Creation time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
    /// When it becomes usable.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub start_date_time: Option<OffsetDateTime>,
    /// Lifetime in minutes.
    pub lifetime_in_minutes: Option<u32>,
    /// One-time use.
    pub is_usable_once: Option<bool>,
    /// Whether it can be used now.
    pub is_usable: Option<bool>,
    /// `EnabledByPolicy`, `NotYetValid`, `Expired`, ...
    pub method_usability_reason: Option<String>,
}

/// A freshly created Temporary Access Pass, with its one-time-visible value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Tap {
    /// Method id.
    pub id: String,
    /// The pass. Only present in the create response.
    pub temporary_access_pass: Option<Secret>,
    /// Creation time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
    /// When it becomes usable.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub start_date_time: Option<OffsetDateTime>,
    /// Lifetime in minutes.
    pub lifetime_in_minutes: Option<u32>,
    /// One-time use.
    pub is_usable_once: Option<bool>,
    /// Whether it can be used now.
    pub is_usable: Option<bool>,
    /// Why it is (not) usable.
    pub method_usability_reason: Option<String>,
}

/// Body of `POST .../temporaryAccessPassMethods`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TapRequest {
    /// When it becomes usable; immediately when absent.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::timestamp::serialize"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// Lifetime (10–43,200 minutes); policy default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_in_minutes: Option<u32>,
    /// One-time use.
    pub is_usable_once: bool,
}

/// The Temporary Access Pass policy
/// (`policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TapPolicy {
    /// `enabled` or `disabled`.
    pub state: Option<String>,
    /// Default lifetime in minutes.
    pub default_lifetime_in_minutes: Option<u32>,
    /// Default pass length.
    pub default_length: Option<u32>,
    /// Minimum lifetime in minutes.
    pub minimum_lifetime_in_minutes: Option<u32>,
    /// Maximum lifetime in minutes.
    pub maximum_lifetime_in_minutes: Option<u32>,
    /// Whether passes are forced to be one-time.
    pub is_usable_once: Option<bool>,
}

/// Beta `GET /users/{id}/authentication/signInPreferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignInPreferences {
    /// The user's default second factor (`push`, `sms`, `voiceMobile`, `oath`, ...).
    pub user_preferred_method_for_secondary_authentication: Option<String>,
    /// Whether system-preferred MFA is on.
    pub is_system_preferred_authentication_method_enabled: Option<bool>,
    /// The system-preferred method.
    pub system_preferred_authentication_method: Option<String>,
}

/// A long-running authentication operation (password reset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthenticationOperation {
    /// Operation id.
    pub id: String,
    /// Current status.
    pub status: OperationStatus,
    /// Start time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
    /// Last progress time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub last_action_date_time: Option<OffsetDateTime>,
    /// Resource the operation acted on.
    pub resource_location: Option<String>,
    /// Failure detail.
    pub status_detail: Option<String>,
}

/// Status of an [`AuthenticationOperation`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationStatus {
    /// Queued.
    NotStarted,
    /// In progress.
    Running,
    /// Done.
    Succeeded,
    /// Failed (see `statusDetail`).
    Failed,
    /// A value keydesk does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl OperationStatus {
    /// `succeeded` or `failed`.
    pub fn is_terminal(self) -> bool {
        matches!(self, OperationStatus::Succeeded | OperationStatus::Failed)
    }
}

impl AuthMethod {
    /// The method id.
    pub fn id(&self) -> &str {
        match self {
            AuthMethod::Password(method) => &method.id,
            AuthMethod::Phone(method) => &method.id,
            AuthMethod::MicrosoftAuthenticator(method) => &method.id,
            AuthMethod::Fido2(method) => &method.id,
            AuthMethod::Email(method) => &method.id,
            AuthMethod::SoftwareOath(method) => &method.id,
            AuthMethod::WindowsHelloForBusiness(method) => &method.id,
            AuthMethod::TemporaryAccessPass(method) => &method.id,
            AuthMethod::Unknown { id, .. } => id,
        }
    }

    /// The per-type collection under `/users/{id}/authentication/` (`phoneMethods`, ...).
    /// For unknown types it is derived from the `@odata.type` name.
    pub fn collection(&self) -> Option<String> {
        let known = match self {
            AuthMethod::Password(_) => "passwordMethods",
            AuthMethod::Phone(_) => "phoneMethods",
            AuthMethod::MicrosoftAuthenticator(_) => "microsoftAuthenticatorMethods",
            AuthMethod::Fido2(_) => "fido2Methods",
            AuthMethod::Email(_) => "emailMethods",
            AuthMethod::SoftwareOath(_) => "softwareOathMethods",
            AuthMethod::WindowsHelloForBusiness(_) => "windowsHelloForBusinessMethods",
            AuthMethod::TemporaryAccessPass(_) => "temporaryAccessPassMethods",
            AuthMethod::Unknown { odata_type, .. } => {
                let name = odata_type
                    .as_deref()?
                    .trim_start_matches("#microsoft.graph.");
                let stem = name.strip_suffix("AuthenticationMethod")?;
                return (!stem.is_empty()).then(|| format!("{stem}Methods"));
            }
        };
        Some(known.to_owned())
    }

    /// Whether Graph lets an admin delete this method (the password cannot be deleted).
    pub fn is_deletable(&self) -> bool {
        !matches!(self, AuthMethod::Password(_)) && self.collection().is_some()
    }

    /// A short human-readable kind (`phone`, `fido2`, ...).
    pub fn kind(&self) -> &str {
        match self {
            AuthMethod::Password(_) => "password",
            AuthMethod::Phone(_) => "phone",
            AuthMethod::MicrosoftAuthenticator(_) => "microsoftAuthenticator",
            AuthMethod::Fido2(_) => "fido2",
            AuthMethod::Email(_) => "email",
            AuthMethod::SoftwareOath(_) => "softwareOath",
            AuthMethod::WindowsHelloForBusiness(_) => "windowsHelloForBusiness",
            AuthMethod::TemporaryAccessPass(_) => "temporaryAccessPass",
            AuthMethod::Unknown { .. } => "unknown",
        }
    }
}

impl<'de> Deserialize<'de> for AuthMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let odata_type = raw
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let kind = odata_type
            .as_deref()
            .map(|kind| kind.trim_start_matches("#microsoft.graph."));
        let parsed = match kind {
            Some("passwordAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::Password)
            }
            Some("phoneAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::Phone)
            }
            Some("microsoftAuthenticatorAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::MicrosoftAuthenticator)
            }
            Some("fido2AuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::Fido2)
            }
            Some("emailAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::Email)
            }
            Some("softwareOathAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::SoftwareOath)
            }
            Some("windowsHelloForBusinessAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::WindowsHelloForBusiness)
            }
            Some("temporaryAccessPassAuthenticationMethod") => {
                serde_json::from_value(raw.clone()).map(AuthMethod::TemporaryAccessPass)
            }
            _ => return Ok(unknown(odata_type, raw)),
        };
        Ok(parsed.unwrap_or_else(|_| unknown(odata_type, raw)))
    }
}

fn unknown(odata_type: Option<String>, raw: Value) -> AuthMethod {
    let id = raw
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    AuthMethod::Unknown {
        odata_type,
        id,
        raw,
    }
}
