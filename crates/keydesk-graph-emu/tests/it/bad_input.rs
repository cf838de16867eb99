//! Bad input gets Graph's answers, never a crash: malformed JSON, wrong content types, oversized
//! bodies, unknown objects, segments and methods, each with Graph's error envelope
//! (`error.code`, `error.message`, `innerError.request-id` and `date`) and the correlation
//! headers (`request-id`, the echoed `client-request-id`). Property tests throw random `$filter`
//! strings and random JSON bodies (user PATCH, member `$ref`, `$batch`) at the emulator and
//! require a Graph envelope or a success every time, never a 5xx or a dropped connection.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Emu, Response, upn};

/// Checks a Graph error envelope and the correlation headers.
#[track_caller]
fn assert_envelope(response: &Response, client_request_id: Option<&str>) {
    let error = response
        .body
        .get("error")
        .unwrap_or_else(|| panic!("no error envelope: {}", response.text));
    assert!(
        error["code"].as_str().is_some_and(|c| !c.is_empty()),
        "error.code: {}",
        response.text
    );
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error.message: {}",
        response.text
    );
    let inner = &error["innerError"];
    let request_id = inner["request-id"]
        .as_str()
        .unwrap_or_else(|| panic!("innerError.request-id: {}", response.text));
    let date = inner["date"]
        .as_str()
        .unwrap_or_else(|| panic!("innerError.date: {}", response.text));
    // Graph writes this date in UTC without an offset: yyyy-MM-ddTHH:mm:ss.
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    assert!(
        time::PrimitiveDateTime::parse(date, &format).is_ok(),
        "innerError.date = {date}"
    );
    assert_eq!(
        response.header("request-id"),
        Some(request_id),
        "request-id header matches the envelope"
    );
    assert!(
        response
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        response.header("content-type")
    );
    if let Some(sent) = client_request_id {
        assert_eq!(
            response.header("client-request-id"),
            Some(sent),
            "client-request-id is echoed"
        );
        assert_eq!(inner["client-request-id"], sent);
    }
}

async fn send(emu: &Emu, request: reqwest::RequestBuilder, client_request_id: &str) -> Response {
    emu.send(request.header("client-request-id", client_request_id))
        .await
}

