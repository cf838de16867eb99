//! Per-user detections: [`investigate`] runs the catalogue over one user's [`Evidence`] for a
//! window and returns the [`Finding`]s with the [`Verdict`](crate::Verdict).
//!
//! Each rule compares the window's sign-ins with a *frozen* baseline: the user's successful
//! sign-ins in the `baseline_days` before the window, so attacker activity inside the window
//! never becomes "normal". With too little baseline (a new user) the novelty rules stay quiet
//! (learning mode), the way Identity Protection does.
//!
//! Files: `credential` (brute force, success after failures, MFA fatigue and denial, password
//! valid but MFA blocked, spray passthrough), `network` (travel, countries, anonymizers,
//! devices, legacy auth, tool agents, token replay, device code, risk passthrough),
//! `persistence` (new authentication methods, suspicious OAuth grants).

mod credential;
mod network;
mod persistence;

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::{Evidence, SignIn, Timestamp, Window};
use crate::verdict::{Verdict, decide};

/// What a finding is about; names are the issue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// D01/D02: one IP or a botnet failing for many users with few passwords.
    PasswordSpray,
    /// D02: many users, many IPs, many passwords in minutes.
    CredentialStuffing,
    /// D03: many failures against one user.
    BruteForce,
    /// D04: many failures, then the password worked from the same source.
    SuccessAfterFailures,
    /// D05: smart-lockout events across many users.
    LockoutSurge,
    /// D07: MFA prompt bombing.
    MfaFatigue,
    /// D08: the user declined MFA or reported fraud.
    MfaDenied,
    /// D09: correct password, MFA or policy stopped the sign-in.
    PasswordValidMfaBlocked,
    /// D11: two sign-ins too far apart for the time between them.
    ImpossibleTravel,
    /// D12: a country the user never signed in from.
    NewCountry,
    /// D14: anonymizer, hosting or malicious infrastructure.
    AnonymousIp,
    /// D15: a device (or browser fingerprint) the user never used.
    NewDevice,
    /// D16: legacy protocol or ROPC.
    LegacyAuth,
    /// D17: attack-tool or scripting user agent.
    AttackToolUserAgent,
    /// D18: token replay and session anomalies.
    TokenReplay,
    /// D19: device-code flow abuse.
    DeviceCodePhish,
    /// D25: Identity Protection risk passthrough.
    RiskySignin,
    /// D26: an authentication method registered (persistence when after a flagged sign-in).
    NewAuthMethod,
    /// D27 / §2: a risky delegated grant to a suspicious app.
    SuspiciousOauthGrant,
}

