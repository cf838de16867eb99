//! A scriptable fake of the token endpoint and Graph, bound on `127.0.0.1:0`.
//!
//! Every request is recorded. Token requests (`…/oauth2/v2.0/token`) and Graph requests are
//! answered by separate closures, so each test scripts only what it needs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keydesk_graph::{Credential, GraphClient, GraphConfig, RetryPolicy, Secret};
use serde_json::{Value, json};

pub const TENANT: &str = "00000000-0000-4000-8000-00000000cafe";
pub const CLIENT_ID: &str = "11111111-2222-4333-8444-555555555555";
pub const CLIENT_SECRET: &str = "not-a-real-secret";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

type Handler = Box<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

struct FakeState {
    graph: Handler,
    token: Handler,
    graph_log: Mutex<Vec<Recorded>>,
    token_log: Mutex<Vec<Recorded>>,
}

/// A running fake.
pub struct Fake {
    pub base: String,
    state: Arc<FakeState>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A Graph error envelope.
    pub fn graph_error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({"error": {"code": code, "message": message, "innerError": {"date": "2024-05-01T10:00:00"}}}),
        )
    }

    /// A token answer with an unsigned JWT carrying `roles`.
    pub fn token(expires_in: u64, roles: &[&str]) -> Self {
        Self::json(
            200,
            json!({"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": fake_jwt(roles)}),
        )
    }
}

/// An unsigned JWT-shaped token with a fresh `jti`, so successive tokens differ.
pub fn fake_jwt(roles: &[&str]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
    let claims = json!({"aud": "https://graph.microsoft.com", "roles": roles, "idtyp": "app", "jti": uuid::Uuid::new_v4().to_string()});
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.c2lnbmF0dXJl")
}

impl Fake {
    /// Starts a fake with a Graph handler and the default token handler (one-hour tokens).
    pub async fn start(graph: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with_token(graph, |_, _| Reply::token(3599, &["User.Read.All"])).await
    }

    /// Starts a fake with both handlers scripted.
    pub async fn start_with_token(
        graph: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
        token: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(FakeState {
            graph: Box::new(graph),
            token: Box::new(token),
            graph_log: Mutex::new(Vec::new()),
            token_log: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            base: format!("http://{address}"),
            state,
        }
    }

    /// Configuration pointing at this fake with a client secret.
    pub fn config(&self) -> GraphConfig {
        self.config_with(Credential::Secret(Secret::new(CLIENT_SECRET)))
    }

    /// Configuration pointing at this fake with any credential.
    pub fn config_with(&self, credential: Credential) -> GraphConfig {
        GraphConfig::new(TENANT, CLIENT_ID, credential)
            .unwrap()
            .with_authority_host(self.base.parse().unwrap())
            .unwrap()
            .with_graph_base(format!("{}/v1.0", self.base).parse().unwrap())
            .unwrap()
    }

    /// A client with a fast retry policy.
    pub fn client(&self) -> GraphClient {
        GraphClient::builder(self.config())
            .retry_policy(fast_retry())
            .build()
            .unwrap()
    }

    pub fn token_url(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/token", self.base)
    }

    pub fn graph_requests(&self) -> Vec<Recorded> {
        self.state.graph_log.lock().unwrap().clone()
    }

    pub fn token_requests(&self) -> Vec<Recorded> {
        self.state.token_log.lock().unwrap().clone()
    }
}

/// Eight attempts, millisecond backoff.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        max_total_wait: std::time::Duration::from_secs(10),
        base_delay: std::time::Duration::from_millis(2),
        max_delay: std::time::Duration::from_millis(20),
    }
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

async fn handle(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method,
        path_and_query: uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default(),
        headers,
        body: body.to_vec(),
    };
    let is_token = uri.path().ends_with("/oauth2/v2.0/token");
    let (log, handler) = if is_token {
        (&state.token_log, &state.token)
    } else {
        (&state.graph_log, &state.graph)
    };
    let index = {
        let mut log = log.lock().unwrap();
        log.push(recorded.clone());
        log.len() - 1
    };
    let reply = handler(&recorded, index);
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}
