//! The seeded synthetic sign-in generator: Graph-shaped sign-ins for N users (ordinary
//! behaviour over `days`), injected attacks of every kind, benign look-alikes, and ground-truth
//! labels to measure detections against.
//!
//! Each user has a home city, an office egress shared by colleagues, a laptop, a phone and a
//! mobile network. Every day brings interactive sign-ins (fresh MFA or a token claim) and phone
//! token refreshes, and now and then a typo. The first users of the population receive one
//! scenario each (attacks, then look-alikes: real travel, nearby VPN exit, typos, password
//! expiry, a new phone in the usual place, a stale saved password, a mis-tapped MFA prompt);
//! tenant-wide campaigns (per-IP and distributed spray, stuffing, a lockout surge, and a benign
//! mass password expiry at an office) touch the next users. The same config gives the same
//! output, byte for byte. Attack scenarios need evidence beyond sign-ins (a method registration,
//! a grant), which [`Synthetic::extras`] carries.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{Config, IpList};
use crate::detect::FindingKind;
use crate::model::{
    AuthMethod, AuthStep, DeviceDetail, DirectoryAudit, Evidence, GeoCoordinates, Grant,
    GrantEvidence, KeyValue, Location, ServicePrincipal, SignIn, Status, Text, Timestamp, UserInfo,
    Window,
};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Users in the population.
    pub users: usize,
    /// Days of history before `now`.
    pub days: u32,
    /// The end of the generated period.
    pub now: Timestamp,
    /// Inject attacks, look-alikes and campaigns (needs at least 200 users).
    pub inject: bool,
    /// Number of the first user (to generate a large population in batches).
    pub first_user: usize,
}

impl SynthConfig {
    /// `users` users, 14 days ending 2025-06-02T12:00Z, injections on.
    pub fn new(seed: u64, users: usize) -> Self {
        SynthConfig {
            seed,
            users,
            days: 14,
            now: Timestamp(1_748_865_600_000),
            inject: users >= 200,
            first_user: 0,
        }
    }

    /// The window the labels refer to: the last three days.
    pub fn window(&self) -> Window {
        Window::last_days(self.now, 3)
    }
}

/// The detection config matching the generated world (its anonymizer range listed).
pub fn synth_detection_config() -> Config {
    let mut config = Config::standard();
    config.anonymizer_networks = IpList::parse(["185.220.101.0/24"]).unwrap_or_default();
    config
}

/// Ground truth for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLabel {
    /// The scenario name (`plain` for ordinary users).
    pub scenario: String,
    /// Finding kinds that must be reported (recall).
    pub expected: BTreeSet<FindingKind>,
    /// Kinds the scenario genuinely exhibits as side effects (not false positives).
    pub allowed: BTreeSet<FindingKind>,
    /// Benign: must never be `compromised`.
    pub benign: bool,
}

/// Ground truth for a tenant-wide campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntLabel {
    /// The scenario.
    pub scenario: String,
    /// The kind hunting must report (`None` for a benign campaign nothing may match).
    pub kind: Option<FindingKind>,
    /// The single source address, when there is one.
    pub ip: Option<String>,
    /// The users touched.
    pub users: BTreeSet<String>,
}

/// Extra evidence of a scenario (audits, methods, grants).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extras {
    /// Directory audits.
    pub audits: Vec<DirectoryAudit>,
    /// Authentication methods.
    pub methods: Vec<AuthMethod>,
    /// Grants with their apps.
    pub grants: Vec<GrantEvidence>,
}

/// The generated world.
#[derive(Debug, Clone, Default)]
pub struct Synthetic {
    /// All sign-ins (grouped by user, not time-sorted).
    pub sign_ins: Vec<SignIn>,
    /// Labels of users with a scenario; everyone else is plain and benign.
    pub labels: BTreeMap<String, UserLabel>,
    /// Campaign labels.
    pub hunts: Vec<HuntLabel>,
    /// Extra evidence per user.
    pub extras: BTreeMap<String, Extras>,
    /// Every user's UPN.
    pub users: Vec<String>,
}

impl Synthetic {
    /// The label of a user (plain and benign when none).
    pub fn label(&self, upn: &str) -> UserLabel {
        self.labels.get(upn).cloned().unwrap_or_else(|| UserLabel {
            scenario: "plain".to_owned(),
            benign: true,
            ..UserLabel::default()
        })
    }

    /// Sign-in indexes grouped by user.
    pub fn by_user(&self) -> BTreeMap<String, Vec<usize>> {
        let mut map: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, s) in self.sign_ins.iter().enumerate() {
            map.entry(s.user_principal_name.to_string())
                .or_default()
                .push(i);
        }
        map
    }

    /// One user's evidence (sign-ins from `indexes`, plus extras).
    pub fn evidence(&self, upn: &str, indexes: &[usize]) -> Evidence {
        let extras = self.extras.get(upn).cloned().unwrap_or_default();
        Evidence {
            user: UserInfo {
                id: format!("id-{upn}"),
                user_principal_name: upn.to_owned(),
                ..UserInfo::default()
            },
            sign_ins: indexes
                .iter()
                .filter_map(|&i| self.sign_ins.get(i).cloned())
                .collect(),
            auth_methods: extras.methods,
            directory_audits: extras.audits,
            grants: extras.grants,
            ..Evidence::default()
        }
    }
}

/// Writes sign-ins as a Graph page (`{"value":[...]}`).
pub fn write_export<W: Write>(sign_ins: &[SignIn], mut out: W) -> std::io::Result<()> {
    out.write_all(b"{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns\",\"value\":[")?;
    for (i, s) in sign_ins.iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, s)?;
    }
    out.write_all(b"]}\n")?;
    out.flush()
}