impl FindingKind {
    /// Every kind, in catalogue order.
    pub const ALL: [FindingKind; 19] = [
        FindingKind::PasswordSpray,
        FindingKind::CredentialStuffing,
        FindingKind::BruteForce,
        FindingKind::SuccessAfterFailures,
        FindingKind::LockoutSurge,
        FindingKind::MfaFatigue,
        FindingKind::MfaDenied,
        FindingKind::PasswordValidMfaBlocked,
        FindingKind::ImpossibleTravel,
        FindingKind::NewCountry,
        FindingKind::AnonymousIp,
        FindingKind::NewDevice,
        FindingKind::LegacyAuth,
        FindingKind::AttackToolUserAgent,
        FindingKind::TokenReplay,
        FindingKind::DeviceCodePhish,
        FindingKind::RiskySignin,
        FindingKind::NewAuthMethod,
        FindingKind::SuspiciousOauthGrant,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::PasswordSpray => "password_spray",
            FindingKind::CredentialStuffing => "credential_stuffing",
            FindingKind::BruteForce => "brute_force",
            FindingKind::SuccessAfterFailures => "success_after_failures",
            FindingKind::LockoutSurge => "lockout_surge",
            FindingKind::MfaFatigue => "mfa_fatigue",
            FindingKind::MfaDenied => "mfa_denied",
            FindingKind::PasswordValidMfaBlocked => "password_valid_mfa_blocked",
            FindingKind::ImpossibleTravel => "impossible_travel",
            FindingKind::NewCountry => "new_country",
            FindingKind::AnonymousIp => "anonymous_ip",
            FindingKind::NewDevice => "new_device",
            FindingKind::LegacyAuth => "legacy_auth",
            FindingKind::AttackToolUserAgent => "attack_tool_user_agent",
            FindingKind::TokenReplay => "token_replay",
            FindingKind::DeviceCodePhish => "device_code_phish",
            FindingKind::RiskySignin => "risky_signin",
            FindingKind::NewAuthMethod => "new_auth_method",
            FindingKind::SuspiciousOauthGrant => "suspicious_oauth_grant",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Review.
    Medium,
    /// Act.
    High,
    /// Act now: the attacker is in.
    Critical,
}

impl Severity {
    /// Points toward "likely compromise" (reference: high 3, medium 2, low 1).
    pub fn points(self) -> u32 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What a finding proves on its own, for the verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Nothing by itself; counts as points.
    #[default]
    None,
    /// Someone else knows the password (it was validated, leaked, or MFA was pushed).
    CredentialKnown,
    /// Someone else obtained a session or token.
    SessionTaken,
}

/// One detection hit with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What.
    pub kind: FindingKind,
    /// How bad.
    pub severity: Severity,
    /// One sentence.
    pub summary: String,
    /// Sign-in ids, oldest first.
    pub signins: Vec<String>,
    /// The single source address, when there is one (hunting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Users involved (hunting; the investigated user otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Source addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// Places (`City, CC`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<String>,
    /// First evidence time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// Last evidence time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// Values observed against the threshold, e.g. `7 MFA denials in 8 min`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// Directory audit ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audits: Vec<String>,
    /// Authentication method ids (containment targets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// Delegated grant ids (containment targets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    /// Service principal object ids (containment targets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_principals: Vec<String>,
    /// Identity Protection risk detection ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub risk_detections: Vec<String>,
    /// What it proves by itself.
    #[serde(skip_serializing_if = "is_no_signal")]
    pub indicates: Signal,
    /// Includes a successful sign-in from a network or device outside the baseline.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub unfamiliar_success: bool,
}

fn is_no_signal(signal: &Signal) -> bool {
    *signal == Signal::None
}

impl Finding {
    /// A finding without evidence yet.
    pub fn new(kind: FindingKind, severity: Severity, summary: impl Into<String>) -> Self {
        Finding {
            kind,
            severity,
            summary: summary.into(),
            signins: Vec::new(),
            ip: None,
            users: Vec::new(),
            ips: Vec::new(),
            places: Vec::new(),
            first_seen: None,
            last_seen: None,
            observed: None,
            audits: Vec::new(),
            methods: Vec::new(),
            grants: Vec::new(),
            service_principals: Vec::new(),
            risk_detections: Vec::new(),
            indicates: Signal::None,
            unfamiliar_success: false,
        }
    }

    /// Adds sign-ins as evidence (ids, addresses, places, time span).
    pub fn with_sign_ins<'a>(mut self, sign_ins: impl IntoIterator<Item = &'a SignIn>) -> Self {
        let mut ips: BTreeSet<String> = self.ips.drain(..).collect();
        let mut places: Vec<String> = std::mem::take(&mut self.places);
        for s in sign_ins {
            self.signins.push(s.id.to_string());
            if let Some(ip) = s.ip_address.as_deref() {
                ips.insert(ip.to_owned());
            }
            let place = s.location.place();
            if place != "unknown" && !places.contains(&place) {
                places.push(place);
            }
            let at = s.created_date_time;
            self.first_seen = Some(self.first_seen.map_or(at, |t| t.min(at)));
            self.last_seen = Some(self.last_seen.map_or(at, |t| t.max(at)));
            if !self
                .users
                .iter()
                .any(|u| u.as_str() == &*s.user_principal_name)
            {
                self.users.push(s.user_principal_name.to_string());
            }
        }
        self.ips = ips.into_iter().collect();
        self.places = places;
        self
    }

    /// Sets the observed values.
    pub fn observed(mut self, text: impl Into<String>) -> Self {
        self.observed = Some(text.into());
        self
    }

    /// Sets what the finding proves.
    pub fn indicates(mut self, signal: Signal) -> Self {
        self.indicates = signal;
        self
    }
}

