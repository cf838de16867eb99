//! The incident report (reference §3.3): summary and verdict, timeline, indicators, detections,
//! a map of sign-in locations, actions taken with audit references, evidence hashes, follow-ups
//! and recommendations — as JSON ([`build`]), Markdown ([`render_markdown`]) and
//! self-contained HTML ([`render_html`], inline CSS and SVG, no external resources).
//!
//! Everything from the data is escaped for its output (hostile display names, user agents and
//! app names are expected). Rendering is pure: the caller supplies "generated at".

mod html;
mod map;
mod markdown;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use html::render_html;
pub use map::render_map_svg;
pub use markdown::render_markdown;

use crate::contain::{ContainmentPlan, FollowUp};
use crate::detect::{Finding, FindingKind, Investigation, Severity};
use crate::model::{Evidence, SignIn, Timestamp};
use crate::output::EvidenceRef;
use crate::signals;
use crate::verdict::Verdict;

/// An executed containment step, as the caller recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionTaken {
    /// When.
    pub at: Timestamp,
    /// The action (`revoke_sessions`, ...).
    pub action: String,
    /// Target id or name.
    pub target: String,
    /// Who ran or approved it.
    pub operator: String,
    /// `succeeded`, `failed: ...`, `skipped`.
    pub result: String,
    /// The audit record reference (sequence number or hash).
    pub audit_record: String,
}

/// What the report is built from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Case id.
    pub case_id: &'a str,
    /// When the report was generated.
    pub generated_at: Timestamp,
    /// The investigation.
    pub investigation: &'a Investigation,
    /// Its evidence.
    pub evidence: &'a Evidence,
    /// The plan, when containment was planned.
    pub plan: Option<&'a ContainmentPlan>,
    /// Executed steps (may be empty).
    pub actions: &'a [ActionTaken],
    /// Preserved evidence files and hashes.
    pub evidence_files: &'a [EvidenceRef],
}

/// One timeline row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// `signIn`, `audit`, `riskDetection`, `action`.
    pub source: String,
    /// Address, if any.
    pub ip: String,
    /// Place, if any.
    pub place: String,
    /// App or activity.
    pub what: String,
    /// Result (`success`, `50126 invalid username or password`, ...).
    pub result: String,
    /// Finding kinds that cite it.
    pub findings: Vec<String>,
    /// Evidence id.
    pub id: String,
}

/// One indicator row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// `ip`, `user_agent`, `app`, `device`, `session`, `auth_method`, `grant`.
    pub kind: String,
    /// The value.
    pub value: String,
    /// Context (place, ASN, counts, scopes).
    pub context: String,
}

/// The whole report as data (the JSON output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Case id.
    pub case_id: String,
    /// Generated at.
    pub generated_at: Timestamp,
    /// User.
    pub user: String,
    /// User object id.
    pub user_id: String,
    /// Window.
    pub window: crate::model::Window,
    /// Verdict.
    pub verdict: Verdict,
    /// Executive summary sentences.
    pub summary: Vec<String>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Timeline.
    pub timeline: Vec<TimelineEntry>,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Planned steps, if any.
    pub plan: Option<ContainmentPlan>,
    /// Executed steps.
    pub actions: Vec<ActionTaken>,
    /// Evidence files.
    pub evidence: Vec<EvidenceRef>,
    /// Follow-up tasks.
    pub follow_ups: Vec<FollowUp>,
    /// Recommendations.
    pub recommendations: Vec<String>,
    /// What keydesk could not assess.
    pub not_assessed: Vec<String>,
}

/// Most timeline rows listed.
const MAX_TIMELINE: usize = 300;

/// Builds the report data.
pub fn build(input: &ReportInput<'_>) -> Report {
    let inv = input.investigation;
    let cited = cited_ids(&inv.findings);
    let timeline = timeline(input, &cited);
    let indicators = indicators(input, &cited);
    let mut follow_ups = input.plan.map(|p| p.follow_ups.clone()).unwrap_or_default();
    if follow_ups.is_empty() && inv.verdict.verdict != crate::VerdictKind::Clean {
        follow_ups.push(FollowUp {
            owner: "Helpdesk".to_owned(),
            task: "Review the findings with the user (travel, new devices, MFA prompts they did not start).".to_owned(),
        });
    }
    Report {
        case_id: input.case_id.to_owned(),
        generated_at: input.generated_at,
        user: inv.user.clone(),
        user_id: input.evidence.user.id.clone(),
        window: inv.window,
        verdict: inv.verdict.clone(),
        summary: summary(input),
        findings: inv.findings.clone(),
        timeline,
        indicators,
        plan: input.plan.cloned(),
        actions: input.actions.to_vec(),
        evidence: input.evidence_files.to_vec(),
        follow_ups,
        recommendations: recommendations(&inv.findings),
        not_assessed: vec![
            "Mailbox content read or sent by the attacker (MailItemsAccessed in Purview audit)."
                .to_owned(),
            "SharePoint and OneDrive file access.".to_owned(),
            "Mailbox-level forwarding, hidden inbox rules and delegates (Exchange Online)."
                .to_owned(),
            "Endpoint infection on the user's devices.".to_owned(),
        ],
    }
}

