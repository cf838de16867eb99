//! keydesk's HTTP API over real HTTP: the emulator with the Contoso demo tenant and keydesk's
//! server, both in-process on `127.0.0.1:0`.

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};
use keydesk_guard::{Guard, GuardState};
use keydesk_policy::{PolicyEngine, PolicySettings};
use keydesk_server::{AppState, BearerValidator, Demo, DemoPerson, ServerConfig};
use keydesk_service::notify::{Format, Notifier};
use keydesk_service::{Service, ServiceConfig};
use parking_lot::Mutex;
use reqwest::StatusCode;
use serde_json::{Value, json};

const DOMAIN: &str = "contoso.onmicrosoft.com";

fn upn(nick: &str) -> String {
    format!("{nick}@{DOMAIN}")
}

struct World {
    url: String,
    /// The other instances' addresses (`Options::instances` - 1).
    replicas: Vec<String>,
    emulator: RunningEmulator,
    _emu: Emulator,
    webhook: Arc<Mutex<Vec<Value>>>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

struct Options {
    /// keydesk instances sharing one database (at least 1).
    instances: usize,
    rate: u32,
    bearer: Option<BearerValidator>,
    oidc: Option<keydesk_server::oidc::OidcConfig>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            instances: 1,
            rate: 1_000,
            bearer: None,
            oidc: None,
        }
    }
}

async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, url)
}

impl World {
    async fn start(options: Options) -> World {
        let emu = Emulator::demo(
            &SeedConfig {
                background_users: 20,
                ..SeedConfig::default()
            },
            SimulationConfig::default(),
        );
        let running = emu
            .serve("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("emulator starts");
        let secret = emu
            .add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))
            .expect("secret");
        let config = GraphConfig::new(
            emu.tenant_id(),
            KEYDESK_APP_ID,
            Credential::Secret(Secret::new(secret)),
        )
        .and_then(|c| c.with_authority_host(running.base_url.parse().expect("url")))
        .and_then(|c| c.with_graph_base(running.graph_v1().parse().expect("url")))
        .expect("config");
        let graph = GraphClient::new(config).expect("client");
        let dir = tempfile::tempdir().expect("tempdir");
        let location = dir.path().join("keydesk.sqlite").display().to_string();

        // The approval webhook: a local receiver that keeps what it was sent.
        let webhook = Arc::new(Mutex::new(Vec::<Value>::new()));
        let kept = webhook.clone();
        let receiver = Router::new().route(
            "/hook",
            post(move |axum::Json(body): axum::Json<Value>| {
                let kept = kept.clone();
                async move {
                    kept.lock().push(body);
                    "1"
                }
            }),
        );
        let (hook_listener, hook_url) = listen().await;
        tokio::spawn(async move { axum::serve(hook_listener, receiver).await });

        let replica = Replica {
            location: &location,
            graph: &graph,
            emulator_url: &running.base_url,
            hook_url: &hook_url,
            evidence_dir: dir.path().join("evidence"),
        };
        let url = replica
            .serve(options.rate, options.bearer, options.oidc)
            .await;
        // Further instances on the same database, as behind a load balancer.
        let mut replicas = Vec::new();
        for _ in 1..options.instances.max(1) {
            replicas.push(replica.serve(options.rate, None, None).await);
        }
        World {
            url,
            replicas,
            emulator: running,
            _emu: emu,
            webhook,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            _dir: dir,
        }
    }

    async fn outbox(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/_emulator/outbox", self.emulator.base_url))
            .send()
            .await
            .expect("outbox")
            .json()
            .await
            .expect("json");
        body["value"].as_array().cloned().unwrap_or_default()
    }

    /// Signs in as `nick` with the demo sign-in; returns the session.
    async fn sign_in(&self, nick: &str) -> Session {
        self.sign_in_at(&self.url, nick).await
    }

    /// Signs in as `nick` at the instance `url`.
    async fn sign_in_at(&self, url: &str, nick: &str) -> Session {
        let response = self
            .http
            .post(format!("{url}/auth/demo"))
            .json(&json!({"upn": upn(nick)}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie")
            .to_string();
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        let body: Value = response.json().await.expect("json");
        Session {
            cookie: cookie.split(';').next().unwrap_or("").to_string(),
            csrf: body["csrf"].as_str().expect("csrf").to_string(),
            http: self.http.clone(),
            url: url.to_string(),
        }
    }
}

/// What every keydesk instance of a [`World`] shares: the database, the tenant, the webhook.
struct Replica<'a> {
    location: &'a str,
    graph: &'a GraphClient,
    emulator_url: &'a str,
    hook_url: &'a str,
    evidence_dir: std::path::PathBuf,
}

