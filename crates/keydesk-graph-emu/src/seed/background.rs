//! Background users: a deterministic crowd spread over Contoso's departments and offices, with
//! realistic names, job titles, a management tree per department (under the cast's department
//! heads where there is one), authentication methods, a few disabled accounts, expired
//! passwords and on-premises synced accounts.
//!
//! It scales to hundreds of thousands of users: only the first [`HISTORY_USER_LIMIT`] get
//! ordinary sign-in history (and the devices that go with it); the rest get their usual
//! networks as the familiar set and nothing else. Three of the first users carry the benign
//! look-alikes (a trip to London, a VPN exit in Portland, a new phone).

use std::collections::HashMap;

use rand::RngExt;
use rand::rngs::StdRng;
use time::Duration;

use super::cast::{self, M, Profile};
use super::history::{Lookalike, Plan, Turn};
use super::places::{
    self, AUSTIN_OFFICE, CHICAGO_OFFICE, LONDON_OFFICE, MUNICH_OFFICE, NEW_YORK_OFFICE, Office,
    PHONE_MODELS, PORTLAND_VPN, REDMOND_OFFICE,
};
use super::signins::{self, Outcome};
use super::{Ctx, People, Person, cast_user_id, pick, random_id};
use crate::model::AuthMethod;

/// Background users beyond this many (in generation order) get no sign-in history, so that a
/// 200,000-user tenant still builds in seconds with a bounded log. The cast always has history.
pub const HISTORY_USER_LIMIT: usize = 2_000;

/// Background users carrying the benign look-alikes (when they exist).
const TRIP_USER: usize = 3;
const VPN_USER: usize = 5;
const NEW_PHONE_USER: usize = 9;

struct Dept {
    name: &'static str,
    weight: u32,
    offices: &'static [(&'static Office, u32)],
    titles: &'static [&'static str],
    lead: &'static str,
    head: &'static str,
    /// The cast member heading the department, who the background head reports to.
    cast_head: Option<&'static str>,
}

#[rustfmt::skip]
static DEPTS: &[Dept] = &[
    Dept { name: "IT", weight: 8, offices: &[(&REDMOND_OFFICE, 1)], titles: &["Systems Administrator", "Network Engineer", "Desktop Support Technician", "Cloud Engineer", "IT Analyst"], lead: "IT Team Lead", head: "Senior IT Manager", cast_head: Some("MeganB") },
    Dept { name: "Sales", weight: 20, offices: &[(&REDMOND_OFFICE, 40), (&NEW_YORK_OFFICE, 25), (&CHICAGO_OFFICE, 20), (&LONDON_OFFICE, 15)], titles: &["Account Executive", "Sales Development Representative", "Account Manager", "Sales Engineer"], lead: "Regional Sales Manager", head: "Senior Sales Manager", cast_head: Some("MiriamG") },
    Dept { name: "R&D", weight: 22, offices: &[(&REDMOND_OFFICE, 60), (&MUNICH_OFFICE, 40)], titles: &["Software Engineer", "Senior Software Engineer", "QA Engineer", "Data Scientist", "Site Reliability Engineer"], lead: "Engineering Lead", head: "Principal Engineering Manager", cast_head: Some("DavidP") },
    Dept { name: "Finance", weight: 7, offices: &[(&REDMOND_OFFICE, 70), (&NEW_YORK_OFFICE, 30)], titles: &["Financial Analyst", "Accountant", "Accounts Payable Specialist", "Payroll Accountant"], lead: "Finance Manager", head: "Senior Finance Manager", cast_head: Some("IrvinS") },
    Dept { name: "Marketing", weight: 10, offices: &[(&NEW_YORK_OFFICE, 60), (&REDMOND_OFFICE, 40)], titles: &["Marketing Specialist", "Content Strategist", "Product Marketing Manager", "Graphic Designer"], lead: "Marketing Lead", head: "Senior Marketing Manager", cast_head: Some("LynneR") },
    Dept { name: "Legal", weight: 4, offices: &[(&REDMOND_OFFICE, 70), (&LONDON_OFFICE, 30)], titles: &["Paralegal", "Corporate Counsel", "Contracts Manager", "Compliance Analyst"], lead: "Senior Counsel", head: "General Counsel", cast_head: None },
    Dept { name: "Operations", weight: 10, offices: &[(&CHICAGO_OFFICE, 60), (&REDMOND_OFFICE, 40)], titles: &["Operations Analyst", "Logistics Coordinator", "Facilities Coordinator", "Procurement Specialist"], lead: "Operations Manager", head: "Senior Operations Manager", cast_head: Some("NestorW") },
    Dept { name: "HR", weight: 5, offices: &[(&REDMOND_OFFICE, 1)], titles: &["HR Generalist", "Recruiter", "HR Business Partner", "Payroll Specialist"], lead: "HR Manager", head: "Director of Human Resources", cast_head: None },
    Dept { name: "Support", weight: 14, offices: &[(&AUSTIN_OFFICE, 70), (&REDMOND_OFFICE, 30)], titles: &["Support Engineer", "Customer Support Specialist", "Technical Account Manager", "Escalation Engineer"], lead: "Support Team Lead", head: "Director of Customer Support", cast_head: None },
];

