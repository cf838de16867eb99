//! The named cast of `demo-tenant.md`, with each member's account state (lockout counters,
//! disabled flag, expired password, on-premises sync, registered methods), and the user-record
//! and authentication-method builders the background generator shares.

use base64::Engine;
use indexmap::IndexSet;
use rand::RngExt;
use rand::rngs::StdRng;
use time::Duration;

use super::history::{self, Habits, Plan, Turn};
use super::places::{self, MUNICH_OFFICE, NEW_YORK_OFFICE, Office, REDMOND_OFFICE};
use super::scenarios::Timeline;
use super::signins::{self, Outcome, Risk};
use super::{Ctx, People, Person, cast_user_id, named_id, pick, random_id, upn};
use crate::model::{
    AuthMethod, LockoutCounter, LockoutState, PasswordProfileView, Timestamp, User, UserRecord, ids,
};

/// How long a password lives (the tenant's expiry policy).
pub(super) const PASSWORD_LIFETIME: Duration = Duration::days(90);

/// A method someone has registered (before ids and dates are drawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum M {
    /// Microsoft Authenticator on a phone of this model.
    Authenticator(&'static str),
    /// The mobile phone (the user's `mobilePhone`).
    Phone,
    Fido2,
    Whfb,
    Email,
    Oath,
}

struct Row {
    local: &'static str,
    given: &'static str,
    surname: &'static str,
    department: &'static str,
    title: &'static str,
    office: &'static Office,
    manager: Option<&'static str>,
    ext: u32,
    created_days: i64,
    password_days: i64,
    methods: &'static [M],
    admin: bool,
}

macro_rules! row {
    ($local:expr, $given:expr, $surname:expr, $dept:expr, $title:expr, $office:expr, $mgr:expr,
     $ext:expr, $created:expr, $pwd:expr, $methods:expr, $admin:expr) => {
        Row {
            local: $local,
            given: $given,
            surname: $surname,
            department: $dept,
            title: $title,
            office: $office,
            manager: $mgr,
            ext: $ext,
            created_days: $created,
            password_days: $pwd,
            methods: $methods,
            admin: $admin,
        }
    };
}

use M::{Authenticator as A, Email, Fido2, Oath, Phone, Whfb};

const R: &Office = &REDMOND_OFFICE;
const NY: &Office = &NEW_YORK_OFFICE;
const MUC: &Office = &MUNICH_OFFICE;

