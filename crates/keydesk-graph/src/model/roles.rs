//! Directory roles, role templates and unified RBAC assignments and definitions.

use serde::Deserialize;

/// An activated directory role (`directoryRoles`); the id is tenant-specific.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DirectoryRole {
    /// Tenant-specific id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Stable template id.
    pub role_template_id: Option<String>,
}

/// A built-in role template (`directoryRoleTemplates`); the id is the template id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DirectoryRoleTemplate {
    /// Template id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// `roleManagement/directory/roleAssignments` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UnifiedRoleAssignment {
    /// Assignment id.
    pub id: String,
    /// Assigned principal.
    pub principal_id: Option<String>,
    /// Role definition (equals the template id for built-ins).
    pub role_definition_id: Option<String>,
    /// `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: Option<String>,
    /// App scope.
    pub app_scope_id: Option<String>,
    /// Present with `$expand=roleDefinition`.
    pub role_definition: Option<UnifiedRoleDefinition>,
}

impl UnifiedRoleAssignment {
    /// Whether the assignment is tenant-wide (not scoped to an administrative unit).
    pub fn is_tenant_wide(&self) -> bool {
        matches!(self.directory_scope_id.as_deref(), None | Some("/"))
    }
}

/// `roleManagement/directory/roleDefinitions` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UnifiedRoleDefinition {
    /// Definition id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Built-in role.
    pub is_built_in: Option<bool>,
    /// Enabled.
    pub is_enabled: Option<bool>,
    /// Labelled PRIVILEGED by Microsoft.
    pub is_privileged: Option<bool>,
    /// Template id.
    pub template_id: Option<String>,
    /// Permissions.
    pub role_permissions: Vec<RolePermission>,
    /// Inherited definitions.
    pub inherits_permissions_from: Vec<RoleDefinitionReference>,
}

/// Allowed resource actions of a role definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolePermission {
    /// Actions such as `microsoft.directory/users/password/update`.
    pub allowed_resource_actions: Vec<String>,
}

/// A reference to another role definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RoleDefinitionReference {
    /// Definition id.
    pub id: String,
}
