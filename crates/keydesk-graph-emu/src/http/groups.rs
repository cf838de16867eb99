//! `/groups`: list and get, members and owners (read, add and remove by `$ref`), transitive
//! members, and Graph's refusals for existing members, dynamic groups, synced groups and
//! role-assignable groups.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::collection::{self, Listing, shape_of, to_json};
use super::users::{reference_id, user_object};
use super::{GraphRequest, GraphResult, Reply};
use crate::error::GraphError;
use crate::model::{GroupRecord, TargetResource, TenantState};
use crate::odata::Supported;
use crate::tenant::modified;

const READ: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const MEMBER_WRITE: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

const LISTING: Listing<'static> = Listing {
    type_name: "group",
    context: "groups",
    default_select: None,
    directory_object: true,
    default_top: 100,
    supported: Supported {
        select: true,
        filter: true,
        top: Some(999),
        count: true,
        search: true,
        order_by: &["displayName"],
        expand: &["members", "owners"],
    },
};

pub fn route(request: &GraphRequest<'_>, rest: &[&str]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] if *method == Method::GET => list(request),
        [id] => match *method {
            Method::GET => get(request, id),
            Method::PATCH => bind_members(request, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        [
            id,
            kind @ ("members" | "owners" | "transitiveMembers"),
            cast @ ..,
        ] if *method == Method::GET && !cast.contains(&"$ref") => members(request, id, kind, cast),
        [id, kind @ ("members" | "owners"), "$ref"] if *method == Method::POST => {
            let member = reference_id(request)?;
            add(request, id, kind, &member)
        }
        [id, kind @ ("members" | "owners"), member, "$ref"] if *method == Method::DELETE => {
            remove(request, id, kind, member)
        }
        [_, segment, ..] if !["members", "owners", "transitiveMembers"].contains(segment) => {
            Err(GraphError::unknown_segment(segment))
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// A group as a directoryObject (with `@odata.type`).
pub fn group_object(record: &GroupRecord) -> Value {
    let mut value = to_json(&record.group);
    value["@odata.type"] = json!("#microsoft.graph.group");
    value
}

fn find<'a>(tenant: &'a TenantState, id: &str) -> Result<&'a GroupRecord, GraphError> {
    tenant
        .groups
        .get(id)
        .ok_or_else(|| GraphError::not_found(id))
}

fn list(request: &GraphRequest<'_>) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let shape = tenant
        .groups
        .values()
        .next()
        .map(|g| shape_of(&g.group))
        .unwrap_or_default();
    let options = collection::options(request, &LISTING, &shape)?;
    let body = collection::page(request, &LISTING, &options, tenant.groups.len(), |i| {
        tenant
            .groups
            .get_index(i)
            .map(|(_, g)| with_expansions(&tenant, g, &options))
            .unwrap_or(Value::Null)
    })?;
    Ok(Reply::ok(body))
}

fn with_expansions(
    tenant: &TenantState,
    group: &GroupRecord,
    options: &crate::odata::QueryOptions,
) -> Value {
    let mut value = to_json(&group.group);
    for expand in &options.expand {
        let ids = if expand.property == "members" {
            &group.members
        } else {
            &group.owners
        };
        let objects: Vec<Value> = ids
            .iter()
            .take(20)
            .filter_map(|id| object(tenant, id, expand.select.as_deref()))
            .collect();
        value[&expand.property] = Value::Array(objects);
    }
    value
}

fn get(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let group = find(&tenant, id)?;
    let options = crate::odata::QueryOptions::parse(
        request.pairs.clone(),
        Supported::entity(&["members", "owners"]),
        false,
    )?;
    let full = with_expansions(&tenant, group, &options);
    let (value, _) = collection::entity(
        request,
        "groups",
        "group",
        None,
        &["members", "owners"],
        full,
    )?;
    Ok(Reply::ok(value))
}

/// A directory object (user or group) by id, as it appears in member lists.
fn object(tenant: &TenantState, id: &str, select: Option<&[String]>) -> Option<Value> {
    if let Some(user) = tenant.users.get(id) {
        return Some(user_object(user, select));
    }
    tenant
        .groups
        .get(id)
        .map(|g| crate::odata::project(group_object(g), select, None))
}

fn members(request: &GraphRequest<'_>, id: &str, kind: &str, cast: &[&str]) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let group = find(&tenant, id)?;
    let only_users = match cast {
        [] => false,
        ["microsoft.graph.user" | "graph.user"] => true,
        [other, ..] => return Err(GraphError::unknown_segment(other)),
    };
    let ids: Vec<String> = match kind {
        "members" => group.members.iter().cloned().collect(),
        "owners" => group.owners.iter().cloned().collect(),
        _ => transitive_members(&tenant, id),
    };
    let values: Vec<Value> = ids
        .iter()
        .filter(|m| !only_users || tenant.users.contains_key(*m))
        .filter_map(|m| object(&tenant, m, None))
        .map(|mut v| {
            // Full property set so $select and $filter can reach any user property.
            if let Some(user) = v
                .get("id")
                .and_then(Value::as_str)
                .and_then(|i| tenant.users.get(i))
            {
                v = to_json(&user.user);
                v["@odata.type"] = json!("#microsoft.graph.user");
            }
            v
        })
        .collect();
    let listing = Listing {
        type_name: if only_users {
            "user"
        } else {
            "directoryObject"
        },
        context: "directoryObjects",
        default_select: Some(super::users::DEFAULT_SELECT),
        directory_object: true,
        default_top: 100,
        supported: Supported {
            select: true,
            filter: true,
            top: Some(999),
            count: true,
            search: true,
            order_by: &[],
            expand: &[],
        },
    };
    let mut shape = tenant
        .users
        .values()
        .next()
        .map(|u| shape_of(&u.user))
        .unwrap_or_default();
    if let Some(g) = tenant.groups.values().next() {
        shape.extend(shape_of(&g.group));
    }
    shape.insert("@odata.type".into(), Value::Null);
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(request, &listing, &options, values.len(), |i| {
        values[i].clone()
    })?;
    Ok(Reply::ok(body))
}

/// Members of a group and of its nested groups, each once.
pub fn transitive_members(tenant: &TenantState, group_id: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut queue = vec![group_id.to_string()];
    while let Some(current) = queue.pop() {
        if let Some(group) = tenant.groups.get(&current) {
            for member in &group.members {
                if !seen.contains(member) {
                    seen.push(member.clone());
                    if tenant.groups.contains_key(member) {
                        queue.push(member.clone());
                    }
                }
            }
        }
    }
    seen
}

fn check_writable(
    request: &GraphRequest<'_>,
    group: &GroupRecord,
    kind: &str,
) -> Result<(), GraphError> {
    if group.group.is_assignable_to_role == Some(true)
        && !request
            .caller
            .has_any(&["RoleManagement.ReadWrite.Directory"])
    {
        return Err(GraphError::forbidden());
    }
    if group.group.on_premises_sync_enabled == Some(true) {
        return Err(GraphError::synced_object());
    }
    if kind == "members"
        && group
            .group
            .group_types
            .iter()
            .any(|t| t == "DynamicMembership")
    {
        return Err(GraphError::bad_request(
            "Insufficient privileges to complete the operation. Members of a group with dynamic membership cannot be added or removed by hand; change its membership rule instead.",
        ));
    }
    Ok(())
}

fn group_target(group: &GroupRecord, member: &str, kind: &str) -> TargetResource {
    let group_type = if group.group.group_types.iter().any(|t| t == "Unified") {
        "unifiedGroups"
    } else {
        "azureAD"
    };
    TargetResource {
        id: group.group.id.clone(),
        display_name: Some(group.group.display_name.clone()),
        kind: "Group".into(),
        user_principal_name: None,
        group_type: Some(group_type.into()),
        modified_properties: vec![modified(
            if kind == "members" {
                "Group.ObjectID"
            } else {
                "Owner.ObjectID"
            },
            "",
            member,
        )],
    }
}

fn add(request: &GraphRequest<'_>, id: &str, kind: &str, member: &str) -> GraphResult {
    request.require(MEMBER_WRITE)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let group = find(&tenant, id)?;
    check_writable(request, group, kind)?;
    let member_id = if tenant.users.contains_key(member) || tenant.groups.contains_key(member) {
        member.to_string()
    } else {
        return Err(GraphError::not_found(member));
    };
    let set = if kind == "members" {
        &group.members
    } else {
        &group.owners
    };
    if set.contains(&member_id) {
        return Err(GraphError::bad_request(format!(
            "One or more added object references already exist for the following modified properties: '{kind}'."
        )));
    }
    let target = group_target(group, &member_id, kind);
    if let Some(group) = tenant.groups.get_mut(id) {
        if kind == "members" {
            group.members.insert(member_id.clone());
        } else {
            group.owners.insert(member_id.clone());
        }
    }
    let activity = if kind == "members" {
        "Add member to group"
    } else {
        "Add owner to group"
    };
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        activity,
        "GroupManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::no_content())
}

fn remove(request: &GraphRequest<'_>, id: &str, kind: &str, member: &str) -> GraphResult {
    request.require(MEMBER_WRITE)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let group = find(&tenant, id)?;
    check_writable(request, group, kind)?;
    let set = if kind == "members" {
        &group.members
    } else {
        &group.owners
    };
    if !set.contains(member) {
        return Err(GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "One or more removed object references do not exist for the following modified properties: '{kind}'."
            ),
        ));
    }
    if kind == "owners"
        && group.owners.len() == 1
        && group.group.group_types.iter().any(|t| t == "Unified")
    {
        return Err(GraphError::bad_request(
            "The group must have at least one owner; add another owner first.",
        ));
    }
    let target = group_target(group, member, kind);
    if let Some(group) = tenant.groups.get_mut(id) {
        if kind == "members" {
            group.members.shift_remove(member);
        } else {
            group.owners.shift_remove(member);
        }
    }
    let activity = if kind == "members" {
        "Remove member from group"
    } else {
        "Remove owner from group"
    };
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        activity,
        "GroupManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::no_content())
}

