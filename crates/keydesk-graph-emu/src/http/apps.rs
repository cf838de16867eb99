//! Delegated permission grants, service principals, the organization and subscribed SKUs.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::collection::{self, Listing, shape_of, to_json};
use super::{GraphRequest, GraphResult, Reply};
use crate::error::GraphError;
use crate::model::{
    OAuth2PermissionGrant, ServicePrincipal, ServicePrincipalRecord, TargetResource, TenantState,
};
use crate::odata::Supported;
use crate::tenant::modified;

const GRANTS_READ: &[&str] = &[
    "DelegatedPermissionGrant.Read.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GRANTS_WRITE: &[&str] = &[
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const APPS_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APPS_WRITE: &[&str] = &["Application.ReadWrite.All", "Directory.ReadWrite.All"];
const ORG_READ: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
];

const LIST: Supported = Supported {
    select: true,
    filter: true,
    top: Some(999),
    count: false,
    search: false,
    order_by: &[],
    expand: &[],
};

pub fn route(request: &GraphRequest<'_>, segments: &[&str]) -> GraphResult {
    let method = &request.method;
    match segments {
        ["oauth2PermissionGrants"] => match *method {
            Method::GET => list_grants(request, None),
            Method::POST => create_grant(request),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["oauth2PermissionGrants", id] => match *method {
            Method::GET => get_grant(request, id),
            Method::PATCH => update_grant(request, id),
            Method::DELETE => delete_grant(request, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["servicePrincipals"] if *method == Method::GET => list_service_principals(request),
        ["servicePrincipals", id] => service_principal(request, id, false),
        ["servicePrincipals(appId)", app_id] => service_principal(request, app_id, true),
        ["servicePrincipals", id, "oauth2PermissionGrants"] if *method == Method::GET => {
            request.require(GRANTS_READ)?;
            let client = id.to_string();
            list_grants(
                request,
                Some(Box::new(move |g: &OAuth2PermissionGrant| {
                    g.client_id == client
                })),
            )
        }
        ["organization"] if *method == Method::GET => {
            request.require(ORG_READ)?;
            let tenant = request.shared.tenant();
            let values = vec![to_json(&tenant.organization)];
            Ok(Reply::ok(
                json!({"@odata.context": request.context("organization"), "value": values}),
            ))
        }
        ["subscribedSkus"] if *method == Method::GET => {
            request.require(ORG_READ)?;
            let tenant = request.shared.tenant();
            let values: Vec<Value> = tenant.subscribed_skus.iter().map(to_json).collect();
            Ok(Reply::ok(
                json!({"@odata.context": request.context("subscribedSkus"), "value": values}),
            ))
        }
        ["applications"] if *method == Method::GET => {
            request.require(APPS_READ)?;
            let tenant = request.shared.tenant();
            let values: Vec<Value> = tenant
                .apps
                .values()
                .map(|a| json!({"id": a.service_principal_id, "appId": a.app_id, "displayName": a.display_name,
                    "passwordCredentials": a.secrets.iter().map(|s| json!({"keyId": s.key_id, "hint": s.hint, "endDateTime": super::graph_timestamp(s.end_date_time), "secretText": null})).collect::<Vec<_>>(),
                    "keyCredentials": a.certificates.iter().map(|c| json!({"keyId": c.key_id, "type": "AsymmetricX509Cert", "usage": "Verify", "endDateTime": super::graph_timestamp(c.end_date_time)})).collect::<Vec<_>>()}))
                .collect();
            Ok(Reply::ok(
                json!({"@odata.context": request.context("applications"), "value": values}),
            ))
        }
        [first, ..]
            if [
                "servicePrincipals",
                "servicePrincipals(appId)",
                "oauth2PermissionGrants",
            ]
            .contains(first) =>
        {
            match segments.get(2) {
                Some(segment) => Err(GraphError::unknown_segment(segment)),
                None => Err(GraphError::method_not_allowed()),
            }
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

type GrantFilter = Box<dyn Fn(&OAuth2PermissionGrant) -> bool>;

fn list_grants(request: &GraphRequest<'_>, only: Option<GrantFilter>) -> GraphResult {
    request.require(GRANTS_READ)?;
    let tenant = request.shared.tenant();
    let grants: Vec<&OAuth2PermissionGrant> = tenant
        .grants
        .values()
        .filter(|g| only.as_ref().is_none_or(|f| f(g)))
        .collect();
    let listing = Listing {
        type_name: "oAuth2PermissionGrant",
        context: "oauth2PermissionGrants",
        default_select: None,
        directory_object: false,
        default_top: 100,
        supported: LIST,
    };
    let shape = shape_of(&OAuth2PermissionGrant {
        id: String::new(),
        client_id: String::new(),
        consent_type: String::new(),
        principal_id: None,
        resource_id: String::new(),
        scope: String::new(),
    });
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(request, &listing, &options, grants.len(), |i| {
        to_json(grants[i])
    })?;
    Ok(Reply::ok(body))
}

/// `/users/{id}/oauth2PermissionGrants`.
pub fn user_grants(request: &GraphRequest<'_>, user: &str) -> GraphResult {
    let user_id = request.shared.tenant().user_id(user)?;
    list_grants(
        request,
        Some(Box::new(move |g: &OAuth2PermissionGrant| {
            g.principal_id.as_deref() == Some(user_id.as_str())
        })),
    )
}

fn get_grant(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(GRANTS_READ)?;
    let tenant = request.shared.tenant();
    let grant = tenant
        .grants
        .get(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let (value, _) = collection::entity(
        request,
        "oauth2PermissionGrants",
        "oAuth2PermissionGrant",
        None,
        &[],
        to_json(grant),
    )?;
    Ok(Reply::ok(value))
}

fn sp_target(
    tenant: &TenantState,
    client_id: &str,
    activity_detail: (&str, &str),
) -> TargetResource {
    let name = tenant
        .service_principals
        .get(client_id)
        .map(|sp| sp.service_principal.display_name.clone());
    TargetResource {
        id: client_id.to_string(),
        display_name: name,
        kind: "ServicePrincipal".into(),
        user_principal_name: None,
        group_type: None,
        modified_properties: vec![modified(
            "DelegatedPermissionGrant.Scope",
            activity_detail.0,
            activity_detail.1,
        )],
    }
}

fn create_grant(request: &GraphRequest<'_>) -> GraphResult {
    request.require(GRANTS_WRITE)?;
    let body = request.json()?;
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let client_id =
        field("clientId").ok_or_else(|| GraphError::bad_request("clientId is required."))?;
    let resource_id =
        field("resourceId").ok_or_else(|| GraphError::bad_request("resourceId is required."))?;
    let consent_type =
        field("consentType").ok_or_else(|| GraphError::bad_request("consentType is required."))?;
    let principal_id = field("principalId");
    let scope = field("scope").unwrap_or_default();
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    for sp in [&client_id, &resource_id] {
        if !tenant.service_principals.contains_key(sp) {
            return Err(GraphError::not_found(sp));
        }
    }
    match (consent_type.as_str(), &principal_id) {
        ("AllPrincipals", None) => {}
        ("Principal", Some(principal)) if tenant.users.contains_key(principal) => {}
        ("Principal", Some(principal)) => return Err(GraphError::not_found(principal)),
        _ => {
            return Err(GraphError::bad_request(
                "consentType must be AllPrincipals (no principalId) or Principal (with principalId).",
            ));
        }
    }
    let duplicate = tenant.grants.values().any(|g| {
        g.client_id == client_id && g.resource_id == resource_id && g.principal_id == principal_id
    });
    if duplicate {
        return Err(GraphError::new(
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            "Permission entry already exists.",
        ));
    }
    let grant = OAuth2PermissionGrant {
        id: crate::tenant::random_secret(43).replace(['~', '.'], "_"),
        client_id: client_id.clone(),
        consent_type,
        principal_id,
        resource_id,
        scope: scope.clone(),
    };
    let mut value = to_json(&grant);
    value["@odata.context"] = json!(request.context("oauth2PermissionGrants/$entity"));
    tenant.grants.insert(grant.id.clone(), grant);
    let target = sp_target(&tenant, &client_id, ("", &scope));
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Add delegated permission grant",
        "ApplicationManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::json(StatusCode::CREATED, value))
}

fn update_grant(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(GRANTS_WRITE)?;
    let body = request.json()?;
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::bad_request("Only 'scope' can be updated."))?
        .to_string();
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let grant = tenant
        .grants
        .get_mut(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let old = std::mem::replace(&mut grant.scope, scope.clone());
    let client = grant.client_id.clone();
    let target = sp_target(&tenant, &client, (&old, &scope));
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Update delegated permission grant",
        "ApplicationManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::no_content())
}

fn delete_grant(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(GRANTS_WRITE)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let grant = tenant
        .grants
        .shift_remove(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let target = sp_target(&tenant, &grant.client_id, (&grant.scope, ""));
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Remove delegated permission grant",
        "ApplicationManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::no_content())
}

/// A service principal as the API version shows it: `publisherName` is not a v1.0 property of
/// `servicePrincipal` (Graph's v1.0 metadata), only beta returns it.
pub(super) fn service_principal_json(version: super::ApiVersion, sp: &ServicePrincipal) -> Value {
    let mut value = to_json(sp);
    if let (super::ApiVersion::V1, Value::Object(map)) = (version, &mut value) {
        map.remove("publisherName");
    }
    value
}

fn sp_json(request: &GraphRequest<'_>, record: &ServicePrincipalRecord) -> Value {
    let mut value = service_principal_json(request.version, &record.service_principal);
    if request.version == super::ApiVersion::Beta {
        value["createdDateTime"] = json!(super::graph_timestamp(record.created_date_time));
    }
    value
}

fn list_service_principals(request: &GraphRequest<'_>) -> GraphResult {
    request.require(APPS_READ)?;
    let tenant = request.shared.tenant();
    let listing = Listing {
        type_name: "servicePrincipal",
        context: "servicePrincipals",
        default_select: None,
        directory_object: true,
        default_top: 100,
        supported: Supported {
            count: true,
            search: true,
            order_by: &["displayName"],
            ..LIST
        },
    };
    let shape = tenant
        .service_principals
        .values()
        .next()
        .map(|r| match sp_json(request, r) {
            Value::Object(m) => m,
            _ => Default::default(),
        })
        .unwrap_or_default();
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(
        request,
        &listing,
        &options,
        tenant.service_principals.len(),
        |i| {
            tenant
                .service_principals
                .get_index(i)
                .map(|(_, r)| sp_json(request, r))
                .unwrap_or(Value::Null)
        },
    )?;
    Ok(Reply::ok(body))
}

fn service_principal(request: &GraphRequest<'_>, key: &str, by_app_id: bool) -> GraphResult {
    let find = |tenant: &TenantState| -> Result<String, GraphError> {
        tenant
            .service_principals
            .values()
            .find(|r| {
                if by_app_id {
                    r.service_principal.app_id == key
                } else {
                    r.service_principal.id == key
                }
            })
            .map(|r| r.service_principal.id.clone())
            .ok_or_else(|| GraphError::not_found(key))
    };
    match request.method {
        Method::GET => {
            request.require(APPS_READ)?;
            let tenant = request.shared.tenant();
            let id = find(&tenant)?;
            let (value, _) = collection::entity(
                request,
                "servicePrincipals",
                "servicePrincipal",
                None,
                &[],
                sp_json(request, &tenant.service_principals[&id]),
            )?;
            Ok(Reply::ok(value))
        }
        Method::PATCH => {
            request.require(APPS_WRITE)?;
            let mut body = request.json()?;
            let Value::Object(fields) = &mut body else {
                return Err(GraphError::bad_request(
                    "The request body must be a JSON object.",
                ));
            };
            super::strip_annotations(fields);
            let now = request.shared.now();
            let mut tenant = request.shared.tenant_mut();
            let id = find(&tenant)?;
            let record = tenant
                .service_principals
                .get_mut(&id)
                .ok_or_else(|| GraphError::not_found(key))?;
            let mut changes = Vec::new();
            for (field, value) in fields.iter() {
                match (field.as_str(), value) {
                    ("accountEnabled", Value::Bool(enabled)) => {
                        changes.push(modified(
                            "AccountEnabled",
                            json!([record.service_principal.account_enabled]).to_string(),
                            json!([enabled]).to_string(),
                        ));
                        record.service_principal.account_enabled = *enabled;
                    }
                    ("notes", Value::String(notes)) => {
                        record.service_principal.notes = Some(notes.clone())
                    }
                    ("tags", Value::Array(_)) => {
                        record.service_principal.tags = serde_json::from_value(value.clone())
                            .map_err(|_| GraphError::bad_request("tags must be strings."))?;
                    }
                    (other, _) => {
                        return Err(GraphError::bad_request(format!(
                            "Property '{other}' cannot be updated by this emulator or has an invalid value."
                        )));
                    }
                }
            }
            let target = TargetResource {
                id: id.clone(),
                display_name: Some(record.service_principal.display_name.clone()),
                kind: "ServicePrincipal".into(),
                user_principal_name: None,
                group_type: None,
                modified_properties: changes,
            };
            let who = request.initiator();
            tenant.audit(
                now,
                &who,
                "Update service principal",
                "ApplicationManagement",
                "Core Directory",
                target,
            );
            Ok(Reply::no_content())
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}
