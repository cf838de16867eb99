//! The emulator's HTTP face: one axum fallback handler that does what Graph's front door does
//! (request ids, body limits, authentication, throttling, injected faults) and then routes the
//! path to the resource modules.
//!
//! Routing is done by hand over decoded path segments rather than with axum routes, because
//! Graph paths carry key syntax (`users('x')`, `servicePrincipals(appId='x')`), casts and `$ref`
//! segments, and unknown segments or methods must fail with Graph's own error bodies.

mod apps;
mod batch;
mod collection;
mod groups;
mod identity;
mod logs;
mod methods;
mod roles;
mod users;

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::Value;

use crate::auth::{self, Caller};
use crate::error::GraphError;
use crate::server::Shared;
use crate::{control, throttle};

/// Graph caps request bodies at 4 MB.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The control plane takes whole tenant states (`PUT /_emulator/state`), far above Graph's cap.
pub const MAX_CONTROL_BODY_BYTES: usize = 1024 * 1024 * 1024;

/// The content type Graph puts on JSON responses.
pub const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// `/v1.0` or `/beta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// One Graph request after the front door: decoded and authenticated.
#[derive(Debug)]
pub struct GraphRequest<'a> {
    pub shared: &'a Shared,
    pub version: ApiVersion,
    pub method: Method,
    pub segments: Vec<String>,
    pub pairs: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub caller: Caller,
}

impl GraphRequest<'_> {
    /// `http://host:port/v1.0`.
    pub fn base(&self) -> String {
        format!("{}/{}", self.shared.base_url(), self.version.segment())
    }

    /// `https://graph.microsoft.com/v1.0/$metadata#...`, pointing at the emulator.
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/$metadata#{fragment}", self.base())
    }

    pub fn eventual(&self) -> bool {
        self.headers
            .get("consistencylevel")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
    }

    /// Parses the body as JSON, refusing other content types and malformed documents as Graph does.
    pub fn json(&self) -> Result<Value, GraphError> {
        let content_type = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            return Err(GraphError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!(
                    "The content type '{content_type}' is not supported; use application/json."
                ),
            ));
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Empty Payload. JSON content expected.",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|error| {
            GraphError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format. ({error})"),
            )
        })
    }

    /// Like [`GraphRequest::json`], but an empty body is an empty object (actions without parameters).
    pub fn json_or_empty(&self) -> Result<Value, GraphError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        self.json()
    }

    /// The app making this request, for directory audit records.
    pub fn initiator(&self) -> crate::tenant::Initiator {
        crate::tenant::Initiator {
            app_id: self.caller.app_id.clone(),
            display_name: self.caller.display_name.clone(),
            service_principal_id: self.caller.service_principal_id.clone(),
        }
    }

    /// Refuses unless the caller holds one of the application permissions.
    pub fn require(&self, any_of: &[&str]) -> Result<(), GraphError> {
        if self.caller.has_any(any_of) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }
}

/// Removes instance annotations (`@odata.type`, `@odata.context`...) from a request body: Graph
/// accepts them beside the properties (Microsoft's SDKs send `@odata.type` on every entity).
pub fn strip_annotations(object: &mut serde_json::Map<String, Value>) {
    object.retain(|key, _| !key.starts_with("@odata."));
}

/// What a handler returns on success.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: ReplyBody,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug)]
pub enum ReplyBody {
    Json(Value),
    Bytes { content_type: String, data: Bytes },
    Text(String),
    Empty,
}

impl Reply {
    pub fn json(status: StatusCode, value: Value) -> Reply {
        Reply {
            status,
            body: ReplyBody::Json(value),
            headers: Vec::new(),
        }
    }

    pub fn ok(value: Value) -> Reply {
        Reply::json(StatusCode::OK, value)
    }

