//! `POST /$batch`: up to 20 requests, `dependsOn` ordering (424 when a dependency failed), each
//! item authorised and throttled on its own, responses correlated by `id`.

use std::collections::HashMap;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{GraphRequest, Reply, ReplyBody, route, route_segments};
use crate::error::GraphError;

/// Graph's limit on requests per batch.
pub const MAX_REQUESTS: usize = 20;

struct Item {
    id: String,
    method: Method,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

pub async fn handle(request: &GraphRequest<'_>) -> Result<Reply, GraphError> {
    if request.method != Method::POST {
        return Err(GraphError::method_not_allowed());
    }
    let body = request.json()?;
    let items = parse(&body)?;
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    let mut pending: Vec<&Item> = items.iter().collect();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|item| {
                item.depends_on
                    .iter()
                    .all(|d| statuses.contains_key(&d.to_lowercase()))
            })
            .ok_or_else(|| {
                GraphError::bad_request("The dependsOn graph of the batch has a cycle.")
            })?;
        let item = pending.remove(ready);
        let failed_dependency = item
            .depends_on
            .iter()
            .any(|d| statuses.get(&d.to_lowercase()).is_some_and(|s| *s >= 400));
        let (status, headers, body) = if failed_dependency {
            let error = GraphError::new(
                StatusCode::FAILED_DEPENDENCY,
                "BadRequest",
                "Failed dependency.",
            );
            error_item(request, &error)
        } else {
            run(request, item)
        };
        statuses.insert(item.id.to_lowercase(), status);
        let mut response = json!({"id": item.id, "status": status, "headers": headers});
        if let Some(body) = body {
            response["body"] = body;
        }
        responses.push(response);
    }
    Ok(Reply::ok(json!({"responses": responses})))
}

fn parse(body: &Value) -> Result<Vec<Item>, GraphError> {
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            GraphError::bad_request("Invalid batch payload format: 'requests' is required.")
        })?;
    if requests.is_empty() {
        return Err(GraphError::bad_request(
            "Invalid batch payload format: at least one request is required.",
        ));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(GraphError::bad_request(format!(
            "Number of requests ({}) exceeds the limit of {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut items = Vec::new();
    for raw in requests {
        let field = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_string);
        let id = field("id").ok_or_else(|| {
            GraphError::bad_request("Invalid batch payload format: every request needs an 'id'.")
        })?;
        let method = field("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Invalid batch payload format: request '{id}' needs a valid 'method'."
                ))
            })?;
        let url = field("url").ok_or_else(|| {
            GraphError::bad_request(format!(
                "Invalid batch payload format: request '{id}' needs a 'url'."
            ))
        })?;
        if items.iter().any(|i: &Item| i.id.eq_ignore_ascii_case(&id)) {
            return Err(GraphError::bad_request(format!(
                "Invalid batch payload format: request id '{id}' is used more than once."
            )));
        }
        let depends_on = match raw.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(_) => {
                return Err(GraphError::bad_request(
                    "Invalid batch payload format: dependsOn must be an array.",
                ));
            }
        };
        let headers = match raw.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => {
                return Err(GraphError::bad_request(
                    "Invalid batch payload format: headers must be an object.",
                ));
            }
        };
        items.push(Item {
            id,
            method,
            url,
            headers,
            body: raw.get("body").cloned().filter(|b| !b.is_null()),
            depends_on,
        });
    }
    for item in &items {
        for dependency in &item.depends_on {
            if !items.iter().any(|i| i.id.eq_ignore_ascii_case(dependency)) {
                return Err(GraphError::bad_request(format!(
                    "Invalid batch payload format: request '{}' depends on unknown request '{dependency}'.",
                    item.id
                )));
            }
        }
    }
    Ok(items)
}

fn run(parent: &GraphRequest<'_>, item: &Item) -> (u16, Value, Option<Value>) {
    match execute(parent, item) {
        Ok(reply) => reply_item(reply),
        Err(error) => error_item(parent, &error),
    }
}

fn execute(parent: &GraphRequest<'_>, item: &Item) -> Result<Reply, GraphError> {
    let relative = item.url.trim_start_matches('/');
    if relative.starts_with("v1.0/")
        || relative.starts_with("beta/")
        || relative.starts_with("http")
    {
        return Err(GraphError::bad_request(
            "Batch request URLs must be relative to the version, e.g. /users.",
        ));
    }
    let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
    let full_path = format!("/{}/{path}", parent.version.segment());
    let segments = route_segments(parent.version, &full_path)?;
    if segments.first().map(String::as_str) == Some("$batch") {
        return Err(GraphError::bad_request(
            "A batch cannot contain another batch.",
        ));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &item.headers {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    let body = match &item.body {
        None => Bytes::new(),
        Some(body) => {
            if !headers.contains_key(http::header::CONTENT_TYPE) {
                return Err(GraphError::bad_request(
                    "Content-Type header is required for a batch request with a body.",
                ));
            }
            Bytes::from(body.to_string())
        }
    };
    let request = GraphRequest {
        shared: parent.shared,
        version: parent.version,
        method: item.method.clone(),
        segments,
        pairs: crate::odata::decode_pairs(query)?,
        headers,
        body,
        caller: parent.caller.clone(),
    };
    let cost = crate::throttle::cost(&request);
    request
        .shared
        .throttle_check(&request.caller, &request.segments, &request.method, cost)?;
    let reply = route(&request)?;
    if request.method != Method::GET {
        request.shared.mark_dirty();
    }
    Ok(reply.with_header("x-ms-resource-unit", cost.resource_units.to_string()))
}

fn reply_item(reply: Reply) -> (u16, Value, Option<Value>) {
    let mut headers = Map::new();
    headers.insert("Cache-Control".into(), json!("no-cache"));
    for (name, value) in &reply.headers {
        headers.insert(name.clone(), json!(value));
    }
    let body = match reply.body {
        ReplyBody::Json(value) => {
            headers.insert("Content-Type".into(), json!(super::JSON_CONTENT_TYPE));
            Some(value)
        }
        ReplyBody::Bytes { content_type, data } => {
            headers.insert("Content-Type".into(), json!(content_type));
            Some(json!(
                base64::engine::general_purpose::STANDARD.encode(&data)
            ))
        }
        ReplyBody::Text(text) => {
            headers.insert("Content-Type".into(), json!("text/plain"));
            Some(json!(text))
        }
        ReplyBody::Empty => None,
    };
    (reply.status.as_u16(), Value::Object(headers), body)
}

fn error_item(parent: &GraphRequest<'_>, error: &GraphError) -> (u16, Value, Option<Value>) {
    let mut headers = Map::new();
    headers.insert("Content-Type".into(), json!("application/json"));
    for (name, value) in &error.headers {
        headers.insert(name.clone(), json!(value));
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = error.body(&request_id, None, &super::graph_date(parent.shared.now()));
    (error.status.as_u16(), Value::Object(headers), Some(body))
}
