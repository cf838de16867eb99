//! Rules about the password and the second factor for one user: brute force (D03), success
//! after failures (D04), MFA fatigue (D07), explicit MFA denial or fraud report (D08), correct
//! password with MFA not passed (D09), and Identity Protection's validated-spray signal (D01).

use std::collections::BTreeMap;

use super::{Ctx, Finding, FindingKind, Severity, Signal, clusters, max_in_window, span};
use crate::config::Config;
use crate::model::{SignIn, Timestamp};
use crate::signals;

pub(super) fn run(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    brute_force(ctx, out);
    success_after_failures(ctx, out);
    mfa_fatigue(ctx, out);
    mfa_denied(ctx, out);
    password_valid_mfa_blocked(ctx, out);
    spray_risk(ctx, out);
}

fn times(sign_ins: &[&SignIn]) -> Vec<Timestamp> {
    sign_ins.iter().map(|s| s.created_date_time).collect()
}

fn sources(sign_ins: &[&SignIn]) -> String {
    let mut ips: Vec<String> = Vec::new();
    for s in sign_ins {
        let text = format!("{} ({})", s.ip(), s.location.place());
        if !ips.contains(&text) {
            ips.push(text);
        }
    }
    match ips.len() {
        0 => "an unknown source".to_owned(),
        1..=3 => ips.join(", "),
        n => format!("{} and {} more", ips[..3].join(", "), n - 3),
    }
}

/// D03: ≥`brute_force_min_failures` primary failures in `brute_force_window_minutes`.
fn brute_force(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let failures: Vec<&SignIn> = ctx
        .sign_ins
        .iter()
        .copied()
        .filter(|s| signals::is_primary_failure(s.error_code()))
        .collect();
    let window = Config::minutes(ctx.config.brute_force_window_minutes);
    for (a, b) in clusters(
        &times(&failures),
        window,
        ctx.config.brute_force_min_failures,
    ) {
        let burst = &failures[a..=b];
        let locked = burst.iter().filter(|s| s.error_code() == 50053).count();
        let bad = burst.len() - locked;
        let unfamiliar = burst
            .iter()
            .any(|s| ctx.unfamiliar(s) || ctx.baseline.learning);
        let tool = burst.iter().any(|s| {
            s.user_agent
                .as_deref()
                .and_then(signals::attack_tool)
                .is_some()
        });
        let all_familiar = burst
            .iter()
            .all(|s| ctx.baseline.familiar_network(s) || ctx.trusted(s));
        let severity = if tool || (locked > 0 && unfamiliar) {
            Severity::High
        } else if all_familiar && !ctx.baseline.learning {
            Severity::Low
        } else {
            Severity::Medium
        };
        let duration = burst[burst.len() - 1].created_date_time.0 - burst[0].created_date_time.0;
        let mut summary = format!(
            "{} failed sign-ins ({bad} bad password, {locked} locked out) in {} from {}",
            burst.len(),
            span(duration),
            sources(burst)
        );
        if severity == Severity::Low {
            summary.push_str(
                "; all from the user's usual network, which looks like a stale saved password",
            );
        }
        summary.push('.');
        out.push(
            Finding::new(FindingKind::BruteForce, severity, summary)
                .with_sign_ins(burst.iter().copied())
                .observed(format!(
                    "{} failures in {} (threshold {} in {} min)",
                    burst.len(),
                    span(duration),
                    ctx.config.brute_force_min_failures,
                    ctx.config.brute_force_window_minutes
                )),
        );
    }
}

