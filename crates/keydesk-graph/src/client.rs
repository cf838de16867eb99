//! `GraphClient`: authenticated, correlated, retried HTTP requests to Graph.
//!
//! Every attempt carries a bearer token (header marked sensitive) and the request's
//! `client-request-id`. 429 / 503 (and 504 for idempotent methods) are retried after
//! `Retry-After` or with jittered backoff inside the [`RetryPolicy`] budget; connection
//! failures are retried for idempotent methods only. A 401 triggers one token refresh.
//! Absolute URLs (next links, operation locations) are followed only on the configured Graph
//! host, so the token never leaves it.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{AuthError, TokenSource};
use crate::config::GraphConfig;
use crate::error::{Error, GraphError, Result};
use crate::request::{GraphRequest, GraphResponse, Target, header_text};
use crate::retry::{RetryBudget, RetryPolicy, parse_retry_after};
use crate::stats::{ClientStats, Counters};

/// Client for Microsoft Graph. Cheap to clone; clones share the token cache and counters.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
    version: ApiVersion,
}

/// Which Graph endpoint relative paths resolve against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `graph_base` (v1.0).
    V1,
    /// `beta_base`.
    Beta,
}

/// Options for building a [`GraphClient`].
#[derive(Debug)]
pub struct GraphClientBuilder {
    config: GraphConfig,
    retry: RetryPolicy,
    timeout: Duration,
    http: Option<reqwest::Client>,
}

struct Inner {
    http: reqwest::Client,
    config: GraphConfig,
    tokens: TokenSource,
    retry: RetryPolicy,
    counters: Arc<Counters>,
}

/// What one HTTP attempt produced, before the retry decision.
enum Attempt {
    Answer {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
    },
    Failed(reqwest::Error),
}

impl GraphClient {
    /// A client with the default retry policy and timeouts.
    pub fn new(config: GraphConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder for non-default retry policy, timeout or HTTP client.
    pub fn builder(config: GraphConfig) -> GraphClientBuilder {
        GraphClientBuilder {
            config,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
            http: None,
        }
    }

    /// A handle whose relative paths resolve against the beta endpoint.
    pub fn beta(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            version: ApiVersion::Beta,
        }
    }

