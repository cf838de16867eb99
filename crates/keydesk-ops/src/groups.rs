//! Group access: `grant_access` and `remove_access` (membership changes on security and
//! Microsoft 365 groups, checked first and verified after), `check_membership` (transitive),
//! `list_group_members` and `list_user_groups`.
//!
//! Groups whose membership Entra does not own are refused with guidance before Graph is asked:
//! dynamic groups (change the rule), groups synced from on-premises AD (change it in AD) and
//! Exchange-mastered groups (change it in Exchange). Owners, group creation and nested-group
//! management are out of scope.

use keydesk_graph::Query;
use keydesk_graph::model::{DirectoryObject, DirectoryObjectKind, Group, User};
use keydesk_graph::odata::segment;
use keydesk_policy::Action;
use serde::Serialize;
use serde_json::json;

use crate::directory::counted;
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve};

/// Properties read for each member of a group.
const MEMBER_SELECT: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "department",
    "jobTitle",
    "accountEnabled",
];

/// Most members listed for one group.
pub const MEMBER_LIMIT: usize = 5000;

/// How many times a membership change is read back before keydesk reports it as not yet visible.
const VERIFY_ATTEMPTS: u32 = 3;

/// What kind of group this is, as an operator thinks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupKind {
    Security,
    #[serde(rename = "microsoft365")]
    Microsoft365,
    MailEnabledSecurity,
    Distribution,
}

impl GroupKind {
    pub fn of(group: &Group) -> GroupKind {
        match (
            group.is_unified(),
            group.security_enabled == Some(true),
            group.mail_enabled == Some(true),
        ) {
            (true, _, _) => GroupKind::Microsoft365,
            (false, true, true) => GroupKind::MailEnabledSecurity,
            (false, true, false) => GroupKind::Security,
            (false, false, _) => GroupKind::Distribution,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Security => "security",
            GroupKind::Microsoft365 => "Microsoft 365",
            GroupKind::MailEnabledSecurity => "mail-enabled security",
            GroupKind::Distribution => "distribution list",
        }
    }
}

/// A group as keydesk reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    pub id: String,
    pub display_name: String,
    pub kind: GroupKind,
    pub dynamic: bool,
    pub synced: bool,
    pub role_assignable: bool,
    /// `security`, `Microsoft 365, dynamic`, `security, synced`...
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_rule: Option<String>,
}

impl GroupSummary {
    pub fn of(group: &Group) -> GroupSummary {
        let kind = GroupKind::of(group);
        let mut label = kind.label().to_string();
        for (flag, word) in [
            (group.is_dynamic(), "dynamic"),
            (group.is_synced(), "synced"),
            (group.is_assignable_to_role == Some(true), "role-assignable"),
        ] {
            if flag {
                label.push_str(", ");
                label.push_str(word);
            }
        }
        GroupSummary {
            id: group.id.clone(),
            display_name: group
                .display_name
                .clone()
                .unwrap_or_else(|| group.id.clone()),
            kind,
            dynamic: group.is_dynamic(),
            synced: group.is_synced(),
            role_assignable: group.is_assignable_to_role == Some(true),
            label,
            mail: group.mail.clone(),
            membership_rule: group.membership_rule.clone(),
        }
    }
}

/// A user as listed among a group's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberSummary {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub account_enabled: Option<bool>,
}

/// Groups the user belongs to (`memberOf`, or `transitiveMemberOf` with `transitive`), groups only.
pub async fn user_groups(ops: &Ops, user_id: &str, transitive: bool) -> Result<Vec<Group>> {
    let relation = if transitive {
        "transitiveMemberOf"
    } else {
        "memberOf"
    };
    // No $select: Graph's default group properties already carry the kind flags.
    let path = format!(
        "users/{}/{relation}/microsoft.graph.group",
        segment(user_id)
    );
    let mut groups: Vec<Group> = ops
        .graph
        .collect_query(&path, &Query::default().top(999))
        .await?;
    groups.sort_by_key(|g| g.display_name.clone().unwrap_or_default().to_lowercase());
    Ok(groups)
}

