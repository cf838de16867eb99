//! The emulated tenant's records.
//!
//! Each Graph resource is a `*Record` holding the wire shape (a struct serialized exactly as Graph
//! shows it, camelCase) beside the state Graph keeps but never returns (password hashes, lockout
//! counters, membership lists).
//! The wire structs serialize every property, `null` included, so that `$select` and `$filter`
//! can tell an unknown property from an unset one.
//! These types belong to the emulator alone: the Graph client has its own, so that one
//! misreading of Graph cannot hide in both.

use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Graph's timestamp format: RFC 3339 in UTC with a `Z`.
pub type Timestamp = OffsetDateTime;

pub mod ts {
    //! Graph timestamps: UTC with a `Z` and at most seven fractional digits, trailing zeros
    //! dropped (`2024-05-01T10:00:00Z`, `2020-03-13T19:15:41.6195833Z`). Any RFC 3339 is read.

    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    /// Formats a timestamp the way Graph writes it.
    pub fn format(at: OffsetDateTime) -> String {
        let utc = at.to_offset(time::UtcOffset::UTC);
        let ticks = utc.nanosecond() / 100;
        let base = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            utc.year(),
            u8::from(utc.month()),
            utc.day(),
            utc.hour(),
            utc.minute(),
            utc.second()
        );
        if ticks == 0 {
            format!("{base}Z")
        } else {
            let fraction = format!("{ticks:07}");
            format!("{base}.{}Z", fraction.trim_end_matches('0'))
        }
    }

    pub fn parse(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339)
    }

    pub mod rfc3339 {
        //! `#[serde(with)]` for a required timestamp.
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            at: &OffsetDateTime,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(&super::format(*at))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<OffsetDateTime, D::Error> {
            let text = String::deserialize(deserializer)?;
            super::parse(&text).map_err(serde::de::Error::custom)
        }
    }

    pub mod option {
        //! `#[serde(with)]` for an optional timestamp.
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            at: &Option<OffsetDateTime>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&super::format(*at)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            let text = Option::<String>::deserialize(deserializer)?;
            text.map(|t| super::parse(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// Well-known ids Graph fixes for every tenant.
pub mod ids {
    /// The password authentication method's id, the same for every user.
    pub const PASSWORD_METHOD: &str = "28c10230-6103-485e-b985-444c60001490";
    /// Phone method ids are fixed per phone type.
    pub const PHONE_MOBILE: &str = "3179e48a-750b-4051-897c-87b9720928f7";
    pub const PHONE_ALTERNATE_MOBILE: &str = "b6332ec1-7057-4abe-9331-3d72feddfe41";
    pub const PHONE_OFFICE: &str = "e37fc753-ff3b-4958-9484-eaa9425c82bc";
    /// The email authentication method's id.
    pub const EMAIL_METHOD: &str = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";
    /// Microsoft Graph's application id (the resource of Graph tokens and grants).
    pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
    /// The tenant that owns Microsoft's first-party apps.
    pub const MICROSOFT_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

    /// Directory role template ids.
    pub mod roles {
        pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
        pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
        pub const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: &str =
            "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";
        pub const AUTHENTICATION_ADMINISTRATOR: &str = "c4e39bd9-1100-46d3-8c65-fb160da0071f";
        pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
        pub const PASSWORD_ADMINISTRATOR: &str = "966707d0-3269-4727-9be2-8c3a10f19b9d";
        pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
        pub const SECURITY_ADMINISTRATOR: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";
        pub const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
        pub const GROUPS_ADMINISTRATOR: &str = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
        pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
        pub const DIRECTORY_READERS: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
    }
}

// ------------------------------------------------------------------------------------------
// Users
// ------------------------------------------------------------------------------------------

/// A user as Graph returns it (all properties; the default property set is chosen at read time).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub mail_nickname: String,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub job_title: Option<String>,
    pub office_location: Option<String>,
    pub preferred_language: Option<String>,
    pub account_enabled: bool,
    pub department: Option<String>,
    pub company_name: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub employee_id: Option<String>,
    pub usage_location: Option<String>,
    pub user_type: String,
    pub other_mails: Vec<String>,
    pub proxy_addresses: Vec<String>,
    #[serde(with = "ts::rfc3339")]
    pub created_date_time: Timestamp,
    #[serde(with = "ts::option")]
    pub last_password_change_date_time: Option<Timestamp>,
    pub password_policies: Option<String>,
    /// Always returned as `null`-password; Graph never reveals it.
    pub password_profile: Option<PasswordProfileView>,
    pub on_premises_sync_enabled: Option<bool>,
    pub on_premises_immutable_id: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
    pub on_premises_distinguished_name: Option<String>,
    pub on_premises_domain_name: Option<String>,
    pub on_premises_user_principal_name: Option<String>,
    #[serde(with = "ts::option")]
    pub on_premises_last_sync_date_time: Option<Timestamp>,
    #[serde(with = "ts::option")]
    pub sign_in_sessions_valid_from_date_time: Option<Timestamp>,
    pub sign_in_activity: Option<SignInActivity>,
}

/// `passwordProfile` as read back: the password itself is always null.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordProfileView {
    pub password: Option<String>,
    pub force_change_password_next_sign_in: bool,
    pub force_change_password_next_sign_in_with_mfa: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    #[serde(with = "ts::option")]
    pub last_sign_in_date_time: Option<Timestamp>,
    pub last_sign_in_request_id: Option<String>,
    #[serde(with = "ts::option")]
    pub last_non_interactive_sign_in_date_time: Option<Timestamp>,
    pub last_non_interactive_sign_in_request_id: Option<String>,
    #[serde(with = "ts::option")]
    pub last_successful_sign_in_date_time: Option<Timestamp>,
    pub last_successful_sign_in_request_id: Option<String>,
}

/// A user with the state Graph keeps but does not return.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub user: User,
    /// Salted SHA-256 of the current password (see [`crate::tenant::hash_password`]).
    pub password_hash: String,
    /// The password's expiry; sign-ins after it fail with 50055.
    #[serde(with = "ts::option")]
    pub password_expires: Option<Timestamp>,
    pub manager_id: Option<String>,
    pub photo: Option<Photo>,
    /// Registered authentication methods other than the password.
    pub methods: Vec<AuthMethod>,
    /// Id of the default MFA method (`userPreferredMethodForSecondaryAuthentication`).
    pub default_method_id: Option<String>,
    pub lockout: LockoutState,
    /// Whether a sign-in needs MFA (tenant policy: every user, the demo's "Require MFA" policy).
    pub mfa_required: bool,
    /// Places (country codes) and IPs of past successful sign-ins: smart lockout's familiar set.
    pub familiar_ips: IndexSet<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Photo {
    pub content_type: String,
    /// Base64 of the image bytes (kept as text so the state export stays JSON).
    pub data_base64: String,
    pub width: u32,
    pub height: u32,
}

/// Smart lockout bookkeeping. Familiar and unfamiliar locations count separately, as in Entra.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockoutState {
    pub familiar: LockoutCounter,
    pub unfamiliar: LockoutCounter,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockoutCounter {
    pub failed_attempts: u32,
    /// How many times this counter has locked the account (the duration grows with it).
    pub lockouts: u32,
    #[serde(with = "ts::option")]
    pub locked_until: Option<Timestamp>,
    /// Hashes of the last three bad passwords: repeating one does not count again.
    pub recent_bad_hashes: Vec<String>,
}

// ------------------------------------------------------------------------------------------
// Authentication methods
// ------------------------------------------------------------------------------------------

/// A registered authentication method, tagged with Graph's `@odata.type`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "@odata.type")]
pub enum AuthMethod {
    #[serde(
        rename = "#microsoft.graph.phoneAuthenticationMethod",
        rename_all = "camelCase"
    )]
    Phone {
        id: String,
        phone_number: String,
        /// `mobile`, `alternateMobile` or `office`.
        phone_type: String,
        sms_sign_in_state: String,
    },
    #[serde(
        rename = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        rename_all = "camelCase"
    )]
    MicrosoftAuthenticator {
        id: String,
        display_name: String,
        device_tag: Option<String>,
        phone_app_version: Option<String>,
        #[serde(with = "ts::option")]
        created_date_time: Option<Timestamp>,
    },
    #[serde(
        rename = "#microsoft.graph.fido2AuthenticationMethod",
        rename_all = "camelCase"
    )]
    Fido2 {
        id: String,
        display_name: String,
        aa_guid: String,
        model: String,
        attestation_certificates: Vec<String>,
        attestation_level: String,
        #[serde(with = "ts::option")]
        created_date_time: Option<Timestamp>,
    },
    #[serde(
        rename = "#microsoft.graph.emailAuthenticationMethod",
        rename_all = "camelCase"
    )]
    Email { id: String, email_address: String },
    #[serde(
        rename = "#microsoft.graph.softwareOathAuthenticationMethod",
        rename_all = "camelCase"
    )]
    SoftwareOath {
        id: String,
        /// Always null on read.
        secret_key: Option<String>,
    },
    #[serde(
        rename = "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
        rename_all = "camelCase"
    )]
    WindowsHelloForBusiness {
        id: String,
        display_name: String,
        key_strength: String,
        #[serde(with = "ts::option")]
        created_date_time: Option<Timestamp>,
    },
    #[serde(
        rename = "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        rename_all = "camelCase"
    )]
    TemporaryAccessPass {
        id: String,
        /// The pass itself: only in the create response, null afterwards.
        temporary_access_pass: Option<String>,
        #[serde(with = "ts::option")]
        created_date_time: Option<Timestamp>,
        #[serde(with = "ts::option")]
        start_date_time: Option<Timestamp>,
        lifetime_in_minutes: u32,
        is_usable_once: bool,
        /// Computed at read time from the clock; stored value is a placeholder.
        is_usable: bool,
        method_usability_reason: String,
    },
}

