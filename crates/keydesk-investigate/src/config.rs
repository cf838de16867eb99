//! Every threshold and list the detections use, in one [`Config`], with the defaults taken from
//! the reference catalogue (`shared/reference/investigation.md`; the source rule is named next to
//! each value), plus the configurable IP lists (anonymizers, hosting, trusted corporate egress).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::model::Timestamp;

/// Detection thresholds and lists. [`Config::standard`] gives the catalogue's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Days of history before the window that form the user's baseline (30, reference §6).
    pub baseline_days: u32,
    /// Fewer successful baseline sign-ins than this = learning mode: novelty detections
    /// (new country, new device, unfamiliar network) stay quiet (Identity Protection learns
    /// for ≥5 days / 10 sign-ins).
    pub min_baseline_sign_ins: usize,

    /// D01: distinct users failing from one IP in one bin (Sentinel: 5).
    pub spray_min_users: usize,
    /// D01: bin length (Sentinel: 20 min).
    pub spray_bin_minutes: i64,
    /// D01 failure codes (Sentinel: 50053, 50126, 50055).
    pub spray_codes: Vec<i64>,

    /// D02 bucket (Elastic: 15 min).
    pub distributed_bucket_minutes: i64,
    /// D02 password spraying: users ≥15, events ≥15, 1 error, ≤30 min.
    pub distributed_spray_min_users: usize,
    /// D02 password spraying minimum events.
    pub distributed_spray_min_events: usize,
    /// D02 stuffing: users ≥10.
    pub stuffing_min_users: usize,
    /// D02 stuffing: events ≥30.
    pub stuffing_min_events: usize,
    /// D02 stuffing: IPs ≥5.
    pub stuffing_min_ips: usize,
    /// D02 stuffing: ≤3 distinct errors.
    pub stuffing_max_errors: usize,
    /// D02 stuffing: duration ≤600 s.
    pub stuffing_max_seconds: i64,

    /// D03: failures for one user within the window below (smart lockout locks at 10; D04's
    /// generic rule uses ≥10 in 30 min).
    pub brute_force_min_failures: usize,
    /// D03 window in minutes.
    pub brute_force_window_minutes: i64,

    /// D04: failures before a success (Sentinel: ≥10).
    pub success_after_failures_min: usize,
    /// D04: failures counted within this many minutes (30).
    pub success_after_failures_window_minutes: i64,
    /// D04: success must follow within this many minutes (60).
    pub success_after_failures_follow_minutes: i64,

    /// D05: lockout events (Elastic: ≥30).
    pub lockout_min_events: usize,
    /// D05: distinct users (Elastic: ≥25).
    pub lockout_min_users: usize,
    /// D05: window (Elastic: 30 min).
    pub lockout_window_minutes: i64,

    /// D07: MFA push failures for Medium (≥5).
    pub mfa_fatigue_min: usize,
    /// D07: for High (≥10).
    pub mfa_fatigue_high: usize,
    /// D07: sliding window (15 min).
    pub mfa_fatigue_window_minutes: i64,
    /// D07: denials before a same-IP success that makes it Critical (≥3).
    pub mfa_fatigue_min_before_success: usize,
    /// D07: the success must follow within (30 min).
    pub mfa_fatigue_success_minutes: i64,

    /// D09: interrupts from an unfamiliar network for High (≥3).
    pub mfa_blocked_high: usize,

    /// D11: minimum distance (Elastic: 500 km).
    pub travel_min_km: f64,
    /// D11: minimum implied speed (Elastic: 800 km/h).
    pub travel_min_kmh: f64,
    /// D11: floor for Δt when computing speed (5 min).
    pub travel_min_minutes: f64,

    /// D19 / D16: lookback for "first time" (7 days).
    pub first_seen_days: u32,
    /// D26: how long after a flagged sign-in a new method or grant counts as persistence (24 h).
    pub persistence_hours: i64,
    /// D18: session seen from two networks within (60 min).
    pub session_split_minutes: i64,
    /// §2.2: an app introduced fewer than this many days before the consent is "new" (7).
    pub new_app_days: i64,
    /// §2.2: grant score needed for a suspicious app (6).
    pub grant_min_score: u32,

    /// Anonymizer networks (Tor exits, anonymous VPNs): sign-ins from them are `anonymous_ip`.
    pub anonymizer_networks: IpList,
    /// Hosting / VPS networks (same treatment).
    pub hosting_networks: IpList,
    /// Hosting / VPS autonomous systems (when the sign-in carries its ASN).
    pub hosting_asns: Vec<u32>,
    /// Corporate egress and VPN ranges: never impossible travel or unfamiliar.
    pub trusted_networks: IpList,
    /// Identity Protection risk event types that mean anonymizer or malicious infrastructure.
    pub anonymizer_risk_events: Vec<String>,
    /// Whether the plan disables a malicious app's service principal (tenant-wide; Microsoft
    /// recommends disabling over deleting).
    pub disable_malicious_apps: bool,
    /// Lifetime of the recovery Temporary Access Pass in minutes (Graph allows 10–43,200).
    pub tap_lifetime_minutes: u32,
}