/// `PATCH /groups/{id}` with `members@odata.bind`: up to 20 members, all or nothing.
fn bind_members(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(MEMBER_WRITE)?;
    let mut body = request.json()?;
    let Value::Object(fields) = &mut body else {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    super::strip_annotations(fields);
    if fields.keys().any(|k| k != "members@odata.bind") {
        return Err(GraphError::bad_request(
            "Only members@odata.bind can be updated on groups by this emulator.",
        ));
    }
    let references = fields
        .get("members@odata.bind")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::bad_request("members@odata.bind must be an array."))?;
    if references.len() > 20 {
        return Err(GraphError::bad_request(
            "A maximum of 20 members can be added in one request.",
        ));
    }
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let group = find(&tenant, id)?;
    check_writable(request, group, "members")?;
    let mut to_add = Vec::new();
    for reference in references {
        let text = reference.as_str().unwrap_or("");
        let member = text.rsplit('/').next().unwrap_or("").to_string();
        if !tenant.users.contains_key(&member) && !tenant.groups.contains_key(&member) {
            return Err(GraphError::not_found(&member));
        }
        if group.members.contains(&member) || to_add.contains(&member) {
            return Err(GraphError::bad_request(
                "One or more added object references already exist for the following modified properties: 'members'.",
            ));
        }
        to_add.push(member);
    }
    let who = request.initiator();
    for member in to_add {
        let target = group_target(&tenant.groups[id], &member, "members");
        if let Some(group) = tenant.groups.get_mut(id) {
            group.members.insert(member);
        }
        tenant.audit(
            now,
            &who,
            "Add member to group",
            "GroupManagement",
            "Core Directory",
            target,
        );
    }
    Ok(Reply::no_content())
}
