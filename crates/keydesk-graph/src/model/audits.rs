//! Directory audit log entries (`auditLogs/directoryAudits`).

use serde::Deserialize;
use time::OffsetDateTime;

/// One directory audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DirectoryAudit {
    /// Entry id.
    pub id: String,
    /// `UserManagement`, `GroupManagement`, ...
    pub category: Option<String>,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// `success`, `failure`, `timeout`.
    pub result: Option<String>,
    /// Reason for the result.
    pub result_reason: Option<String>,
    /// `Reset user password`, `Update user`, ...
    pub activity_display_name: Option<String>,
    /// When it happened.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub activity_date_time: Option<OffsetDateTime>,
    /// `Core Directory`, `Authentication Methods`, ...
    pub logged_by_service: Option<String>,
    /// `Add`, `Update`, `Delete`, ...
    pub operation_type: Option<String>,
    /// Who did it.
    pub initiated_by: Option<AuditActivityInitiator>,
    /// What it was done to.
    pub target_resources: Vec<TargetResource>,
    /// Extra key/value pairs.
    pub additional_details: Vec<KeyValue>,
}

/// `directoryAudit.initiatedBy`: exactly one of user / app is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuditActivityInitiator {
    /// A user actor.
    pub user: Option<AuditUserIdentity>,
    /// An app actor.
    pub app: Option<AuditAppIdentity>,
}

/// A user that initiated an audited activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuditUserIdentity {
    /// Object id.
    pub id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
}

/// An app that initiated an audited activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuditAppIdentity {
    /// App id.
    pub app_id: Option<String>,
    /// App name.
    pub display_name: Option<String>,
    /// Service principal object id.
    pub service_principal_id: Option<String>,
    /// Service principal name.
    pub service_principal_name: Option<String>,
}

/// An object an audited activity touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TargetResource {
    /// Object id.
    pub id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// `User`, `Group`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// UPN, for users.
    pub user_principal_name: Option<String>,
    /// Group type, for groups.
    pub group_type: Option<String>,
    /// Changed properties.
    pub modified_properties: Vec<ModifiedProperty>,
}

/// A property change recorded in an audit entry (values are JSON text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ModifiedProperty {
    /// Property name.
    pub display_name: Option<String>,
    /// Old value.
    pub old_value: Option<String>,
    /// New value.
    pub new_value: Option<String>,
}

/// A key/value pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyValue {
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: Option<String>,
}
