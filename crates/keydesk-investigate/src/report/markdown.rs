//! The report as Markdown (one sentence per line where prose; tables for timeline, indicators,
//! actions and evidence). Cell text is escaped so data cannot break the table or inject HTML.

use std::fmt::Write as _;

use super::{ReportInput, build};

/// Escapes text for a Markdown table cell or line.
pub(crate) fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as Markdown.
pub fn render_markdown(input: &ReportInput<'_>) -> String {
    let r = build(input);
    let e = escape_md;
    let mut md = String::new();
    let _ = writeln!(md, "# Incident report {}\n", e(&r.case_id));
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| User | {} |", e(&r.user));
    let _ = writeln!(md, "| Object id | {} |", e(&r.user_id));
    let _ = writeln!(md, "| Verdict | **{}** |", r.verdict.verdict.as_str());
    let _ = writeln!(md, "| Window | {} to {} |", r.window.from, r.window.to);
    let _ = writeln!(md, "| Generated | {} |\n", r.generated_at);
    let _ = writeln!(md, "## Summary\n");
    for line in &r.summary {
        let _ = writeln!(md, "{}", e(line));
    }
    let _ = writeln!(md, "\n### Reasoning\n");
    for line in &r.verdict.reasoning {
        let _ = writeln!(md, "- {}", e(line));
    }
    let _ = writeln!(
        md,
        "\n## Detections\n\n| Kind | Severity | Summary | Observed |\n|---|---|---|---|"
    );
    for f in &r.findings {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            f.kind.as_str(),
            f.severity.as_str(),
            e(&f.summary),
            e(f.observed.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(
        md,
        "\n## Timeline (UTC)\n\n| Time | Source | IP | Place | What | Result | Findings | Evidence id |\n|---|---|---|---|---|---|---|---|"
    );
    for t in &r.timeline {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.at,
            e(&t.source),
            e(&t.ip),
            e(&t.place),
            e(&t.what),
            e(&t.result),
            e(&t.findings.join(", ")),
            e(&t.id)
        );
    }
    let _ = writeln!(
        md,
        "\n## Indicators\n\n| Kind | Value | Context |\n|---|---|---|"
    );
    for i in &r.indicators {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            e(&i.kind),
            e(&i.value),
            e(&i.context)
        );
    }
    let _ = writeln!(
        md,
        "\n## Map\n\nThe HTML report shows the sign-in locations on a map; places: {}.\n",
        e(&r.timeline
            .iter()
            .map(|t| t.place.as_str())
            .filter(|p| !p.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", "))
    );
    let _ = writeln!(md, "## Containment plan\n");
    match &r.plan {
        Some(plan) if !plan.steps.is_empty() => {
            let _ = writeln!(md, "| # | Action | Targets | Reason |\n|---|---|---|---|");
            for s in &plan.steps {
                let targets: Vec<String> = s
                    .targets
                    .iter()
                    .map(|t| format!("{} {}", t.kind, t.label.as_deref().unwrap_or(&t.id)))
                    .collect();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} |",
                    s.order,
                    s.action.as_str(),
                    e(&targets.join(", ")),
                    e(&s.reason)
                );
            }
        }
        _ => {
            let _ = writeln!(md, "No containment planned.");
        }
    }
    let _ = writeln!(md, "\n## Actions taken\n");
    if r.actions.is_empty() {
        let _ = writeln!(md, "None yet.");
    } else {
        let _ = writeln!(
            md,
            "| Time | Action | Target | Operator | Result | Audit record |\n|---|---|---|---|---|---|"
        );
        for a in &r.actions {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                a.at,
                e(&a.action),
                e(&a.target),
                e(&a.operator),
                e(&a.result),
                e(&a.audit_record)
            );
        }
    }
    let _ = writeln!(md, "\n## Evidence\n\n| File | SHA-256 |\n|---|---|");
    for ev in &r.evidence {
        let _ = writeln!(md, "| {} | {} |", e(&ev.path), e(&ev.sha256));
    }
    let _ = writeln!(md, "\n## Follow-up tasks\n");
    for f in &r.follow_ups {
        let _ = writeln!(md, "- [ ] {}: {}", e(&f.owner), e(&f.task));
    }
    let _ = writeln!(md, "\n## Recommendations\n");
    for rec in &r.recommendations {
        let _ = writeln!(md, "- {}", e(rec));
    }
    let _ = writeln!(md, "\n## Not assessed\n");
    for n in &r.not_assessed {
        let _ = writeln!(md, "- {}", e(n));
    }
    md
}
