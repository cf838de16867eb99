//! The simulation control plane under `/_emulator` (not part of Graph, no token needed):
//! simulate sign-ins, move the clock, set latency/fault/throttling knobs, read the outbox of
//! delivered mail and text messages, the SMS gateway keydesk's text provider posts to,
//! export/import of the whole tenant, app credentials and consent, and the tenant's licences.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::model::{ClientCertificate, OutboxMessage, TenantState};
use crate::server::{Shared, SimulationConfig};
use crate::signin::{self, Attempt, LockoutPolicy};
use crate::tenant::hash_password;

pub async fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    _headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let result = match (method.as_str(), segments.as_slice()) {
        ("GET", ["health"]) => Ok(json!({"status": "ok", "tenantId": shared.tenant().tenant_id})),
        ("POST", ["signin"]) => sign_in(shared, &body),
        ("GET", ["clock"]) => Ok(json!({"now": crate::http::graph_timestamp(shared.now())})),
        ("POST", ["clock"]) => advance(shared, &body),
        ("GET", ["simulation"]) => {
            Ok(serde_json::to_value(shared.simulation().config.clone()).unwrap_or(Value::Null))
        }
        ("PUT", ["simulation"]) => set_simulation(shared, &body),
        ("GET", ["outbox"]) => Ok(outbox(shared, query)),
        ("DELETE", ["outbox"]) => {
            shared.tenant_mut().outbox.clear();
            shared.mark_dirty();
            Ok(json!({"cleared": true}))
        }
        ("POST", ["sms"]) => sms(shared, &body),
        ("GET", ["state"]) => {
            let state = {
                let tenant = shared.tenant();
                let mut state = tenant.clone();
                state.clock_offset_seconds =
                    (shared.now() - time::OffsetDateTime::now_utc()).whole_seconds();
                state
            };
            return json_response(
                StatusCode::OK,
                &serde_json::to_value(state).unwrap_or(Value::Null),
            );
        }
        ("PUT", ["state"]) => import(shared, &body),
        ("POST", ["apps", app_id, "secrets"]) => add_secret(shared, app_id, &body),
        ("POST", ["apps", app_id, "certificates"]) => add_certificate(shared, app_id, &body),
        ("PUT", ["apps", app_id, "permissions"]) => set_permissions(shared, app_id, &body),
        ("PUT", ["skus"]) => set_skus(shared, &body),
        _ => Err((
            StatusCode::NOT_FOUND,
            format!("No control endpoint {method} /_emulator{path}"),
        )),
    };
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err((status, message)) => json_response(
            status,
            &json!({"error": {"code": "EmulatorControl", "message": message}}),
        ),
    }
}

type ControlResult = Result<Value, (StatusCode, String)>;

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, (StatusCode, String)> {
    serde_json::from_slice(body)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

fn sign_in(shared: &Shared, body: &[u8]) -> ControlResult {
    let attempt: Attempt = parse(body)?;
    let config = shared.simulation().config.clone();
    let policy = LockoutPolicy {
        threshold: config.lockout_threshold.max(1),
        duration_seconds: config.lockout_duration_seconds.max(1),
    };
    let now = shared.now();
    let entry = signin::attempt(&mut shared.tenant_mut(), &attempt, policy, now);
    shared.mark_dirty();
    Ok(json!({
        "errorCode": entry.status.error_code,
        "signIn": serde_json::to_value(&entry).unwrap_or(Value::Null),
    }))
}

fn advance(shared: &Shared, body: &[u8]) -> ControlResult {
    let request: Value = parse(body)?;
    let seconds = request
        .get("advanceSeconds")
        .and_then(Value::as_i64)
        .ok_or((
            StatusCode::BAD_REQUEST,
            "advanceSeconds (integer) is required".to_string(),
        ))?;
    if seconds < 0 {
        return Err((
            StatusCode::BAD_REQUEST,
            "the clock only moves forward".into(),
        ));
    }
    shared.advance_clock(seconds);
    Ok(json!({"now": crate::http::graph_timestamp(shared.now())}))
}

fn set_simulation(shared: &Shared, body: &[u8]) -> ControlResult {
    let config: SimulationConfig = parse(body)?;
    if !(0.0..=1.0).contains(&config.error_rate)
        || !(0.0..=1.0).contains(&config.throttle_storm_rate)
    {
        return Err((
            StatusCode::BAD_REQUEST,
            "rates must be between 0 and 1".into(),
        ));
    }
    if config.throttle.time_scale <= 0.0 || !config.throttle.time_scale.is_finite() {
        return Err((
            StatusCode::BAD_REQUEST,
            "throttle.timeScale must be positive".into(),
        ));
    }
    let value = serde_json::to_value(&config).unwrap_or(Value::Null);
    *shared.simulation() = crate::server::Simulation::new(config);
    Ok(value)
}

fn outbox(shared: &Shared, query: &str) -> Value {
    let recipient = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "to")
        .map(|(_, v)| v.to_lowercase());
    let tenant = shared.tenant();
    let messages: Vec<Value> = tenant
        .outbox
        .iter()
        .filter(|m| {
            recipient
                .as_ref()
                .is_none_or(|r| m.to.iter().chain(&m.cc).any(|t| t.to_lowercase() == *r))
        })
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .collect();
    json!({"value": messages})
}

