//! [`Guard`]: the one place a change is authorized. It reads the approvals, the verification and
//! the budget on record, asks the policy, and only on "allow" uses the approvals and the
//! verification (once), counts the action, writes the audit intent, and hands out the
//! [`Approved`] capability the operations require. Anything else — a denial, a missing approval
//! or verification, a database or audit failure — authorizes nothing.

use std::sync::Arc;

use keydesk_audit::{AuditEvent, AuditRecord, AuditStore, EventKind};
use keydesk_core::Secret;
use keydesk_policy::{
    Approval, ContextFacts, Decision, DecisionRequest, Effect, Missing, Origin, PolicyEngine,
    Principal, PrincipalKind, Resource, Verification, VerificationMethod, VerificationStatus,
    normalize_upn,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::plan::{PlannedChange, hex};
use crate::state::{ApprovalRecord, ApprovalStatus, GuardState, VerificationRecord};
use crate::{Approved, Error};

/// Reads the time (unix seconds). Tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How long approvals and verifications last.
#[derive(Debug, Clone)]
pub struct Lifetimes {
    /// An approval request, from filing to use (seconds).
    pub approval: i64,
    /// A verification code, from sending to entering it (seconds).
    pub code: i64,
    /// A confirmed verification, until the action uses it (seconds).
    pub verified: i64,
    /// Wrong codes before the verification fails for good.
    pub max_attempts: i64,
    /// How long a list approval, once a bulk run began with it, keeps covering the run's items
    /// (seconds). The approval itself must be unexpired when the run begins; a queued job that
    /// waits or runs longer than the approval's own lifetime is still covered, up to this.
    pub bulk_run: i64,
}

impl Default for Lifetimes {
    fn default() -> Lifetimes {
        Lifetimes {
            approval: 3_600,
            code: 600,
            verified: 1_800,
            max_attempts: 5,
            bulk_run: 86_400,
        }
    }
}

/// The guardrail engine: policy, approvals, verifications, budget and the audit log.
pub struct Guard {
    engine: PolicyEngine,
    audit: Arc<dyn AuditStore>,
    state: GuardState,
    clock: Clock,
    lifetimes: Lifetimes,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("audit", &self.audit)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// One change to authorize.
#[derive(Debug, Clone)]
pub struct Request {
    /// Who asks, as read from the directory.
    pub principal: Principal,
    /// What it applies to, as read from the directory.
    pub resource: Resource,
    /// The plan of the dry run.
    pub plan: PlannedChange,
    /// Where the request came from.
    pub origin: Origin,
    /// The person the principal acts for, when different.
    pub on_behalf_of: Option<String>,
    /// For `update_user_profile`: the properties it changes.
    pub profile_fields: Vec<String>,
}

/// What [`Guard::authorize`] decided.
#[derive(Debug)]
pub enum Authorization {
    /// Go ahead: pass the capability to the operation, then [`Guard::complete`] it.
    Approved(Approved),
    /// Not yet: an approval (filed, or already pending) or a verification is missing.
    Pending {
        /// The decision, with what is missing.
        decision: Decision,
        /// The approval request for this plan, when an approval is missing.
        approval: Option<ApprovalRecord>,
    },
    /// Refused; no approval or verification would change that.
    Denied {
        /// The decision and its reasons.
        decision: Decision,
    },
}

/// A bulk run: the items share one approval, given for the whole list.
#[derive(Debug, Clone)]
pub struct BulkRun {
    /// The hash of the bulk plan (the action and the list).
    pub plan_hash: String,
    /// The approval this run used, if one was approved for the list.
    pub approval: Option<ApprovalRecord>,
    /// Unix seconds: when the run began (used its approval). The approval covers the run's
    /// items until `started_at` + [`Lifetimes::bulk_run`], if it was valid when the run began.
    pub started_at: i64,
}

/// How a change ended, for the outcome record.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The status.
    pub status: keydesk_audit::OutcomeStatus,
    /// One sentence.
    pub summary: String,
    /// Steps, verifications and anything else worth keeping (never a secret).
    pub details: serde_json::Value,
    /// Graph `request-id`s of the calls made.
    pub graph_request_ids: Vec<String>,
}

impl Guard {
    /// A guard over `engine`, writing to `audit` and keeping its state in `state`.
    pub fn new(engine: PolicyEngine, audit: Arc<dyn AuditStore>, state: GuardState) -> Guard {
        Guard {
            engine,
            audit,
            state,
            clock: Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp()),
            lifetimes: Lifetimes::default(),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Guard {
        self.clock = clock;
        self
    }

    /// Replaces the lifetimes.
    pub fn with_lifetimes(mut self, lifetimes: Lifetimes) -> Guard {
        self.lifetimes = lifetimes;
        self
    }

    /// The policy engine in force.
    pub fn engine(&self) -> &PolicyEngine {
        &self.engine
    }

    /// The audit log.
    pub fn audit(&self) -> &dyn AuditStore {
        self.audit.as_ref()
    }

    /// The durable state.
    pub fn state(&self) -> &GuardState {
        &self.state
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The decision for `request` with what is on record, changing nothing.
    pub async fn check(&self, request: &Request) -> Result<Decision, Error> {
        Ok(self.gather(request, None).await?.0)
    }

    /// Decides `request`. On allow: uses the counted approvals and the verification, counts a
    /// sensitive action, writes the intent record (all or nothing: if any write fails, the
    /// result is an error and nothing may execute), and returns the capability.
    pub async fn authorize(&self, request: &Request) -> Result<Authorization, Error> {
        self.authorize_in(request, None).await
    }

    /// [`Guard::check`] for one item of a bulk run: the decision with the run's list approval (if
    /// any) standing in for per-user verification, changing nothing.
    pub async fn check_bulk_item(
        &self,
        request: &Request,
        run: &BulkRun,
    ) -> Result<Decision, Error> {
        Ok(self.gather(request, Some(run)).await?.0)
    }

    /// [`Guard::authorize`] for one item of a bulk run.
    pub async fn authorize_bulk_item(
        &self,
        request: &Request,
        run: &BulkRun,
    ) -> Result<Authorization, Error> {
        self.authorize_in(request, Some(run)).await
    }

    async fn authorize_in(
        &self,
        request: &Request,
        bulk: Option<&BulkRun>,
    ) -> Result<Authorization, Error> {
        let (decision, approvals, verification) = self.gather(request, bulk).await?;
        let now = self.now();
        let actor = normalize_upn(&request.principal.upn);
        match decision.effect {
            Effect::Deny => {
                self.record_refusal(request, &decision).await?;
                Ok(Authorization::Denied { decision })
            }
            Effect::NeedsApproval | Effect::NeedsVerification => {
                let wants_approval = decision
                    .missing
                    .iter()
                    .any(|m| matches!(m, Missing::Approval { .. }));
                let approval = if wants_approval && bulk.is_none() {
                    Some(self.file_approval(request, &decision).await?)
                } else {
                    None
                };
                if decision.alert {
                    self.alert(request, &decision).await?;
                }
                Ok(Authorization::Pending { decision, approval })
            }
            Effect::Allow => {
                let intent_id = uuid::Uuid::new_v4().to_string();
                // Use the approvals that counted, once. Losing a race means another execution
                // took it first: then this one is not authorized.
                let mut used = Vec::new();
                if bulk.is_none() {
                    for record in approvals.iter().filter(|a| {
                        a.status == ApprovalStatus::Approved
                            && a.decided_by
                                .as_deref()
                                .is_some_and(|by| decision.approvers.iter().any(|x| x == by))
                    }) {
                        if !self.state.use_approval(&record.id, &intent_id, now).await? {
                            return Err(Error::ApprovalRefused(format!(
                                "approval {} was used by another execution a moment ago",
                                record.id
                            )));
                        }
                        used.push(record.clone());
                    }
                } else if let Some(record) = bulk.and_then(|run| run.approval.as_ref()) {
                    used.push(record.clone());
                }
                let mut verified = None;
                if decision.verification == VerificationStatus::Verified
                    && let Some(record) = &verification
                {
                    if !self
                        .state
                        .use_verification(&record.id, &intent_id, now)
                        .await?
                    {
                        return Err(Error::Verification(format!(
                            "the verification of {} was used by another action a moment ago; verify again",
                            record.target
                        )));
                    }
                    verified = Some(record.clone());
                }
                if self.engine.is_sensitive(request.plan.action) {
                    self.state
                        .record_sensitive(
                            &actor,
                            request.plan.action.as_str(),
                            request.plan.target.as_deref(),
                            now,
                        )
                        .await?;
                }
                if decision.alert {
                    self.alert(request, &decision).await?;
                }
                let mut event = self.event(EventKind::Intent, request, &decision);
                event.approvals = used
                    .iter()
                    .map(|a| keydesk_audit::Approval {
                        id: a.id.clone(),
                        approver: a.decided_by.clone(),
                        approved: Some(true),
                    })
                    .collect();
                event.verifications = match (&verified, decision.verification) {
                    (Some(v), _) => vec![keydesk_audit::Verification {
                        check: v.method.clone(),
                        passed: true,
                        detail: Some(format!(
                            "{} ({}), code sent to {}",
                            v.id, v.target, v.sent_to
                        )),
                    }],
                    (None, VerificationStatus::Skipped) => vec![keydesk_audit::Verification {
                        check: "end_user_verification_skipped".into(),
                        passed: false,
                        detail: Some(
                            "unrestricted mode: the operator went on without verifying the user"
                                .into(),
                        ),
                    }],
                    _ => Vec::new(),
                };
                if let Some(object) = event.details.as_object_mut() {
                    object.insert("intent_ref".into(), json!(intent_id));
                    if let Some(run) = bulk {
                        object.insert("bulk_plan_hash".into(), json!(run.plan_hash));
                    }
                }
                let record = self.audit.append(&event).await?;
                Ok(Authorization::Approved(Approved::new(
                    request.plan.action,
                    request.plan.target.clone(),
                    request.plan.plan_hash(),
                    record,
                    decision,
                )))
            }
        }
    }

    /// Records how an authorized change ended. The capability is consumed: it authorizes one
    /// execution. A failure leaves the intent open, which `audit verify` reports.
    pub async fn complete(
        &self,
        approved: Approved,
        completion: Completion,
    ) -> Result<AuditRecord, Error> {
        let mut event = AuditEvent::outcome_of(
            approved.intent(),
            keydesk_audit::Outcome {
                status: completion.status,
                summary: completion.summary,
            },
        );
        event.details = completion.details;
        event.graph_request_ids = completion.graph_request_ids;
        Ok(self.audit.append(&event).await?)
    }

    /// Records preserved evidence (a snapshot's path and SHA-256, in `details`) under the
    /// authorized action it belongs to, before anything else happens: an `evidence` record bound
    /// to the action's intent.
    pub async fn record_evidence(
        &self,
        approved: &Approved,
        details: serde_json::Value,
    ) -> Result<AuditRecord, Error> {
        let mut event = AuditEvent::about_intent(approved.intent(), EventKind::Evidence);
        event.details = details;
        Ok(self.audit.append(&event).await?)
    }

    /// Starts a bulk run of the plan `bulk` (the action and the whole list as steps): uses an
    /// approved, unused approval for exactly this list if there is one.
    pub async fn begin_bulk(&self, bulk: &PlannedChange) -> Result<BulkRun, Error> {
        let plan_hash = bulk.plan_hash();
        let now = self.now();
        let mut approval = None;
        for record in self.state.approvals_for_plan(&plan_hash).await? {
            if record.status == ApprovalStatus::Approved
                && now < record.expires_at
                && self
                    .state
                    .use_approval(&record.id, &format!("bulk:{plan_hash}"), now)
                    .await?
            {
                approval = Some(record);
                break;
            }
        }
        Ok(BulkRun {
            plan_hash,
            approval,
            started_at: now,
        })
    }

    /// Files (or returns the pending) approval request for a whole bulk list, when items of a
    /// run needed an approval or a verification.
    pub async fn request_bulk_approval(
        &self,
        principal: &Principal,
        bulk: &PlannedChange,
    ) -> Result<ApprovalRecord, Error> {
        let request = Request {
            principal: principal.clone(),
            resource: Resource::Tenant,
            plan: bulk.clone(),
            origin: Origin::Cli,
            on_behalf_of: None,
            profile_fields: Vec::new(),
        };
        let approvers = keydesk_policy::binding::ApproverSet::Roles(
            self.engine.settings().approver_roles.clone(),
        );
        self.file_approval_to(&request, approvers.describe()).await
    }

    async fn gather(
        &self,
        request: &Request,
        bulk: Option<&BulkRun>,
    ) -> Result<(Decision, Vec<ApprovalRecord>, Option<VerificationRecord>), Error> {
        let now = self.now();
        let actor = normalize_upn(&request.principal.upn);
        let (plan_hash, records, approvals) = match bulk {
            Some(run) => {
                // The run used the approval when it began; from then on the approval covers the
                // run, not a moment: its items are judged against the run's own deadline.
                let approvals = run
                    .approval
                    .iter()
                    .filter_map(|record| to_policy_approval(record, false))
                    .map(|mut approval| {
                        if run.started_at < approval.expires_at {
                            approval.expires_at = approval
                                .expires_at
                                .max(run.started_at.saturating_add(self.lifetimes.bulk_run));
                        }
                        approval
                    })
                    .collect();
                (run.plan_hash.clone(), Vec::new(), approvals)
            }
            None => {
                let plan_hash = request.plan.plan_hash();
                let records = self.state.approvals_for_plan(&plan_hash).await?;
                let approvals = records
                    .iter()
                    .filter_map(|record| {
                        to_policy_approval(record, record.status == ApprovalStatus::Used)
                    })
                    .collect();
                (plan_hash, records, approvals)
            }
        };
        let verification = match &request.resource {
            Resource::User(user) => {
                self.state
                    .latest_verification(&normalize_upn(&user.upn), &actor, "verified")
                    .await?
            }
            _ => None,
        };
        let context = ContextFacts {
            plan_hash,
            approvals,
            verification: verification.as_ref().map(|v| Verification {
                method: if v.method == "manager_confirmation" {
                    VerificationMethod::ManagerConfirmation
                } else {
                    VerificationMethod::RegisteredMethod
                },
                target: v.target.clone(),
                code_used: false,
                expires_at: v.expires_at,
            }),
            origin: request.origin,
            bulk: bulk.is_some(),
            now,
            sensitive_actions_last_hour: self.state.sensitive_since(&actor, now - 3_600).await?,
            profile_fields: request.profile_fields.clone(),
        };
        let decision = keydesk_policy::evaluate(
            &self.engine,
            &DecisionRequest {
                principal: request.principal.clone(),
                action: request.plan.action,
                resource: request.resource.clone(),
                context,
            },
        );
        Ok((decision, records, verification))
    }

    fn event(&self, kind: EventKind, request: &Request, decision: &Decision) -> AuditEvent {
        let mut event = AuditEvent::new(
            kind,
            normalize_upn(&request.principal.upn),
            request.plan.action.as_str(),
        );
        event.on_behalf_of = request.on_behalf_of.clone();
        event.target = request.plan.target.clone();
        event.decision = Some(keydesk_audit::Decision {
            effect: match decision.effect {
                Effect::Allow => keydesk_audit::Effect::Allow,
                Effect::Deny => keydesk_audit::Effect::Deny,
                Effect::NeedsApproval => keydesk_audit::Effect::NeedsApproval,
                Effect::NeedsVerification => keydesk_audit::Effect::NeedsVerification,
            },
            reasons: decision.reasons.clone(),
            policies: decision.policies.clone(),
        });
        event.details = json!({
            "summary": request.plan.summary,
            "plan": request.plan.steps.iter().map(|(s, d)| json!({"action": s, "detail": d})).collect::<Vec<_>>(),
            "plan_hash": request.plan.plan_hash(),
            "store": request.plan.store(),
            "origin": request.origin.as_str(),
            "principal_kind": match request.principal.kind {
                PrincipalKind::Operator => "operator",
                PrincipalKind::Employee => "employee",
            },
            "notes": decision.notes,
        });
        event
    }

    /// A refused request leaves a trace: an intent and its refused outcome.
    async fn record_refusal(&self, request: &Request, decision: &Decision) -> Result<(), Error> {
        let intent = self
            .audit
            .append(&self.event(EventKind::Intent, request, decision))
            .await?;
        let outcome = AuditEvent::outcome_of(
            &intent,
            keydesk_audit::Outcome {
                status: keydesk_audit::OutcomeStatus::Refused,
                summary: format!(
                    "refused by policy: {}",
                    decision
                        .reasons
                        .first()
                        .map(String::as_str)
                        .unwrap_or("no policy permits it")
                ),
            },
        );
        self.audit.append(&outcome).await?;
        Ok(())
    }

    async fn alert(&self, request: &Request, decision: &Decision) -> Result<(), Error> {
        let mut event = self.event(EventKind::Alert, request, decision);
        if let Some(object) = event.details.as_object_mut() {
            object.insert(
                "alert".into(),
                json!(format!(
                    "{} is past the hourly budget of {} sensitive actions",
                    normalize_upn(&request.principal.upn),
                    self.engine.settings().hourly_sensitive_budget
                )),
            );
        }
        self.audit.append(&event).await?;
        Ok(())
    }

    async fn file_approval(
        &self,
        request: &Request,
        decision: &Decision,
    ) -> Result<ApprovalRecord, Error> {
        let from = decision
            .missing
            .iter()
            .find_map(|m| match m {
                Missing::Approval { from } => Some(from.clone()),
                Missing::Verification { .. } => None,
            })
            .unwrap_or_else(|| "an approver".into());
        self.file_approval_to(request, from).await
    }

    /// Returns the live pending request for this plan and requester, or files a new one.
    async fn file_approval_to(
        &self,
        request: &Request,
        approvers: String,
    ) -> Result<ApprovalRecord, Error> {
        let now = self.now();
        let plan_hash = request.plan.plan_hash();
        let requester = normalize_upn(&request.principal.upn);
        if let Some(existing) = self
            .state
            .approvals_for_plan(&plan_hash)
            .await?
            .into_iter()
            .find(|a| {
                a.status == ApprovalStatus::Pending
                    && a.requester == requester
                    && now < a.expires_at
            })
        {
            return Ok(existing);
        }
        let record = ApprovalRecord {
            id: format!("apr-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            plan_hash,
            action: request.plan.action.as_str().to_owned(),
            target: request.plan.target.clone(),
            requester,
            summary: request.plan.summary.clone(),
            plan: request
                .plan
                .steps
                .iter()
                .map(|(step, detail)| format!("{step}: {detail}"))
                .collect::<Vec<_>>()
                .join("\n"),
            approvers,
            created_at: now,
            expires_at: now + self.lifetimes.approval,
            status: ApprovalStatus::Pending,
            decided_by: None,
            decided_roles: Vec::new(),
            decided_at: None,
            used_by: None,
        };
        // Audit first: an approval request nobody can see in the log must not exist.
        let mut event = AuditEvent::new(
            EventKind::ApprovalRequested,
            record.requester.clone(),
            record.action.clone(),
        );
        event.target = record.target.clone();
        event.approvals = vec![keydesk_audit::Approval {
            id: record.id.clone(),
            approver: None,
            approved: None,
        }];
        event.details = json!({
            "plan_hash": record.plan_hash,
            "summary": record.summary,
            "approvers": record.approvers,
            "expires_at": record.expires_at,
        });
        self.audit.append(&event).await?;
        self.state.insert_approval(&record).await?;
        Ok(record)
    }

    /// Approves (or with `approve = false`, denies) request `id` as `approver`, who holds
    /// `approver_roles`. Refuses the requester (four eyes), expired and already decided requests.
    /// Whether the approver is in the approver set is checked again when the approval is used.
    pub async fn decide(
        &self,
        id: &str,
        approver: &Principal,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<ApprovalRecord, Error> {
        let now = self.now();
        let who = normalize_upn(&approver.upn);
        let record = self
            .state
            .approval(id)
            .await?
            .ok_or_else(|| Error::UnknownApproval(id.to_owned()))?;
        if record.status != ApprovalStatus::Pending {
            return Err(Error::ApprovalRefused(format!(
                "{id} is {}, not pending",
                record.status.as_str()
            )));
        }
        if now >= record.expires_at {
            return Err(Error::ApprovalRefused(format!(
                "{id} has expired; the requester must ask again"
            )));
        }
        if approve && who == record.requester {
            return Err(Error::ApprovalRefused(format!(
                "{who} asked for {id} and cannot approve it: a second person must (four eyes)"
            )));
        }
        if approve && record.target.as_deref() == Some(who.as_str()) {
            return Err(Error::ApprovalRefused(format!(
                "{who} is the target of {id} and cannot approve it"
            )));
        }
        // A group access request is approved by the group's owners, who may be employees (the
        // policy's binding admits only the owners); everything else needs an operator.
        if approve && approver.kind != PrincipalKind::Operator && record.action != "request_access"
        {
            return Err(Error::ApprovalRefused(format!(
                "{who} is not an operator and cannot approve {id}"
            )));
        }
        let mut event = AuditEvent::new(
            EventKind::ApprovalDecided,
            who.clone(),
            record.action.clone(),
        );
        event.target = record.target.clone();
        event.approvals = vec![keydesk_audit::Approval {
            id: record.id.clone(),
            approver: Some(who.clone()),
            approved: Some(approve),
        }];
        event.details = json!({
            "plan_hash": record.plan_hash,
            "requester": record.requester,
            "approver_roles": approver.directory_roles,
            "reason": reason,
        });
        self.audit.append(&event).await?;
        if !self
            .state
            .decide_approval(id, approve, &who, &approver.directory_roles, now)
            .await?
        {
            return Err(Error::ApprovalRefused(format!(
                "{id} was decided by someone else a moment ago"
            )));
        }
        self.state
            .approval(id)
            .await?
            .ok_or_else(|| Error::UnknownApproval(id.to_owned()))
    }

    /// Starts verifying `target` for `operator`: a fresh one-time code, stored only as a salted
    /// hash. The caller sends the returned code through `sent_to` and must not keep it.
    pub async fn begin_verification(
        &self,
        operator: &str,
        target: &str,
        method: VerificationMethod,
        sent_to: &str,
    ) -> Result<(VerificationRecord, Secret), Error> {
        let now = self.now();
        let code = keydesk_core::secret::generate_code_os(8).map_err(|_| Error::Random)?;
        let salt = keydesk_core::secret::generate_code_os(16).map_err(|_| Error::Random)?;
        let id = format!("ver-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let record = VerificationRecord {
            code_hash: code_hash(&id, salt.expose(), code.expose()),
            code_salt: salt.expose().to_owned(),
            id,
            target: normalize_upn(target),
            operator: normalize_upn(operator),
            method: method_name(method).to_owned(),
            sent_to: sent_to.to_owned(),
            attempts: 0,
            created_at: now,
            expires_at: now + self.lifetimes.code,
            status: "pending".into(),
        };
        let mut event = AuditEvent::new(
            EventKind::Verification,
            record.operator.clone(),
            "verify_user",
        );
        event.target = Some(record.target.clone());
        event.verifications = vec![keydesk_audit::Verification {
            check: format!("{}_code_sent", record.method),
            passed: false,
            detail: Some(format!("{} sent to {}", record.id, record.sent_to)),
        }];
        self.audit.append(&event).await?;
        self.state.insert_verification(&record).await?;
        Ok((record, code))
    }

    /// Checks the code the user read back. A wrong code counts an attempt; too many, or an
    /// expired code, void the verification.
    pub async fn confirm_verification(
        &self,
        operator: &str,
        target: &str,
        code: &str,
    ) -> Result<VerificationRecord, Error> {
        let now = self.now();
        let operator = normalize_upn(operator);
        let target = normalize_upn(target);
        let Some(record) = self
            .state
            .latest_verification(&target, &operator, "pending")
            .await?
        else {
            return Err(Error::Verification(format!(
                "no verification of {target} by {operator} is waiting for a code; start one with `keydesk verify {target}`"
            )));
        };
        let matches = constant_time_eq(
            code_hash(&record.id, &record.code_salt, code.trim()).as_bytes(),
            record.code_hash.as_bytes(),
        );
        let (passed, why) = if now >= record.expires_at {
            (false, "the code has expired")
        } else if !matches {
            (false, "the code is wrong")
        } else {
            (true, "the code matched")
        };
        let mut event = AuditEvent::new(EventKind::Verification, operator.clone(), "verify_user");
        event.target = Some(target.clone());
        event.verifications = vec![keydesk_audit::Verification {
            check: record.method.clone(),
            passed,
            detail: Some(format!("{}: {why}", record.id)),
        }];
        self.audit.append(&event).await?;
        if !passed {
            self.state
                .count_failed_attempt(&record.id, self.lifetimes.max_attempts)
                .await?;
            return Err(Error::Verification(format!(
                "{target} is not verified: {why}"
            )));
        }
        if !self
            .state
            .mark_verified(&record.id, now, now + self.lifetimes.verified)
            .await?
        {
            return Err(Error::Verification(format!(
                "{target} is not verified: the code was used a moment ago"
            )));
        }
        self.state
            .latest_verification(&target, &operator, "verified")
            .await?
            .ok_or_else(|| Error::Verification("the verification vanished".into()))
    }
}

fn to_policy_approval(record: &ApprovalRecord, used: bool) -> Option<Approval> {
    if !matches!(
        record.status,
        ApprovalStatus::Approved | ApprovalStatus::Used
    ) {
        return None;
    }
    Some(Approval {
        approver: record.decided_by.clone()?,
        approver_roles: record.decided_roles.clone(),
        plan_hash: record.plan_hash.clone(),
        used,
        expires_at: record.expires_at,
    })
}

fn method_name(method: VerificationMethod) -> &'static str {
    match method {
        VerificationMethod::RegisteredMethod => "registered_method",
        VerificationMethod::ManagerConfirmation => "manager_confirmation",
    }
}

fn code_hash(id: &str, salt: &str, code: &str) -> String {
    let mut hasher = Sha256::new();
    for part in ["keydesk-verification-v1", id, salt, code] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