    /// A handle whose relative paths resolve against v1.0.
    pub fn v1(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            version: ApiVersion::V1,
        }
    }

    /// The endpoint this handle targets.
    pub fn version(&self) -> ApiVersion {
        self.version
    }

    /// The configuration (its credential is redacted in `Debug`).
    pub fn config(&self) -> &GraphConfig {
        &self.inner.config
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Base URL for relative paths on this handle.
    pub fn base_url(&self) -> &Url {
        match self.version {
            ApiVersion::V1 => &self.inner.config.graph_base,
            ApiVersion::Beta => &self.inner.config.beta_base,
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Request counters shared by all clones of this client.
    pub fn stats(&self) -> ClientStats {
        self.inner.counters.snapshot()
    }

    /// The application permissions (`roles` claim) in the current access token, unverified.
    pub async fn granted_roles(&self) -> Result<Vec<String>> {
        self.inner.tokens.granted_roles().await
    }

    /// `{graph_base}/directoryObjects/{id}`, the form `$ref` bodies use.
    pub fn directory_object_url(&self, id: &str) -> String {
        self.graph_url(&format!("directoryObjects/{}", crate::odata::segment(id)))
    }

    /// `{graph_base}/{relative}` (always v1.0, as `@odata.id` references expect).
    pub fn graph_url(&self, relative: &str) -> String {
        join(&self.inner.config.graph_base, relative)
    }

    /// `GET` a JSON resource.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(GraphRequest::get(path)).await?.json()
    }

    /// `GET` with extra headers (e.g. `ConsistencyLevel: eventual`).
    pub async fn get_with_headers<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<T> {
        let mut request = GraphRequest::get(path);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        self.send(request).await?.json()
    }

    /// `POST` a JSON body and decode the answer; `T = ()` accepts only an empty answer.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.send(GraphRequest::post(path).json(body)?)
            .await?
            .json()
    }

    /// `PATCH` a JSON body and decode the answer; `T = ()` accepts only an empty answer.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.send(GraphRequest::patch(path).json(body)?)
            .await?
            .json()
    }

    /// `POST` a JSON body where no answer body is expected (202/204); any body is ignored.
    pub async fn post_no_content<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<()> {
        self.send(GraphRequest::post(path).json(body)?)
            .await
            .map(drop)
    }

    /// `PATCH` a JSON body where no answer body is expected (204, or 200 with the entity).
    pub async fn patch_no_content<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<()> {
        self.send(GraphRequest::patch(path).json(body)?)
            .await
            .map(drop)
    }

    /// `PUT` raw bytes (e.g. a photo). The answer body is ignored.
    pub async fn put_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Result<()> {
        self.send(GraphRequest::put(path).bytes(content_type, bytes))
            .await
            .map(drop)
    }

    /// `DELETE`; expects 204.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.send(GraphRequest::delete(path)).await.map(drop)
    }

    /// Sends a request with authentication, correlation and retries. Non-2xx answers become
    /// [`Error::Graph`].
    pub async fn send(&self, request: GraphRequest) -> Result<GraphResponse> {
        let url = self.resolve(&request.target)?;
        let headers = request.header_map()?;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut budget = RetryBudget::new(&self.inner.retry);
        let mut refreshed_token = false;
        loop {
            budget.start_attempt();
            if budget.attempts() > 1 {
                self.inner.counters.retry();
            }
            let token = self.inner.tokens.access_token().await?;
            let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| Error::Auth(AuthError::MalformedResponse { status: 200 }))?;
            authorization.set_sensitive(true);
            let attempt = self
                .attempt(&request, &url, &headers, authorization, &client_request_id)
                .await;
            let (status, response_headers, body) = match attempt {
                Attempt::Answer {
                    status,
                    headers,
                    body,
                } => (status, headers, body),
                Attempt::Failed(source) => {
                    let retryable = request.idempotent || source.is_connect();
                    if retryable && let Some(delay) = budget.next_delay(None) {
                        tracing::debug!(%client_request_id, error = %source, ?delay, "Graph unreachable; retrying");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(Error::Transport {
                        host,
                        client_request_id: Some(client_request_id),
                        source,
                    });
                }
            };
            let request_id = header_text(&response_headers, "request-id");
            tracing::debug!(
                method = %request.method,
                path = url.path(),
                status,
                %client_request_id,
                request_id = request_id.as_deref().unwrap_or_default(),
                attempt = budget.attempts(),
                "Graph answered"
            );
            if (200..300).contains(&status) {
                return Ok(GraphResponse {
                    status,
                    headers: response_headers,
                    body,
                    request_id,
                    client_request_id,
                });
            }
            let retry_after = header_text(&response_headers, RETRY_AFTER.as_str())
                .and_then(|v| parse_retry_after(&v));
            if status == 429 {
                self.inner.counters.throttled();
            }
            if status == 401 && !refreshed_token {
                refreshed_token = true;
                self.inner.tokens.invalidate(&token).await;
                continue;
            }
            let retryable = status == 429 || status == 503 || (status == 504 && request.idempotent);
            if retryable && let Some(delay) = budget.next_delay(retry_after) {
                tracing::debug!(status, %client_request_id, ?delay, "Graph busy; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            let mut error = GraphError::parse(status, &body);
            error.request_id = request_id.or(error.request_id);
            error.client_request_id = Some(client_request_id);
            error.retry_after = retry_after;
            error.attempts = budget.attempts();
            return Err(error.into());
        }
    }

    async fn attempt(
        &self,
        request: &GraphRequest,
        url: &Url,
        headers: &HeaderMap,
        authorization: HeaderValue,
        client_request_id: &str,
    ) -> Attempt {
        self.inner.counters.request();
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .headers(headers.clone())
            .header(AUTHORIZATION, authorization)
            .header("client-request-id", client_request_id);
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, body.content_type.as_str())
                .body(body.bytes.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::Failed(error),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        match response.bytes().await {
            Ok(body) => Attempt::Answer {
                status,
                headers,
                body: body.to_vec(),
            },
            Err(error) => Attempt::Failed(error),
        }
    }

    fn resolve(&self, target: &Target) -> Result<Url> {
        match target {
            Target::Path(path) => {
                let joined = join(self.base_url(), path);
                Url::parse(&joined)
                    .map_err(|error| Error::InvalidRequest(format!("bad path {path:?}: {error}")))
            }
            Target::Url(url) => {
                let config = &self.inner.config;
                let trusted = [&config.graph_base, &config.beta_base]
                    .iter()
                    .any(|base| base.origin() == url.origin());
                if trusted {
                    Ok(url.clone())
                } else {
                    Err(Error::UntrustedUrl(url.to_string()))
                }
            }
        }
    }
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_base", &self.inner.config.graph_base.as_str())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl GraphClientBuilder {
    /// Replaces the retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Per-request timeout (default 60 s). Ignored when an HTTP client is supplied.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses a caller-built `reqwest::Client` (proxies, custom roots).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client; fails if the credential cannot be used (bad key or certificate).
    pub fn build(self) -> Result<GraphClient> {
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("keydesk/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|error| {
                    Error::InvalidRequest(format!("could not build the HTTP client: {error}"))
                })?,
        };
        let counters = Arc::new(Counters::default());
        let tokens = TokenSource::new(
            &self.config,
            http.clone(),
            self.retry.clone(),
            Arc::clone(&counters),
        )?;
        let inner = Inner {
            http,
            config: self.config,
            tokens,
            retry: self.retry,
            counters,
        };
        Ok(GraphClient {
            inner: Arc::new(inner),
            version: ApiVersion::V1,
        })
    }
}

fn join(base: &Url, relative: &str) -> String {
    format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        relative.trim_start_matches('/')
    )
}
