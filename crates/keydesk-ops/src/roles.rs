//! Directory roles: which roles a user or an app holds, which of them Microsoft labels
//! privileged (`isPrivileged` on the role definitions, never a hard-coded list), and
//! `discover_roles`, which lists the activated roles with their members and the approvers keydesk
//! infers from them.
//!
//! Only reads. Assigning or removing roles is deliberately out of scope; PIM-eligible (not active)
//! assignments are not seen.

use std::collections::BTreeMap;

use futures::future::try_join_all;
use keydesk_graph::model::{
    DirectoryObject, DirectoryObjectKind, DirectoryRole, UnifiedRoleDefinition,
};
use serde::Serialize;
use serde_json::json;

use crate::directory::counted;
use crate::report::{Outcome, Report};
use crate::{Ops, Result};

/// A built-in directory role keydesk refers to by its stable template id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuiltInRole {
    pub name: &'static str,
    pub template_id: &'static str,
}

pub const GLOBAL_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "Global Administrator",
    template_id: "62e90394-69f5-4237-9190-012177145e10",
};
pub const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "Privileged Authentication Administrator",
    template_id: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
};
pub const AUTHENTICATION_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "Authentication Administrator",
    template_id: "c4e39bd9-1100-46d3-8c65-fb160da0071f",
};
pub const USER_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "User Administrator",
    template_id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
};
pub const HELPDESK_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "Helpdesk Administrator",
    template_id: "729827e3-9c14-49f7-bb1b-9608f156bbb8",
};
pub const PRIVILEGED_ROLE_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "Privileged Role Administrator",
    template_id: "e8611ab8-c189-46e8-94e1-60213ab1f814",
};
pub const SECURITY_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    name: "Security Administrator",
    template_id: "194ae4cb-b126-40b2-bd5b-6091b380977d",
};

/// The group keydesk's default policy treats as the everyday helpdesk, when it exists.
pub const HELPDESK_GROUP: &str = "Helpdesk Operators";

/// A role a principal holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldRole {
    pub name: String,
    pub template_id: String,
    /// Labelled PRIVILEGED by Microsoft. A role whose definition could not be read counts as
    /// privileged, so an unreadable definition never makes a target look harmless.
    pub privileged: bool,
    /// `/` (tenant-wide) or `/administrativeUnits/{id}`; `None` when seen only through `memberOf`.
    pub scope: Option<String>,
}

/// A member of a directory role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleMember {
    /// `user`, `group`, `servicePrincipal` or `other`.
    pub kind: &'static str,
    pub id: String,
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

/// An activated directory role and who holds it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveRole {
    pub name: String,
    pub template_id: String,
    pub privileged: bool,
    pub description: Option<String>,
    pub members: Vec<RoleMember>,
}

/// A person keydesk would ask to approve a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approver {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    /// The roles or group that make them an approver.
    pub via: Vec<String>,
}

/// The approvers keydesk infers from the tenant's roles.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approvers {
    /// Global Administrators and Privileged Authentication Administrators (users only).
    pub privileged: Vec<Approver>,
    /// Helpdesk Administrators and the members of the helpdesk group (users only).
    pub helpdesk: Vec<Approver>,
    /// The helpdesk group's id, when the group exists.
    pub helpdesk_group_id: Option<String>,
}

/// Everything `discover_roles` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovery {
    pub roles: Vec<ActiveRole>,
    pub approvers: Approvers,
    /// Whether `isPrivileged` came from the role definitions (false: they could not be read).
    pub definitions_read: bool,
}