#[rustfmt::skip]
static CAST: &[Row] = &[
    row!("MeganB", "Megan", "Bowen", "IT", "IT Manager", R, None, 10, 1460, 41, &[A("iPhone 15 Pro"), Fido2, Phone], true),
    row!("LeeG", "Lee", "Gu", "IT", "Helpdesk Engineer", R, Some("MeganB"), 11, 1210, 33, &[A("Pixel 8"), Phone], true),
    row!("PattiF", "Patti", "Fernandez", "IT", "Security Lead", R, Some("MeganB"), 12, 1320, 52, &[A("iPhone 15"), Fido2, Whfb], true),
    row!("NestorW", "Nestor", "Wilke", "Operations", "Director", R, None, 13, 1400, 64, &[A("iPhone 14"), Phone], true),
    row!("MiriamG", "Miriam", "Graham", "Sales", "Sales Director", R, None, 14, 1290, 47, &[A("iPhone 15"), Phone], false),
    row!("AlexW", "Alex", "Wilber", "Sales", "Account Executive", R, Some("MiriamG"), 15, 980, 58, &[A("iPhone 14"), Phone], false),
    row!("AdeleV", "Adele", "Vance", "Sales", "Account Executive", R, Some("MiriamG"), 16, 870, 71, &[A("Galaxy S23")], false),
    row!("DiegoS", "Diego", "Siciliani", "Sales", "Account Executive", R, Some("MiriamG"), 17, 760, 80, &[A("Pixel 7"), Phone], false),
    row!("IsaiahL", "Isaiah", "Langer", "Sales", "Account Executive", R, Some("MiriamG"), 18, 690, 92, &[Phone, Email], false),
    row!("ShaneO", "Shane", "O'Brien", "Sales", "Sales Engineer", R, Some("MiriamG"), 19, 540, 29, &[A("iPhone 13"), Email], false),
    row!("JohannaL", "Johanna", "Lorenz", "R&D", "Engineer", MUC, Some("DavidP"), 20, 820, 44, &[A("Galaxy S23"), Email], false),
    row!("GradyA", "Grady", "Archie", "R&D", "Engineer", R, Some("DavidP"), 21, 1100, 37, &[A("iPhone 14"), Whfb], false),
    row!("HenriettaM", "Henrietta", "Mueller", "R&D", "Engineer", MUC, Some("DavidP"), 22, 8, 8, &[], false),
    row!("DavidP", "David", "Park", "R&D", "Engineering Manager", R, None, 23, 1350, 26, &[A("iPhone 15 Pro"), Fido2], false),
    row!("AliceC", "Alice", "Chen", "R&D", "Engineer", R, Some("DavidP"), 24, 640, 55, &[A("Pixel 8"), Phone], false),
    row!("LidiaH", "Lidia", "Holloway", "R&D", "Engineer", R, Some("DavidP"), 25, 720, 6, &[A("iPhone 13"), Whfb], false),
    row!("john.smith", "John", "Smith", "Finance", "Accountant", R, Some("IrvinS"), 26, 930, 39, &[Phone, Email], false),
    row!("jsmith", "John", "Smith", "Marketing", "Copywriter", NY, Some("LynneR"), 27, 410, 48, &[A("iPhone 14")], false),
    row!("IrvinS", "Irvin", "Sayers", "Finance", "Finance Director", R, None, 28, 1380, 62, &[A("iPhone 15"), Phone], false),
    row!("SarahL", "Sarah", "Lee", "Finance", "Finance Analyst", R, Some("IrvinS"), 29, 300, 18, &[A("Galaxy A54"), Oath], false),
    row!("TomB", "Tom", "Baker", "Marketing", "Marketing Specialist", NY, Some("LynneR"), 30, 1700, 66, &[A("iPhone 11"), Phone], false),
    row!("LynneR", "Lynne", "Robbins", "Marketing", "Marketing Manager", NY, None, 31, 1190, 35, &[A("iPhone 15"), Phone, Email], false),
    row!("JoniS", "Joni", "Sherman", "Legal", "Paralegal", R, None, 32, 590, 23, &[A("Pixel 7")], false),
];

/// The UPN local parts of the cast, in table order.
pub(super) fn locals() -> impl Iterator<Item = &'static str> {
    CAST.iter().map(|r| r.local)
}

/// Everything needed to build a user record.
pub(super) struct Profile<'a> {
    pub id: String,
    pub local: &'a str,
    pub given: &'a str,
    pub surname: &'a str,
    pub department: &'static str,
    pub title: &'a str,
    pub office: &'static Office,
    pub room: String,
    pub desk_ext: u32,
    pub mobile_ext: Option<u32>,
    pub employee_id: String,
    pub created: Timestamp,
    pub password_changed: Timestamp,
    pub enabled: bool,
}

