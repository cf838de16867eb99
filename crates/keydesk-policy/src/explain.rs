//! Rendering a [`Decision`] for people: the text `keydesk policy check` prints. It names the
//! verdict, the policies that allowed or forbade the request with their reasons, what is missing,
//! and what was presented but did not count. Plain text, one fact per line; no colours or
//! terminal handling (that belongs to the CLI).

use std::fmt::Write as _;

use crate::{Decision, Effect, Missing, VerificationMethod, VerificationMode, VerificationStatus};

/// Renders a decision for `keydesk policy check`: the verdict, which policies allowed or forbade
/// it, what is missing, and what was presented but did not count.
pub fn explain(decision: &Decision) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}",
        decision.summary,
        decision.effect.as_str().to_uppercase()
    );
    let verb = match decision.effect {
        Effect::Allow => "allowed by",
        Effect::Deny | Effect::NeedsApproval | Effect::NeedsVerification => "forbidden by",
    };
    if decision.policies.is_empty() {
        for reason in &decision.reasons {
            let _ = writeln!(out, "  {reason}");
        }
    } else {
        for (id, reason) in decision.policies.iter().zip(&decision.reasons) {
            let _ = writeln!(out, "  {verb} {id}: {reason}");
        }
    }
    for missing in &decision.missing {
        match missing {
            Missing::Approval { from } => {
                let _ = writeln!(
                    out,
                    "  missing: an approval of this exact plan from {from}, who is neither the requester nor the target"
                );
            }
            Missing::Verification { mode, methods } => {
                let methods: Vec<&str> =
                    methods.iter().map(|method| method_label(*method)).collect();
                let mode = match mode {
                    VerificationMode::Restricted => "restricted",
                    VerificationMode::Unrestricted => "unrestricted",
                };
                let _ = writeln!(
                    out,
                    "  missing: a verification of the user ({mode} mode) through {}",
                    methods.join(" or ")
                );
            }
        }
    }
    match decision.verification {
        VerificationStatus::Verified => {
            let _ = writeln!(out, "  verification: the user was verified");
        }
        VerificationStatus::Skipped => {
            let _ = writeln!(
                out,
                "  verification: skipped (unrestricted mode); the skip is recorded"
            );
        }
        VerificationStatus::NotRequired | VerificationStatus::Missing => {}
    }
    if !decision.approvers.is_empty() {
        let _ = writeln!(out, "  approved by: {}", decision.approvers.join(", "));
    }
    for note in &decision.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if decision.alert {
        let _ = writeln!(
            out,
            "  ALERT: past the hourly budget of sensitive actions; an alert is recorded"
        );
    }
    out
}

fn method_label(method: VerificationMethod) -> &'static str {
    match method {
        VerificationMethod::RegisteredMethod => "one of the user's registered methods",
        VerificationMethod::ManagerConfirmation => "the manager's confirmation",
    }
}
