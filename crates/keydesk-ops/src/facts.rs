//! The facts a policy decision is made from, read from the directory: who asks
//! ([`principal`]) and what the action applies to ([`user_resource`], [`group_resource`]).
//!
//! These are the only inputs the guard trusts about people, so they come from Graph every time:
//! roles (active assignments and role-assignable groups), groups, privileged roles of the target,
//! registered MFA methods, the synced flag, a group's owners.

use keydesk_graph::model::{AuthMethod, Group, User};
use keydesk_policy::{Principal, PrincipalKind, Resource, TargetGroup, TargetUser};

use crate::{Ops, Result, groups, resolve, roles};

/// The principal's facts: directory roles and groups decide operator or employee.
pub async fn principal(ops: &Ops, upn: &str) -> Result<Principal> {
    let user = resolve::user(&ops.graph, upn).await?;
    let (roles, groups) = futures::join!(
        roles::roles_of_user(ops, &user.id),
        groups::user_groups(ops, &user.id, true)
    );
    let roles: Vec<String> = roles?.into_iter().map(|r| r.name).collect();
    let groups = policy_group_names(
        &ops.settings.helpdesk_group,
        groups?.into_iter().filter_map(|g| g.display_name),
    );
    let operator = !roles.is_empty() || groups.iter().any(|g| g == roles::HELPDESK_GROUP);
    let upn = resolve::upn(&user);
    Ok(Principal {
        unlock_any_account: ops
            .settings
            .unlock_any_account
            .iter()
            .any(|granted| granted.eq_ignore_ascii_case(&upn)),
        upn,
        kind: if operator {
            PrincipalKind::Operator
        } else {
            PrincipalKind::Employee
        },
        directory_roles: roles,
        groups,
    })
}

/// The group names the policy sees. The policy speaks of the helpdesk group by its canonical
/// name, [`roles::HELPDESK_GROUP`]; the tenant profile says which directory group plays that
/// part. Membership in the configured group appears under the canonical name, and a directory
/// group that merely carries the canonical name (when another group is configured) does not.
pub fn policy_group_names(
    helpdesk_group: &str,
    groups: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in groups {
        let name = if name.eq_ignore_ascii_case(helpdesk_group) {
            roles::HELPDESK_GROUP.to_string()
        } else if name == roles::HELPDESK_GROUP {
            continue;
        } else {
            name
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// What a protected account (keydesk's own list, see `Settings::protected_accounts`) counts as
/// when it holds no active privileged role: the policy treats it as a privileged target.
pub const PROTECTED_ACCOUNT: &str = "Protected account (keydesk)";

/// A user as a policy resource: department, privileged roles, synced flag, MFA registration.
pub async fn user_resource(ops: &Ops, user: &User) -> Result<Resource> {
    user_resource_in(ops, user, false).await
}

/// [`user_resource`] for a change in the identity store the plan acts in. For a synced user with
/// Active Directory configured, a protected AD account (`adminCount` = 1, Domain Admins and the
/// other protected groups) counts as a privileged role. When the change acts in AD
/// (`in_ad`), the resource is the AD account, the source of truth, so it is not `synced`; and if
/// AD cannot be read, nothing is authorized.
pub async fn user_resource_in(ops: &Ops, user: &User, in_ad: bool) -> Result<Resource> {
    let resource = entra_user_resource(ops, user).await?;
    let Resource::User(mut target) = resource else {
        return Ok(resource);
    };
    if ops.ad.is_some() && crate::linked::is_synced(user) {
        let account = if in_ad {
            Some(crate::linked::require(ops, user).await?.account)
        } else {
            match crate::linked::lookup(ops, user).await {
                crate::linked::AdLink::Found(found) => Some(found.account),
                _ => None,
            }
        };
        if let Some(account) = account
            && account.protected()
        {
            target
                .privileged_roles
                .push(crate::linked::protected_role(&account));
        }
        if in_ad {
            target.synced = false;
        }
    }
    Ok(Resource::User(target))
}

async fn entra_user_resource(ops: &Ops, user: &User) -> Result<Resource> {
    let (privileged_roles, methods) = futures::join!(
        roles::privileged_roles_of(ops, &user.id),
        ops.graph.list_methods(&user.id)
    );
    let mfa_registered = methods?.iter().any(|m| {
        !matches!(
            m,
            AuthMethod::Password(_) | AuthMethod::Email(_) | AuthMethod::TemporaryAccessPass(_)
        )
    });
    let upn = resolve::upn(user);
    let mut privileged_roles = privileged_roles?;
    if privileged_roles.is_empty()
        && ops
            .settings
            .protected_accounts
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&upn))
    {
        privileged_roles.push(PROTECTED_ACCOUNT.to_string());
    }
    Ok(Resource::User(TargetUser {
        upn,
        department: user.department.clone().unwrap_or_default(),
        privileged_roles,
        synced: user.on_premises_sync_enabled == Some(true),
        mfa_registered,
    }))
}

/// A group as a policy resource: name, owners, and whether it is privileged (role-assignable).
pub async fn group_resource(ops: &Ops, group: &Group) -> Result<Resource> {
    let owners = ops
        .graph
        .group_owners(&group.id)
        .await?
        .into_iter()
        .filter_map(|o| o.user_principal_name.map(|u| u.to_lowercase()))
        .collect();
    Ok(Resource::Group(TargetGroup {
        name: group.display_name.clone().unwrap_or_default(),
        owners,
        privileged: group.is_assignable_to_role == Some(true)
            || group
                .display_name
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(&ops.settings.helpdesk_group)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn the_configured_helpdesk_group_plays_the_policy_part() {
        let groups = names(&["IT Service Desk", "Sales"]);
        assert_eq!(
            policy_group_names("IT Service Desk", groups),
            names(&["Helpdesk Operators", "Sales"])
        );
        // A group that only carries the canonical name grants nothing once another is configured.
        let impostor = names(&["Helpdesk Operators", "Sales"]);
        assert_eq!(
            policy_group_names("IT Service Desk", impostor),
            names(&["Sales"])
        );
        let standard = names(&["Helpdesk Operators"]);
        assert_eq!(
            policy_group_names(roles::HELPDESK_GROUP, standard),
            names(&["Helpdesk Operators"])
        );
    }
}