impl Config {
    /// The catalogue's defaults.
    pub fn standard() -> Self {
        Config {
            baseline_days: 30,
            min_baseline_sign_ins: 5,
            spray_min_users: 5,
            spray_bin_minutes: 20,
            spray_codes: vec![50053, 50126, 50055],
            distributed_bucket_minutes: 15,
            distributed_spray_min_users: 15,
            distributed_spray_min_events: 15,
            stuffing_min_users: 10,
            stuffing_min_events: 30,
            stuffing_min_ips: 5,
            stuffing_max_errors: 3,
            stuffing_max_seconds: 600,
            brute_force_min_failures: 10,
            brute_force_window_minutes: 30,
            success_after_failures_min: 10,
            success_after_failures_window_minutes: 30,
            success_after_failures_follow_minutes: 60,
            lockout_min_events: 30,
            lockout_min_users: 25,
            lockout_window_minutes: 30,
            mfa_fatigue_min: 5,
            mfa_fatigue_high: 10,
            mfa_fatigue_window_minutes: 15,
            mfa_fatigue_min_before_success: 3,
            mfa_fatigue_success_minutes: 30,
            mfa_blocked_high: 3,
            travel_min_km: 500.0,
            travel_min_kmh: 800.0,
            travel_min_minutes: 5.0,
            first_seen_days: 7,
            persistence_hours: 24,
            session_split_minutes: 60,
            new_app_days: 7,
            grant_min_score: 6,
            anonymizer_networks: IpList::default(),
            hosting_networks: IpList::default(),
            // DigitalOcean, M247, Amazon (AES, AWS), Hetzner, OVH, Vultr/Choopa, Linode,
            // Google Cloud, Alibaba, Datacamp, CDN77, Clouvider, FlokiNET, Frantech.
            hosting_asns: vec![
                14061, 9009, 14618, 16509, 24940, 16276, 20473, 63949, 396982, 45102, 212238,
                60068, 62240, 200651, 53667,
            ],
            trusted_networks: IpList::default(),
            anonymizer_risk_events: [
                "anonymizedIPAddress",
                "riskyIPAddress",
                "maliciousIPAddress",
                "suspiciousIPAddress",
                "nationStateIP",
                "malwareInfectedIPAddress",
            ]
            .map(str::to_owned)
            .to_vec(),
            disable_malicious_apps: true,
            tap_lifetime_minutes: 60,
        }
    }

    /// Milliseconds of `minutes`.
    pub(crate) fn minutes(minutes: i64) -> i64 {
        minutes * Timestamp::MINUTE
    }
}

/// An IP network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`, or a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    address: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `a.b.c.d/n`, `x::y/n` or a bare address; `None` when malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { address, prefix })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

impl Serialize for IpNet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IpNet::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a CIDR: {text}")))
    }
}

/// A list of networks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IpList(pub Vec<IpNet>);

impl IpList {
    /// Parses each entry; malformed ones are returned as errors.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        entries
            .into_iter()
            .map(|e| IpNet::parse(e).ok_or_else(|| format!("not an IP network: {e:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(IpList)
    }

    /// Whether the address text is inside any network (malformed text never is).
    pub fn contains_text(&self, ip: &str) -> bool {
        if self.0.is_empty() {
            return false;
        }
        ip.parse::<IpAddr>()
            .is_ok_and(|ip| self.0.iter().any(|net| net.contains(ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let list = IpList::parse(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]).unwrap();
        assert!(list.contains_text("203.0.113.200"));
        assert!(!list.contains_text("203.0.114.1"));
        assert!(list.contains_text("2001:db8:1::5"));
        assert!(list.contains_text("198.51.100.7"));
        assert!(!list.contains_text("198.51.100.8"));
        assert!(!list.contains_text("not an ip"));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
    }
}