impl AuthMethod {
    pub fn id(&self) -> &str {
        match self {
            AuthMethod::Phone { id, .. }
            | AuthMethod::MicrosoftAuthenticator { id, .. }
            | AuthMethod::Fido2 { id, .. }
            | AuthMethod::Email { id, .. }
            | AuthMethod::SoftwareOath { id, .. }
            | AuthMethod::WindowsHelloForBusiness { id, .. }
            | AuthMethod::TemporaryAccessPass { id, .. } => id,
        }
    }

    /// The per-type collection segment under `/authentication/` this method lives in.
    pub fn collection(&self) -> &'static str {
        match self {
            AuthMethod::Phone { .. } => "phoneMethods",
            AuthMethod::MicrosoftAuthenticator { .. } => "microsoftAuthenticatorMethods",
            AuthMethod::Fido2 { .. } => "fido2Methods",
            AuthMethod::Email { .. } => "emailMethods",
            AuthMethod::SoftwareOath { .. } => "softwareOathMethods",
            AuthMethod::WindowsHelloForBusiness { .. } => "windowsHelloForBusinessMethods",
            AuthMethod::TemporaryAccessPass { .. } => "temporaryAccessPassMethods",
        }
    }

    /// Whether this method can satisfy MFA (a TAP satisfies it while usable, too).
    pub fn is_mfa_capable(&self) -> bool {
        !matches!(self, AuthMethod::Email { .. })
    }
}