impl Replica<'_> {
    /// Starts one keydesk server (its own guard, service and listener); returns its address.
    async fn serve(
        &self,
        rate: u32,
        bearer: Option<BearerValidator>,
        oidc: Option<keydesk_server::oidc::OidcConfig>,
    ) -> String {
        let guard = Guard::new(
            PolicyEngine::with_default_policy(PolicySettings::recommended()).expect("policy"),
            Arc::from(keydesk_audit::open(self.location).await.expect("audit")),
            GuardState::open(self.location).await.expect("state"),
        );
        let (listener, url) = listen().await;
        let mut settings = keydesk_ops::Settings::standard();
        settings.sms_gateway = Some(
            format!("{}/_emulator/sms", self.emulator_url)
                .parse()
                .expect("url"),
        );
        let service = Arc::new(Service::new(ServiceConfig {
            graph: self.graph.clone(),
            settings,
            ad: None,
            guard: Arc::new(guard),
            planner: Box::new(keydesk_planner::RulePlanner),
            evidence_dir: self.evidence_dir.clone(),
            notifier: Some(
                Notifier::new(
                    format!("{}/hook", self.hook_url).parse().expect("url"),
                    Format::Teams,
                    &url,
                )
                .expect("notifier"),
            ),
        }));
        let mut config = ServerConfig::new(&url);
        config.rate_limit_per_second = rate;
        config.bearer = bearer;
        config.oidc = oidc;
        config.demo = Some(Demo {
            people: ["MeganB", "LeeG", "PattiF", "NestorW", "AlexW", "JohannaL"]
                .iter()
                .map(|n| DemoPerson {
                    upn: upn(n),
                    name: n.to_string(),
                    title: String::new(),
                })
                .collect(),
            emulator_url: self.emulator_url.to_string(),
        });
        let body_limit = config.body_limit;
        let state = AppState::new(service, config);
        // `/mcp` with no configured principal: only authenticated callers are served.
        let mcp = keydesk_server::mcp::mcp_routes(state.clone(), Default::default());
        let app = keydesk_server::router(state, mcp, body_limit);
        tokio::spawn(
            async move { keydesk_server::serve(listener, app, std::future::pending()).await },
        );
        url
    }
}

struct Session {
    cookie: String,
    csrf: String,
    http: reqwest::Client,
    url: String,
}

impl Session {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("request");
        (response.status(), response.text().await.unwrap_or_default())
    }
}

fn eight_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 8)
        .map(str::to_string)
}

