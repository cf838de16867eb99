//! The demo tenant "Contoso" (`/work/shared/design/demo-tenant.md`), built as a [`TenantState`].
//!
//! [`contoso`] assembles the named cast with their scenario states, a deterministic crowd of
//! background users, groups, directory roles, apps, grants and 14 days of sign-in and audit
//! history, all timed relative to the `now` it is given so that the demo always looks fresh.
//! The same [`SeedConfig`] and `now` always give the same tenant, byte for byte.
//!
//! Every state is shown the way a real tenant shows it: a locked-out user is a burst of 50126
//! sign-ins followed by 50053 ones (plus the emulator's lockout counter), a compromised user is a
//! trail of sign-ins, audits, risk detections, a strange phone method and a grant, never a flag.
//!
//! Files: `cast` (the named users), `background` (generated users), `places` (cities, networks,
//! devices), `signins` (the sign-in record builder), `history` (ordinary sign-in history),
//! `scenarios` (each cast member's story: sign-ins, audits, risk; JohannaL's in
//! `scenarios/compromise`), `evidence` (audit and risk record builders), `directory` (groups,
//! roles, organization, licences), `principals` (service principals, app registrations, grants).

mod background;
mod cast;
mod directory;
mod evidence;
mod history;
mod places;
mod principals;
mod scenarios;
mod signins;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use indexmap::IndexMap;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use time::Duration;
use uuid::Uuid;

use crate::model::{TenantState, Timestamp, UserRecord};

pub use background::HISTORY_USER_LIMIT;

/// The Contoso tenant's id (also the organization's id).
pub const TENANT_ID: &str = "5f2c8d3e-7a41-4b6e-9c0d-2e8f1a6b4c37";
/// The tenant's only (initial, default) verified domain.
pub const DOMAIN: &str = "contoso.onmicrosoft.com";
/// Version of the [`TenantState`] document this seed writes.
pub const STATE_VERSION: u32 = 1;
/// How far back the seeded sign-in and audit history reaches.
pub const HISTORY_DAYS: i64 = 14;

/// Application (client) ids of the apps in the demo tenant.
pub mod apps {
    /// keydesk's main app registration: full helpdesk permissions; its service principal holds
    /// User Administrator and Privileged Authentication Administrator.
    pub const KEYDESK_APP_ID: &str = "7d3f9a2e-4c1b-4e8a-b5d6-0f2e9c8a1b34";
    /// keydesk's read-only registration: read permissions, no directory role.
    pub const KEYDESK_READONLY_APP_ID: &str = "a4e8c2f1-9b3d-4f7a-8e6c-5d1b0a9f2e63";
    /// keydesk with the main app's permissions but only the User Administrator role, so it is
    /// refused on administrators (a Global Administrator's password, for one).
    pub const KEYDESK_LIMITED_APP_ID: &str = "c9b1d7e4-2f6a-4a3c-9d8e-7b5f4e1a0c92";
    /// The unverified third-party app JohannaL's account consented to (the illicit grant).
    pub const MAIL_HELPER_PRO_APP_ID: &str = "e2f7a9c4-6d1b-4b8e-a3f5-8c0d2e7b9a15";
    /// A benign line-of-business app with a verified publisher and harmless grants.
    pub const CONTOSO_EXPENSES_APP_ID: &str = "3b8e1f6a-0c4d-4e9b-b7a2-1d5c8f3e6a48";

    /// Microsoft first-party apps seen in the sign-in logs.
    pub const EXCHANGE_ONLINE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
    pub const TEAMS_APP_ID: &str = "1fec8e78-bce4-4aaf-ab1b-5451cc387264";
    pub const SHAREPOINT_APP_ID: &str = "00000003-0000-0ff1-ce00-000000000000";
    pub const OFFICE_HOME_APP_ID: &str = "4765445b-32c6-49b0-83e6-1d93765276ca";
    pub const AZURE_PORTAL_APP_ID: &str = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c";
    /// The Azure Portal's resource.
    pub const AZURE_SERVICE_MANAGEMENT_APP_ID: &str = "797f4846-ba00-4fd7-ba43-dac1f8f63013";
    pub const GRAPH_APP_ID: &str = crate::model::ids::GRAPH_APP_ID;