/// Finding kinds citing each sign-in id.
fn cited_ids(findings: &[Finding]) -> BTreeMap<String, BTreeSet<FindingKind>> {
    let mut cited: BTreeMap<String, BTreeSet<FindingKind>> = BTreeMap::new();
    for f in findings {
        for id in f.signins.iter().chain(&f.audits).chain(&f.risk_detections) {
            cited.entry(id.clone()).or_default().insert(f.kind);
        }
    }
    cited
}

fn summary(input: &ReportInput<'_>) -> Vec<String> {
    let inv = input.investigation;
    let v = &inv.verdict;
    let mut out = vec![format!(
        "Verdict for {}: {} ({} points, basis {}).",
        inv.user,
        v.verdict.as_str(),
        v.points,
        serde_json::to_value(v.basis)
            .ok()
            .and_then(|b| b.as_str().map(str::to_owned))
            .unwrap_or_default()
    )];
    if let Some(first) = v.first_malicious {
        out.push(format!("The first malicious activity was at {first}."));
    }
    let high: Vec<&Finding> = inv
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .take(4)
        .collect();
    for f in high {
        out.push(f.summary.clone());
    }
    match (input.plan, input.actions.is_empty()) {
        (_, false) => out.push(format!(
            "{} containment step{} were executed (see Actions taken).",
            input.actions.len(),
            if input.actions.len() == 1 { "" } else { "s" }
        )),
        (Some(plan), true) if !plan.steps.is_empty() => out.push(format!(
            "{} containment steps are planned and not yet executed.",
            plan.steps.len()
        )),
        _ => {}
    }
    out
}

fn result_of(s: &SignIn) -> String {
    let code = s.error_code();
    if code == 0 {
        "success".to_owned()
    } else {
        format!("{code} {}", signals::describe_code(code))
    }
}

fn timeline(
    input: &ReportInput<'_>,
    cited: &BTreeMap<String, BTreeSet<FindingKind>>,
) -> Vec<TimelineEntry> {
    let inv = input.investigation;
    let mut rows = Vec::new();
    let kinds = |id: &str| -> Vec<String> {
        cited
            .get(id)
            .map(|k| k.iter().map(|k| k.as_str().to_owned()).collect())
            .unwrap_or_default()
    };
    for s in input
        .evidence
        .sign_ins
        .iter()
        .filter(|s| cited.contains_key(&*s.id) && inv.window.contains(s.created_date_time))
    {
        rows.push(TimelineEntry {
            at: s.created_date_time,
            source: if s.interactive() {
                "signIn"
            } else {
                "signIn (non-interactive)"
            }
            .to_owned(),
            ip: s.ip().to_owned(),
            place: s.location.place(),
            what: s.app_display_name.as_deref().unwrap_or("").to_owned(),
            result: result_of(s),
            findings: kinds(&s.id),
            id: s.id.to_string(),
        });
    }
    for a in &input.evidence.directory_audits {
        if let (Some(at), true) = (a.activity_date_time, cited.contains_key(&a.id)) {
            rows.push(TimelineEntry {
                at,
                source: "audit".to_owned(),
                ip: a.initiator_ip().unwrap_or("").to_owned(),
                place: String::new(),
                what: a.activity_display_name.clone().unwrap_or_default(),
                result: a.result.clone().unwrap_or_default(),
                findings: kinds(&a.id),
                id: a.id.clone(),
            });
        }
    }
    for d in &input.evidence.risk_detections {
        if let Some(at) = d.activity_date_time.filter(|at| inv.window.contains(*at)) {
            rows.push(TimelineEntry {
                at,
                source: "riskDetection".to_owned(),
                ip: d.ip_address.clone().unwrap_or_default(),
                place: String::new(),
                what: d.risk_event_type.clone().unwrap_or_default(),
                result: format!(
                    "{} {}",
                    d.risk_level.as_deref().unwrap_or(""),
                    d.risk_state.as_deref().unwrap_or("")
                )
                .trim()
                .to_owned(),
                findings: kinds(&d.id),
                id: d.id.clone(),
            });
        }
    }
    for a in input.actions {
        rows.push(TimelineEntry {
            at: a.at,
            source: "action".to_owned(),
            ip: String::new(),
            place: String::new(),
            what: format!("{} {}", a.action, a.target),
            result: a.result.clone(),
            findings: Vec::new(),
            id: a.audit_record.clone(),
        });
    }
    rows.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    rows.truncate(MAX_TIMELINE);
    rows
}