/// A deterministic random stream (SplitMix64).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    fn guid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// A place with a network.
#[derive(Debug, Clone, Copy)]
struct Place {
    city: &'static str,
    country: &'static str,
    lat: f64,
    lon: f64,
    asn: u32,
    prefix: &'static str,
}

const fn place(
    city: &'static str,
    country: &'static str,
    lat: f64,
    lon: f64,
    asn: u32,
    prefix: &'static str,
) -> Place {
    Place {
        city,
        country,
        lat,
        lon,
        asn,
        prefix,
    }
}

/// Home cities, each with a nearby foreign city (new country, no travel) and a nearby VPN exit.
const CITIES: &[(Place, Place, Place)] = &[
    (
        place("Munich", "DE", 48.137, 11.575, 3320, "91.12"),
        place("Salzburg", "AT", 47.809, 13.055, 8447, "62.46"),
        place("Frankfurt", "DE", 50.110, 8.682, 3209, "176.94"),
    ),
    (
        place("Redmond", "US", 47.674, -122.121, 7922, "73.97"),
        place("Vancouver", "CA", 49.283, -123.121, 852, "75.157"),
        place("Portland", "US", 45.515, -122.679, 20055, "104.219"),
    ),
    (
        place("London", "GB", 51.507, -0.128, 2856, "81.140"),
        place("Dublin", "IE", 53.350, -6.260, 5466, "86.40"),
        place("Manchester", "GB", 53.481, -2.242, 5089, "82.10"),
    ),
    (
        place("Paris", "FR", 48.857, 2.352, 3215, "90.84"),
        place("Brussels", "BE", 50.850, 4.352, 5432, "81.82"),
        place("Lyon", "FR", 45.764, 4.836, 12322, "88.160"),
    ),
    (
        place("Madrid", "ES", 40.417, -3.704, 3352, "83.44"),
        place("Porto", "PT", 41.158, -8.629, 3243, "89.152"),
        place("Valencia", "ES", 39.470, -0.376, 12479, "95.16"),
    ),
    (
        place("Toronto", "CA", 43.653, -79.383, 577, "142.112"),
        place("Buffalo", "US", 42.886, -78.878, 11351, "74.77"),
        place("Ottawa", "CA", 45.421, -75.697, 812, "99.224"),
    ),
];

const SINGAPORE_VPS: Place = place("Singapore", "SG", 1.352, 103.820, 14061, "128.199");
const LAGOS: Place = place("Lagos", "NG", 6.524, 3.379, 37148, "105.112");
const SAO_PAULO: Place = place("Sao Paulo", "BR", -23.550, -46.633, 28573, "177.34");
const BUCHAREST_VPS: Place = place("Bucharest", "RO", 44.426, 26.102, 9009, "185.156");
const ASHBURN_CLOUD: Place = place("Ashburn", "US", 39.044, -77.487, 14618, "3.236");
const TOR_EXIT: Place = place("Frankfurt", "DE", 50.110, 8.682, 60729, "185.220");
const NEW_YORK: Place = place("New York", "US", 40.713, -74.006, 701, "108.41");

const TEAMS: (&str, &str) = ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams");
const EXCHANGE: (&str, &str) = (
    "00000002-0000-0ff1-ce00-000000000000",
    "Office 365 Exchange Online",
);
const OFFICE_HOME: (&str, &str) = ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome");
const SHAREPOINT: (&str, &str) = (
    "00000003-0000-0ff1-ce00-000000000000",
    "Office 365 SharePoint Online",
);
const APPS: [(&str, &str); 4] = [OFFICE_HOME, EXCHANGE, TEAMS, SHAREPOINT];

#[derive(Debug, Clone)]
struct Device {
    id: Option<String>,
    name: Option<String>,
    os: &'static str,
    browser: &'static str,
    agent: &'static str,
    client: &'static str,
    managed: bool,
}

const EDGE_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80";
const IOS_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TeamsMobile-iOS";
const FIREFOX_LINUX_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

fn laptop(rng: &mut Rng, n: usize) -> Device {
    Device {
        id: Some(rng.guid()),
        name: Some(format!("CONTOSO-LT-{n:05}")),
        os: "Windows10",
        browser: "Edge 124.0.2478",
        agent: EDGE_UA,
        client: "Browser",
        managed: true,
    }
}

fn phone(rng: &mut Rng) -> Device {
    Device {
        id: Some(rng.guid()),
        name: Some("iPhone 15".to_owned()),
        os: "Ios",
        browser: "Mobile Safari",
        agent: IOS_UA,
        client: "Mobile Apps and Desktop clients",
        managed: true,
    }
}

fn attacker_browser() -> Device {
    Device {
        id: None,
        name: None,
        os: "Linux",
        browser: "Firefox 125.0",
        agent: FIREFOX_LINUX_UA,
        client: "Browser",
        managed: false,
    }
}

/// One person's fixed habits.
#[derive(Debug, Clone)]
struct Person {
    upn: String,
    user_id: String,
    home: Place,
    home_ip: String,
    office: Place,
    office_ip: String,
    mobile_ip: String,
    laptop: Device,
    phone: Device,
    abroad: Place,
    vpn: Place,
}

/// How a generated sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Fresh MFA (push).
    Mfa,
    /// Token claim satisfied MFA.
    Token,
    /// Single-factor success (legacy, ROPC).
    SingleFactor,
    /// An error code with details.
    Fail(i64),
    /// 500121 with this detail.
    MfaDenied(&'static str),
}