/// The result of investigating one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Investigation {
    /// UPN (lower-case).
    pub user: String,
    /// The window.
    pub window: Window,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// The verdict and its reasoning.
    pub verdict: Verdict,
    /// Baseline facts (for the report).
    pub baseline: BaselineSummary,
    /// Sign-ins of the user inside the window.
    pub sign_ins_in_window: usize,
}

/// What the baseline held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// Successful sign-ins in the baseline period.
    pub successes: usize,
    /// Countries seen.
    pub countries: Vec<String>,
    /// Too little history: novelty rules were quiet.
    pub learning: bool,
}

/// The user's usual behaviour, frozen before the window.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    pub successes: usize,
    pub countries: HashSet<String>,
    pub asns: HashSet<u32>,
    pub ips: HashSet<String>,
    pub prefixes: HashSet<String>,
    pub device_ids: HashSet<String>,
    pub fingerprints: HashSet<String>,
    pub legacy_clients: HashSet<String>,
    pub device_code: bool,
    pub learning: bool,
}

impl Baseline {
    fn build<'a>(sign_ins: impl Iterator<Item = &'a SignIn>, config: &Config) -> Self {
        let mut b = Baseline::default();
        for s in sign_ins.filter(|s| s.succeeded()) {
            b.successes += 1;
            if !s.country().is_empty() {
                b.countries.insert(s.country().to_ascii_uppercase());
            }
            if let Some(asn) = s.autonomous_system_number {
                b.asns.insert(asn);
            }
            if !s.ip().is_empty() {
                b.ips.insert(s.ip().to_owned());
                b.prefixes.insert(prefix(s.ip()));
            }
            if let Some(id) = s.device_detail.known_id() {
                b.device_ids.insert(id.to_ascii_lowercase());
            }
            b.fingerprints.insert(s.device_detail.fingerprint());
            if let Some(client) = s.client_app_used.as_deref() {
                b.legacy_clients.insert(client.to_ascii_lowercase());
            }
            if network::is_device_code(s) {
                b.device_code = true;
            }
        }
        b.learning = b.successes < config.min_baseline_sign_ins;
        b
    }

    /// The address (or its /24, /48) or its ASN was used successfully before.
    pub fn familiar_network(&self, s: &SignIn) -> bool {
        let ip = s.ip();
        (!ip.is_empty() && (self.ips.contains(ip) || self.prefixes.contains(&prefix(ip))))
            || s.autonomous_system_number
                .is_some_and(|asn| self.asns.contains(&asn))
    }

    /// The device id was used successfully before.
    pub fn known_device(&self, s: &SignIn) -> bool {
        s.device_detail
            .known_id()
            .is_some_and(|id| self.device_ids.contains(&id.to_ascii_lowercase()))
    }
}

/// The /24 of an IPv4 address or the /48 of an IPv6 one (as text).
pub(crate) fn prefix(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Err(_) => ip.to_owned(),
    }
}

/// What every rule reads.
pub(crate) struct Ctx<'a> {
    pub evidence: &'a Evidence,
    pub config: &'a Config,
    pub window: Window,
    pub baseline: Baseline,
    /// The window's sign-ins, oldest first.
    pub sign_ins: Vec<&'a SignIn>,
    /// The last successful sign-in before the window (for travel across the boundary).
    pub last_before: Option<&'a SignIn>,
}

impl Ctx<'_> {
    /// Trusted corporate egress.
    pub fn trusted(&self, s: &SignIn) -> bool {
        self.config.trusted_networks.contains_text(s.ip())
    }

    /// Outside the baseline's networks (never in learning mode, never for trusted egress).
    pub fn unfamiliar(&self, s: &SignIn) -> bool {
        !self.baseline.learning && !self.trusted(s) && !self.baseline.familiar_network(s)
    }
}

