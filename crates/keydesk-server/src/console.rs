//! The web console: server-rendered pages (maud) with a little htmx, served by the same app as
//! the API and under the same headers (CSP `'self'`: no inline script, nothing from elsewhere).
//!
//! - `/`: the demo sign-in when signed out; signed in, the request box (a chat of plain-language
//!   requests, each answered with the plan and every step's policy status, a Confirm button per
//!   step, the delivery choice, and the verification form when the policy wants one).
//! - `/approvals`: the approvals inbox (approve or deny; `?all=true` for decided ones too).
//! - `/jobs`: the bulk jobs every instance works on, their progress, and Cancel.
//! - `/audit`: the audit log with its hash chain and whether the chain is intact.
//! - `/history?user=`: one person's timeline (keydesk's records, the tenant's directory audits, sign-ins).
//! - `/investigations`, `/investigations/{id}`: start an investigation, read its incident report.
//! - `/self`: an employee's own account and self-service requests.
//! - `/reveal/{token}`: a temporary credential, shown once to the person who asked for it.
//!
//! Fragments (`/console/...`) are what htmx posts to. Every state-changing request carries the
//! session's CSRF token in `X-CSRF-Token` (htmx sends it from `hx-headers` on `<body>`); the
//! [`Caller`] extractor refuses one without it. Handlers call the service exactly as the API does:
//! the console adds nothing the API could not do. maud escapes every value it renders.

use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keydesk_audit::AuditRecord;
use keydesk_guard::state::{ApprovalRecord, ApprovalStatus};
use keydesk_ops::Report;
use keydesk_ops::guarded::Actor;
use keydesk_planner::{Action, Step};
use keydesk_policy::PrincipalKind;
use keydesk_service::{Preview, StepPreview, StepResult};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::api::{self, StepBody};
use crate::auth::{Caller, MaybeCaller, session_cookie};
use crate::error::ApiError;

const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");
const CSS: &[u8] = include_bytes!("../assets/console.css");
const JS: &[u8] = include_bytes!("../assets/console.js");
/// htmx without its injected styles, `eval` or script tags in swapped content.
/// Error answers (an expired session, a refused token) are shown where the answer would go.
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}"#;

/// The console's pages, fragments and assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/self", get(self_service))
        .route("/approvals", get(approvals))
        .route("/jobs", get(jobs))
        .route("/audit", get(audit))
        .route("/history", get(history))
        .route(
            "/investigations",
            get(investigations).post(start_investigation),
        )
        .route("/investigations/{id}", get(investigation))
        .route("/reveal/{token}", get(reveal_page).post(reveal_take))
        .route("/console/ask", post(ask))
        .route("/console/execute", post(execute))
        .route("/console/verify", post(verify_start))
        .route("/console/verify/confirm", post(verify_confirm))
        .route("/console/approvals/{id}/{decision}", post(decide))
        .route("/console/jobs/{id}/cancel", post(cancel_job))
        .route("/console/signout", post(sign_out))
        .route("/assets/htmx.min.js", get(htmx))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn htmx() -> Response {
    asset("text/javascript; charset=utf-8", HTMX)
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

// ------------------------------------------------------------------------------------------------
// The frame
// ------------------------------------------------------------------------------------------------

/// The signed-in person as the pages show them.
struct Viewer {
    upn: String,
    name: String,
    operator: bool,
    roles: Vec<String>,
    csrf: String,
    /// Approval requests waiting (operators).
    waiting: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Ask,
    SelfService,
    Approvals,
    Jobs,
    Audit,
    History,
    Investigations,
    None,
}

async fn viewer(state: &AppState, caller: &Caller) -> Result<(Viewer, Actor), ApiError> {
    let actor = api::actor(state, caller).await?;
    let operator = actor.principal.kind == PrincipalKind::Operator;
    let name = state
        .demo
        .as_ref()
        .and_then(|d| {
            d.people
                .iter()
                .find(|p| p.upn.eq_ignore_ascii_case(&caller.upn))
        })
        .map(|p| p.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| caller.upn.clone());
    let waiting = if operator {
        state
            .service
            .approvals(false)
            .await
            .map(|a| a.len())
            .unwrap_or(0)
    } else {
        0
    };
    Ok((
        Viewer {
            upn: actor.principal.upn.clone(),
            name,
            operator,
            roles: actor.principal.directory_roles.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            waiting,
        },
        actor,
    ))
}

fn demo_banner(state: &AppState) -> Markup {
    html! {
        @if let Some(demo) = &state.demo {
            div.demo-banner role="note" {
                strong { "Demo tenant" }
                span { "Contoso, served offline by keydesk's Graph emulator. Nothing here touches a real directory." }
                a #emulator-outbox href=(format!("{}/_emulator/outbox", demo.emulator_url))
                    data-emulator-url=(demo.emulator_url) target="_blank" rel="noopener" {
                    "What keydesk sent (the emulator's outbox)"
                }
            }
        }
    }
}

fn page(
    state: &AppState,
    viewer: Option<&Viewer>,
    nav: Nav,
    title: &str,
    body: Markup,
) -> Html<String> {
    let headers = viewer
        .map(|v| serde_json::json!({ "X-CSRF-Token": v.csrf }).to_string())
        .unwrap_or_else(|| "{}".into());
    let item = |target: Nav, href: &str, label: &str, count: usize| {
        html! {
            a.active[nav == target] href=(href) {
                (label)
                @if count > 0 { span.count title="waiting for a decision" { (count) } }
            }
        }
    };
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    // The server's `no-referrer` makes a form post's Origin `null`; the console's
                    // own pages send their origin to themselves, and nothing to other sites.
                    meta name="referrer" content="same-origin";
                    meta name="htmx-config" content=(HTMX_CONFIG);
                    title { (title) " · keydesk" }
                    link rel="stylesheet" href="/assets/console.css";
                    script src="/assets/htmx.min.js" defer {}
                    script src="/assets/console.js" defer {}
                }
                body hx-headers=(headers) {
                    (demo_banner(state))
                    header.top {
                        a.brand href="/" { "key" span { "desk" } }
                        @if let Some(v) = viewer {
                            nav.main {
                                @if v.operator {
                                    (item(Nav::Ask, "/", "Ask", 0))
                                    (item(Nav::Approvals, "/approvals", "Approvals", v.waiting))
                                    (item(Nav::Jobs, "/jobs", "Jobs", 0))
                                    (item(Nav::Audit, "/audit", "Audit log", 0))
                                    (item(Nav::History, "/history", "History", 0))
                                    (item(Nav::Investigations, "/investigations", "Investigations", 0))
                                    (item(Nav::SelfService, "/self", "My account", 0))
                                } @else {
                                    (item(Nav::SelfService, "/self", "My account", 0))
                                    (item(Nav::History, "/history", "My history", 0))
                                }
                            }
                            div.who {
                                span {
                                    span.name #signed-in-as data-upn=(v.upn) { (v.name) }
                                    " · "
                                    @if v.operator {
                                        span.roles title=(v.roles.join(", ")) {
                                            @match v.roles.first() {
                                                Some(role) => { (role) @if v.roles.len() > 1 { " +" (v.roles.len() - 1) } }
                                                None => { "operator" }
                                            }
                                        }
                                    } @else { "employee" }
                                }
                                button.link #sign-out hx-post="/console/signout" { "Sign out" }
                            }
                        }
                    }
                    main.wide[nav == Nav::Audit] { (body) }
                    footer.foot { "keydesk · every change passes the policy, approvals and the tamper-evident audit log" }
                }
            }
        }
        .into_string(),
    )
}

