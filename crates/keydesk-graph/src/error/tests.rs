//! Error-envelope parsing and explanations, driven by the bodies in `test_data/errors/`.

use super::GraphError;

#[track_caller]
fn check(status: u16, body: &str, code: Option<&str>, message: Option<&str>, explain: &str) {
    let error = GraphError::parse(status, body.as_bytes());
    assert_eq!(error.code.as_deref(), code, "code of {body}");
    assert_eq!(error.best_message(), message, "message of {body}");
    assert_eq!(error.explain(), explain);
}

#[test]
fn directory_forbidden() {
    let body = include_str!("../../test_data/errors/directory_forbidden.json");
    check(
        403,
        body,
        Some("Authorization_RequestDenied"),
        Some("Insufficient privileges to complete the operation."),
        "keydesk's app lacks the permission or directory role for this (Graph said: Insufficient privileges to complete the operation.)",
    );
    let error = GraphError::parse(403, body.as_bytes());
    assert_eq!(
        error.request_id.as_deref(),
        Some("93b6f17e-c05d-4f45-ad2a-6665c708d8a0")
    );
    assert_eq!(
        error.client_request_id.as_deref(),
        Some("e70c5c1b-8b47-68c0-3171-3d22f5e0bd54")
    );
    assert!(error.is_forbidden());
}

#[test]
fn directory_synced_object() {
    let body = include_str!("../../test_data/errors/directory_synced.json");
    let error = GraphError::parse(400, body.as_bytes());
    assert!(error.is_synced_object_refusal());
    assert_eq!(error.code.as_deref(), Some("Request_BadRequest"));
    assert_eq!(
        error.explain(),
        "this user is synced from on-premises AD; change it there"
    );
}

#[test]
fn directory_not_found() {
    let body = include_str!("../../test_data/errors/directory_not_found.json");
    let error = GraphError::parse(404, body.as_bytes());
    assert!(error.is_not_found());
    assert!(
        error
            .explain()
            .starts_with("not found (Graph said: Resource 'nobody@contoso.com'")
    );
}

#[test]
fn auth_methods_dialect() {
    let body = include_str!("../../test_data/errors/auth_methods_default.json");
    let error = GraphError::parse(400, body.as_bytes());
    assert_eq!(error.code.as_deref(), Some("badRequest"));
    assert!(error.code_is(&["BadRequest"]));
    assert!(
        error
            .inner_message
            .as_deref()
            .is_some_and(|message| message.starts_with("Cannot delete default"))
    );
    assert!(!error.is_synced_object_refusal());
    assert_eq!(
        error.explain(),
        "Graph refused the request (HTTP 400 badRequest) (Graph said: Cannot delete default method with other methods configured. Please change default method before deletion.)"
    );
}

#[test]
fn auth_methods_placeholder_message_falls_back_to_inner_message() {
    let body = include_str!("../../test_data/errors/auth_methods_placeholder.json");
    let error = GraphError::parse(400, body.as_bytes());
    assert!(
        error
            .best_message()
            .is_some_and(|message| message.contains("current default authentication method"))
    );
}

#[test]
fn odata_v3_message_object() {
    let body = include_str!("../../test_data/errors/odata_v3.json");
    check(
        400,
        body,
        Some("Request_UnsupportedQuery"),
        Some("Unsupported Query."),
        "Graph refused the request (HTTP 400 Request_UnsupportedQuery) (Graph said: Unsupported Query.)",
    );
}

#[test]
fn throttled() {
    let body = include_str!("../../test_data/errors/throttled.json");
    let error = GraphError::parse(429, body.as_bytes());
    assert!(error.is_throttled());
    assert_eq!(error.explain(), "Graph is throttling; try again later");
}

#[test]
fn non_json_gateway_page() {
    let body = include_str!("../../test_data/errors/gateway.html");
    let error = GraphError::parse(502, body.as_bytes());
    assert_eq!(error.code, None);
    assert!(
        error
            .body_excerpt
            .as_deref()
            .is_some_and(|text| text.contains("502 Bad Gateway"))
    );
    assert_eq!(
        error.explain(),
        "Graph is unavailable right now (HTTP 502); try again later"
    );
}

#[test]
fn token_endpoint_style_body() {
    let body = include_str!("../../test_data/errors/token_style.json");
    let error = GraphError::parse(400, body.as_bytes());
    assert_eq!(error.code.as_deref(), Some("invalid_request"));
    assert!(
        error
            .best_message()
            .is_some_and(|message| message.starts_with("AADSTS900144"))
    );
}

#[test]
fn empty_and_garbage_bodies() {
    check(
        503,
        "",
        None,
        None,
        "Graph is unavailable right now (HTTP 503); try again later",
    );
    check(
        400,
        "[1,2,3]",
        None,
        Some("[1,2,3]"),
        "Graph refused the request (HTTP 400) (Graph said: [1,2,3])",
    );
    check(404, "{}", None, Some("{}"), "not found (Graph said: {})");
    let long = "x".repeat(1000);
    let error = GraphError::parse(500, long.as_bytes());
    assert_eq!(error.body_excerpt.map(|text| text.len()), Some(200));
}

#[test]
fn failed_dependency() {
    check(
        424,
        "{}",
        None,
        Some("{}"),
        "skipped because a request it depended on failed",
    );
}

#[test]
fn display_carries_correlation_ids() {
    let body = include_str!("../../test_data/errors/directory_forbidden.json");
    let mut error = GraphError::parse(403, body.as_bytes());
    error.attempts = 3;
    assert_eq!(
        error.to_string(),
        "Graph answered HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id 93b6f17e-c05d-4f45-ad2a-6665c708d8a0, client-request-id e70c5c1b-8b47-68c0-3171-3d22f5e0bd54) after 3 attempts"
    );
}
