//! The stories: everyone's ordinary history, then each cast member's scenario as the logs show
//! it (sign-ins, directory audits, Identity Protection records), on one [`Timeline`] relative
//! to `now`: AlexW's smart lockout, AdeleV's disabling, DiegoS's leaked credentials, IsaiahL's
//! expired password, HenriettaM's missing MFA, routine password changes and the benign new
//! phone here; JohannaL's compromise in `compromise`.

mod compromise;

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::json;
use time::Duration;

use super::directory::group_id;
use super::evidence::{self, Detection, by_user, kv, prop, target_user};
use super::history::{self, Lookalike};
use super::places::{self, SPRAY_NET};
use super::signins::{self, Attempt, Outcome, Risk, Who};
use super::{Ctx, Log, Member, People, random_id};
use crate::model::{
    AuditActor, DirectoryAudit, KeyValue, RiskDetection, TargetResource, Timestamp, UserRecord,
};

/// When each scenario's events happen.
pub(super) struct Timeline {
    pub alex_burst: Timestamp,
    /// Failures smart lockout counted (repeated bad passwords do not count again).
    pub alex_failures: u32,
    pub alex_locked_until: Timestamp,
    pub adele_disabled: Timestamp,
    pub diego_leaked: Timestamp,
    pub diego_detected: Timestamp,
    pub isaiah_expired: Timestamp,
    pub henrietta_created: Timestamp,
    pub mail_helper_added: Timestamp,
    pub johanna_home: Timestamp,
    pub johanna_burst: Timestamp,
    pub johanna_breach: Timestamp,
}

impl Timeline {
    pub fn new(ctx: &Ctx) -> Self {
        let ago = |m: i64| ctx.now - Duration::minutes(m);
        let johanna_home = ago(19 * 60);
        Timeline {
            alex_burst: ago(24),
            alex_failures: 10,
            alex_locked_until: ctx.now + Duration::minutes(20),
            adele_disabled: ago(5 * 1440 + 190),
            diego_leaked: ago(2 * 1440 + 370),
            diego_detected: ago(1440 + 480),
            isaiah_expired: ago(2 * 1440 + 60),
            henrietta_created: ago(8 * 1440 + 130),
            mail_helper_added: ago(3 * 1440 + 300),
            johanna_home,
            johanna_burst: johanna_home + Duration::minutes(21),
            johanna_breach: johanna_home + Duration::minutes(36),
        }
    }
}

/// Writes all history into `log`.
pub(super) fn run(ctx: &Ctx, people: &mut People, log: &mut Log) {
    for (i, p) in people.info.iter().enumerate() {
        let (Some(habits), Some(plan), Some(record)) = (
            &p.habits,
            &p.plan,
            people.users.get_index_mut(i).map(|(_, r)| r),
        ) else {
            continue;
        };
        let mut rng = ctx.rng("history", i as u64);
        let who = Who::of(record);
        record.familiar_ips = history::ordinary(&mut rng, &who, habits, plan, &mut log.sign_ins);
    }
    let people = &*people;
    let t = Timeline::new(ctx);
    let idx = people.cast_index();
    let get = |local: &str| idx.get(local).map(|&i| people.member(i));
    let mut rng = ctx.rng("scenarios", 0);
    let mut s = Scenes {
        ctx,
        t: &t,
        rng: &mut rng,
        log,
    };
    if let Some(p) = get("AlexW") {
        s.alex(p);
    }
    if let (Some(p), Some(admin)) = (get("AdeleV"), get("MeganB")) {
        s.adele(p, admin);
    }
    if let Some(p) = get("DiegoS") {
        s.diego(p);
    }
    if let Some(p) = get("IsaiahL") {
        s.repeat(p, Outcome::PasswordExpired, &[170, 163]);
    }
    if let (Some(p), Some(admin), Some(owner)) = (get("HenriettaM"), get("MeganB"), get("DavidP")) {
        s.henrietta(p, admin, owner);
    }
    if let Some(p) = get("JohannaL") {
        s.johanna(p);
    }
    for p in people.members() {
        s.routine_audits(p);
    }
}

/// The scenario writer: the clock, the timeline, a random stream and the log being written.
struct Scenes<'a> {
    ctx: &'a Ctx,
    t: &'a Timeline,
    rng: &'a mut StdRng,
    log: &'a mut Log,
}

