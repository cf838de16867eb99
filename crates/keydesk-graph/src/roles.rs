//! Directory roles and unified RBAC: activated roles and their members, templates, role
//! assignments of a principal, and role definitions (with `isPrivileged`).

use crate::client::GraphClient;
use crate::error::Result;
use crate::model::{
    DirectoryObject, DirectoryRole, DirectoryRoleTemplate, UnifiedRoleAssignment,
    UnifiedRoleDefinition,
};
use crate::odata::{Filter, Query, encode_query_value, quote, segment};

impl GraphClient {
    /// `GET directoryRoles` (only activated roles).
    pub async fn list_directory_roles(&self) -> Result<Vec<DirectoryRole>> {
        self.collect_all("directoryRoles").await
    }

    /// `GET directoryRoles/{id}/members`.
    pub async fn directory_role_members(&self, role_id: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("directoryRoles/{}/members", segment(role_id)))
            .await
    }

    /// `GET directoryRoles(roleTemplateId='…')/members`.
    pub async fn directory_role_members_by_template(
        &self,
        template_id: &str,
    ) -> Result<Vec<DirectoryObject>> {
        let key = encode_query_value(&quote(template_id));
        self.collect_all(&format!("directoryRoles(roleTemplateId={key})/members"))
            .await
    }

    /// `GET directoryRoleTemplates` (all built-in roles).
    pub async fn list_directory_role_templates(&self) -> Result<Vec<DirectoryRoleTemplate>> {
        self.collect_all("directoryRoleTemplates").await
    }

    /// `GET roleManagement/directory/roleAssignments?$filter=principalId eq '…'`, optionally
    /// with `$expand=roleDefinition`.
    pub async fn role_assignments_for(
        &self,
        principal_id: &str,
        expand_definition: bool,
    ) -> Result<Vec<UnifiedRoleAssignment>> {
        let mut query = Query::default().filter(Filter::eq("principalId", principal_id));
        if expand_definition {
            query = query.expand("roleDefinition");
        }
        self.collect_query("roleManagement/directory/roleAssignments", &query)
            .await
    }

    /// `GET roleManagement/directory/roleDefinitions` with an optional filter.
    pub async fn list_role_definitions(
        &self,
        filter: Option<Filter>,
    ) -> Result<Vec<UnifiedRoleDefinition>> {
        // `isPrivileged` is only in beta's unifiedRoleDefinition; v1.0 leaves it out.
        let query = filter.map_or_else(Query::default, |filter| Query::default().filter(filter));
        self.beta()
            .collect_query("roleManagement/directory/roleDefinitions", &query)
            .await
    }

    /// `GET roleManagement/directory/roleDefinitions/{id}`.
    pub async fn get_role_definition(&self, id: &str) -> Result<UnifiedRoleDefinition> {
        self.get(&format!(
            "roleManagement/directory/roleDefinitions/{}",
            segment(id)
        ))
        .await
    }
}
