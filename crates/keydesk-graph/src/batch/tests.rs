//! Batch validation, splitting, correlation and retry selection.

use serde_json::json;

use super::{BatchRequest, BatchResponse, correlate, ids_to_retry, split_into_batches, validate};

fn answer(id: &str, status: u16) -> BatchResponse {
    BatchResponse {
        id: id.to_owned(),
        status,
        headers: Default::default(),
        body: None,
    }
}

#[test]
fn request_serializes_like_the_docs() {
    let requests = [
        BatchRequest::patch("1", "users/6ea9", json!({"accountEnabled": false})),
        BatchRequest::post("2", "/users/6ea9/revokeSignInSessions", json!({})).depends_on("1"),
        BatchRequest::get("3", "/users?$select=id&$count=true")
            .header("ConsistencyLevel", "eventual"),
    ];
    let body = serde_json::to_value(super::BatchBody {
        requests: &requests,
    })
    .unwrap();
    assert_eq!(
        body,
        json!({"requests":[
            {"id":"1","method":"PATCH","url":"/users/6ea9","headers":{"Content-Type":"application/json"},"body":{"accountEnabled":false}},
            {"id":"2","method":"POST","url":"/users/6ea9/revokeSignInSessions","headers":{"Content-Type":"application/json"},"body":{},"dependsOn":["1"]},
            {"id":"3","method":"GET","url":"/users?$select=id&$count=true","headers":{"ConsistencyLevel":"eventual"}}
        ]})
    );
}

#[test]
fn answers_are_correlated_by_id_in_any_order() {
    let requests = vec![
        BatchRequest::get("a", "/x"),
        BatchRequest::get("B", "/y"),
        BatchRequest::get("c", "/z"),
    ];
    let answers = serde_json::from_value::<Vec<BatchResponse>>(json!([
        {"id":"c","status":204},
        {"id":"b","status":429,"headers":{"Retry-After":"10"},"body":{"error":{"code":"TooManyRequests","message":"slow down"}}},
        {"id":"a","status":200,"headers":{"Content-Type":"application/json"},"body":{"value":true}}
    ]))
    .unwrap();
    let ordered = correlate(&requests, answers).unwrap();
    assert_eq!(
        ordered.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 429, 204]
    );
    assert_eq!(
        ordered[0].json::<serde_json::Value>().unwrap(),
        json!({"value": true})
    );
    assert_eq!(
        ordered[1].retry_after(),
        Some(std::time::Duration::from_secs(10))
    );
    let error = ordered[1].json::<()>().unwrap_err();
    assert_eq!(error.status(), Some(429));
    ordered[2].json::<()>().unwrap();
}

#[test]
fn missing_answer_is_an_error() {
    let requests = vec![BatchRequest::get("1", "/x"), BatchRequest::get("2", "/y")];
    assert!(correlate(&requests, vec![answer("1", 200)]).is_err());
}

#[test]
fn failed_dependency_is_a_per_item_error() {
    let error = answer("2", 424).json::<()>().unwrap_err();
    assert_eq!(
        error.explain(),
        "skipped because a request it depended on failed"
    );
}

#[test]
fn retry_selects_throttled_items_and_their_dependants() {
    let requests = vec![
        BatchRequest::get("1", "/a"),
        BatchRequest::get("2", "/b").depends_on("1"),
        BatchRequest::get("3", "/c").depends_on("2"),
        BatchRequest::get("4", "/d"),
        BatchRequest::get("5", "/e").depends_on("4"),
    ];
    let answers = vec![
        answer("1", 429),
        answer("2", 424),
        answer("3", 424),
        answer("4", 500),
        answer("5", 424),
    ];
    let mut retry: Vec<String> = ids_to_retry(&requests, &answers).into_iter().collect();
    retry.sort();
    assert_eq!(retry, vec!["1", "2", "3"]);
}

#[test]
fn validation() {
    assert!(validate(&[BatchRequest::get("1", "/a"), BatchRequest::get("1", "/b")]).is_err());
    assert!(validate(&[BatchRequest::get("x", "/a"), BatchRequest::get("X", "/b")]).is_err());
    assert!(validate(&[BatchRequest::get("1", "/a").depends_on("9")]).is_err());
    let mut relative = BatchRequest::get("1", "/a");
    relative.url = "a".to_owned();
    assert!(validate(&[relative]).is_err());
    let too_many: Vec<_> = (0..21)
        .map(|i| BatchRequest::get(i.to_string(), "/a"))
        .collect();
    assert!(validate(&too_many).is_err());
    assert_eq!(BatchRequest::get("1", "users").url, "/users");
}

#[test]
fn splitting_packs_twenty_and_keeps_chains_together() {
    let independent: Vec<_> = (0..45)
        .map(|i| BatchRequest::get(i.to_string(), "/a"))
        .collect();
    let sizes: Vec<usize> = split_into_batches(independent)
        .unwrap()
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes, vec![20, 20, 5]);

    // 19 independent requests, then a chain of three: the chain must not be cut.
    let mut requests: Vec<_> = (0..19)
        .map(|i| BatchRequest::get(format!("i{i}"), "/a"))
        .collect();
    requests.push(BatchRequest::get("c1", "/a"));
    requests.push(BatchRequest::get("c2", "/a").depends_on("c1"));
    requests.push(BatchRequest::get("c3", "/a").depends_on("c2"));
    let batches = split_into_batches(requests).unwrap();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![19, 3]
    );
    assert_eq!(
        batches[1].iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["c1", "c2", "c3"]
    );
    for batch in &batches {
        validate(batch).unwrap();
    }

    let chain: Vec<_> = (0..21)
        .map(|i| {
            let request = BatchRequest::get(i.to_string(), "/a");
            if i == 0 {
                request
            } else {
                request.depends_on((i - 1).to_string())
            }
        })
        .collect();
    assert!(split_into_batches(chain).is_err());
    assert!(split_into_batches(vec![BatchRequest::get("1", "/a").depends_on("2")]).is_err());
    assert!(split_into_batches(Vec::new()).unwrap().is_empty());
}