/// A cloud-only member user with no methods, manager or history yet.
pub(super) fn user_record(ctx: &Ctx, p: &Profile<'_>) -> UserRecord {
    let upn = upn(p.local);
    let display_name = format!("{} {}", p.given, p.surname);
    UserRecord {
        user: User {
            id: p.id.clone(),
            user_principal_name: upn.clone(),
            display_name,
            given_name: Some(p.given.to_owned()),
            surname: Some(p.surname.to_owned()),
            mail: Some(upn.clone()),
            mail_nickname: p.local.to_owned(),
            mobile_phone: p.mobile_ext.map(|e| p.office.mobile_number(e)),
            business_phones: vec![p.office.desk_number(p.desk_ext)],
            job_title: Some(p.title.to_owned()),
            office_location: Some(p.room.clone()),
            preferred_language: Some(p.office.language.to_owned()),
            account_enabled: p.enabled,
            department: Some(p.department.to_owned()),
            company_name: Some("Contoso".to_owned()),
            city: Some(p.office.place.city.to_owned()),
            country: Some(p.office.country_name.to_owned()),
            employee_id: Some(p.employee_id.clone()),
            usage_location: Some(p.office.usage_location.to_owned()),
            user_type: "Member".to_owned(),
            other_mails: Vec::new(),
            proxy_addresses: vec![format!("SMTP:{upn}")],
            created_date_time: p.created,
            last_password_change_date_time: Some(p.password_changed),
            password_policies: None,
            password_profile: Some(PasswordProfileView {
                password: None,
                force_change_password_next_sign_in: false,
                force_change_password_next_sign_in_with_mfa: false,
            }),
            on_premises_sync_enabled: None,
            on_premises_immutable_id: None,
            on_premises_sam_account_name: None,
            on_premises_distinguished_name: None,
            on_premises_domain_name: None,
            on_premises_user_principal_name: None,
            on_premises_last_sync_date_time: None,
            sign_in_sessions_valid_from_date_time: Some(p.password_changed),
            sign_in_activity: None,
        },
        password_hash: ctx.password_hash(p.local),
        password_expires: Some(p.password_changed + PASSWORD_LIFETIME),
        manager_id: None,
        photo: None,
        methods: Vec::new(),
        default_method_id: None,
        lockout: LockoutState::default(),
        mfa_required: true,
        familiar_ips: IndexSet::new(),
    }
}

/// Marks a user as synced from Contoso's on-premises AD (`contoso.local`).
pub(super) fn make_synced(
    ctx: &Ctx,
    record: &mut UserRecord,
    local: &str,
    ou: &str,
    rng: &mut StdRng,
) {
    let guid = uuid::Uuid::parse_str(&named_id("onprem", local)).unwrap_or_default();
    let sam: String = local
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .take(20)
        .collect();
    let u = &mut record.user;
    u.on_premises_sync_enabled = Some(true);
    u.on_premises_immutable_id =
        Some(base64::engine::general_purpose::STANDARD.encode(guid.to_bytes_le()));
    u.on_premises_distinguished_name = Some(format!(
        "CN={},OU={ou},OU=Users,DC=contoso,DC=local",
        u.display_name.replace(',', "\\,")
    ));
    u.on_premises_user_principal_name = Some(format!("{sam}@contoso.local"));
    u.on_premises_sam_account_name = Some(sam);
    u.on_premises_domain_name = Some("contoso.local".to_owned());
    u.on_premises_last_sync_date_time = Some(ctx.now - Duration::minutes(rng.random_range(3..=28)));
    // Synced passwords follow AD's policy, not the cloud's.
    u.password_policies = Some("DisablePasswordExpiration".to_owned());
    record.password_expires = None;
}

/// Registers `methods` (dated between `from` and `until`) and picks the default; returns the
/// MFA method name sign-ins show for it.
pub(super) fn register(
    rng: &mut StdRng,
    record: &mut UserRecord,
    methods: &[M],
    from: Timestamp,
    until: Timestamp,
    laptop: Option<&str>,
) -> &'static str {
    let span = (until - from).whole_seconds().max(1);
    let when = |rng: &mut StdRng| Some(from + Duration::seconds(rng.random_range(0..span)));
    let mut default: Option<(u8, String, &'static str)> = None;
    for m in methods {
        let (rank, method, name) = match *m {
            M::Authenticator(model) => {
                let at = when(rng);
                (0, authenticator(rng, model, at), signins::PUSH)
            }
            M::Phone => {
                let Some(number) = record.user.mobile_phone.clone() else {
                    continue;
                };
                (1, phone_method(&number), signins::SMS)
            }
            M::Fido2 => {
                let at = when(rng);
                (2, fido2(rng, at), signins::FIDO2)
            }
            M::Whfb => {
                let at = when(rng);
                (3, whfb(rng, laptop, at), signins::WHFB)
            }
            M::Oath => (
                4,
                AuthMethod::SoftwareOath {
                    id: random_id(rng),
                    secret_key: None,
                },
                signins::OATH,
            ),
            M::Email => {
                let address = personal_mail(&record.user);
                record.user.other_mails = vec![address.clone()];
                (
                    9,
                    AuthMethod::Email {
                        id: ids::EMAIL_METHOD.to_owned(),
                        email_address: address,
                    },
                    "",
                )
            }
        };
        if rank < 9 && default.as_ref().is_none_or(|(r, _, _)| rank < *r) {
            default = Some((rank, method.id().to_owned(), name));
        }
        record.methods.push(method);
    }
    record.methods.shrink_to_fit();
    match default {
        Some((_, id, name)) => {
            record.default_method_id = Some(id);
            name
        }
        None => signins::PUSH,
    }
}