/// A long-running password reset started through the methods API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetOperation {
    pub id: String,
    pub user_id: String,
    /// `notStarted`, `running`, `succeeded`, `failed`.
    pub status: String,
    #[serde(with = "ts::rfc3339")]
    pub created_date_time: Timestamp,
    #[serde(with = "ts::rfc3339")]
    pub last_action_date_time: Timestamp,
    pub resource_location: Option<String>,
    pub status_detail: Option<String>,
    /// When the operation completes (reads before it report `running`).
    #[serde(with = "ts::rfc3339")]
    pub completes_at: Timestamp,
}

// ------------------------------------------------------------------------------------------
// Groups and roles
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail: Option<String>,
    pub mail_nickname: String,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    pub membership_rule: Option<String>,
    pub membership_rule_processing_state: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    pub is_assignable_to_role: Option<bool>,
    pub visibility: Option<String>,
    pub resource_provisioning_options: Vec<String>,
    #[serde(with = "ts::rfc3339")]
    pub created_date_time: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRecord {
    pub group: Group,
    /// Direct members (user or group ids), in insertion order.
    pub members: IndexSet<String>,
    pub owners: IndexSet<String>,
}

/// An activated directory role (`/directoryRoles`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRole {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub role_template_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRoleRecord {
    pub role: DirectoryRole,
    /// Principal ids (users, groups, service principals) holding the role tenant-wide.
    pub members: IndexSet<String>,
}

/// A built-in role definition (`/roleManagement/directory/roleDefinitions`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub is_built_in: bool,
    pub is_enabled: bool,
    pub is_privileged: bool,
    pub template_id: String,
    pub role_permissions: Vec<RolePermission>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RolePermission {
    pub allowed_resource_actions: Vec<String>,
}

// ------------------------------------------------------------------------------------------
// Sign-ins, risk, audits
// ------------------------------------------------------------------------------------------

