//! keydesk's HTTP server: the REST API (`/api/v1`, described by `/openapi.json`), the web console
//! (server-rendered pages, [`console`]), sign-in (the demo sign-in on the demo tenant, Entra ID
//! for the console, Entra ID bearer tokens for API callers), the one-time reveal, health and
//! Prometheus metrics, and the MCP server ([`mcp`]: `/mcp` over streamable HTTP, and the handler
//! `keydesk mcp` serves on stdio).
//!
//! Every action goes through [`keydesk_service::Service`], which takes the same guarded path as
//! the command line: the server adds who is calling and how the answer is shown, nothing else.
//! I/O: the listener (in [`serve`]) and the approval webhook (in the service).

pub mod api;
pub mod auth;
pub mod console;
pub mod error;
pub mod jobs_api;
mod limits;
pub mod mcp;
pub mod oidc;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use keydesk_service::Service;
use keydesk_service::reveal::Reveals;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::set_header::SetResponseHeaderLayer;

pub use auth::{BearerValidator, SessionKey};

/// A person the demo sign-in offers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoPerson {
    pub upn: String,
    pub name: String,
    pub title: String,
}

/// The demo tenant's extras: who may be signed in as, and where the emulator's outbox is.
#[derive(Debug, Clone)]
pub struct Demo {
    pub people: Vec<DemoPerson>,
    /// The emulator's base URL (`/_emulator/outbox` shows what keydesk sent).
    pub emulator_url: String,
}

/// How the server is set up.
pub struct ServerConfig {
    /// Signs session cookies; instances behind one address share it.
    pub session_key: SessionKey,
    /// Validates Entra ID bearer tokens, when API callers are accepted.
    pub bearer: Option<BearerValidator>,
    /// Entra ID sign-in for the console (OpenID Connect, code + PKCE).
    pub oidc: Option<oidc::OidcConfig>,
    /// The demo tenant, when running on it (enables the demo sign-in).
    pub demo: Option<Demo>,
    /// Requests per second per client address (a burst of three times as many is allowed).
    pub rate_limit_per_second: u32,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// The address people reach the server at (for links in notifications and reveals).
    pub public_url: String,
}

impl ServerConfig {
    /// Defaults: a random session key, no bearer tokens, 20 requests/s, 64 KiB bodies.
    pub fn new(public_url: &str) -> ServerConfig {
        ServerConfig {
            session_key: SessionKey::random(),
            bearer: None,
            oidc: None,
            demo: None,
            rate_limit_per_second: 20,
            body_limit: 64 * 1024,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }
}

/// What every handler sees.
pub struct Inner {
    pub service: Arc<Service>,
    pub sessions: SessionKey,
    pub bearer: Option<BearerValidator>,
    pub oidc: Option<oidc::OidcConfig>,
    pub reveals: Reveals,
    pub demo: Option<Demo>,
    pub public_url: String,
    pub metrics: PrometheusHandle,
    limiter: limits::Limiter,
}

/// The shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(service: Arc<Service>, config: ServerConfig) -> AppState {
        AppState(Arc::new(Inner {
            service,
            sessions: config.session_key,
            bearer: config.bearer,
            oidc: config.oidc,
            reveals: Reveals::new(),
            demo: config.demo,
            public_url: config.public_url,
            metrics: metrics_handle(),
            limiter: limits::Limiter::new(config.rate_limit_per_second),
        }))
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }
}

/// One Prometheus recorder per process (the `metrics` facade is global).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| {
                    metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder()
                });
            let handle = recorder.handle();
            // Another recorder installed first (a test harness): keep ours for rendering.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole application: API, console, sign-in, reveal, health, metrics, and the extra routes
/// the caller mounts (MCP) under the same limits and headers.
pub fn router(state: AppState, extra: Router<AppState>, body_limit: usize) -> Router {
    // Requests answer within the timeout; the extra routes (MCP's streamable HTTP) hold
    // long-lived event streams open and are not cut by it.
    let timed = api::routes().merge(console::routes()).layer(
        tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(120),
        ),
    );
    let limited = timed
        .merge(extra)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ));
    Router::new()
        .merge(limited)
        .merge(api::open_routes())
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn(limits::record))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::from_fn(error::json_envelope))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
