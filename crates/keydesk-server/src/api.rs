//! The REST API under `/api/v1`, sign-in under `/auth`, the one-time reveal, health, metrics and
//! `/openapi.json`.
//!
//! Every handler takes the caller (a session with its CSRF token, or a bearer token), reads who
//! they are from the directory, and hands the work to the service. Answers are JSON; errors are
//! `{"error": {"code", "message", "hint"}}`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keydesk_ops::Report;
use keydesk_ops::guarded::Actor;
use keydesk_planner::Step;
use keydesk_policy::{Origin, PrincipalKind};
use keydesk_service::{Delivery, Secret, StepResult};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{Caller, Session, Via, session_cookie};
use crate::error::{ApiError, json_rejection};

/// Routes behind the rate limiter.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/requests", post(submit_request))
        .route("/api/v1/steps/preview", post(preview_step))
        .route("/api/v1/steps/execute", post(execute_step))
        .route("/api/v1/approvals", get(list_approvals))
        .route("/api/v1/approvals/{id}", get(get_approval))
        .route("/api/v1/approvals/{id}/approve", post(approve))
        .route("/api/v1/approvals/{id}/deny", post(deny))
        .route("/api/v1/verifications", post(start_verification))
        .route("/api/v1/verifications/confirm", post(confirm_verification))
        .route(
            "/api/v1/investigations",
            get(list_investigations).post(start_investigation),
        )
        .route("/api/v1/investigations/{id}", get(get_investigation))
        .route(
            "/api/v1/investigations/{id}/report",
            get(investigation_report),
        )
        .route("/api/v1/audit", get(audit_records))
        .route("/api/v1/audit/export", get(audit_export))
        .route("/api/v1/audit/verify", get(audit_verify))
        .route("/api/v1/users/{user}/history", get(user_history))
        .route("/api/v1/reveals/{token}", post(take_reveal))
        .route("/auth/demo", get(demo_people).post(demo_sign_in))
        .route("/auth/logout", post(sign_out))
        .route("/auth/login", get(crate::oidc::login))
        .route("/auth/callback", get(crate::oidc::callback))
        .merge(crate::jobs_api::routes())
}

/// Routes outside the rate limiter (probes and scrapers).
pub fn open_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keydesk",
        description = "keydesk's HTTP API: plain-language requests, guarded execution, approvals, end-user verification, investigations, the audit log and per-user history. Every change goes through keydesk's policy, approvals and tamper-evident audit log.",
        version = "1"
    ),
    paths(
        me, submit_request, preview_step, execute_step, list_approvals, get_approval, approve,
        deny, start_verification, confirm_verification, list_investigations, start_investigation,
        get_investigation, investigation_report, audit_records, audit_export, audit_verify,
        user_history, take_reveal, demo_people, demo_sign_in, sign_out, health, ready, metrics,
        crate::jobs_api::submit_job, crate::jobs_api::get_job, crate::jobs_api::list_jobs,
        crate::jobs_api::cancel_job
    ),
    components(schemas(
        ErrorBody, ErrorDetail, RequestBody, StepBody, ExecuteBody, DecisionBody,
        VerificationStart, VerificationConfirm, InvestigationBody, DemoSignIn,
        crate::jobs_api::JobBody
    )),
    modifiers(&Security),
    tags((name = "keydesk"))
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "entra",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An Entra ID access token for keydesk's API (delegated: the person's upn)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("keydesk_session"))),
        );
    }
}

/// The document at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// An error.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation of the body ApiError writes
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ErrorDetail {
    /// A stable machine-readable code.
    code: String,
    message: String,
    hint: Option<String>,
}

/// A request in plain language.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// What is needed, e.g. "unlock alex, he is locked out".
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
}

/// One plan step (as `POST /api/v1/requests` returns them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// An action of keydesk's vocabulary, e.g. `password_reset`.
    #[schema(example = "unlock_account")]
    pub action: String,
    /// The user (UPN, mail or name).
    pub target: Option<String>,
    /// The action's parameters.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
}

