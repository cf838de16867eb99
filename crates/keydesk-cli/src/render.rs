//! Printing results: a readable summary for people, or exactly one JSON object on stdout for
//! `--json`. A revealed secret is printed once, in a box, and only when the operator asked.

use std::io::Write;

use keydesk_ops::{Error as OpsError, Outcome, Report, StepStatus};
use serde_json::{Value, json};

/// Exit codes: 0 done, 1 failed, 2 usage, 3 refused, 4 not found or ambiguous.
pub mod exit {
    pub const FAILED: u8 = 1;
    pub const REFUSED: u8 = 3;
    pub const UNRESOLVED: u8 = 4;
}

pub fn report(report: &Report, json_output: bool) -> u8 {
    let code = match report.outcome {
        Outcome::Failed => exit::FAILED,
        _ => 0,
    };
    if json_output {
        let mut value = serde_json::to_value(report).unwrap_or(Value::Null);
        if let (Some(secret), Value::Object(map)) = (&report.reveal, &mut value) {
            map.insert("revealedSecret".into(), json!(secret.expose()));
        }
        print_json(&value);
        return code;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", report.summary);
    for step in &report.steps {
        let mark = match step.status {
            StepStatus::Done => "✓",
            StepStatus::Planned => "·",
            StepStatus::Skipped => "–",
            StepStatus::Failed => "✗",
        };
        let _ = writeln!(out, "  {mark} {:<16} {}", step.action, step.detail);
    }
    for verified in &report.verified {
        let _ = writeln!(out, "  verified: {verified}");
    }
    for note in &report.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if let Some(secret) = &report.reveal {
        let line = "─".repeat(secret.len() + 4);
        let _ = writeln!(
            out,
            "\n  Shown once — hand it over out of band, then forget it:"
        );
        let _ = writeln!(out, "  ┌{line}┐\n  │  {}  │\n  └{line}┘", secret.expose());
    }
    code
}

pub fn print_json(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut out, value);
    let _ = writeln!(out);
}

/// Prints an operation error; returns the exit code.
pub fn error(error: &OpsError, json_output: bool) -> u8 {
    let (code, guidance, candidates) = match error {
        OpsError::Refused { guidance, .. } => (exit::REFUSED, Some(guidance.clone()), Vec::new()),
        OpsError::AmbiguousUser { candidates, .. }
        | OpsError::AmbiguousGroup { candidates, .. } => {
            (exit::UNRESOLVED, None, candidates.clone())
        }
        OpsError::UserNotFound { .. } | OpsError::GroupNotFound { .. } => {
            (exit::UNRESOLVED, None, Vec::new())
        }
        _ => (exit::FAILED, None, Vec::new()),
    };
    if json_output {
        print_json(&json!({"error": {
            "code": error.code(),
            "message": error.to_string(),
            "guidance": guidance,
            "candidates": candidates,
        }}));
    } else {
        eprintln!("keydesk: {error}");
        if let Some(guidance) = guidance {
            eprintln!("  what to do: {guidance}");
        }
        for candidate in candidates {
            eprintln!(
                "  - {} ({}{})",
                candidate.id,
                candidate.name,
                if candidate.detail.is_empty() {
                    String::new()
                } else {
                    format!(", {}", candidate.detail)
                }
            );
        }
    }
    code
}
