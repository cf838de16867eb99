//! Retry, throttling, correlation, token refresh on 401, paging and host pinning.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use keydesk_graph::{Error, Filter, GraphClient, GraphRequest, Query, RetryPolicy};
use serde_json::{Value, json};

use crate::fake::{Fake, Reply, fast_retry};

#[tokio::test]
async fn retry_after_is_honoured_then_success() {
    let fake = Fake::start(|_, index| match index {
        0 => Reply::graph_error(429, "TooManyRequests", "Too many requests")
            .header("Retry-After", "1"),
        1 => Reply::empty(503),
        _ => Reply::json(200, json!({"id": "u1", "displayName": "Alex"})),
    })
    .await;
    let client = fake.client();
    let started = Instant::now();
    let user: Value = client.get("users/u1").await.unwrap();
    assert_eq!(user["displayName"], "Alex");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );

    let requests = fake.graph_requests();
    assert_eq!(requests.len(), 3);
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| r.header("client-request-id").unwrap())
        .collect();
    assert!(uuid::Uuid::parse_str(ids[0]).is_ok());
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "retries keep the request's correlation id"
    );
    assert!(
        requests[0]
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ey")
    );
    let stats = client.stats();
    assert_eq!(
        (
            stats.requests,
            stats.retries,
            stats.throttled,
            stats.token_requests
        ),
        (3, 2, 1, 1)
    );
}

#[tokio::test]
async fn service_unavailable_storm_exhausts_the_budget() {
    let fake =
        Fake::start(|_, _| Reply::graph_error(503, "serviceNotAvailable", "Service unavailable"))
            .await;
    let policy = RetryPolicy {
        max_attempts: 4,
        ..fast_retry()
    };
    let client = GraphClient::builder(fake.config())
        .retry_policy(policy)
        .build()
        .unwrap();
    let error = client.get::<Value>("users").await.unwrap_err();
    let graph = error.graph().unwrap();
    assert_eq!(graph.status, 503);
    assert_eq!(graph.attempts, 4);
    assert_eq!(graph.code.as_deref(), Some("serviceNotAvailable"));
    assert_eq!(
        error.explain(),
        "Graph is unavailable right now (HTTP 503); try again later"
    );
    assert_eq!(fake.graph_requests().len(), 4);
}

#[tokio::test]
async fn throttling_past_the_wait_budget_is_explained() {
    let fake = Fake::start(|_, _| {
        Reply::graph_error(429, "TooManyRequests", "slow down").header("Retry-After", "30")
    })
    .await;
    let policy = RetryPolicy {
        max_total_wait: Duration::from_secs(5),
        ..fast_retry()
    };
    let client = GraphClient::builder(fake.config())
        .retry_policy(policy)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.get::<Value>("users").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "must give up instead of sleeping past the budget"
    );
    assert_eq!(error.explain(), "Graph is throttling; try again later");
    assert_eq!(
        error.graph().unwrap().retry_after,
        Some(Duration::from_secs(30))
    );
}

#[tokio::test]
async fn errors_carry_graph_code_and_correlation_ids() {
    let fake = Fake::start(|_, _| {
        Reply::graph_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
        .header("request-id", "req-123")
    })
    .await;
    let error = fake.client().get::<Value>("users/u1").await.unwrap_err();
    let graph = error.graph().unwrap();
    assert_eq!(graph.request_id.as_deref(), Some("req-123"));
    assert_eq!(
        graph.client_request_id.as_deref(),
        fake.graph_requests()[0].header("client-request-id")
    );
    assert_eq!(graph.attempts, 1, "403 is not retried");
    assert_eq!(
        error.explain(),
        "keydesk's app lacks the permission or directory role for this (Graph said: Insufficient privileges to complete the operation.)"
    );
}

#[tokio::test]
async fn gateway_timeout_is_retried_only_when_idempotent() {
    let fake = Fake::start(|request, _| {
        if request.method == "GET" && request.path_and_query.ends_with("/again") {
            return Reply::json(200, json!({}));
        }
        Reply::empty(504)
    })
    .await;
    let client = fake.client();
    let error = client
        .post::<_, Value>("users/u1/revokeSignInSessions", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(504));
    assert_eq!(fake.graph_requests().len(), 1);
    let get = GraphClient::builder(fake.config())
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            ..fast_retry()
        })
        .build()
        .unwrap();
    assert!(get.get::<Value>("users/u1").await.is_err());
    assert_eq!(fake.graph_requests().len(), 4);
}

