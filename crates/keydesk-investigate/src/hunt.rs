//! Tenant-wide hunting over many users' sign-ins: password spray per IP (D01) and distributed
//! (D02), credential stuffing (D02), smart-lockout surges (D05) and per-user brute force (D03).
//!
//! Works on the lean [`HuntSignIn`] projection so a million records hunt in seconds. Findings
//! carry `ip` when one address is the source, and `users`.

use std::collections::BTreeSet;

// Fast hashing with a random seed (hashing the UPNs and addresses of a million sign-ins dominated
// detection with SipHash).
use foldhash::{HashMap, HashMapExt, HashSet};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detect::{Finding, FindingKind, Severity, Signal, clusters, span};
use crate::model::{HuntSignIn, Timestamp, Window};
use crate::signals;

/// At most this many sign-in ids are listed per finding (the count is in `observed`).
pub const MAX_IDS_PER_FINDING: usize = 500;

/// The result of a hunt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HuntReport {
    /// The period hunted (`None` = all records given).
    pub window: Option<Window>,
    /// Sign-ins considered.
    pub sign_ins: usize,
    /// Distinct users among them.
    pub users: usize,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

/// Runs the tenant-wide detections over `sign_ins` (any order) inside `window`.
pub fn hunt(sign_ins: &[HuntSignIn], window: Option<Window>, config: &Config) -> HuntReport {
    // One pass over the records in the window: the users, per-IP failed and succeeded users
    // (Sentinel's shared-egress guard), and the failures.
    //
    // Inserting is idempotent, so a record whose user (and address and code) was just inserted
    // adds nothing: a small cache of recent insertions, keyed by the shared strings' addresses
    // (the same address is the same string), skips it without hashing the strings again.
    // Loaded strings are shared, and an export often lists a user's sign-ins together.
    let mut in_window = 0usize;
    let mut users: HashSet<&str> = HashSet::default();
    let mut recent_users = Recent::<1>::default();
    let mut per_ip: HashMap<&str, IpUsers<'_>> = HashMap::new();
    let mut recent = Recent::<3>::default();
    let mut failures: Vec<&HuntSignIn> = Vec::new();
    for s in sign_ins {
        if window.is_some_and(|w| !w.contains(s.at)) {
            continue;
        }
        in_window += 1;
        if recent_users.first_time([address(&s.user)]) {
            users.insert(&s.user);
        }
        let code = i64::from(s.error_code);
        if signals::is_primary_failure(code)
            || signals::distributed_failure(code)
            || config.spray_codes.contains(&code)
        {
            failures.push(s);
        }
        let Some(ip_text) = s.ip.as_ref() else {
            continue;
        };
        // The code as an address-sized key part (any i32 fits).
        let code_key = s.error_code as u32 as usize;
        if !recent.first_time([address(ip_text), address(&s.user), code_key]) {
            continue;
        }
        let entry = per_ip.entry(ip_text).or_default();
        if signals::is_primary_failure(code)
            || config.spray_codes.contains(&code)
            || (signals::distributed_failure(code) && !signals::spray_success(code))
        {
            entry.failed.insert(&s.user);
        }
        if signals::spray_success(code) {
            entry.succeeded.insert(&s.user);
        }
        if signals::password_validated(code) && code != 0 {
            entry.validated.insert(&s.user);
        } else if code == 0 {
            entry.signed_in.insert(&s.user);
        }
    }
    failures.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let mut findings = Vec::new();
    distributed(&failures, &per_ip, config, &mut findings);
    // An address that is part of a stuffing campaign is reported there, not again as a spray.
    let stuffing: HashSet<String> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::CredentialStuffing)
        .flat_map(|f| f.ips.iter().cloned())
        .collect();
    spray_per_ip(&failures, &per_ip, &stuffing, config, &mut findings);
    lockout_surge(&failures, config, &mut findings);
    brute_force(&failures, config, &mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.ip.cmp(&b.ip))
    });
    HuntReport {
        window,
        sign_ins: in_window,
        users: users.len(),
        findings,
    }
}

