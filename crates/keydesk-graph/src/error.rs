//! The crate's error type and the parser for Graph's error envelopes.
//!
//! Graph speaks several error dialects: the directory one (`Request_BadRequest`,
//! `Authorization_RequestDenied`, `Request_ResourceNotFound`), the authentication-methods one
//! (lower-camel `badRequest` with an extra `innerError.message`), the OData v3 one (`message` is an
//! object with a `value`), the token endpoint's flat `{"error","error_description"}` and plain
//! non-JSON bodies from gateways. [`GraphError::parse`] accepts all of them and never fails.
//! Token-endpoint failures proper are typed separately as [`AuthError`](crate::AuthError).

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::auth::AuthError;
use crate::config::ConfigError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to Microsoft Graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The token endpoint refused to issue a token, or the credential could not be used.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Graph answered with an error status (after any retries).
    #[error(transparent)]
    Graph(Box<GraphError>),
    /// The request never got an HTTP answer (connection refused, reset, timeout).
    #[error("could not reach {host}")]
    Transport {
        /// Host that could not be reached.
        host: String,
        /// Correlation id that was sent with the failed request (none for token requests).
        client_request_id: Option<String>,
        /// Underlying transport error.
        #[source]
        source: reqwest::Error,
    },
    /// Graph answered with a success status, but the body did not have the expected shape.
    #[error(
        "could not decode Graph's response as {what} (HTTP {status}, request-id {request_id:?})"
    )]
    Decode {
        /// What the body was expected to be.
        what: &'static str,
        /// HTTP status of the response.
        status: u16,
        /// `request-id` response header.
        request_id: Option<String>,
        /// Underlying JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Graph answered successfully but not in the documented way (missing header, wrong value).
    #[error("unexpected response from Graph: {0}")]
    UnexpectedResponse(String),
    /// The caller asked for something that cannot be sent (bad header, oversized batch, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An absolute URL (next link, operation location) points away from the configured Graph
    /// host; keydesk refuses to send its token there.
    #[error("refusing to send credentials to {0}: not the configured Graph host")]
    UntrustedUrl(String),
    /// A long-running operation finished in the `failed` state.
    #[error("long-running operation failed: {}", detail.as_deref().unwrap_or("no detail given"))]
    OperationFailed {
        /// The operation's `statusDetail`, if any.
        detail: Option<String>,
    },
    /// A long-running operation did not finish within the polling budget.
    #[error("long-running operation did not finish within {0:?}")]
    OperationTimedOut(Duration),
}

/// A non-success answer from Graph, with everything needed to correlate it with Microsoft's logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphError {
    /// HTTP status code.
    pub status: u16,
    /// `error.code` (`Request_BadRequest`, `badRequest`, `TooManyRequests`, ...).
    pub code: Option<String>,
    /// `error.message`.
    pub message: Option<String>,
    /// `error.innerError.message` (authentication-methods dialect).
    pub inner_message: Option<String>,
    /// `request-id` response header (or `innerError.request-id`).
    pub request_id: Option<String>,
    /// `client-request-id` that keydesk sent.
    pub client_request_id: Option<String>,
    /// `Retry-After` of the last answer, when present.
    pub retry_after: Option<Duration>,
    /// How many HTTP attempts were made before giving up.
    pub attempts: u32,
    /// Start of the body when it was not a recognisable JSON error envelope.
    pub body_excerpt: Option<String>,
}

/// Message Graph uses when refusing to change an object mastered in on-premises AD.
const SYNCED_OBJECT_MARKERS: [&str; 2] = ["on-premises mastered", "Directory Sync objects"];
/// Longest body excerpt kept from a non-JSON error answer.
const EXCERPT_CHARS: usize = 200;

impl Error {
    /// A one-line explanation for the person at the helpdesk, without internal detail.
    pub fn explain(&self) -> String {
        match self {
            Error::Config(error) => format!("keydesk is not configured correctly: {error}"),
            Error::Auth(error) => error.explain(),
            Error::Graph(error) => error.explain(),
            Error::Transport { host, source, .. } => {
                if source.is_timeout() {
                    format!("{host} did not answer in time; try again later")
                } else {
                    format!("could not reach {host}; check the network and try again")
                }
            }
            Error::Decode { what, .. } => {
                format!("Graph sent a response keydesk could not understand (expected {what})")
            }
            Error::UnexpectedResponse(what) => format!("Graph answered unexpectedly: {what}"),
            Error::InvalidRequest(what) => format!("keydesk built an invalid request: {what}"),
            Error::UntrustedUrl(url) => {
                format!("Graph pointed keydesk at {url}, which is not the configured Graph host")
            }
            Error::OperationFailed { detail } => match detail {
                Some(detail) => format!("the operation failed: {detail}"),
                None => "the operation failed without a reason".to_owned(),
            },
            Error::OperationTimedOut(limit) => {
                format!(
                    "the operation was still running after {} s; check again later",
                    limit.as_secs()
                )
            }
        }
    }

