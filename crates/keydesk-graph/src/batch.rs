//! JSON batching (`POST /$batch`): up to 20 requests per call, correlated by id.
//!
//! Answers may arrive in any order and are matched to requests by id (case-insensitively).
//! Items answered 429 are re-sent, alone, after their `Retry-After` (or backoff), together with
//! any dependants that failed with 424 only because of them; other results are kept. A 424 that
//! remains is returned as that item's error. [`split_into_batches`] packs arbitrary request lists
//! into batches of 20 while keeping `dependsOn` chains together.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::GraphClient;
use crate::error::{Error, GraphError, Result};
use crate::request::GraphRequest;
use crate::retry::{RetryBudget, parse_retry_after};

/// Most requests Graph accepts in one batch.
pub const MAX_BATCH_SIZE: usize = 20;

/// One request inside a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequest {
    /// Unique (case-insensitively) within the batch.
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// URL relative to the version, starting with `/` (e.g. `/users/{id}`).
    pub url: String,
    /// Headers; `Content-Type` is set automatically with a body.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Ids that must succeed first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// One answer inside a batch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchResponse {
    /// Id of the request it answers.
    pub id: String,
    /// HTTP status of the item.
    pub status: u16,
    /// Item headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Item body (absent for 204).
    #[serde(default)]
    pub body: Option<Value>,
}

#[derive(Serialize)]
struct BatchBody<'a> {
    requests: &'a [BatchRequest],
}

#[derive(Deserialize)]
struct BatchEnvelope {
    #[serde(default)]
    responses: Vec<BatchResponse>,
}

impl BatchRequest {
    /// A request without body. A missing leading `/` is added to `url`.
    pub fn new(id: impl Into<String>, method: Method, url: &str) -> Self {
        let url = if url.starts_with('/') {
            url.to_owned()
        } else {
            format!("/{url}")
        };
        Self {
            id: id.into(),
            method: method.as_str().to_owned(),
            url,
            headers: BTreeMap::new(),
            body: None,
            depends_on: Vec::new(),
        }
    }

    /// `GET url`.
    pub fn get(id: impl Into<String>, url: &str) -> Self {
        Self::new(id, Method::GET, url)
    }

    /// `DELETE url`.
    pub fn delete(id: impl Into<String>, url: &str) -> Self {
        Self::new(id, Method::DELETE, url)
    }

    /// `POST url` with a JSON body.
    pub fn post(id: impl Into<String>, url: &str, body: Value) -> Self {
        Self::new(id, Method::POST, url).with_body(body)
    }

    /// `PATCH url` with a JSON body.
    pub fn patch(id: impl Into<String>, url: &str, body: Value) -> Self {
        Self::new(id, Method::PATCH, url).with_body(body)
    }

    /// Sets a JSON body and its `Content-Type`.
    pub fn with_body(mut self, body: Value) -> Self {
        self.headers
            .insert("Content-Type".to_owned(), "application/json".to_owned());
        self.body = Some(body);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Makes this request run after `id` (and only if it succeeds).
    pub fn depends_on(mut self, id: impl Into<String>) -> Self {
        self.depends_on.push(id.into());
        self
    }
}

impl BatchResponse {
    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// An item header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The item's `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("Retry-After").and_then(parse_retry_after)
    }

    /// The item's error, when it failed.
    pub fn error(&self) -> Option<GraphError> {
        if self.is_success() {
            return None;
        }
        let body = self.body.as_ref().map(Value::to_string).unwrap_or_default();
        let mut error = GraphError::parse(self.status, body.as_bytes());
        error.request_id = self
            .header("request-id")
            .map(str::to_owned)
            .or(error.request_id);
        error.retry_after = self.retry_after();
        error.attempts = 1;
        Some(error)
    }

    /// Decodes the item body, or returns the item's error. A missing body decodes as `null`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if let Some(error) = self.error() {
            return Err(error.into());
        }
        serde_json::from_value(self.body.clone().unwrap_or(Value::Null)).map_err(|source| {
            Error::Decode {
                what: std::any::type_name::<T>(),
                status: self.status,
                request_id: self.header("request-id").map(str::to_owned),
                source,
            }
        })
    }
}