/// The address of a shared string.
fn address(text: &std::sync::Arc<str>) -> usize {
    std::sync::Arc::as_ptr(text).cast::<u8>() as usize
}

/// A direct-mapped cache of recently seen keys (addresses and small numbers).
struct Recent<const N: usize> {
    slots: Vec<Option<[usize; N]>>,
}

impl<const N: usize> Default for Recent<N> {
    fn default() -> Self {
        Recent {
            slots: vec![None; 256],
        }
    }
}

impl<const N: usize> Recent<N> {
    /// Whether `key` is not among the recent keys (and makes it recent).
    fn first_time(&mut self, key: [usize; N]) -> bool {
        let mixed = key.iter().fold(0usize, |h, &k| {
            (h ^ k).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize)
        });
        let slot = (mixed >> 24) % self.slots.len();
        match self.slots.get_mut(slot) {
            Some(entry) if *entry == Some(key) => false,
            Some(entry) => {
                *entry = Some(key);
                true
            }
            None => true,
        }
    }
}

#[derive(Default)]
struct IpUsers<'a> {
    failed: HashSet<&'a str>,
    succeeded: HashSet<&'a str>,
    /// Password accepted but interrupted (MFA, policy).
    validated: HashSet<&'a str>,
    /// Signed in (code 0).
    signed_in: HashSet<&'a str>,
}

impl IpUsers<'_> {
    fn shared_egress(&self) -> bool {
        !self.succeeded.is_empty() && self.failed.len() <= self.succeeded.len()
    }
}

fn finding_from(
    kind: FindingKind,
    severity: Severity,
    summary: String,
    list: &[&HuntSignIn],
) -> Finding {
    let mut finding = Finding::new(kind, severity, summary);
    let mut users = BTreeSet::new();
    let mut ips = BTreeSet::new();
    for s in list {
        if finding.signins.len() < MAX_IDS_PER_FINDING {
            finding.signins.push(s.id.to_string());
        }
        users.insert(s.user.to_string());
        if let Some(ip) = s.ip.as_deref() {
            ips.insert(ip.to_owned());
        }
    }
    finding.users = users.into_iter().collect();
    if ips.len() == 1 {
        finding.ip = ips.iter().next().cloned();
    }
    finding.ips = ips.into_iter().collect();
    finding.first_seen = list.iter().map(|s| s.at).min();
    finding.last_seen = list.iter().map(|s| s.at).max();
    finding
}

