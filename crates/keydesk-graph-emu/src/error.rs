//! Graph's error responses.
//!
//! Every refusal the emulator makes is a [`GraphError`]: an HTTP status, Graph's `code` and
//! `message`, and the dialect it is spoken in (directory objects, the authentication-methods
//! service and the token endpoint each format errors their own way).
//! The envelope gets its `innerError` (date, request ids) when it is rendered for a request.

use http::StatusCode;
use serde_json::{Value, json};

/// A Graph refusal, rendered as the envelope of its dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub dialect: Dialect,
    /// Extra response headers (e.g. `Retry-After` on 429).
    pub headers: Vec<(String, String)>,
}

/// Which service's error format to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `{"error":{"code","message","innerError":{date,request-id,client-request-id}}}`.
    Directory,
    /// Like `Directory`, plus `innerError.message` (authentication methods service).
    AuthMethods,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code: code.to_string(),
            message: message.into(),
            dialect: Dialect::Directory,
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn unsupported_query(message: impl Into<String>) -> GraphError {
        GraphError::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// 404 for a directory object that does not exist.
    pub fn not_found(id: &str) -> GraphError {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 400 for a URL segment Graph does not know.
    pub fn unknown_segment(segment: &str) -> GraphError {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    pub fn method_not_allowed() -> GraphError {
        GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    pub fn forbidden() -> GraphError {
        GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> GraphError {
        GraphError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// The refusal for on-premises mastered objects.
    pub fn synced_object() -> GraphError {
        GraphError::bad_request(
            "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
        )
    }

    /// An error in the authentication methods service's dialect (`badRequest` etc.).
    pub fn auth_methods(status: StatusCode, code: &str, message: impl Into<String>) -> GraphError {
        GraphError {
            dialect: Dialect::AuthMethods,
            ..GraphError::new(status, code, message)
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> GraphError {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The JSON body, with `innerError` filled for this request.
    pub fn body(&self, request_id: &str, client_request_id: Option<&str>, date: &str) -> Value {
        let mut inner = json!({
            "date": date,
            "request-id": request_id,
            "client-request-id": client_request_id.unwrap_or(request_id),
        });
        if self.dialect == Dialect::AuthMethods {
            inner["message"] = Value::String(self.message.clone());
        }
        json!({"error": {"code": self.code, "message": self.message, "innerError": inner}})
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for GraphError {}

/// Errors from the emulator's own API (starting it, loading state).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("could not read tenant state from {path}: {source}")]
    ReadState {
        path: String,
        source: std::io::Error,
    },
    #[error("tenant state in {path} is not valid: {source}")]
    ParseState {
        path: String,
        source: serde_json::Error,
    },
    #[error("could not write tenant state to {path}: {source}")]
    WriteState {
        path: String,
        source: std::io::Error,
    },
    #[error("unknown app {0}")]
    UnknownApp(String),
}