pub(super) fn authenticator(
    rng: &mut StdRng,
    model: &str,
    created: Option<Timestamp>,
) -> AuthMethod {
    AuthMethod::MicrosoftAuthenticator {
        id: random_id(rng),
        display_name: model.to_owned(),
        device_tag: Some("SoftwareTokenActivated".to_owned()),
        phone_app_version: Some(pick(rng, &["6.8.7", "6.8.9", "6.8.11"]).to_string()),
        created_date_time: created,
    }
}

pub(super) fn phone_method(number: &str) -> AuthMethod {
    AuthMethod::Phone {
        id: ids::PHONE_MOBILE.to_owned(),
        phone_number: places::method_number(number),
        phone_type: "mobile".to_owned(),
        sms_sign_in_state: "notEnabled".to_owned(),
    }
}

fn fido2(rng: &mut StdRng, created: Option<Timestamp>) -> AuthMethod {
    let cert: [u8; 20] = rng.random();
    AuthMethod::Fido2 {
        id: random_id(rng),
        display_name: "YubiKey 5 NFC".to_owned(),
        aa_guid: "cb69481e-8ff7-4039-93ec-0a2729a154a8".to_owned(),
        model: "YubiKey 5 Series with NFC".to_owned(),
        attestation_certificates: vec![cert.iter().map(|b| format!("{b:02x}")).collect()],
        attestation_level: "attested".to_owned(),
        created_date_time: created,
    }
}

fn whfb(rng: &mut StdRng, laptop: Option<&str>, created: Option<Timestamp>) -> AuthMethod {
    AuthMethod::WindowsHelloForBusiness {
        id: random_id(rng),
        display_name: laptop.unwrap_or("CONTOSO-LT-0001").to_owned(),
        key_strength: "normal".to_owned(),
        created_date_time: created,
    }
}

fn personal_mail(user: &User) -> String {
    let clean = |s: &Option<String>| -> String {
        s.as_deref()
            .unwrap_or_default()
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect()
    };
    format!(
        "{}.{}@outlook.com",
        clean(&user.given_name),
        clean(&user.surname)
    )
}

/// Habits of someone working at `office` who uses a phone of `model`.
pub(super) fn habits(
    rng: &mut StdRng,
    office: &'static Office,
    model: &str,
    mfa: &'static str,
    admin: bool,
) -> Habits {
    let home_net = pick(rng, office.home);
    Habits {
        office,
        office_ip: office.egress_ip(rng),
        home: history::on(home_net, rng),
        mobile: history::on(office.mobile, rng),
        laptop: places::laptop(rng),
        phone: places::phone(rng, model),
        mfa,
        admin,
        lookalike: None,
    }
}

