//! The harness every integration test uses: a fresh demo emulator served in-process on a
//! loopback ephemeral port, a token obtained over HTTP from its token endpoint (client
//! credentials, like a real client), and a small Graph client that returns status, headers and
//! the decoded JSON body of each response.

use std::ops::Deref;

use keydesk_graph_emu::seed::{self, apps};
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const KEYDESK: &str = apps::KEYDESK_APP_ID;
pub const READONLY: &str = apps::KEYDESK_READONLY_APP_ID;
pub const LIMITED: &str = apps::KEYDESK_LIMITED_APP_ID;
pub const SCOPE: &str = "https://graph.microsoft.com/.default";

/// `AlexW` → `AlexW@contoso.onmicrosoft.com`.
pub fn upn(local: &str) -> String {
    seed::upn(local)
}

/// A running emulator and a Graph client authenticated as the main keydesk app.
pub struct Emu {
    pub running: RunningEmulator,
    pub graph: Graph,
}

impl Deref for Emu {
    type Target = Graph;
    fn deref(&self) -> &Graph {
        &self.graph
    }
}

/// A Graph client bound to one API version and one bearer token.
#[derive(Clone)]
pub struct Graph {
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub version: &'static str,
    pub token: Option<String>,
}

/// One HTTP response, read completely.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    /// The JSON body; `Null` when empty, a JSON string when the body is not JSON.
    pub body: Value,
    pub text: String,
}

impl Response {
    pub async fn read(response: reqwest::Response) -> Response {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Response {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Response {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// `error.code` of a Graph error envelope ("" when absent).
    pub fn code(&self) -> &str {
        self.body
            .pointer("/error/code")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `error.message` of a Graph error envelope ("" when absent).
    pub fn message(&self) -> &str {
        self.body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Asserts a Graph error: status and `error.code`.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Response {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.code(),
            code,
            "unexpected error code; body: {}",
            self.text
        );
        self
    }

    /// The `value` array of a collection response.
    #[track_caller]
    pub fn values(&self) -> &Vec<Value> {
        self.body
            .get("value")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no value array in: {}", self.text))
    }

    /// A string property of the body.
    #[track_caller]
    pub fn str(&self, pointer: &str) -> &str {
        self.body
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no string at {pointer} in: {}", self.text))
    }
}

impl Emu {
    /// A fresh demo tenant with the default simulation settings.
    pub async fn start() -> Emu {
        Emu::start_with(SimulationConfig::default()).await
    }

    pub async fn start_with(simulation: SimulationConfig) -> Emu {
        let emulator = Emulator::demo(&SeedConfig::default(), simulation);
        let running = emulator
            .serve("127.0.0.1:0".parse().expect("loopback address"))
            .await
            .expect("serve the emulator");
        let http = reqwest::Client::builder().build().expect("HTTP client");
        let graph = Graph {
            http,
            base: running.base_url.clone(),
            version: "v1.0",
            token: None,
        };
        let mut emu = Emu { running, graph };
        let token = emu.token_for(KEYDESK).await;
        emu.graph.token = Some(token);
        emu
    }

    pub fn emulator(&self) -> &Emulator {
        &self.running.emulator
    }

    pub fn tenant_id(&self) -> String {
        self.emulator().tenant_id()
    }

    /// The token endpoint URL for this tenant.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base, self.tenant_id())
    }

    /// Posts a form to the token endpoint.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> Response {
        let response = self
            .http
            .post(self.token_url())
            .form(form)
            .send()
            .await
            .expect("token request");
        Response::read(response).await
    }

    /// Mints a client secret for `app_id` and exchanges it for a token over HTTP.
    pub async fn token_for(&self, app_id: &str) -> String {
        let secret = self
            .emulator()
            .add_client_secret(app_id, time::Duration::hours(1))
            .expect("mint a client secret");
        let response = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", app_id),
                ("client_secret", &secret),
                ("scope", SCOPE),
            ])
            .await
            .expect(200);
        response.str("/access_token").to_string()
    }