struct Attempt<'a> {
    at: Timestamp,
    place: Place,
    ip: &'a str,
    device: &'a Device,
    app: (&'static str, &'static str),
    interactive: bool,
    end: End,
    session: Option<&'a str>,
    protocol: &'static str,
    client: Option<&'static str>,
    agent: Option<&'static str>,
    risk: Option<(&'static str, &'static [&'static str])>,
}

impl<'a> Attempt<'a> {
    fn new(at: Timestamp, place: Place, ip: &'a str, device: &'a Device, end: End) -> Self {
        Attempt {
            at,
            place,
            ip,
            device,
            app: OFFICE_HOME,
            interactive: true,
            end,
            session: None,
            protocol: "none",
            client: None,
            agent: None,
            risk: None,
        }
    }
}

fn text(s: &str) -> Option<Text> {
    Some(Arc::from(s))
}

fn ip_in(rng: &mut Rng, place: &Place) -> String {
    format!(
        "{}.{}.{}",
        place.prefix,
        rng.range(1, 254),
        rng.range(1, 254)
    )
}

fn step(method: &str, ok: bool, detail: &str, requirement: &str) -> AuthStep {
    AuthStep {
        authentication_method: text(method),
        succeeded: Some(ok),
        authentication_step_result_detail: text(detail),
        authentication_step_requirement: text(requirement),
    }
}

fn sign_in(rng: &mut Rng, who: &Person, a: &Attempt<'_>) -> SignIn {
    const FIRST: &str = "Primary authentication";
    const MFA: &str = "Multi-factor authentication";
    let (code, reason, details, steps, requirement): (
        i64,
        Option<&str>,
        Option<&str>,
        Vec<AuthStep>,
        &str,
    ) = match a.end {
        End::Mfa => (
            0,
            None,
            Some("MFA completed in Azure AD"),
            vec![
                step("Password", true, "Correct password", FIRST),
                step(
                    "Mobile app notification",
                    true,
                    "MFA successfully completed",
                    MFA,
                ),
            ],
            "multiFactorAuthentication",
        ),
        End::Token => (
            0,
            None,
            Some("MFA requirement satisfied by claim in the token"),
            vec![step(
                "Previously satisfied",
                true,
                "MFA requirement satisfied by claim in the token",
                MFA,
            )],
            "multiFactorAuthentication",
        ),
        End::SingleFactor => (
            0,
            None,
            None,
            vec![step("Password", true, "Correct password", FIRST)],
            "singleFactorAuthentication",
        ),
        End::Fail(code) => {
            let (reason, detail, validated) = match code {
                50126 => (
                    "Error validating credentials due to invalid username or password.",
                    "Invalid username or password",
                    false,
                ),
                50053 => (
                    "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
                    "Account is locked",
                    false,
                ),
                50055 => (
                    "Invalid password, entered expired password.",
                    "Password expired",
                    false,
                ),
                50034 => (
                    "The user account does not exist in the directory.",
                    "User not found",
                    false,
                ),
                50074 => (
                    "Strong Authentication is required.",
                    "MFA required in Azure AD",
                    true,
                ),
                _ => ("Sign-in failed.", "Failed", false),
            };
            let mut steps = vec![step(
                "Password",
                validated,
                if validated {
                    "Correct password"
                } else {
                    detail
                },
                FIRST,
            )];
            if validated {
                steps.push(step("Mobile app notification", false, detail, MFA));
            }
            (
                code,
                Some(reason),
                Some(detail),
                steps,
                if validated {
                    "multiFactorAuthentication"
                } else {
                    "singleFactorAuthentication"
                },
            )
        }
        End::MfaDenied(detail) => (
            500121,
            Some("Authentication failed during strong authentication request."),
            Some(detail),
            vec![
                step("Password", true, "Correct password", FIRST),
                step("Mobile app notification", false, detail, MFA),
            ],
            "multiFactorAuthentication",
        ),
    };
    let (level, events) = a.risk.unwrap_or(("none", &[]));
    let token_bytes = rng.next();
    SignIn {
        id: Arc::from(rng.guid()),
        created_date_time: a.at,
        user_principal_name: Arc::from(who.upn.as_str()),
        user_id: text(&who.user_id),
        app_display_name: text(a.app.1),
        app_id: text(a.app.0),
        client_app_used: text(a.client.unwrap_or(a.device.client)),
        ip_address: text(a.ip),
        autonomous_system_number: Some(a.place.asn),
        location: Location {
            city: text(a.place.city),
            state: None,
            country_or_region: text(a.place.country),
            geo_coordinates: Some(GeoCoordinates {
                latitude: Some(a.place.lat),
                longitude: Some(a.place.lon),
            }),
        },
        status: Status {
            error_code: Some(code),
            failure_reason: reason.and_then(text),
            additional_details: details.and_then(text),
        },
        device_detail: DeviceDetail {
            device_id: a.device.id.as_deref().and_then(text),
            display_name: a.device.name.as_deref().and_then(text),
            operating_system: text(a.device.os),
            browser: text(a.device.browser),
            is_compliant: Some(a.device.managed),
            is_managed: Some(a.device.managed),
            trust_type: a.device.managed.then(|| Arc::from("Azure AD joined")),
        },
        user_agent: text(a.agent.unwrap_or(a.device.agent)),
        risk_level_during_sign_in: text(level),
        risk_level_aggregated: text(level),
        risk_state: text(if level == "none" { "none" } else { "atRisk" }),
        risk_event_types_v2: events.iter().map(|e| Arc::from(*e)).collect(),
        authentication_requirement: text(requirement),
        authentication_details: steps,
        conditional_access_status: text(if code == 0 { "success" } else { "notApplied" }),
        is_interactive: Some(a.interactive),
        authentication_protocol: text(a.protocol),
        original_transfer_method: text(if a.protocol == "deviceCode" {
            "deviceCodeFlow"
        } else {
            "none"
        }),
        incoming_token_type: text(if a.interactive {
            "none"
        } else {
            "refreshToken"
        }),
        session_id: Some(Arc::from(
            a.session.map_or_else(|| rng.guid(), str::to_owned),
        )),
        correlation_id: Some(Arc::from(rng.guid())),
        unique_token_identifier: Some(Arc::from(format!("{token_bytes:016x}"))),
        sign_in_event_types: vec![Arc::from(if a.interactive {
            "interactiveUser"
        } else {
            "nonInteractiveUser"
        })],
    }
}

/// Generates the world.
pub fn generate(config: &SynthConfig) -> Synthetic {
    let mut rng = Rng(config.seed ^ 0x6b65_7964_6573_6b21);
    let mut world = Synthetic::default();
    // Office egress pools, shared by colleagues.
    let pools: Vec<Vec<String>> = CITIES
        .iter()
        .map(|(home, _, _)| (0..4).map(|_| ip_in(&mut rng, home)).collect())
        .collect();
    let people: Vec<Person> = (0..config.users)
        .map(|i| {
            let c = i % CITIES.len();
            let (home, abroad, vpn) = CITIES[c];
            Person {
                upn: format!("user{:07}@contoso.example", config.first_user + i),
                user_id: rng.guid(),
                home,
                home_ip: ip_in(&mut rng, &home),
                office: home,
                office_ip: pools[c][rng.below(4) as usize].clone(),
                mobile_ip: ip_in(
                    &mut rng,
                    &place(
                        home.city,
                        home.country,
                        home.lat,
                        home.lon,
                        home.asn + 1,
                        "176.6",
                    ),
                ),
                laptop: laptop(&mut rng, i),
                phone: phone(&mut rng),
                abroad,
                vpn,
            }
        })
        .collect();
    let from = config.now.plus(-i64::from(config.days) * Timestamp::DAY);
    let day_start = from.0 - from.0.rem_euclid(Timestamp::DAY);
    for (i, who) in people.iter().enumerate() {
        world.users.push(who.upn.clone());
        let scenario = if config.inject {
            SCENARIOS.get(i).copied()
        } else {
            None
        };
        let trip = scenario == Some(Scenario::Travel);
        let mut own = Vec::new();
        ordinary(&mut rng, who, day_start, config, trip, &mut own);
        if let Some(scenario) = scenario {
            let label = inject(&mut rng, who, scenario, config, &mut own, &mut world.extras);
            world.labels.insert(who.upn.clone(), label);
        }
        world.sign_ins.extend(own);
    }
    if config.inject {
        campaigns(&mut rng, &people, &pools, config, &mut world);
    }
    world
}

/// Ordinary behaviour.
fn ordinary(
    rng: &mut Rng,
    who: &Person,
    day_start: i64,
    config: &SynthConfig,
    trip: bool,
    out: &mut Vec<SignIn>,
) {
    let mobile = place(
        who.home.city,
        who.home.country,
        who.home.lat,
        who.home.lon,
        who.home.asn + 1,
        "176.6",
    );
    let trip_out = config.now.plus(-2 * Timestamp::DAY - 20 * Timestamp::HOUR);
    let trip_arrive = trip_out.plus(14 * Timestamp::HOUR);
    let mut day = day_start;
    while day < config.now.0 {
        let weekday = (day / Timestamp::DAY + 4).rem_euclid(7); // 0 = Sunday
        let workday = (1..=5).contains(&weekday);
        let interactive = if workday {
            rng.range(1, 3)
        } else {
            i64::from(rng.chance(0.1))
        };
        for k in 0..interactive {
            let at = Timestamp(day + rng.range(7 * 3600, 18 * 3600) * 1000);
            if at >= config.now {
                continue;
            }
            if trip && at >= trip_out && at < trip_arrive {
                continue;
            }
            let abroad = trip && at >= trip_arrive;
            let (p, ip) = if abroad {
                (NEW_YORK, ip_in(rng, &NEW_YORK))
            } else if rng.chance(0.35) || !workday {
                (who.home, who.home_ip.clone())
            } else {
                (who.office, who.office_ip.clone())
            };
            let end = if k == 0 && rng.chance(0.6) {
                End::Mfa
            } else {
                End::Token
            };
            let app = APPS[rng.below(4) as usize];
            if rng.chance(0.03) {
                let typo_at = at.plus(-rng.range(20, 90) * 1000);
                let mut typo = Attempt::new(typo_at, p, &ip, &who.laptop, End::Fail(50126));
                typo.app = app;
                out.push(sign_in(rng, who, &typo));
            }
            let mut a = Attempt::new(at, p, &ip, &who.laptop, end);
            a.app = app;
            out.push(sign_in(rng, who, &a));
        }
        let refreshes = if workday {
            rng.range(1, 4)
        } else {
            rng.range(0, 2)
        };
        for _ in 0..refreshes {
            let at = Timestamp(day + rng.range(6 * 3600, 22 * 3600) * 1000);
            if at >= config.now || (trip && at >= trip_out && at < trip_arrive) {
                continue;
            }
            let abroad = trip && at >= trip_arrive;
            let (p, ip) = if abroad {
                (NEW_YORK, ip_in(rng, &NEW_YORK))
            } else {
                (mobile, who.mobile_ip.clone())
            };
            let mut a = Attempt::new(at, p, &ip, &who.phone, End::Token);
            a.interactive = false;
            a.app = if rng.chance(0.5) { TEAMS } else { EXCHANGE };
            out.push(sign_in(rng, who, &a));
        }
        day += Timestamp::DAY;
    }
}

/// Per-user scenarios, in population order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    BruteForce,
    SuccessAfterFailures,
    MfaFatigue,
    MfaFraud,
    MfaBlocked,
    ImpossibleTravel,
    NewCountry,
    AnonymousIp,
    NewDevice,
    LegacyAuth,
    AttackTool,
    TokenReplay,
    DeviceCode,
    RiskySignin,
    Persistence,
    Travel,
    VpnExit,
    Typos,
    PasswordExpiry,
    NewPhone,
    StalePassword,
    MisTap,
}