/// Run a step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {
    pub step: StepBody,
    /// Where a temporary credential goes: `manager` (default), `reveal` (shown once to you),
    /// a person's UPN, or `sms:+15551234567`.
    pub delivery: Option<String>,
}

/// An approval decision.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Why (kept in the audit log).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Send a verification code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationStart {
    /// The user to verify.
    pub user: String,
    /// `auto` (default), `sms`, `email` or `manager`.
    pub method: Option<String>,
}

/// Confirm a verification code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationConfirm {
    pub user: String,
    /// The 8-digit code the user read back.
    pub code: String,
}

/// Investigate a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvestigationBody {
    pub user: String,
    /// Days of evidence, 1 to 30 (default 7).
    #[schema(minimum = 1, maximum = 30)]
    pub days: Option<i64>,
}

/// The demo sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoSignIn {
    /// One of the demo tenant's people (see `GET /auth/demo`).
    pub upn: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListApprovals {
    /// Include decided and expired requests.
    pub all: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditPage {
    /// Records after this sequence number (default: the newest page).
    pub after: Option<i64>,
    /// At most this many (1 to 1000, default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportFormatParam {
    /// `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryParams {
    /// Days back (1 to 90, default 30).
    pub days: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportFormat {
    /// `html` (default), `md` or `json`.
    pub format: Option<String>,
}

/// A JSON body, with axum's rejection turned into an API error.
pub struct Body<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// An optional JSON body: empty is the default.
pub struct OptionalBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for OptionalBody<T>
where
    T: serde::de::DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0")
            || !req.headers().contains_key(header::CONTENT_TYPE);
        if empty {
            return Ok(OptionalBody(T::default()));
        }
        let result: Result<Json<T>, JsonRejection> = Json::from_request(req, state).await;
        match result {
            Ok(Json(value)) => Ok(OptionalBody(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// Reads who the caller is, as the directory knows them now.
pub async fn actor(state: &AppState, caller: &Caller) -> Result<Actor, ApiError> {
    let origin = match caller.via {
        Via::Session | Via::Bearer => Origin::Api,
    };
    state
        .service
        .actor(&caller.upn, origin)
        .await
        .map_err(|error| match error {
            keydesk_service::Error::Ops(keydesk_ops::Error::UserNotFound { .. }) => {
                ApiError::forbidden("the signed-in person is not in this tenant's directory")
            }
            other => other.into(),
        })
}

pub(crate) fn operator(actor: &Actor) -> Result<(), ApiError> {
    if actor.principal.kind == PrincipalKind::Operator {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} is not a helpdesk operator",
            actor.principal.upn
        )))
    }
}

/// A report as JSON (the `reveal` secret is never serialized).
pub fn report_json(report: &Report) -> Value {
    serde_json::to_value(report).unwrap_or(Value::Null)
}

/// The answer to running a step, with the status that fits. A temporary credential asked for
/// with `reveal` is kept for one viewing by `owner`; the answer carries only its link.
pub fn step_result_json(state: &AppState, owner: &str, result: StepResult) -> (StatusCode, Value) {
    step_result_body(result, &mut |what, secret| {
        reveal_link(state, owner, what, secret)
    })
}

/// Keeps `secret` for one viewing by `owner` and describes its link (never the secret).
pub fn reveal_link(state: &AppState, owner: &str, what: &str, secret: Secret) -> Value {
    let token = state.reveals.keep(owner, what, secret);
    json!({
        "url": format!("{}/reveal/{token}", state.public_url),
        "api": format!("/api/v1/reveals/{token}"),
        "expiresInSeconds": keydesk_service::reveal::REVEAL_TTL.as_secs(),
        "note": "shown once, only to you"
    })
}

/// [`step_result_json`] with the reveal left to the caller: `reveal` receives what the secret is
/// ("temporary password", "Temporary Access Pass") and the secret, and returns what the answer
/// says about it (a one-time link, or why it was withheld). The secret itself is never put in
/// the answer.
pub fn step_result_body(
    result: StepResult,
    reveal: &mut dyn FnMut(&str, Secret) -> Value,
) -> (StatusCode, Value) {
    match result {
        StepResult::Done {
            report,
            reveal: secret,
        } => {
            let mut body =
                json!({"status": outcome_status(&report), "report": report_json(&report)});
            if let Some(secret) = secret {
                let what = if report.action == "issue_tap" || report.action == "mfa_reset" {
                    "Temporary Access Pass"
                } else {
                    "temporary password"
                };
                body["reveal"] = reveal(what, secret);
            }
            (StatusCode::OK, body)
        }
        StepResult::Pending {
            report,
            decision,
            approval,
        } => {
            let missing: Vec<Value> = decision
                .missing
                .iter()
                .map(|m| match m {
                    keydesk_policy::Missing::Approval { from } => {
                        json!({"kind": "approval", "from": from})
                    }
                    keydesk_policy::Missing::Verification { .. } => {
                        json!({"kind": "verification", "of": report.target})
                    }
                })
                .collect();
            let status = if approval.is_some() {
                "pending_approval"
            } else {
                "needs_verification"
            };
            (
                StatusCode::ACCEPTED,
                json!({
                    "status": status,
                    "explanation": keydesk_policy::explain(&decision).trim_end(),
                    "missing": missing,
                    "approval": approval.map(|a| approval_json(&a)),
                    "plan": report_json(&report),
                }),
            )
        }
        StepResult::Denied { report, decision } => (
            StatusCode::FORBIDDEN,
            json!({
                "status": "denied",
                "explanation": keydesk_policy::explain(&decision).trim_end(),
                "reasons": decision.reasons,
                "plan": report_json(&report),
            }),
        ),
        StepResult::Investigated(investigation) => (
            StatusCode::OK,
            json!({
                "status": "done",
                "investigation": investigation_json(&investigation),
            }),
        ),
    }
}

pub(crate) fn outcome_status(report: &Report) -> &'static str {
    match report.outcome {
        keydesk_ops::Outcome::Done => "done",
        keydesk_ops::Outcome::NothingToDo => "nothing_to_do",
        keydesk_ops::Outcome::Planned => "planned",
        keydesk_ops::Outcome::Refused => "refused",
        keydesk_ops::Outcome::Info => "info",
        keydesk_ops::Outcome::Failed => "failed",
    }
}