/// D04: per source IP, ≥N failures in 30 min, then a password-validated sign-in from the same IP
/// within 60 min.
fn success_after_failures(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut by_ip: BTreeMap<&str, Vec<&SignIn>> = BTreeMap::new();
    for s in &ctx.sign_ins {
        if !s.ip().is_empty() {
            by_ip.entry(s.ip()).or_default().push(s);
        }
    }
    let config = ctx.config;
    for (ip, list) in by_ip {
        let failures: Vec<&SignIn> = list
            .iter()
            .copied()
            .filter(|s| signals::is_primary_failure(s.error_code()) && s.error_code() != 50055)
            .collect();
        let window = Config::minutes(config.success_after_failures_window_minutes);
        for (a, b) in clusters(&times(&failures), window, config.success_after_failures_min) {
            let burst = &failures[a..=b];
            let last = burst[burst.len() - 1].created_date_time;
            let follow = Config::minutes(config.success_after_failures_follow_minutes);
            let Some(validated) = list.iter().copied().find(|s| {
                s.created_date_time > last
                    && s.created_date_time.0 - last.0 <= follow
                    && signals::password_validated(s.error_code())
                    && s.error_code() != 50055
            }) else {
                continue;
            };
            if !ctx.unfamiliar(validated) && !ctx.baseline.learning {
                continue;
            }
            let succeeded = validated.succeeded();
            let (severity, signal) = if succeeded {
                (Severity::Critical, Signal::SessionTaken)
            } else {
                (Severity::High, Signal::CredentialKnown)
            };
            let outcome = if succeeded {
                "signed in successfully".to_owned()
            } else {
                format!(
                    "got past the password (error {}: {})",
                    validated.error_code(),
                    signals::describe_code(validated.error_code())
                )
            };
            let mut finding = Finding::new(
                FindingKind::SuccessAfterFailures,
                severity,
                format!(
                    "After {} failed attempts from {ip} ({}), the same address {outcome} {} later.",
                    burst.len(),
                    validated.location.place(),
                    span(validated.created_date_time.0 - last.0)
                ),
            )
            .with_sign_ins(burst.iter().copied().chain([validated]))
            .indicates(signal)
            .observed(format!(
                "{} failures, then error {}",
                burst.len(),
                validated.error_code()
            ));
            finding.ip = Some(ip.to_owned());
            finding.unfamiliar_success = succeeded;
            out.push(finding);
        }
    }
}

fn push_failure(s: &SignIn) -> bool {
    if s.error_code() != 500121 && s.succeeded() {
        return false;
    }
    let in_status = s
        .status
        .additional_details
        .as_deref()
        .is_some_and(signals::is_push_failure);
    let in_steps = s.authentication_details.iter().any(|step| {
        step.succeeded == Some(false)
            && step
                .authentication_step_result_detail
                .as_deref()
                .is_some_and(signals::is_push_failure)
    });
    (s.error_code() == 500121 || !s.succeeded()) && (in_status || in_steps)
}

/// D07: MFA push failures in a sliding window; Critical when a same-IP success follows.
fn mfa_fatigue(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let config = ctx.config;
    let failures: Vec<&SignIn> = ctx
        .sign_ins
        .iter()
        .copied()
        .filter(|s| push_failure(s))
        .collect();
    if failures.is_empty() {
        return;
    }
    let window = Config::minutes(config.mfa_fatigue_window_minutes);
    // Runs of failures no more than one window apart.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 1..=failures.len() {
        let split = i == failures.len()
            || failures[i].created_date_time.0 - failures[i - 1].created_date_time.0 > window;
        if split {
            runs.push((start, i - 1));
            start = i;
        }
    }
    for (a, b) in runs {
        let run = &failures[a..=b];
        let peak = max_in_window(&times(run), window);
        let last = run[run.len() - 1].created_date_time;
        let follow = Config::minutes(config.mfa_fatigue_success_minutes);
        let success = ctx.sign_ins.iter().copied().find(|s| {
            s.succeeded()
                && s.created_date_time > last
                && s.created_date_time.0 - last.0 <= follow
                && run.iter().any(|f| f.ip() == s.ip() && !s.ip().is_empty())
        });
        let with_success = success.is_some() && run.len() >= config.mfa_fatigue_min_before_success;
        if peak < config.mfa_fatigue_min && !with_success {
            continue;
        }
        let unfamiliar = run.iter().any(|s| ctx.unfamiliar(s));
        let (severity, signal) = if with_success {
            (Severity::Critical, Signal::SessionTaken)
        } else if peak >= config.mfa_fatigue_high {
            (Severity::High, Signal::CredentialKnown)
        } else if unfamiliar || ctx.baseline.learning {
            (Severity::Medium, Signal::CredentialKnown)
        } else {
            (Severity::Low, Signal::None)
        };
        let duration = last.0 - run[0].created_date_time.0;
        let mut summary = format!(
            "{} MFA prompts were denied or ignored in {} from {}",
            run.len(),
            span(duration),
            sources(run)
        );
        match success {
            Some(s) if with_success => summary.push_str(&format!(
                ", then one was approved from the same address {} later: the attacker is in.",
                span(s.created_date_time.0 - last.0)
            )),
            _ => summary.push_str(", so someone who knows the password is pushing prompts."),
        }
        let mut finding = Finding::new(FindingKind::MfaFatigue, severity, summary)
            .with_sign_ins(run.iter().copied().chain(success.filter(|_| with_success)))
            .indicates(signal)
            .observed(format!(
                "{} push failures, peak {} in {} min{}",
                run.len(),
                peak,
                config.mfa_fatigue_window_minutes,
                if with_success { ", then success" } else { "" }
            ));
        finding.unfamiliar_success = with_success;
        out.push(finding);
    }
}