/// Why keydesk will not change this group's membership itself, with what to do instead.
fn refusal(group: &Group) -> Option<Error> {
    let name = group.display_name.as_deref().unwrap_or(&group.id);
    if group.is_dynamic() {
        let rule = group
            .membership_rule
            .as_deref()
            .unwrap_or("(no rule readable)");
        return Some(Error::refused(
            format!(
                "\"{name}\" has dynamic membership: members cannot be added or removed by hand"
            ),
            format!(
                "change the user's attributes or the group's membership rule instead; the rule is {rule}"
            ),
        ));
    }
    if group.is_synced() {
        return Some(Error::refused(
            format!(
                "\"{name}\" is synced from on-premises Active Directory: Entra refuses membership changes to it"
            ),
            "change the membership in Active Directory (Add-ADGroupMember / Remove-ADGroupMember), then let Entra Connect sync it (Start-ADSyncSyncCycle -PolicyType Delta)",
        ));
    }
    if group.is_exchange_mastered() {
        return Some(Error::refused(
            format!(
                "\"{name}\" is a {} mastered in Exchange Online",
                GroupKind::of(group).label()
            ),
            "change the membership in the Exchange admin center or with Add-DistributionGroupMember / Remove-DistributionGroupMember",
        ));
    }
    None
}

/// Resolves the user and the group and reads where the user stands.
async fn gather(ops: &Ops, user: &str, group: &str) -> Result<(User, Group, bool, bool)> {
    let (user, group) = futures::try_join!(
        resolve::user(&ops.graph, user),
        resolve::group(&ops.graph, group)
    )?;
    let direct = user_groups(ops, &user.id, false)
        .await?
        .iter()
        .any(|g| g.id == group.id);
    let transitive = direct || is_member(ops, &user.id, &group.id).await?;
    Ok((user, group, direct, transitive))
}

/// Transitive membership through `checkMemberGroups`.
async fn is_member(ops: &Ops, user_id: &str, group_id: &str) -> Result<bool> {
    Ok(ops
        .graph
        .check_member_groups(user_id, &[group_id])
        .await?
        .iter()
        .any(|id| id == group_id))
}

/// Reads membership back until it is `expected` (Graph is eventually consistent).
async fn verify_membership(
    ops: &Ops,
    user_id: &str,
    group_id: &str,
    expected: bool,
) -> Result<bool> {
    for attempt in 0..VERIFY_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let direct = user_groups(ops, user_id, false)
            .await?
            .iter()
            .any(|g| g.id == group_id);
        if direct == expected {
            return Ok(true);
        }
    }
    Ok(false)
}

fn membership_details(
    user: &User,
    group: &Group,
    was_member: bool,
    direct: bool,
) -> serde_json::Value {
    json!({
        "user": {"id": user.id, "userPrincipalName": resolve::upn(user), "displayName": user.display_name},
        "group": GroupSummary::of(group),
        "wasMember": was_member,
        "wasDirectMember": direct,
    })
}

fn group_name(group: &Group) -> &str {
    group.display_name.as_deref().unwrap_or(&group.id)
}

/// `grant_access`: adds the user to a security or Microsoft 365 group.
/// An access request: the same change as [`grant_access`], asked for by the user (an employee
/// for themselves), which the group's owners approve under the default policy.
pub async fn request_access(ops: &Ops, user: &str, group: &str, mode: &Mode) -> Result<Report> {
    let mut report = grant_access(ops, user, group, mode).await?;
    report.action = "request_access".into();
    Ok(report)
}

pub async fn grant_access(ops: &Ops, user: &str, group: &str, mode: &Mode) -> Result<Report> {
    let (user, group, direct, transitive) = gather(ops, user, group).await?;
    let upn = resolve::upn(&user);
    let name = group_name(&group).to_string();
    let mut report = Report::new("grant_access", Some(&upn));
    report.details = membership_details(&user, &group, transitive, direct);
    if transitive {
        report.outcome = Outcome::NothingToDo;
        report.summary = if direct {
            format!("{upn} is already a member of \"{name}\".")
        } else {
            format!("{upn} already has access to \"{name}\" through a nested group.")
        };
        report.verify(format!("checkMemberGroups lists \"{name}\" for {upn}"));
        return Ok(report);
    }
    if let Some(refusal) = refusal(&group) {
        return Err(refusal);
    }
    if group.is_assignable_to_role == Some(true) {
        report.note("The group can hold directory roles: changing its members also needs RoleManagement.ReadWrite.Directory and a Privileged Role Administrator (or Global Administrator) role for keydesk's app.");
    }
    let plan = format!(
        "add {upn} to the {} group \"{name}\"",
        GroupKind::of(&group).label()
    );
    if mode.plan_only(
        &[Action::GrantAccess, Action::RequestAccess],
        report.target.as_deref(),
    )? {
        report.outcome = Outcome::Planned;
        report.step("add_member", plan.clone(), StepStatus::Planned);
        report.summary = format!("Would {plan}.");
        return Ok(report);
    }
    match ops.graph.add_group_member(&group.id, &user.id).await {
        Ok(()) => report.step("add_member", plan, StepStatus::Done),
        Err(error)
            if error
                .graph()
                .is_some_and(|e| e.status == 400 && already_exists(e)) =>
        {
            report.outcome = Outcome::NothingToDo;
            report.summary = format!("{upn} is already a member of \"{name}\".");
            report.note("Graph reported the membership as already present (added concurrently).");
            return Ok(report);
        }
        Err(error) => return Err(membership_error(error, &group)),
    }
    finish(ops, &mut report, &user, &group, true).await?;
    if report.outcome == Outcome::Done {
        report.summary = format!("Added {upn} to \"{name}\".");
    }
    Ok(report)
}