const SCENARIOS: &[Scenario] = &[
    Scenario::BruteForce,
    Scenario::SuccessAfterFailures,
    Scenario::MfaFatigue,
    Scenario::MfaFraud,
    Scenario::MfaBlocked,
    Scenario::ImpossibleTravel,
    Scenario::NewCountry,
    Scenario::AnonymousIp,
    Scenario::NewDevice,
    Scenario::LegacyAuth,
    Scenario::AttackTool,
    Scenario::TokenReplay,
    Scenario::DeviceCode,
    Scenario::RiskySignin,
    Scenario::Persistence,
    Scenario::Travel,
    Scenario::VpnExit,
    Scenario::Typos,
    Scenario::PasswordExpiry,
    Scenario::NewPhone,
    Scenario::StalePassword,
    Scenario::MisTap,
];

fn kinds(list: &[FindingKind]) -> BTreeSet<FindingKind> {
    list.iter().copied().collect()
}

/// The time of the user's latest own sign-in before `at`, to place attacks relative to it.
fn last_before(out: &[SignIn], at: Timestamp) -> Option<Timestamp> {
    out.iter()
        .filter(|s| s.created_date_time < at && s.succeeded() && s.is_interactive == Some(true))
        .map(|s| s.created_date_time)
        .max()
}