/// D08: the user declined a prompt or reported fraud.
fn mfa_denied(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let denied: Vec<&SignIn> = ctx
        .sign_ins
        .iter()
        .copied()
        .filter(|s| {
            s.error_code() == 500121
                && (s
                    .status
                    .additional_details
                    .as_deref()
                    .is_some_and(signals::is_explicit_deny)
                    || s.authentication_details.iter().any(|step| {
                        step.authentication_step_result_detail
                            .as_deref()
                            .is_some_and(signals::is_explicit_deny)
                    }))
        })
        .collect();
    if denied.is_empty() {
        return;
    }
    let fraud = denied.iter().any(|s| {
        let text = |t: Option<&str>| t.is_some_and(|t| crate::model::contains_ci(t, "fraud"));
        text(s.status.additional_details.as_deref())
            || s.authentication_details
                .iter()
                .any(|step| text(step.authentication_step_result_detail.as_deref()))
    });
    let unfamiliar = denied.iter().any(|s| ctx.unfamiliar(s));
    let (severity, signal) = if fraud {
        (Severity::High, Signal::CredentialKnown)
    } else if unfamiliar {
        (Severity::Medium, Signal::CredentialKnown)
    } else {
        (Severity::Low, Signal::None)
    };
    let what = if fraud {
        "reported fraud on an MFA prompt"
    } else {
        "declined MFA prompts"
    };
    let summary = format!(
        "The user {what} {} time{} for sign-ins from {}; the password was accepted first.",
        denied.len(),
        if denied.len() == 1 { "" } else { "s" },
        sources(&denied)
    );
    out.push(
        Finding::new(FindingKind::MfaDenied, severity, summary)
            .with_sign_ins(denied.iter().copied())
            .indicates(signal),
    );
}

/// D09: correct password, MFA or policy interrupt, from a network outside the baseline.
fn password_valid_mfa_blocked(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let blocked: Vec<&SignIn> = ctx
        .sign_ins
        .iter()
        .copied()
        .filter(|s| signals::is_mfa_interrupt(s.error_code()) && ctx.unfamiliar(s))
        .collect();
    if blocked.is_empty() {
        return;
    }
    let severity = if blocked.len() >= ctx.config.mfa_blocked_high {
        Severity::High
    } else {
        Severity::Medium
    };
    let summary = format!(
        "The correct password was used {} time{} from {}, a network the user never signed in from, and MFA or policy stopped it.",
        blocked.len(),
        if blocked.len() == 1 { "" } else { "s" },
        sources(&blocked)
    );
    out.push(
        Finding::new(FindingKind::PasswordValidMfaBlocked, severity, summary)
            .with_sign_ins(blocked.iter().copied())
            .indicates(Signal::CredentialKnown),
    );
}

/// D01 passthrough: Identity Protection's `passwordSpray` only fires when the password was
/// validated for this user.
fn spray_risk(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let hits: Vec<_> = ctx
        .evidence
        .risk_detections
        .iter()
        .filter(|d| {
            d.risk_event_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("passwordSpray"))
        })
        .collect();
    if hits.is_empty() {
        return;
    }
    let mut finding = Finding::new(
        FindingKind::PasswordSpray,
        Severity::High,
        "Identity Protection saw a password spray that validated this user's password.",
    )
    .indicates(Signal::CredentialKnown);
    finding.risk_detections = hits.iter().map(|d| d.id.clone()).collect();
    finding.ips = hits.iter().filter_map(|d| d.ip_address.clone()).collect();
    finding.first_seen = hits.iter().filter_map(|d| d.activity_date_time).min();
    finding.last_seen = hits.iter().filter_map(|d| d.activity_date_time).max();
    out.push(finding);
}
