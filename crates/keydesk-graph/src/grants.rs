//! Delegated permission grants and service principals: list and revoke consents, inspect and
//! disable enterprise apps, review app role assignments.

use serde_json::json;

use crate::client::GraphClient;
use crate::error::Result;
use crate::model::{AppRoleAssignment, OAuth2PermissionGrant, ServicePrincipal};
use crate::odata::{Filter, Query, segment};
use crate::users::user_path;

impl GraphClient {
    /// `GET oauth2PermissionGrants` with an optional filter (`principalId eq`, `clientId eq`,
    /// `resourceId eq`, `consentType eq 'AllPrincipals'`).
    pub async fn list_grants(&self, filter: Option<Filter>) -> Result<Vec<OAuth2PermissionGrant>> {
        let query = filter.map_or_else(Query::default, |filter| Query::default().filter(filter));
        self.collect_query("oauth2PermissionGrants", &query).await
    }

    /// `GET users/{id}/oauth2PermissionGrants` (grants the user consented to).
    pub async fn grants_for_user(&self, user: &str) -> Result<Vec<OAuth2PermissionGrant>> {
        self.collect_all(&format!("{}/oauth2PermissionGrants", user_path(user)))
            .await
    }

    /// `DELETE oauth2PermissionGrants/{id}` → 204. Issued access tokens stay valid until they
    /// expire; pair with `revoke_sign_in_sessions`.
    pub async fn delete_grant(&self, grant_id: &str) -> Result<()> {
        self.delete(&format!("oauth2PermissionGrants/{}", segment(grant_id)))
            .await
    }

    /// `GET servicePrincipals` across all pages (the tenant's enterprise apps).
    pub async fn list_service_principals(&self) -> Result<Vec<ServicePrincipal>> {
        self.collect_query("servicePrincipals", &Query::default().top(999))
            .await
    }

    /// `GET servicePrincipals/{id}`.
    pub async fn get_service_principal(&self, id: &str) -> Result<ServicePrincipal> {
        self.get(&format!("servicePrincipals/{}", segment(id)))
            .await
    }

    /// `GET servicePrincipals?$filter=appId eq '…'`; `None` when the app has no service
    /// principal in this tenant.
    pub async fn find_service_principal_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<ServicePrincipal>> {
        let found: Vec<ServicePrincipal> = self
            .collect_query(
                "servicePrincipals",
                &Query::default().filter(Filter::eq("appId", app_id)),
            )
            .await?;
        Ok(found.into_iter().next())
    }

    /// `PATCH servicePrincipals/{id}` `{"accountEnabled": …}` → 204.
    pub async fn set_service_principal_enabled(&self, id: &str, enabled: bool) -> Result<()> {
        self.patch_no_content(
            &format!("servicePrincipals/{}", segment(id)),
            &json!({ "accountEnabled": enabled }),
        )
        .await
    }

    /// `GET servicePrincipals/{id}/appRoleAssignments` (application permissions it holds).
    pub async fn app_role_assignments(
        &self,
        service_principal_id: &str,
    ) -> Result<Vec<AppRoleAssignment>> {
        self.collect_all(&format!(
            "servicePrincipals/{}/appRoleAssignments",
            segment(service_principal_id)
        ))
        .await
    }

    /// `GET servicePrincipals/{id}/appRoleAssignedTo` (users and groups assigned to the app).
    pub async fn app_role_assigned_to(
        &self,
        service_principal_id: &str,
    ) -> Result<Vec<AppRoleAssignment>> {
        self.collect_all(&format!(
            "servicePrincipals/{}/appRoleAssignedTo",
            segment(service_principal_id)
        ))
        .await
    }

    /// `DELETE servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}` → 204.
    pub async fn delete_app_role_assigned_to(
        &self,
        service_principal_id: &str,
        assignment_id: &str,
    ) -> Result<()> {
        let path = format!(
            "servicePrincipals/{}/appRoleAssignedTo/{}",
            segment(service_principal_id),
            segment(assignment_id)
        );
        self.delete(&path).await
    }
}