impl Scenes<'_> {
    fn push(&mut self, who: &Who, attempt: &Attempt<'_>) -> (String, String) {
        let s = signins::sign_in(self.rng, who, attempt);
        let ids = (s.id.clone(), s.correlation_id.clone());
        self.log.sign_ins.push(s);
        ids
    }

    /// Smart lockout: a spray script guesses from a Bucharest VPS until 50053.
    fn alex(&mut self, p: Member<'_>) {
        let who = Who::of(p.record);
        let tool = places::spray_tool();
        let ip = SPRAY_NET.ip(self.rng);
        let net = (ip.as_str(), SPRAY_NET.asn, SPRAY_NET.place);
        let mut at = self.t.alex_burst;
        for k in 0..20 {
            let outcome = if k < 12 {
                Outcome::BadPassword
            } else {
                Outcome::Locked
            };
            let mut a = Attempt::new(at, &signins::EXCHANGE, net, &tool, outcome);
            a.protocol = "ropc";
            self.push(&who, &a);
            at += Duration::seconds(if k < 12 {
                self.rng.random_range(8..=20)
            } else {
                60
            });
        }
    }

    /// Disabled by Megan five days ago; the phone and the user keep trying.
    fn adele(&mut self, p: Member<'_>, admin: Member<'_>) {
        let Some(h) = admin.habits else { return };
        let admin_who = Who::of(admin.record);
        let at = self.t.adele_disabled - Duration::minutes(6);
        let net = (h.office_ip.as_str(), h.office.egress_asn, h.office.place);
        let a = Attempt::new(
            at,
            &signins::AZURE_PORTAL,
            net,
            &h.laptop,
            Outcome::Success(Some(h.mfa)),
        );
        self.push(&admin_who, &a);
        let change = vec![
            prop("AccountEnabled", "[true]", "[false]"),
            prop("Included Updated Properties", "", "\"AccountEnabled\""),
        ];
        let audit = self.audit(
            self.t.adele_disabled,
            (
                "Core Directory",
                "UserManagement",
                "Disable account",
                "Update",
            ),
            by_user(admin.record, &h.office_ip),
            vec![target_user(p.record, change)],
            vec![kv("UserType", "Member")],
        );
        self.log.directory_audits.push(audit);
        self.repeat(p, Outcome::Disabled, &[26 * 60, 25 * 60 + 57, 200]);
    }

    /// Leaked credentials: high user risk, sign-ins blocked by the risk policy.
    fn diego(&mut self, p: Member<'_>) {
        let who = Who::of(p.record);
        let risk = Risk {
            during_sign_in: "high",
            aggregated: "high",
            state: "atRisk",
            event_types: &[],
        };
        if let Some(h) = p.habits {
            let home = (h.home.0.as_str(), h.home.1, h.home.2);
            let mut a = Attempt::new(
                self.ctx.now - Duration::minutes(20 * 60),
                &signins::OFFICE_HOME,
                home,
                &h.laptop,
                Outcome::ProofUpBlocked,
            );
            a.risk = Some(&risk);
            self.push(&who, &a);
        }
        self.repeat_with(p, Outcome::RiskBlocked, &[95, 93], Some(risk));
        let detection = RiskDetection {
            id: random_id(self.rng),
            request_id: None,
            correlation_id: None,
            risk_event_type: "leakedCredentials".to_owned(),
            risk_state: "atRisk".to_owned(),
            risk_level: "high".to_owned(),
            risk_detail: "none".to_owned(),
            source: "IdentityProtection".to_owned(),
            detection_timing_type: "offline".to_owned(),
            activity: "user".to_owned(),
            token_issuer_type: "AzureAD".to_owned(),
            ip_address: None,
            location: None,
            activity_date_time: self.t.diego_leaked,
            detected_date_time: self.t.diego_detected,
            last_updated_date_time: self.t.diego_detected,
            user_id: who.id.clone(),
            user_display_name: who.display_name.clone(),
            user_principal_name: p.record.user.user_principal_name.clone(),
            additional_info: Some(json!([{"Key": "alertUrl", "Value": null}]).to_string()),
        };
        self.risky(p.record, "high", &[&detection]);
        self.log.risk_detections.push(detection);
    }

    /// A new hire with no MFA method: every sign-in stops at 50079.
    fn henrietta(&mut self, p: Member<'_>, admin: Member<'_>, owner: Member<'_>) {
        let created = self.t.henrietta_created;
        if let Some(h) = admin.habits {
            let props = vec![
                prop("AccountEnabled", "", "[true]"),
                prop("DisplayName", "", "[\"Henrietta Mueller\"]"),
                prop(
                    "UserPrincipalName",
                    "",
                    &format!("[\"{}\"]", p.record.user.user_principal_name),
                ),
                prop("UserType", "", "[\"Member\"]"),
            ];
            let audit = self.audit(
                created,
                ("Core Directory", "UserManagement", "Add user", "Add"),
                by_user(admin.record, &h.office_ip),
                vec![target_user(p.record, props)],
                vec![kv("UserType", "Member")],
            );
            self.log.directory_audits.push(audit);
        }
        if let Some(h) = owner.habits {
            let mut group = TargetResource {
                id: group_id("All-Engineering"),
                display_name: Some("All-Engineering".to_owned()),
                kind: "Group".to_owned(),
                user_principal_name: None,
                group_type: Some("unifiedGroups".to_owned()),
                modified_properties: vec![prop("Group.DisplayName", "", "\"All-Engineering\"")],
            };
            group.modified_properties.push(prop(
                "Group.ObjectID",
                "",
                &format!("\"{}\"", group.id),
            ));
            let audit = self.audit(
                created + Duration::minutes(42),
                (
                    "Core Directory",
                    "GroupManagement",
                    "Add member to group",
                    "Assign",
                ),
                by_user(owner.record, &h.office_ip),
                vec![target_user(p.record, Vec::new()), group],
                Vec::new(),
            );
            self.log.directory_audits.push(audit);
        }
        self.repeat(p, Outcome::MfaRegistrationRequired, &[240, 238]);
    }

    /// Password changes within the window and the benign new-phone registration.
    fn routine_audits(&mut self, p: Member<'_>) {
        let (Some(h), Some(plan)) = (p.habits, p.plan) else {
            return;
        };
        if let Some(changed) = p.record.user.last_password_change_date_time
            && changed > plan.from
            && changed < self.ctx.now
            && changed > p.record.user.created_date_time
        {
            let audit = self.audit(
                changed,
                (
                    "Core Directory",
                    "UserManagement",
                    "Change user password",
                    "Update",
                ),
                by_user(p.record, &h.home.0),
                vec![target_user(p.record, Vec::new())],
                vec![kv("UserType", "Member")],
            );
            self.log.directory_audits.push(audit);
        }
        if let Some(Lookalike::NewPhone { at, phone }) = &h.lookalike {
            let ua = phone.user_agent.clone();
            for (offset, activity, reason) in [
                (
                    0,
                    "User registered security info",
                    "User registered Authenticator App with Notification and Code",
                ),
                (
                    4,
                    "User deleted security info",
                    "User deleted Authenticator App with Notification and Code",
                ),
            ] {
                let mut audit = self.audit(
                    *at + Duration::minutes(offset),
                    (
                        "Authentication Methods",
                        "UserManagement",
                        activity,
                        if offset == 0 { "Add" } else { "Delete" },
                    ),
                    by_user(p.record, &h.office_ip),
                    vec![target_user(p.record, Vec::new())],
                    vec![kv("User-Agent", &ua)],
                );
                audit.result_reason = reason.to_owned();
                self.log.directory_audits.push(audit);
            }
        }
    }

    /// A few more attempts `minutes_ago`, from home, ending in `outcome`.
    fn repeat(&mut self, p: Member<'_>, outcome: Outcome, minutes_ago: &[i64]) {
        self.repeat_with(p, outcome, minutes_ago, None);
    }

    fn repeat_with(
        &mut self,
        p: Member<'_>,
        outcome: Outcome,
        minutes_ago: &[i64],
        risk: Option<Risk>,
    ) {
        let Some(h) = p.habits else { return };
        let who = Who::of(p.record);
        for m in minutes_ago {
            let home = (h.home.0.as_str(), h.home.1, h.home.2);
            let mut a = Attempt::new(
                self.ctx.now - Duration::minutes(*m),
                &signins::OFFICE_HOME,
                home,
                &h.laptop,
                outcome,
            );
            a.risk = risk.as_ref();
            self.push(&who, &a);
        }
    }

    fn detection(&mut self, record: &UserRecord, d: Detection<'_>) -> RiskDetection {
        evidence::detection(self.rng, record, d)
    }

    fn risky(&mut self, record: &UserRecord, level: &str, detections: &[&RiskDetection]) {
        if let Some(risky) = evidence::risky_user(record, level, detections) {
            self.log.risky_users.insert(record.user.id.clone(), risky);
        }
    }

    fn audit(
        &mut self,
        at: Timestamp,
        kind: (&str, &str, &str, &str),
        initiated_by: AuditActor,
        targets: Vec<TargetResource>,
        details: Vec<KeyValue>,
    ) -> DirectoryAudit {
        evidence::audit(self.rng, at, kind, initiated_by, targets, details)
    }
}
