//! Users, directory objects and the bodies used to change them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A user (`microsoft.graph.user`). Most properties are only returned when `$select`ed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    /// Object id.
    pub id: String,
    /// User principal name (sign-in name).
    pub user_principal_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub surname: Option<String>,
    /// Primary SMTP address.
    pub mail: Option<String>,
    /// Mail alias.
    pub mail_nickname: Option<String>,
    /// Mobile phone number.
    pub mobile_phone: Option<String>,
    /// Business phone numbers (Graph allows one).
    pub business_phones: Vec<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Office location.
    pub office_location: Option<String>,
    /// Preferred language (e.g. `en-US`).
    pub preferred_language: Option<String>,
    /// Two-letter usage location, required before licensing.
    pub usage_location: Option<String>,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    /// Other e-mail addresses.
    pub other_mails: Vec<String>,
    /// Whether the account can sign in.
    pub account_enabled: Option<bool>,
    /// Creation time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
    /// Last password change.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub last_password_change_date_time: Option<OffsetDateTime>,
    /// `DisablePasswordExpiration`, `DisableStrongPassword`, or both comma-separated.
    pub password_policies: Option<String>,
    /// `true` = synced from on-premises AD now; `false` = was synced; `None` = cloud-only.
    pub on_premises_sync_enabled: Option<bool>,
    /// Source anchor of a synced user.
    pub on_premises_immutable_id: Option<String>,
    /// On-premises sAMAccountName.
    pub on_premises_sam_account_name: Option<String>,
    /// On-premises distinguished name.
    pub on_premises_distinguished_name: Option<String>,
    /// Last time the sync engine touched the user.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub on_premises_last_sync_date_time: Option<OffsetDateTime>,
    /// Tokens issued before this time are invalid (moved by `revokeSignInSessions`).
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub sign_in_sessions_valid_from_date_time: Option<OffsetDateTime>,
    /// Last sign-in times (needs AuditLog.Read.All and P1/P2).
    pub sign_in_activity: Option<SignInActivity>,
    /// Employee id.
    pub employee_id: Option<String>,
}

impl User {
    /// Whether the user is currently mastered in on-premises AD.
    pub fn is_synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }
}

/// `user.signInActivity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignInActivity {
    /// Last interactive sign-in attempt.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub last_sign_in_date_time: Option<OffsetDateTime>,
    /// Request id of that sign-in.
    pub last_sign_in_request_id: Option<String>,
    /// Last non-interactive sign-in attempt.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub last_non_interactive_sign_in_date_time: Option<OffsetDateTime>,
    /// Request id of that sign-in.
    pub last_non_interactive_sign_in_request_id: Option<String>,
    /// Last successful sign-in.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub last_successful_sign_in_date_time: Option<OffsetDateTime>,
    /// Request id of that sign-in.
    pub last_successful_sign_in_request_id: Option<String>,
}

/// Any directory object (members, owners, managers, `memberOf` entries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DirectoryObject {
    /// `#microsoft.graph.user`, `#microsoft.graph.group`, `#microsoft.graph.directoryRole`, ...
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// UPN, for users.
    pub user_principal_name: Option<String>,
    /// Mail address, for users and mail-enabled groups.
    pub mail: Option<String>,
    /// Role template id, for directory roles.
    pub role_template_id: Option<String>,
    /// App id, for service principals.
    pub app_id: Option<String>,
}

/// The kind of a [`DirectoryObject`], from its `@odata.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryObjectKind {
    /// `#microsoft.graph.user`.
    User,
    /// `#microsoft.graph.group`.
    Group,
    /// `#microsoft.graph.directoryRole`.
    DirectoryRole,
    /// `#microsoft.graph.administrativeUnit`.
    AdministrativeUnit,
    /// `#microsoft.graph.servicePrincipal`.
    ServicePrincipal,
    /// `#microsoft.graph.device`.
    Device,
    /// Anything else, or no type.
    Other,
}

impl DirectoryObject {
    /// The object's kind.
    pub fn kind(&self) -> DirectoryObjectKind {
        match self
            .odata_type
            .as_deref()
            .map(|kind| kind.trim_start_matches("#microsoft.graph."))
        {
            Some("user") => DirectoryObjectKind::User,
            Some("group") => DirectoryObjectKind::Group,
            Some("directoryRole") => DirectoryObjectKind::DirectoryRole,
            Some("administrativeUnit") => DirectoryObjectKind::AdministrativeUnit,
            Some("servicePrincipal") => DirectoryObjectKind::ServicePrincipal,
            Some("device") => DirectoryObjectKind::Device,
            _ => DirectoryObjectKind::Other,
        }
    }
}

/// A partial update for `PATCH /users/{id}`; `None` fields are left unchanged.
/// Passwords go through [`GraphClient::set_password_profile`](crate::GraphClient::set_password_profile).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPatch {
    /// Enable or block sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Office location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_location: Option<String>,
    /// Mobile phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// Business phones (Graph accepts one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_phones: Option<Vec<String>>,
    /// Usage location (ISO 3166-1 alpha-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_location: Option<String>,
    /// Preferred language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Password policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_policies: Option<String>,
    /// Other e-mail addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_mails: Option<Vec<String>>,
    /// Employee id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
}

/// The fields required to create a user; the initial password is a [`Secret`](crate::Secret)
/// and is serialized only by [`GraphClient::create_user`](crate::GraphClient::create_user).
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Whether the account can sign in.
    pub account_enabled: bool,
    /// Display name.
    pub display_name: String,
    /// Mail alias.
    pub mail_nickname: String,
    /// User principal name.
    pub user_principal_name: String,
    /// Initial password.
    pub password: crate::Secret,
    /// Whether the user must change the password at next sign-in.
    pub force_change_password_next_sign_in: bool,
}
