//! Persistence after access (D26) and risky consent (D27, §2): authentication methods
//! registered in the window, matched to the method ids containment must delete, and delegated
//! grants scored by scope tier and suspicious-app signals.

use super::{Ctx, Finding, FindingKind, Severity, Signal};
use crate::model::{AuthMethod, DirectoryAudit, GrantEvidence, Timestamp, contains_ci};
use crate::signals::{self, ScopeTier};

pub(super) fn run(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let flagged = flagged_times(out);
    new_auth_method(ctx, &flagged, out);
    for grant in &ctx.evidence.grants {
        suspicious_grant(ctx, grant, &flagged, out);
    }
}

/// Times of sign-ins that earlier rules flagged at medium or above (attack-side evidence).
fn flagged_times(findings: &[Finding]) -> Vec<Timestamp> {
    let mut times: Vec<Timestamp> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium && f.kind != FindingKind::NewCountry)
        .filter_map(|f| f.first_seen)
        .collect();
    times.sort();
    times
}

fn after_flagged(ctx: &Ctx<'_>, flagged: &[Timestamp], at: Timestamp) -> bool {
    let horizon = ctx.config.persistence_hours * Timestamp::HOUR;
    flagged.iter().any(|f| at >= *f && at.0 - f.0 <= horizon)
}

/// Whether an address is outside the user's baseline networks.
fn unfamiliar_ip(ctx: &Ctx<'_>, ip: &str) -> bool {
    if ctx.baseline.learning || ctx.config.trusted_networks.contains_text(ip) {
        return false;
    }
    !ctx.baseline.ips.contains(ip) && !ctx.baseline.prefixes.contains(&super::prefix(ip))
}

/// The methods an audit registered, by what the audit names and when.
fn methods_for_audit<'a>(methods: &'a [AuthMethod], audit: &DirectoryAudit) -> Vec<&'a AuthMethod> {
    let text = [
        audit.result_reason.as_deref().unwrap_or(""),
        audit.detail("Method").unwrap_or(""),
        audit.activity_display_name.as_deref().unwrap_or(""),
    ]
    .join(" ");
    let at = audit.activity_date_time;
    let near = |m: &AuthMethod| match (m.created_date_time, at) {
        (Some(created), Some(at)) => (created.0 - at.0).abs() <= 15 * Timestamp::MINUTE,
        _ => false,
    };
    let wanted: Option<(&str, Option<&str>)> = if contains_ci(&text, "alternate") {
        Some(("phone", Some("alternateMobile")))
    } else if contains_ci(&text, "office phone") {
        Some(("phone", Some("office")))
    } else if contains_ci(&text, "phone")
        || contains_ci(&text, "sms")
        || contains_ci(&text, "voice")
    {
        Some(("phone", Some("mobile")))
    } else if contains_ci(&text, "authenticator") || contains_ci(&text, "phone app") {
        Some(("microsoftAuthenticator", None))
    } else if contains_ci(&text, "fido") || contains_ci(&text, "security key") {
        Some(("fido2", None))
    } else if contains_ci(&text, "windows hello") {
        Some(("windowsHelloForBusiness", None))
    } else if contains_ci(&text, "email") {
        Some(("email", None))
    } else if contains_ci(&text, "temporary access pass") {
        Some(("temporaryAccessPass", None))
    } else if contains_ci(&text, "oath") || contains_ci(&text, "software") {
        Some(("softwareOath", None))
    } else {
        None
    };
    let by_kind: Vec<&AuthMethod> = match wanted {
        Some((kind, phone_type)) => methods
            .iter()
            .filter(|m| m.kind() == kind)
            .filter(|m| match phone_type {
                Some(t) => m
                    .phone_type
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(t)),
                None => true,
            })
            .collect(),
        None => Vec::new(),
    };
    // Prefer methods whose creation time matches; types without one (phones) match by kind.
    let timed: Vec<&AuthMethod> = by_kind.iter().copied().filter(|m| near(m)).collect();
    if !timed.is_empty() {
        return timed;
    }
    let untimed: Vec<&AuthMethod> = by_kind
        .iter()
        .copied()
        .filter(|m| m.created_date_time.is_none())
        .collect();
    if !untimed.is_empty() {
        return untimed;
    }
    methods
        .iter()
        .filter(|m| near(m) && m.kind() != "password")
        .collect()
}

