//! What callers hand to the audit log: [`AuditEvent`] and the small typed values inside it.
//!
//! These are the audit record schema (serialization is this crate's boundary, so they derive
//! `Serialize`/`Deserialize`). Nothing here can hold a `keydesk_core::Secret`: `Secret` has no
//! `Serialize`, so a struct with a `Secret` field would not compile here, and `details` is plain
//! JSON that callers build from values that serialize. Callers must still not copy a secret's
//! exposed text into `details` or a summary; that is a review rule, not a type rule.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One thing keydesk is about to do, did, asked for or noticed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// What kind of record this is.
    pub kind: EventKind,
    /// UPN of who asked (the operator, the employee for self-service, or keydesk's own identity).
    pub actor: String,
    /// UPN of the person the actor acted for, when different (a manager asking for a report).
    pub on_behalf_of: Option<String>,
    /// The action, in keydesk's snake_case vocabulary (`password_reset`, `unlock`, ...).
    pub action: String,
    /// UPN or group the action is about.
    pub target: Option<String>,
    /// Which directory the action touches.
    pub store: DirectoryStore,
    /// The policy decision that allowed, refused or paused the action.
    pub decision: Option<Decision>,
    /// Approvals requested or given for the action.
    pub approvals: Vec<Approval>,
    /// Identity verifications and read-back checks.
    pub verifications: Vec<Verification>,
    /// `request-id`s of the Graph calls made for this step, to join with the tenant's logs.
    pub graph_request_ids: Vec<String>,
    /// For an outcome (or an approval or verification belonging to an intent): the `id` of the
    /// intent record it refers to.
    pub intent_id: Option<Uuid>,
    /// What happened, for outcome records.
    pub outcome: Option<Outcome>,
    /// Anything else worth keeping, as JSON. Never put secret text here.
    pub details: serde_json::Value,
}

/// The kinds of audit record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Written before anything executes; if it can't be written, nothing executes.
    Intent,
    /// Written after execution, closing an intent (`intent_id`).
    Outcome,
    ApprovalRequested,
    ApprovalDecided,
    Verification,
    Alert,
    Evidence,
    /// A bulk job was cancelled: its unclaimed items will not run.
    JobCancelled,
}

/// The directory an action touches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryStore {
    /// Microsoft Entra ID through Microsoft Graph.
    #[default]
    Entra,
    /// On-premises Active Directory.
    Ad,
}

/// A policy decision and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub effect: Effect,
    /// Human-readable reasons, in the order the policy engine gave them.
    pub reasons: Vec<String>,
    /// Ids of the policies that determined the decision.
    pub policies: Vec<String>,
}

/// What a policy decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Allow,
    Deny,
    NeedsApproval,
    NeedsVerification,
}

/// An approval request or answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// keydesk's approval id.
    pub id: String,
    /// UPN of the approver, once known.
    pub approver: Option<String>,
    /// `Some(true)` approved, `Some(false)` rejected, `None` still pending.
    pub approved: Option<bool>,
}

/// An identity verification or a read-back check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// What was checked (`manager_confirmed`, `mfa_challenge`, `read_back_account_enabled`, ...).
    pub check: String,
    pub passed: bool,
    pub detail: Option<String>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: OutcomeStatus,
    /// One sentence for people.
    pub summary: String,
}

/// How an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Done,
    Failed,
    Refused,
    NothingToDo,
    Planned,
}

impl AuditEvent {
    /// An event of `kind` by `actor` about `action`, with every optional part empty and the
    /// store set to Entra. Fill in the public fields as needed.
    pub fn new(kind: EventKind, actor: impl Into<String>, action: impl Into<String>) -> AuditEvent {
        AuditEvent {
            kind,
            actor: actor.into(),
            on_behalf_of: None,
            action: action.into(),
            target: None,
            store: DirectoryStore::Entra,
            decision: None,
            approvals: Vec::new(),
            verifications: Vec::new(),
            graph_request_ids: Vec::new(),
            intent_id: None,
            outcome: None,
            details: serde_json::Value::Null,
        }
    }

    /// An intent: written before `action` executes.
    pub fn intent(actor: impl Into<String>, action: impl Into<String>) -> AuditEvent {
        AuditEvent::new(EventKind::Intent, actor, action)
    }

    /// The outcome closing the intent record `intent`: same actor, on-behalf-of, action, target
    /// and store, `intent_id` set to the intent's id.
    pub fn outcome_of(intent: &crate::AuditRecord, outcome: Outcome) -> AuditEvent {
        let mut event = AuditEvent::about_intent(intent, EventKind::Outcome);
        event.outcome = Some(outcome);
        event
    }

    /// An event of `kind` belonging to the intent record `intent` (evidence preserved for it,
    /// its outcome): same actor, on-behalf-of, action, target and store, `intent_id` set.
    pub fn about_intent(intent: &crate::AuditRecord, kind: EventKind) -> AuditEvent {
        let mut event = AuditEvent::new(
            kind,
            intent.event.actor.clone(),
            intent.event.action.clone(),
        );
        event.on_behalf_of = intent.event.on_behalf_of.clone();
        event.target = intent.event.target.clone();
        event.store = intent.event.store;
        event.intent_id = Some(intent.id);
        event
    }

    /// Checks what a store needs before it writes: an actor and an action, and an outcome on
    /// outcome records.
    pub fn validate(&self) -> Result<(), crate::Error> {
        if self.actor.trim().is_empty() {
            return Err(crate::Error::InvalidEvent("the actor is empty".to_owned()));
        }
        if self.action.trim().is_empty() {
            return Err(crate::Error::InvalidEvent("the action is empty".to_owned()));
        }
        if self.kind == EventKind::Outcome && self.outcome.is_none() {
            return Err(crate::Error::InvalidEvent(
                "an outcome record needs an outcome".to_owned(),
            ));
        }
        Ok(())
    }
}

impl EventKind {
    /// The snake_case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Intent => "intent",
            EventKind::Outcome => "outcome",
            EventKind::ApprovalRequested => "approval_requested",
            EventKind::ApprovalDecided => "approval_decided",
            EventKind::Verification => "verification",
            EventKind::Alert => "alert",
            EventKind::Evidence => "evidence",
            EventKind::JobCancelled => "job_cancelled",
        }
    }

    /// The kind named `text`, as stored.
    pub fn parse(text: &str) -> Option<EventKind> {
        [
            EventKind::Intent,
            EventKind::Outcome,
            EventKind::ApprovalRequested,
            EventKind::ApprovalDecided,
            EventKind::Verification,
            EventKind::Alert,
            EventKind::Evidence,
            EventKind::JobCancelled,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

impl DirectoryStore {
    /// The snake_case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryStore::Entra => "entra",
            DirectoryStore::Ad => "ad",
        }
    }

    /// The store named `text`, as stored.
    pub fn parse(text: &str) -> Option<DirectoryStore> {
        match text {
            "entra" => Some(DirectoryStore::Entra),
            "ad" => Some(DirectoryStore::Ad),
            _ => None,
        }
    }
}

impl Effect {
    /// The snake_case name used in records and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::NeedsApproval => "needs_approval",
            Effect::NeedsVerification => "needs_verification",
        }
    }
}

impl OutcomeStatus {
    /// The snake_case name used in records and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Done => "done",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Refused => "refused",
            OutcomeStatus::NothingToDo => "nothing_to_do",
            OutcomeStatus::Planned => "planned",
        }
    }
}
