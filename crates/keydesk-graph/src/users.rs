//! User calls: read, find, create, update, password profile, sessions, manager, photo,
//! group membership.
//!
//! Ids may be object ids or UPNs. UPNs are percent-encoded as path segments (`#EXT#` guests
//! become `%23EXT%23`); a UPN starting with `$` uses the `users('...')` key form Graph requires.

use serde::Deserialize;
use serde_json::json;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::model::{DirectoryObject, NewUser, User, UserPatch};
use crate::odata::{Filter, Query, segment};
use crate::secret::Secret;

/// Properties keydesk asks for when reading a user for helpdesk decisions.
pub const HELPDESK_USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "mobilePhone",
    "businessPhones",
    "jobTitle",
    "department",
    "officeLocation",
    "usageLocation",
    "userType",
    "accountEnabled",
    "createdDateTime",
    "lastPasswordChangeDateTime",
    "passwordPolicies",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "signInSessionsValidFromDateTime",
];

#[derive(Deserialize)]
struct BooleanValue {
    #[serde(default)]
    value: Option<bool>,
}

#[derive(Deserialize)]
struct StringValues {
    #[serde(default)]
    value: Vec<String>,
}

/// `users/{id}` path for an object id or UPN.
pub(crate) fn user_path(id_or_upn: &str) -> String {
    if id_or_upn.starts_with('$') {
        format!("users(%27{}%27)", segment(&id_or_upn.replace('\'', "''")))
    } else {
        format!("users/{}", segment(id_or_upn))
    }
}

impl GraphClient {
    /// `GET users/{id}` with `$select` (empty = Graph's default property set).
    pub async fn get_user(&self, id_or_upn: &str, select: &[&str]) -> Result<User> {
        let query = Query::default().select(select);
        self.get(&query.apply_to(&user_path(id_or_upn))).await
    }

