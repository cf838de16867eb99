//! Group calls: find, read, members, owners, membership changes.

use serde_json::json;

use crate::client::GraphClient;
use crate::error::Result;
use crate::model::{DirectoryObject, Group};
use crate::odata::{Filter, Query, segment};

/// Properties keydesk asks for when reading a group for helpdesk decisions.
pub const HELPDESK_GROUP_SELECT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "membershipRule",
    "onPremisesSyncEnabled",
    "isAssignableToRole",
    "visibility",
];

fn group_path(id: &str) -> String {
    format!("groups/{}", segment(id))
}

impl GraphClient {
    /// `GET groups/{id}`.
    pub async fn get_group(&self, id: &str, select: &[&str]) -> Result<Group> {
        self.get(&Query::default().select(select).apply_to(&group_path(id)))
            .await
    }

    /// `GET groups?$filter=...` across all pages.
    pub async fn find_groups(&self, filter: Filter, select: &[&str]) -> Result<Vec<Group>> {
        self.collect_query(
            "groups",
            &Query::default().filter(filter).select(select).top(999),
        )
        .await
    }

    /// `GET groups` across all pages, with [`HELPDESK_GROUP_SELECT`].
    pub async fn list_groups(&self) -> Result<Vec<Group>> {
        self.collect_query(
            "groups",
            &Query::default().select(HELPDESK_GROUP_SELECT).top(999),
        )
        .await
    }

    /// Groups whose display name is exactly `name`.
    pub async fn find_groups_by_name(&self, name: &str) -> Result<Vec<Group>> {
        self.find_groups(Filter::eq("displayName", name), HELPDESK_GROUP_SELECT)
            .await
    }

    /// `GET groups/{id}/members` (direct).
    pub async fn group_members(&self, id: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("{}/members", group_path(id)))
            .await
    }

    /// `GET groups/{id}/transitiveMembers`.
    pub async fn group_transitive_members(&self, id: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("{}/transitiveMembers", group_path(id)))
            .await
    }

    /// `GET groups/{id}/owners`.
    pub async fn group_owners(&self, id: &str) -> Result<Vec<DirectoryObject>> {
        self.collect_all(&format!("{}/owners", group_path(id)))
            .await
    }

    /// `POST groups/{id}/members/$ref` → 204 (400 if already a member).
    pub async fn add_group_member(&self, group_id: &str, member_id: &str) -> Result<()> {
        let body = json!({ "@odata.id": self.directory_object_url(member_id) });
        self.post_no_content(&format!("{}/members/$ref", group_path(group_id)), &body)
            .await
    }

    /// `DELETE groups/{id}/members/{memberId}/$ref` → 204 (404 if not a member).
    pub async fn remove_group_member(&self, group_id: &str, member_id: &str) -> Result<()> {
        self.delete(&format!(
            "{}/members/{}/$ref",
            group_path(group_id),
            segment(member_id)
        ))
        .await
    }

    /// `POST groups/{id}/owners/$ref` → 204.
    pub async fn add_group_owner(&self, group_id: &str, owner_id: &str) -> Result<()> {
        let body = json!({ "@odata.id": self.directory_object_url(owner_id) });
        self.post_no_content(&format!("{}/owners/$ref", group_path(group_id)), &body)
            .await
    }

    /// `DELETE groups/{id}/owners/{ownerId}/$ref` → 204.
    pub async fn remove_group_owner(&self, group_id: &str, owner_id: &str) -> Result<()> {
        self.delete(&format!(
            "{}/owners/{}/$ref",
            group_path(group_id),
            segment(owner_id)
        ))
        .await
    }
}
