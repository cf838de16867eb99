//! `$batch`: per-item throttling is retried for just those items, order is restored.

use keydesk_graph::BatchRequest;
use serde_json::{Value, json};

use crate::fake::{Fake, Reply};

#[tokio::test]
async fn throttled_items_and_their_dependants_are_resent() {
    let fake = Fake::start(|request, index| {
        assert_eq!(request.path_and_query, "/v1.0/$batch");
        let body = request.json();
        let ids: Vec<&str> = body["requests"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        match index {
            0 => {
                assert_eq!(ids, vec!["1", "2", "3"]);
                Reply::json(200, json!({"responses": [
                    {"id": "3", "status": 424, "body": {"error": {"code": "FailedDependency", "message": "dependency failed"}}},
                    {"id": "2", "status": 429, "headers": {"Retry-After": "0"}, "body": {"error": {"code": "TooManyRequests", "message": "slow"}}},
                    {"id": "1", "status": 200, "headers": {"Content-Type": "application/json"}, "body": {"id": "u1"}}
                ]}))
            }
            _ => {
                assert_eq!(ids, vec!["2", "3"], "only the throttled item and its dependant are re-sent");
                assert_eq!(body["requests"][1]["dependsOn"], json!(["2"]));
                Reply::json(200, json!({"responses": [
                    {"id": "3", "status": 200, "body": {"value": true}},
                    {"id": "2", "status": 204}
                ]}))
            }
        }
    })
    .await;
    let client = fake.client();
    let answers = client
        .batch(vec![
            BatchRequest::get("1", "/users/u1"),
            BatchRequest::patch("2", "/users/u2", json!({"accountEnabled": false})),
            BatchRequest::post("3", "/users/u2/revokeSignInSessions", json!({})).depends_on("2"),
        ])
        .await
        .unwrap();
    let statuses: Vec<u16> = answers.iter().map(|answer| answer.status).collect();
    assert_eq!(statuses, vec![200, 204, 200]);
    assert_eq!(answers[0].json::<Value>().unwrap()["id"], "u1");
    answers[1].json::<()>().unwrap();
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.batched_requests, stats.throttled),
        (2, 5, 1)
    );
}

#[tokio::test]
async fn failed_dependency_stays_a_per_item_error() {
    let fake = Fake::start(|_, _| {
        Reply::json(200, json!({"responses": [
            {"id": "b", "status": 424},
            {"id": "a", "status": 403, "headers": {"request-id": "r-1"},
             "body": {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}}
        ]}))
    })
    .await;
    let answers = fake
        .client()
        .batch(vec![
            BatchRequest::patch("a", "/users/x", json!({"accountEnabled": false})),
            BatchRequest::post("b", "/users/x/revokeSignInSessions", json!({})).depends_on("a"),
        ])
        .await
        .unwrap();
    let first = answers[0].json::<()>().unwrap_err();
    assert_eq!(first.graph().unwrap().request_id.as_deref(), Some("r-1"));
    assert!(
        first
            .explain()
            .starts_with("keydesk's app lacks the permission")
    );
    assert_eq!(
        answers[1].json::<()>().unwrap_err().explain(),
        "skipped because a request it depended on failed"
    );
    assert_eq!(fake.graph_requests().len(), 1);
}

#[tokio::test]
async fn batch_all_splits_into_twenties() {
    let fake = Fake::start(|request, _| {
        let body = request.json();
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|item| json!({"id": item["id"], "status": 200, "body": {"echo": item["url"]}}))
            .collect();
        Reply::json(200, json!({"responses": responses}))
    })
    .await;
    let requests: Vec<BatchRequest> = (0..45)
        .map(|i| BatchRequest::get(i.to_string(), &format!("/users/u{i}")))
        .collect();
    let answers = fake.client().batch_all(requests).await.unwrap();
    assert_eq!(answers.len(), 45);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.id, i.to_string());
        assert_eq!(
            answer.json::<Value>().unwrap()["echo"],
            format!("/users/u{i}")
        );
    }
    let sizes: Vec<usize> = fake
        .graph_requests()
        .iter()
        .map(|r| r.json()["requests"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![20, 20, 5]);
}
