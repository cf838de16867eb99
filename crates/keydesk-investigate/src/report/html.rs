//! The report as one self-contained HTML page: inline CSS, the inline SVG map, no scripts, no
//! external resources. Every value from the data goes through [`escape_html`].

use std::fmt::Write as _;

use super::{ReportInput, build, escape_html, render_map_svg};
use crate::model::SignIn;

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;color:#1c2833;line-height:1.45}\
h1{font-size:1.6rem}h2{border-bottom:1px solid #d5dbdb;padding-bottom:.2rem;margin-top:2rem}\
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #d5dbdb;padding:.3rem .45rem;text-align:left;vertical-align:top;word-break:break-word}\
th{background:#f4f6f7}.verdict{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;font-weight:600;color:#fff}\
.compromised{background:#c0392b}.suspicious{background:#d68910}.clean{background:#1e8449}\
.sev-critical{color:#922b21;font-weight:700}.sev-high{color:#c0392b;font-weight:600}.sev-medium{color:#b9770e}.sev-low{color:#566573}\
code{font-size:.85em;background:#f4f6f7;padding:0 .2rem}";

/// Renders the report as self-contained HTML.
pub fn render_html(input: &ReportInput<'_>) -> String {
    let r = build(input);
    let h = escape_html;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Incident report {}</title><style>{STYLE}</style></head><body>",
        h(&r.case_id)
    );
    let verdict = r.verdict.verdict.as_str();
    let _ = write!(
        out,
        "<h1>Incident report {}</h1><p>User <strong>{}</strong> (<code>{}</code>) — verdict <span class=\"verdict {verdict}\">{verdict}</span></p><p>Window {} to {}; generated {}.</p>",
        h(&r.case_id),
        h(&r.user),
        h(&r.user_id),
        r.window.from,
        r.window.to,
        r.generated_at
    );
    out.push_str("<h2>Summary</h2>");
    for line in &r.summary {
        let _ = write!(out, "<p>{}</p>", h(line));
    }
    out.push_str("<h3>Reasoning</h3><ul>");
    for line in &r.verdict.reasoning {
        let _ = write!(out, "<li>{}</li>", h(line));
    }
    out.push_str("</ul><h2>Detections</h2><table><tr><th>Kind</th><th>Severity</th><th>Summary</th><th>Observed</th></tr>");
    for f in &r.findings {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"sev-{}\">{}</td><td>{}</td><td>{}</td></tr>",
            f.kind.as_str(),
            f.severity.as_str(),
            f.severity.as_str(),
            h(&f.summary),
            h(f.observed.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</table><h2>Map of sign-in locations</h2>");
    let sign_ins: Vec<&SignIn> = input
        .evidence
        .sign_ins
        .iter()
        .filter(|s| r.window.contains(s.created_date_time))
        .collect();
    out.push_str(&render_map_svg(&sign_ins, &r.findings));
    out.push_str("<h2>Timeline (UTC)</h2><table><tr><th>Time</th><th>Source</th><th>IP</th><th>Place</th><th>What</th><th>Result</th><th>Findings</th><th>Evidence id</th></tr>");
    for t in &r.timeline {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            t.at,
            h(&t.source),
            h(&t.ip),
            h(&t.place),
            h(&t.what),
            h(&t.result),
            h(&t.findings.join(", ")),
            h(&t.id)
        );
    }
    out.push_str(
        "</table><h2>Indicators</h2><table><tr><th>Kind</th><th>Value</th><th>Context</th></tr>",
    );
    for i in &r.indicators {
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            h(&i.kind),
            h(&i.value),
            h(&i.context)
        );
    }
    out.push_str("</table><h2>Containment plan</h2>");
    match &r.plan {
        Some(plan) if !plan.steps.is_empty() => {
            out.push_str(
                "<table><tr><th>#</th><th>Action</th><th>Targets</th><th>Reason</th></tr>",
            );
            for s in &plan.steps {
                let targets: Vec<String> = s
                    .targets
                    .iter()
                    .map(|t| format!("{} {}", t.kind, t.label.as_deref().unwrap_or(&t.id)))
                    .collect();
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    s.order,
                    s.action.as_str(),
                    h(&targets.join(", ")),
                    h(&s.reason)
                );
            }
            out.push_str("</table>");
        }
        _ => out.push_str("<p>No containment planned.</p>"),
    }
    out.push_str("<h2>Actions taken</h2>");
    if r.actions.is_empty() {
        out.push_str("<p>None yet.</p>");
    } else {
        out.push_str("<table><tr><th>Time</th><th>Action</th><th>Target</th><th>Operator</th><th>Result</th><th>Audit record</th></tr>");
        for a in &r.actions {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                a.at,
                h(&a.action),
                h(&a.target),
                h(&a.operator),
                h(&a.result),
                h(&a.audit_record)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("<h2>Evidence</h2><table><tr><th>File</th><th>SHA-256</th></tr>");
    for ev in &r.evidence {
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            h(&ev.path),
            h(&ev.sha256)
        );
    }
    out.push_str("</table><h2>Follow-up tasks</h2><ul>");
    for f in &r.follow_ups {
        let _ = write!(
            out,
            "<li><strong>{}</strong>: {}</li>",
            h(&f.owner),
            h(&f.task)
        );
    }
    out.push_str("</ul><h2>Recommendations</h2><ul>");
    for rec in &r.recommendations {
        let _ = write!(out, "<li>{}</li>", h(rec));
    }
    out.push_str("</ul><h2>Not assessed</h2><ul>");
    for n in &r.not_assessed {
        let _ = write!(out, "<li>{}</li>", h(n));
    }
    out.push_str("</ul></body></html>\n");
    out
}
