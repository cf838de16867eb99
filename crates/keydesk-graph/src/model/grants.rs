//! Delegated permission grants, service principals and app role assignments.

use serde::Deserialize;
use time::OffsetDateTime;

/// `oAuth2PermissionGrant`: a delegated consent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OAuth2PermissionGrant {
    /// Grant id (opaque, not a GUID).
    pub id: String,
    /// Object id of the client app's service principal.
    pub client_id: String,
    /// `AllPrincipals` or `Principal`.
    pub consent_type: Option<String>,
    /// User object id when `Principal`.
    pub principal_id: Option<String>,
    /// Object id of the resource service principal.
    pub resource_id: String,
    /// Space-separated delegated permissions.
    pub scope: Option<String>,
}

impl OAuth2PermissionGrant {
    /// The individual permissions in `scope`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or_default().split_whitespace()
    }

    /// Whether this is an admin consent for all users.
    pub fn is_all_principals(&self) -> bool {
        self.consent_type.as_deref() == Some("AllPrincipals")
    }
}

/// A service principal (enterprise app) as a helpdesk reviewer needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id in this tenant.
    pub id: String,
    /// Application (client) id.
    pub app_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// App display name.
    pub app_display_name: Option<String>,
    /// Owning tenant of the app registration.
    pub app_owner_organization_id: Option<String>,
    /// Publisher tenant name.
    pub publisher_name: Option<String>,
    /// Verified publisher.
    pub verified_publisher: Option<VerifiedPublisher>,
    /// `false` blocks sign-ins.
    pub account_enabled: Option<bool>,
    /// `Application`, `ManagedIdentity`, `Legacy`, `SocialIdp`.
    pub service_principal_type: Option<String>,
    /// Redirect URIs.
    pub reply_urls: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Sign-in audience.
    pub sign_in_audience: Option<String>,
    /// Homepage.
    pub homepage: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Roles the app exposes.
    pub app_roles: Vec<AppRole>,
    /// Delegated permissions the app exposes.
    pub oauth2_permission_scopes: Vec<PermissionScope>,
    /// Creation time (beta only).
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

/// `servicePrincipal.verifiedPublisher`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VerifiedPublisher {
    /// Publisher name.
    pub display_name: Option<String>,
    /// MPN id.
    pub verified_publisher_id: Option<String>,
    /// When verification was added.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub added_date_time: Option<OffsetDateTime>,
}

/// An app role the app exposes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppRole {
    /// Role id.
    pub id: String,
    /// Claim value (e.g. `User.Read.All`).
    pub value: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `User`, `Application`.
    pub allowed_member_types: Vec<String>,
    /// Whether enabled.
    pub is_enabled: Option<bool>,
}

/// A delegated permission the app exposes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PermissionScope {
    /// Scope id.
    pub id: String,
    /// Scope value (e.g. `User.Read`).
    pub value: Option<String>,
    /// `Admin` or `User`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Admin consent display name.
    pub admin_consent_display_name: Option<String>,
    /// Whether enabled.
    pub is_enabled: Option<bool>,
}

/// An app role assignment (application permission granted, or user/group assigned to an app).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// Assignment id.
    pub id: String,
    /// App role id (all-zero GUID = default access).
    pub app_role_id: Option<String>,
    /// Assigned principal.
    pub principal_id: Option<String>,
    /// `User`, `Group`, `ServicePrincipal`.
    pub principal_type: Option<String>,
    /// Principal name.
    pub principal_display_name: Option<String>,
    /// Resource service principal.
    pub resource_id: Option<String>,
    /// Resource name.
    pub resource_display_name: Option<String>,
    /// When assigned.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}