    /// The Graph error, when this is one.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            Error::Graph(error) => Some(error),
            _ => None,
        }
    }

    /// HTTP status of the Graph answer, when this is a Graph error.
    pub fn status(&self) -> Option<u16> {
        self.graph().map(|error| error.status)
    }

    /// Whether Graph said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.graph().is_some_and(GraphError::is_not_found)
    }
}

impl From<GraphError> for Error {
    fn from(error: GraphError) -> Self {
        Error::Graph(Box::new(error))
    }
}

impl GraphError {
    /// Parses an error body in any of Graph's dialects. Never fails: unknown shapes keep an
    /// excerpt of the body instead.
    pub fn parse(status: u16, body: &[u8]) -> Self {
        let mut error = GraphError {
            status,
            ..GraphError::default()
        };
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            error.body_excerpt = excerpt(body);
            return error;
        };
        match json.get("error") {
            Some(Value::Object(envelope)) => {
                error.code = string_field(envelope.get("code"));
                error.message = message_field(envelope.get("message"));
                let inner = envelope
                    .get("innerError")
                    .or_else(|| envelope.get("innererror"));
                if let Some(inner) = inner {
                    error.inner_message = string_field(inner.get("message"));
                    error.request_id = string_field(inner.get("request-id"));
                    error.client_request_id = string_field(inner.get("client-request-id"));
                }
            }
            Some(Value::String(code)) => {
                error.code = Some(code.clone());
                error.message = string_field(json.get("error_description"));
            }
            _ => error.body_excerpt = excerpt(body),
        }
        error
    }

    /// The most informative human-readable message Graph gave.
    pub fn best_message(&self) -> Option<&str> {
        [&self.message, &self.inner_message, &self.body_excerpt]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|message| !message.trim().is_empty() && message.trim() != "...")
    }

    /// 404, or a not-found code in a 400 body.
    pub fn is_not_found(&self) -> bool {
        self.status == 404 || self.code_is(&["Request_ResourceNotFound", "itemNotFound"])
    }

    /// 403: the app lacks a permission or directory role.
    pub fn is_forbidden(&self) -> bool {
        self.status == 403
    }

    /// 429 Too Many Requests.
    pub fn is_throttled(&self) -> bool {
        self.status == 429
    }

    /// Graph refused because the object is mastered in on-premises Active Directory.
    pub fn is_synced_object_refusal(&self) -> bool {
        self.status == 400
            && [&self.message, &self.inner_message]
                .into_iter()
                .flatten()
                .any(|message| {
                    SYNCED_OBJECT_MARKERS
                        .iter()
                        .any(|marker| message.contains(marker))
                })
    }

    /// Whether `error.code` is one of `codes` (case-insensitive).
    pub fn code_is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|code| {
            codes
                .iter()
                .any(|candidate| candidate.eq_ignore_ascii_case(code))
        })
    }

    /// A one-line explanation for the person at the helpdesk.
    pub fn explain(&self) -> String {
        let said = match self.best_message() {
            Some(message) => format!(" (Graph said: {})", message.trim()),
            None => String::new(),
        };
        if self.is_throttled() {
            return "Graph is throttling; try again later".to_owned();
        }
        if self.is_synced_object_refusal() {
            return "this user is synced from on-premises AD; change it there".to_owned();
        }
        let message_mentions = |needle: &str| {
            self.best_message()
                .is_some_and(|message| message.to_ascii_lowercase().contains(needle))
        };
        match self.status {
            401 => format!("Graph rejected keydesk's access token{said}"),
            403 => format!("keydesk's app lacks the permission or directory role for this{said}"),
            404 => format!("not found{said}"),
            424 => "skipped because a request it depended on failed".to_owned(),
            400 if message_mentions("password complexity")
                || message_mentions("password does not") =>
            {
                format!("the password does not meet the tenant's password rules{said}")
            }
            400 if message_mentions("already exist") => format!("already done{said}"),
            status if status >= 500 => {
                format!("Graph is unavailable right now (HTTP {status}); try again later")
            }
            status => {
                let code = self
                    .code
                    .as_deref()
                    .map(|code| format!(" {code}"))
                    .unwrap_or_default();
                format!("Graph refused the request (HTTP {status}{code}){said}")
            }
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph answered HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = self.best_message() {
            write!(f, ": {message}")?;
        }
        if let Some(request_id) = &self.request_id {
            write!(f, " (request-id {request_id}")?;
            if let Some(client_request_id) = &self.client_request_id {
                write!(f, ", client-request-id {client_request_id}")?;
            }
            f.write_str(")")?;
        } else if let Some(client_request_id) = &self.client_request_id {
            write!(f, " (client-request-id {client_request_id})")?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

fn string_field(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

/// `message` is a string in current Graph and `{"lang","value"}` in the OData v3 dialect.
fn message_field(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::Object(object)) => string_field(object.get("value")),
        other => string_field(other),
    }
}

fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(EXCERPT_CHARS).collect())
}

#[cfg(test)]
mod tests;