    pub fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: ReplyBody::Empty,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

pub type GraphResult = Result<Reply, GraphError>;

/// The axum handler behind every path.
pub async fn front_door(
    State(shared): State<Arc<Shared>>,
    request: axum::extract::Request,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();

    let limit = if path.starts_with("/_emulator") {
        MAX_CONTROL_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(_) => {
            let error = GraphError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request_EntityTooLarge",
                format!("The request body exceeds the maximum of {limit} bytes."),
            );
            return render_error(&shared, &error, &request_id, client_request_id.as_deref());
        }
    };

    if let Some(rest) = path.strip_prefix("/_emulator") {
        return control::handle(
            &shared,
            &parts.method,
            rest,
            &raw_query,
            &parts.headers,
            body,
        )
        .await;
    }
    if let Some(tenant) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/oauth2/v2.0/token"))
    {
        return auth::token_endpoint(&shared, &parts.method, tenant, &parts.headers, &body);
    }

    let version = if path == "/v1.0" || path.starts_with("/v1.0/") {
        ApiVersion::V1
    } else if path == "/beta" || path.starts_with("/beta/") {
        ApiVersion::Beta
    } else {
        let error = GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Invalid version: {}",
                path.trim_start_matches('/').split('/').next().unwrap_or("")
            ),
        );
        return render_error(&shared, &error, &request_id, client_request_id.as_deref());
    };

    // Injected latency and faults apply before anything else, as a slow or failing front end would.
    let fault = shared.simulation().fault_for_request();
    if let Some(latency) = fault.latency {
        tokio::time::sleep(latency).await;
    }
    if let Some(error) = fault.error {
        return render_error(&shared, &error, &request_id, client_request_id.as_deref());
    }

    let caller = match auth::authenticate(&shared, &parts.headers) {
        Ok(caller) => caller,
        Err(error) => {
            return render_error(&shared, &error, &request_id, client_request_id.as_deref());
        }
    };

    let outcome = match route_segments(version, &path) {
        Ok(segments) => {
            let request = GraphRequest {
                shared: &shared,
                version,
                method: parts.method.clone(),
                segments,
                pairs: Vec::new(),
                headers: parts.headers.clone(),
                body,
                caller,
            };
            match crate::odata::decode_pairs(&raw_query) {
                Ok(pairs) => {
                    let request = GraphRequest { pairs, ..request };
                    handle_metered(request).await
                }
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    };

    match outcome {
        Ok((reply, cost)) => render_reply(reply, cost, &request_id, client_request_id.as_deref()),
        Err(error) => render_error(&shared, &error, &request_id, client_request_id.as_deref()),
    }
}

/// Throttling, then routing. Also used for each item of a `$batch`.
pub async fn handle_metered(request: GraphRequest<'_>) -> Result<(Reply, u32), GraphError> {
    let cost = throttle::cost(&request);
    request
        .shared
        .throttle_check(&request.caller, &request.segments, &request.method, cost)?;
    let is_batch = request.segments.first().map(String::as_str) == Some("$batch");
    let reply = if is_batch {
        batch::handle(&request).await?
    } else {
        route(&request)?
    };
    if request.method != Method::GET {
        request.shared.mark_dirty();
    }
    Ok((reply, cost.resource_units))
}

/// Decodes the path after the version into segments, normalising key syntax:
/// `users('x')` → `users`, `x`; `servicePrincipals(appId='x')` → `servicePrincipals(appId)`, `x`.
pub fn route_segments(version: ApiVersion, path: &str) -> Result<Vec<String>, GraphError> {
    let rest = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(version.segment()))
        .unwrap_or("");
    let mut segments = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| GraphError::bad_request("The request URL is not valid UTF-8."))?
            .into_owned();
        match decoded.split_once('(') {
            Some((name, key)) if decoded.ends_with(')') && !name.is_empty() => {
                let key = &key[..key.len() - 1];
                match key.split_once('=') {
                    Some((key_name, value)) => {
                        segments.push(format!("{name}({key_name})"));
                        segments.push(unquote(value)?);
                    }
                    None => {
                        segments.push(name.to_string());
                        segments.push(unquote(key)?);
                    }
                }
            }
            _ => segments.push(decoded),
        }
    }
    Ok(segments)
}

