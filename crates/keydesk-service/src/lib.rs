//! keydesk's application service: what the HTTP server, the web console and the MCP server do
//! on behalf of a signed-in person, on one tenant.
//!
//! A request in plain language becomes the planner's typed [`Plan`] and each step's policy status
//! ([`Service::preview`]); a step runs through exactly the guarded path the commands take
//! ([`Service::run_step`]: a dry run, the facts, the guard, the audit intent, the execution with
//! the guard's capability, the outcome). Nothing here trusts its caller about who anyone is: the
//! principal's roles and groups are read from the directory for every call.
//!
//! A temporary password or TAP comes back only inside [`StepResult::Executed`]'s `reveal`, a
//! [`Secret`] the front end puts in the [`reveal::Reveals`] store for one viewing by the person
//! who asked; it is never serialized.

pub mod history;
pub mod jobs;
pub mod notify;
pub mod reveal;
mod steps;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keydesk_graph::GraphClient;
use keydesk_graph::model::{Group, User};
use keydesk_graph::odata::Query;
use keydesk_guard::Guard;
use keydesk_guard::investigations::InvestigationRecord;
use keydesk_guard::state::ApprovalRecord;
use keydesk_ops::guarded::Actor;
use keydesk_ops::{Ops, Report, Settings};
use keydesk_planner::{GroupEntry, MemoryDirectory, Person, Plan, Planner};
use keydesk_policy::{Origin, normalize_upn};
use serde::Serialize;
use serde_json::Value;

pub use keydesk_core::Secret;
pub use keydesk_ops::delivery::Delivery;
pub use keydesk_planner::{Action, Step};
pub use steps::{StepPreview, StepResult};