/// D26: methods registered in the window; persistence when after a flagged sign-in or from an
/// unfamiliar address.
fn new_auth_method(ctx: &Ctx<'_>, flagged: &[Timestamp], out: &mut Vec<Finding>) {
    let evidence = ctx.evidence;
    let mut matched: Vec<String> = Vec::new();
    for audit in &evidence.directory_audits {
        let Some(activity) = audit.activity_display_name.as_deref() else {
            continue;
        };
        let Some(at) = audit.activity_date_time else {
            continue;
        };
        if !signals::activity_in(activity, signals::METHOD_REGISTRATION_ACTIVITIES)
            || !ctx.window.contains(at)
            || audit
                .result
                .as_deref()
                .is_some_and(|r| !r.eq_ignore_ascii_case("success"))
        {
            continue;
        }
        let upn = evidence.user.user_principal_name.to_lowercase();
        let by_other_admin = audit
            .initiator_upn()
            .is_some_and(|i| !upn.is_empty() && i.to_lowercase() != upn)
            && activity.starts_with("Admin");
        let ip = audit.initiator_ip();
        let unfamiliar = ip.is_some_and(|ip| unfamiliar_ip(ctx, ip));
        let persistence = !by_other_admin && (unfamiliar || after_flagged(ctx, flagged, at));
        let methods = methods_for_audit(&evidence.auth_methods, audit);
        matched.extend(methods.iter().map(|m| m.id.clone()));
        let what = audit
            .result_reason
            .as_deref()
            .filter(|r| !r.is_empty())
            .or_else(|| audit.detail("Method"))
            .unwrap_or(activity);
        let mut summary = format!(
            "\"{activity}\" ({what}) at {at}{}",
            ip.map(|ip| format!(" from {ip}")).unwrap_or_default()
        );
        let severity = if persistence {
            summary.push_str(", after suspicious sign-in activity or from an address the user never used: attacker persistence.");
            Severity::High
        } else {
            summary.push_str(", from the user's usual network.");
            Severity::Low
        };
        let mut finding =
            Finding::new(FindingKind::NewAuthMethod, severity, summary).indicates(if persistence {
                Signal::SessionTaken
            } else {
                Signal::None
            });
        finding.audits.push(audit.id.clone());
        finding.methods = methods.iter().map(|m| m.id.clone()).collect();
        finding.ips = ip.map(|ip| vec![ip.to_owned()]).unwrap_or_default();
        finding.first_seen = Some(at);
        finding.last_seen = Some(at);
        out.push(finding);
    }
    // Methods created in the window with no audit found (audit logs not readable, or aged out).
    for method in &evidence.auth_methods {
        let Some(created) = method.created_date_time else {
            continue;
        };
        if !ctx.window.contains(created)
            || matched.contains(&method.id)
            || method.kind() == "password"
        {
            continue;
        }
        let persistence = after_flagged(ctx, flagged, created);
        let severity = if persistence {
            Severity::High
        } else {
            Severity::Low
        };
        let mut finding = Finding::new(
            FindingKind::NewAuthMethod,
            severity,
            format!(
                "A {} method{} was registered at {created}{}.",
                method.kind(),
                method
                    .display_name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                if persistence {
                    ", within hours of suspicious sign-in activity"
                } else {
                    ""
                }
            ),
        )
        .indicates(if persistence {
            Signal::SessionTaken
        } else {
            Signal::None
        });
        finding.methods.push(method.id.clone());
        finding.first_seen = Some(created);
        finding.last_seen = Some(created);
        out.push(finding);
    }
}

/// Free hosting, tunnels and shorteners seen in consent-phishing reply URLs.
const SUSPICIOUS_HOSTS: &[&str] = &[
    ".web.app",
    ".firebaseapp.com",
    ".herokuapp.com",
    ".ngrok.io",
    ".ngrok-free.app",
    ".glitch.me",
    ".repl.co",
    ".vercel.app",
    ".netlify.app",
    ".pages.dev",
    ".workers.dev",
    ".000webhostapp.com",
    ".duckdns.org",
    ".azurewebsites.net",
];

fn reply_url_red_flag(url: &str) -> Option<&'static str> {
    let lower = url.to_ascii_lowercase();
    let host = lower
        .split("://")
        .nth(1)
        .unwrap_or(&lower)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host_no_port = host.split(':').next().unwrap_or(host);
    if host_no_port == "localhost" || host_no_port == "127.0.0.1" {
        return Some("a localhost reply URL");
    }
    if lower.starts_with("http://") {
        return Some("a non-HTTPS reply URL");
    }
    if host_no_port.parse::<std::net::IpAddr>().is_ok() {
        return Some("a raw-IP reply URL");
    }
    if host.contains('*') {
        return Some("a wildcard reply URL");
    }
    SUSPICIOUS_HOSTS
        .iter()
        .any(|h| host_no_port.ends_with(h))
        .then_some("a reply URL on free hosting")
}

