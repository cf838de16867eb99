//! Directory roles (`/directoryRoles`, by id or `roleTemplateId`), role templates, unified role
//! assignments and definitions (`/roleManagement/directory`), and `/directoryObjects`.

use base64::Engine;
use http::Method;
use serde_json::{Value, json};

use super::collection::{self, Listing, shape_of, to_json};
use super::{ApiVersion, GraphRequest, GraphResult, Reply};
use crate::error::GraphError;
use crate::model::{DirectoryRoleRecord, RoleDefinition, TenantState};
use crate::odata::Supported;

const READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

const PLAIN: Supported = Supported {
    select: true,
    filter: true,
    top: None,
    count: false,
    search: false,
    order_by: &[],
    expand: &[],
};

pub fn route(request: &GraphRequest<'_>, segments: &[&str]) -> GraphResult {
    if request.method != Method::GET && !matches!(segments, ["directoryObjects", "getByIds"]) {
        return Err(GraphError::method_not_allowed());
    }
    request.require(READ)?;
    let tenant = request.shared.tenant();
    match segments {
        ["directoryRoles"] => {
            let roles: Vec<Value> = tenant
                .directory_roles
                .values()
                .map(|r| to_json(&r.role))
                .collect();
            simple_list(request, "directoryRoles", "directoryRole", roles)
        }
        ["directoryRoles", id] => {
            let role = tenant
                .directory_roles
                .get(*id)
                .ok_or_else(|| GraphError::not_found(id))?;
            entity(
                request,
                "directoryRoles",
                "directoryRole",
                to_json(&role.role),
            )
        }
        ["directoryRoles(roleTemplateId)", template] => {
            let role = by_template(&tenant, template)?;
            entity(
                request,
                "directoryRoles",
                "directoryRole",
                to_json(&role.role),
            )
        }
        ["directoryRoles", id, "members"] => {
            let role = tenant
                .directory_roles
                .get(*id)
                .ok_or_else(|| GraphError::not_found(id))?;
            role_members(request, &tenant, role)
        }
        ["directoryRoles(roleTemplateId)", template, "members"] => {
            let role = by_template(&tenant, template)?;
            role_members(request, &tenant, role)
        }
        ["directoryRoleTemplates"] => {
            let templates: Vec<Value> = tenant
                .role_definitions
                .iter()
                .map(|d| json!({"id": d.template_id, "displayName": d.display_name, "description": d.description, "deletedDateTime": null}))
                .collect();
            simple_list(
                request,
                "directoryRoleTemplates",
                "directoryRoleTemplate",
                templates,
            )
        }
        ["roleManagement", "directory", "roleDefinitions"] => {
            let definitions: Vec<Value> = tenant
                .role_definitions
                .iter()
                .map(|d| definition_json(request.version, d))
                .collect();
            simple_list(
                request,
                "roleManagement/directory/roleDefinitions",
                "unifiedRoleDefinition",
                definitions,
            )
        }
        ["roleManagement", "directory", "roleDefinitions", id] => {
            let definition = tenant
                .role_definitions
                .iter()
                .find(|d| d.id == *id)
                .ok_or_else(|| GraphError::not_found(id))?;
            entity(
                request,
                "roleManagement/directory/roleDefinitions",
                "unifiedRoleDefinition",
                definition_json(request.version, definition),
            )
        }
        ["roleManagement", "directory", "roleAssignments"] => role_assignments(request, &tenant),
        ["roleManagement", "directory", "roleAssignments", id] => {
            let found = assignments(request.version, &tenant, false)
                .into_iter()
                .find(|a| a["id"] == *id)
                .ok_or_else(|| GraphError::not_found(id))?;
            entity(
                request,
                "roleManagement/directory/roleAssignments",
                "unifiedRoleAssignment",
                found,
            )
        }
        ["directoryObjects", "getByIds"] => get_by_ids(request, &tenant),
        ["directoryObjects", id] => {
            let value = directory_object(request.version, &tenant, id)
                .ok_or_else(|| GraphError::not_found(id))?;
            entity(request, "directoryObjects", "directoryObject", value)
        }
        [first, second, ..] => Err(GraphError::unknown_segment(if *first == "roleManagement" {
            second
        } else {
            first
        })),
        _ => Err(GraphError::unknown_segment("directoryRoles")),
    }
}

fn by_template<'a>(
    tenant: &'a TenantState,
    template: &str,
) -> Result<&'a DirectoryRoleRecord, GraphError> {
    tenant
        .directory_roles
        .values()
        .find(|r| r.role.role_template_id == template)
        .ok_or_else(|| GraphError::not_found(template))
}

fn simple_list(
    request: &GraphRequest<'_>,
    context: &str,
    type_name: &str,
    values: Vec<Value>,
) -> GraphResult {
    let listing = Listing {
        type_name,
        context,
        default_select: None,
        directory_object: true,
        default_top: usize::MAX,
        supported: PLAIN,
    };
    let shape = match values.first() {
        Some(Value::Object(map)) => map.clone(),
        _ => Default::default(),
    };
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(request, &listing, &options, values.len(), |i| {
        values[i].clone()
    })?;
    Ok(Reply::ok(body))
}

