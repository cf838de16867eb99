//! Connecting a tenant: which Microsoft Graph permissions and directory roles the chosen actions
//! need ([`plan`]), the admin-consent link ([`admin_consent_url`]), and proof that a credential
//! works ([`validate`]) before keydesk saves anything.
//!
//! Everything here is derived from [`doctor::ACTION_REQUIREMENTS`], so `connect`, `doctor` and
//! the README's permission table cannot disagree.

use keydesk_graph::GraphClient;
use keydesk_graph::model::Organization;
use serde::Serialize;

use crate::doctor::{ACTION_REQUIREMENTS, ActionRequirement};
use crate::{Error, Result};

/// What keydesk's app registration needs for a set of actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPlan {
    pub actions: Vec<&'static str>,
    /// Application permissions on Microsoft Graph the actions cannot run without (the
    /// least-privileged choice for each need), sorted.
    pub required: Vec<&'static str>,
    /// Permissions that add a feature to one of the actions, sorted.
    pub optional: Vec<&'static str>,
    /// Directory roles keydesk's service principal needs (one of each group suffices; the
    /// least-privileged is named).
    pub roles: Vec<&'static str>,
}

/// The permission plan for `actions` (names from the action vocabulary); empty means every
/// action. An unknown name is an error that lists the known ones.
pub fn plan(actions: &[String]) -> Result<PermissionPlan> {
    let chosen: Vec<&ActionRequirement> = if actions.is_empty() {
        ACTION_REQUIREMENTS.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for name in actions {
            let requirement = ACTION_REQUIREMENTS
                .iter()
                .find(|r| r.action.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "unknown action '{name}'; known actions: {}",
                        ACTION_REQUIREMENTS
                            .iter()
                            .map(|r| r.action)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            if !chosen
                .iter()
                .any(|c: &&ActionRequirement| c.action == requirement.action)
            {
                chosen.push(requirement);
            }
        }
        chosen
    };
    let mut required: Vec<&'static str> = chosen
        .iter()
        .flat_map(|r| r.permissions.iter().map(|any| any[0]))
        .collect();
    required.sort_unstable();
    required.dedup();
    // A broader permission in the list covers a narrower one (User.ReadWrite.All covers
    // User.Read.All): ask for the fewest.
    let covered = |p: &str, list: &[&'static str]| {
        list.iter().any(|q| *q != p && satisfied_by(p).contains(q))
    };
    let all_required = required.clone();
    required.retain(|p| !covered(p, &all_required));
    let mut optional: Vec<&'static str> = chosen
        .iter()
        .flat_map(|r| r.optional.iter().map(|(any, _)| any[0]))
        .filter(|p| !required.contains(p) && !covered(p, &required))
        .collect();
    optional.sort_unstable();
    optional.dedup();
    let mut roles: Vec<&'static str> = chosen
        .iter()
        .filter_map(|r| r.role.first().map(|role| role.name))
        .collect();
    roles.sort_unstable();
    roles.dedup();
    Ok(PermissionPlan {
        actions: chosen.iter().map(|r| r.action).collect(),
        required,
        optional,
        roles,
    })
}

/// The link a Global Administrator opens to grant the app registration's configured
/// permissions for the whole tenant (`/{tenant}/adminconsent?client_id=...`).
pub fn admin_consent_url(authority_host: &url::Url, tenant: &str, client_id: &str) -> String {
    let mut url = authority_host.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(tenant).push("adminconsent");
    }
    url.query_pairs_mut().append_pair("client_id", client_id);
    url.to_string()
}

/// What a working credential showed.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The tenant, when keydesk may read it.
    pub organization: Option<Organization>,
    /// Application permissions in the access token.
    pub granted: Vec<String>,
    /// Required permissions of the plan the token does not carry (admin consent missing).
    pub missing: Vec<&'static str>,
    /// Optional permissions of the plan the token does not carry.
    pub missing_optional: Vec<&'static str>,
    /// Why the tenant could not be read, when it could not.
    pub organization_error: Option<String>,
}

/// Proves the credential with real Graph calls: an access token from the identity platform (a
/// wrong or expired secret or certificate fails here), then `GET /organization`. The token's
/// permissions are compared with the plan. Fails only when the credential itself is refused;
/// missing consent is reported in the [`Validation`].
pub async fn validate(graph: &GraphClient, plan: &PermissionPlan) -> Result<Validation> {
    let granted = graph.granted_roles().await.map_err(|error| {
        Error::refused(
            format!("the credential was refused: {}", error.explain()),
            "check the tenant, the client id and the secret or certificate (and its expiry); nothing was saved",
        )
    })?;
    let holds = |permission: &str| {
        granted.iter().any(|g| {
            g.eq_ignore_ascii_case(permission)
                || satisfied_by(permission)
                    .iter()
                    .any(|p| g.eq_ignore_ascii_case(p))
        })
    };
    let missing = plan
        .required
        .iter()
        .copied()
        .filter(|p| !holds(p))
        .collect();
    let missing_optional = plan
        .optional
        .iter()
        .copied()
        .filter(|p| !holds(p))
        .collect();
    let (organization, organization_error) = match graph.organization().await {
        Ok(organization) => (Some(organization), None),
        Err(error) => (None, Some(error.explain())),
    };
    Ok(Validation {
        organization,
        granted,
        missing,
        missing_optional,
        organization_error,
    })
}

/// The permissions that satisfy a need whose least-privileged choice is `permission` (the
/// broader ones from the same requirement lists).
fn satisfied_by(permission: &str) -> Vec<&'static str> {
    let mut any: Vec<&'static str> = ACTION_REQUIREMENTS
        .iter()
        .flat_map(|r| {
            r.permissions
                .iter()
                .copied()
                .chain(r.optional.iter().map(|(any, _)| *any))
        })
        .filter(|list| list.first() == Some(&permission))
        .flat_map(|list| list.iter().copied())
        .collect();
    any.sort_unstable();
    any.dedup();
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_for_password_reset_names_the_least_privileged_permissions_and_role() {
        let plan = plan(&["password_reset".to_string()]).expect("known action");
        assert_eq!(plan.actions, vec!["password_reset"]);
        assert_eq!(
            plan.required,
            vec![
                "RoleManagement.Read.Directory",
                "User-PasswordProfile.ReadWrite.All",
                "User.Read.All"
            ]
        );
        assert_eq!(plan.optional, vec!["Mail.Send", "User.RevokeSessions.All"]);
        assert_eq!(plan.roles, vec!["User Administrator"]);
    }

    #[test]
    fn every_action_is_the_default_and_unknown_ones_are_refused() {
        let all = plan(&[]).expect("all actions");
        assert_eq!(all.actions.len(), ACTION_REQUIREMENTS.len());
        assert!(
            all.required
                .contains(&"UserAuthenticationMethod.ReadWrite.All")
        );
        let error = plan(&["reset_everything".to_string()]).expect_err("unknown");
        assert!(
            error
                .to_string()
                .contains("unknown action 'reset_everything'")
        );
    }

    #[test]
    fn the_consent_link_is_per_tenant() {
        let host = url::Url::parse("https://login.microsoftonline.com").expect("url");
        assert_eq!(
            admin_consent_url(&host, "contoso.onmicrosoft.com", "7d3f9a2e"),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=7d3f9a2e"
        );
    }

    #[test]
    fn a_broader_permission_satisfies_a_narrower_need() {
        assert!(satisfied_by("User.Read.All").contains(&"Directory.ReadWrite.All"));
        assert_eq!(satisfied_by("Mail.Send"), vec!["Mail.Send"]);
    }
}