    /// Application permissions admin-consented to `keydesk` and `keydesk-limited`.
    pub const KEYDESK_PERMISSIONS: &[&str] = &[
        "User.ReadWrite.All",
        "User-PasswordProfile.ReadWrite.All",
        "Group.ReadWrite.All",
        "GroupMember.ReadWrite.All",
        "Directory.Read.All",
        "UserAuthenticationMethod.ReadWrite.All",
        "IdentityRiskyUser.ReadWrite.All",
        "IdentityRiskEvent.Read.All",
        "AuditLog.Read.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Application.ReadWrite.All",
        "RoleManagement.Read.Directory",
        "Mail.Send",
        "Organization.Read.All",
    ];
    /// Application permissions admin-consented to `keydesk-readonly`.
    pub const KEYDESK_READONLY_PERMISSIONS: &[&str] = &[
        "User.Read.All",
        "Group.Read.All",
        "Directory.Read.All",
        "AuditLog.Read.All",
        "UserAuthenticationMethod.Read.All",
        "IdentityRiskyUser.Read.All",
        "IdentityRiskEvent.Read.All",
    ];
    /// The delegated scopes of the illicit grant.
    pub const MAIL_HELPER_PRO_SCOPE: &str = "Mail.ReadWrite Mail.Send offline_access User.Read";
    /// The delegated scopes of Contoso Expenses' benign grants.
    pub const CONTOSO_EXPENSES_SCOPE: &str = "User.Read openid profile";
}

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedConfig {
    /// Generated users besides the named cast (the first [`HISTORY_USER_LIMIT`] of them get
    /// sign-in history). Scales to hundreds of thousands.
    pub background_users: usize,
    /// Seed of every random choice; the same seed and `now` give the same tenant.
    pub seed: u64,
}

impl Default for SeedConfig {
    fn default() -> Self {
        Self {
            background_users: 300,
            seed: 42,
        }
    }
}

/// The emulator's demo-only password of a seeded user: `Contoso!` followed by the UPN's local
/// part exactly as written (`AlexW` → `Contoso!AlexW`, `john.smith` → `Contoso!john.smith`).
/// These exist so that simulated sign-ins can succeed against the emulator; they are public by
/// design and mean nothing outside it.
pub fn demo_password(upn_local: &str) -> String {
    format!("Contoso!{upn_local}")
}

/// The user principal name for a local part: `AlexW` → `AlexW@contoso.onmicrosoft.com`.
pub fn upn(local: &str) -> String {
    format!("{local}@{DOMAIN}")
}

/// The object id of a named cast member, by UPN local part (`"AlexW"`). Cast ids do not depend
/// on the seed or the clock. (For other users look the UPN up in [`TenantState::users`].)
pub fn cast_user_id(upn_local: &str) -> String {
    named_id("user", upn_local)
}

/// The UPN local parts of the named cast, in `demo-tenant.md`'s order (`MeganB`, `LeeG`, …,
/// `JoniS`); with [`cast_user_id`] and [`upn`] they give each member's id and UPN.
pub fn cast_members() -> impl Iterator<Item = &'static str> {
    cast::locals()
}

/// Builds the Contoso demo tenant as it stands at `now`.
pub fn contoso(config: &SeedConfig, now: Timestamp) -> TenantState {
    let ctx = Ctx::new(config, now);
    let mut people = People::with_capacity(config.background_users.saturating_add(32));
    cast::people(&ctx, &mut people);
    background::people(&ctx, config.background_users, &mut people);

    let directory = directory::build(&ctx, &people);
    let mut log = Log::default();
    scenarios::run(&ctx, &mut people, &mut log);
    log.finish();
    let mut users = people.users;
    history::fill_sign_in_activity(&mut users, &log.sign_ins);

    TenantState {
        version: STATE_VERSION,
        tenant_id: TENANT_ID.to_owned(),
        domain: DOMAIN.to_owned(),
        organization: directory.organization,
        subscribed_skus: directory.subscribed_skus,
        clock_offset_seconds: 0,
        users,
        groups: directory.groups,
        directory_roles: directory.directory_roles,
        role_definitions: directory.role_definitions,
        service_principals: directory.service_principals,
        grants: directory.grants,
        apps: directory.apps,
        sign_ins: log.sign_ins,
        risky_users: log.risky_users,
        risk_detections: log.risk_detections,
        directory_audits: log.directory_audits,
        operations: IndexMap::new(),
        outbox: Vec::new(),
        salt: ctx.salt,
    }
}

// ------------------------------------------------------------------------------------------
// Shared plumbing for the seed's submodules
// ------------------------------------------------------------------------------------------

/// Build context: the clock, the seed and the hash salt.
struct Ctx {
    now: Timestamp,
    seed: u64,
    salt: String,
}

