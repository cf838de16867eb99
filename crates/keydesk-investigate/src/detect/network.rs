//! Rules about where and with what the user signs in: impossible travel (D11), new country
//! (D12), anonymizer and hosting infrastructure (D14), new device (D15), legacy authentication
//! and ROPC (D16), attack-tool user agents (D17), token replay (D18), device-code phishing (D19)
//! and Identity Protection risk passthrough (D25).

use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, Finding, FindingKind, Severity, Signal, span};
use crate::config::Config;
use crate::geo::haversine_km;
use crate::model::{SignIn, contains_ci};
use crate::signals;

pub(super) fn run(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    impossible_travel(ctx, out);
    new_country(ctx, out);
    anonymous_ip(ctx, out);
    new_device(ctx, out);
    legacy_auth(ctx, out);
    attack_tool(ctx, out);
    token_replay(ctx, out);
    device_code(ctx, out);
    risky_signin(ctx, out);
}

/// Device-code flow.
pub(crate) fn is_device_code(s: &SignIn) -> bool {
    s.authentication_protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("deviceCode"))
        || s.original_transfer_method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("deviceCodeFlow"))
}

/// Anonymizer or hosting infrastructure, and why.
pub(crate) fn infrastructure(ctx: &Ctx<'_>, s: &SignIn) -> Option<&'static str> {
    let config = ctx.config;
    if ctx.trusted(s) {
        return None;
    }
    if s.risk_event_types_v2.iter().any(|t| {
        config
            .anonymizer_risk_events
            .iter()
            .any(|e| e.eq_ignore_ascii_case(t))
    }) {
        return Some("flagged by Identity Protection as anonymous or malicious");
    }
    if config.anonymizer_networks.contains_text(s.ip()) {
        return Some("on the anonymizer list");
    }
    if config.hosting_networks.contains_text(s.ip()) {
        return Some("on the hosting-provider list");
    }
    if s.autonomous_system_number
        .is_some_and(|asn| config.hosting_asns.contains(&asn))
    {
        return Some("a hosting provider's network");
    }
    None
}

/// D11: consecutive successful interactive sign-ins ≥500 km apart at ≥800 km/h.
fn impossible_travel(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let config = ctx.config;
    let successes: Vec<&SignIn> = ctx
        .last_before
        .into_iter()
        .chain(ctx.sign_ins.iter().copied())
        .filter(|s| s.succeeded() && s.interactive() && s.location.point().is_some())
        .collect();
    for pair in successes.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if ctx.trusted(a) || ctx.trusted(b) {
            continue;
        }
        let (Some(pa), Some(pb)) = (a.location.point(), b.location.point()) else {
            continue;
        };
        let km = haversine_km(pa, pb);
        let minutes = (b.created_date_time.0 - a.created_date_time.0) as f64 / 60_000.0;
        let kmh = km / (minutes.max(config.travel_min_minutes) / 60.0);
        if km < config.travel_min_km || kmh < config.travel_min_kmh {
            continue;
        }
        let summary = format!(
            "Signed in from {} and {} later from {}: {:.0} km apart, {:.0} km/h.",
            a.location.place(),
            span(b.created_date_time.0 - a.created_date_time.0),
            b.location.place(),
            km,
            kmh
        );
        let mut finding = Finding::new(FindingKind::ImpossibleTravel, Severity::High, summary)
            .with_sign_ins([a, b])
            .observed(format!(
                "{km:.0} km in {:.0} min (thresholds {:.0} km, {:.0} km/h)",
                minutes, config.travel_min_km, config.travel_min_kmh
            ));
        finding.unfamiliar_success = ctx.unfamiliar(b) || ctx.unfamiliar(a);
        out.push(finding);
    }
}

