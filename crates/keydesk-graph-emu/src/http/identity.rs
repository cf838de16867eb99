//! `/identityProtection`: risky users (list, get, history, dismiss, confirm compromised) and
//! risk detections. Risky user ids are user object ids, as in Graph.

use http::Method;
use serde_json::{Value, json};

use super::collection::{self, Listing, shape_of, to_json};
use super::{GraphRequest, GraphResult, Reply};
use crate::error::GraphError;
use crate::model::{RiskUserActivity, RiskyUserHistoryItem, RiskyUserRecord};
use crate::odata::Supported;

const USERS_READ: &[&str] = &[
    "IdentityRiskyUser.Read.All",
    "IdentityRiskyUser.ReadWrite.All",
];
const USERS_WRITE: &[&str] = &["IdentityRiskyUser.ReadWrite.All"];
const EVENTS_READ: &[&str] = &[
    "IdentityRiskEvent.Read.All",
    "IdentityRiskEvent.ReadWrite.All",
];

const LIST: Supported = Supported {
    select: true,
    filter: true,
    top: Some(500),
    count: false,
    search: false,
    order_by: &[],
    expand: &[],
};

pub fn route(request: &GraphRequest<'_>, rest: &[&str]) -> GraphResult {
    let method = &request.method;
    match rest {
        ["riskyUsers"] if *method == Method::GET => risky_users(request),
        ["riskyUsers", action @ ("dismiss" | "confirmCompromised")] if *method == Method::POST => {
            act(request, action)
        }
        ["riskyUsers", id] if *method == Method::GET => risky_user(request, id),
        ["riskyUsers", id, "history"] if *method == Method::GET => history(request, id),
        ["riskDetections"] if *method == Method::GET => detections(request),
        ["riskDetections", id] if *method == Method::GET => detection(request, id),
        [segment, ..] if !["riskyUsers", "riskDetections"].contains(segment) => {
            Err(GraphError::unknown_segment(segment))
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

fn risky_users(request: &GraphRequest<'_>) -> GraphResult {
    request.require(USERS_READ)?;
    let tenant = request.shared.tenant();
    let listing = Listing {
        type_name: "riskyUser",
        context: "identityProtection/riskyUsers",
        default_select: None,
        directory_object: false,
        default_top: 500,
        supported: LIST,
    };
    let shape = tenant
        .risky_users
        .values()
        .next()
        .map(|r| shape_of(&r.risky_user))
        .unwrap_or_default();
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(request, &listing, &options, tenant.risky_users.len(), |i| {
        tenant
            .risky_users
            .get_index(i)
            .map(|(_, r)| to_json(&r.risky_user))
            .unwrap_or(Value::Null)
    })?;
    Ok(Reply::ok(body))
}

fn risky_user(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(USERS_READ)?;
    let tenant = request.shared.tenant();
    let record = tenant
        .risky_users
        .get(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let (value, _) = collection::entity(
        request,
        "identityProtection/riskyUsers",
        "riskyUser",
        None,
        &[],
        to_json(&record.risky_user),
    )?;
    Ok(Reply::ok(value))
}

fn history(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(USERS_READ)?;
    let tenant = request.shared.tenant();
    let record = tenant
        .risky_users
        .get(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let values: Vec<Value> = record.history.iter().map(to_json).collect();
    Ok(Reply::ok(json!({
        "@odata.context": request.context(&format!("identityProtection/riskyUsers('{id}')/history")),
        "value": values
    })))
}

/// Records a change of a risky user in its history.
pub fn push_history(record: &mut RiskyUserRecord, initiated_by: &str, detail: &str) {
    let user = &record.risky_user;
    let item = RiskyUserHistoryItem {
        id: uuid::Uuid::new_v4().to_string(),
        is_deleted: user.is_deleted,
        is_processing: false,
        risk_last_updated_date_time: user.risk_last_updated_date_time,
        risk_level: user.risk_level.clone(),
        risk_state: user.risk_state.clone(),
        risk_detail: user.risk_detail.clone(),
        user_display_name: user.user_display_name.clone(),
        user_principal_name: user.user_principal_name.clone(),
        user_id: user.id.clone(),
        initiated_by: Some(initiated_by.to_string()),
        activity: RiskUserActivity {
            detail: detail.to_string(),
            risk_event_types: Vec::new(),
        },
    };
    record.history.push(item);
}

fn act(request: &GraphRequest<'_>, action: &str) -> GraphResult {
    request.require(USERS_WRITE)?;
    let body = request.json()?;
    let ids: Vec<String> = body
        .get("userIds")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::bad_request("The 'userIds' parameter is required."))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| GraphError::bad_request("userIds must be strings."))
        })
        .collect::<Result<_, _>>()?;
    if ids.is_empty() || ids.len() > 60 {
        return Err(GraphError::bad_request(
            "userIds must hold between 1 and 60 ids.",
        ));
    }
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    for id in &ids {
        if !tenant.users.contains_key(id) {
            return Err(GraphError::not_found(id));
        }
    }
    let who = request.initiator();
    for id in &ids {
        let user = tenant.users[id].user.clone();
        let record = tenant
            .risky_users
            .entry(id.clone())
            .or_insert_with(|| RiskyUserRecord {
                risky_user: crate::model::RiskyUser {
                    id: id.clone(),
                    is_deleted: false,
                    is_processing: false,
                    risk_last_updated_date_time: now,
                    risk_level: "none".into(),
                    risk_state: "none".into(),
                    risk_detail: "none".into(),
                    user_display_name: user.display_name.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                },
                history: Vec::new(),
            });
        let (level, state, detail) = if action == "dismiss" {
            ("none", "dismissed", "adminDismissedAllRiskForUser")
        } else {
            (
                "high",
                "confirmedCompromised",
                "adminConfirmedUserCompromised",
            )
        };
        record.risky_user.risk_level = level.into();
        record.risky_user.risk_state = state.into();
        record.risky_user.risk_detail = detail.into();
        record.risky_user.risk_last_updated_date_time = now;
        push_history(record, &who.service_principal_id, detail);
        for detection in tenant
            .risk_detections
            .iter_mut()
            .filter(|d| &d.user_id == id && d.risk_state == "atRisk")
        {
            detection.risk_state = state.into();
            detection.risk_detail = detail.into();
            detection.last_updated_date_time = now;
        }
    }
    Ok(Reply::no_content())
}

fn detections(request: &GraphRequest<'_>) -> GraphResult {
    request.require(EVENTS_READ)?;
    let tenant = request.shared.tenant();
    let listing = Listing {
        type_name: "riskDetection",
        context: "identityProtection/riskDetections",
        default_select: None,
        directory_object: false,
        default_top: 500,
        supported: LIST,
    };
    let shape = tenant
        .risk_detections
        .first()
        .map(shape_of)
        .unwrap_or_default();
    let options = collection::options(request, &listing, &shape)?;
    let len = tenant.risk_detections.len();
    let body = collection::page(request, &listing, &options, len, |i| {
        tenant
            .risk_detections
            .get(len - 1 - i)
            .map(to_json)
            .unwrap_or(Value::Null)
    })?;
    Ok(Reply::ok(body))
}

fn detection(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(EVENTS_READ)?;
    let tenant = request.shared.tenant();
    let found = tenant
        .risk_detections
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let (value, _) = collection::entity(
        request,
        "identityProtection/riskDetections",
        "riskDetection",
        None,
        &[],
        to_json(found),
    )?;
    Ok(Reply::ok(value))
}