fn error_box(error: &ApiError) -> Markup {
    html! {
        div.error role="alert" {
            strong { (error.message) }
            @if let Some(hint) = &error.hint { p.hint { (hint) } }
        }
    }
}

fn error_page(state: &AppState, viewer: Option<&Viewer>, error: ApiError) -> Response {
    let status = error.status;
    let body = html! {
        h1 { "Not available" }
        (error_box(&error))
        p { a href="/" { "Back to the start" } }
    };
    (
        status,
        page(state, viewer, Nav::None, "Not available", body),
    )
        .into_response()
}

/// A fragment for a request whose caller was refused (no session, no CSRF token): the refusal's
/// status, so nothing downstream mistakes it for an answer.
fn rejected(error: ApiError) -> Response {
    (error.status, fragment(error_box(&error))).into_response()
}

fn fragment(markup: Markup) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(markup.into_string()),
    )
        .into_response()
}

/// A page's viewer, or the sign-in page / an error page.
async fn signed_in(
    state: &AppState,
    caller: Option<Caller>,
) -> Result<(Viewer, Actor), Box<Response>> {
    let Some(caller) = caller else {
        return Err(Box::new(Redirect::to("/").into_response()));
    };
    viewer(state, &caller)
        .await
        .map_err(|e| Box::new(error_page(state, None, e)))
}