/// `remove_access`: removes the user's direct membership of a group.
pub async fn remove_access(ops: &Ops, user: &str, group: &str, mode: &Mode) -> Result<Report> {
    let (user, group, direct, transitive) = gather(ops, user, group).await?;
    let upn = resolve::upn(&user);
    let name = group_name(&group).to_string();
    let mut report = Report::new("remove_access", Some(&upn));
    report.details = membership_details(&user, &group, transitive, direct);
    if !direct {
        if transitive {
            return Err(Error::refused(
                format!("{upn} is in \"{name}\" only through a nested group, not directly"),
                "remove them from the nested group that grants it (keydesk groups --user shows which)",
            ));
        }
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("{upn} is not a member of \"{name}\".");
        report.verify(format!(
            "checkMemberGroups does not list \"{name}\" for {upn}"
        ));
        return Ok(report);
    }
    if let Some(refusal) = refusal(&group) {
        return Err(refusal);
    }
    if group.is_assignable_to_role == Some(true) {
        report.note("The group can hold directory roles: changing its members also needs RoleManagement.ReadWrite.Directory and a Privileged Role Administrator (or Global Administrator) role for keydesk's app.");
    }
    let plan = format!(
        "remove {upn} from the {} group \"{name}\"",
        GroupKind::of(&group).label()
    );
    if mode.plan_only(&[Action::RemoveAccess], report.target.as_deref())? {
        report.outcome = Outcome::Planned;
        report.step("remove_member", plan.clone(), StepStatus::Planned);
        report.summary = format!("Would {plan}.");
        return Ok(report);
    }
    match ops.graph.remove_group_member(&group.id, &user.id).await {
        Ok(()) => report.step("remove_member", plan, StepStatus::Done),
        Err(error) if error.is_not_found() => {
            report.outcome = Outcome::NothingToDo;
            report.summary = format!("{upn} is not a member of \"{name}\".");
            report.note("Graph reported the membership as already gone (removed concurrently).");
            return Ok(report);
        }
        Err(error) => return Err(membership_error(error, &group)),
    }
    finish(ops, &mut report, &user, &group, false).await?;
    if report.outcome == Outcome::Done {
        report.summary = format!("Removed {upn} from \"{name}\".");
        if is_member(ops, &user.id, &group.id).await? {
            report.note(format!(
                "{upn} still reaches \"{name}\" through a nested group."
            ));
        }
    }
    Ok(report)
}

fn already_exists(error: &keydesk_graph::GraphError) -> bool {
    error
        .best_message()
        .is_some_and(|m| m.contains("already exist"))
}

/// Turns Graph's refusals of a membership change into keydesk's guidance.
fn membership_error(error: keydesk_graph::Error, group: &Group) -> Error {
    let name = group_name(group);
    match error.graph() {
        Some(e) if e.is_synced_object_refusal() => Error::refused(
            format!("Graph refused: \"{name}\" is mastered in on-premises Active Directory"),
            "change the membership in Active Directory, then let Entra Connect sync it",
        ),
        Some(e) if e.is_forbidden() && group.is_assignable_to_role == Some(true) => Error::refused(
            format!("Graph refused: \"{name}\" is role-assignable"),
            "grant keydesk's app RoleManagement.ReadWrite.Directory and the Privileged Role Administrator role, or have a Privileged Role Administrator make the change",
        ),
        _ => Error::from(error),
    }
}

async fn finish(
    ops: &Ops,
    report: &mut Report,
    user: &User,
    group: &Group,
    expected: bool,
) -> Result<()> {
    let upn = resolve::upn(user);
    let name = group_name(group);
    if verify_membership(ops, &user.id, &group.id, expected).await? {
        report.verify(if expected {
            format!("memberOf lists \"{name}\" for {upn}")
        } else {
            format!("memberOf no longer lists \"{name}\" for {upn}")
        });
        report.outcome = Outcome::Done;
    } else {
        report.outcome = Outcome::Failed;
        report.summary = format!(
            "Graph accepted the change, but reading {upn}'s groups back does not show it yet."
        );
        report.note("Directory changes can take a short while to replicate; check again with keydesk check-membership.");
    }
    Ok(())
}