pub fn approval_json(a: &keydesk_guard::state::ApprovalRecord) -> Value {
    json!({
        "id": a.id,
        "status": a.status.as_str(),
        "action": a.action,
        "target": a.target,
        "requester": a.requester,
        "summary": a.summary,
        "plan": a.plan.lines().collect::<Vec<_>>(),
        "approvers": a.approvers,
        "planHash": a.plan_hash,
        "createdAt": rfc3339(a.created_at),
        "expiresAt": rfc3339(a.expires_at),
        "decidedBy": a.decided_by,
        "decidedAt": a.decided_at.map(rfc3339),
        "usedBy": a.used_by,
    })
}

pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub fn investigation_json(i: &keydesk_service::Investigation) -> Value {
    json!({
        "id": i.id,
        "user": i.user,
        "days": i.days,
        "by": i.by,
        "verdict": i.verdict,
        "result": i.result,
        "report": format!("/api/v1/investigations/{}/report", i.id),
    })
}

pub(crate) fn parse_step(body: StepBody) -> Result<Step, ApiError> {
    let action: keydesk_planner::Action = body.action.parse().map_err(|_| {
        ApiError::bad_request(format!("'{}' is not one of keydesk's actions", body.action))
    })?;
    for key in body.params.keys() {
        if !keydesk_planner::PARAM_KEYS.contains(&key.as_str()) {
            return Err(ApiError::bad_request(format!(
                "'{key}' is not a step parameter"
            )));
        }
    }
    let target = body.target.map(|t| t.trim().to_string());
    if target
        .as_deref()
        .is_some_and(|t| t.is_empty() || t.len() > 256)
    {
        return Err(ApiError::bad_request(
            "the target must be 1 to 256 characters",
        ));
    }
    Ok(Step {
        action,
        target,
        params: body.params,
    })
}