impl Ctx {
    fn new(config: &SeedConfig, now: Timestamp) -> Self {
        let mut rng = stream(config.seed, "salt", 0);
        let salt_bytes: [u8; 16] = rng.random();
        let salt = salt_bytes.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            now,
            seed: config.seed,
            salt,
        }
    }

    /// An independent random stream for one purpose (`label`) and item (`n`), so that what one
    /// part of the seed draws never shifts another part.
    fn rng(&self, label: &str, n: u64) -> StdRng {
        stream(self.seed, label, n)
    }

    /// `now` minus a duration.
    fn ago(&self, d: Duration) -> Timestamp {
        self.now - d
    }

    /// The password hash of a seeded user.
    fn password_hash(&self, upn_local: &str) -> String {
        crate::tenant::hash_password(&self.salt, &demo_password(upn_local))
    }
}

fn stream(seed: u64, label: &str, n: u64) -> StdRng {
    // FNV-1a over the label, mixed with the seed and the item number (splitmix64 finaliser).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed ^ h.rotate_left(17) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// A stable id for a named object (seed-independent), shaped like the random (v4) GUIDs Entra
/// hands out.
fn named_id(kind: &str, name: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://keydesk.invalid/emu/contoso");
    let v5 = Uuid::new_v5(&namespace, format!("{kind}:{name}").as_bytes());
    uuid::Builder::from_random_bytes(v5.into_bytes())
        .into_uuid()
        .to_string()
}

/// A random-looking id drawn from a seeded stream.
fn random_id(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// One of `items`, uniformly (the slices used are constant and non-empty).
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// `items` ordered by `key`, stably, moving each item once (sign-ins are over a kilobyte each,
/// too big to shuffle around in a comparison sort).
fn sorted_by_key<T, K: Ord>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut order: Vec<(K, usize)> = items.iter().enumerate().map(|(i, x)| (key(x), i)).collect();
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(_, i)| slots[i].take())
        .collect()
}

/// The users being seeded: their records in final order (keyed by id, as the tenant keeps
/// them) and, at the same index, what the history builders know about each.
struct People {
    users: IndexMap<String, UserRecord>,
    info: Vec<Person>,
}

impl People {
    fn with_capacity(n: usize) -> Self {
        People {
            users: IndexMap::with_capacity(n),
            info: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, record: UserRecord, person: Person) {
        self.users.insert(record.user.id.clone(), record);
        self.info.push(person);
    }

    fn len(&self) -> usize {
        self.info.len()
    }

    fn member(&self, i: usize) -> Member<'_> {
        let person = &self.info[i];
        Member {
            record: &self.users[i],
            habits: person.habits.as_deref(),
            plan: person.plan.as_ref(),
            department: person.department,
            is_cast: person.is_cast,
        }
    }

    fn members(&self) -> impl Iterator<Item = Member<'_>> {
        (0..self.len()).map(|i| self.member(i))
    }

    /// Index of the cast by UPN local part.
    fn cast_index(&self) -> HashMap<String, usize> {
        self.info
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_cast)
            .map(|(i, p)| (p.local.clone(), i))
            .collect()
    }
}

/// What the builders know about a user besides the record.
struct Person {
    /// UPN local part as written (`AlexW`, `john.smith`).
    local: String,
    department: &'static str,
    is_cast: bool,
    /// Where and how they usually sign in; `None` for background users without history.
    habits: Option<Box<history::Habits>>,
    /// How their ordinary history goes; `None` means no ordinary sign-ins at all.
    plan: Option<history::Plan>,
}

/// A user's record and builder-side facts, borrowed together.
#[derive(Clone, Copy)]
struct Member<'a> {
    record: &'a UserRecord,
    habits: Option<&'a history::Habits>,
    plan: Option<&'a history::Plan>,
    department: &'static str,
    is_cast: bool,
}

/// Everything that accumulates as history.
#[derive(Default)]
struct Log {
    sign_ins: Vec<crate::model::SignIn>,
    directory_audits: Vec<crate::model::DirectoryAudit>,
    risky_users: IndexMap<String, crate::model::RiskyUserRecord>,
    risk_detections: Vec<crate::model::RiskDetection>,
}

impl Log {
    /// Oldest first, newest last, ties broken by id so the order is deterministic.
    fn finish(&mut self) {
        let sign_ins = std::mem::take(&mut self.sign_ins);
        self.sign_ins = sorted_by_key(sign_ins, |s| s.created_date_time);
        self.directory_audits.sort_by(|a, b| {
            a.activity_date_time
                .cmp(&b.activity_date_time)
                .then_with(|| a.id.cmp(&b.id))
        });
        self.risk_detections.sort_by(|a, b| {
            a.detected_date_time
                .cmp(&b.detected_date_time)
                .then_with(|| a.id.cmp(&b.id))
        });
    }
}
