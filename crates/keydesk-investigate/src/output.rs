//! The `--json` shapes of `keydesk investigate` and `keydesk hunt`, built from the crate's
//! results so the CLI prints exactly one object:
//!
//! - investigate: `{"user", "window": {"from","to"}, "verdict", "basis", "reasoning",
//!   "findings": [{"kind","severity","summary","signins":[ids], ...}], "evidence", "plan"}`;
//! - hunt: `{"findings": [{"kind", "ip" (one source), "users": [...], ...}], ...}`.

use serde::{Deserialize, Serialize};

use crate::contain::ContainmentPlan;
use crate::detect::{BaselineSummary, Finding, Investigation};
use crate::hunt::HuntReport;
use crate::model::Window;
use crate::verdict::{Basis, VerdictKind};

/// Where the preserved evidence is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// The snapshot file (or the sign-in export that was read).
    pub path: String,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// `keydesk investigate --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestigateOutput {
    /// UPN.
    pub user: String,
    /// The window.
    pub window: Window,
    /// `compromised`, `suspicious` or `clean`.
    pub verdict: VerdictKind,
    /// `session_taken`, `credential_known`, `indicators`, `nothing`.
    pub basis: Basis,
    /// Why.
    pub reasoning: Vec<String>,
    /// Indicator points.
    pub points: u32,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// What the baseline held.
    pub baseline: BaselineSummary,
    /// Sign-ins inside the window.
    pub sign_ins_in_window: usize,
    /// The preserved evidence.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub evidence: Vec<EvidenceRef>,
    /// The containment plan (with `--contain` or `--dry-run`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub plan: Option<ContainmentPlan>,
}

impl InvestigateOutput {
    /// From an investigation, its evidence references and an optional plan.
    pub fn new(
        investigation: &Investigation,
        evidence: Vec<EvidenceRef>,
        plan: Option<ContainmentPlan>,
    ) -> Self {
        InvestigateOutput {
            user: investigation.user.clone(),
            window: investigation.window,
            verdict: investigation.verdict.verdict,
            basis: investigation.verdict.basis,
            reasoning: investigation.verdict.reasoning.clone(),
            points: investigation.verdict.points,
            findings: investigation.findings.clone(),
            baseline: investigation.baseline.clone(),
            sign_ins_in_window: investigation.sign_ins_in_window,
            evidence,
            plan,
        }
    }
}

/// `keydesk hunt --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HuntOutput {
    /// The period hunted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Sign-ins considered.
    pub sign_ins: usize,
    /// Distinct users.
    pub users: usize,
    /// Findings.
    pub findings: Vec<Finding>,
}

impl From<&HuntReport> for HuntOutput {
    fn from(report: &HuntReport) -> Self {
        HuntOutput {
            window: report.window,
            sign_ins: report.sign_ins,
            users: report.users,
            findings: report.findings.clone(),
        }
    }
}
