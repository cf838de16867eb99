//! Error bodies: `{"error": {"code", "message", "hint"}}`, the status that fits, and nothing of
//! keydesk's internals (SQL, file paths, stack traces stay in the server log).

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> ApiError {
        self.hint = Some(hint.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first (a session cookie or an Entra ID bearer token)",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Something keydesk depends on failed; the detail goes to the log, not the caller.
    pub fn unavailable(what: &str, error: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%error, "{what}");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("{what}; nothing was changed, try again shortly"),
        )
    }
}

impl From<keydesk_service::Error> for ApiError {
    fn from(error: keydesk_service::Error) -> ApiError {
        use keydesk_service::Error as E;
        let hint = error.hint();
        let status = match &error {
            E::Guard(inner) => {
                return ApiError::unavailable(
                    "keydesk's approval and audit store is unavailable",
                    inner,
                );
            }
            E::InvalidInput(_) => StatusCode::BAD_REQUEST,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::Planner(_) => StatusCode::BAD_GATEWAY,
            E::Ops(ops) => match ops {
                keydesk_ops::Error::UserNotFound { .. }
                | keydesk_ops::Error::GroupNotFound { .. } => StatusCode::NOT_FOUND,
                keydesk_ops::Error::AmbiguousUser { .. }
                | keydesk_ops::Error::AmbiguousGroup { .. } => StatusCode::CONFLICT,
                keydesk_ops::Error::InvalidInput(_) => StatusCode::BAD_REQUEST,
                keydesk_ops::Error::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                keydesk_ops::Error::Delivery(_) => StatusCode::BAD_GATEWAY,
                keydesk_ops::Error::Graph(graph) => {
                    tracing::warn!(error = %graph, "Graph call failed");
                    StatusCode::BAD_GATEWAY
                }
                keydesk_ops::Error::Ad(ad) => {
                    tracing::warn!(error = %ad, "Active Directory call failed");
                    StatusCode::BAD_GATEWAY
                }
            },
        };
        ApiError {
            status,
            code: error.code(),
            message: error.to_string(),
            hint,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(hint) = self.hint {
            body["error"]["hint"] = json!(hint);
        }
        (self.status, Json(body)).into_response()
    }
}

/// The JSON body extractor's rejection, as an API error (never axum's plain-text body).
pub fn json_rejection(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
    use axum::extract::rejection::JsonRejection as R;
    match rejection {
        R::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        R::JsonSyntaxError(_) => ApiError::bad_request("the body is not valid JSON"),
        R::JsonDataError(error) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("the body does not fit: {}", error.body_text()),
        ),
        R::BytesRejection(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is too large or could not be read",
        ),
        other => ApiError::bad_request(other.body_text()),
    }
}

/// Middleware: the plain-text answers of the outer layers (the body limit's 413, the timeout's
/// 504, axum's own extractor rejections) become the same JSON envelope every handler answers with.
pub async fn json_envelope(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let typed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        });
    if typed {
        return response;
    }
    let mut rewritten = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            "the request body is larger than this server accepts",
        ),
        StatusCode::GATEWAY_TIMEOUT => ApiError::new(
            status,
            "timeout",
            "the request took too long; check the audit log before repeating a change",
        ),
        _ => ApiError::new(
            status,
            "http_error",
            status.canonical_reason().unwrap_or("request refused"),
        ),
    }
    .into_response();
    // Keep what the layer said beside its body (Retry-After on a 429, Allow on a 405).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().append(name.clone(), value.clone());
        }
    }
    rewritten
}