/// What went wrong, in words a person can act on. Internals (SQL, stack traces) stay in the log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operation's refusal or failure (user not found, ambiguous, refused, Graph error...).
    #[error(transparent)]
    Ops(#[from] keydesk_ops::Error),
    /// The guard's state could not be read or written; nothing was changed.
    #[error("keydesk's approval and audit store is unavailable; nothing was changed")]
    Guard(#[source] keydesk_guard::Error),
    /// The planner failed.
    #[error("the request could not be planned: {0}")]
    Planner(String),
    /// The input is not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// No such thing (approval, investigation, reveal).
    #[error("{0}")]
    NotFound(String),
}

impl Error {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Ops(error) => error.code(),
            Error::Guard(_) => "guard_unavailable",
            Error::Planner(_) => "planner_failed",
            Error::InvalidInput(_) => "invalid_input",
            Error::NotFound(_) => "not_found",
        }
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Ops(keydesk_ops::Error::Refused { guidance, .. }) => Some(guidance.clone()),
            Error::Ops(
                keydesk_ops::Error::AmbiguousUser { candidates, .. }
                | keydesk_ops::Error::AmbiguousGroup { candidates, .. },
            ) => Some(format!(
                "did you mean: {}",
                candidates
                    .iter()
                    .map(|c| format!("{} <{}> ({})", c.name, c.id, c.detail))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How long the planner's snapshot of the directory is reused.
const DIRECTORY_TTL: Duration = Duration::from_secs(60);
/// The most users and groups read into the planner's directory snapshot.
const DIRECTORY_LIMIT: usize = 250_000;

/// The service for one tenant.
pub struct Service {
    graph: GraphClient,
    settings: Settings,
    ad: Option<keydesk_ad::AdDirectory>,
    guard: Arc<Guard>,
    planner: Box<dyn Planner>,
    evidence_dir: PathBuf,
    directory: tokio::sync::Mutex<Option<(Instant, Arc<MemoryDirectory>)>>,
    notifier: Option<notify::Notifier>,
}

/// A finished investigation, kept for its report.
#[derive(Debug, Clone, Serialize)]
pub struct Investigation {
    pub id: String,
    pub user: String,
    pub days: i64,
    pub by: String,
    pub verdict: String,
    /// The JSON form of the findings (keydesk-investigate's output).
    pub result: Value,
    #[serde(skip)]
    pub markdown: String,
    #[serde(skip)]
    pub html: String,
}

impl From<InvestigationRecord> for Investigation {
    fn from(record: InvestigationRecord) -> Investigation {
        Investigation {
            id: record.id,
            user: record.user,
            days: record.days,
            by: record.requested_by,
            verdict: record.verdict,
            result: serde_json::from_str(&record.result).unwrap_or(Value::Null),
            markdown: record.markdown,
            html: record.html,
        }
    }
}

/// The most investigations listed (all are kept in the database, with their reports).
const INVESTIGATIONS_LISTED: i64 = 200;

/// Building a [`Service`].
pub struct ServiceConfig {
    pub graph: GraphClient,
    pub settings: Settings,
    pub ad: Option<keydesk_ad::AdDirectory>,
    pub guard: Arc<Guard>,
    pub planner: Box<dyn Planner>,
    /// Where investigation evidence snapshots are written.
    pub evidence_dir: PathBuf,
    /// Where approval requests are announced, if anywhere.
    pub notifier: Option<notify::Notifier>,
}

impl Service {
    pub fn new(config: ServiceConfig) -> Service {
        Service {
            graph: config.graph,
            settings: config.settings,
            ad: config.ad,
            guard: config.guard,
            planner: config.planner,
            evidence_dir: config.evidence_dir,
            directory: tokio::sync::Mutex::new(None),
            notifier: config.notifier,
        }
    }

    /// The guard (for the audit log and the approvals tables).
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The Graph client.
    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }

    /// The operations, acting as `upn`.
    pub fn ops(&self, upn: &str) -> Ops {
        let ops = Ops::new(self.graph.clone(), self.settings.clone(), upn);
        match &self.ad {
            Some(ad) => ops.with_ad(ad.clone()),
            None => ops,
        }
    }

    /// Who `upn` is, as the directory knows them now (roles, groups), acting from `origin`.
    pub async fn actor(&self, upn: &str, origin: Origin) -> Result<Actor> {
        let ops = self.ops(upn);
        Ok(Actor::read(&ops, upn, origin).await?)
    }

    /// The planner's directory snapshot, read from Graph at most once a minute.
    async fn directory(&self) -> Result<Arc<MemoryDirectory>> {
        let mut cached = self.directory.lock().await;
        if let Some((at, directory)) = cached.as_ref()
            && at.elapsed() < DIRECTORY_TTL
        {
            return Ok(directory.clone());
        }
        let user_query = Query::default()
            .select([
                "id",
                "userPrincipalName",
                "displayName",
                "givenName",
                "surname",
                "mail",
                "mailNickname",
                "department",
                "jobTitle",
            ])
            .top(999);
        let group_query = Query::default()
            .select(["id", "displayName", "mailNickname"])
            .top(999);
        let users = self.graph.list_users(&user_query);
        let groups = self.graph.collect_query::<Group>("groups", &group_query);
        let (users, groups) = futures::join!(users, groups);
        let people = users
            .map_err(keydesk_ops::Error::from)?
            .into_iter()
            .take(DIRECTORY_LIMIT)
            .filter_map(person)
            .collect();
        let groups = groups
            .map_err(keydesk_ops::Error::from)?
            .into_iter()
            .take(DIRECTORY_LIMIT)
            .filter_map(|g| {
                Some(GroupEntry {
                    display_name: g.display_name?,
                    mail_nickname: g.mail_nickname,
                })
            })
            .collect();
        let directory = Arc::new(MemoryDirectory::new(people, groups));
        *cached = Some((Instant::now(), directory.clone()));
        Ok(directory)
    }

    /// Plans a plain-language request for `actor` and shows each step's policy status now.
    pub async fn preview(&self, actor: &Actor, text: &str) -> Result<Preview> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::InvalidInput("say what you need".into()));
        }
        if text.chars().count() > 2_000 {
            return Err(Error::InvalidInput(
                "the request is longer than 2,000 characters; say it in fewer words".into(),
            ));
        }
        let request = keydesk_planner::Request::new(&actor.principal.upn, text);
        let directory = self.directory().await?;
        let plan = self
            .planner
            .plan(&request, directory.as_ref())
            .await
            .map_err(|error| Error::Planner(error.to_string()))?;
        let ops = self.ops(&actor.principal.upn);
        let mut steps = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            steps.push(steps::preview(&ops, &self.guard, actor, step).await);
        }
        Ok(Preview { plan, steps })
    }

    /// The policy status of one step now.
    pub async fn preview_step(&self, actor: &Actor, step: &Step) -> StepPreview {
        let ops = self.ops(&actor.principal.upn);
        steps::preview(&ops, &self.guard, actor, step).await
    }

    /// Runs one step for `actor` through the guard. `delivery` overrides where a temporary
    /// credential goes (the default is the step's `deliver_to`, else the manager).
    pub async fn run_step(
        &self,
        actor: &Actor,
        step: &Step,
        delivery: Option<Delivery>,
    ) -> Result<StepResult> {
        let ops = self.ops(&actor.principal.upn);
        let result = steps::run(self, &ops, actor, step, delivery).await?;
        if let (StepResult::Pending { approval, .. }, Some(notifier)) = (&result, &self.notifier)
            && let Some(approval) = approval
        {
            notifier.approval_requested(approval).await;
        }
        Ok(result)
    }

    /// The approval requests (waiting ones, or all).
    pub async fn approvals(&self, all: bool) -> Result<Vec<ApprovalRecord>> {
        self.guard
            .state()
            .list_approvals(all)
            .await
            .map_err(Error::Guard)
    }

    /// One approval request.
    pub async fn approval(&self, id: &str) -> Result<ApprovalRecord> {
        self.guard
            .state()
            .approval(id)
            .await
            .map_err(Error::Guard)?
            .ok_or_else(|| Error::NotFound(format!("no approval request '{id}'")))
    }

    /// Approves or denies approval `id` as `actor` (never the requester or the target).
    pub async fn decide(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<ApprovalRecord> {
        self.guard
            .decide(id, &actor.principal, approve, reason)
            .await
            .map_err(|error| match error {
                keydesk_guard::Error::UnknownApproval(id) => {
                    Error::NotFound(format!("no approval request '{id}'"))
                }
                keydesk_guard::Error::ApprovalRefused(why) => {
                    Error::Ops(keydesk_ops::Error::refused(why, "nothing was decided"))
                }
                other => Error::Guard(other),
            })
    }

    /// Sends a one-time verification code for `user` (operators: any channel; employees: only
    /// for themselves, through their manager).
    pub async fn verify_start(
        &self,
        actor: &Actor,
        user: &str,
        channel: keydesk_ops::verify::Channel,
    ) -> Result<Report> {
        let ops = self.ops(&actor.principal.upn);
        Ok(keydesk_ops::verify::start(&ops, &self.guard, actor, user, channel).await?)
    }

    /// Checks the code the user read back.
    pub async fn verify_confirm(&self, actor: &Actor, user: &str, code: &str) -> Result<Report> {
        let ops = self.ops(&actor.principal.upn);
        Ok(keydesk_ops::verify::confirm(&ops, &self.guard, actor, user, code).await?)
    }

    /// Investigates `user` over the last `days` days (behind the guard: the evidence is
    /// preserved and hashed in the audit log) and keeps the report.
    pub async fn investigate(&self, actor: &Actor, user: &str, days: i64) -> Result<Investigation> {
        use keydesk_investigate::{Config, Timestamp, Window};
        if !(1..=30).contains(&days) {
            return Err(Error::InvalidInput(
                "investigate between 1 and 30 days".into(),
            ));
        }
        let ops = self.ops(&actor.principal.upn);
        let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let config = Config::standard();
        let found = keydesk_ops::investigate::investigate(
            &ops,
            &self.guard,
            actor,
            user,
            Window::last_days(now, days as u32),
            &self.evidence_dir,
            &config,
        )
        .await?;
        let plan =
            keydesk_investigate::plan_containment(&found.investigation, &found.evidence, &config);
        let output = keydesk_investigate::InvestigateOutput::new(
            &found.investigation,
            vec![found.evidence_ref.clone()],
            Some(plan.clone()),
        );
        let id = token("inv", 8);
        let evidence_files = [found.evidence_ref.clone()];
        let input = keydesk_investigate::report::ReportInput {
            case_id: &id,
            generated_at: now,
            investigation: &found.investigation,
            evidence: &found.evidence,
            plan: Some(&plan),
            actions: &[],
            evidence_files: &evidence_files,
        };
        let investigation = Investigation {
            user: normalize_upn(&found.upn),
            days,
            by: normalize_upn(&actor.principal.upn),
            verdict: found.investigation.verdict.verdict.as_str().to_string(),
            result: serde_json::to_value(&output).unwrap_or(Value::Null),
            markdown: keydesk_investigate::report::render_markdown(&input),
            html: keydesk_investigate::report::render_html(&input),
            id,
        };
        self.guard
            .state()
            .insert_investigation(&InvestigationRecord {
                id: investigation.id.clone(),
                user: investigation.user.clone(),
                days,
                requested_by: investigation.by.clone(),
                verdict: investigation.verdict.clone(),
                result: investigation.result.to_string(),
                markdown: investigation.markdown.clone(),
                html: investigation.html.clone(),
                created_at: time::OffsetDateTime::now_utc().unix_timestamp(),
            })
            .await
            .map_err(Error::Guard)?;
        Ok(investigation)
    }

    /// A kept investigation (made by any instance on the database), with its report.
    pub async fn investigation(&self, id: &str) -> Result<Investigation> {
        if id.is_empty() || id.len() > 64 {
            return Err(Error::NotFound(format!("no investigation '{id}'")));
        }
        self.guard
            .state()
            .investigation(id)
            .await
            .map_err(Error::Guard)?
            .map(Investigation::from)
            .ok_or_else(|| Error::NotFound(format!("no investigation '{id}'")))
    }

    /// The newest kept investigations, newest first, without their rendered reports.
    pub async fn investigations(&self) -> Result<Vec<Investigation>> {
        Ok(self
            .guard
            .state()
            .recent_investigations(INVESTIGATIONS_LISTED)
            .await
            .map_err(Error::Guard)?
            .into_iter()
            .map(Investigation::from)
            .collect())
    }

    /// One timeline of what was done to and by `user` in the last `days` days: keydesk's
    /// records, the tenant's directory audits and the user's sign-ins, newest first.
    pub async fn history(&self, user: &str, days: i64) -> Result<(String, Vec<Value>)> {
        let user = keydesk_ops::resolve::user(&self.graph, user).await?;
        let rows = history::timeline(self.guard.audit(), &self.graph, &user, days).await?;
        Ok((keydesk_ops::resolve::upn(&user), rows))
    }
}

/// A planned request with each step's policy status.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub plan: Plan,
    pub steps: Vec<StepPreview>,
}

fn person(user: User) -> Option<Person> {
    Some(Person {
        upn: user.user_principal_name?,
        display_name: user.display_name.unwrap_or_default(),
        given_name: user.given_name,
        surname: user.surname,
        mail: user.mail,
        mail_nickname: user.mail_nickname,
        department: user.department,
        job_title: user.job_title,
        city: None,
    })
}

/// A random identifier: `prefix-` and `bytes` random bytes in hex.
pub fn token(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // Without the OS generator no identifier or session key can be trusted: stop.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    if prefix.is_empty() {
        hex
    } else {
        format!("{prefix}-{hex}")
    }
}