fn sms(shared: &Shared, body: &[u8]) -> ControlResult {
    let request: Value = parse(body)?;
    let to = request.get("to").and_then(Value::as_str).unwrap_or("");
    let text = request.get("body").and_then(Value::as_str).unwrap_or("");
    let digits = to.chars().filter(char::is_ascii_digit).count();
    if !to.starts_with('+') || digits < 6 {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("'{to}' is not a phone number in international format"),
        ));
    }
    if text.is_empty() || text.chars().count() > 1600 {
        return Err((
            StatusCode::BAD_REQUEST,
            "body must be 1 to 1600 characters".into(),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = shared.now();
    shared.tenant_mut().outbox.push(OutboxMessage {
        id: id.clone(),
        channel: "sms".into(),
        from: request
            .get("from")
            .and_then(Value::as_str)
            .unwrap_or("keydesk")
            .to_string(),
        to: vec![to.to_string()],
        cc: Vec::new(),
        subject: None,
        body: text.to_string(),
        content_type: "Text".into(),
        sent_date_time: now,
    });
    shared.mark_dirty();
    Ok(json!({"id": id, "status": "queued"}))
}

fn import(shared: &Shared, body: &[u8]) -> ControlResult {
    let state: TenantState = parse(body)?;
    // The state's timestamps are relative to its own clock: keep it, as loading from a file does.
    shared.set_clock_offset(state.clock_offset_seconds);
    *shared.tenant_mut() = state;
    shared.mark_dirty();
    Ok(json!({"imported": true}))
}

fn add_secret(shared: &Shared, app_id: &str, body: &[u8]) -> ControlResult {
    let request: Value = if body.is_empty() {
        json!({})
    } else {
        parse(body)?
    };
    let days = request
        .get("lifetimeDays")
        .and_then(Value::as_i64)
        .unwrap_or(180);
    let now = shared.now();
    let secret = crate::tenant::random_secret(40);
    let mut tenant = shared.tenant_mut();
    let salt = tenant.salt.clone();
    let app = tenant.apps.get_mut(app_id).ok_or((
        StatusCode::NOT_FOUND,
        format!("no app registration {app_id}"),
    ))?;
    let key_id = uuid::Uuid::new_v4().to_string();
    let end = now + time::Duration::days(days);
    app.secrets.push(crate::model::ClientSecret {
        key_id: key_id.clone(),
        hint: secret.chars().take(3).collect(),
        secret_hash: hash_password(&salt, &secret),
        end_date_time: end,
    });
    drop(tenant);
    shared.mark_dirty();
    Ok(
        json!({"keyId": key_id, "secretText": secret, "endDateTime": crate::http::graph_timestamp(end)}),
    )
}

fn add_certificate(shared: &Shared, app_id: &str, body: &[u8]) -> ControlResult {
    let request: Value = parse(body)?;
    let pem = request
        .get("certificatePem")
        .and_then(Value::as_str)
        .ok_or((
            StatusCode::BAD_REQUEST,
            "certificatePem is required".to_string(),
        ))?;
    let (sha1, sha256, not_after) = crate::auth::certificate_thumbprints(pem).ok_or((
        StatusCode::BAD_REQUEST,
        "certificatePem is not a valid X.509 certificate".to_string(),
    ))?;
    let mut tenant = shared.tenant_mut();
    let app = tenant.apps.get_mut(app_id).ok_or((
        StatusCode::NOT_FOUND,
        format!("no app registration {app_id}"),
    ))?;
    let key_id = uuid::Uuid::new_v4().to_string();
    app.certificates.push(ClientCertificate {
        key_id: key_id.clone(),
        thumbprint_sha1: sha1.clone(),
        thumbprint_sha256: sha256,
        certificate_pem: pem.to_string(),
        end_date_time: not_after,
    });
    drop(tenant);
    shared.mark_dirty();
    Ok(
        json!({"keyId": key_id, "thumbprint": sha1, "endDateTime": crate::http::graph_timestamp(not_after)}),
    )
}

fn set_permissions(shared: &Shared, app_id: &str, body: &[u8]) -> ControlResult {
    let permissions: Vec<String> = parse(body)?;
    let mut tenant = shared.tenant_mut();
    let app = tenant.apps.get_mut(app_id).ok_or((
        StatusCode::NOT_FOUND,
        format!("no app registration {app_id}"),
    ))?;
    app.granted_permissions = permissions.clone();
    drop(tenant);
    shared.mark_dirty();
    Ok(json!({"grantedPermissions": permissions}))
}

/// One licence as `PUT /_emulator/skus` takes it: the SKU, its service plans, units bought.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SkuSpec {
    sku_part_number: String,
    #[serde(default)]
    sku_id: Option<String>,
    service_plans: Vec<String>,
    #[serde(default = "default_units")]
    units: u32,
    #[serde(default)]
    consumed_units: u32,
}

fn default_units() -> u32 {
    25
}

/// Replaces the tenant's subscribed SKUs (e.g. a tenant with Entra ID P1 but not P2).
fn set_skus(shared: &Shared, body: &[u8]) -> ControlResult {
    let specs: Vec<SkuSpec> = parse(body)?;
    let mut tenant = shared.tenant_mut();
    let tenant_id = tenant.tenant_id.clone();
    tenant.subscribed_skus = specs
        .iter()
        .map(|spec| {
            let sku_id = spec
                .sku_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            crate::model::SubscribedSku {
                id: format!("{tenant_id}_{sku_id}"),
                sku_id,
                sku_part_number: spec.sku_part_number.clone(),
                applies_to: "User".to_owned(),
                capability_status: "Enabled".to_owned(),
                consumed_units: spec.consumed_units,
                prepaid_units: json!({"enabled": spec.units, "suspended": 0, "warning": 0, "lockedOut": 0}),
                service_plans: spec
                    .service_plans
                    .iter()
                    .map(|name| {
                        json!({
                            "servicePlanId": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string(),
                            "servicePlanName": name,
                            "provisioningStatus": "Success",
                            "appliesTo": "User",
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    let parts: Vec<String> = specs.iter().map(|s| s.sku_part_number.clone()).collect();
    drop(tenant);
    shared.mark_dirty();
    Ok(json!({"subscribedSkus": parts}))
}