/// Packs `requests` into batches of at most [`MAX_BATCH_SIZE`], keeping every `dependsOn`
/// chain inside one batch and the original order within each batch. Fails when one chain is
/// longer than a batch or refers to an unknown id.
pub fn split_into_batches(requests: Vec<BatchRequest>) -> Result<Vec<Vec<BatchRequest>>> {
    let index: HashMap<String, usize> = requests
        .iter()
        .enumerate()
        .map(|(position, request)| (request.id.to_lowercase(), position))
        .collect();
    if index.len() != requests.len() {
        return Err(Error::InvalidRequest(
            "batch request ids are not unique".to_owned(),
        ));
    }
    let mut parent: Vec<usize> = (0..requests.len()).collect();
    for (position, request) in requests.iter().enumerate() {
        for dependency in &request.depends_on {
            let other = *index.get(&dependency.to_lowercase()).ok_or_else(|| {
                Error::InvalidRequest(format!("{} depends on unknown id {dependency}", request.id))
            })?;
            let (a, b) = (root(&mut parent, position), root(&mut parent, other));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: Vec<(usize, Vec<BatchRequest>)> = Vec::new();
    for (position, request) in requests.into_iter().enumerate() {
        let group_root = root(&mut parent, position);
        match groups
            .iter_mut()
            .find(|(existing, _)| *existing == group_root)
        {
            Some((_, members)) => members.push(request),
            None => groups.push((group_root, vec![request])),
        }
    }
    let mut batches: Vec<Vec<BatchRequest>> = Vec::new();
    for (_, members) in groups {
        if members.len() > MAX_BATCH_SIZE {
            return Err(Error::InvalidRequest(format!(
                "a dependsOn chain of {} requests does not fit in one batch of {MAX_BATCH_SIZE}",
                members.len()
            )));
        }
        match batches
            .iter_mut()
            .find(|batch| batch.len() + members.len() <= MAX_BATCH_SIZE)
        {
            Some(batch) => batch.extend(members),
            None => batches.push(members),
        }
    }
    Ok(batches)
}

fn root(parent: &mut [usize], mut node: usize) -> usize {
    while parent[node] != node {
        parent[node] = parent[parent[node]];
        node = parent[node];
    }
    node
}

/// Matches answers to requests by id; the result is in request order.
pub(crate) fn correlate(
    requests: &[BatchRequest],
    responses: Vec<BatchResponse>,
) -> Result<Vec<BatchResponse>> {
    let mut by_id: HashMap<String, BatchResponse> = responses
        .into_iter()
        .map(|response| (response.id.to_lowercase(), response))
        .collect();
    requests
        .iter()
        .map(|request| {
            by_id.remove(&request.id.to_lowercase()).ok_or_else(|| {
                Error::UnexpectedResponse(format!("batch has no answer for request {}", request.id))
            })
        })
        .collect()
}

fn validate(requests: &[BatchRequest]) -> Result<()> {
    if requests.len() > MAX_BATCH_SIZE {
        return Err(Error::InvalidRequest(format!(
            "{} requests exceed the batch limit of {MAX_BATCH_SIZE}",
            requests.len()
        )));
    }
    let ids: HashSet<String> = requests
        .iter()
        .map(|request| request.id.to_lowercase())
        .collect();
    if ids.len() != requests.len() {
        return Err(Error::InvalidRequest(
            "batch request ids are not unique".to_owned(),
        ));
    }
    for request in requests {
        if !request.url.starts_with('/') {
            return Err(Error::InvalidRequest(format!(
                "batch url {:?} must start with '/'",
                request.url
            )));
        }
        if let Some(missing) = request
            .depends_on
            .iter()
            .find(|id| !ids.contains(&id.to_lowercase()))
        {
            return Err(Error::InvalidRequest(format!(
                "{} depends on unknown id {missing}",
                request.id
            )));
        }
    }
    Ok(())
}

/// Ids to re-send: throttled items plus 424 items that (transitively) depend on them.
fn ids_to_retry(requests: &[BatchRequest], responses: &[BatchResponse]) -> HashSet<String> {
    let mut retry: HashSet<String> = responses
        .iter()
        .filter(|response| response.status == 429)
        .map(|response| response.id.to_lowercase())
        .collect();
    loop {
        let before = retry.len();
        for (request, response) in requests.iter().zip(responses) {
            if response.status == 424
                && request
                    .depends_on
                    .iter()
                    .any(|id| retry.contains(&id.to_lowercase()))
            {
                retry.insert(request.id.to_lowercase());
            }
        }
        if retry.len() == before {
            return retry;
        }
    }
}

impl GraphClient {
    /// Sends up to 20 requests in one `$batch`, re-sending throttled items within the retry
    /// budget. Answers are returned in request order; per-item failures stay per item.
    pub async fn batch(&self, requests: Vec<BatchRequest>) -> Result<Vec<BatchResponse>> {
        validate(&requests)?;
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let mut results: HashMap<String, BatchResponse> = HashMap::new();
        let mut pending = requests.clone();
        let mut budget = RetryBudget::new(self.retry_policy());
        loop {
            budget.start_attempt();
            let responses = self.send_batch(&pending).await?;
            let retry = ids_to_retry(&pending, &responses);
            for _ in responses.iter().filter(|response| response.status == 429) {
                self.counters().throttled();
            }
            let retry_after = responses
                .iter()
                .filter(|response| response.status == 429)
                .filter_map(BatchResponse::retry_after)
                .max();
            let delay = if retry.is_empty() {
                None
            } else {
                budget.next_delay(retry_after)
            };
            for response in responses {
                let id = response.id.to_lowercase();
                if delay.is_none() || !retry.contains(&id) {
                    results.insert(id, response);
                }
            }
            let Some(delay) = delay else { break };
            tracing::debug!(
                items = retry.len(),
                ?delay,
                "batch items throttled; re-sending them"
            );
            tokio::time::sleep(delay).await;
            pending = pending
                .into_iter()
                .filter(|request| retry.contains(&request.id.to_lowercase()))
                .map(|mut request| {
                    request
                        .depends_on
                        .retain(|id| retry.contains(&id.to_lowercase()));
                    request
                })
                .collect();
        }
        let ordered: Vec<BatchResponse> = requests
            .iter()
            .filter_map(|request| results.remove(&request.id.to_lowercase()))
            .collect();
        if ordered.len() != requests.len() {
            return Err(Error::UnexpectedResponse(
                "batch lost an answer while retrying".to_owned(),
            ));
        }
        Ok(ordered)
    }

    /// Splits any number of requests into batches of 20 (see [`split_into_batches`]), sends
    /// them one after another, and returns the answers in request order.
    pub async fn batch_all(&self, requests: Vec<BatchRequest>) -> Result<Vec<BatchResponse>> {
        self.batch_all_concurrent(requests, 1).await
    }

    /// Like [`GraphClient::batch_all`], with up to `concurrency` batches in flight at once
    /// (each still retries its own throttled items after their `Retry-After`).
    pub async fn batch_all_concurrent(
        &self,
        requests: Vec<BatchRequest>,
        concurrency: usize,
    ) -> Result<Vec<BatchResponse>> {
        use futures::StreamExt;
        let order: Vec<String> = requests
            .iter()
            .map(|request| request.id.to_lowercase())
            .collect();
        let mut results: HashMap<String, BatchResponse> = HashMap::new();
        let mut answers = futures::stream::iter(split_into_batches(requests)?)
            .map(|batch| self.batch(batch))
            .buffer_unordered(concurrency.max(1));
        while let Some(answer) = answers.next().await {
            for response in answer? {
                results.insert(response.id.to_lowercase(), response);
            }
        }
        order
            .iter()
            .map(|id| {
                results
                    .remove(id)
                    .ok_or_else(|| Error::UnexpectedResponse(format!("no answer for {id}")))
            })
            .collect()
    }

    async fn send_batch(&self, requests: &[BatchRequest]) -> Result<Vec<BatchResponse>> {
        self.counters().batched(requests.len());
        let read_only = requests
            .iter()
            .all(|request| request.method.eq_ignore_ascii_case("GET"));
        let request = GraphRequest::post("$batch")
            .json(&BatchBody { requests })?
            .idempotent(read_only);
        let envelope: BatchEnvelope = self.send(request).await?.json()?;
        correlate(requests, envelope.responses)
    }
}

#[cfg(test)]
mod tests;