#[rustfmt::skip]
static FIRST_NAMES: &[&str] = &[
    "Aaliyah", "Aarav", "Abigail", "Adrian", "Aisha", "Alejandro", "Amara", "Amelia", "Andrea", "Andrew",
    "Anika", "Ben", "Bianca", "Carlos", "Caroline", "Chen", "Chloe", "Daniel", "Dmitri", "Elena",
    "Elif", "Emily", "Emma", "Ethan", "Fatima", "Felix", "Gabriel", "Grace", "Hannah", "Hiroshi",
    "Ines", "Isabel", "Ivan", "Jamal", "James", "Javier", "Jessica", "Jin", "Jonas", "Julia",
    "Kai", "Kavya", "Kenji", "Laura", "Leila", "Liam", "Lucas", "Lukas", "Maria", "Mateo",
    "Maya", "Mei", "Michael", "Mohammed", "Nadia", "Naomi", "Nikhil", "Noah", "Olivia", "Omar",
    "Priya", "Rafael", "Ravi", "Rebecca", "Rosa", "Ryan", "Samuel", "Sanjay", "Sofia", "Sophie",
    "Stefan", "Tanvi", "Thomas", "Valentina", "Victor", "Wei", "William", "Yara", "Yusuf", "Zoe",
];

#[rustfmt::skip]
static LAST_NAMES: &[&str] = &[
    "Abbott", "Adeyemi", "Alvarez", "Anderson", "Bauer", "Becker", "Brown", "Campbell", "Castillo", "Chen",
    "Clarke", "Costa", "Da Silva", "Davies", "Dubois", "Evans", "Fischer", "Garcia", "Gonzalez", "Gupta",
    "Hall", "Hansen", "Hernandez", "Hoffmann", "Hughes", "Ito", "Jackson", "Jensen", "Johnson", "Kaur",
    "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lopez", "Martin", "Martinez", "Meyer", "Miller",
    "Moreau", "Morris", "Murphy", "Nakamura", "Nguyen", "Novak", "O'Connor", "Okafor", "Olsen", "Park",
    "Patel", "Perez", "Petrov", "Reyes", "Richter", "Rivera", "Roberts", "Rossi", "Santos", "Schmidt",
    "Schneider", "Shah", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thompson", "Tran",
    "Turner", "Wagner", "Walker", "Wang", "Weber", "White", "Williams", "Wilson", "Wright", "Zhang",
];

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if roll < *w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1].0
}

/// A UPN local part from a name: lower-case letters only, dots between (`o'connor` → `oconnor`).
fn local_part(first: &str, last: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    };
    format!("{}.{}", clean(first), clean(last))
}