fn inject(
    rng: &mut Rng,
    who: &Person,
    scenario: Scenario,
    config: &SynthConfig,
    out: &mut Vec<SignIn>,
    extras: &mut BTreeMap<String, Extras>,
) -> UserLabel {
    use FindingKind as K;
    // Attacks happen a day ago, at a random minute.
    let t0 = config
        .now
        .plus(-Timestamp::DAY + rng.range(0, 120) * Timestamp::MINUTE);
    let attacker = attacker_browser();
    let push =
        |rng: &mut Rng, a: &Attempt<'_>, out: &mut Vec<SignIn>| out.push(sign_in(rng, who, a));
    let far = [SINGAPORE_VPS, LAGOS, SAO_PAULO][rng.below(3) as usize];
    let far_ip = ip_in(rng, &far);
    let label = |scenario: &str, expected: &[K], allowed: &[K], benign: bool| UserLabel {
        scenario: scenario.to_owned(),
        expected: kinds(expected),
        allowed: kinds(allowed),
        benign,
    };
    match scenario {
        Scenario::BruteForce => {
            let ip = ip_in(rng, &LAGOS);
            for k in 0..20 {
                let end = if k < 12 {
                    End::Fail(50126)
                } else {
                    End::Fail(50053)
                };
                push(
                    rng,
                    &Attempt::new(t0.plus(k * 25_000), LAGOS, &ip, &attacker, end),
                    out,
                );
            }
            label("brute_force", &[K::BruteForce], &[], false)
        }
        Scenario::SuccessAfterFailures => {
            let ip = ip_in(rng, &SAO_PAULO);
            for k in 0..12 {
                push(
                    rng,
                    &Attempt::new(
                        t0.plus(k * 40_000),
                        SAO_PAULO,
                        &ip,
                        &attacker,
                        End::Fail(50126),
                    ),
                    out,
                );
            }
            push(
                rng,
                &Attempt::new(
                    t0.plus(15 * Timestamp::MINUTE),
                    SAO_PAULO,
                    &ip,
                    &attacker,
                    End::Mfa,
                ),
                out,
            );
            label(
                "success_after_failures",
                &[K::SuccessAfterFailures, K::BruteForce],
                &[K::NewCountry, K::NewDevice, K::ImpossibleTravel],
                false,
            )
        }
        Scenario::MfaFatigue => {
            let session = rng.guid();
            for k in 0..8 {
                let mut a = Attempt::new(
                    t0.plus(k * 70_000),
                    far,
                    &far_ip,
                    &attacker,
                    End::MfaDenied("MFA denied; user declined the authentication"),
                );
                a.session = Some(&session);
                push(rng, &a, out);
            }
            let mut a = Attempt::new(
                t0.plus(12 * Timestamp::MINUTE),
                far,
                &far_ip,
                &attacker,
                End::Mfa,
            );
            a.session = Some(&session);
            push(rng, &a, out);
            label(
                "mfa_fatigue",
                &[K::MfaFatigue],
                &[
                    K::MfaDenied,
                    K::PasswordValidMfaBlocked,
                    K::NewCountry,
                    K::NewDevice,
                    K::ImpossibleTravel,
                    K::AnonymousIp,
                ],
                false,
            )
        }
        Scenario::MfaFraud => {
            push(
                rng,
                &Attempt::new(
                    t0,
                    far,
                    &far_ip,
                    &attacker,
                    End::MfaDenied("MFA denied; Phone App Reported Fraud"),
                ),
                out,
            );
            label(
                "mfa_fraud",
                &[K::MfaDenied],
                &[K::PasswordValidMfaBlocked],
                false,
            )
        }
        Scenario::MfaBlocked => {
            for k in 0..3 {
                push(
                    rng,
                    &Attempt::new(
                        t0.plus(k * 90_000),
                        far,
                        &far_ip,
                        &attacker,
                        End::Fail(50074),
                    ),
                    out,
                );
            }
            label(
                "password_valid_mfa_blocked",
                &[K::PasswordValidMfaBlocked],
                &[],
                false,
            )
        }
        Scenario::ImpossibleTravel => {
            let at = last_before(out, t0).map_or(t0, |t| t.plus(40 * Timestamp::MINUTE));
            push(
                rng,
                &Attempt::new(at, far, &far_ip, &attacker, End::Mfa),
                out,
            );
            label(
                "impossible_travel",
                &[K::ImpossibleTravel],
                &[K::NewCountry, K::NewDevice, K::AnonymousIp],
                false,
            )
        }
        Scenario::NewCountry => {
            let ip = ip_in(rng, &who.abroad);
            let at = last_before(out, t0).map_or(t0, |t| t.plus(3 * Timestamp::HOUR));
            push(
                rng,
                &Attempt::new(at, who.abroad, &ip, &who.laptop, End::Mfa),
                out,
            );
            label("new_country", &[K::NewCountry], &[], false)
        }
        Scenario::AnonymousIp => {
            let ip = format!("185.220.101.{}", rng.range(1, 254));
            let mut a = Attempt::new(t0, TOR_EXIT, &ip, &attacker, End::Mfa);
            a.risk = Some(("medium", &["anonymizedIPAddress"]));
            push(rng, &a, out);
            label(
                "anonymous_ip",
                &[K::AnonymousIp],
                &[
                    K::NewDevice,
                    K::NewCountry,
                    K::ImpossibleTravel,
                    K::RiskySignin,
                    K::TokenReplay,
                ],
                false,
            )
        }
        Scenario::NewDevice => {
            let mut device = laptop(rng, 99_999);
            device.managed = false;
            device.id = Some(rng.guid());
            device.os = "MacOs";
            device.browser = "Chrome 124.0";
            let ip = who.home_ip.clone();
            push(
                rng,
                &Attempt::new(t0, who.home, &ip, &device, End::Mfa),
                out,
            );
            label("new_device", &[K::NewDevice], &[], false)
        }
        Scenario::LegacyAuth => {
            let mut a = Attempt::new(t0, far, &far_ip, &attacker, End::SingleFactor);
            a.client = Some("IMAP4");
            a.app = EXCHANGE;
            push(rng, &a, out);
            label(
                "legacy_auth",
                &[K::LegacyAuth],
                &[K::NewCountry, K::NewDevice, K::ImpossibleTravel],
                false,
            )
        }
        Scenario::AttackTool => {
            let mut a = Attempt::new(t0, far, &far_ip, &attacker, End::Mfa);
            a.agent = Some("python-requests/2.31.0");
            push(rng, &a, out);
            label(
                "attack_tool_user_agent",
                &[K::AttackToolUserAgent],
                &[K::NewCountry, K::NewDevice, K::ImpossibleTravel],
                false,
            )
        }
        Scenario::TokenReplay => {
            let session = rng.guid();
            let ip = who.home_ip.clone();
            let mut own = Attempt::new(t0, who.home, &ip, &who.laptop, End::Mfa);
            own.session = Some(&session);
            push(rng, &own, out);
            let cloud_ip = ip_in(rng, &ASHBURN_CLOUD);
            for k in 0..3 {
                let mut a = Attempt::new(
                    t0.plus((20 + k * 15) * Timestamp::MINUTE),
                    ASHBURN_CLOUD,
                    &cloud_ip,
                    &attacker,
                    End::Token,
                );
                a.session = Some(&session);
                a.interactive = false;
                a.agent = Some(FIREFOX_LINUX_UA);
                push(rng, &a, out);
            }
            label(
                "token_replay",
                &[K::TokenReplay],
                &[K::NewCountry, K::AnonymousIp, K::NewDevice],
                false,
            )
        }
        Scenario::DeviceCode => {
            let mut a = Attempt::new(t0, far, &far_ip, &attacker, End::Mfa);
            a.protocol = "deviceCode";
            push(rng, &a, out);
            label(
                "device_code_phish",
                &[K::DeviceCodePhish],
                &[
                    K::NewCountry,
                    K::NewDevice,
                    K::ImpossibleTravel,
                    K::AnonymousIp,
                ],
                false,
            )
        }
        Scenario::RiskySignin => {
            let ip = who.home_ip.clone();
            let mut a = Attempt::new(t0, who.home, &ip, &who.laptop, End::Mfa);
            a.risk = Some(("high", &["unfamiliarFeatures"]));
            push(rng, &a, out);
            label("risky_signin", &[K::RiskySignin], &[], false)
        }
        Scenario::Persistence => {
            // Fatigue, then a phone method and a consent from the attacker's address.
            let session = rng.guid();
            for k in 0..6 {
                let mut a = Attempt::new(
                    t0.plus(k * 60_000),
                    SINGAPORE_VPS,
                    &far_ip,
                    &attacker,
                    End::MfaDenied("MFA denied; user did not respond to mobile app notification"),
                );
                a.session = Some(&session);
                push(rng, &a, out);
            }
            let ip = ip_in(rng, &SINGAPORE_VPS);
            let mut a = Attempt::new(
                t0.plus(9 * Timestamp::MINUTE),
                SINGAPORE_VPS,
                &ip,
                &attacker,
                End::Mfa,
            );
            a.session = Some(&session);
            push(rng, &a, out);
            let registered = t0.plus(16 * Timestamp::MINUTE);
            let consented = t0.plus(25 * Timestamp::MINUTE);
            let phone_id = "3179e48a-750b-4051-897c-87b9720928f7".to_owned();
            let sp_id = rng.guid();
            let grant_id = format!("grant-{}", rng.guid());
            let e = extras.entry(who.upn.clone()).or_default();
            e.methods.push(AuthMethod {
                id: phone_id,
                odata_type: Some("#microsoft.graph.phoneAuthenticationMethod".to_owned()),
                phone_number: Some("+44 7700900123".to_owned()),
                phone_type: Some("mobile".to_owned()),
                ..AuthMethod::default()
            });
            e.audits.push(audit(
                rng,
                registered,
                "User registered security info",
                "User registered Mobile Phone SMS",
                &who.upn,
                &far_ip,
                None,
            ));
            e.audits.push(audit(
                rng,
                consented,
                "Consent to application",
                "",
                &who.upn,
                &far_ip,
                Some(&sp_id),
            ));
            e.grants.push(GrantEvidence {
                grant: Grant {
                    id: grant_id,
                    client_id: sp_id.clone(),
                    consent_type: Some("Principal".to_owned()),
                    principal_id: Some(who.user_id.clone()),
                    resource_id: "graph-sp".to_owned(),
                    scope: Some("Mail.ReadWrite Mail.Send offline_access User.Read".to_owned()),
                },
                client: Some(ServicePrincipal {
                    id: sp_id,
                    app_id: Some(rng.guid()),
                    display_name: Some("Inbox Sorter Plus".to_owned()),
                    app_owner_organization_id: Some(rng.guid()),
                    reply_urls: vec!["https://inbox-sorter.web.app/cb".to_owned()],
                    created_date_time: Some(consented.plus(-2 * Timestamp::DAY)),
                    ..ServicePrincipal::default()
                }),
                consenting_users: Some(1),
            });
            label(
                "persistence",
                &[K::MfaFatigue, K::NewAuthMethod, K::SuspiciousOauthGrant],
                &[
                    K::MfaDenied,
                    K::PasswordValidMfaBlocked,
                    K::NewCountry,
                    K::NewDevice,
                    K::ImpossibleTravel,
                    K::AnonymousIp,
                ],
                false,
            )
        }
        Scenario::Travel => label("real_travel", &[], &[K::NewCountry], true),
        Scenario::VpnExit => {
            for k in 0..3 {
                let at = last_before(out, t0.plus(-k * Timestamp::DAY))
                    .map_or(t0, |t| t.plus(2 * Timestamp::HOUR));
                let ip = ip_in(rng, &who.vpn);
                push(
                    rng,
                    &Attempt::new(at, who.vpn, &ip, &who.laptop, End::Mfa),
                    out,
                );
            }
            label("vpn_exit", &[], &[], true)
        }
        Scenario::Typos => {
            let ip = who.home_ip.clone();
            push(
                rng,
                &Attempt::new(t0, who.home, &ip, &who.laptop, End::Fail(50126)),
                out,
            );
            push(
                rng,
                &Attempt::new(
                    t0.plus(40_000),
                    who.home,
                    &ip,
                    &who.laptop,
                    End::Fail(50126),
                ),
                out,
            );
            push(
                rng,
                &Attempt::new(t0.plus(90_000), who.home, &ip, &who.laptop, End::Mfa),
                out,
            );
            label("typos", &[], &[], true)
        }
        Scenario::PasswordExpiry => {
            let ip = who.office_ip.clone();
            for k in 0..3 {
                push(
                    rng,
                    &Attempt::new(
                        t0.plus(k * 60_000),
                        who.office,
                        &ip,
                        &who.laptop,
                        End::Fail(50055),
                    ),
                    out,
                );
            }
            push(
                rng,
                &Attempt::new(
                    t0.plus(10 * Timestamp::MINUTE),
                    who.office,
                    &ip,
                    &who.laptop,
                    End::Mfa,
                ),
                out,
            );
            label("password_expiry", &[], &[], true)
        }
        Scenario::NewPhone => {
            let new_phone = phone(rng);
            let ip = who.mobile_ip.clone();
            let mobile = place(
                who.home.city,
                who.home.country,
                who.home.lat,
                who.home.lon,
                who.home.asn + 1,
                "176.6",
            );
            push(
                rng,
                &Attempt::new(t0, mobile, &ip, &new_phone, End::Mfa),
                out,
            );
            let method_id = rng.guid();
            let e = extras.entry(who.upn.clone()).or_default();
            e.methods.push(AuthMethod {
                id: method_id,
                odata_type: Some(
                    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod".to_owned(),
                ),
                created_date_time: Some(t0.plus(-5 * Timestamp::MINUTE)),
                display_name: Some("iPhone 15".to_owned()),
                ..AuthMethod::default()
            });
            e.audits.push(audit(
                rng,
                t0.plus(-5 * Timestamp::MINUTE),
                "User registered security info",
                "User registered Authenticator App with Notification and Code",
                &who.upn,
                &who.home_ip,
                None,
            ));
            label("new_phone", &[], &[K::NewDevice, K::NewAuthMethod], true)
        }
        Scenario::StalePassword => {
            let ip = who.mobile_ip.clone();
            let mobile = place(
                who.home.city,
                who.home.country,
                who.home.lat,
                who.home.lon,
                who.home.asn + 1,
                "176.6",
            );
            for k in 0..18 {
                let mut a = Attempt::new(
                    t0.plus(k * 10 * Timestamp::MINUTE),
                    mobile,
                    &ip,
                    &who.phone,
                    End::Fail(50126),
                );
                a.client = Some("Exchange ActiveSync");
                a.interactive = false;
                push(rng, &a, out);
            }
            label("stale_password", &[], &[K::BruteForce, K::LegacyAuth], true)
        }
        Scenario::MisTap => {
            let ip = who.home_ip.clone();
            push(
                rng,
                &Attempt::new(
                    t0,
                    who.home,
                    &ip,
                    &who.laptop,
                    End::MfaDenied("MFA denied; user declined the authentication"),
                ),
                out,
            );
            push(
                rng,
                &Attempt::new(t0.plus(60_000), who.home, &ip, &who.laptop, End::Mfa),
                out,
            );
            label("mis_tap", &[], &[K::MfaDenied], true)
        }
    }
}