#[tokio::test]
async fn a_privileged_reset_waits_for_a_second_approver_then_reveals_once() {
    let world = World::start(Options::default()).await;
    let patti = world.sign_in("PattiF").await;
    let target = upn("NestorW").to_lowercase();

    // The plan, with the policy's status: not allowed yet, not denied.
    let (status, preview) = patti
        .post(
            "/api/v1/requests",
            json!({"text": "reset the password for NestorW"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["steps"][0]["step"]["action"], "password_reset");
    assert_eq!(preview["steps"][0]["step"]["target"], target.as_str());
    let policy = preview["steps"][0]["policy"].as_str().unwrap_or("");
    assert!(
        policy == "needs_verification" || policy == "needs_approval",
        "{preview}"
    );
    let step = preview["steps"][0]["step"].clone();

    // Verify NestorW: the code goes out of band (the emulator's outbox), PattiF reads it back.
    let (status, sent) = patti
        .post("/api/v1/verifications", json!({"user": "NestorW"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    // What to do next is said for this surface, not as a command line.
    assert!(!sent.to_string().contains("keydesk verify"), "{sent}");
    let message = world
        .outbox()
        .await
        .last()
        .cloned()
        .expect("a code was sent");
    let code = eight_digits(message["body"].as_str().unwrap_or("")).expect("an 8-digit code");
    let (status, wrong) = patti
        .post(
            "/api/v1/verifications/confirm",
            json!({"user": "NestorW", "code": "00000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
    let (status, confirmed) = patti
        .post(
            "/api/v1/verifications/confirm",
            json!({"user": "NestorW", "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");

    // Executing now files the approval request (202 with its id) and announces it.
    let (status, pending) = patti
        .post(
            "/api/v1/steps/execute",
            json!({"step": step, "delivery": "reveal"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["status"], "pending_approval");
    let approval = pending["approval"]["id"].as_str().expect("id").to_string();
    let hooks = world.webhook.lock().clone();
    assert_eq!(hooks.len(), 1, "one notification: {hooks:?}");
    assert_eq!(hooks[0]["@type"], "MessageCard");
    assert!(hooks[0].to_string().contains(&approval));

    // Four eyes: not the requester.
    let (status, own) = patti
        .post(&format!("/api/v1/approvals/{approval}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{own}");
    let megan = world.sign_in("MeganB").await;
    let (status, inbox) = megan.get("/api/v1/approvals").await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains(&approval));
    let (status, approved) = megan
        .post(
            &format!("/api/v1/approvals/{approval}/approve"),
            json!({"reason": "verified by phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");

    // The same step again: executed, the password shown once, only to PattiF.
    let (status, done) = patti
        .post(
            "/api/v1/steps/execute",
            json!({"step": step, "delivery": "reveal"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done", "{done}");
    let api = done["reveal"]["api"].as_str().expect("a reveal link");
    let (status, _) = megan.post(api, json!({})).await;
    assert_eq!(status, StatusCode::GONE, "not MeganB's secret");
    let (status, revealed) = patti.post(api, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let password = revealed["secret"].as_str().expect("secret").to_string();
    assert!(password.len() >= 12);
    let (status, again) = patti.post(api, json!({})).await;
    assert_eq!(status, StatusCode::GONE, "{again}");

    // The password is nowhere else: not in the answer, the audit log, or the notification.
    assert!(!done.to_string().contains(&password));
    let (status, export) = megan.get("/api/v1/audit/export?format=jsonl").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!export.contains(&password));
    assert!(export.contains("password_reset"));
    assert!(
        !world
            .webhook
            .lock()
            .iter()
            .any(|h| h.to_string().contains(&password))
    );
    let (status, verify) = megan.get("/api/v1/audit/verify").await;
    assert_eq!(status, StatusCode::OK);
    let verify: Value = serde_json::from_str(&verify).expect("json");
    assert_eq!(verify["ok"], true, "{verify}");

    // NestorW's history shows the reset, for an operator; not for an employee.
    let (status, history) = megan.get("/api/v1/users/NestorW/history").await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains("password_reset"), "{history}");
    // The timeline also holds the tenant's own records: JohannaL's sign-ins of the last week.
    let (status, history) = megan.get("/api/v1/users/JohannaL/history?days=7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains(r#""source":"sign-in""#), "{history}");
    let alex = world.sign_in("AlexW").await;
    let (status, _) = alex.get("/api/v1/users/NestorW/history").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor whether someone exists: an unknown name is refused the same way.
    let (status, _) = alex.get("/api/v1/users/nobody-at-all/history").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, own) = alex.get("/api/v1/users/AlexW/history").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let (status, _) = alex.get("/api/v1/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hostile_requests_get_clear_errors_and_change_nothing() {
    let world = World::start(Options::default()).await;
    let lee = world.sign_in("LeeG").await;
    let http = &world.http;
    let url = &world.url;

    // No session: 401. A session without the CSRF token: 403, and nothing ran.
    let response = http
        .post(format!("{url}/api/v1/requests"))
        .json(&json!({"text": "unlock AlexW"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "unauthenticated");
    let response = http
        .post(format!("{url}/api/v1/steps/execute"))
        .header("cookie", &lee.cookie)
        .json(&json!({"step": {"action": "revoke_sessions", "target": "AlexW"}}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A forged cookie is no session.
    let forged = format!("{}x", lee.cookie);
    let response = http
        .get(format!("{url}/api/v1/me"))
        .header("cookie", forged)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Malformed, mistyped, unknown and oversized bodies: JSON errors, never a 500.
    for (body, content_type, expected) in [
        (
            "{not json".to_string(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"text": 5}"#.to_string(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"text": "hi", "extra": 1}"#.to_string(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "text=hi".to_string(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            format!(r#"{{"text": "{}"}}"#, "a".repeat(200_000)),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let response = http
            .post(format!("{url}/api/v1/requests"))
            .header("cookie", &lee.cookie)
            .header("x-csrf-token", &lee.csrf)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), expected);
        let text = response.text().await.unwrap_or_default();
        let error: Value = serde_json::from_str(&text).expect("a JSON error body");
        assert!(error["error"]["message"].is_string(), "{text}");
    }

    // Quotes in names, unknown users, unknown actions, unknown parameters.
    let (status, body) = lee
        .post(
            "/api/v1/steps/execute",
            json!({"step": {"action": "diagnose_signin", "target": "o'brien' or 1 eq 1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = lee
        .post(
            "/api/v1/steps/execute",
            json!({"step": {"action": "format_c_drive", "target": "AlexW"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = lee
        .post(
            "/api/v1/steps/execute",
            json!({"step": {"action": "unlock_account", "target": "AlexW", "params": {"sudo": true}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // An ambiguous name is a question, not a guess.
    let (status, body) = lee
        .post(
            "/api/v1/steps/execute",
            json!({"step": {"action": "diagnose_signin", "target": "John Smith"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let hint = body["error"]["hint"].as_str().unwrap_or("");
    assert!(
        hint.contains(&upn("john.smith")) && hint.contains(&upn("jsmith")),
        "{body}"
    );

    // The demo sign-in offers only the cast, and refuses another site's form.
    let response = http
        .post(format!("{url}/auth/demo"))
        .json(&json!({"upn": "attacker@evil.example"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = http
        .post(format!("{url}/auth/demo"))
        .header("origin", "https://evil.example")
        .form(&[("upn", upn("MeganB"))])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Security headers on every answer; unknown routes are JSON 404s.
    let response = http
        .get(format!("{url}/nope"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(response.headers().contains_key("content-security-policy"));

    // A policy denial is 403 with the reasons: LeeG (Helpdesk) resetting a Global Administrator.
    let (status, body) = lee
        .post(
            "/api/v1/steps/execute",
            json!({"step": {"action": "password_reset", "target": "NestorW"}, "delivery": "MeganB"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["status"], "denied");
    assert!(!body["reasons"].as_array().expect("reasons").is_empty());

    // The OpenAPI document describes the API; health and metrics answer.
    let doc: Value = http
        .get(format!("{url}/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    for path in [
        "/api/v1/requests",
        "/api/v1/steps/execute",
        "/api/v1/approvals/{id}/approve",
        "/api/v1/verifications",
        "/api/v1/investigations",
        "/api/v1/audit/export",
        "/api/v1/users/{user}/history",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("keydesk_http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn a_client_past_its_rate_is_told_to_slow_down() {
    let world = World::start(Options {
        rate: 2,
        ..Options::default()
    })
    .await;
    let mut limited = 0;
    for _ in 0..20 {
        let response = world
            .http
            .get(format!("{}/api/v1/me", world.url))
            .send()
            .await
            .expect("request");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            limited += 1;
        }
    }
    assert!(limited >= 10, "only {limited} of 20 were limited");
    // Probes are not limited.
    let health = world
        .http
        .get(format!("{}/healthz", world.url))
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), StatusCode::OK);
}

/// An RSA key, its JWKS, and tokens signed with it.
struct Issuer {
    key: jsonwebtoken::EncodingKey,
    jwks: Value,
}

impl Issuer {
    fn new() -> Issuer {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes())
            .expect("encoding key");
        let mut jwk =
            jsonwebtoken::jwk::Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::RS256)
                .expect("jwk");
        jwk.common.key_id = Some("k1".into());
        Issuer {
            key,
            jwks: json!({"keys": [jwk]}),
        }
    }

    fn token(&self, claims: Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("token")
    }
}

#[tokio::test]
async fn entra_bearer_tokens_are_checked_for_signature_issuer_audience_and_expiry() {
    let issuer = Issuer::new();
    let jwks = issuer.jwks.clone();
    let keys = Router::new().route(
        "/tenant/discovery/v2.0/keys",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let (listener, authority) = listen().await;
    tokio::spawn(async move { axum::serve(listener, keys).await });
    let world = World::start(Options {
        bearer: Some(BearerValidator::entra(
            &authority,
            "tenant",
            "api://keydesk",
        )),
        ..Options::default()
    })
    .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = json!({
        "iss": format!("{authority}/tenant/v2.0"), "aud": "api://keydesk",
        "exp": now + 600, "iat": now, "upn": upn("LeeG"),
    });
    let me = |token: String| {
        let http = world.http.clone();
        let url = world.url.clone();
        async move {
            let response = http
                .get(format!("{url}/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = me(issuer.token(good.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["kind"], "operator");
    assert!(
        body["directoryRoles"]
            .to_string()
            .contains("Helpdesk Administrator")
    );

    let mut wrong_audience = good.clone();
    wrong_audience["aud"] = json!("api://other");
    let mut wrong_issuer = good.clone();
    wrong_issuer["iss"] = json!("https://login.example/evil/v2.0");
    let mut expired = good.clone();
    expired["exp"] = json!(now - 3600);
    for claims in [wrong_audience, wrong_issuer, expired] {
        let (status, body) = me(issuer.token(claims)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // Another key with the same key id: the signature fails.
    let (status, _) = me(Issuer::new().token(good.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An app-only token (no person): refused.
    let mut app_only = good.clone();
    app_only.as_object_mut().expect("object").remove("upn");
    let (status, body) = me(issuer.token(app_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Bearer callers need no CSRF token: a write with the token alone goes through the guard.
    let response = world
        .http
        .post(format!("{}/api/v1/steps/execute", world.url))
        .bearer_auth(issuer.token(good.clone()))
        .json(&json!({"step": {"action": "diagnose_signin", "target": "AlexW"}}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);

    // MCP over streamable HTTP: no token, no service (JSON 401); with a token the calls act as
    // the token's person and are audited as theirs, from the origin "mcp".
    let anonymous = world
        .http
        .post(format!("{}/mcp", world.url))
        .header("accept", "application/json, text/event-stream")
        .json(&mcp_initialize())
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let error: Value = anonymous.json().await.expect("a JSON error body");
    assert_eq!(error["error"]["code"], "unauthenticated", "{error}");

    let token = issuer.token(good);
    let mcp = McpClient::connect(&world, &token).await;
    let result = mcp
        .call(
            "update_user_profile",
            json!({"user": upn("AlexW"), "params": {"officeLocation": "Bearer-MCP 7"}}),
        )
        .await;
    assert_eq!(result["structuredContent"]["status"], "done", "{result}");
    let (status, body) = {
        let response = world
            .http
            .get(format!("{}/api/v1/audit?limit=1000", world.url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("audit");
        (response.status(), response.text().await.unwrap_or_default())
    };
    assert_eq!(status, StatusCode::OK, "{body}");
    let records: Value = serde_json::from_str(&body).expect("json");
    let update = records["records"]
        .as_array()
        .expect("records")
        .iter()
        .rev()
        .find(|r| r["kind"] == "intent" && r["action"] == "update_user_profile")
        .cloned()
        .unwrap_or(Value::Null);
    let update = update.to_string().to_lowercase();
    assert!(update.contains(&upn("LeeG").to_lowercase()), "{update}");
    assert!(update.contains(r#""origin":"mcp""#), "{update}");
}

fn mcp_initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "keydesk-api-test", "version": "0"},
        },
    })
}

/// A minimal MCP client over streamable HTTP (JSON-RPC posts, answers as JSON or SSE events).
struct McpClient {
    http: reqwest::Client,
    url: String,
    token: String,
    session: Option<String>,
}

impl McpClient {
    async fn connect(world: &World, token: &str) -> McpClient {
        let mut client = McpClient {
            http: world.http.clone(),
            url: format!("{}/mcp", world.url),
            token: token.to_string(),
            session: None,
        };
        let (session, answer) = client.post(mcp_initialize()).await;
        assert!(answer["result"]["serverInfo"].is_object(), "{answer}");
        client.session = session;
        client
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        client
    }

    async fn call(&self, tool: &str, arguments: Value) -> Value {
        let (_, answer) = self
            .post(json!({
                "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": tool, "arguments": arguments},
            }))
            .await;
        answer["result"].clone()
    }

    async fn post(&self, message: Value) -> (Option<String>, Value) {
        let mut request = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .json(&message);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        let response = request.send().await.expect("mcp request");
        assert!(response.status().is_success(), "{}", response.status());
        let session = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.text().await.unwrap_or_default();
        // An SSE stream: the JSON-RPC answer is the data of an event.
        let answer = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|value| value.get("id").is_some())
            .or_else(|| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        (session, answer)
    }
}

/// What the fake identity provider's token endpoint expects and answers.
#[derive(Default)]
struct Provider {
    challenge: String,
    nonce: String,
    forms: Vec<HashMap<String, String>>,
}

use std::collections::HashMap;

#[tokio::test]
async fn console_sign_in_with_entra_id_uses_the_code_flow_with_pkce() {
    let issuer = Arc::new(Issuer::new());
    let provider = Arc::new(Mutex::new(Provider::default()));
    let (listener, authority) = listen().await;
    let jwks = issuer.jwks.clone();
    let (issuer_for_token, provider_for_token, authority_for_token) =
        (issuer.clone(), provider.clone(), authority.clone());
    let idp = Router::new()
        .route(
            "/tenant/discovery/v2.0/keys",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        )
        .route(
            "/tenant/oauth2/v2.0/token",
            post(
                move |axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>| {
                    let (issuer, provider, authority) = (
                        issuer_for_token.clone(),
                        provider_for_token.clone(),
                        authority_for_token.clone(),
                    );
                    async move {
                        let mut provider = provider.lock();
                        provider.forms.push(form.clone());
                        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                        let good = form.get("code").map(String::as_str) == Some("the-code")
                            && form.get("client_secret").map(String::as_str) == Some("s3cret")
                            && keydesk_server::oidc::challenge(&verifier) == provider.challenge;
                        if !good {
                            return (
                                StatusCode::BAD_REQUEST,
                                axum::Json(json!({"error": "invalid_grant"})),
                            );
                        }
                        let now = time::OffsetDateTime::now_utc().unix_timestamp();
                        let id_token = issuer.token(json!({
                            "iss": format!("{authority}/tenant/v2.0"), "aud": "keydesk-client",
                            "exp": now + 600, "iat": now, "nonce": provider.nonce,
                            "preferred_username": upn("LeeG"),
                        }));
                        (StatusCode::OK, axum::Json(json!({"id_token": id_token})))
                    }
                },
            ),
        );
    tokio::spawn(async move { axum::serve(listener, idp).await });
    let world = World::start(Options {
        oidc: Some(keydesk_server::oidc::OidcConfig::new(
            &authority,
            "tenant",
            "keydesk-client",
            keydesk_service::Secret::new("s3cret"),
            "http://127.0.0.1/auth/callback",
        )),
        ..Options::default()
    })
    .await;

    // To the tenant's authorize endpoint, with state, nonce and an S256 challenge.
    let login = |world: &World| {
        let (http, url) = (world.http.clone(), world.url.clone());
        async move {
            let response = http
                .get(format!("{url}/auth/login"))
                .send()
                .await
                .expect("login");
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let location = response.headers()["location"]
                .to_str()
                .expect("location")
                .to_string();
            let flow = response.headers()["set-cookie"]
                .to_str()
                .expect("cookie")
                .split(';')
                .next()
                .unwrap_or("")
                .to_string();
            let location = url::Url::parse(&location).expect("url");
            let params: HashMap<String, String> = location.query_pairs().into_owned().collect();
            (location, params, flow)
        }
    };
    let (location, params, flow) = login(&world).await;
    assert!(
        location
            .as_str()
            .starts_with(&format!("{authority}/tenant/oauth2/v2.0/authorize"))
    );
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["client_id"], "keydesk-client");
    assert_eq!(params["response_type"], "code");
    {
        let mut provider = provider.lock();
        provider.challenge = params["code_challenge"].clone();
        provider.nonce = params["nonce"].clone();
    }
    let callback = |query: String, cookie: Option<String>| {
        let (http, url) = (world.http.clone(), world.url.clone());
        async move {
            let mut request = http.get(format!("{url}/auth/callback?{query}"));
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            request.send().await.expect("callback")
        }
    };
    // A forged state, or no flow cookie: refused, no session.
    let response = callback("code=the-code&state=forged".into(), Some(flow.clone())).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let state = &params["state"];
    let response = callback(format!("code=the-code&state={state}"), None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The real callback: a session for the person the ID token names.
    let response = callback(format!("code=the-code&state={state}"), Some(flow.clone())).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("keydesk_session=v1."))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    let me: Value = world
        .http
        .get(format!("{}/api/v1/me", world.url))
        .header("cookie", &session)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(
        me["upn"].as_str().map(str::to_lowercase),
        Some(upn("LeeG").to_lowercase())
    );
    // The verifier went to the token endpoint (not the challenge), with the client secret.
    let forms = provider.lock().forms.clone();
    let last = forms.last().expect("a token request");
    assert_eq!(last["grant_type"], "authorization_code");
    assert_ne!(last["code_verifier"], params["code_challenge"]);

    // A token whose nonce is not this flow's: refused.
    let (_, params, flow) = login(&world).await;
    {
        let mut provider = provider.lock();
        provider.challenge = params["code_challenge"].clone();
        provider.nonce = "another-flow".into();
    }
    let response = callback(
        format!("code=the-code&state={}", params["state"]),
        Some(flow),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_queued_job_is_listed_and_cancelled_and_the_cancellation_is_audited() {
    // No worker runs in this server: a queued job stays queued until it is cancelled.
    let world = World::start(Options::default()).await;
    let megan = world.sign_in("MeganB").await;
    let lee = world.sign_in("LeeG").await;
    let alex = world.sign_in("AlexW").await;
    let request = json!({"kind": "bulk_unlock", "users": [upn("AlexW"), upn("JohannaL"), format!(" {} ", upn("AlexW").to_uppercase())]});

    let (mut status, mut body) = lee.post("/api/v1/jobs", request.clone()).await;
    if status == StatusCode::ACCEPTED {
        // The list waits for a second approver: MeganB approves, the same request queues it.
        let approval = body["approval"]["id"].as_str().expect("an id").to_string();
        let (approved, answer) = megan
            .post(&format!("/api/v1/approvals/{approval}/approve"), json!({}))
            .await;
        assert_eq!(approved, StatusCode::OK, "{answer}");
        (status, body) = lee.post("/api/v1/jobs", request.clone()).await;
    }
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let job = body["job"]["id"].as_str().expect("a job id").to_string();
    // Repeats are dropped (spaces and case aside).
    assert_eq!(body["job"]["total"], 2, "{body}");

    let (status, listed) = megan.get("/api/v1/jobs").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed: Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed["jobs"][0]["id"], job.as_str(), "{listed}");
    assert_eq!(listed["jobs"][0]["status"], "queued", "{listed}");
    let (status, _) = alex.get("/api/v1/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The console's jobs page shows it, with its Cancel button.
    let (status, page) = megan.get("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!(r#"data-job-id="{job}""#)), "{page}");
    assert!(
        page.contains(&format!("/console/jobs/{job}/cancel")),
        "{page}"
    );
    let (status, _) = alex
        .post(&format!("/api/v1/jobs/{job}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = megan.post("/api/v1/jobs/job-nope/cancel", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = megan
        .post(&format!("/api/v1/jobs/{job}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cancelled"], 2, "{body}");
    assert_eq!(body["job"]["status"], "finished", "{body}");
    assert_eq!(body["job"]["counts"]["cancelled"], 2, "{body}");
    // Again: nothing left to cancel, and no second record.
    let (status, body) = megan
        .post(&format!("/api/v1/jobs/{job}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cancelled"], 0, "{body}");
    let (status, page) = megan.get("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains(&format!("/console/jobs/{job}/cancel")),
        "{page}"
    );
    let (status, detail) = lee.get(&format!("/api/v1/jobs/{job}")).await;
    assert_eq!(status, StatusCode::OK);
    let detail: Value = serde_json::from_str(&detail).expect("json");
    for item in detail["items"].as_array().expect("items") {
        assert_eq!(item["status"], "cancelled", "{item}");
        assert_eq!(
            item["result"],
            format!("cancelled by {}", upn("MeganB").to_lowercase())
        );
    }

    // The audit log holds the cancellation, by MeganB, and the chain is intact.
    let (status, records) = megan.get("/api/v1/audit?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    let records: Value = serde_json::from_str(&records).expect("json");
    let cancelled: Vec<&Value> = records["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r.to_string().contains("job_cancelled"))
        .collect();
    assert_eq!(cancelled.len(), 1, "{records}");
    assert!(cancelled[0].to_string().contains(&job), "{}", cancelled[0]);
    let (status, verify) = megan.get("/api/v1/audit/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert!(verify.contains(r#""ok":true"#), "{verify}");
}

#[tokio::test]
async fn an_investigation_made_on_one_instance_is_read_on_another() {
    let world = World::start(Options {
        instances: 2,
        ..Options::default()
    })
    .await;
    let on_a = world.sign_in("MeganB").await;
    let on_b = world.sign_in_at(&world.replicas[0], "LeeG").await;
    let (status, started) = on_a
        .post(
            "/api/v1/investigations",
            json!({"user": "JohannaL", "days": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let id = started["id"].as_str().expect("an id").to_string();

    let (status, listed) = on_b.get("/api/v1/investigations").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(listed.contains(&id), "{listed}");
    let (status, shown) = on_b.get(&format!("/api/v1/investigations/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let shown: Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(shown["verdict"], started["verdict"], "{shown}");
    assert_eq!(shown["user"], started["user"], "{shown}");
    assert_eq!(shown["user"], upn("JohannaL").to_lowercase(), "{shown}");
    let (status, markdown) = on_b
        .get(&format!("/api/v1/investigations/{id}/report?format=md"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(markdown.contains(&id), "{markdown}");
    let (status, page) = on_b.get(&format!("/investigations/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Incident report"), "{page}");
    let (status, _) = on_b.get("/api/v1/investigations/inv-nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