/// `now`'s calendar day `days_back` days ago in `office`'s local time, at `hour:minute` local.
fn local_time(
    ctx: &Ctx,
    office: &Office,
    days_back: i64,
    hour: i64,
    minute: i64,
) -> crate::model::Timestamp {
    let offset = Duration::hours(office.place.utc_offset);
    let day = (ctx.now + offset - Duration::days(days_back)).date();
    day.midnight().assume_utc() - offset + Duration::hours(hour) + Duration::minutes(minute)
}

/// Appends `n` background users to `out` (which holds the cast).
pub(super) fn people(ctx: &Ctx, n: usize, out: &mut People) {
    let mut rng = ctx.rng("background", 0);
    let mut taken: HashMap<String, u32> = cast::locals().map(|l| (l.to_lowercase(), 1)).collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); DEPTS.len()];
    let window_start = ctx.ago(Duration::days(super::HISTORY_DAYS));
    let dept_weights: Vec<(usize, u32)> = DEPTS
        .iter()
        .enumerate()
        .map(|(i, d)| (i, d.weight))
        .collect();

    for i in 0..n {
        let special = matches!(i, TRIP_USER | VPN_USER | NEW_PHONE_USER);
        let d = *weighted(&mut rng, &dept_weights);
        let dept = &DEPTS[d];
        let k = members[d].len();
        let manager = match k {
            0 => dept.cast_head.map(cast_user_id),
            _ => out
                .users
                .get_index(members[d][(k - 1) / 8])
                .map(|(id, _)| id.clone()),
        };
        members[d].push(out.len());

        let first = *pick(&mut rng, FIRST_NAMES);
        let last = *pick(&mut rng, LAST_NAMES);
        let base = local_part(first, last);
        let count = taken.entry(base.clone()).or_insert(0);
        *count += 1;
        let local = if *count == 1 {
            base
        } else {
            format!("{base}{count}")
        };

        let office = if special {
            &REDMOND_OFFICE
        } else {
            *weighted(&mut rng, dept.offices)
        };
        let title = if k == 0 {
            dept.head
        } else {
            *pick(&mut rng, dept.titles)
        };
        let created = ctx.ago(
            Duration::days(rng.random_range(30..=1800))
                + Duration::minutes(rng.random_range(0..1440)),
        );
        let disabled = !special && rng.random_bool(0.02);
        let expired = !special && !disabled && rng.random_bool(0.005);
        let changed_days = if expired {
            rng.random_range(91..=110)
        } else {
            rng.random_range(1..=85)
        };
        let password_changed = ctx
            .ago(Duration::days(changed_days) + Duration::minutes(rng.random_range(0..1440)))
            .max(created);
        let profile = Profile {
            id: random_id(&mut rng),
            local: &local,
            given: first,
            surname: last,
            department: dept.name,
            title,
            office,
            room: office.room(&mut rng),
            desk_ext: rng.random_range(0..1000),
            mobile_ext: rng.random_bool(0.75).then(|| rng.random_range(0..1000)),
            employee_id: format!("{}", 200_000 + i),
            created,
            password_changed,
            enabled: !disabled,
        };
        let mut record = cast::user_record(ctx, &profile);
        record.manager_id = manager;
        if !special && rng.random_bool(0.02) {
            cast::make_synced(ctx, &mut record, &local, dept.name, &mut rng);
        }

        let model = *pick(&mut rng, PHONE_MODELS);
        let methods = method_mix(&mut rng, model, special);
        let history = i < super::HISTORY_USER_LIMIT && !disabled;
        let mut habits = history.then(|| {
            Box::new(cast::habits(
                &mut rng,
                office,
                model,
                signins::PUSH,
                dept.name == "IT",
            ))
        });
        let laptop = habits.as_ref().and_then(|h| h.laptop.display_name.clone());
        let until = ctx.ago(Duration::days(20)).max(created);
        let mfa = cast::register(
            &mut rng,
            &mut record,
            &methods,
            created,
            until,
            laptop.as_deref(),
        );

        let plan = habits.as_mut().map(|h| {
            h.mfa = mfa;
            h.lookalike = lookalike(ctx, &mut rng, i, &mut record);
            let turn = record.password_expires.filter(|_| expired).map(|at| Turn {
                at,
                interactive: Outcome::PasswordExpired,
                refresh: Some(Outcome::Success(None)),
                risk: None,
            });
            Plan {
                from: window_start.max(created),
                until: ctx.now,
                turn,
            }
        });
        if habits.is_none() {
            record.familiar_ips = usual_networks(&mut rng, office);
        }
        out.push(
            record,
            Person {
                local,
                department: dept.name,
                is_cast: false,
                habits,
                plan,
            },
        );
    }

    // Managers: everyone with reports below them in the department tree is a lead.
    for (d, list) in members.iter().enumerate() {
        for (k, &i) in list.iter().enumerate().skip(1) {
            if 8 * k + 1 < list.len() {
                out.users[i].user.job_title = Some(DEPTS[d].lead.to_owned());
            }
        }
    }
}

