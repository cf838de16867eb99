//! `/auditLogs`: sign-ins (newest first; v1.0 shows interactive sign-ins in v1.0's shape, beta
//! the full record and every event type on request) and directory audits.

use http::Method;
use serde_json::{Map, Value};

use super::collection::{self, Listing, shape_of, to_json};
use super::{ApiVersion, GraphRequest, GraphResult, Reply};
use crate::error::GraphError;
use crate::model::SignIn;
use crate::odata::Supported;

const READ: &[&str] = &["AuditLog.Read.All"];

/// Properties of `microsoft.graph.signIn` in v1.0 (beta has more).
const V1_SIGN_IN: &[&str] = &[
    "id",
    "createdDateTime",
    "userDisplayName",
    "userPrincipalName",
    "userId",
    "appId",
    "appDisplayName",
    "ipAddress",
    "clientAppUsed",
    "userAgent",
    "correlationId",
    "conditionalAccessStatus",
    "isInteractive",
    "riskDetail",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "riskEventTypes",
    "riskEventTypes_v2",
    "resourceDisplayName",
    "resourceId",
    "status",
    "deviceDetail",
    "location",
    "appliedConditionalAccessPolicies",
];

const LIST: Supported = Supported {
    select: true,
    filter: true,
    top: Some(1000),
    count: false,
    search: false,
    order_by: &[],
    expand: &[],
};

pub fn route(request: &GraphRequest<'_>, rest: &[&str]) -> GraphResult {
    if request.method != Method::GET {
        return Err(GraphError::method_not_allowed());
    }
    request.require(READ)?;
    match rest {
        ["signIns"] => sign_ins(request),
        ["signIns", id] => sign_in(request, id),
        ["directoryAudits"] => audits(request),
        ["directoryAudits", id] => audit(request, id),
        [segment, ..] => Err(GraphError::unknown_segment(segment)),
        [] => Err(GraphError::unknown_segment("auditLogs")),
    }
}

fn sign_in_json(version: ApiVersion, sign_in: &SignIn) -> Value {
    let value = to_json(sign_in);
    match (version, value) {
        (ApiVersion::V1, Value::Object(map)) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter(|(k, _)| V1_SIGN_IN.contains(&k.as_str()))
                .collect();
            Value::Object(kept)
        }
        (_, value) => value,
    }
}

fn sign_ins(request: &GraphRequest<'_>) -> GraphResult {
    let tenant = request.shared.tenant();
    let listing = Listing {
        type_name: "signIn",
        context: "auditLogs/signIns",
        default_select: None,
        directory_object: false,
        default_top: 1000,
        supported: LIST,
    };
    let shape = tenant
        .sign_ins
        .first()
        .map(|s| match sign_in_json(request.version, s) {
            Value::Object(map) => map,
            _ => Map::new(),
        })
        .unwrap_or_default();
    let options = collection::options(request, &listing, &shape)?;
    // Without a filter on event types, Graph lists interactive sign-ins; v1.0 never shows others.
    let asks_event_types = options
        .filter_text
        .as_deref()
        .is_some_and(|f| f.contains("signInEventTypes"));
    let visible: Vec<&SignIn> = tenant
        .sign_ins
        .iter()
        .rev()
        .filter(|s| s.is_interactive || (request.version == ApiVersion::Beta && asks_event_types))
        .collect();
    let body = collection::page(request, &listing, &options, visible.len(), |i| {
        sign_in_json(request.version, visible[i])
    })?;
    Ok(Reply::ok(body))
}

fn sign_in(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    let tenant = request.shared.tenant();
    let found = tenant
        .sign_ins
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let (value, _) = collection::entity(
        request,
        "auditLogs/signIns",
        "signIn",
        None,
        &[],
        sign_in_json(request.version, found),
    )?;
    Ok(Reply::ok(value))
}

fn audits(request: &GraphRequest<'_>) -> GraphResult {
    let tenant = request.shared.tenant();
    let listing = Listing {
        type_name: "directoryAudit",
        context: "auditLogs/directoryAudits",
        default_select: None,
        directory_object: false,
        default_top: 1000,
        supported: Supported {
            top: Some(999),
            ..LIST
        },
    };
    let shape = tenant
        .directory_audits
        .first()
        .map(shape_of)
        .unwrap_or_default();
    let options = collection::options(request, &listing, &shape)?;
    let len = tenant.directory_audits.len();
    let body = collection::page(request, &listing, &options, len, |i| {
        tenant
            .directory_audits
            .get(len - 1 - i)
            .map(to_json)
            .unwrap_or(Value::Null)
    })?;
    Ok(Reply::ok(body))
}

fn audit(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    let tenant = request.shared.tenant();
    let found = tenant
        .directory_audits
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let (value, _) = collection::entity(
        request,
        "auditLogs/directoryAudits",
        "directoryAudit",
        None,
        &[],
        to_json(found),
    )?;
    Ok(Reply::ok(value))
}