    /// A Graph client authenticated as another app.
    pub async fn as_app(&self, app_id: &str) -> Graph {
        let token = self.token_for(app_id).await;
        self.graph.with_token(Some(token))
    }

    /// Calls the control plane (`/_emulator/...`), which needs no token.
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .http
            .request(method, format!("{}/_emulator{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Response::read(request.send().await.expect("control request")).await
    }

    /// Moves the emulator's clock forward.
    pub async fn advance_clock(&self, seconds: i64) {
        self.control(
            Method::POST,
            "/clock",
            Some(json!({ "advanceSeconds": seconds })),
        )
        .await
        .expect(200);
    }

    /// A simulated interactive sign-in; returns the control plane's answer.
    pub async fn sign_in(&self, local: &str, password: &str, ip: &str) -> Response {
        self.control(
            Method::POST,
            "/signin",
            Some(json!({ "userPrincipalName": upn(local), "password": password, "ipAddress": ip })),
        )
        .await
        .expect(200)
    }

    /// The object id of a user, looked up through Graph.
    pub async fn user_id(&self, local: &str) -> String {
        self.get(&format!("/users/{}?$select=id", upn(local)))
            .await
            .expect(200)
            .str("/id")
            .to_string()
    }

    /// The object id of a group, looked up through Graph by display name.
    pub async fn group_id(&self, name: &str) -> String {
        let response = self
            .get_with(
                "/groups",
                &[(
                    "$filter",
                    &format!("displayName eq '{}'", name.replace('\'', "''")),
                )],
                &[],
            )
            .await
            .expect(200);
        let values = response.values();
        assert_eq!(values.len(), 1, "one group named {name}: {}", response.text);
        values[0]["id"].as_str().expect("group id").to_string()
    }
}

impl Graph {
    pub fn with_token(&self, token: Option<String>) -> Graph {
        Graph {
            token,
            ..self.clone()
        }
    }

    pub fn beta(&self) -> Graph {
        Graph {
            version: "beta",
            ..self.clone()
        }
    }

    /// `http://127.0.0.1:PORT/v1.0`.
    pub fn root(&self) -> String {
        format!("{}/{}", self.base, self.version)
    }

    /// A request to `path` (relative to the version, may carry a raw query), with the token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.root())
        };
        let request = self.http.request(method, url);
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        Response::read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(Method::GET, path)).await
    }

    /// GET with query pairs (form-encoded, so quotes, spaces and `$` are escaped) and headers.
    pub async fn get_with(
        &self,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self.request(Method::GET, path).query(query);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::PATCH, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Every item of a collection, following `@odata.nextLink` verbatim.
    pub async fn all(
        &self,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Vec<Value> {
        let mut page = self.get_with(path, query, headers).await.expect(200);
        let mut items = page.values().clone();
        let mut pages = 1;
        while let Some(next) = page
            .body
            .get("@odata.nextLink")
            .and_then(Value::as_str)
            .map(str::to_string)
        {
            let mut request = self.request(Method::GET, &next);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            page = self.send(request).await.expect(200);
            items.extend(page.values().iter().cloned());
            pages += 1;
            assert!(pages < 10_000, "paging does not end");
        }
        items
    }

    /// Sign-ins of one user, newest first (v1.0 interactive sign-ins).
    pub async fn sign_ins_of(&self, local: &str) -> Vec<Value> {
        let filter = format!("userPrincipalName eq '{}'", upn(local).to_lowercase());
        self.all("/auditLogs/signIns", &[("$filter", &filter)], &[])
            .await
    }
}

/// `status.errorCode` of a sign-in.
pub fn error_code(sign_in: &Value) -> i64 {
    sign_in
        .pointer("/status/errorCode")
        .and_then(Value::as_i64)
        .expect("status.errorCode")
}

/// A timestamp property as a `time` value.
#[track_caller]
pub fn timestamp(value: &Value, property: &str) -> time::OffsetDateTime {
    let text = value
        .get(property)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {property} in {value}"));
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{property} = {text} is not RFC 3339: {e}"))
}