/// D12: successes from a country outside the baseline.
fn new_country(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.baseline.learning {
        return;
    }
    let mut by_country: BTreeMap<String, Vec<&SignIn>> = BTreeMap::new();
    for s in &ctx.sign_ins {
        let country = s.country().to_ascii_uppercase();
        if s.succeeded()
            && !country.is_empty()
            && !ctx.baseline.countries.contains(&country)
            && !ctx.trusted(s)
        {
            by_country.entry(country).or_default().push(s);
        }
    }
    for (country, list) in by_country {
        let escalated = list.iter().any(|s| {
            infrastructure(ctx, s).is_some()
                || (!ctx.baseline.known_device(s) && s.interactive())
                || risk_above_none(s)
        });
        let severity = if escalated {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut summary = format!(
            "{} successful sign-in{} from {country}, a country the user had not signed in from in the baseline ({})",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list[0].location.place()
        );
        if escalated {
            summary.push_str(", together with an unknown device, hosting network or risk");
        }
        summary.push('.');
        let mut finding =
            Finding::new(FindingKind::NewCountry, severity, summary).with_sign_ins(list);
        finding.unfamiliar_success = true;
        out.push(finding);
    }
}

fn risk_above_none(s: &SignIn) -> bool {
    [&s.risk_level_during_sign_in, &s.risk_level_aggregated]
        .iter()
        .any(|r| matches!(r.as_deref(), Some("low" | "medium" | "high")))
}

/// D14: anonymizer, hosting or malicious infrastructure.
fn anonymous_ip(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut by_ip: BTreeMap<String, (Vec<&SignIn>, &'static str)> = BTreeMap::new();
    for s in &ctx.sign_ins {
        if let Some(why) = infrastructure(ctx, s) {
            by_ip
                .entry(s.ip().to_owned())
                .or_insert((Vec::new(), why))
                .0
                .push(s);
        }
    }
    for (ip, (list, why)) in by_ip {
        let successes = list.iter().filter(|s| s.succeeded()).count();
        let token = list.iter().any(|s| s.succeeded() && s.token_satisfied());
        let severity = if token {
            Severity::High
        } else if successes > 0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        let summary = format!(
            "{} sign-in{} ({successes} successful) from {ip} ({}), {why}.",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list[0].location.place()
        );
        let mut finding =
            Finding::new(FindingKind::AnonymousIp, severity, summary).with_sign_ins(list);
        finding.ip = Some(ip);
        finding.unfamiliar_success = successes > 0;
        out.push(finding);
    }
}

/// D15: a device id or browser fingerprint the baseline never had, scored by novelty.
fn new_device(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.baseline.learning {
        return;
    }
    let mut by_device: BTreeMap<String, Vec<&SignIn>> = BTreeMap::new();
    for s in &ctx.sign_ins {
        if !s.succeeded() || !s.interactive() || ctx.trusted(s) {
            continue;
        }
        let fingerprint = s.device_detail.fingerprint();
        let key = match s.device_detail.known_id() {
            Some(id) if ctx.baseline.device_ids.contains(&id.to_ascii_lowercase()) => continue,
            Some(id) => id.to_ascii_lowercase(),
            None if ctx.baseline.fingerprints.contains(&fingerprint) => continue,
            None => format!("unregistered {fingerprint}"),
        };
        by_device.entry(key).or_default().push(s);
    }
    for (_, list) in by_device {
        let first = list[0];
        let d = &first.device_detail;
        let mut novelty = vec!["device"];
        if !ctx.baseline.fingerprints.contains(&d.fingerprint()) {
            novelty.push("operating system and browser");
        }
        if list.iter().any(|s| !ctx.baseline.familiar_network(s)) {
            novelty.push("network");
        }
        if list.iter().any(|s| {
            !ctx.baseline
                .countries
                .contains(&s.country().to_ascii_uppercase())
        }) {
            novelty.push("country");
        }
        let unmanaged = d.known_id().is_none() || d.is_managed == Some(false);
        let severity = if novelty.len() >= 3 {
            Severity::High
        } else if unmanaged && novelty.contains(&"network") {
            Severity::Medium
        } else {
            Severity::Low
        };
        let name = d.display_name.as_deref().map_or_else(
            || "an unregistered device".to_owned(),
            |n| format!("device {n}"),
        );
        let summary = format!(
            "{} sign-in{} from {name} ({} {}, {}), new in: {}.",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            d.operating_system.as_deref().unwrap_or("unknown OS"),
            d.browser.as_deref().unwrap_or("unknown browser"),
            if unmanaged { "unmanaged" } else { "managed" },
            novelty.join(", ")
        );
        let mut finding = Finding::new(FindingKind::NewDevice, severity, summary)
            .with_sign_ins(list.iter().copied())
            .observed(format!("{} new dimensions", novelty.len()));
        finding.unfamiliar_success = novelty.contains(&"network");
        out.push(finding);
    }
}

fn is_legacy(s: &SignIn) -> bool {
    s.client_app_used
        .as_deref()
        .is_some_and(signals::is_legacy_client)
        || s.authentication_protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("ropc"))
        || s.user_agent
            .as_deref()
            .is_some_and(|ua| signals::ROPC_AGENTS.iter().any(|a| contains_ci(ua, a)))
}

/// D16: legacy protocols and ROPC (they bypass Conditional Access and MFA).
fn legacy_auth(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let list: Vec<&SignIn> = ctx
        .sign_ins
        .iter()
        .copied()
        .filter(|s| is_legacy(s))
        .collect();
    if list.is_empty() {
        return;
    }
    let successes: Vec<&SignIn> = list.iter().copied().filter(|s| s.succeeded()).collect();
    let habitual = successes.iter().all(|s| {
        s.client_app_used.as_deref().is_some_and(|c| {
            ctx.baseline
                .legacy_clients
                .contains(&c.to_ascii_lowercase())
        }) && ctx.baseline.familiar_network(s)
    });
    let severity = if !successes.is_empty() && !habitual {
        Severity::High
    } else {
        Severity::Low
    };
    let clients: BTreeSet<String> = list
        .iter()
        .map(|s| {
            if s.authentication_protocol.as_deref() == Some("ropc") {
                "ROPC".to_owned()
            } else {
                s.client_app_used
                    .as_deref()
                    .unwrap_or("legacy client")
                    .to_owned()
            }
        })
        .collect();
    let summary = format!(
        "{} legacy-protocol sign-in{} ({}), {} successful; legacy protocols skip MFA and Conditional Access.",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        clients.into_iter().collect::<Vec<_>>().join(", "),
        successes.len()
    );
    let mut finding = Finding::new(FindingKind::LegacyAuth, severity, summary).with_sign_ins(list);
    finding.unfamiliar_success =
        severity == Severity::High && successes.iter().any(|s| ctx.unfamiliar(s));
    out.push(finding);
}

/// D17: attack-tool and scripting user agents.
fn attack_tool(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut by_tool: BTreeMap<&'static str, Vec<&SignIn>> = BTreeMap::new();
    for s in &ctx.sign_ins {
        if let Some(tool) = s.user_agent.as_deref().and_then(signals::attack_tool) {
            by_tool.entry(tool).or_default().push(s);
        }
    }
    for (tool, list) in by_tool {
        let successes = list.iter().filter(|s| s.succeeded()).count();
        let severity = if successes > 0 {
            Severity::High
        } else {
            Severity::Medium
        };
        let agent = list[0].user_agent.as_deref().unwrap_or(tool);
        let summary = format!(
            "{} sign-in{} ({successes} successful) with the user agent \"{agent}\", a {tool} tool signature.",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
        );
        let mut finding = Finding::new(FindingKind::AttackToolUserAgent, severity, summary)
            .with_sign_ins(list.iter().copied());
        finding.unfamiliar_success = list.iter().any(|s| s.succeeded() && ctx.unfamiliar(s));
        out.push(finding);
    }
}

/// D18: one session from two networks; token-satisfied or refresh-token sign-ins from a network
/// and device the baseline never had.
fn token_replay(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let config = ctx.config;
    // 1. One session seen from two countries or ASNs within the window.
    let mut sessions: BTreeMap<&str, Vec<&SignIn>> = BTreeMap::new();
    for s in &ctx.sign_ins {
        if let Some(id) = s.session_id.as_deref().filter(|id| !id.is_empty()) {
            sessions.entry(id).or_default().push(s);
        }
    }
    let split_window = Config::minutes(config.session_split_minutes);
    for (session, list) in sessions {
        if list.len() < 2 {
            continue;
        }
        let split = list.iter().enumerate().any(|(i, a)| {
            list[i + 1..].iter().any(|b| {
                b.created_date_time.0 - a.created_date_time.0 <= split_window
                    && ((!a.country().is_empty() && !b.country().is_empty() && !a.country().eq_ignore_ascii_case(b.country()))
                        || matches!((a.autonomous_system_number, b.autonomous_system_number), (Some(x), Some(y)) if x != y))
            })
        });
        if split && !list.iter().all(|s| ctx.trusted(s)) {
            let summary = format!(
                "Session {session} was used from {} within {} min: one session, two networks.",
                list.iter()
                    .map(|s| s.location.place())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(" and "),
                config.session_split_minutes
            );
            let mut finding = Finding::new(FindingKind::TokenReplay, Severity::High, summary)
                .with_sign_ins(list.iter().copied())
                .indicates(Signal::SessionTaken);
            finding.unfamiliar_success = true;
            out.push(finding);
        }
    }
    if ctx.baseline.learning {
        return;
    }
    // 2 and 3. Token use from a new network on a device the user never used.
    let new_network = |s: &SignIn| {
        let country = s.country().to_ascii_uppercase();
        (!country.is_empty() && !ctx.baseline.countries.contains(&country))
            || !ctx.baseline.familiar_network(s)
    };
    let mut claimed = Vec::new();
    let mut refreshed = Vec::new();
    for s in &ctx.sign_ins {
        if !s.succeeded() || ctx.trusted(s) || ctx.baseline.known_device(s) || !new_network(s) {
            continue;
        }
        let refresh = !s.interactive()
            && s.incoming_token_type.as_deref().is_some_and(|t| {
                t.eq_ignore_ascii_case("refreshToken")
                    || t.eq_ignore_ascii_case("primaryRefreshToken")
            });
        if s.token_satisfied() && s.interactive() {
            claimed.push(*s);
        } else if refresh || (s.token_satisfied() && !s.interactive()) {
            refreshed.push(*s);
        }
    }
    if claimed.is_empty() && refreshed.is_empty() {
        return;
    }
    let severity = if claimed.is_empty() {
        Severity::Medium
    } else {
        Severity::High
    };
    let mut parts = Vec::new();
    if !claimed.is_empty() {
        parts.push(format!(
            "{} sign-in{} satisfied MFA with a token claim",
            claimed.len(),
            if claimed.len() == 1 { "" } else { "s" }
        ));
    }
    if !refreshed.is_empty() {
        parts.push(format!(
            "{} non-interactive token refresh{}",
            refreshed.len(),
            if refreshed.len() == 1 { "" } else { "es" }
        ));
    }
    let all: Vec<&SignIn> = {
        let mut v: Vec<&SignIn> = claimed.iter().chain(refreshed.iter()).copied().collect();
        v.sort_by_key(|s| s.created_date_time);
        v
    };
    let places: BTreeSet<String> = all.iter().map(|s| s.location.place()).collect();
    let summary = format!(
        "{} from {}, a network and device the user never used: a stolen token is being replayed.",
        parts.join(" and "),
        places.into_iter().collect::<Vec<_>>().join(", ")
    );
    let mut finding = Finding::new(FindingKind::TokenReplay, severity, summary)
        .with_sign_ins(all)
        .indicates(if claimed.is_empty() {
            Signal::None
        } else {
            Signal::SessionTaken
        });
    finding.unfamiliar_success = true;
    out.push(finding);
}

/// D19: device-code sign-ins the user never did before, or one session from several addresses.
fn device_code(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let list: Vec<&SignIn> = ctx
        .sign_ins
        .iter()
        .copied()
        .filter(|s| is_device_code(s))
        .collect();
    if list.is_empty() {
        return;
    }
    let successes: Vec<&SignIn> = list.iter().copied().filter(|s| s.succeeded()).collect();
    let ips: BTreeSet<&str> = list.iter().map(|s| s.ip()).collect();
    let agents: BTreeSet<&str> = list
        .iter()
        .filter_map(|s| s.user_agent.as_deref())
        .collect();
    let concurrent = ips.len() >= 2 || agents.len() >= 2;
    let first_time = !ctx.baseline.device_code;
    if successes.is_empty() || (!first_time && !concurrent) {
        return;
    }
    let taken = concurrent
        || successes
            .iter()
            .any(|s| ctx.unfamiliar(s) || infrastructure(ctx, s).is_some());
    let summary = format!(
        "{} device-code sign-in{} ({} successful){}{}; device-code phishing hands the attacker the user's tokens.",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        successes.len(),
        if first_time {
            ", the first for this user"
        } else {
            ""
        },
        if concurrent {
            ", from several addresses or agents"
        } else {
            ""
        }
    );
    let mut finding = Finding::new(FindingKind::DeviceCodePhish, Severity::High, summary)
        .with_sign_ins(list)
        .indicates(if taken {
            Signal::SessionTaken
        } else {
            Signal::None
        });
    finding.unfamiliar_success = taken;
    out.push(finding);
}

/// D25: Identity Protection's sign-in and user risk.
fn risky_signin(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let dismissed = |s: &SignIn| {
        matches!(
            s.risk_state.as_deref(),
            Some("remediated" | "dismissed" | "confirmedSafe")
        )
    };
    let level = |s: &SignIn| -> Option<Severity> {
        if dismissed(s) {
            return None;
        }
        let high = [&s.risk_level_during_sign_in, &s.risk_level_aggregated]
            .iter()
            .any(|r| r.as_deref() == Some("high"));
        let state = s.risk_state.as_deref();
        if high || (s.succeeded() && matches!(state, Some("confirmedCompromised"))) {
            Some(Severity::High)
        } else if s.risk_level_during_sign_in.as_deref() == Some("medium")
            || (s.succeeded() && state == Some("atRisk"))
        {
            Some(Severity::Medium)
        } else {
            None
        }
    };
    let risky: Vec<(&SignIn, Severity)> = ctx
        .sign_ins
        .iter()
        .filter_map(|s| level(s).map(|l| (*s, l)))
        .collect();
    let detections: Vec<_> = ctx
        .evidence
        .risk_detections
        .iter()
        .filter(|d| {
            !matches!(
                d.risk_state.as_deref(),
                Some("remediated" | "dismissed" | "confirmedSafe")
            )
        })
        .filter(|d| {
            d.risk_event_type
                .as_deref()
                .is_some_and(|t| !t.eq_ignore_ascii_case("passwordSpray"))
        })
        .collect();
    let risky_user = ctx.evidence.risky_user.as_ref().filter(|u| {
        matches!(
            u.risk_state.as_deref(),
            Some("atRisk" | "confirmedCompromised")
        )
    });
    if risky.is_empty() && detections.is_empty() && risky_user.is_none() {
        return;
    }
    let has = |list: &[&str]| {
        detections.iter().any(|d| {
            d.risk_event_type
                .as_deref()
                .is_some_and(|t| list.iter().any(|e| e.eq_ignore_ascii_case(t)))
        })
    };
    let confirmed =
        risky_user.is_some_and(|u| u.risk_state.as_deref() == Some("confirmedCompromised"));
    let session = confirmed || has(signals::SESSION_RISK_EVENTS);
    let credential = has(signals::CREDENTIAL_RISK_EVENTS);
    let mut severity = risky.iter().map(|(_, l)| *l).max().unwrap_or(Severity::Low);
    if session || credential || risky_user.is_some_and(|u| u.risk_level.as_deref() == Some("high"))
    {
        severity = Severity::High;
    } else if !detections.is_empty() || risky_user.is_some() {
        severity = severity.max(Severity::Medium);
    }
    let kinds: BTreeSet<String> = detections
        .iter()
        .filter_map(|d| d.risk_event_type.clone())
        .chain(
            risky
                .iter()
                .flat_map(|(s, _)| s.risk_event_types_v2.iter().map(|t| t.to_string())),
        )
        .collect();
    let mut summary = format!(
        "Identity Protection rates {} sign-in{} risky",
        risky.len(),
        if risky.len() == 1 { "" } else { "s" }
    );
    if let Some(user) = risky_user {
        summary.push_str(&format!(
            " and the user {} ({} risk)",
            user.risk_state.as_deref().unwrap_or("at risk"),
            user.risk_level.as_deref().unwrap_or("unknown")
        ));
    }
    if !kinds.is_empty() {
        summary.push_str(&format!(
            "; detections: {}",
            kinds.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    summary.push('.');
    let signal = if session {
        Signal::SessionTaken
    } else if credential {
        Signal::CredentialKnown
    } else {
        Signal::None
    };
    let mut finding = Finding::new(FindingKind::RiskySignin, severity, summary)
        .with_sign_ins(risky.iter().map(|(s, _)| *s))
        .indicates(signal);
    finding.risk_detections = detections.iter().map(|d| d.id.clone()).collect();
    finding.unfamiliar_success = risky
        .iter()
        .any(|(s, _)| s.succeeded() && ctx.unfamiliar(s));
    if finding.first_seen.is_none() {
        finding.first_seen = detections.iter().filter_map(|d| d.activity_date_time).min();
        finding.last_seen = detections.iter().filter_map(|d| d.activity_date_time).max();
    }
    out.push(finding);
}