#[tokio::test]
async fn unauthorized_refreshes_the_token_once() {
    let fake = Fake::start(|_, index| match index {
        0 => Reply::graph_error(
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        ),
        _ => Reply::json(200, json!({"id": "u1"})),
    })
    .await;
    let client = fake.client();
    let _: Value = client.get("users/u1").await.unwrap();
    assert_eq!(fake.token_requests().len(), 2);
    let requests = fake.graph_requests();
    assert_ne!(
        requests[0].header("authorization"),
        requests[1].header("authorization")
    );
}

#[tokio::test]
async fn paging_follows_next_links_verbatim() {
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let base_in_handler = std::sync::Arc::clone(&base);
    let fake = Fake::start(move |request, index| {
        let base = base_in_handler.get().unwrap();
        match index {
            0 => Reply::json(200, json!({
                "@odata.count": 5,
                "@odata.nextLink": format!("{base}/v1.0/users?$select=id&$top=2&$skiptoken=RFNwdAIA%2B%2Fx%3D%3D"),
                "value": [{"id": "1"}, {"id": "2"}]})),
            1 => {
                assert_eq!(request.path_and_query, "/v1.0/users?$select=id&$top=2&$skiptoken=RFNwdAIA%2B%2Fx%3D%3D");
                Reply::json(200, json!({
                    "@odata.nextLink": format!("{base}/v1.0/users?$skiptoken=page3"),
                    "value": [{"id": "3"}, {"id": "4"}]}))
            }
            _ => Reply::json(200, json!({"value": [{"id": "5"}]})),
        }
    })
    .await;
    base.set(fake.base.clone()).unwrap();
    let client = fake.client();
    let query = Query::default()
        .select(["id"])
        .filter(Filter::ends_with("mail", "@contoso.com"))
        .top(2);
    let users: Vec<Value> = client
        .list_query("users", &query)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = users
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["1", "2", "3", "4", "5"]);
    let requests = fake.graph_requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests[0]
            .path_and_query
            .contains("$filter=endswith(mail,%27%40contoso.com%27)"),
        "{}",
        requests[0].path_and_query
    );
    assert!(requests[0].path_and_query.ends_with("$count=true"));
    assert!(
        requests
            .iter()
            .all(|request| request.header("consistencylevel") == Some("eventual")),
        "ConsistencyLevel must stay on every page"
    );
}

#[tokio::test]
async fn foreign_next_link_is_refused() {
    let fake = Fake::start(|_, _| {
        Reply::json(200, json!({"@odata.nextLink": "https://evil.example.com/v1.0/users?$skiptoken=x", "value": [{"id": "1"}]}))
    })
    .await;
    let error = fake
        .client()
        .collect_all::<Value>("users")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UntrustedUrl(_)), "{error:?}");
    assert_eq!(fake.graph_requests().len(), 1);
}

#[tokio::test]
async fn self_referencing_next_link_stops() {
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let base_in_handler = std::sync::Arc::clone(&base);
    let fake = Fake::start(move |_, _| {
        let link = format!(
            "{}/v1.0/users?$skiptoken=same",
            base_in_handler.get().unwrap()
        );
        Reply::json(200, json!({"@odata.nextLink": link, "value": []}))
    })
    .await;
    base.set(fake.base.clone()).unwrap();
    let error = fake
        .client()
        .collect_all::<Value>("users")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnexpectedResponse(_)), "{error:?}");
    assert_eq!(fake.graph_requests().len(), 2);
}

#[tokio::test]
async fn beta_handle_and_custom_requests() {
    let fake = Fake::start(|_, _| Reply::json(200, json!({"value": true}))).await;
    let client = fake.client();
    let _: Value = client.beta().get("auditLogs/signIns").await.unwrap();
    let response = client
        .send(
            GraphRequest::get("users/$count")
                .eventual_consistency()
                .header("x-ms-throttle-priority", "High"),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let _: Value = client
        .get_with_headers("users", &[("ConsistencyLevel", "eventual")])
        .await
        .unwrap();
    let requests = fake.graph_requests();
    assert_eq!(requests[0].path_and_query, "/beta/auditLogs/signIns");
    assert_eq!(requests[1].header("consistencylevel"), Some("eventual"));
    assert_eq!(requests[1].header("x-ms-throttle-priority"), Some("High"));
    assert_eq!(requests[2].header("consistencylevel"), Some("eventual"));
    let bad = client
        .send(GraphRequest::get("users").header("bad header", "x"))
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let fake = Fake::start(|_, _| Reply::empty(204)).await;
    // Token from the fake, Graph on a closed port.
    let config = fake
        .config()
        .with_graph_base(format!("http://{address}/v1.0").parse().unwrap())
        .unwrap();
    let client = GraphClient::builder(config)
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let error = client.get::<Value>("users").await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.explain().starts_with("could not reach 127.0.0.1"));
    assert_eq!(
        client.stats().requests,
        2,
        "idempotent GET retried after a refused connection"
    );
}