/// Runs every per-user detection over `evidence` for `window` and decides a verdict.
pub fn investigate(evidence: &Evidence, window: Window, config: &Config) -> Investigation {
    let upn = evidence.user.user_principal_name.to_lowercase();
    let baseline_from = window
        .from
        .plus(-i64::from(config.baseline_days) * Timestamp::DAY);
    let mine = |s: &&SignIn| upn.is_empty() || *s.user_principal_name == *upn;
    let baseline =
        Baseline::build(
            evidence.sign_ins.iter().filter(mine).filter(|s| {
                s.created_date_time >= baseline_from && s.created_date_time < window.from
            }),
            config,
        );
    let mut sign_ins: Vec<&SignIn> = evidence
        .sign_ins
        .iter()
        .filter(mine)
        .filter(|s| window.contains(s.created_date_time))
        .collect();
    sign_ins.sort_by(|a, b| {
        a.created_date_time
            .cmp(&b.created_date_time)
            .then_with(|| a.id.cmp(&b.id))
    });
    let last_before = evidence
        .sign_ins
        .iter()
        .filter(mine)
        .filter(|s| s.created_date_time < window.from && s.succeeded() && s.interactive())
        .max_by_key(|s| s.created_date_time);
    let ctx = Ctx {
        evidence,
        config,
        window,
        baseline,
        sign_ins,
        last_before,
    };
    let mut findings = Vec::new();
    credential::run(&ctx, &mut findings);
    network::run(&ctx, &mut findings);
    persistence::run(&ctx, &mut findings);
    for finding in &mut findings {
        if finding.users.is_empty() && !upn.is_empty() {
            finding.users.push(upn.clone());
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    let verdict = decide(&findings, window);
    let mut countries: Vec<String> = ctx.baseline.countries.iter().cloned().collect();
    countries.sort();
    Investigation {
        user: upn,
        window,
        verdict,
        baseline: BaselineSummary {
            successes: ctx.baseline.successes,
            countries,
            learning: ctx.baseline.learning,
        },
        sign_ins_in_window: ctx.sign_ins.len(),
        findings,
    }
}

/// `3 min 20 s`, `2 h 5 min`, `4 days`.
pub(crate) fn span(millis: i64) -> String {
    let secs = millis.max(0) / 1000;
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 {
        let (m, s) = (secs / 60, secs % 60);
        if s == 0 {
            format!("{m} min")
        } else {
            format!("{m} min {s} s")
        }
    } else if secs < 2 * 86_400 {
        let (h, m) = (secs / 3600, (secs % 3600) / 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        format!("{} days", secs / 86_400)
    }
}

/// Sliding-window clusters over sorted times: maximal runs of items that belong to some
/// window of length `window_ms` holding at least `min` items. Returns index ranges.
pub(crate) fn clusters(times: &[Timestamp], window_ms: i64, min: usize) -> Vec<(usize, usize)> {
    if min == 0 || times.len() < min {
        return Vec::new();
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].0 - times[start].0 > window_ms {
            start += 1;
        }
        if end + 1 - start >= min {
            match out.last_mut() {
                Some(last) if start <= last.1 => last.1 = end,
                _ => out.push((start, end)),
            }
        }
    }
    out
}

/// The largest number of times inside any window of `window_ms`.
pub(crate) fn max_in_window(times: &[Timestamp], window_ms: i64) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].0 - times[start].0 > window_ms {
            start += 1;
        }
        best = best.max(end + 1 - start);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_finding() {
        let t = |m: i64| Timestamp(m * Timestamp::MINUTE);
        let times = [t(0), t(1), t(2), t(50), t(51), t(100)];
        assert_eq!(clusters(&times, 5 * Timestamp::MINUTE, 3), vec![(0, 2)]);
        assert_eq!(
            clusters(&times, 5 * Timestamp::MINUTE, 2),
            vec![(0, 2), (3, 4)]
        );
        assert_eq!(max_in_window(&times, 60 * Timestamp::MINUTE), 5);
        assert_eq!(span(200_000), "3 min 20 s");
    }
}