    /// `GET users/{id}` returning `None` on 404.
    pub async fn find_user(&self, id_or_upn: &str, select: &[&str]) -> Result<Option<User>> {
        match self.get_user(id_or_upn, select).await {
            Ok(user) => Ok(Some(user)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `GET users?$filter=...` across all pages.
    pub async fn find_users(&self, filter: Filter, select: &[&str]) -> Result<Vec<User>> {
        self.collect_query(
            "users",
            &Query::default().filter(filter).select(select).top(999),
        )
        .await
    }

    /// `GET users` with an arbitrary query, across all pages.
    pub async fn list_users(&self, query: &Query) -> Result<Vec<User>> {
        self.collect_query("users", query).await
    }

    /// `POST users` → 201 with the new user.
    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        let body = json!({
            "accountEnabled": user.account_enabled,
            "displayName": user.display_name,
            "mailNickname": user.mail_nickname,
            "userPrincipalName": user.user_principal_name,
            "passwordProfile": {
                "password": user.password.expose(),
                "forceChangePasswordNextSignIn": user.force_change_password_next_sign_in,
            },
        });
        self.post("users", &body).await
    }

    /// `PATCH users/{id}` → 204.
    pub async fn update_user(&self, id_or_upn: &str, patch: &UserPatch) -> Result<()> {
        self.patch_no_content(&user_path(id_or_upn), patch).await
    }

    /// Enables or blocks sign-in (`PATCH accountEnabled`).
    pub async fn set_account_enabled(&self, id_or_upn: &str, enabled: bool) -> Result<()> {
        self.update_user(
            id_or_upn,
            &UserPatch {
                account_enabled: Some(enabled),
                ..UserPatch::default()
            },
        )
        .await
    }

    /// `DELETE users/{id}` → 204 (soft delete, restorable for 30 days).
    pub async fn delete_user(&self, id_or_upn: &str) -> Result<()> {
        self.delete(&user_path(id_or_upn)).await
    }

    /// Sets a new password with `PATCH passwordProfile` (the app-only reset path).
    pub async fn set_password_profile(
        &self,
        id_or_upn: &str,
        password: &Secret,
        force_change: bool,
    ) -> Result<()> {
        let body = json!({
            "passwordProfile": {
                "password": password.expose(),
                "forceChangePasswordNextSignIn": force_change,
            }
        });
        self.patch_no_content(&user_path(id_or_upn), &body).await
    }

    /// `POST users/{id}/revokeSignInSessions`; `Ok(true)` when Graph confirms. Accepts the
    /// documented 200 `{"value":true}` and the older 204.
    pub async fn revoke_sign_in_sessions(&self, id_or_upn: &str) -> Result<bool> {
        let path = format!("{}/revokeSignInSessions", user_path(id_or_upn));
        let answer: Option<BooleanValue> = self.post(&path, &json!({})).await?;
        match answer {
            None => Ok(true),
            Some(BooleanValue { value: Some(value) }) => Ok(value),
            Some(BooleanValue { value: None }) => Err(Error::UnexpectedResponse(
                "revokeSignInSessions answered without a value".to_owned(),
            )),
        }
    }

    /// `GET users/{id}/manager`; `None` when Graph answers 404 (no manager).
    pub async fn get_manager(&self, id_or_upn: &str) -> Result<Option<DirectoryObject>> {
        match self.get(&format!("{}/manager", user_path(id_or_upn))).await {
            Ok(manager) => Ok(Some(manager)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `PUT users/{id}/manager/$ref` → 204.
    pub async fn set_manager(&self, id_or_upn: &str, manager_id: &str) -> Result<()> {
        let body =
            json!({ "@odata.id": self.graph_url(&format!("users/{}", segment(manager_id))) });
        let request = crate::GraphRequest::put(&format!("{}/manager/$ref", user_path(id_or_upn)))
            .json(&body)?;
        self.send(request).await.map(drop)
    }

    /// `DELETE users/{id}/manager/$ref` → 204.
    pub async fn remove_manager(&self, id_or_upn: &str) -> Result<()> {
        self.delete(&format!("{}/manager/$ref", user_path(id_or_upn)))
            .await
    }

    /// `GET users/{id}/directReports`.
    pub async fn direct_reports(&self, id_or_upn: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("{}/directReports", user_path(id_or_upn)))
            .await
    }

    /// `PUT users/{id}/photo/$value` with raw image bytes (under 4 MB).
    pub async fn put_photo(
        &self,
        id_or_upn: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<()> {
        self.put_bytes(
            &format!("{}/photo/$value", user_path(id_or_upn)),
            content_type,
            bytes,
        )
        .await
    }

    /// `GET users/{id}/memberOf` (direct groups, roles, administrative units).
    pub async fn member_of(&self, id_or_upn: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("{}/memberOf", user_path(id_or_upn)))
            .await
    }

    /// `GET users/{id}/transitiveMemberOf` (nested groups and roles).
    pub async fn transitive_member_of(&self, id_or_upn: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("{}/transitiveMemberOf", user_path(id_or_upn)))
            .await
    }

    /// `POST users/{id}/checkMemberGroups` (≤ 20 ids, transitive) → the ids the user is in.
    pub async fn check_member_groups(
        &self,
        id_or_upn: &str,
        group_ids: &[&str],
    ) -> Result<Vec<String>> {
        if group_ids.len() > 20 {
            return Err(Error::InvalidRequest(
                "checkMemberGroups takes at most 20 group ids".to_owned(),
            ));
        }
        let path = format!("{}/checkMemberGroups", user_path(id_or_upn));
        let answer: StringValues = self.post(&path, &json!({ "groupIds": group_ids })).await?;
        Ok(answer.value)
    }
}

#[cfg(test)]
mod tests {
    use super::user_path;

    #[test]
    fn user_paths() {
        assert_eq!(user_path("alex@contoso.com"), "users/alex@contoso.com");
        assert_eq!(
            user_path("guest_gmail.com#EXT#@contoso.onmicrosoft.com"),
            "users/guest_gmail.com%23EXT%23@contoso.onmicrosoft.com"
        );
        assert_eq!(user_path("$x@contoso.com"), "users(%27%24x@contoso.com%27)");
        assert_eq!(
            user_path("$o'x@contoso.com"),
            "users(%27%24o%27%27x@contoso.com%27)"
        );
        assert_eq!(
            user_path("o'neil@contoso.com"),
            "users/o%27neil@contoso.com"
        );
    }
}
