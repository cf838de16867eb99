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
    if matches!(report.outcome, Outcome::Info) {
        details(&mut out, &report.details, 1);
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

/// Scalars of a JSON value as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(if *b { "yes".into() } else { "no".into() }),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => Some(
            items
                .iter()
                .filter_map(scalar)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

/// Operation details for people: fields as `key: value`, lists of records as aligned tables.
fn details(out: &mut impl Write, value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    let Value::Object(map) = value else {
        return;
    };
    for (key, field) in map {
        if let Some(text) = scalar(field) {
            if !text.is_empty() {
                let _ = writeln!(out, "{indent}{key}: {text}");
            }
            continue;
        }
        match field {
            Value::Object(_) if depth < 3 => {
                let _ = writeln!(out, "{indent}{key}:");
                details(out, field, depth + 1);
            }
            Value::Array(rows) if rows.iter().all(Value::is_object) && !rows.is_empty() => {
                let _ = writeln!(out, "{indent}{key}:");
                table(out, rows, &format!("{indent}  "));
            }
            _ => {}
        }
    }
}

fn table(out: &mut impl Write, rows: &[Value], indent: &str) {
    // Meaningful columns first; object ids only when there is room.
    const PREFERRED: &[&str] = &[
        "userPrincipalName",
        "action",
        "displayName",
        "name",
        "status",
        "reason",
        "kind",
        "role",
        "department",
        "jobTitle",
        "lastEvent",
        "accountEnabled",
        "missing",
        "grant",
    ];
    let mut available: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for (key, field) in map {
                if scalar(field).is_some() && !available.contains(key) {
                    available.push(key.clone());
                }
            }
        }
    }
    let rank = |key: &String| {
        PREFERRED
            .iter()
            .position(|p| p == key)
            .unwrap_or(if key == "id" {
                usize::MAX
            } else {
                PREFERRED.len()
            })
    };
    available.sort_by_key(rank);
    let columns: Vec<String> = available.into_iter().take(6).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    let text = row.get(c).and_then(scalar).unwrap_or_default();
                    if text.chars().count() > 48 {
                        format!("{}…", text.chars().take(47).collect::<String>())
                    } else {
                        text
                    }
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| -> String {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{indent}{}", line(&columns));
    for row in &cells {
        let _ = writeln!(out, "{indent}{}", line(row));
    }
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

/// Asks a yes/no question on stderr and reads the answer from stdin: only "y", "Y" or "yes"
/// is a yes.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    use std::io::BufRead;
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