/// The registered methods: mostly Authenticator, often the phone, some FIDO2 keys, Windows
/// Hello, email (for password reset) and OATH; always at least one MFA method.
fn method_mix(rng: &mut StdRng, model: &'static str, special: bool) -> Vec<M> {
    let mut methods = Vec::with_capacity(4);
    if special || rng.random_bool(0.85) {
        methods.push(M::Authenticator(model));
    }
    if rng.random_bool(0.5) {
        methods.push(M::Phone);
    }
    if rng.random_bool(0.08) {
        methods.push(M::Fido2);
    }
    if rng.random_bool(0.15) {
        methods.push(M::Whfb);
    }
    if rng.random_bool(0.04) {
        methods.push(M::Oath);
    }
    if rng.random_bool(0.2) {
        methods.push(M::Email);
    }
    if !methods
        .iter()
        .any(|m| matches!(m, M::Authenticator(_) | M::Fido2 | M::Whfb | M::Oath))
    {
        methods.insert(0, M::Authenticator(model));
    }
    methods
}

/// The familiar set of someone without seeded history: their country and usual addresses.
fn usual_networks(rng: &mut StdRng, office: &'static Office) -> indexmap::IndexSet<String> {
    let mut set = indexmap::IndexSet::with_capacity(4);
    set.insert(office.place.country.to_owned());
    set.insert(office.egress_ip(rng));
    set.insert(pick(rng, office.home).ip(rng));
    set.insert(office.mobile.ip(rng));
    set
}

/// The benign look-alike of background user `i`, if any (and its method change).
fn lookalike(
    ctx: &Ctx,
    rng: &mut StdRng,
    i: usize,
    record: &mut crate::model::UserRecord,
) -> Option<Lookalike> {
    match i {
        TRIP_USER => {
            let depart = local_time(ctx, &REDMOND_OFFICE, 9, 17, 40);
            Some(Lookalike::Trip {
                depart,
                back: depart + Duration::days(4) - Duration::hours(7),
            })
        }
        VPN_USER => Some(Lookalike::VpnExit {
            ip: PORTLAND_VPN.ip(rng),
        }),
        NEW_PHONE_USER => {
            let at = local_time(ctx, &REDMOND_OFFICE, 4, 10, 12);
            let model = "iPhone 15 Pro";
            let fresh = cast::authenticator(rng, model, Some(at));
            let new_id = fresh.id().to_owned();
            record
                .methods
                .retain(|m| !matches!(m, AuthMethod::MicrosoftAuthenticator { .. }));
            record.methods.insert(0, fresh);
            record.default_method_id = Some(new_id);
            Some(Lookalike::NewPhone {
                at,
                phone: places::phone(rng, model),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_parts_are_plain() {
        assert_eq!(local_part("Yusuf", "O'Connor"), "yusuf.oconnor");
        assert_eq!(local_part("Ana", "Da Silva"), "ana.dasilva");
    }
}