/// A sign-in log entry in beta's full shape; `/v1.0` projects it to v1.0's properties.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub id: String,
    #[serde(with = "ts::rfc3339")]
    pub created_date_time: Timestamp,
    pub user_display_name: String,
    /// Always lower-case in sign-in logs.
    pub user_principal_name: String,
    pub user_id: String,
    pub app_id: String,
    pub app_display_name: String,
    pub ip_address: String,
    pub client_app_used: String,
    pub user_agent: Option<String>,
    pub correlation_id: String,
    pub conditional_access_status: String,
    pub is_interactive: bool,
    pub risk_detail: String,
    pub risk_level_aggregated: String,
    pub risk_level_during_sign_in: String,
    pub risk_state: String,
    pub risk_event_types: Vec<String>,
    #[serde(rename = "riskEventTypes_v2")]
    pub risk_event_types_v2: Vec<String>,
    pub resource_display_name: String,
    pub resource_id: String,
    pub status: SignInStatus,
    pub device_detail: DeviceDetail,
    pub location: SignInLocation,
    pub applied_conditional_access_policies: Vec<serde_json::Value>,
    // Beta-only properties below.
    pub sign_in_event_types: Vec<String>,
    pub authentication_requirement: String,
    pub authentication_protocol: String,
    pub incoming_token_type: String,
    pub original_transfer_method: Option<String>,
    pub session_id: Option<String>,
    pub unique_token_identifier: Option<String>,
    pub autonomous_system_number: Option<u32>,
    pub token_issuer_type: String,
    pub user_type: String,
    pub authentication_details: Vec<AuthenticationDetail>,
    pub mfa_detail: Option<MfaDetail>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    pub error_code: i64,
    pub failure_reason: Option<String>,
    pub additional_details: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail {
    pub device_id: String,
    pub display_name: Option<String>,
    pub operating_system: String,
    pub browser: String,
    pub is_compliant: Option<bool>,
    pub is_managed: Option<bool>,
    pub trust_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SignInLocation {
    pub city: Option<String>,
    pub state: Option<String>,
    pub country_or_region: Option<String>,
    pub geo_coordinates: Option<GeoCoordinates>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GeoCoordinates {
    pub altitude: Option<f64>,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationDetail {
    #[serde(with = "ts::rfc3339")]
    pub authentication_step_date_time: Timestamp,
    pub authentication_method: String,
    pub authentication_method_detail: Option<String>,
    pub succeeded: bool,
    pub authentication_step_result_detail: String,
    pub authentication_step_requirement: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MfaDetail {
    pub auth_method: Option<String>,
    pub auth_detail: Option<String>,
}

/// `/identityProtection/riskyUsers` entry; its id is the user's object id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RiskyUser {
    pub id: String,
    pub is_deleted: bool,
    pub is_processing: bool,
    #[serde(with = "ts::rfc3339")]
    pub risk_last_updated_date_time: Timestamp,
    pub risk_level: String,
    pub risk_state: String,
    pub risk_detail: String,
    pub user_display_name: String,
    pub user_principal_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskyUserRecord {
    pub risky_user: RiskyUser,
    /// `/history` items: snapshots with `userId`, `initiatedBy` and `activity`.
    pub history: Vec<RiskyUserHistoryItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RiskyUserHistoryItem {
    pub id: String,
    pub is_deleted: bool,
    pub is_processing: bool,
    #[serde(with = "ts::rfc3339")]
    pub risk_last_updated_date_time: Timestamp,
    pub risk_level: String,
    pub risk_state: String,
    pub risk_detail: String,
    pub user_display_name: String,
    pub user_principal_name: String,
    pub user_id: String,
    pub initiated_by: Option<String>,
    pub activity: RiskUserActivity,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RiskUserActivity {
    pub detail: String,
    pub risk_event_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RiskDetection {
    pub id: String,
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
    pub risk_event_type: String,
    pub risk_state: String,
    pub risk_level: String,
    pub risk_detail: String,
    pub source: String,
    pub detection_timing_type: String,
    pub activity: String,
    pub token_issuer_type: String,
    pub ip_address: Option<String>,
    pub location: Option<SignInLocation>,
    #[serde(with = "ts::rfc3339")]
    pub activity_date_time: Timestamp,
    #[serde(with = "ts::rfc3339")]
    pub detected_date_time: Timestamp,
    #[serde(with = "ts::rfc3339")]
    pub last_updated_date_time: Timestamp,
    pub user_id: String,
    pub user_display_name: String,
    pub user_principal_name: String,
    pub additional_info: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryAudit {
    pub id: String,
    pub category: String,
    pub correlation_id: String,
    pub result: String,
    pub result_reason: String,
    pub activity_display_name: String,
    #[serde(with = "ts::rfc3339")]
    pub activity_date_time: Timestamp,
    pub logged_by_service: String,
    pub operation_type: String,
    pub initiated_by: AuditActor,
    pub target_resources: Vec<TargetResource>,
    pub additional_details: Vec<KeyValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    pub user: Option<AuditUserIdentity>,
    pub app: Option<AuditAppIdentity>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuditUserIdentity {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub ip_address: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuditAppIdentity {
    pub app_id: Option<String>,
    pub display_name: Option<String>,
    pub service_principal_id: Option<String>,
    pub service_principal_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TargetResource {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_principal_name: Option<String>,
    pub group_type: Option<String>,
    pub modified_properties: Vec<ModifiedProperty>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    pub display_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

// ------------------------------------------------------------------------------------------
// Apps, grants, tenant
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub app_display_name: Option<String>,
    pub app_owner_organization_id: Option<String>,
    pub publisher_name: Option<String>,
    pub verified_publisher: VerifiedPublisher,
    pub account_enabled: bool,
    pub service_principal_type: String,
    pub sign_in_audience: Option<String>,
    pub reply_urls: Vec<String>,
    pub tags: Vec<String>,
    pub homepage: Option<String>,
    pub notes: Option<String>,
    pub app_roles: Vec<serde_json::Value>,
    pub oauth2_permission_scopes: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedPublisher {
    pub display_name: Option<String>,
    pub verified_publisher_id: Option<String>,
    #[serde(with = "ts::option")]
    pub added_date_time: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalRecord {
    pub service_principal: ServicePrincipal,
    /// When the SP was added to the tenant (beta exposes it; v1.0 does not).
    #[serde(with = "ts::rfc3339")]
    pub created_date_time: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2PermissionGrant {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

/// An app registration that can obtain tokens from the emulator's token endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRegistration {
    pub app_id: String,
    pub display_name: String,
    /// Object id of the app's service principal in this tenant.
    pub service_principal_id: String,
    pub secrets: Vec<ClientSecret>,
    pub certificates: Vec<ClientCertificate>,
    /// Application permissions admin-consented (the token's `roles`).
    pub granted_permissions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSecret {
    pub key_id: String,
    /// First three characters, as the portal shows.
    pub hint: String,
    /// Salted SHA-256 of the secret.
    pub secret_hash: String,
    #[serde(with = "ts::rfc3339")]
    pub end_date_time: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCertificate {
    pub key_id: String,
    /// Base64url SHA-1 of the certificate DER (`x5t`).
    pub thumbprint_sha1: String,
    /// Base64url SHA-256 of the certificate DER (`x5t#S256`).
    pub thumbprint_sha256: String,
    /// The certificate, PEM.
    pub certificate_pem: String,
    #[serde(with = "ts::rfc3339")]
    pub end_date_time: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub display_name: String,
    pub verified_domains: Vec<serde_json::Value>,
    pub country_letter_code: Option<String>,
    pub tenant_type: Option<String>,
    #[serde(with = "ts::rfc3339")]
    pub created_date_time: Timestamp,
    pub on_premises_sync_enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    pub id: String,
    pub sku_id: String,
    pub sku_part_number: String,
    pub applies_to: String,
    pub capability_status: String,
    pub consumed_units: u32,
    pub prepaid_units: serde_json::Value,
    pub service_plans: Vec<serde_json::Value>,
}

/// A message keydesk delivered: mail through `sendMail`, or a text through the SMS gateway.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub id: String,
    /// `mail` or `sms`.
    pub channel: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
    pub body: String,
    pub content_type: String,
    #[serde(with = "ts::rfc3339")]
    pub sent_date_time: Timestamp,
}

/// The whole tenant: what `export`/`import` move and what the data directory persists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantState {
    /// Format version of this document.
    pub version: u32,
    pub tenant_id: String,
    /// Primary domain, e.g. `contoso.onmicrosoft.com`.
    pub domain: String,
    pub organization: Organization,
    pub subscribed_skus: Vec<SubscribedSku>,
    /// Offset of the emulator's clock from the wall clock, in seconds (`/_emulator/clock`).
    pub clock_offset_seconds: i64,
    pub users: IndexMap<String, UserRecord>,
    pub groups: IndexMap<String, GroupRecord>,
    pub directory_roles: IndexMap<String, DirectoryRoleRecord>,
    pub role_definitions: Vec<RoleDefinition>,
    pub service_principals: IndexMap<String, ServicePrincipalRecord>,
    pub grants: IndexMap<String, OAuth2PermissionGrant>,
    pub apps: IndexMap<String, AppRegistration>,
    /// Newest last.
    pub sign_ins: Vec<SignIn>,
    pub risky_users: IndexMap<String, RiskyUserRecord>,
    pub risk_detections: Vec<RiskDetection>,
    /// Newest last.
    pub directory_audits: Vec<DirectoryAudit>,
    pub operations: IndexMap<String, PasswordResetOperation>,
    pub outbox: Vec<OutboxMessage>,
    /// Salt for password and secret hashes.
    pub salt: String,
}