/// Display names of the privileged roles `user_id` holds, directly, through a role-assignable
/// group, or scoped to an administrative unit. Sorted, without duplicates.
pub async fn privileged_roles_of(ops: &Ops, user_id: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = roles_of_user(ops, user_id)
        .await?
        .into_iter()
        .filter(|role| role.privileged)
        .map(|role| role.name)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The directory roles a user holds: active role assignments (any scope) and roles reached
/// through group membership (`transitiveMemberOf`).
pub async fn roles_of_user(ops: &Ops, user_id: &str) -> Result<Vec<HeldRole>> {
    let (assignments, member_of) = futures::join!(
        ops.graph.role_assignments_for(user_id, true),
        ops.graph.transitive_member_of(user_id),
    );
    let member_of = member_of?;
    let assignments = match assignments {
        Ok(assignments) => assignments,
        // Without RoleManagement.Read.Directory, memberOf still shows tenant-wide roles.
        Err(error) if error.graph().is_some_and(|e| e.is_forbidden()) => Vec::new(),
        Err(error) => return Err(error.into()),
    };
    let mut found = Found::default();
    for assignment in assignments {
        let template_id = assignment
            .role_definition
            .as_ref()
            .and_then(|d| d.template_id.clone())
            .or(assignment.role_definition_id.clone())
            .unwrap_or_default();
        found.add(
            template_id,
            assignment.directory_scope_id.clone(),
            assignment.role_definition,
        );
    }
    for object in member_of
        .iter()
        .filter(|o| o.kind() == DirectoryObjectKind::DirectoryRole)
    {
        let template_id = object
            .role_template_id
            .clone()
            .unwrap_or_else(|| object.id.clone());
        let definition = UnifiedRoleDefinition {
            display_name: object.display_name.clone(),
            ..UnifiedRoleDefinition::default()
        };
        found.add(template_id, None, Some(definition));
    }
    found.resolve(ops).await
}

/// The directory roles a service principal (an app) holds, from its role assignments.
pub async fn roles_of_service_principal(
    ops: &Ops,
    service_principal_id: &str,
) -> Result<Vec<HeldRole>> {
    let mut found = Found::default();
    for assignment in ops
        .graph
        .role_assignments_for(service_principal_id, true)
        .await?
    {
        let template_id = assignment.role_definition_id.clone().unwrap_or_default();
        found.add(
            template_id,
            assignment.directory_scope_id.clone(),
            assignment.role_definition,
        );
    }
    found.resolve(ops).await
}

/// Role templates seen for one principal, before `isPrivileged` is known for all of them.
#[derive(Default)]
struct Found {
    by_template: BTreeMap<String, (Option<String>, Option<UnifiedRoleDefinition>)>,
}

impl Found {
    fn add(
        &mut self,
        template_id: String,
        scope: Option<String>,
        definition: Option<UnifiedRoleDefinition>,
    ) {
        if template_id.is_empty() {
            return;
        }
        let entry = self.by_template.entry(template_id).or_insert((None, None));
        // Prefer the tenant-wide scope, and a definition that knows `isPrivileged`.
        if entry.0.as_deref() != Some("/") && scope.is_some() {
            entry.0 = scope;
        }
        let knows = |d: &Option<UnifiedRoleDefinition>| {
            d.as_ref().is_some_and(|d| d.is_privileged.is_some())
        };
        if !knows(&entry.1) && (entry.1.is_none() || knows(&definition)) {
            entry.1 = definition;
        }
    }

    async fn resolve(self, ops: &Ops) -> Result<Vec<HeldRole>> {
        let incomplete = self
            .by_template
            .values()
            .any(|(_, d)| d.as_ref().is_none_or(|d| d.is_privileged.is_none()));
        let definitions = if incomplete {
            definitions_by_template(ops).await?
        } else {
            None
        };
        let mut held: Vec<HeldRole> = self
            .by_template
            .into_iter()
            .map(|(template_id, (scope, definition))| {
                let listed = definitions.as_ref().and_then(|all| all.get(&template_id));
                let name = [definition.as_ref(), listed]
                    .into_iter()
                    .flatten()
                    .find_map(|d| d.display_name.clone())
                    .unwrap_or_else(|| template_id.clone());
                let privileged = [definition.as_ref(), listed]
                    .into_iter()
                    .flatten()
                    .find_map(|d| d.is_privileged)
                    .unwrap_or(true);
                HeldRole {
                    name,
                    template_id,
                    privileged,
                    scope,
                }
            })
            .collect();
        held.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(held)
    }
}

/// All role definitions by template id; `None` when the app may not read them.
async fn definitions_by_template(
    ops: &Ops,
) -> Result<Option<BTreeMap<String, UnifiedRoleDefinition>>> {
    match ops.graph.list_role_definitions(None).await {
        Ok(definitions) => Ok(Some(
            definitions
                .into_iter()
                .map(|d| (d.template_id.clone().unwrap_or_else(|| d.id.clone()), d))
                .collect(),
        )),
        Err(error) if error.graph().is_some_and(|e| e.is_forbidden()) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The activated roles with their members, and the approvers keydesk infers.
pub async fn discover(ops: &Ops) -> Result<Discovery> {
    let (active, definitions, helpdesk_groups) = futures::try_join!(
        async {
            ops.graph
                .list_directory_roles()
                .await
                .map_err(crate::Error::from)
        },
        definitions_by_template(ops),
        async {
            ops.graph
                .find_groups_by_name(&ops.settings.helpdesk_group)
                .await
                .map_err(crate::Error::from)
        },
    )?;
    let members = try_join_all(
        active
            .iter()
            .map(|role| ops.graph.directory_role_members(&role.id)),
    )
    .await?;
    let helpdesk_group = helpdesk_groups.into_iter().next();
    let helpdesk_group_members = match &helpdesk_group {
        Some(group) => ops.graph.group_transitive_members(&group.id).await?,
        None => Vec::new(),
    };
    let mut roles: Vec<ActiveRole> = active
        .iter()
        .zip(members)
        .map(|(role, members)| active_role(role, members, definitions.as_ref()))
        .collect();
    roles.sort_by(|a, b| {
        b.privileged
            .cmp(&a.privileged)
            .then_with(|| a.name.cmp(&b.name))
    });

    let mut approvers = Approvers {
        helpdesk_group_id: helpdesk_group.as_ref().map(|g| g.id.clone()),
        ..Approvers::default()
    };
    for role in &roles {
        let list = if [
            GLOBAL_ADMINISTRATOR,
            PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
        ]
        .iter()
        .any(|r| r.template_id == role.template_id)
        {
            &mut approvers.privileged
        } else if role.template_id == HELPDESK_ADMINISTRATOR.template_id {
            &mut approvers.helpdesk
        } else {
            continue;
        };
        for member in role.members.iter().filter(|m| m.kind == "user") {
            add_approver(
                list,
                &member.id,
                member.user_principal_name.as_deref(),
                member.display_name.as_deref(),
                &role.name,
            );
        }
    }
    for member in helpdesk_group_members
        .iter()
        .filter(|m| m.kind() == DirectoryObjectKind::User)
    {
        let via = format!("{} group", ops.settings.helpdesk_group);
        add_approver(
            &mut approvers.helpdesk,
            &member.id,
            member.user_principal_name.as_deref(),
            member.display_name.as_deref(),
            &via,
        );
    }
    Ok(Discovery {
        roles,
        approvers,
        definitions_read: definitions.is_some(),
    })
}

fn active_role(
    role: &DirectoryRole,
    members: Vec<DirectoryObject>,
    definitions: Option<&BTreeMap<String, UnifiedRoleDefinition>>,
) -> ActiveRole {
    let template_id = role
        .role_template_id
        .clone()
        .unwrap_or_else(|| role.id.clone());
    let privileged = definitions
        .and_then(|all| all.get(&template_id))
        .and_then(|d| d.is_privileged)
        .unwrap_or(true);
    ActiveRole {
        name: role
            .display_name
            .clone()
            .unwrap_or_else(|| template_id.clone()),
        template_id,
        privileged,
        description: role.description.clone(),
        members: members.into_iter().map(role_member).collect(),
    }
}

fn role_member(object: DirectoryObject) -> RoleMember {
    let kind = match object.kind() {
        DirectoryObjectKind::User => "user",
        DirectoryObjectKind::Group => "group",
        DirectoryObjectKind::ServicePrincipal => "servicePrincipal",
        _ => "other",
    };
    RoleMember {
        kind,
        id: object.id,
        display_name: object.display_name,
        user_principal_name: object.user_principal_name.map(|upn| upn.to_lowercase()),
        app_id: object.app_id,
    }
}

fn add_approver(
    list: &mut Vec<Approver>,
    id: &str,
    upn: Option<&str>,
    name: Option<&str>,
    via: &str,
) {
    if let Some(existing) = list.iter_mut().find(|a| a.id == id) {
        if !existing.via.iter().any(|v| v == via) {
            existing.via.push(via.to_string());
        }
        return;
    }
    list.push(Approver {
        id: id.to_string(),
        user_principal_name: upn.unwrap_or(id).to_lowercase(),
        display_name: name.map(str::to_string),
        via: vec![via.to_string()],
    });
}

/// `discover_roles`: the activated directory roles, their members, which are privileged, and
/// who keydesk would ask to approve privileged and everyday helpdesk actions.
pub async fn discover_roles(ops: &Ops) -> Result<Report> {
    let discovery = discover(ops).await?;
    let mut report = Report::new("discover_roles", None);
    report.outcome = Outcome::Info;
    let privileged = discovery.roles.iter().filter(|r| r.privileged).count();
    report.summary = format!(
        "{} ({privileged} privileged). Privileged resets: {}. Everyday helpdesk: {}.",
        counted(discovery.roles.len(), "activated directory role"),
        people(&discovery.approvers.privileged),
        people(&discovery.approvers.helpdesk),
    );
    report.note("Only activated roles are listed, and only active assignments: PIM-eligible assignments are not shown.");
    if !discovery.definitions_read {
        report.note("The role definitions could not be read (grant RoleManagement.Read.Directory): every role is treated as privileged.");
    }
    if discovery.approvers.helpdesk_group_id.is_none() {
        report.note(format!(
            "There is no \"{}\" group; everyday approvals fall to Helpdesk Administrators.",
            ops.settings.helpdesk_group
        ));
    }
    let mut apps: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for role in &discovery.roles {
        for app in role.members.iter().filter(|m| m.kind == "servicePrincipal") {
            let name = app.display_name.clone().unwrap_or_else(|| app.id.clone());
            apps.entry(name).or_default().push(&role.name);
        }
    }
    let apps: Vec<String> = apps
        .iter()
        .map(|(app, roles)| format!("{app} ({})", roles.join(", ")))
        .collect();
    if !apps.is_empty() {
        report.note(format!(
            "Apps holding roles (never approvers): {}.",
            apps.join(", ")
        ));
    }
    report.details = json!({
        "roles": discovery.roles,
        "approvers": discovery.approvers,
    });
    Ok(report)
}

fn people(approvers: &[Approver]) -> String {
    if approvers.is_empty() {
        return "nobody".to_string();
    }
    approvers
        .iter()
        .map(|a| {
            format!(
                "{} ({})",
                a.display_name.as_deref().unwrap_or(&a.user_principal_name),
                a.via.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