#[tokio::test]
async fn malformed_json_is_a_400_envelope() {
    let emu = Emu::start().await;
    let path = format!("/users/{}", upn("LidiaH"));
    for body in [
        "{\"jobTitle\":",
        "not json",
        "{\"jobTitle\": \"x\",}",
        "[1, 2",
    ] {
        let request = emu
            .request(Method::PATCH, &path)
            .header("Content-Type", "application/json")
            .body(body);
        let response = send(&emu, request, "7c1b3d4e-0000-4000-8000-000000000001").await;
        assert_eq!(response.status, 400, "{body}: {}", response.text);
        assert_envelope(&response, Some("7c1b3d4e-0000-4000-8000-000000000001"));
    }
    let empty = emu
        .request(Method::PATCH, &path)
        .header("Content-Type", "application/json");
    let response = send(&emu, empty, "7c1b3d4e-0000-4000-8000-000000000002")
        .await
        .expect(400);
    assert_envelope(&response, Some("7c1b3d4e-0000-4000-8000-000000000002"));
    // A JSON value that is not an object.
    let response = emu
        .patch_json(&path, &json!(["jobTitle"]))
        .await
        .expect(400);
    assert_envelope(&response, None);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let emu = Emu::start().await;
    let request = emu
        .request(Method::PATCH, &format!("/users/{}", upn("LidiaH")))
        .header("Content-Type", "text/plain")
        .body("{\"jobTitle\": \"x\"}");
    let response = send(&emu, request, "7c1b3d4e-0000-4000-8000-000000000003")
        .await
        .expect(415);
    assert_envelope(&response, Some("7c1b3d4e-0000-4000-8000-000000000003"));
    let after = emu
        .get(&format!("/users/{}", upn("LidiaH")))
        .await
        .expect(200);
    assert_ne!(after.body["jobTitle"], "x");
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413() {
    let emu = Emu::start().await;
    let big = format!("{{\"jobTitle\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let request = emu
        .request(Method::PATCH, &format!("/users/{}", upn("LidiaH")))
        .header("Content-Type", "application/json")
        .body(big);
    let response = send(&emu, request, "7c1b3d4e-0000-4000-8000-000000000004")
        .await
        .expect(413);
    assert_envelope(&response, Some("7c1b3d4e-0000-4000-8000-000000000004"));
    // Just under Graph's 4 MB cap is read (and refused for what it says, not for its size).
    let under = format!("{{\"jobTitle\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let request = emu
        .request(Method::PATCH, &format!("/users/{}", upn("LidiaH")))
        .header("Content-Type", "application/json")
        .body(under);
    let response = emu.send(request).await;
    assert_ne!(
        response.status,
        413,
        "{}",
        &response.text[..response.text.len().min(300)]
    );
    assert!(response.status < 500);
}

#[tokio::test]
async fn unknown_objects_segments_and_methods() {
    let emu = Emu::start().await;
    let nobody = "00000000-0000-0000-0000-000000000000";
    let cases: &[(Method, String, u16, &str)] = &[
        (
            Method::GET,
            format!("/users/{nobody}"),
            404,
            "Request_ResourceNotFound",
        ),
        (
            Method::GET,
            "/users/nobody@contoso.onmicrosoft.com".into(),
            404,
            "Request_ResourceNotFound",
        ),
        (
            Method::GET,
            format!("/groups/{nobody}"),
            404,
            "Request_ResourceNotFound",
        ),
        (
            Method::GET,
            format!("/groups/{nobody}/members"),
            404,
            "Request_ResourceNotFound",
        ),
        (
            Method::GET,
            format!("/users/{nobody}/manager"),
            404,
            "Request_ResourceNotFound",
        ),
        (
            Method::DELETE,
            format!("/users/{nobody}"),
            404,
            "Request_ResourceNotFound",
        ),
        (
            Method::GET,
            format!("/identityProtection/riskyUsers/{nobody}"),
            404,
            "Request_ResourceNotFound",
        ),
        (Method::GET, "/nonsense".into(), 400, ""),
        (
            Method::GET,
            format!("/users/{}/nonsense", upn("AlexW")),
            400,
            "",
        ),
        (Method::GET, "/identityProtection/nonsense".into(), 400, ""),
        (Method::PUT, format!("/users/{}", upn("AlexW")), 405, ""),
        (Method::DELETE, "/auditLogs/signIns".into(), 405, ""),
        (Method::POST, "/directoryRoles".into(), 405, ""),
        (Method::PATCH, "/groups".into(), 405, ""),
    ];
    for (index, (method, path, status, code)) in cases.iter().enumerate() {
        let id = format!("7c1b3d4e-0000-4000-8000-{index:012}");
        let response = send(&emu, emu.request(method.clone(), path), &id).await;
        assert_eq!(
            response.status, *status,
            "{method} {path}: {}",
            response.text
        );
        if !code.is_empty() {
            assert_eq!(response.code(), *code, "{method} {path}");
        }
        assert_envelope(&response, Some(&id));
    }
    // Another version than v1.0 and beta.
    let response = emu
        .send(emu.http.get(format!("{}/v2.0/users", emu.base)))
        .await
        .expect(400);
    assert_envelope(&response, None);
}

#[tokio::test]
async fn successes_carry_the_correlation_headers_too() {
    let emu = Emu::start().await;
    let response = send(
        &emu,
        emu.request(Method::GET, "/users?$top=1"),
        "7c1b3d4e-0000-4000-8000-00000000aaaa",
    )
    .await
    .expect(200);
    assert!(
        response
            .header("request-id")
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );
    assert_eq!(
        response.header("client-request-id"),
        Some("7c1b3d4e-0000-4000-8000-00000000aaaa")
    );
    assert!(
        response
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    let other = emu.get("/users?$top=1").await.expect(200);
    assert_ne!(
        other.header("request-id"),
        response.header("request-id"),
        "a new request-id per request"
    );
}

// ------------------------------------------------------------------------------------------
// Property tests
// ------------------------------------------------------------------------------------------

/// Cases per property: each is a real HTTP round trip.
const CASES: u32 = 96;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A response is Graph's: a success, or a 4xx with the envelope. Never a 5xx.
fn graph_answer(response: &Response) -> Result<(), TestCaseError> {
    prop_assert!(
        response.status < 500,
        "server error {}: {}",
        response.status,
        response.text
    );
    if response.status >= 400 {
        let error = &response.body["error"];
        prop_assert!(
            error["code"].as_str().is_some_and(|c| !c.is_empty()),
            "no error.code: {}",
            response.text
        );
        prop_assert!(
            error["message"].is_string(),
            "no error.message: {}",
            response.text
        );
        prop_assert!(
            error["innerError"]["request-id"].is_string(),
            "no request-id: {}",
            response.text
        );
        prop_assert!(
            error["innerError"]["date"].is_string(),
            "no date: {}",
            response.text
        );
    } else {
        prop_assert!(
            (200..300).contains(&response.status),
            "{}: {}",
            response.status,
            response.text
        );
    }
    Ok(())
}

fn filter_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "displayName",
            "userPrincipalName",
            "accountEnabled",
            "department",
            "createdDateTime",
            "mail",
            "proxyAddresses",
            "businessPhones",
            "signInActivity/lastSignInDateTime",
            "manager/id",
            "id",
            "eq",
            "ne",
            "gt",
            "ge",
            "lt",
            "le",
            "in",
            "and",
            "or",
            "not",
            "has",
            "add",
            "startswith(",
            "endswith(",
            "contains(",
            "any(",
            "all(",
            "c:c",
            "x:",
            "/",
            "$count",
            "(",
            ")",
            ",",
            "'a'",
            "'Shane O''Brien'",
            "''",
            "'",
            "'''",
            "true",
            "false",
            "null",
            "0",
            "-1",
            "1e308",
            "3.5",
            "2024-01-01T00:00:00Z",
            "2024-13-45T99:99:99Z",
            "'2024-01-01'",
            "[",
            "]",
            "{",
            "}",
            "@",
            "$it",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,6}",
    ]
}

fn filter_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec((filter_token(), prop::sample::select(vec!["", " ", "  "])), 0..12)
            .prop_map(|tokens| tokens.into_iter().map(|(t, s)| format!("{t}{s}")).collect::<String>()),
        1 => any::<String>(),
        1 => "[ -~]{0,40}",
    ]
}

