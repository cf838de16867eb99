//! What an operation reports: the outcome, each step with its status and Graph request id, what
//! was verified, and notes for the operator. `--json` prints it as one object.

use keydesk_core::Secret;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything planned was done and verified.
    Done,
    /// Nothing needed doing.
    NothingToDo,
    /// Dry run: the plan, not executed.
    Planned,
    /// keydesk declined, with guidance (e.g. a synced user).
    Refused,
    /// Information only (diagnose, show, list).
    Info,
    /// Something failed part-way; see the steps.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Done,
    Planned,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub action: String,
    pub detail: String,
    pub status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The result of one operation.
#[derive(Debug, Serialize)]
pub struct Report {
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub summary: String,
    pub steps: Vec<Step>,
    pub verified: Vec<String>,
    pub notes: Vec<String>,
    /// Operation-specific data (a diagnosis, a profile, a member list...).
    pub details: serde_json::Value,
    /// A secret to show the operator once (`--reveal`); never serialized.
    #[serde(skip)]
    pub reveal: Option<Secret>,
}

impl Report {
    pub fn new(action: &str, target: Option<&str>) -> Report {
        Report {
            action: action.to_string(),
            target: target.map(str::to_lowercase),
            outcome: Outcome::Info,
            summary: String::new(),
            steps: Vec::new(),
            verified: Vec::new(),
            notes: Vec::new(),
            details: serde_json::Value::Null,
            reveal: None,
        }
    }

    pub fn step(&mut self, action: &str, detail: impl Into<String>, status: StepStatus) {
        self.steps.push(Step {
            action: action.to_string(),
            detail: detail.into(),
            status,
            request_id: None,
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn verify(&mut self, what: impl Into<String>) {
        self.verified.push(what.into());
    }
}