fn indicators(
    input: &ReportInput<'_>,
    cited: &BTreeMap<String, BTreeSet<FindingKind>>,
) -> Vec<Indicator> {
    let flagged: Vec<&SignIn> = input
        .evidence
        .sign_ins
        .iter()
        .filter(|s| {
            cited
                .get(&*s.id)
                .is_some_and(|k| !k.iter().all(|k| *k == FindingKind::NewCountry))
        })
        .collect();
    let mut out = Vec::new();
    let mut ips: BTreeMap<&str, (String, Option<u32>, usize, usize)> = BTreeMap::new();
    for s in &flagged {
        let e = ips
            .entry(s.ip())
            .or_insert((s.location.place(), s.autonomous_system_number, 0, 0));
        e.2 += 1;
        if s.succeeded() {
            e.3 += 1;
        }
    }
    for (ip, (place, asn, n, ok)) in ips {
        if ip.is_empty() {
            continue;
        }
        out.push(Indicator {
            kind: "ip".to_owned(),
            value: ip.to_owned(),
            context: format!(
                "{place}{}; {n} sign-ins, {ok} successful",
                asn.map(|a| format!(", AS{a}")).unwrap_or_default()
            ),
        });
    }
    let mut seen = BTreeSet::new();
    for s in &flagged {
        if let Some(ua) = s
            .user_agent
            .as_deref()
            .filter(|ua| seen.insert(format!("ua{ua}")))
        {
            out.push(Indicator {
                kind: "user_agent".to_owned(),
                value: ua.to_owned(),
                context: signals::attack_tool(ua)
                    .map(|t| format!("tool signature: {t}"))
                    .unwrap_or_default(),
            });
        }
        let d = &s.device_detail;
        let device = format!(
            "{} / {} / {}",
            d.display_name.as_deref().unwrap_or("unregistered"),
            d.operating_system.as_deref().unwrap_or("?"),
            d.browser.as_deref().unwrap_or("?")
        );
        if seen.insert(format!("dev{device}")) {
            out.push(Indicator {
                kind: "device".to_owned(),
                value: device,
                context: format!(
                    "id {}, managed {:?}, compliant {:?}",
                    d.known_id().unwrap_or("none"),
                    d.is_managed,
                    d.is_compliant
                ),
            });
        }
        if let Some(app) = s
            .app_display_name
            .as_deref()
            .filter(|a| seen.insert(format!("app{a}")))
        {
            out.push(Indicator {
                kind: "app".to_owned(),
                value: app.to_owned(),
                context: s.app_id.as_deref().unwrap_or("").to_owned(),
            });
        }
        if let Some(session) = s
            .session_id
            .as_deref()
            .filter(|x| seen.insert(format!("ses{x}")))
        {
            let uses = flagged
                .iter()
                .filter(|f| f.session_id.as_deref() == Some(session))
                .count();
            if uses > 1 {
                out.push(Indicator {
                    kind: "session".to_owned(),
                    value: session.to_owned(),
                    context: format!("{uses} flagged sign-ins"),
                });
            }
        }
    }
    for f in &input.investigation.findings {
        for id in &f.methods {
            let method = input.evidence.auth_methods.iter().find(|m| &m.id == id);
            out.push(Indicator {
                kind: "auth_method".to_owned(),
                value: id.clone(),
                context: method
                    .map(|m| {
                        format!(
                            "{} {}",
                            m.kind(),
                            m.phone_number
                                .as_deref()
                                .or(m.display_name.as_deref())
                                .unwrap_or("")
                        )
                    })
                    .unwrap_or_default(),
            });
        }
        for id in &f.grants {
            let grant = input.evidence.grants.iter().find(|g| &g.grant.id == id);
            out.push(Indicator {
                kind: "grant".to_owned(),
                value: id.clone(),
                context: grant
                    .map(|g| {
                        format!(
                            "{} → {}",
                            g.client
                                .as_ref()
                                .and_then(|c| c.display_name.as_deref())
                                .unwrap_or(&g.grant.client_id),
                            g.grant.scope.as_deref().unwrap_or("")
                        )
                    })
                    .unwrap_or_default(),
            });
        }
    }
    out
}

fn recommendations(findings: &[Finding]) -> Vec<String> {
    let has = |k: FindingKind| {
        findings
            .iter()
            .any(|f| f.kind == k && f.severity >= Severity::Medium)
    };
    let mut out = Vec::new();
    if has(FindingKind::MfaFatigue) || has(FindingKind::MfaDenied) {
        out.push("Move the user (and the tenant) to phishing-resistant MFA, or at least number matching with additional context; enable fraud reporting.".to_owned());
    }
    if has(FindingKind::SuspiciousOauthGrant) {
        out.push("Restrict user consent to verified publishers and low-risk permissions, and turn on the admin consent workflow.".to_owned());
    }
    if has(FindingKind::NewAuthMethod) {
        out.push("Require a compliant device or trusted location to register security info (Conditional Access 'Register security information').".to_owned());
    }
    if has(FindingKind::LegacyAuth) {
        out.push("Block legacy authentication with Conditional Access.".to_owned());
    }
    if has(FindingKind::TokenReplay) || has(FindingKind::ImpossibleTravel) {
        out.push("Enable token protection and sign-in risk policies; require compliant devices for sensitive apps.".to_owned());
    }
    if has(FindingKind::BruteForce) || has(FindingKind::PasswordSpray) {
        out.push("Keep smart lockout on, ban common passwords (Password Protection), and consider blocking the source addresses with a named location.".to_owned());
    }
    if out.is_empty() {
        out.push("No control gap identified by this investigation.".to_owned());
    }
    out
}

/// Escapes text for HTML and SVG (element content and quoted attributes).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