#[test]
fn random_filters_get_graph_answers() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emu = runtime.block_on(Emu::start());
    let mut runner = runner();
    let result = runner.run(
        &(
            filter_string(),
            any::<bool>(),
            prop::sample::select(vec![
                "/users",
                "/groups",
                "/auditLogs/signIns",
                "/identityProtection/riskyUsers",
            ]),
        ),
        |(filter, eventual, path)| {
            let headers: &[(&str, &str)] = if eventual {
                &[("ConsistencyLevel", "eventual")]
            } else {
                &[]
            };
            let response = runtime.block_on(emu.get_with(path, &[("$filter", &filter)], headers));
            graph_answer(&response)
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z@.]{0,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object whose keys are mostly ones the endpoint knows, with random values.
fn shaped_object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(keys), json_value()), 0..5).prop_map(|pairs| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    })
}

const USER_KEYS: &[&str] = &[
    "accountEnabled",
    "passwordProfile",
    "displayName",
    "jobTitle",
    "businessPhones",
    "usageLocation",
    "mobilePhone",
    "userPrincipalName",
    "id",
    "department",
    "manager",
    "otherMails",
    "passwordPolicies",
    "onPremisesSyncEnabled",
];

#[test]
fn random_user_patches_get_graph_answers() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emu = runtime.block_on(Emu::start());
    let id = runtime.block_on(emu.user_id("LidiaH"));
    let path = format!("/users/{id}");
    let body = prop_oneof![
        2 => shaped_object(USER_KEYS),
        1 => (prop::sample::select(vec!["password", "forceChangePasswordNextSignIn", "x"]), json_value())
            .prop_map(|(k, v)| json!({"passwordProfile": {k: v}})),
        1 => json_value(),
    ];
    let result = runner().run(&body, |body| {
        let response = runtime.block_on(emu.patch_json(&path, &body));
        graph_answer(&response)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn random_member_references_get_graph_answers() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emu = runtime.block_on(Emu::start());
    let group = runtime.block_on(emu.group_id("Sales Team"));
    let sarah = runtime.block_on(emu.user_id("SarahL"));
    let path = format!("/groups/{group}/members/$ref");
    let reference = prop_oneof![
        Just(format!(
            "https://graph.microsoft.com/v1.0/directoryObjects/{sarah}"
        )),
        Just(format!("https://graph.microsoft.com/v1.0/users('{sarah}')")),
        "[ -~]{0,40}",
        "https://graph.microsoft.com/v1.0/directoryObjects/[ -~]{0,40}",
    ];
    let body = prop_oneof![
        2 => reference.prop_map(|r| json!({"@odata.id": r})),
        1 => shaped_object(&["@odata.id", "@odata.type", "id"]),
        1 => json_value(),
    ];
    let result = runner().run(&body, |body| {
        let response = runtime.block_on(emu.post_json(&path, &body));
        graph_answer(&response)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

fn batch_request() -> impl Strategy<Value = Value> {
    let urls = prop::sample::select(vec![
        "/users?$top=2",
        "/users/AlexW@contoso.onmicrosoft.com",
        "/groups",
        "/me",
        "/$batch",
        "/nonsense",
        "users",
        "/users/00000000-0000-0000-0000-000000000000",
        "https://graph.microsoft.com/v1.0/users",
        "/v1.0/users",
        "/users?$filter=displayName eq 'x'",
        "/auditLogs/signIns?$top=1",
        "/identityProtection/riskyUsers/dismiss",
        "/users/LidiaH@contoso.onmicrosoft.com/revokeSignInSessions",
        "/users('LidiaH@contoso.onmicrosoft.com')",
    ]);
    let methods = prop::sample::select(vec![
        "GET", "POST", "PATCH", "DELETE", "PUT", "get", "BREW", "",
    ]);
    (
        prop::sample::select(vec!["1", "2", "3", "a", "A", ""]),
        methods,
        prop_oneof![urls.prop_map(str::to_string), "[ -~]{0,20}"],
        prop::option::of(json_value()),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["1", "2", "3", "a", "x"]),
            0..3,
        )),
        any::<bool>(),
    )
        .prop_map(|(id, method, url, body, depends_on, content_type)| {
            let mut request = json!({"id": id, "method": method, "url": url});
            if let Some(body) = body {
                request["body"] = body;
            }
            if let Some(depends_on) = depends_on {
                request["dependsOn"] = json!(depends_on);
            }
            if content_type {
                request["headers"] = json!({"Content-Type": "application/json"});
            }
            request
        })
}

#[test]
fn random_batches_get_graph_answers() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emu = runtime.block_on(Emu::start());
    let body = prop_oneof![
        3 => prop::collection::vec(batch_request(), 0..6).prop_map(|requests| json!({"requests": requests})),
        1 => shaped_object(&["requests", "id", "method"]),
        1 => json_value(),
    ];
    let result = runner().run(&body, |body| {
        let response = runtime.block_on(emu.post_json("/$batch", &body));
        graph_answer(&response)?;
        if response.status == 200 {
            let items = response.body["responses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            prop_assert_eq!(
                items.len(),
                body["requests"].as_array().map_or(0, Vec::len),
                "one response per request"
            );
            for item in items {
                let status = item["status"].as_u64().unwrap_or(0);
                prop_assert!(
                    (200..500).contains(&status),
                    "item status {}: {}",
                    status,
                    item
                );
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
