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
    let groups: Vec<String> = groups?.into_iter().filter_map(|g| g.display_name).collect();
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

/// A user as a policy resource: department, privileged roles, synced flag, MFA registration.
pub async fn user_resource(ops: &Ops, user: &User) -> Result<Resource> {
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
    Ok(Resource::User(TargetUser {
        upn: resolve::upn(user),
        department: user.department.clone().unwrap_or_default(),
        privileged_roles: privileged_roles?,
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
        privileged: group.is_assignable_to_role == Some(true),
    }))
}
