//! Durable jobs for bulk work: `POST /api/v1/jobs`, `GET /api/v1/jobs`, `GET /api/v1/jobs/{id}`
//! and `POST /api/v1/jobs/{id}/cancel`. Operators only.
//!
//! A job is queued in the shared database and worked on by whichever instances are running
//! (`keydesk_service::jobs::run_worker`); an instance that dies mid-way leaves its items to the
//! others. A list that needs a second approver's approval is filed for it first (202 with the
//! approval); the same request, once approved, queues the job (201).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keydesk_service::jobs::{JobView, Submitted};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Body, actor, approval_json, operator, rfc3339};
use crate::auth::Caller;
use crate::error::ApiError;

/// The job routes (behind the rate limiter, with the rest of the API).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs", post(submit_job).get(list_jobs))
        .route("/api/v1/jobs/{id}", get(get_job))
        .route("/api/v1/jobs/{id}/cancel", post(cancel_job))
}

/// A bulk job.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobBody {
    /// What to do to every user: `bulk_unlock`.
    #[schema(example = "bulk_unlock")]
    pub kind: String,
    /// The users (UPNs, object ids or names), at most 5,000; repeats are dropped.
    pub users: Vec<String>,
    /// Where a temporary credential goes when an unlock needs one: `manager` (default), a
    /// person's UPN, or `sms:+15551234567` (`reveal` is refused: nobody is there to see it).
    pub delivery: Option<String>,
}

fn job_json(view: &JobView, items: bool) -> Value {
    let job = &view.job;
    let mut body = json!({
        "id": job.id,
        "kind": job.kind,
        "status": job.status.as_str(),
        "requester": job.requester,
        "planHash": job.plan_hash,
        "approval": job.approval_id,
        "delivery": job.delivery,
        "createdAt": rfc3339(job.created_at),
        "finishedAt": job.finished_at.map(rfc3339),
        "total": view.items.len(),
        "counts": view.counts(),
    });
    if items {
        body["items"] = view
            .items
            .iter()
            .map(|i| {
                json!({
                    "position": i.position,
                    "input": i.input,
                    "status": i.status.as_str(),
                    "attempts": i.attempts,
                    "claimedBy": i.claimed_by,
                    "result": i.result,
                    "finishedAt": i.finished_at.map(rfc3339),
                })
            })
            .collect();
    }
    body
}

/// Queues a bulk job (201), or files the list for a second approver's approval first (202 with
/// the approval); once approved, the same request queues it. The same list from the same person
/// while its job is unfinished answers 200 with that job. Operators only.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "keydesk", request_body = JobBody,
    responses((status = 201, description = "Queued: the job", body = Object),
              (status = 200, description = "This list's job is already queued or running", body = Object),
              (status = 202, description = "The list waits for a second approver's approval", body = Object),
              (status = 400, description = "Not a job", body = crate::api::ErrorBody),
              (status = 403, description = "Not an operator", body = crate::api::ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn submit_job(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<JobBody>,
) -> Result<Response, ApiError> {
    if body.kind != keydesk_service::jobs::BULK_UNLOCK {
        return Err(ApiError::bad_request(format!(
            "kind '{}': the only kind is bulk_unlock",
            body.kind
        )));
    }
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let submitted = state
        .service
        .submit_bulk_unlock(&actor, &body.users, body.delivery.as_deref())
        .await?;
    let (status, body) = match submitted {
        Submitted::Queued(job) => {
            let view = state.service.job(&job.id).await?;
            (
                StatusCode::CREATED,
                json!({"status": "queued", "job": job_json(&view, false)}),
            )
        }
        Submitted::AlreadyQueued(job) => {
            let view = state.service.job(&job.id).await?;
            (
                StatusCode::OK,
                json!({"status": "already_queued", "job": job_json(&view, false)}),
            )
        }
        Submitted::NeedsApproval(approval) => (
            StatusCode::ACCEPTED,
            json!({
                "status": "pending_approval",
                "explanation": format!(
                    "Users on this list need a verification or an approval: the list as a whole waits for {}. Once approved, submit the same list again.",
                    approval.approvers
                ),
                "approval": approval_json(&approval),
            }),
        ),
    };
    metrics::counter!("keydesk_jobs_submitted_total", "status" => body["status"].as_str().unwrap_or("").to_string()).increment(1);
    Ok((status, Json(body)).into_response())
}

/// A job: its status, counts per item status and each item. Operators only.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "keydesk",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job", body = Object),
              (status = 403, description = "Not an operator", body = crate::api::ErrorBody),
              (status = 404, description = "No such job", body = crate::api::ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let view = state.service.job(&id).await?;
    Ok(Json(job_json(&view, true)))
}

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListJobs {
    /// How many of the newest jobs (1 to 200, default 50).
    pub limit: Option<i64>,
}

/// The newest jobs, newest first, with their counts per item status. Operators only.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "keydesk", params(ListJobs),
    responses((status = 200, description = "The jobs", body = Object),
              (status = 403, description = "Not an operator", body = crate::api::ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListJobs>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let jobs = state.service.jobs(params.limit.unwrap_or(50)).await?;
    Ok(Json(json!({
        "jobs": jobs.iter().map(|view| job_json(view, false)).collect::<Vec<_>>(),
    })))
}

/// Cancels a job: the items no instance has claimed yet will not run (they end as
/// `cancelled`); items in flight finish. Audited first. Operators only.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "keydesk",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job after cancelling, and how many items were cancelled", body = Object),
              (status = 403, description = "Not an operator", body = crate::api::ErrorBody),
              (status = 404, description = "No such job", body = crate::api::ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let (view, cancelled) = state.service.cancel_job(&actor, &id).await?;
    metrics::counter!("keydesk_jobs_cancelled_items_total").increment(cancelled);
    Ok(Json(json!({
        "cancelled": cancelled,
        "job": job_json(&view, false),
    })))
}