/// §2.1 score of a grant's scopes.
pub(crate) fn grant_score(grant: &GrantEvidence, first_party: bool) -> (u32, Vec<String>) {
    let scopes: Vec<&str> = grant.grant.scopes().collect();
    let tiers: Vec<ScopeTier> = scopes.iter().map(|s| signals::scope_tier(s)).collect();
    let base = tiers.iter().map(|t| t.score()).max().unwrap_or(0);
    let mut score = base;
    let mut why = Vec::new();
    let risky: Vec<&str> = scopes
        .iter()
        .zip(&tiers)
        .filter(|(_, t)| **t >= ScopeTier::A)
        .map(|(s, _)| *s)
        .collect();
    if !risky.is_empty() {
        why.push(format!("high-risk scopes {}", risky.join(", ")));
    }
    if scopes
        .iter()
        .any(|s| s.eq_ignore_ascii_case("offline_access"))
        && base >= 6
    {
        score += 3;
        why.push("offline_access keeps a refresh token".to_owned());
    }
    if tiers.iter().filter(|t| **t == ScopeTier::A).count() >= 5 {
        score += 2;
        why.push("toolkit-like scope set".to_owned());
    }
    if grant.grant.consent_type.as_deref() == Some("AllPrincipals") && !first_party {
        score += 4;
        why.push("granted for all users".to_owned());
    }
    (score, why)
}

/// D27 / §2.2: a grant to a suspicious app.
fn suspicious_grant(
    ctx: &Ctx<'_>,
    grant: &GrantEvidence,
    flagged: &[Timestamp],
    out: &mut Vec<Finding>,
) {
    let client = grant.client.as_ref();
    let owner = client.and_then(|c| c.app_owner_organization_id.as_deref());
    let first_party = owner.is_some_and(|o| {
        signals::MICROSOFT_TENANTS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(o))
    });
    if first_party {
        return;
    }
    let (score, mut why) = grant_score(grant, first_party);
    if score < ctx.config.grant_min_score {
        return;
    }
    let unverified = client.is_none_or(|c| !c.publisher_verified());
    // The consent audit for this client, if any.
    let consent: Option<&DirectoryAudit> = ctx.evidence.directory_audits.iter().find(|a| {
        a.activity_display_name
            .as_deref()
            .is_some_and(|n| signals::activity_in(n, signals::CONSENT_ACTIVITIES))
            && a.target_resources.iter().any(|t| {
                t.get("id").and_then(|v| v.as_str()) == Some(grant.grant.client_id.as_str())
            })
    });
    let consent_at = consent.and_then(|a| a.activity_date_time);
    let reference = consent_at.unwrap_or(ctx.window.to);
    let created = client.and_then(|c| c.created_date_time);
    let new_app =
        created.is_some_and(|c| reference.0 - c.0 <= ctx.config.new_app_days * Timestamp::DAY);
    let mut extras = Vec::new();
    if grant.consenting_users == Some(1) {
        extras.push("only this user granted it".to_owned());
    }
    if let Some(flag) = client.and_then(|c| c.reply_urls.iter().find_map(|u| reply_url_red_flag(u)))
    {
        extras.push(flag.to_owned());
    }
    let consent_ip = consent.and_then(DirectoryAudit::initiator_ip);
    if consent_ip.is_some_and(|ip| unfamiliar_ip(ctx, ip)) {
        extras.push(format!(
            "consented from {}, an address the user never used",
            consent_ip.unwrap_or("")
        ));
    }
    if consent_at.is_some_and(|at| after_flagged(ctx, flagged, at)) {
        extras.push("consented right after suspicious sign-ins".to_owned());
    }
    let name = client
        .and_then(|c| c.display_name.as_deref())
        .unwrap_or(grant.grant.client_id.as_str());
    if unverified {
        why.push("unverified publisher".to_owned());
    }
    if new_app {
        why.push(format!(
            "app added to the tenant within {} days of the consent",
            ctx.config.new_app_days
        ));
    }
    why.extend(extras.iter().cloned());
    let suspicious = (unverified || new_app) && !extras.is_empty();
    let severity = if suspicious {
        Severity::High
    } else if unverified {
        Severity::Medium
    } else {
        return;
    };
    let summary = format!(
        "The user granted \"{name}\" {} (score {score}): {}.",
        grant.grant.scope.as_deref().unwrap_or("").trim(),
        why.join("; ")
    );
    let mut finding = Finding::new(FindingKind::SuspiciousOauthGrant, severity, summary)
        .indicates(if suspicious {
            Signal::SessionTaken
        } else {
            Signal::None
        })
        .observed(format!(
            "grant score {score} (threshold {})",
            ctx.config.grant_min_score
        ));
    finding.grants.push(grant.grant.id.clone());
    finding
        .service_principals
        .push(grant.grant.client_id.clone());
    if let Some(audit) = consent {
        finding.audits.push(audit.id.clone());
    }
    if let Some(ip) = consent_ip {
        finding.ips.push(ip.to_owned());
    }
    finding.first_seen = consent_at.or(created);
    finding.last_seen = consent_at.or(created);
    out.push(finding);
}

#[cfg(test)]
mod tests {
    use super::reply_url_red_flag;

    #[test]
    fn reply_urls() {
        assert!(reply_url_red_flag("http://localhost:8080/access").is_some());
        assert!(reply_url_red_flag("https://mail-helper-pro.web.app/auth/callback").is_some());
        assert!(reply_url_red_flag("https://expenses.contoso.com/signin-oidc").is_none());
        assert!(reply_url_red_flag("https://10.1.2.3/cb").is_some());
    }
}