fn audit(
    rng: &mut Rng,
    at: Timestamp,
    activity: &str,
    reason: &str,
    upn: &str,
    ip: &str,
    target: Option<&str>,
) -> DirectoryAudit {
    DirectoryAudit {
        id: format!("Directory_{}", rng.guid()),
        activity_display_name: Some(activity.to_owned()),
        activity_date_time: Some(at),
        result: Some("success".to_owned()),
        result_reason: Some(reason.to_owned()),
        logged_by_service: Some("Core Directory".to_owned()),
        initiated_by: Some(
            serde_json::json!({"user": {"userPrincipalName": upn, "ipAddress": ip}}),
        ),
        target_resources: target
            .map(|id| vec![serde_json::json!({"id": id, "type": "ServicePrincipal"})])
            .unwrap_or_default(),
        additional_details: vec![KeyValue {
            key: Some("User-Agent".to_owned()),
            value: Some(FIREFOX_LINUX_UA.to_owned()),
        }],
    }
}

/// Tenant-wide campaigns against users after the scenario users.
fn campaigns(
    rng: &mut Rng,
    people: &[Person],
    pools: &[Vec<String>],
    config: &SynthConfig,
    world: &mut Synthetic,
) {
    let hour = config.now.0 - config.now.0.rem_euclid(Timestamp::HOUR) - 30 * Timestamp::HOUR;
    let base = SCENARIOS.len();
    let tool = attacker_browser();
    let mut out = Vec::new();
    // Per-IP spray: 30 users, one attempt each, in 10 minutes, from one VPS.
    let spray_ip = ip_in(rng, &BUCHAREST_VPS);
    let mut users = BTreeSet::new();
    for (k, who) in people.iter().skip(base).take(30).enumerate() {
        let at = Timestamp(hour + Timestamp::MINUTE + k as i64 * 20_000);
        out.push(sign_in(
            rng,
            who,
            &Attempt::new(at, BUCHAREST_VPS, &spray_ip, &tool, End::Fail(50126)),
        ));
        users.insert(who.upn.clone());
    }
    world.hunts.push(HuntLabel {
        scenario: "spray_from_one_ip".to_owned(),
        kind: Some(FindingKind::PasswordSpray),
        ip: Some(spray_ip),
        users,
    });
    // Distributed spray: 60 users, 20 addresses, one error, over 28 minutes.
    let hour2 = hour + 3 * Timestamp::HOUR;
    let ips: Vec<String> = (0..20).map(|_| ip_in(rng, &SAO_PAULO)).collect();
    let mut users = BTreeSet::new();
    for (k, who) in people.iter().skip(base + 30).take(60).enumerate() {
        let at = Timestamp(hour2 + Timestamp::MINUTE + k as i64 * 28_000);
        out.push(sign_in(
            rng,
            who,
            &Attempt::new(at, SAO_PAULO, &ips[k % ips.len()], &tool, End::Fail(50126)),
        ));
        users.insert(who.upn.clone());
    }
    world.hunts.push(HuntLabel {
        scenario: "distributed_spray".to_owned(),
        kind: Some(FindingKind::PasswordSpray),
        ip: None,
        users,
    });
    // Credential stuffing: 45 users, 12 addresses, 60 attempts in 8 minutes.
    let hour3 = hour + 6 * Timestamp::HOUR;
    let ips: Vec<String> = (0..12).map(|_| ip_in(rng, &LAGOS)).collect();
    let mut users = BTreeSet::new();
    let targets: Vec<&Person> = people.iter().skip(base + 90).take(45).collect();
    for k in 0..60usize {
        let who = targets[k % targets.len()];
        let at = Timestamp(hour3 + 2 * Timestamp::MINUTE + k as i64 * 8_000);
        let code = if k % 4 == 0 { 50034 } else { 50126 };
        out.push(sign_in(
            rng,
            who,
            &Attempt::new(at, LAGOS, &ips[k % ips.len()], &tool, End::Fail(code)),
        ));
        users.insert(who.upn.clone());
    }
    world.hunts.push(HuntLabel {
        scenario: "credential_stuffing".to_owned(),
        kind: Some(FindingKind::CredentialStuffing),
        ip: None,
        users,
    });
    // Lockout surge: 36 lockouts over 30 users in 20 minutes from 3 addresses.
    let hour4 = hour + 9 * Timestamp::HOUR;
    let ips: Vec<String> = (0..3).map(|_| ip_in(rng, &SINGAPORE_VPS)).collect();
    let mut users = BTreeSet::new();
    let targets: Vec<&Person> = people.iter().skip(base + 135).take(30).collect();
    for k in 0..36usize {
        let who = targets[k % targets.len()];
        let at = Timestamp(hour4 + k as i64 * 33_000);
        out.push(sign_in(
            rng,
            who,
            &Attempt::new(at, SINGAPORE_VPS, &ips[k % 3], &tool, End::Fail(50053)),
        ));
        users.insert(who.upn.clone());
    }
    world.hunts.push(HuntLabel {
        scenario: "lockout_surge".to_owned(),
        kind: Some(FindingKind::LockoutSurge),
        ip: None,
        users,
    });
    // Benign: password expiry morning at the first city's office, 25 users from a shared egress.
    let hour5 = hour + 12 * Timestamp::HOUR;
    let mut users = BTreeSet::new();
    let office = CITIES[0].0;
    let egress = pools[0][0].clone();
    for (k, who) in people
        .iter()
        .skip(base + 165)
        .step_by(CITIES.len())
        .take(25)
        .enumerate()
    {
        let at = Timestamp(hour5 + Timestamp::MINUTE + k as i64 * 20_000);
        out.push(sign_in(
            rng,
            who,
            &Attempt::new(at, office, &egress, &who.laptop, End::Fail(50055)),
        ));
        users.insert(who.upn.clone());
    }
    world.hunts.push(HuntLabel {
        scenario: "benign_password_expiry".to_owned(),
        kind: None,
        ip: Some(egress),
        users,
    });
    world.sign_ins.extend(out);
    // Attacked by a campaign: failures from hosting addresses, nothing else.
    for label in world.hunts.iter().filter(|l| l.kind.is_some()) {
        for upn in &label.users {
            world
                .labels
                .entry(upn.clone())
                .or_insert_with(|| UserLabel {
                    scenario: format!("{} victim", label.scenario),
                    expected: BTreeSet::new(),
                    allowed: kinds(&[FindingKind::AnonymousIp]),
                    benign: true,
                });
        }
    }
}