/// D01: ≥5 users failing from one IP in a 20-minute bin; failed users > succeeded users.
fn spray_per_ip(
    failures: &[&HuntSignIn],
    per_ip: &HashMap<&str, IpUsers<'_>>,
    stuffing: &HashSet<String>,
    config: &Config,
    out: &mut Vec<Finding>,
) {
    let bin = Config::minutes(config.spray_bin_minutes).max(1);
    let mut bins: HashMap<(&str, i64), HashSet<&str>> = HashMap::new();
    for s in failures {
        if !config.spray_codes.contains(&i64::from(s.error_code)) {
            continue;
        }
        if let Some(ip) = s.ip.as_deref() {
            bins.entry((ip, s.at.0.div_euclid(bin)))
                .or_default()
                .insert(&s.user);
        }
    }
    let mut spraying: BTreeSet<&str> = BTreeSet::new();
    for ((ip, _), users) in &bins {
        if users.len() >= config.spray_min_users {
            spraying.insert(ip);
        }
    }
    for ip in spraying {
        if stuffing.contains(ip) {
            continue;
        }
        let Some(stats) = per_ip.get(ip) else {
            continue;
        };
        if stats.shared_egress() {
            continue;
        }
        let list: Vec<&HuntSignIn> = failures
            .iter()
            .copied()
            .filter(|s| {
                s.ip.as_deref() == Some(ip) && config.spray_codes.contains(&i64::from(s.error_code))
            })
            .collect();
        let validated: BTreeSet<&str> = stats.validated.union(&stats.signed_in).copied().collect();
        let severity = if validated.is_empty() {
            Severity::Medium
        } else {
            Severity::High
        };
        let mut summary = format!(
            "{ip} failed sign-ins for {} users with few attempts each ({} attempts, {} bin{} of ≥{} users)",
            stats.failed.len(),
            list.len(),
            bins.iter()
                .filter(|((i, _), u)| *i == ip && u.len() >= config.spray_min_users)
                .count(),
            if bins
                .iter()
                .filter(|((i, _), u)| *i == ip && u.len() >= config.spray_min_users)
                .count()
                == 1
            {
                ""
            } else {
                "s"
            },
            config.spray_min_users
        );
        if validated.is_empty() {
            summary.push_str("; no password was accepted.");
        } else {
            summary.push_str(&format!(
                "; the password worked for {}: investigate each.",
                validated.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        let mut finding = finding_from(FindingKind::PasswordSpray, severity, summary, &list)
            .observed(format!(
                "{} attempts, {} users failed, {} users succeeded",
                list.len(),
                stats.failed.len(),
                stats.succeeded.len()
            ));
        finding.ip = Some(ip.to_owned());
        if !validated.is_empty() {
            finding.indicates = Signal::CredentialKnown;
        }
        out.push(finding);
    }
}

/// D02: Elastic's 15-minute classifier (stuffing, distributed spraying).
fn distributed(
    failures: &[&HuntSignIn],
    per_ip: &HashMap<&str, IpUsers<'_>>,
    config: &Config,
    out: &mut Vec<Finding>,
) {
    let bucket = Config::minutes(config.distributed_bucket_minutes).max(1);
    let eligible: Vec<&HuntSignIn> = failures
        .iter()
        .copied()
        .filter(|s| s.single_factor && signals::distributed_failure(i64::from(s.error_code)))
        .filter(|s| {
            s.ip.as_deref()
                .and_then(|ip| per_ip.get(ip))
                .is_none_or(|u| !u.shared_egress())
        })
        .collect();
    let mut pending: Option<(FindingKind, Vec<&HuntSignIn>, i64)> = None;
    let flush = |pending: &mut Option<(FindingKind, Vec<&HuntSignIn>, i64)>,
                 out: &mut Vec<Finding>| {
        if let Some((kind, list, _)) = pending.take() {
            out.push(classified(kind, &list));
        }
    };
    let mut i = 0;
    while i < eligible.len() {
        let key = eligible[i].at.0.div_euclid(bucket);
        let mut j = i;
        while j < eligible.len() && eligible[j].at.0.div_euclid(bucket) == key {
            j += 1;
        }
        let group = &eligible[i..j];
        let users: HashSet<&str> = group.iter().map(|s| &*s.user).collect();
        let ips: HashSet<&str> = group.iter().filter_map(|s| s.ip.as_deref()).collect();
        let errors: HashSet<i32> = group.iter().map(|s| s.error_code).collect();
        let duration = group[group.len() - 1].at.0 - group[0].at.0;
        let kind = if users.len() >= config.stuffing_min_users
            && group.len() >= config.stuffing_min_events
            && errors.len() <= config.stuffing_max_errors
            && ips.len() >= config.stuffing_min_ips
            && duration <= config.stuffing_max_seconds * 1000
            && users.len() > ips.len()
        {
            Some(FindingKind::CredentialStuffing)
        } else if users.len() >= config.distributed_spray_min_users
            && errors.len() == 1
            && group.len() >= config.distributed_spray_min_events
            && duration <= 1_800_000
            && ips.len() >= 2
        {
            Some(FindingKind::PasswordSpray)
        } else {
            None
        };
        match (kind, pending.as_mut()) {
            (Some(k), Some((pk, list, last))) if *pk == k && *last + 1 == key => {
                list.extend_from_slice(group);
                *last = key;
            }
            (Some(k), _) => {
                flush(&mut pending, out);
                pending = Some((k, group.to_vec(), key));
            }
            (None, _) => flush(&mut pending, out),
        }
        i = j;
    }
    flush(&mut pending, out);
}

fn classified(kind: FindingKind, list: &[&HuntSignIn]) -> Finding {
    let users: HashSet<&str> = list.iter().map(|s| &*s.user).collect();
    let ips: HashSet<&str> = list.iter().filter_map(|s| s.ip.as_deref()).collect();
    let duration = list[list.len() - 1].at.0 - list[0].at.0;
    let what = if kind == FindingKind::CredentialStuffing {
        "credential stuffing: many users, many addresses, different passwords"
    } else {
        "a distributed password spray: one error, many users, many addresses"
    };
    let summary = format!(
        "{} failed sign-ins for {} users from {} addresses in {}: {what}.",
        list.len(),
        users.len(),
        ips.len(),
        span(duration)
    );
    finding_from(kind, Severity::High, summary, list).observed(format!(
        "{} events, {} users, {} IPs in {}",
        list.len(),
        users.len(),
        ips.len(),
        span(duration)
    ))
}

fn private(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_private() || v4.is_loopback(),
        Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback() || (v6.segments()[0] & 0xff00) == 0xfd00,
        Err(_) => false,
    }
}

/// D05: ≥30 lockouts touching ≥25 users in 30 minutes.
fn lockout_surge(failures: &[&HuntSignIn], config: &Config, out: &mut Vec<Finding>) {
    let locked: Vec<&HuntSignIn> = failures
        .iter()
        .copied()
        .filter(|s| {
            s.error_code == 50053 && s.single_factor && !s.ip.as_deref().is_some_and(private)
        })
        .collect();
    let times: Vec<Timestamp> = locked.iter().map(|s| s.at).collect();
    let window = Config::minutes(config.lockout_window_minutes);
    for (a, b) in clusters(&times, window, config.lockout_min_events) {
        let list = &locked[a..=b];
        let users: HashSet<&str> = list.iter().map(|s| &*s.user).collect();
        if users.len() < config.lockout_min_users {
            continue;
        }
        let duration = list[list.len() - 1].at.0 - list[0].at.0;
        let summary = format!(
            "{} smart-lockout events across {} users in {}: an attack is driving accounts into lockout.",
            list.len(),
            users.len(),
            span(duration)
        );
        out.push(
            finding_from(FindingKind::LockoutSurge, Severity::High, summary, list).observed(
                format!(
                    "{} lockouts, {} users (thresholds {} and {} in {} min)",
                    list.len(),
                    users.len(),
                    config.lockout_min_events,
                    config.lockout_min_users,
                    config.lockout_window_minutes
                ),
            ),
        );
    }
}

/// D03 across the tenant: ≥10 primary failures for one user in 30 minutes.
fn brute_force(failures: &[&HuntSignIn], config: &Config, out: &mut Vec<Finding>) {
    let mut by_user: HashMap<&str, Vec<&HuntSignIn>> = HashMap::new();
    for s in failures {
        if signals::is_primary_failure(i64::from(s.error_code)) {
            by_user.entry(&s.user).or_default().push(s);
        }
    }
    let window = Config::minutes(config.brute_force_window_minutes);
    let mut users: Vec<&&str> = by_user.keys().collect();
    users.sort();
    for user in users {
        let list = &by_user[*user];
        if list.len() < config.brute_force_min_failures {
            continue;
        }
        let times: Vec<Timestamp> = list.iter().map(|s| s.at).collect();
        for (a, b) in clusters(&times, window, config.brute_force_min_failures) {
            let burst = &list[a..=b];
            let locked = burst.iter().filter(|s| s.error_code == 50053).count();
            let tool = burst.iter().any(|s| {
                s.user_agent
                    .as_deref()
                    .and_then(signals::attack_tool)
                    .is_some()
            });
            let severity = if tool && locked > 0 {
                Severity::High
            } else {
                Severity::Medium
            };
            let ips: BTreeSet<&str> = burst.iter().filter_map(|s| s.ip.as_deref()).collect();
            let summary = format!(
                "{} failed sign-ins for {user} ({locked} locked out) in {} from {}.",
                burst.len(),
                span(burst[burst.len() - 1].at.0 - burst[0].at.0),
                ips.into_iter().collect::<Vec<_>>().join(", ")
            );
            out.push(finding_from(
                FindingKind::BruteForce,
                severity,
                summary,
                burst,
            ));
        }
    }
}