fn entity(request: &GraphRequest<'_>, context: &str, type_name: &str, value: Value) -> GraphResult {
    let (value, _) = collection::entity(request, context, type_name, None, &[], value)?;
    Ok(Reply::ok(value))
}

/// A role definition as the API version shows it: `isPrivileged` is not a v1.0 property of
/// `unifiedRoleDefinition` (Graph's v1.0 metadata), only beta returns it.
fn definition_json(version: ApiVersion, definition: &RoleDefinition) -> Value {
    let mut value = to_json(definition);
    if let (ApiVersion::V1, Value::Object(map)) = (version, &mut value) {
        map.remove("isPrivileged");
    }
    value
}

/// A user, group or service principal as a directoryObject.
fn directory_object(version: ApiVersion, tenant: &TenantState, id: &str) -> Option<Value> {
    if let Some(user) = tenant.users.get(id) {
        let mut value = to_json(&user.user);
        value["@odata.type"] = json!("#microsoft.graph.user");
        return Some(value);
    }
    if let Some(group) = tenant.groups.get(id) {
        return Some(super::groups::group_object(group));
    }
    tenant.service_principals.get(id).map(|sp| {
        let mut value = super::apps::service_principal_json(version, &sp.service_principal);
        value["@odata.type"] = json!("#microsoft.graph.servicePrincipal");
        value
    })
}

fn role_members(
    request: &GraphRequest<'_>,
    tenant: &TenantState,
    role: &DirectoryRoleRecord,
) -> GraphResult {
    let values: Vec<Value> = role
        .members
        .iter()
        .filter_map(|id| directory_object(request.version, tenant, id))
        .map(|v| {
            crate::odata::project(
                v,
                None,
                Some(&[
                    "@odata.type",
                    "id",
                    "displayName",
                    "userPrincipalName",
                    "mail",
                    "appId",
                ]),
            )
        })
        .collect();
    let mut shape = tenant
        .users
        .values()
        .next()
        .map(|u| shape_of(&u.user))
        .unwrap_or_default();
    shape.insert("@odata.type".into(), Value::Null);
    shape.insert("appId".into(), Value::Null);
    let listing = Listing {
        type_name: "directoryObject",
        context: "directoryObjects",
        default_select: None,
        directory_object: true,
        default_top: usize::MAX,
        supported: PLAIN,
    };
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(request, &listing, &options, values.len(), |i| {
        values[i].clone()
    })?;
    Ok(Reply::ok(body))
}

/// Unified role assignments derived from directory role membership (tenant-wide scope).
fn assignments(version: ApiVersion, tenant: &TenantState, expand_definition: bool) -> Vec<Value> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut out = Vec::new();
    for role in tenant.directory_roles.values() {
        for principal in &role.members {
            let id = engine.encode(format!("{}:{principal}", role.role.role_template_id));
            let mut value = json!({
                "id": id,
                "principalId": principal,
                "roleDefinitionId": role.role.role_template_id,
                "directoryScopeId": "/",
                "appScopeId": null,
            });
            if expand_definition
                && let Some(definition) = tenant
                    .role_definitions
                    .iter()
                    .find(|d| d.id == role.role.role_template_id)
            {
                value["roleDefinition"] = definition_json(version, definition);
            }
            out.push(value);
        }
    }
    out
}

fn role_assignments(request: &GraphRequest<'_>, tenant: &TenantState) -> GraphResult {
    let supported = Supported {
        expand: &["roleDefinition", "principal"],
        top: Some(999),
        ..PLAIN
    };
    let listing = Listing {
        type_name: "unifiedRoleAssignment",
        context: "roleManagement/directory/roleAssignments",
        default_select: None,
        directory_object: false,
        default_top: 999,
        supported,
    };
    let shape = match json!({"id": null, "principalId": null, "roleDefinitionId": null, "directoryScopeId": null, "appScopeId": null})
    {
        Value::Object(map) => map,
        _ => Default::default(),
    };
    let options = collection::options(request, &listing, &shape)?;
    let expand_definition = options
        .expand
        .iter()
        .any(|e| e.property == "roleDefinition");
    let mut values = assignments(request.version, tenant, expand_definition);
    if options.expand.iter().any(|e| e.property == "principal") {
        for value in &mut values {
            let principal = value["principalId"].as_str().unwrap_or("").to_string();
            value["principal"] =
                directory_object(request.version, tenant, &principal).unwrap_or(Value::Null);
        }
    }
    let body = collection::page(request, &listing, &options, values.len(), |i| {
        values[i].clone()
    })?;
    Ok(Reply::ok(body))
}

fn get_by_ids(request: &GraphRequest<'_>, tenant: &TenantState) -> GraphResult {
    if request.method != Method::POST {
        return Err(GraphError::method_not_allowed());
    }
    let body = request.json()?;
    let ids = body
        .get("ids")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::bad_request("The 'ids' parameter is required."))?;
    if ids.len() > 1000 {
        return Err(GraphError::bad_request(
            "A maximum of 1000 ids may be requested at once.",
        ));
    }
    let values: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| directory_object(request.version, tenant, id))
        .collect();
    Ok(Reply::ok(json!({
        "@odata.context": request.context("directoryObjects"),
        "value": values
    })))
}