/// `check_membership`: whether the user is in the group, directly or through nesting.
pub async fn check_membership(ops: &Ops, user: &str, group: &str) -> Result<Report> {
    let (user, group, direct, transitive) = gather(ops, user, group).await?;
    let upn = resolve::upn(&user);
    let name = group_name(&group);
    let mut report = Report::new("check_membership", Some(&upn));
    report.summary = match (direct, transitive) {
        (true, _) => format!("{upn} is a direct member of \"{name}\"."),
        (false, true) => format!("{upn} is a member of \"{name}\" through a nested group."),
        (false, false) => format!("{upn} is not a member of \"{name}\"."),
    };
    report.details = json!({
        "user": {"id": user.id, "userPrincipalName": upn, "displayName": user.display_name},
        "group": GroupSummary::of(&group),
        "member": transitive,
        "direct": direct,
    });
    Ok(report)
}

/// `list_group_members`: the group's users (UPN, name, department) and nested groups.
pub async fn list_group_members(ops: &Ops, group: &str) -> Result<Report> {
    let group = resolve::group(&ops.graph, group).await?;
    let users_path = format!("groups/{}/members/microsoft.graph.user", segment(&group.id));
    let users_query = Query::default()
        .select(MEMBER_SELECT.iter().copied())
        .top(999);
    let members_path = format!("groups/{}/members", segment(&group.id));
    let members_query = Query::default().top(999);
    let (users, all) = futures::try_join!(
        ops.graph
            .collect_limited::<User>(&users_path, &users_query, MEMBER_LIMIT),
        ops.graph
            .collect_limited::<DirectoryObject>(&members_path, &members_query, MEMBER_LIMIT),
    )?;
    let mut members: Vec<MemberSummary> = users
        .iter()
        .map(|u| MemberSummary {
            id: u.id.clone(),
            user_principal_name: resolve::upn(u),
            display_name: u.display_name.clone(),
            department: u.department.clone(),
            job_title: u.job_title.clone(),
            account_enabled: u.account_enabled,
        })
        .collect();
    members.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let nested: Vec<serde_json::Value> = all
        .iter()
        .filter(|o| o.kind() == DirectoryObjectKind::Group)
        .map(|o| json!({"id": o.id, "displayName": o.display_name}))
        .collect();
    let others = all.len().saturating_sub(members.len() + nested.len());
    let name = group_name(&group);
    let mut report = Report::new("list_group_members", None);
    report.summary = format!(
        "\"{name}\" has {}{}.",
        counted(members.len(), "user member"),
        match nested.len() {
            0 => String::new(),
            n => format!(" and {}", counted(n, "nested group")),
        }
    );
    if group.is_dynamic() {
        report.note(format!(
            "Membership is dynamic: {}.",
            group
                .membership_rule
                .as_deref()
                .unwrap_or("rule not readable")
        ));
    }
    if users.len() >= MEMBER_LIMIT || all.len() >= MEMBER_LIMIT {
        report.note(format!("Only the first {MEMBER_LIMIT} members are listed."));
    }
    if others > 0 {
        report.note(format!(
            "{others} members are devices or service principals (not listed)."
        ));
    }
    report.details = json!({
        "group": GroupSummary::of(&group),
        "count": members.len(),
        "members": members,
        "nestedGroups": nested,
    });
    Ok(report)
}

/// `list_user_groups`: the groups the user belongs to, with their kind, direct or through nesting.
pub async fn list_user_groups(ops: &Ops, user: &str) -> Result<Report> {
    let user = resolve::user(&ops.graph, user).await?;
    let (direct, transitive) = futures::try_join!(
        user_groups(ops, &user.id, false),
        user_groups(ops, &user.id, true)
    )?;
    let upn = resolve::upn(&user);
    let mut groups: Vec<serde_json::Value> = Vec::new();
    for group in &transitive {
        let is_direct = direct.iter().any(|g| g.id == group.id);
        let mut value = json!(GroupSummary::of(group));
        value["direct"] = json!(is_direct);
        groups.push(value);
    }
    for group in direct
        .iter()
        .filter(|g| !transitive.iter().any(|t| t.id == g.id))
    {
        let mut value = json!(GroupSummary::of(group));
        value["direct"] = json!(true);
        groups.push(value);
    }
    let mut report = Report::new("list_user_groups", Some(&upn));
    let nested = groups.len().saturating_sub(direct.len());
    report.summary = format!(
        "{upn} is in {}{}.",
        counted(groups.len(), "group"),
        match nested {
            0 => String::new(),
            n => format!(" ({n} through nesting)"),
        }
    );
    report.details = json!({
        "user": {"id": user.id, "userPrincipalName": upn, "displayName": user.display_name},
        "count": groups.len(),
        "groups": groups,
    });
    Ok(report)
}