pub(crate) fn parse_delivery(text: Option<&str>) -> Result<Option<Delivery>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    Ok(Some(match text {
        t if t.eq_ignore_ascii_case("manager") => Delivery::Manager,
        t if t.eq_ignore_ascii_case("reveal") => Delivery::Reveal,
        t => match t.strip_prefix("sms:") {
            Some(phone) if phone.starts_with('+') && phone.len() <= 20 => {
                Delivery::Sms(phone.to_string())
            }
            Some(_) => {
                return Err(ApiError::bad_request(
                    "an SMS delivery needs a phone number in international format: sms:+15551234567",
                ));
            }
            None if t.len() <= 256 => Delivery::MailTo(t.to_string()),
            None => return Err(ApiError::bad_request("the delivery is too long")),
        },
    }))
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "keydesk",
    responses((status = 200, description = "The signed-in person as the policy sees them", body = Object),
              (status = 401, description = "Not signed in", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    Ok(Json(json!({
        "upn": actor.principal.upn,
        "kind": match actor.principal.kind { PrincipalKind::Operator => "operator", PrincipalKind::Employee => "employee" },
        "directoryRoles": actor.principal.directory_roles,
        "groups": actor.principal.groups,
        "csrf": caller.csrf,
        "demo": state.is_demo(),
    })))
}

/// Plans a request in plain language and shows each step's policy status.
#[utoipa::path(post, path = "/api/v1/requests", tag = "keydesk", request_body = RequestBody,
    responses((status = 200, description = "The plan, or a clarifying question, with each step's policy status", body = Object),
              (status = 400, description = "Empty or too long", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn submit_request(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RequestBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    let preview = state.service.preview(&actor, &body.text).await?;
    Ok(Json(serde_json::to_value(&preview).unwrap_or(Value::Null)))
}

/// The policy's answer for one step now, without running it.
#[utoipa::path(post, path = "/api/v1/steps/preview", tag = "keydesk", request_body = StepBody,
    responses((status = 200, description = "The step's policy status", body = Object),
              (status = 400, description = "Not a step", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn preview_step(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<StepBody>,
) -> Result<Json<Value>, ApiError> {
    let step = parse_step(body)?;
    let actor = actor(&state, &caller).await?;
    let preview = state.service.preview_step(&actor, &step).await;
    Ok(Json(serde_json::to_value(&preview).unwrap_or(Value::Null)))
}

/// Runs one step through the guard: executed (200), waiting for an approval or a verification
/// (202, with the approval's id), or denied (403).
#[utoipa::path(post, path = "/api/v1/steps/execute", tag = "keydesk", request_body = ExecuteBody,
    responses((status = 200, description = "Done (or read, or nothing to do): the report", body = Object),
              (status = 202, description = "Waiting for an approval or a verification", body = Object),
              (status = 403, description = "Denied by policy", body = Object),
              (status = 404, description = "No such user or group", body = ErrorBody),
              (status = 409, description = "Ambiguous: say which one", body = ErrorBody),
              (status = 422, description = "Refused, with what to do instead", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn execute_step(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<ExecuteBody>,
) -> Result<Response, ApiError> {
    let delivery = parse_delivery(body.delivery.as_deref())?;
    let step = parse_step(body.step)?;
    let actor = actor(&state, &caller).await?;
    let result = state.service.run_step(&actor, &step, delivery).await?;
    let (status, body) = step_result_json(&state, &actor.principal.upn, result);
    metrics::counter!("keydesk_steps_total", "action" => step.action.as_str(), "status" => body["status"].as_str().unwrap_or("").to_string()).increment(1);
    Ok((status, Json(body)).into_response())
}

/// Approval requests: the waiting ones, or all with `all=true`. Operators only.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "keydesk", params(ListApprovals),
    responses((status = 200, description = "Approval requests", body = Object),
              (status = 403, description = "Not an operator", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn list_approvals(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListApprovals>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let approvals = state.service.approvals(query.all.unwrap_or(false)).await?;
    Ok(Json(json!({
        "approvals": approvals.iter().map(approval_json).collect::<Vec<_>>()
    })))
}

/// One approval request.
#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "keydesk",
    params(("id" = String, Path, description = "The approval's id")),
    responses((status = 200, description = "The approval request", body = Object),
              (status = 404, description = "No such approval", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn get_approval(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    let approval = state.service.approval(&id).await?;
    if actor.principal.kind != PrincipalKind::Operator
        && !approval
            .requester
            .eq_ignore_ascii_case(&actor.principal.upn)
    {
        return Err(ApiError::not_found(format!("no approval request '{id}'")));
    }
    Ok(Json(approval_json(&approval)))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
    reason: Option<String>,
) -> Result<Json<Value>, ApiError> {
    if reason.as_deref().is_some_and(|r| r.len() > 500) {
        return Err(ApiError::bad_request(
            "the reason is longer than 500 characters",
        ));
    }
    let actor = actor(state, caller).await?;
    let record = state
        .service
        .decide(&actor, id, approve, reason.as_deref())
        .await?;
    Ok(Json(approval_json(&record)))
}

/// Approves a request (never your own, never one about you). The requester then executes the
/// same step again.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = "keydesk",
    params(("id" = String, Path, description = "The approval's id")), request_body(content = DecisionBody, content_type = "application/json"),
    responses((status = 200, description = "Approved", body = Object),
              (status = 404, description = "No such approval", body = ErrorBody),
              (status = 422, description = "Refused (your own request, not an approver, already decided)", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalBody(body): OptionalBody<DecisionBody>,
) -> Result<Json<Value>, ApiError> {
    decide(&state, &caller, &id, true, body.reason).await
}

/// Denies a request.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/deny", tag = "keydesk",
    params(("id" = String, Path, description = "The approval's id")), request_body(content = DecisionBody, content_type = "application/json"),
    responses((status = 200, description = "Denied", body = Object),
              (status = 404, description = "No such approval", body = ErrorBody),
              (status = 422, description = "Refused", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn deny(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalBody(body): OptionalBody<DecisionBody>,
) -> Result<Json<Value>, ApiError> {
    decide(&state, &caller, &id, false, body.reason).await
}

/// Sends a one-time code to the user (their phone, e-mail method or manager).
#[utoipa::path(post, path = "/api/v1/verifications", tag = "keydesk", request_body = VerificationStart,
    responses((status = 200, description = "Code sent", body = Object),
              (status = 404, description = "No such user", body = ErrorBody),
              (status = 422, description = "Refused", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn start_verification(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<VerificationStart>,
) -> Result<Json<Value>, ApiError> {
    let channel = verification_channel(body.method.as_deref())?;
    let actor = actor(&state, &caller).await?;
    let report = state
        .service
        .verify_start(&actor, &body.user, channel)
        .await?;
    Ok(Json(report_json(&report)))
}

/// The verification channel named `method` (`auto` when none).
pub fn verification_channel(
    method: Option<&str>,
) -> Result<keydesk_ops::verify::Channel, ApiError> {
    use keydesk_ops::verify::Channel;
    Ok(
        match method.map(|m| m.trim().to_ascii_lowercase()).as_deref() {
            None | Some("auto") => Channel::Auto,
            Some("sms") => Channel::Sms,
            Some("email") => Channel::Email,
            Some("manager") => Channel::Manager,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "method '{other}': use auto, sms, email or manager"
                )));
            }
        },
    )
}

/// Checks the code the user read back.
#[utoipa::path(post, path = "/api/v1/verifications/confirm", tag = "keydesk", request_body = VerificationConfirm,
    responses((status = 200, description = "Verified", body = Object),
              (status = 422, description = "Wrong or expired code", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn confirm_verification(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<VerificationConfirm>,
) -> Result<Json<Value>, ApiError> {
    if body.code.len() > 32 {
        return Err(ApiError::bad_request("that is not a verification code"));
    }
    let actor = actor(&state, &caller).await?;
    let report = state
        .service
        .verify_confirm(&actor, &body.user, &body.code)
        .await?;
    Ok(Json(report_json(&report)))
}

/// Investigations run on this server, newest first. Operators only.
#[utoipa::path(get, path = "/api/v1/investigations", tag = "keydesk",
    responses((status = 200, description = "Investigations", body = Object)),
    security(("entra" = []), ("session" = [])))]
pub async fn list_investigations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let kept = state.service.investigations().await?;
    Ok(Json(json!({
        "investigations": kept.iter().map(investigation_json).collect::<Vec<_>>()
    })))
}

/// Investigates a possibly compromised account: evidence preserved and hashed in the audit log,
/// detections, verdict and the containment plan.
#[utoipa::path(post, path = "/api/v1/investigations", tag = "keydesk", request_body = InvestigationBody,
    responses((status = 200, description = "The investigation", body = Object),
              (status = 404, description = "No such user", body = ErrorBody),
              (status = 422, description = "Refused by policy", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn start_investigation(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<InvestigationBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    let investigation = state
        .service
        .investigate(&actor, &body.user, body.days.unwrap_or(7))
        .await?;
    Ok(Json(investigation_json(&investigation)))
}

/// One investigation.
#[utoipa::path(get, path = "/api/v1/investigations/{id}", tag = "keydesk",
    params(("id" = String, Path, description = "The investigation's id")),
    responses((status = 200, description = "The investigation", body = Object),
              (status = 404, description = "No such investigation", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn get_investigation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    Ok(Json(investigation_json(
        &state.service.investigation(&id).await?,
    )))
}

/// The incident report: self-contained HTML (default), Markdown or JSON.
#[utoipa::path(get, path = "/api/v1/investigations/{id}/report", tag = "keydesk",
    params(("id" = String, Path, description = "The investigation's id"), ReportFormat),
    responses((status = 200, description = "The report", content_type = "text/html"),
              (status = 404, description = "No such investigation", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn investigation_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(format): Query<ReportFormat>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let investigation = state.service.investigation(&id).await?;
    Ok(match format.format.as_deref().unwrap_or("html") {
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            investigation.html,
        )
            .into_response(),
        "md" | "markdown" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            investigation.markdown,
        )
            .into_response(),
        "json" => Json(investigation.result).into_response(),
        other => {
            return Err(ApiError::bad_request(format!(
                "format '{other}': use html, md or json"
            )));
        }
    })
}

/// A page of the audit log (operators only), with each record's hash chain fields.
#[utoipa::path(get, path = "/api/v1/audit", tag = "keydesk", params(AuditPage),
    responses((status = 200, description = "Audit records", body = Object),
              (status = 403, description = "Not an operator", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn audit_records(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<AuditPage>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let store = state.service.guard().audit();
    let after = match page.after {
        Some(after) if after >= 0 => after,
        Some(_) => return Err(ApiError::bad_request("after must be 0 or more")),
        None => {
            let head = store
                .head()
                .await
                .map_err(|e| ApiError::unavailable("the audit log could not be read", &e))?;
            head.map(|h| (h.seq - i64::from(limit)).max(0)).unwrap_or(0)
        }
    };
    let records = store
        .records(keydesk_audit::Page {
            after_seq: after,
            limit,
        })
        .await
        .map_err(|e| ApiError::unavailable("the audit log could not be read", &e))?;
    let next = records.last().map(|r| r.seq);
    Ok(Json(json!({
        "records": records,
        "next": next,
    })))
}

/// The whole audit log as JSON lines or CSV (operators only).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "keydesk", params(ExportFormatParam),
    responses((status = 200, description = "The audit log", content_type = "application/x-ndjson"),
              (status = 403, description = "Not an operator", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn audit_export(
    State(state): State<AppState>,
    caller: Caller,
    Query(format): Query<ExportFormatParam>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let (format, content_type) = match format.format.as_deref().unwrap_or("jsonl") {
        "jsonl" => (keydesk_audit::ExportFormat::Jsonl, "application/x-ndjson"),
        "csv" => (keydesk_audit::ExportFormat::Csv, "text/csv; charset=utf-8"),
        other => {
            return Err(ApiError::bad_request(format!(
                "format '{other}': use jsonl or csv"
            )));
        }
    };
    let mut out: Vec<u8> = Vec::new();
    keydesk_audit::export(state.service.guard().audit(), format, &mut out)
        .await
        .map_err(|e| ApiError::unavailable("the audit log could not be exported", &e))?;
    Ok(([(header::CONTENT_TYPE, content_type)], out).into_response())
}

/// Verifies the audit log's hash chain (operators only).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "keydesk",
    responses((status = 200, description = "The verification report", body = Object),
              (status = 403, description = "Not an operator", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn audit_verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&state, &caller).await?;
    operator(&actor)?;
    let report = keydesk_audit::verify(state.service.guard().audit())
        .await
        .map_err(|e| ApiError::unavailable("the audit log could not be verified", &e))?;
    Ok(Json(serde_json::to_value(&report).unwrap_or(Value::Null)))
}

/// One user's history: keydesk's records, the tenant's directory audits and sign-ins. Operators see
/// anyone's; an employee sees their own.
#[utoipa::path(get, path = "/api/v1/users/{user}/history", tag = "keydesk",
    params(("user" = String, Path, description = "UPN, mail or name"), HistoryParams),
    responses((status = 200, description = "The timeline, newest first", body = Object),
              (status = 404, description = "No such user", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn user_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(user): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<Value>, ApiError> {
    if user.is_empty() || user.len() > 256 {
        return Err(ApiError::bad_request(
            "the user must be 1 to 256 characters",
        ));
    }
    let actor = actor(&state, &caller).await?;
    let found = state
        .service
        .history(&user, params.days.unwrap_or(30))
        .await;
    if actor.principal.kind != PrincipalKind::Operator {
        // An employee learns nothing about anyone else, not even whether they exist.
        return match found {
            Ok((upn, rows)) if upn.eq_ignore_ascii_case(&actor.principal.upn) => {
                Ok(Json(json!({"user": upn, "events": rows})))
            }
            Ok(_) | Err(keydesk_service::Error::Ops(keydesk_ops::Error::UserNotFound { .. })) => {
                Err(ApiError::forbidden(
                    "an employee sees only their own history",
                ))
            }
            Err(error) => Err(error.into()),
        };
    }
    let (upn, rows) = found?;
    Ok(Json(json!({"user": upn, "events": rows})))
}

/// Shows a temporary credential once, to the person who asked for it.
#[utoipa::path(post, path = "/api/v1/reveals/{token}", tag = "keydesk",
    params(("token" = String, Path, description = "The reveal link's token")),
    responses((status = 200, description = "The secret (once)", body = Object),
              (status = 410, description = "Already shown, expired, or not yours", body = ErrorBody)),
    security(("entra" = []), ("session" = [])))]
pub async fn take_reveal(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    match state.reveals.take(&token, &caller.upn) {
        Ok((what, secret)) => Ok((
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"what": what, "secret": secret.expose()})),
        )
            .into_response()),
        Err(gone) => Err(ApiError::new(StatusCode::GONE, "gone", gone.to_string())),
    }
}

/// The people the demo sign-in offers (demo tenant only).
#[utoipa::path(get, path = "/auth/demo", tag = "keydesk",
    responses((status = 200, description = "The demo tenant's people", body = Object),
              (status = 404, description = "Not running on the demo tenant", body = ErrorBody)))]
pub async fn demo_people(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let demo = state
        .demo
        .as_ref()
        .ok_or_else(|| ApiError::not_found("the demo sign-in exists only on the demo tenant"))?;
    Ok(Json(json!({"demo": true, "people": demo.people})))
}

/// Signs in as one of the demo tenant's people (demo tenant only). Sets the session cookie;
/// the answer carries the CSRF token for the session's state-changing requests.
#[utoipa::path(post, path = "/auth/demo", tag = "keydesk", request_body = DemoSignIn,
    responses((status = 200, description = "Signed in", body = Object),
              (status = 303, description = "Signed in (form post): to the console"),
              (status = 403, description = "Not a demo person", body = ErrorBody),
              (status = 404, description = "Not running on the demo tenant", body = ErrorBody)))]
pub async fn demo_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let demo = state
        .demo
        .as_ref()
        .ok_or_else(|| ApiError::not_found("the demo sign-in exists only on the demo tenant"))?;
    same_origin(&headers)?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let upn = if is_form {
        let axum::extract::Form(form) =
            axum::extract::Form::<DemoSignIn>::from_request(request, &())
                .await
                .map_err(|_| ApiError::bad_request("choose a person"))?;
        form.upn
    } else {
        let Body(body) = Body::<DemoSignIn>::from_request(request, &()).await?;
        body.upn
    };
    let person = demo
        .people
        .iter()
        .find(|p| p.upn.eq_ignore_ascii_case(upn.trim()))
        .ok_or_else(|| {
            ApiError::forbidden("the demo sign-in offers only the demo tenant's people")
        })?;
    let session = Session::new(&person.upn, "demo");
    let cookie = session_cookie(Some(&state.sessions.issue(&session)));
    if is_form {
        return Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response());
    }
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({"upn": person.upn, "csrf": session.csrf})),
    )
        .into_response())
}

use axum::extract::FromRequest;

/// A sign-in post must come from this server's own pages (when the browser says where from).
/// `Sec-Fetch-Site`, which a page cannot forge, answers first; a browser that sends no such
/// header is judged by `Origin` (a page whose referrer policy is `no-referrer` sends `null`).
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return if matches!(site, "same-origin" | "none") {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "a sign-in from another site is refused",
            ))
        };
    }
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return Ok(());
    };
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    if origin == "null" || !origin_host.eq_ignore_ascii_case(host) {
        return Err(ApiError::forbidden(
            "a sign-in from another site is refused",
        ));
    }
    Ok(())
}

/// Ends the session.
#[utoipa::path(post, path = "/auth/logout", tag = "keydesk",
    responses((status = 200, description = "Signed out", body = Object)),
    security(("session" = [])))]
pub async fn sign_out(_caller: Caller) -> Response {
    (
        [(header::SET_COOKIE, session_cookie(None))],
        Json(json!({"signedOut": true})),
    )
        .into_response()
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "keydesk",
    responses((status = 200, description = "The process is up", body = Object)))]
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: the audit log and the approvals tables answer.
#[utoipa::path(get, path = "/readyz", tag = "keydesk",
    responses((status = 200, description = "Ready", body = Object),
              (status = 503, description = "The audit log or the approvals tables do not answer", body = ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let guard = state.service.guard();
    guard
        .audit()
        .head()
        .await
        .map_err(|e| ApiError::unavailable("the audit log does not answer", &e))?;
    guard
        .state()
        .list_approvals(false)
        .await
        .map_err(|e| ApiError::unavailable("the approvals tables do not answer", &e))?;
    Ok(Json(json!({"status": "ready"})))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "keydesk",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// This API's OpenAPI 3.1 document.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}

/// Anything else.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such page or API route")
}