fn unquote(value: &str) -> Result<String, GraphError> {
    let inner = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .ok_or_else(|| {
            GraphError::bad_request(format!("Bad key value '{value}': keys must be quoted."))
        })?;
    Ok(inner.replace("''", "'"))
}

fn route(request: &GraphRequest<'_>) -> GraphResult {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match segments.first().copied() {
        Some("users") => users::route(request, &segments[1..]),
        Some("me") => Err(GraphError::bad_request(
            "/me request is only valid with delegated authentication flow.",
        )),
        Some("groups") => groups::route(request, &segments[1..]),
        Some("identityProtection") => identity::route(request, &segments[1..]),
        Some("auditLogs") => logs::route(request, &segments[1..]),
        Some("oauth2PermissionGrants")
        | Some("servicePrincipals")
        | Some("servicePrincipals(appId)")
        | Some("organization")
        | Some("subscribedSkus")
        | Some("applications") => apps::route(request, &segments),
        Some("directoryRoles")
        | Some("directoryRoles(roleTemplateId)")
        | Some("directoryRoleTemplates")
        | Some("roleManagement")
        | Some("directoryObjects") => roles::route(request, &segments),
        Some("reports") => methods::reports(request, &segments[1..]),
        Some(other) => Err(GraphError::unknown_segment(other)),
        None => Err(GraphError::unknown_segment("")),
    }
}

fn base_headers(response: &mut Response, request_id: &str, client_request_id: Option<&str>) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", value);
    }
    if let Some(value) = client_request_id.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert("client-request-id", value);
    }
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert(
        "x-ms-ags-diagnostic",
        HeaderValue::from_static(r#"{"ServerInfo":{"DataCenter":"Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"keydesk-emu"}}"#),
    );
}

fn render_reply(
    reply: Reply,
    cost: u32,
    request_id: &str,
    client_request_id: Option<&str>,
) -> Response {
    let mut response = reply_to_response(reply);
    base_headers(&mut response, request_id, client_request_id);
    if let Ok(value) = HeaderValue::from_str(&cost.to_string()) {
        response.headers_mut().insert("x-ms-resource-unit", value);
    }
    response
}

/// Turns a reply into an HTTP response (also used by `$batch` for its items).
pub fn reply_to_response(reply: Reply) -> Response {
    let mut response = match reply.body {
        ReplyBody::Json(value) => {
            let mut response = (reply.status, value.to_string()).into_response();
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(JSON_CONTENT_TYPE),
            );
            response
        }
        ReplyBody::Bytes { content_type, data } => {
            let mut response = (reply.status, AxumBody::from(data)).into_response();
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_TYPE, value);
            }
            response
        }
        ReplyBody::Text(text) => {
            let mut response = (reply.status, text).into_response();
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain"),
            );
            response
        }
        ReplyBody::Empty => reply.status.into_response(),
    };
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Renders a Graph error envelope.
pub fn render_error(
    shared: &Shared,
    error: &GraphError,
    request_id: &str,
    client_request_id: Option<&str>,
) -> Response {
    let date = graph_date(shared.now());
    let body = error.body(request_id, client_request_id, &date);
    let mut reply = Reply::json(error.status, body);
    reply.headers = error.headers.clone();
    let mut response = reply_to_response(reply);
    base_headers(&mut response, request_id, client_request_id);
    response
}

/// `innerError.date`: UTC without offset, `yyyy-MM-ddTHH:mm:ss`.
pub fn graph_date(now: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    now.format(&format).unwrap_or_default()
}

/// RFC 3339 with a `Z`, as Graph writes timestamps.
pub fn graph_timestamp(at: time::OffsetDateTime) -> String {
    crate::model::ts::format(at)
}
