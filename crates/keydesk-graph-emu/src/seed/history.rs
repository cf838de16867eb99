//! Ordinary sign-in history: workday sign-ins from the office, home and phone in each
//! office's local hours, a typo now and then, token refreshes from the phone, and the benign
//! look-alikes (a trip abroad with real flight time, a VPN exit in a nearby city, a new phone).
//! Also fills each user's `signInActivity` from the finished log.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use rand::RngExt;
use rand::rngs::StdRng;
use time::{Duration, Weekday};

use super::pick;
use super::places::{Device, LONDON_OFFICE, Net, Office, PORTLAND_VPN, Place};
use super::signins::{
    AZURE_PORTAL, AppRef, Attempt, EXCHANGE, OFFICE_HOME, Outcome, Risk, SHAREPOINT, TEAMS, Who,
    sign_in,
};
use crate::model::{SignIn, SignInActivity, Timestamp, UserRecord};

/// Where and with what a user usually signs in.
#[derive(Debug, Clone)]
pub(super) struct Habits {
    pub office: &'static Office,
    pub office_ip: String,
    pub home: (String, u32, &'static Place),
    pub mobile: (String, u32, &'static Place),
    pub laptop: Device,
    pub phone: Device,
    /// The MFA method they use (an `authenticationDetails` method name).
    pub mfa: &'static str,
    /// Uses the Azure Portal now and then.
    pub admin: bool,
    pub lookalike: Option<Lookalike>,
}

/// A benign pattern that a careless detector could mistake for an attack.
#[derive(Debug, Clone)]
pub(super) enum Lookalike {
    /// A business trip to the London office, with real flight time on both legs.
    Trip { depart: Timestamp, back: Timestamp },
    /// Some sign-ins through the corporate VPN exiting in Portland.
    VpnExit { ip: String },
    /// A new phone from `at` on (the Authenticator was re-registered).
    NewPhone { at: Timestamp, phone: Device },
}

/// Flight plus airport time: nothing is logged this long after each leg starts.
const FLIGHT_GAP: Duration = Duration::hours(18);

/// The shape of someone's ordinary history.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    pub from: Timestamp,
    pub until: Timestamp,
    pub turn: Option<Turn>,
}

/// From `at` on, the person's sign-ins stop working.
#[derive(Debug, Clone, Copy)]
pub(super) struct Turn {
    pub at: Timestamp,
    /// What interactive attempts get.
    pub interactive: Outcome,
    /// What token refreshes get: `None` = no refreshes happen, `Some(Success)` = unaffected.
    pub refresh: Option<Outcome>,
    /// Identity Protection's view of the failing sign-ins.
    pub risk: Option<Risk>,
}

struct Slot {
    at: Timestamp,
    interactive: bool,
    app: &'static AppRef,
    net: (String, u32, &'static Place),
    phone: bool,
    full_mfa: bool,
    typo: bool,
}

/// Generates someone's ordinary history into `out`; returns the familiar set (countries and IPs
/// of the successful sign-ins).
pub(super) fn ordinary(
    rng: &mut StdRng,
    who: &Who,
    habits: &Habits,
    plan: &Plan,
    out: &mut Vec<SignIn>,
) -> IndexSet<String> {
    let mut slots = day_slots(rng, habits, habits.office, plan);
    match &habits.lookalike {
        Some(Lookalike::Trip { depart, back }) => {
            let (depart, back) = (*depart, *back);
            slots.retain(|s| s.at < depart || s.at >= back + FLIGHT_GAP);
            let mut abroad = day_slots(rng, habits, &LONDON_OFFICE, plan);
            abroad.retain(|s| s.at >= depart + FLIGHT_GAP && s.at < back);
            for s in &mut abroad {
                let ip = LONDON_OFFICE.egress_ip(rng);
                s.net = (ip, LONDON_OFFICE.egress_asn, LONDON_OFFICE.place);
            }
            slots.extend(abroad);
        }
        Some(Lookalike::VpnExit { ip }) => {
            slots.sort_by_key(|s| s.at);
            let times: Vec<Timestamp> = slots.iter().map(|s| s.at).collect();
            let quiet = Duration::minutes(45);
            for (i, s) in slots.iter_mut().enumerate() {
                let before = i.checked_sub(1).map(|j| s.at - times[j]);
                let after = times.get(i + 1).map(|t| *t - s.at);
                let isolated =
                    before.is_none_or(|d| d >= quiet) && after.is_none_or(|d| d >= quiet);
                if isolated && s.interactive && !s.typo && rng.random_bool(0.3) {
                    s.net = (ip.clone(), PORTLAND_VPN.asn, PORTLAND_VPN.place);
                }
            }
        }
        _ => {}
    }
    slots.sort_by_key(|s| s.at);

    let mut familiar = IndexSet::new();
    for slot in &slots {
        let device = match &habits.lookalike {
            Some(Lookalike::NewPhone { at, phone }) if slot.phone && slot.at >= *at => phone,
            _ if slot.phone => &habits.phone,
            _ => &habits.laptop,
        };
        let turned = plan.turn.filter(|t| slot.at >= t.at);
        let turn_risk = turned.and_then(|t| t.risk);
        let outcome = match (turned, slot.interactive) {
            (Some(t), true) => t.interactive,
            (Some(t), false) => match t.refresh {
                Some(o) => o,
                None => continue,
            },
            (None, true) if slot.full_mfa => Outcome::Success(Some(habits.mfa)),
            (None, _) => Outcome::Success(None),
        };
        let net = (slot.net.0.as_str(), slot.net.1, slot.net.2);
        let mut attempt = Attempt::new(slot.at, slot.app, net, device, outcome);
        attempt.interactive = slot.interactive;
        attempt.risk = turn_risk.as_ref();
        if slot.typo && turned.is_none() {
            let typo_at = slot.at - Duration::seconds(rng.random_range(20..=90));
            let typo = Attempt::new(typo_at, slot.app, net, device, Outcome::BadPassword);
            out.push(sign_in(rng, who, &typo));
            attempt.outcome = Outcome::Success(Some(habits.mfa));
        }
        if turned.is_some() && slot.interactive && rng.random_bool(0.4) {
            // Tries again a minute later, with the same result.
            let at = slot.at + Duration::seconds(rng.random_range(40..=150));
            let mut again = Attempt::new(at, slot.app, net, device, outcome);
            again.risk = attempt.risk;
            out.push(sign_in(rng, who, &again));
        }
        if matches!(attempt.outcome, Outcome::Success(_)) {
            familiar.insert(slot.net.2.country.to_owned());
            familiar.insert(slot.net.0.clone());
        }
        out.push(sign_in(rng, who, &attempt));
    }
    familiar
}

/// Workday sign-ins in `office`'s local hours, plus phone token refreshes, within the plan.
fn day_slots(rng: &mut StdRng, habits: &Habits, office: &'static Office, plan: &Plan) -> Vec<Slot> {
    let offset = Duration::hours(office.place.utc_offset);
    let now = plan.until;
    let mut slots = Vec::new();
    for back in 0..=super::HISTORY_DAYS {
        let local_day = (now + offset - Duration::days(back)).date();
        let midnight = local_day.midnight().assume_utc() - offset;
        let workday = !matches!(local_day.weekday(), Weekday::Saturday | Weekday::Sunday);
        let interactive = if workday {
            rng.random_range(1..=3)
        } else {
            u32::from(rng.random_bool(0.08))
        };
        for k in 0..interactive {
            let at = midnight + Duration::seconds(rng.random_range(8 * 3600..18 * 3600));
            let at_home = !workday || rng.random_bool(0.3);
            let net = if at_home {
                habits.home.clone()
            } else {
                (habits.office_ip.clone(), office.egress_asn, office.place)
            };
            let app = if habits.admin && rng.random_bool(0.2) {
                &AZURE_PORTAL
            } else {
                *pick(
                    rng,
                    &[&OFFICE_HOME, &EXCHANGE, &TEAMS, &SHAREPOINT, &OFFICE_HOME],
                )
            };
            slots.push(Slot {
                at,
                interactive: true,
                app,
                net,
                phone: rng.random_bool(0.12),
                full_mfa: k == 0 && rng.random_bool(0.6),
                typo: rng.random_bool(0.04),
            });
        }
        let refreshes = if workday {
            rng.random_range(1..=3)
        } else {
            rng.random_range(0..=1)
        };
        for _ in 0..refreshes {
            let at = midnight + Duration::seconds(rng.random_range(7 * 3600..22 * 3600));
            slots.push(Slot {
                at,
                interactive: false,
                app: if rng.random_bool(0.5) {
                    &TEAMS
                } else {
                    &EXCHANGE
                },
                net: habits.mobile.clone(),
                phone: true,
                full_mfa: false,
                typo: false,
            });
        }
    }
    slots.retain(|s| s.at >= plan.from && s.at < plan.until);
    slots
}

/// A network as the tuple the builders pass around.
pub(super) fn on(net: &'static Net, rng: &mut StdRng) -> (String, u32, &'static Place) {
    (net.ip(rng), net.asn, net.place)
}

/// Fills each user's `signInActivity` from the log.
pub(super) fn fill_sign_in_activity(users: &mut IndexMap<String, UserRecord>, log: &[SignIn]) {
    let mut by_user: HashMap<&str, SignInActivity> = HashMap::new();
    // The log is sorted oldest first, so the last write wins.
    for s in log {
        let a = by_user.entry(s.user_id.as_str()).or_insert(SignInActivity {
            last_sign_in_date_time: None,
            last_sign_in_request_id: None,
            last_non_interactive_sign_in_date_time: None,
            last_non_interactive_sign_in_request_id: None,
            last_successful_sign_in_date_time: None,
            last_successful_sign_in_request_id: None,
        });
        if s.is_interactive {
            a.last_sign_in_date_time = Some(s.created_date_time);
            a.last_sign_in_request_id = Some(s.id.clone());
        } else {
            a.last_non_interactive_sign_in_date_time = Some(s.created_date_time);
            a.last_non_interactive_sign_in_request_id = Some(s.id.clone());
        }
        if s.status.error_code == 0 {
            a.last_successful_sign_in_date_time = Some(s.created_date_time);
            a.last_successful_sign_in_request_id = Some(s.id.clone());
        }
    }
    for (id, activity) in by_user {
        if let Some(user) = users.get_mut(id) {
            user.user.sign_in_activity = Some(activity);
        }
    }
}
