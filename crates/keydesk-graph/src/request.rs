//! `GraphRequest` and `GraphResponse`: what is sent to Graph and what comes back.
//!
//! A request names a path relative to the client's base (or an absolute Graph URL), extra
//! headers, an optional body, and whether repeating it is harmless. Authentication,
//! correlation ids and retries are added by [`GraphClient::send`](crate::GraphClient::send).

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};
use crate::retry::parse_retry_after;
/// One request to Graph, before authentication and retries are applied.
#[derive(Debug, Clone)]
pub struct GraphRequest {
    pub(crate) method: Method,
    pub(crate) target: Target,
    headers: Vec<(String, String)>,
    pub(crate) body: Option<RequestBody>,
    pub(crate) idempotent: bool,
}

/// A successful answer from Graph.
#[derive(Debug, Clone)]
pub struct GraphResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Vec<u8>,
    /// `request-id` response header.
    pub request_id: Option<String>,
    /// The `client-request-id` keydesk sent.
    pub client_request_id: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Path(String),
    Url(Url),
}

#[derive(Debug, Clone)]
pub(crate) struct RequestBody {
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

impl GraphRequest {
    /// A request to `path` (relative to the handle's base, e.g. `users/{id}`).
    pub fn new(method: Method, path: &str) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        Self {
            method,
            target: Target::Path(path.to_owned()),
            headers: Vec::new(),
            body: None,
            idempotent,
        }
    }

    /// A request to an absolute URL (must be on the configured Graph host).
    pub fn absolute(method: Method, url: Url) -> Self {
        Self {
            target: Target::Url(url),
            ..Self::new(method, "")
        }
    }

    /// `GET path`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    /// `PATCH path`.
    pub fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// `PUT path`.
    pub fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }

    /// `DELETE path`.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a header (validated when sent).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds `ConsistencyLevel: eventual` (advanced queries, `$count`, `$search`).
    pub fn eventual_consistency(self) -> Self {
        self.header("ConsistencyLevel", "eventual")
    }

    /// Sets a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|error| Error::InvalidRequest(format!("body does not serialize: {error}")))?;
        self.body = Some(RequestBody {
            content_type: "application/json".to_owned(),
            bytes,
        });
        Ok(self)
    }

    /// Sets a raw body.
    pub fn bytes(mut self, content_type: &str, bytes: Vec<u8>) -> Self {
        self.body = Some(RequestBody {
            content_type: content_type.to_owned(),
            bytes,
        });
        self
    }

    /// Declares whether repeating the request is harmless (enables retry after dropped
    /// connections and 504). Defaults to true for GET, HEAD, PUT, DELETE, OPTIONS.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    pub(crate) fn extra_headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub(crate) fn with_headers(mut self, headers: &[(String, String)]) -> Self {
        self.headers.extend_from_slice(headers);
        self
    }

    pub(crate) fn header_map(&self) -> Result<HeaderMap> {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::InvalidRequest(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::InvalidRequest(format!("invalid value for header {name}")))?;
            map.append(name, value);
        }
        Ok(map)
    }
}

impl GraphResponse {
    /// Decodes the JSON body. An empty body decodes as `null`, so `()` and `Option<T>` accept
    /// 202/204 answers.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        serde_json::from_slice(body).map_err(|source| Error::Decode {
            what: std::any::type_name::<T>(),
            status: self.status,
            request_id: self.request_id.clone(),
            source,
        })
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        header_text(&self.headers, name)
    }

    /// The `Retry-After` header as a duration.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header(RETRY_AFTER.as_str())
            .and_then(|value| parse_retry_after(&value))
    }
}

pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