/// Adds the cast, in table order, with their states and ordinary-history plans.
pub(super) fn people(ctx: &Ctx, out: &mut People) {
    let t = Timeline::new(ctx);
    let window_start = ctx.ago(Duration::days(super::HISTORY_DAYS));
    for (i, row) in CAST.iter().enumerate() {
        let mut rng = ctx.rng("cast", i as u64);
        let created = ctx.ago(Duration::days(row.created_days) + Duration::hours(3));
        let password_changed = match row.local {
            "IsaiahL" => t.isaiah_expired - PASSWORD_LIFETIME,
            _ => ctx
                .ago(Duration::days(row.password_days) + Duration::hours(rng.random_range(2..=20))),
        };
        let password_changed = password_changed.max(created);
        let profile = Profile {
            id: cast_user_id(row.local),
            local: row.local,
            given: row.given,
            surname: row.surname,
            department: row.department,
            title: row.title,
            office: row.office,
            room: row.office.room(&mut rng),
            desk_ext: row.ext,
            mobile_ext: Some(row.ext + 50),
            employee_id: format!("{}", 100_100 + i),
            created,
            password_changed,
            enabled: row.local != "AdeleV",
        };
        let mut record = user_record(ctx, &profile);
        record.manager_id = row.manager.map(cast_user_id);

        let model = row.methods.iter().find_map(|m| match m {
            M::Authenticator(model) => Some(*model),
            _ => None,
        });
        let model = model.unwrap_or("iPhone 13");
        let mut habits = habits(&mut rng, row.office, model, signins::PUSH, row.admin);
        let laptop_name = habits.laptop.display_name.clone();
        let until = ctx.ago(Duration::days(20)).max(created);
        habits.mfa = register(
            &mut rng,
            &mut record,
            row.methods,
            created,
            until,
            laptop_name.as_deref(),
        );

        let mut plan = Plan {
            from: window_start.max(created),
            until: ctx.now,
            turn: None,
        };
        match row.local {
            "AlexW" => {
                plan.until = t.alex_burst - Duration::hours(2);
                let bad = ["Spring2025!", "Welcome1!", "Contoso2025!"];
                record.lockout.unfamiliar = LockoutCounter {
                    failed_attempts: t.alex_failures,
                    lockouts: 1,
                    locked_until: Some(t.alex_locked_until),
                    recent_bad_hashes: bad
                        .iter()
                        .map(|p| crate::tenant::hash_password(&ctx.salt, p))
                        .collect(),
                };
            }
            "AdeleV" => {
                plan.turn = Some(Turn {
                    at: t.adele_disabled,
                    interactive: Outcome::Disabled,
                    refresh: Some(Outcome::Disabled),
                    risk: None,
                });
            }
            "DiegoS" => {
                let risk = Risk {
                    during_sign_in: "high",
                    aggregated: "high",
                    state: "atRisk",
                    event_types: &[],
                };
                plan.turn = Some(Turn {
                    at: t.diego_detected,
                    interactive: Outcome::RiskBlocked,
                    refresh: Some(Outcome::RiskBlocked),
                    risk: Some(risk),
                });
            }
            "IsaiahL" => {
                plan.turn = Some(Turn {
                    at: t.isaiah_expired,
                    interactive: Outcome::PasswordExpired,
                    refresh: Some(Outcome::Success(None)),
                    risk: None,
                });
            }
            "HenriettaM" => {
                record.user.created_date_time = t.henrietta_created;
                record.user.last_password_change_date_time = Some(t.henrietta_created);
                record.user.sign_in_sessions_valid_from_date_time = Some(t.henrietta_created);
                record.password_expires = Some(t.henrietta_created + PASSWORD_LIFETIME);
                plan.from = t.henrietta_created + Duration::hours(20);
                plan.turn = Some(Turn {
                    at: plan.from,
                    interactive: Outcome::MfaRegistrationRequired,
                    refresh: None,
                    risk: None,
                });
            }
            "GradyA" => make_synced(ctx, &mut record, "GradyA", "R&D", &mut rng),
            "TomB" => {
                // An old phone, registered long ago with an old app version.
                for m in &mut record.methods {
                    if let AuthMethod::MicrosoftAuthenticator {
                        phone_app_version,
                        created_date_time,
                        ..
                    } = m
                    {
                        *phone_app_version = Some("6.5.85".to_owned());
                        *created_date_time = Some(ctx.ago(Duration::days(1650)));
                    }
                }
            }
            "JohannaL" => {
                // The attacker's phone, registered right after the account takeover.
                record.methods.push(phone_method(places::ATTACKER_PHONE));
            }
            _ => {}
        }
        out.push(
            record,
            Person {
                local: row.local.to_owned(),
                department: row.department,
                is_cast: true,
                habits: Some(Box::new(habits)),
                plan: Some(plan),
            },
        );
    }
}