fn when(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn when_unix(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(when)
        .unwrap_or_default()
}

fn label(action: &str) -> String {
    let words = action.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// A UPN's local part (the page shows the whole one on hover).
fn short_upn(upn: &str) -> &str {
    upn.split('@').next().unwrap_or(upn)
}

fn abbreviated(hash: &str) -> String {
    hash.chars().take(12).collect()
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON value as nested definition lists (bounded depth).
fn json_view(value: &Value, depth: usize) -> Markup {
    html! {
        @match value {
            Value::Object(map) if depth < 4 => {
                dl.kv {
                    @for (key, value) in map {
                        @if !value.is_null() {
                            dt { (label(key)) }
                            dd { (json_view(value, depth + 1)) }
                        }
                    }
                }
            }
            Value::Array(items) if depth < 4 && items.iter().any(|i| i.is_object() || i.is_array()) => {
                ol { @for item in items { li { (json_view(item, depth + 1)) } } }
            }
            Value::Object(_) | Value::Array(_) => { code { (value_text(value)) } }
            other => { (value_text(other)) }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Sign-in and the request box
// ------------------------------------------------------------------------------------------------

/// The demo cast's roles (demo-tenant.md), so a visitor knows whom to be.
fn demo_role(upn: &str) -> Option<&'static str> {
    let local = upn
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Some(match local.as_str() {
        "meganb" => "Global Administrator",
        "leeg" => "Helpdesk Administrator",
        "pattif" => "Privileged Authentication Administrator · Security Administrator",
        "nestorw" => "Global Administrator",
        _ => return None,
    })
}

fn sign_in_page(state: &AppState) -> Response {
    let body = html! {
        div.signin {
            h1 { "Sign in to keydesk" }
            @match &state.demo {
                Some(demo) => {
                    p.lede {
                        span.badge.demo { "Demo tenant" } " "
                        "Choose one of Contoso's people to act as. Operators get the request box, "
                        "approvals, the audit log and investigations; everyone else gets self-service. "
                        "The policy reads each person's roles from the directory on every request."
                    }
                    div.people {
                        @for person in &demo.people {
                            form method="post" action="/auth/demo" {
                                input type="hidden" name="upn" value=(person.upn);
                                button.person type="submit" data-upn=(person.upn) {
                                    span.name { (person.name) }
                                    span.title { (person.title) }
                                    @if let Some(role) = demo_role(&person.upn) { span.role { (role) } }
                                    span.upn { (person.upn) }
                                }
                            }
                        }
                    }
                }
                None => {
                    div.card {
                        p { "This server is connected to a real tenant. Its console sign-in is not configured: "
                            "API callers present an Entra ID bearer token (see " a href="/openapi.json" { "/openapi.json" } ")." }
                    }
                }
            }
        }
    };
    page(state, None, Nav::None, "Sign in", body).into_response()
}

fn composer(examples: &[&str], placeholder: &str) -> Markup {
    html! {
        form.ask.composer hx-post="/console/ask" hx-target="#conversation" hx-swap="beforeend"
            hx-disabled-elt="find button[type=submit]" {
            div.row {
                textarea name="text" rows="2" maxlength="2000" required
                    placeholder=(placeholder) aria-label="Your request" {}
                button.primary type="submit" { "Ask" }
            }
            div.chips {
                @for example in examples {
                    button.chip type="button" data-fill=(example) { (example) }
                }
                span.htmx-indicator { "planning…" }
            }
        }
    }
}

async fn home(State(state): State<AppState>, MaybeCaller(caller): MaybeCaller) -> Response {
    if caller.is_none() {
        return sign_in_page(&state);
    }
    let (viewer, _) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if !viewer.operator {
        return Redirect::to("/self").into_response();
    }
    let body = html! {
        h1 { "What do you need?" }
        p.lede { "Ask in plain words. keydesk shows the plan and what the policy says about each step; "
                 "nothing changes until you confirm a step." }
        div.conversation #conversation {}
        (composer(
            &[
                "unlock AlexW, he is locked out",
                "why can't IsaiahL sign in?",
                "reset the password for NestorW",
                "issue a temporary access pass for TomB",
                "investigate JohannaL",
                "list locked accounts",
            ],
            "e.g. reset the password for NestorW",
        ))
    };
    page(&state, Some(&viewer), Nav::Ask, "Ask", body).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AskForm {
    text: String,
}

async fn ask(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<AskForm>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    let answer = match api::actor(&state, &caller).await {
        Ok(actor) => match state.service.preview(&actor, &form.text).await {
            Ok(preview) => plan_view(&preview),
            Err(error) => error_box(&error.into()),
        },
        Err(error) => error_box(&error),
    };
    fragment(html! {
        div.exchange {
            div.bubble.you { (form.text.trim()) }
            div.bubble.keydesk {
                div.from { "keydesk" }
                (answer)
            }
        }
    })
}

fn badges(preview: &StepPreview) -> Markup {
    let (class, text) = match preview.policy {
        "allow" => ("allow", "allowed"),
        "deny" => ("deny", "denied"),
        "needs_approval" => ("needs_approval", "needs approval"),
        "needs_verification" => ("needs_verification", "needs verification"),
        _ => ("deny", "cannot be checked"),
    };
    html! {
        span.badge.(class) data-policy=(preview.policy) { (text) }
        // Both missing: the policy names verification first; show the approval too.
        @if preview.policy == "needs_verification" && preview.missing.contains(&"approval") {
            " " span.badge.needs_approval data-policy="needs_approval" { "needs approval" }
        }
    }
}

fn delivers_credential(action: Action) -> bool {
    matches!(
        action,
        Action::PasswordReset | Action::IssueTap | Action::MfaReset | Action::CreateUser
    )
}

fn delivery_fieldset(step: &Step) -> Markup {
    let preset = step
        .params
        .get("deliver_to")
        .and_then(Value::as_str)
        .map(str::to_string);
    let (manager, person, value) = match preset.as_deref() {
        None => (true, false, String::new()),
        Some(to) if to.eq_ignore_ascii_case("manager") => (true, false, String::new()),
        Some(to) => (false, true, to.to_string()),
    };
    html! {
        fieldset.delivery {
            legend { "Deliver the temporary credential to" }
            label { input type="radio" name="delivery" value="manager" checked[manager]; " their manager" }
            label { input type="radio" name="delivery" value="person" checked[person]; " a named person " }
            input type="text" name="person" value=(value) placeholder="name@contoso.onmicrosoft.com"
                aria-label="The person who receives it";
            label { input type="radio" name="delivery" value="reveal"; " show it once to me" }
        }
    }
}

fn verify_start_form(user: &str) -> Markup {
    html! {
        form.verify hx-post="/console/verify" hx-swap="outerHTML" hx-disabled-elt="find button" {
            input type="hidden" name="user" value=(user);
            p { "Verify " strong { (user) } " first: keydesk sends them a one-time code, they read it back to you." }
            div.inline {
                select name="method" aria-label="How to reach them" {
                    option value="auto" { "their registered phone or e-mail" }
                    option value="sms" { "text message" }
                    option value="email" { "e-mail method" }
                    option value="manager" { "ask their manager" }
                }
                button.send-code type="submit" { "Send code" }
                span.htmx-indicator { "sending…" }
            }
        }
    }
}

fn plan_view(preview: &Preview) -> Markup {
    let exchange = keydesk_service::token("x", 4);
    let plan = &preview.plan;
    html! {
        @if let Some(question) = &plan.clarification {
            p.question { (question.question) }
            @if !question.candidates.is_empty() {
                ul { @for candidate in &question.candidates { li { code { (candidate) } } } }
                p.explanation { "Say which one, e.g. with their full user name." }
            }
        }
        @if let Some(explanation) = &plan.explanation { p { (explanation) } }
        @if plan.steps.is_empty() && plan.clarification.is_none() && plan.explanation.is_none() {
            p.empty { "There is nothing to do for that." }
        }
        @if !preview.steps.is_empty() {
            p { "Here is the plan (" (preview.steps.len()) " step" @if preview.steps.len() != 1 { "s" } "):" }
        }
        @for (index, step) in preview.steps.iter().enumerate() {
            (step_card(step, &format!("{exchange}-{index}")))
        }
    }
}

fn step_card(preview: &StepPreview, id: &str) -> Markup {
    let step = &preview.step;
    let step_json = serde_json::to_string(step).unwrap_or_default();
    let runnable = !matches!(preview.policy, "deny" | "unknown");
    let result_id = format!("{id}-result");
    html! {
        div.step #(id) data-action=(step.action.as_str()) data-policy=(preview.policy) {
            div.step-head {
                span.action { (label(step.action.as_str())) }
                @if let Some(target) = &step.target { span.target { (target) } }
                (badges(preview))
                @if !preview.change { span.badge { "read-only" } }
            }
            @if !step.params.is_empty() {
                dl.kv {
                    @for (key, value) in &step.params {
                        dt { (label(key)) } dd { (value_text(value)) }
                    }
                }
            }
            @if preview.policy != "allow" {
                @if preview.reasons.is_empty() {
                    p.explanation { (preview.explanation) }
                } @else {
                    ul.explanation.reasons { @for reason in &preview.reasons { li { (reason) } } }
                }
            }
            @if runnable {
                @if preview.missing.contains(&"verification") {
                    @if let Some(target) = &step.target { (verify_start_form(target)) }
                }
                form.run hx-post="/console/execute" hx-target=(format!("#{result_id}")) hx-swap="innerHTML"
                    hx-disabled-elt="find button[type=submit]" {
                    input type="hidden" name="step" value=(step_json);
                    @if delivers_credential(step.action) { (delivery_fieldset(step)) }
                    div.inline {
                        button.primary.confirm type="submit" {
                            @if preview.change { "Confirm" } @else { "Run" }
                        }
                        @if preview.change && preview.policy != "allow" {
                            span.explanation { "keydesk asks the policy again when you confirm." }
                        }
                        span.htmx-indicator { "working…" }
                    }
                }
            }
            div.result #(result_id) {}
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Running a step, verification
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExecuteForm {
    step: String,
    delivery: String,
    person: String,
}

async fn execute(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<ExecuteForm>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    match execute_inner(&state, &caller, form).await {
        Ok(markup) => fragment(markup),
        Err(error) => fragment(error_box(&error)),
    }
}

async fn execute_inner(
    state: &AppState,
    caller: &Caller,
    form: ExecuteForm,
) -> Result<Markup, ApiError> {
    let body: StepBody = serde_json::from_str(&form.step)
        .map_err(|_| ApiError::bad_request("that is not a plan step; ask again"))?;
    let step = api::parse_step(body)?;
    let delivery = match form.delivery.as_str() {
        "" => None,
        "manager" => Some("manager".to_string()),
        "reveal" => Some("reveal".to_string()),
        "person" => {
            let person = form.person.trim();
            if person.is_empty() {
                return Err(ApiError::bad_request(
                    "name the person who receives it (their user name or e-mail address)",
                ));
            }
            Some(person.to_string())
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "'{other}' is not a delivery: choose the manager, a named person, or show it once"
            )));
        }
    };
    let delivery = api::parse_delivery(delivery.as_deref())?;
    let actor = api::actor(state, caller).await?;
    let result = state.service.run_step(&actor, &step, delivery).await?;
    let status = match &result {
        StepResult::Done { report, .. } => api::outcome_status(report),
        StepResult::Pending { approval, .. } if approval.is_some() => "pending_approval",
        StepResult::Pending { .. } => "needs_verification",
        StepResult::Denied { .. } => "denied",
        StepResult::Investigated(_) => "done",
    };
    metrics::counter!("keydesk_steps_total", "action" => step.action.as_str(), "status" => status)
        .increment(1);
    Ok(result_view(state, &actor.principal.upn, result))
}

fn report_view(report: &Report) -> Markup {
    html! {
        p.summary { (report.summary) }
        @if !report.steps.is_empty() {
            ol.report-steps {
                @for step in &report.steps {
                    @let status = serde_json::to_value(step.status).ok().map(|v| value_text(&v)).unwrap_or_default();
                    li {
                        span.badge.(status) { (status) } " "
                        strong { (label(&step.action)) } " "
                        (step.detail)
                    }
                }
            }
        }
        @if !report.verified.is_empty() {
            p { "Read back: " }
            ul { @for item in &report.verified { li { (item) } } }
        }
        @if !report.notes.is_empty() {
            ul.notes { @for note in &report.notes { li { (note) } } }
        }
        @if report.details.as_object().is_some_and(|m| !m.is_empty()) {
            details { summary { "Details" } (json_view(&report.details, 0)) }
        }
    }
}

fn result_view(state: &AppState, owner: &str, result: StepResult) -> Markup {
    match result {
        StepResult::Done { report, reveal } => {
            let status = api::outcome_status(&report);
            let reveal = reveal.map(|secret| {
                let what = if matches!(report.action.as_str(), "issue_tap" | "mfa_reset") {
                    "Temporary Access Pass"
                } else {
                    "temporary password"
                };
                (what, state.reveals.keep(owner, what, secret))
            });
            html! {
                div.outcome.done data-status=(status) {
                    div.headline {
                        span.badge.(status) { (label(status)) }
                        (label(&report.action))
                        @if let Some(target) = &report.target { " · " code { (target) } }
                    }
                    (report_view(&report))
                    @if let Some((what, token)) = reveal {
                        div.notice {
                            "The " (what) " is waiting for you, once: "
                            a.reveal-link href=(format!("/reveal/{token}")) target="_blank" rel="noopener" { "show it" }
                            " (only to you, within "
                            (keydesk_service::reveal::REVEAL_TTL.as_secs() / 60) " minutes)."
                        }
                    }
                }
            }
        }
        StepResult::Pending {
            report,
            decision,
            approval,
        } => {
            let explanation = keydesk_policy::explain(&decision);
            match approval {
                Some(approval) => html! {
                    div.outcome.pending data-status="pending_approval" {
                        div.headline {
                            span.badge.pending_approval { "Waiting for approval" }
                            "Approval request " code.approval-id { (approval.id) }
                        }
                        p { (approval.summary) }
                        p { "Who may approve: " (approval.approvers) }
                        p.explanation { "A second operator approves it in " a href="/approvals" { "Approvals" }
                            "; then press Confirm again with the same choices and it runs." }
                        details { summary { "Why" } pre { (explanation.trim_end()) } }
                    }
                },
                None => html! {
                    div.outcome.pending data-status="needs_verification" {
                        div.headline { span.badge.needs_verification { "Verification needed" } }
                        pre { (explanation.trim_end()) }
                        @if let Some(target) = &report.target { (verify_start_form(target)) }
                        p.explanation { "Once they are verified, press Confirm again." }
                    }
                },
            }
        }
        StepResult::Denied { report, decision } => html! {
            div.outcome.denied data-status="denied" {
                div.headline {
                    span.badge.denied { "Denied" }
                    (label(&report.action))
                    @if let Some(target) = &report.target { " · " code { (target) } }
                }
                pre { (keydesk_policy::explain(&decision).trim_end()) }
            }
        },
        StepResult::Investigated(investigation) => html! {
            div.outcome.done data-status="done" {
                div.headline {
                    span.badge.done { "Investigated" }
                    code { (investigation.user) }
                    span.badge { "verdict: " (investigation.verdict) }
                }
                p { a href=(format!("/investigations/{}", investigation.id)) { "Open the incident report" } }
            }
        },
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VerifyForm {
    user: String,
    method: String,
    code: String,
}

/// On the demo tenant, the last message the emulator delivered (there are no phones there).
async fn demo_last_message(state: &AppState) -> Option<Value> {
    let demo = state.demo.as_ref()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let body: Value = client
        .get(format!("{}/_emulator/outbox", demo.emulator_url))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["value"].as_array()?.last().cloned()
}

fn verify_confirm_form(user: &str) -> Markup {
    html! {
        form.verify hx-post="/console/verify/confirm" hx-swap="outerHTML" hx-disabled-elt="find button" {
            input type="hidden" name="user" value=(user);
            div.inline {
                label { "Code they read back " }
                input type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                    maxlength="32" required placeholder="8 digits" aria-label="Verification code";
                button.check-code type="submit" { "Check code" }
                span.htmx-indicator { "checking…" }
            }
        }
    }
}

async fn verify_start(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<VerifyForm>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    let user = form.user.trim().to_string();
    let attempt = async {
        let method = Some(form.method.as_str()).filter(|m| !m.trim().is_empty());
        let channel = api::verification_channel(method)?;
        let actor = api::actor(&state, &caller).await?;
        Ok(state.service.verify_start(&actor, &user, channel).await?)
    };
    match attempt.await {
        Ok(report) => {
            let message = demo_last_message(&state).await;
            fragment(html! {
                div.verify {
                    p.success { (report.summary) }
                    @if let Some(message) = message {
                        div.demo-note {
                            strong { "(demo) what "
                                (message["to"][0].as_str().unwrap_or("the recipient"))
                                " received:" }
                            pre { (message["body"].as_str().unwrap_or_default()) }
                        }
                    }
                    (verify_confirm_form(&user))
                }
            })
        }
        Err(error) => fragment(html! {
            div { (error_box(&error)) (verify_start_form(&user)) }
        }),
    }
}

async fn verify_confirm(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<VerifyForm>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    let user = form.user.trim().to_string();
    let attempt = async {
        if form.code.len() > 32 {
            return Err(ApiError::bad_request("that is not a verification code"));
        }
        let actor = api::actor(&state, &caller).await?;
        Ok(state
            .service
            .verify_confirm(&actor, &user, form.code.trim())
            .await?)
    };
    match attempt.await {
        Ok(report) => fragment(html! {
            div.verify.verified {
                p.success { "✓ " (report.summary) }
                p.explanation { "Now press Confirm on the step." }
            }
        }),
        Err(error) => fragment(html! {
            div { (error_box(&error)) (verify_confirm_form(&user)) }
        }),
    }
}

// ------------------------------------------------------------------------------------------------
// Approvals
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApprovalsQuery {
    all: Option<bool>,
}

fn approval_card(approval: &ApprovalRecord, message: Option<Markup>) -> Markup {
    let status = approval.status.as_str();
    let base = format!("/console/approvals/{}", approval.id);
    html! {
        article.card.approval id=(format!("card-{}", approval.id)) data-approval-id=(approval.id) data-status=(status) {
            header {
                code { (approval.id) }
                span.badge.(status) { (status) }
                strong { (label(&approval.action)) }
                @if let Some(target) = &approval.target {
                    a href=(format!("/history?user={target}")) { code { (target) } }
                }
            }
            p { (approval.summary) }
            dl.kv {
                dt { "Requested by" } dd { (approval.requester) }
                dt { "Who may approve" } dd { (approval.approvers) }
                dt { "Asked" } dd { (when_unix(approval.created_at)) }
                dt { "Expires" } dd { (when_unix(approval.expires_at)) }
                @if let Some(by) = &approval.decided_by {
                    dt { "Decided by" } dd { (by) @if let Some(at) = approval.decided_at { " at " (when_unix(at)) } }
                }
                @if let Some(used) = &approval.used_by { dt { "Used by" } dd { code { (used) } } }
                dt { "Plan hash" } dd { code title=(approval.plan_hash) { (abbreviated(&approval.plan_hash)) "…" } }
            }
            @if !approval.plan.trim().is_empty() {
                details open {
                    summary { "The plan" }
                    ol.report-steps { @for line in approval.plan.lines() { li { (line) } } }
                }
            }
            @if let Some(message) = message { (message) }
            @if approval.status == ApprovalStatus::Pending {
                form.decide {
                    input type="text" name="reason" maxlength="500" placeholder="Reason (kept in the audit log)" aria-label="Reason";
                    button.approve type="submit" hx-post=(format!("{base}/approve"))
                        hx-target="closest article" hx-swap="outerHTML" { "Approve" }
                    button.deny type="button" hx-post=(format!("{base}/deny"))
                        hx-target="closest article" hx-swap="outerHTML" { "Deny" }
                }
            }
        }
    }
}

async fn approvals(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<ApprovalsQuery>,
) -> Response {
    let (viewer, actor) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if let Err(error) = api::operator(&actor) {
        return error_page(&state, Some(&viewer), error);
    }
    let all = query.all.unwrap_or(false);
    let list = match state.service.approvals(all).await {
        Ok(list) => list,
        Err(error) => return error_page(&state, Some(&viewer), error.into()),
    };
    let body = html! {
        h1 { "Approvals" }
        p.lede { "Changes the policy holds for a second person. You cannot approve your own request "
                 "or one about you; an approval covers exactly the plan shown, once." }
        nav.tabs {
            a.active[!all] href="/approvals" { "Waiting" }
            a.active[all] href="/approvals?all=true" { "All requests" }
        }
        @if list.is_empty() {
            p.empty { @if all { "No approval requests yet." } @else { "Nothing is waiting for a decision." } }
        }
        @for approval in &list { (approval_card(approval, None)) }
    };
    page(&state, Some(&viewer), Nav::Approvals, "Approvals", body).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DecideForm {
    reason: String,
}

async fn decide(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((id, decision)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    let attempt = async {
        let approve = match decision.as_str() {
            "approve" => true,
            "deny" => false,
            _ => return Err(ApiError::not_found("approve or deny")),
        };
        let reason = form.reason.trim();
        if reason.len() > 500 {
            return Err(ApiError::bad_request(
                "the reason is longer than 500 characters",
            ));
        }
        let actor = api::actor(&state, &caller).await?;
        api::operator(&actor)?;
        let reason = (!reason.is_empty()).then_some(reason);
        Ok(state.service.decide(&actor, &id, approve, reason).await?)
    };
    match attempt.await {
        Ok(record) => {
            let message = html! {
                p.success { "You " (if record.status == ApprovalStatus::Approved { "approved" } else { "denied" })
                    " this request. The requester runs it by confirming the step again." }
            };
            fragment(approval_card(&record, Some(message)))
        }
        Err(error) => match state.service.approval(&id).await {
            Ok(record) => fragment(approval_card(&record, Some(error_box(&error)))),
            Err(_) => fragment(error_box(&error)),
        },
    }
}

// ------------------------------------------------------------------------------------------------
// Bulk jobs
// ------------------------------------------------------------------------------------------------

fn job_card(view: &keydesk_service::jobs::JobView, message: Option<Markup>) -> Markup {
    let job = &view.job;
    let status = job.status.as_str();
    let counts = view.counts();
    let total = view.items.len();
    let finished = view.items.iter().filter(|i| i.status.is_final()).count();
    html! {
        article.card.job id=(format!("job-{}", job.id)) data-job-id=(job.id) data-status=(status) {
            header {
                code { (job.id) }
                span.badge.(status) { (status) }
                strong { (label(&job.kind)) }
                span { (finished) " of " (total) " done" }
            }
            progress value=(finished) max=(total.max(1)) {}
            dl.kv {
                dt { "Requested by" } dd { (job.requester) }
                dt { "Queued" } dd { (when_unix(job.created_at)) }
                @if let Some(at) = job.finished_at { dt { "Finished" } dd { (when_unix(at)) } }
                @if let Some(approval) = &job.approval_id { dt { "List approval" } dd { code { (approval) } } }
                dt { "Items" } dd {
                    @for (name, count) in counts.iter().filter(|(_, c)| **c > 0) {
                        span.badge.(name) { (name.replace('_', " ")) " " (count) } " "
                    }
                }
            }
            details {
                summary { "Each user" }
                div.table-wrap {
                    table {
                        thead { tr { th { "#" } th { "User" } th { "Status" } th { "Attempts" } th { "Result" } } }
                        tbody {
                            @for item in &view.items {
                                tr {
                                    td { (item.position + 1) }
                                    td { code { (item.input) } }
                                    td { span.badge.(item.status.as_str()) { (item.status.as_str()) } }
                                    td { (item.attempts) }
                                    td { (item.result.clone().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(message) = message { (message) }
            @if job.status != keydesk_guard::jobs::JobStatus::Finished {
                form.decide {
                    button.deny type="button" hx-post=(format!("/console/jobs/{}/cancel", job.id))
                        hx-confirm="Cancel this job? Users no instance has started on are left as they are."
                        hx-target="closest article" hx-swap="outerHTML" { "Cancel the rest" }
                }
            }
        }
    }
}

async fn jobs(State(state): State<AppState>, MaybeCaller(caller): MaybeCaller) -> Response {
    let (viewer, actor) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if let Err(error) = api::operator(&actor) {
        return error_page(&state, Some(&viewer), error);
    }
    let list = match state.service.jobs(50).await {
        Ok(list) => list,
        Err(error) => return error_page(&state, Some(&viewer), error.into()),
    };
    let body = html! {
        h1 { "Jobs" }
        p.lede { "Bulk work queued in keydesk's shared database. Every keydesk instance works on it; "
                 "a user is done once even when an instance stops mid-way. Each user's change passes "
                 "the policy and the audit log on its own." }
        @if list.is_empty() { p.empty { "No jobs yet." } }
        @for view in &list { (job_card(view, None)) }
    };
    page(&state, Some(&viewer), Nav::Jobs, "Jobs", body).into_response()
}

async fn cancel_job(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<String>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    let attempt = async {
        let actor = api::actor(&state, &caller).await?;
        api::operator(&actor)?;
        Ok::<_, ApiError>(state.service.cancel_job(&actor, &id).await?)
    };
    match attempt.await {
        Ok((view, cancelled)) => {
            let message = html! { p.success { "Cancelled " (cancelled) " waiting users; users already started finish." } };
            fragment(job_card(&view, Some(message)))
        }
        Err(error) => match state.service.job(&id).await {
            Ok(view) => fragment(job_card(&view, Some(error_box(&error)))),
            Err(_) => fragment(error_box(&error)),
        },
    }
}

// ------------------------------------------------------------------------------------------------
// The audit log and history
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuditQuery {
    /// Records after this sequence number (default: the newest page).
    after: Option<i64>,
}

const AUDIT_PAGE: u32 = 200;

async fn audit(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<AuditQuery>,
) -> Response {
    let (viewer, actor) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if let Err(error) = api::operator(&actor) {
        return error_page(&state, Some(&viewer), error);
    }
    let store = state.service.guard().audit();
    let loaded = async {
        let head = store.head().await?;
        let after = match query.after {
            Some(after) => after.max(0),
            None => head
                .as_ref()
                .map(|h| (h.seq - i64::from(AUDIT_PAGE)).max(0))
                .unwrap_or(0),
        };
        let records = store
            .records(keydesk_audit::Page {
                after_seq: after,
                limit: AUDIT_PAGE,
            })
            .await?;
        // The record before this page, to check the page's first link.
        let before = if after > 0 {
            store
                .records(keydesk_audit::Page {
                    after_seq: after - 1,
                    limit: 1,
                })
                .await?
                .pop()
        } else {
            None
        };
        let verified = keydesk_audit::verify(store).await?;
        Ok::<_, keydesk_audit::Error>((after, records, before, verified))
    };
    let (after, records, before, verified) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => {
            return error_page(
                &state,
                Some(&viewer),
                ApiError::unavailable("the audit log could not be read", &error),
            );
        }
    };
    let mut links = Vec::with_capacity(records.len());
    let mut previous = before.map(|r| r.hash);
    if after == 0 {
        previous = Some(keydesk_audit::GENESIS_HASH.to_string());
    }
    for record in &records {
        links.push(previous.as_deref().map(|p| p == record.prev_hash));
        previous = Some(record.hash.clone());
    }
    let rows: Vec<(&AuditRecord, Option<bool>)> = records.iter().zip(links).rev().collect();
    let body = html! {
        h1 { "Audit log" }
        p.lede { "Every decision, approval, verification, intent and outcome, each sealed with the hash "
                 "of the one before it: an edited, deleted or inserted record breaks the chain." }
        div.card.chain-status #chain-status data-intact=(verified.ok) {
            @if verified.ok {
                span.badge.intact.big { "✓ Chain intact" }
            } @else {
                span.badge.broken.big { "✗ Chain broken" }
            }
            span { (verified.records_checked) " records checked" }
            @if let Some(head) = &verified.head {
                span { "head #" (head.seq) " " code title=(head.hash) { (abbreviated(&head.hash)) "…" } }
            }
            @if !verified.intents_without_outcome.is_empty() {
                span.badge.pending { (verified.intents_without_outcome.len()) " intent(s) without an outcome" }
            }
        }
        @if !verified.problems.is_empty() {
            div.error {
                strong { "Signs of tampering:" }
                ul { @for problem in &verified.problems { li { "#" (problem.seq) ": " (problem.detail) } } }
            }
        }
        @if after > 0 {
            p { a href=(format!("/audit?after={}", (after - i64::from(AUDIT_PAGE)).max(0))) { "← older records" } }
        }
        @if rows.is_empty() {
            p.empty { "The audit log is empty." }
        } @else {
            div.table-wrap {
                table #audit-table {
                    thead { tr {
                        th { "Seq" } th { "Time (UTC)" } th { "Kind" } th { "Actor" } th { "Action" }
                        th { "Target" } th { "Decision" } th { "Outcome" } th { "Hash" } th { "Prev hash" } th { "Link" }
                    } }
                    tbody {
                        @for (record, link) in &rows {
                            @let event = &record.event;
                            tr data-seq=(record.seq) data-kind=(event.kind.as_str()) data-action=(event.action) {
                                td { (record.seq) }
                                td.nowrap { (when(record.recorded_at).trim_end_matches(" UTC")) }
                                td { span.badge.(format!("kind-{}", event.kind.as_str())) { (event.kind.as_str()) } }
                                td title=(event.actor) { (short_upn(&event.actor)) }
                                td { (event.action) }
                                td { @if let Some(target) = &event.target {
                                    a href=(format!("/history?user={target}")) title=(target) { (short_upn(target)) } } }
                                td { @if let Some(decision) = &event.decision {
                                    @let effect = serde_json::to_value(decision.effect).ok().map(|v| value_text(&v)).unwrap_or_default();
                                    span.badge.(effect) { (effect) } } }
                                td.summary { @if let Some(outcome) = &event.outcome {
                                    @let status = serde_json::to_value(outcome.status).ok().map(|v| value_text(&v)).unwrap_or_default();
                                    span.badge.(status) { (status) } " " (outcome.summary) } }
                                td.hash title=(record.hash) { (abbreviated(&record.hash)) "…" }
                                td.hash title=(record.prev_hash) { (abbreviated(&record.prev_hash)) "…" }
                                @match link {
                                    Some(true) => { td.link-ok title="follows the record before it" { "✓" } }
                                    Some(false) => { td.link-bad title="does not follow the record before it" { "✗" } }
                                    None => { td {} }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href="/api/v1/audit/export?format=csv" { "Export as CSV" } " · "
            a href="/api/v1/audit/export" { "Export as JSON lines" } }
    };
    page(&state, Some(&viewer), Nav::Audit, "Audit log", body).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HistoryQuery {
    user: Option<String>,
    days: Option<i64>,
}

async fn history(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<HistoryQuery>,
) -> Response {
    let (viewer, _) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let days = query.days.unwrap_or(30).clamp(1, 90);
    let user = query
        .user
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .or_else(|| (!viewer.operator).then(|| viewer.upn.clone()));
    let timeline = match &user {
        None => None,
        Some(user) if user.len() > 256 => Some(Err(ApiError::bad_request(
            "the user must be 1 to 256 characters",
        ))),
        Some(user) => Some(match state.service.history(user, days).await {
            Ok((upn, _)) if !viewer.operator && !upn.eq_ignore_ascii_case(&viewer.upn) => Err(
                ApiError::forbidden("an employee sees only their own history"),
            ),
            Ok(found) => Ok(found),
            Err(keydesk_service::Error::Ops(keydesk_ops::Error::UserNotFound { .. }))
                if !viewer.operator =>
            {
                Err(ApiError::forbidden(
                    "an employee sees only their own history",
                ))
            }
            Err(error) => Err(error.into()),
        }),
    };
    let body = html! {
        h1 { "History" }
        p.lede { "What was done to and by one person: keydesk's own records beside the tenant's directory audits and their sign-ins." }
        form.inline.card method="get" action="/history" {
            @if viewer.operator {
                input type="search" name="user" value=(user.clone().unwrap_or_default())
                    placeholder="user name, e-mail or name" aria-label="Person" required;
            } @else {
                input type="hidden" name="user" value=(viewer.upn);
            }
            label { "Last " input type="number" name="days" min="1" max="90" value=(days) style="width:5em"; " days" }
            button.primary type="submit" { "Show" }
        }
        @match timeline {
            None => { p.empty { "Name a person to see their timeline." } }
            Some(Err(error)) => { (error_box(&error)) }
            Some(Ok((upn, rows))) => {
                h2 { "Timeline of " code { (upn) } }
                @if rows.is_empty() {
                    p.empty { "Nothing in the last " (days) " days." }
                } @else {
                    ol.timeline #timeline {
                        @for row in &rows {
                            @let source = row["source"].as_str().unwrap_or_default();
                            li.(source) {
                                div.when { (row["time"].as_str().unwrap_or_default()) " · "
                                    span.badge { (if source == "keydesk" { "keydesk" } else { "Entra audit" }) } }
                                div { strong { (value_text(&row["what"])) }
                                    @if let Some(who) = row["who"].as_str().filter(|w| !w.is_empty()) { " by " (who) } }
                                @if let Some(result) = row["result"].as_str().filter(|r| !r.is_empty()) {
                                    div.explanation { (result) }
                                }
                                div.explanation { code { (value_text(&row["reference"])) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&state, Some(&viewer), Nav::History, "History", body).into_response()
}

// ------------------------------------------------------------------------------------------------
// Investigations
// ------------------------------------------------------------------------------------------------

async fn investigations(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let (viewer, actor) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if let Err(error) = api::operator(&actor) {
        return error_page(&state, Some(&viewer), error);
    }
    let kept = match state.service.investigations().await {
        Ok(kept) => kept,
        Err(error) => return error_page(&state, Some(&viewer), error.into()),
    };
    let body = html! {
        h1 { "Investigations" }
        p.lede { "Investigate a possibly compromised account: the evidence is preserved and hashed in the "
                 "audit log, then keydesk reports its findings, a verdict and a containment plan." }
        form.inline.card hx-post="/investigations" hx-target="#investigate-result" hx-disabled-elt="find button" {
            input type="search" name="user" required placeholder="who, e.g. JohannaL" aria-label="Person";
            label { "over the last " input type="number" name="days" min="1" max="30" value="7" style="width:5em"; " days" }
            button.primary type="submit" { "Investigate" }
            span.htmx-indicator { "collecting evidence…" }
        }
        div #investigate-result {}
        @if kept.is_empty() {
            p.empty { "No investigations yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th { "Case" } th { "User" } th { "Verdict" } th { "Days" } th { "By" } } }
                    tbody {
                        @for i in &kept {
                            tr {
                                td { a href=(format!("/investigations/{}", i.id)) { code { (i.id) } } }
                                td { (i.user) }
                                td { span.badge.(i.verdict) { (i.verdict) } }
                                td { (i.days) }
                                td { (i.by) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(
        &state,
        Some(&viewer),
        Nav::Investigations,
        "Investigations",
        body,
    )
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InvestigateForm {
    user: String,
    days: Option<i64>,
}

async fn start_investigation(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<InvestigateForm>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    let attempt = async {
        let user = form.user.trim();
        if user.is_empty() || user.len() > 256 {
            return Err(ApiError::bad_request("name the person to investigate"));
        }
        let actor = api::actor(&state, &caller).await?;
        Ok(state
            .service
            .investigate(&actor, user, form.days.unwrap_or(7))
            .await?)
    };
    match attempt.await {
        Ok(investigation) => {
            let to = format!("/investigations/{}", investigation.id);
            let mut response = fragment(html! { p { a href=(to) { "Open the report" } } });
            if let Ok(value) = HeaderValue::from_str(&to) {
                response.headers_mut().insert("HX-Redirect", value);
            }
            response
        }
        Err(error) => fragment(error_box(&error)),
    }
}

async fn investigation(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Response {
    let (viewer, actor) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if let Err(error) = api::operator(&actor) {
        return error_page(&state, Some(&viewer), error);
    }
    let investigation = match state.service.investigation(&id).await {
        Ok(i) => i,
        Err(error) => return error_page(&state, Some(&viewer), error.into()),
    };
    let body = html! {
        p { a href="/investigations" { "← Investigations" } }
        h1 { "Incident report " code { (investigation.id) } }
        div.card.inline {
            span { "User " code { (investigation.user) } }
            span.badge.(investigation.verdict) { "verdict: " (investigation.verdict) }
            span { "last " (investigation.days) " days" }
            span { "by " (investigation.by) }
            a href=(format!("/api/v1/investigations/{}/report?format=md", investigation.id)) { "Markdown" }
            a href=(format!("/api/v1/investigations/{}/report?format=json", investigation.id)) { "JSON" }
        }
        // The report is self-contained HTML; it is shown sandboxed (no scripts, no same origin).
        iframe.report sandbox="" title="Incident report" srcdoc=(investigation.html) {}
    };
    page(
        &state,
        Some(&viewer),
        Nav::Investigations,
        "Incident report",
        body,
    )
    .into_response()
}

// ------------------------------------------------------------------------------------------------
// Self-service, the reveal, signing out
// ------------------------------------------------------------------------------------------------

async fn self_service(State(state): State<AppState>, MaybeCaller(caller): MaybeCaller) -> Response {
    let (viewer, actor) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let me = Step {
        action: Action::ShowUser,
        target: Some(viewer.upn.clone()),
        params: serde_json::Map::new(),
    };
    let account = match state.service.run_step(&actor, &me, None).await {
        Ok(StepResult::Done { report, .. }) => html! {
            p.summary #my-account { (report.summary) }
            @if !report.notes.is_empty() { ul.notes { @for note in &report.notes { li { (note) } } } }
            @if report.details.as_object().is_some_and(|m| !m.is_empty()) {
                details { summary { "Everything the directory says about you" } (json_view(&report.details, 0)) }
            }
        },
        Ok(other) => result_view(&state, &viewer.upn, other),
        Err(error) => error_box(&error.into()),
    };
    let recent = state
        .service
        .history(&viewer.upn, 30)
        .await
        .map(|(_, rows)| rows.into_iter().take(5).collect::<Vec<_>>())
        .unwrap_or_default();
    let body = html! {
        h1 { "Hello, " (viewer.name) }
        p.lede { "Your own account, and help with it. Ask in plain words; some requests are confirmed by your manager first." }
        div.card {
            h2 { "Your account" }
            (account)
        }
        h2 { "Ask for help" }
        div.conversation #conversation {}
        (composer(
            &[
                "I'm locked out",
                "I forgot my password",
                "why can't I sign in?",
                "reset my MFA, I have a new phone",
                "give me access to All-Engineering",
                "show my account",
            ],
            "e.g. I'm locked out of my account",
        ))
        @if !recent.is_empty() {
            h2 { "Recently" }
            ol.timeline {
                @for row in &recent {
                    li.(row["source"].as_str().unwrap_or_default()) {
                        div.when { (row["time"].as_str().unwrap_or_default()) }
                        div { strong { (value_text(&row["what"])) }
                            @if let Some(who) = row["who"].as_str().filter(|w| !w.is_empty()) { " by " (who) } }
                    }
                }
            }
            p { a href=(format!("/history?user={}", viewer.upn)) { "Your whole history" } }
        }
    };
    page(&state, Some(&viewer), Nav::SelfService, "My account", body).into_response()
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn reveal_page(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(token): Path<String>,
) -> Response {
    let (viewer, _) = match signed_in(&state, caller).await {
        Ok(v) => v,
        Err(response) => return no_store(*response),
    };
    let waiting = (token.len() <= 128)
        .then(|| state.reveals.is_waiting(&token, &viewer.upn))
        .flatten();
    let body = html! {
        div.card.secret-box {
            @match &waiting {
                Some(what) => {
                    h1 { "A " (what) " is waiting for you" }
                    p { "It is shown " strong { "once" } ", to you only. Have it handed over in person or by phone; never paste it into a chat." }
                    div #secret {
                        button.primary #show-once hx-post=(format!("/reveal/{token}")) hx-target="#secret" hx-swap="outerHTML" { "Show once" }
                    }
                }
                None => {
                    h1 { "Nothing to show" }
                    p { "This secret was already shown, has expired, or is not yours." }
                }
            }
        }
    };
    no_store(page(&state, Some(&viewer), Nav::None, "Reveal", body).into_response())
}

async fn reveal_take(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(token): Path<String>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => return rejected(error),
    };
    match state.reveals.take(&token, &caller.upn) {
        Ok((what, secret)) => fragment(html! {
            div #secret {
                p { "The " (what) ":" }
                p { code.secret-value { (secret.expose()) } }
                p.explanation { "Copy it now: it will not be shown again, here or anywhere." }
            }
        }),
        Err(gone) => fragment(html! { div #secret.error { (gone.to_string()) } }),
    }
}

async fn sign_out(caller: Result<Caller, ApiError>) -> Response {
    if let Err(error) = caller {
        return rejected(error);
    }
    (
        [
            (header::SET_COOKIE, session_cookie(None)),
            (header::HeaderName::from_static("hx-redirect"), "/".into()),
        ],
        Html(String::new()),
    )
        .into_response()
}
