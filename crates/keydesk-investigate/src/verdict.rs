//! The verdict: `compromised`, `suspicious` or `clean`, with its reasoning (reference
//! "Correlation and verdict").
//!
//! - **Session taken** (someone else holds a session or token) → `compromised`: MFA fatigue
//!   ending in success, success from brute-force infrastructure, one session from two networks,
//!   token claims from a new network on an unknown device, persistence after a flagged sign-in,
//!   risky consent, confirm-level Identity Protection detections.
//! - Otherwise points (high 3, medium 2, low 1, critical 4): ≥5 including a successful sign-in
//!   outside the baseline → `compromised` ("likely account compromise").
//! - **Credential known** (password validated, leaked or MFA pushed, nothing succeeded) →
//!   `suspicious`, with a password reset recommended.
//! - Any medium-or-worse finding → `suspicious`; else `clean`.

use serde::{Deserialize, Serialize};

use crate::detect::{Finding, Severity, Signal};
use crate::model::{Timestamp, Window};

/// The three verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Someone else has (or had) access to the account.
    Compromised,
    /// Indicators worth review, or the password is known but no access was obtained.
    Suspicious,
    /// Nothing of note.
    Clean,
}

impl VerdictKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Compromised => "compromised",
            VerdictKind::Suspicious => "suspicious",
            VerdictKind::Clean => "clean",
        }
    }
}

/// What the verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// An attacker obtained a session or token: full containment.
    SessionTaken,
    /// The password is known to someone else but no access was obtained: reset and clean up.
    CredentialKnown,
    /// Accumulated indicators.
    Indicators,
    /// No findings of note.
    Nothing,
}

/// The decision with its reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The verdict.
    pub verdict: VerdictKind,
    /// What it rests on.
    pub basis: Basis,
    /// Indicator points (high 3, medium 2, low 1, critical 4).
    pub points: u32,
    /// Sentences explaining the decision.
    pub reasoning: Vec<String>,
    /// The attacker was active in the last two hours of the window (containment mode
    /// "active": cut access first).
    pub active: bool,
    /// The earliest malicious activity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_malicious: Option<Timestamp>,
}

/// Decides from the findings.
pub fn decide(findings: &[Finding], window: Window) -> Verdict {
    let points: u32 = findings.iter().map(|f| f.severity.points()).sum();
    let session: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.indicates == Signal::SessionTaken)
        .collect();
    let credential: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.indicates == Signal::CredentialKnown)
        .collect();
    let unfamiliar_success = findings.iter().any(|f| f.unfamiliar_success);
    let notable: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let mut reasoning = Vec::new();
    let (verdict, basis, evidence) = if !session.is_empty() {
        reasoning.push(
            "Someone else obtained a session or token for this account (session taken):".to_owned(),
        );
        for f in &session {
            reasoning.push(format!("{}: {}", f.kind, f.summary));
        }
        (
            VerdictKind::Compromised,
            Basis::SessionTaken,
            session.clone(),
        )
    } else if points >= 5 && unfamiliar_success {
        reasoning.push(format!(
            "Indicators add up to {points} points (threshold 5) and include a successful sign-in from outside the user's usual networks and devices (likely account compromise)."
        ));
        for f in &notable {
            reasoning.push(format!("{}: {}", f.kind, f.summary));
        }
        (VerdictKind::Compromised, Basis::Indicators, notable.clone())
    } else if !credential.is_empty() {
        reasoning.push(
            "The password is known to someone else, but no session was obtained (credential known): reset the password and check the methods."
                .to_owned(),
        );
        for f in &credential {
            reasoning.push(format!("{}: {}", f.kind, f.summary));
        }
        (
            VerdictKind::Suspicious,
            Basis::CredentialKnown,
            credential.clone(),
        )
    } else if !notable.is_empty() {
        reasoning.push(format!(
            "{} finding{} worth review ({points} points), none of which shows that someone else has the password or a session.",
            notable.len(),
            if notable.len() == 1 { "" } else { "s" }
        ));
        for f in &notable {
            reasoning.push(format!("{}: {}", f.kind, f.summary));
        }
        (VerdictKind::Suspicious, Basis::Indicators, notable.clone())
    } else {
        if findings.is_empty() {
            reasoning.push("No detection fired in the window.".to_owned());
        } else {
            reasoning.push(format!(
                "Only low-severity observations ({}), consistent with ordinary use.",
                findings
                    .iter()
                    .map(|f| f.kind.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        (VerdictKind::Clean, Basis::Nothing, Vec::new())
    };
    let first_malicious = evidence.iter().filter_map(|f| f.first_seen).min();
    let recent = window.to.plus(-2 * Timestamp::HOUR);
    let active = verdict == VerdictKind::Compromised
        && evidence
            .iter()
            .filter_map(|f| f.last_seen)
            .any(|t| t >= recent);
    Verdict {
        verdict,
        basis,
        points,
        reasoning,
        active,
        first_malicious,
    }
}
