//! The stories: everyone's ordinary history, then each cast member's scenario as the logs show
//! it (sign-ins, directory audits, Identity Protection records), on one [`Timeline`] relative
//! to `now`.
//!
//! JohannaL's compromise, in order: three days ago she opens a phishing link and reaches Mail
//! Helper Pro's consent prompt (the app's service principal is added to the tenant; she does not
//! consent). Yesterday she signs in at home in Munich; twenty minutes later someone with her
//! password pushes MFA prompts from a Singapore VPS, she declines several, then approves one:
//! the attacker is in, on an unknown Linux/Firefox browser, less than an hour after her own
//! sign-in 9,700 km away. Minutes later the attacker registers a UK mobile number as her phone
//! method and consents to Mail Helper Pro (mail read/write/send, offline access), whose backend
//! has been refreshing tokens from a cloud host ever since.

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::json;
use time::Duration;

use super::directory::{grant_id, group_id, sp_id};
use super::places::{self, ATTACKER_NET, MAIL_HELPER_NET, SPRAY_NET};
use super::signins::{self, Attempt, Lookalike, Outcome, Risk, Who};
use super::{Ctx, Log, Person, apps, index_by_local, random_id};
use crate::model::{
    AuditActor, AuditUserIdentity, DirectoryAudit, KeyValue, ModifiedProperty, RiskDetection,
    RiskUserActivity, RiskyUser, RiskyUserHistoryItem, RiskyUserRecord, SignInLocation,
    TargetResource, Timestamp, UserRecord,
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
pub(super) fn run(ctx: &Ctx, people: &mut [Person], log: &mut Log) {
    for (i, p) in people.iter_mut().enumerate() {
        let (Some(habits), Some(plan)) = (&p.habits, &p.plan) else {
            continue;
        };
        let mut rng = ctx.rng("history", i as u64);
        let who = Who::of(&p.record);
        p.record.familiar_ips = signins::ordinary(&mut rng, &who, habits, plan, &mut log.sign_ins);
    }
    let t = Timeline::new(ctx);
    let idx = index_by_local(people);
    let get = |local: &str| idx.get(local).map(|&i| &people[i]);
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
    for p in people.iter() {
        s.routine_audits(p);
    }
}

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
    fn alex(&mut self, p: &Person) {
        let who = Who::of(&p.record);
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
    fn adele(&mut self, p: &Person, admin: &Person) {
        let Some(h) = &admin.habits else { return };
        let admin_who = Who::of(&admin.record);
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
            by_user(&admin.record, &h.office_ip),
            vec![target_user(&p.record, change)],
            vec![kv("UserType", "Member")],
        );
        self.log.directory_audits.push(audit);
        self.repeat(p, Outcome::Disabled, &[26 * 60, 25 * 60 + 57, 200]);
    }

    /// Leaked credentials: high user risk, sign-ins blocked by the risk policy.
    fn diego(&mut self, p: &Person) {
        let who = Who::of(&p.record);
        let risk = Risk {
            during_sign_in: "high",
            aggregated: "high",
            state: "atRisk",
            event_types: &[],
        };
        if let Some(h) = &p.habits {
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
        self.risky(&p.record, "high", &[&detection]);
        self.log.risk_detections.push(detection);
    }

    /// A new hire with no MFA method: every sign-in stops at 50079.
    fn henrietta(&mut self, p: &Person, admin: &Person, owner: &Person) {
        let created = self.t.henrietta_created;
        if let Some(h) = &admin.habits {
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
                by_user(&admin.record, &h.office_ip),
                vec![target_user(&p.record, props)],
                vec![kv("UserType", "Member")],
            );
            self.log.directory_audits.push(audit);
        }
        if let Some(h) = &owner.habits {
            let mut group = TargetResource {
                id: group_id("All-Engineering"),
                display_name: Some("All-Engineering".to_owned()),
                kind: "Group".to_owned(),
                user_principal_name: None,
                group_type: Some("unifiedGroup".to_owned()),
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
                by_user(&owner.record, &h.office_ip),
                vec![target_user(&p.record, Vec::new()), group],
                Vec::new(),
            );
            self.log.directory_audits.push(audit);
        }
        self.repeat(p, Outcome::MfaRegistrationRequired, &[240, 238]);
    }

    /// Compromise: impossible travel, MFA fatigue, new device, attacker phone, illicit consent.
    fn johanna(&mut self, p: &Person) {
        let Some(h) = &p.habits else { return };
        let who = Who::of(&p.record);
        let t = self.t;
        // Three days ago: the phishing link provisions Mail Helper Pro's service principal.
        let mhp_sp = sp_id(apps::MAIL_HELPER_PRO_APP_ID);
        let reply = "https://mail-helper-pro.web.app/auth/callback";
        let props = vec![
            prop("AccountEnabled", "", "[true]"),
            prop(
                "AppAddress",
                "",
                &format!(
                    "[{{\"AddressType\":0,\"Address\":\"{reply}\",\"ReplyAddressClientType\":1,\"ReplyAddressIndex\":null,\"IsReplyAddressDefault\":false}}]"
                ),
            ),
            prop(
                "AppPrincipalId",
                "",
                &format!("[\"{}\"]", apps::MAIL_HELPER_PRO_APP_ID),
            ),
            prop("DisplayName", "", "[\"Mail Helper Pro\"]"),
            prop(
                "ServicePrincipalName",
                "",
                &format!("[\"{}\"]", apps::MAIL_HELPER_PRO_APP_ID),
            ),
        ];
        let audit = self.audit(
            t.mail_helper_added,
            (
                "Core Directory",
                "ApplicationManagement",
                "Add service principal",
                "Add",
            ),
            by_user(&p.record, &h.home.0),
            vec![target_sp(&mhp_sp, "Mail Helper Pro", props)],
            vec![
                kv("AppId", apps::MAIL_HELPER_PRO_APP_ID),
                kv("User-Agent", &h.laptop.user_agent),
            ],
        );
        self.log.directory_audits.push(audit);

        // Her own sign-in at home.
        let home = (h.home.0.as_str(), h.home.1, h.home.2);
        let a = Attempt::new(
            t.johanna_home,
            &signins::OFFICE_HOME,
            home,
            &h.laptop,
            Outcome::Success(Some(h.mfa)),
        );
        let (home_id, _) = self.push(&who, &a);

        // The attacker: MFA prompts declined, then one approved.
        let ip = ATTACKER_NET.ip(self.rng);
        let net = (ip.as_str(), ATTACKER_NET.asn, ATTACKER_NET.place);
        let device = places::attacker_browser();
        let session = random_id(self.rng);
        let risk = Risk {
            during_sign_in: "medium",
            aggregated: "medium",
            state: "atRisk",
            event_types: &["unfamiliarFeatures"],
        };
        let mut at = t.johanna_burst;
        for _ in 0..7 {
            let mut a = Attempt::new(
                at,
                &signins::OFFICE_HOME,
                net,
                &device,
                Outcome::MfaDenied(h.mfa),
            );
            a.risk = Some(&risk);
            a.session_id = Some(&session);
            self.push(&who, &a);
            at += Duration::seconds(self.rng.random_range(60..=95));
        }
        let mut a = Attempt::new(
            t.johanna_breach,
            &signins::OFFICE_HOME,
            net,
            &device,
            Outcome::Success(Some(h.mfa)),
        );
        a.risk = Some(&risk);
        a.session_id = Some(&session);
        let (breach_id, breach_corr) = self.push(&who, &a);

        // Persistence: the attacker's phone as her mobile method.
        let registered = t.johanna_breach + Duration::minutes(7);
        let audit = self.audit(
            registered,
            (
                "Authentication Methods",
                "UserManagement",
                "User registered security info",
                "Add",
            ),
            by_user(&p.record, &ip),
            vec![target_user(&p.record, Vec::new())],
            vec![
                kv("Method", "Mobile Phone SMS"),
                kv("User-Agent", &device.user_agent),
            ],
        );
        self.log.directory_audits.push(audit);
        if let Some(last) = self.log.directory_audits.last_mut() {
            last.result_reason = "User registered Mobile Phone SMS".to_owned();
        }

        // Consent to Mail Helper Pro from the attacker's session.
        let consented = t.johanna_breach + Duration::minutes(19);
        let mut a = Attempt::new(
            consented - Duration::seconds(30),
            &signins::MAIL_HELPER_PRO,
            net,
            &device,
            Outcome::Success(None),
        );
        a.risk = Some(&risk);
        a.session_id = Some(&session);
        self.push(&who, &a);
        self.consent(p, &ip, &device.user_agent, consented);

        // Mail Helper Pro's backend refreshing its tokens ever since.
        let backend = places::mail_helper_backend();
        let backend_ip = MAIL_HELPER_NET.ip(self.rng);
        let mut at = consented + Duration::minutes(self.rng.random_range(40..=70));
        while at < self.ctx.now {
            let net = (
                backend_ip.as_str(),
                MAIL_HELPER_NET.asn,
                MAIL_HELPER_NET.place,
            );
            let mut a = Attempt::new(
                at,
                &signins::MAIL_HELPER_PRO,
                net,
                &backend,
                Outcome::Success(None),
            );
            a.interactive = false;
            self.push(&who, &a);
            at += Duration::minutes(self.rng.random_range(110..=170));
        }

        // Identity Protection's view.
        let singapore = ATTACKER_NET.place.location();
        let unfamiliar = self.detection(
            &who,
            &p.record,
            "unfamiliarFeatures",
            "realtime",
            (t.johanna_breach, t.johanna_breach),
            (&breach_id, &breach_corr),
            &ip,
            &singapore,
            json!([{"Key": "userAgent", "Value": device.user_agent}]),
        );
        let munich = h.home.2;
        let travel_info = json!([
            {"Key": "userAgent", "Value": device.user_agent},
            {"Key": "relatedEventTimeInUtc", "Value": fmt(t.johanna_home)},
            {"Key": "relatedUserAgent", "Value": h.laptop.user_agent},
            {"Key": "relatedLocation", "Value": {
                "clientIP": h.home.0, "latitude": munich.latitude, "longitude": munich.longitude,
                "asn": h.home.1, "countryCode": munich.country, "countryName": "Germany",
                "state": munich.state, "city": munich.city}},
            {"Key": "relatedRequestId", "Value": home_id},
        ]);
        let detected = t.johanna_breach + Duration::minutes(170);
        let travel = self.detection(
            &who,
            &p.record,
            "unlikelyTravel",
            "offline",
            (t.johanna_breach, detected),
            (&breach_id, &breach_corr),
            &ip,
            &singapore,
            travel_info,
        );
        self.risky(&p.record, "medium", &[&unfamiliar, &travel]);
        self.log.risk_detections.push(unfamiliar);
        self.log.risk_detections.push(travel);
    }

    /// "Consent to application" and "Add delegated permission grant", as Entra logs a user
    /// consent.
    fn consent(&mut self, p: &Person, ip: &str, user_agent: &str, at: Timestamp) {
        let client = sp_id(apps::MAIL_HELPER_PRO_APP_ID);
        let graph = sp_id(apps::GRAPH_APP_ID);
        let user_id = &p.record.user.id;
        let grant = grant_id(&client, &graph, Some(user_id));
        let scope = apps::MAIL_HELPER_PRO_SCOPE;
        let permissions = format!(
            "\"[] => [[Id: {grant}, ClientId: {client}, PrincipalId: {user_id}, ResourceId: {graph}, \
             ConsentType: Principal, Scope: {scope}, CreatedDateTime: , LastModifiedDateTime ]]; \""
        );
        let props = vec![
            prop("ConsentContext.IsAdminConsent", "", "\"False\""),
            prop("ConsentContext.IsAppOnly", "", "\"False\""),
            prop("ConsentContext.OnBehalfOfAll", "", "\"False\""),
            prop(
                "ConsentContext.Tags",
                "",
                "\"WindowsAzureActiveDirectoryIntegratedApp\"",
            ),
            prop("ConsentAction.Permissions", "", &permissions),
            prop(
                "TargetId.ServicePrincipalNames",
                "",
                &format!("\"{}\"", apps::MAIL_HELPER_PRO_APP_ID),
            ),
        ];
        let details = vec![
            kv("User-Agent", user_agent),
            kv("AppId", apps::MAIL_HELPER_PRO_APP_ID),
        ];
        let audit = self.audit(
            at,
            (
                "Core Directory",
                "ApplicationManagement",
                "Consent to application",
                "Assign",
            ),
            by_user(&p.record, ip),
            vec![target_sp(&client, "Mail Helper Pro", props)],
            details.clone(),
        );
        self.log.directory_audits.push(audit);
        let props = vec![
            prop(
                "DelegatedPermissionGrant.Scope",
                "",
                &format!("\"{scope}\""),
            ),
            prop("DelegatedPermissionGrant.ConsentType", "", "\"Principal\""),
            prop("ServicePrincipal.ObjectID", "", &format!("\"{graph}\"")),
        ];
        let audit = self.audit(
            at,
            (
                "Core Directory",
                "ApplicationManagement",
                "Add delegated permission grant",
                "Assign",
            ),
            by_user(&p.record, ip),
            vec![
                target_sp(&graph, "Microsoft Graph", props),
                target_sp(&client, "Mail Helper Pro", Vec::new()),
            ],
            details,
        );
        self.log.directory_audits.push(audit);
    }

    /// Password changes within the window and the benign new-phone registration.
    fn routine_audits(&mut self, p: &Person) {
        let (Some(h), Some(plan)) = (&p.habits, &p.plan) else {
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
                by_user(&p.record, &h.home.0),
                vec![target_user(&p.record, Vec::new())],
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
                    by_user(&p.record, &h.office_ip),
                    vec![target_user(&p.record, Vec::new())],
                    vec![kv("User-Agent", &ua)],
                );
                audit.result_reason = reason.to_owned();
                self.log.directory_audits.push(audit);
            }
        }
    }

    /// A few more attempts `minutes_ago`, from home, ending in `outcome`.
    fn repeat(&mut self, p: &Person, outcome: Outcome, minutes_ago: &[i64]) {
        self.repeat_with(p, outcome, minutes_ago, None);
    }

    fn repeat_with(
        &mut self,
        p: &Person,
        outcome: Outcome,
        minutes_ago: &[i64],
        risk: Option<Risk>,
    ) {
        let Some(h) = &p.habits else { return };
        let who = Who::of(&p.record);
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

    #[allow(clippy::too_many_arguments)]
    fn detection(
        &mut self,
        who: &Who,
        record: &UserRecord,
        kind: &str,
        timing: &str,
        (activity, detected): (Timestamp, Timestamp),
        (request, correlation): (&str, &str),
        ip: &str,
        location: &SignInLocation,
        info: serde_json::Value,
    ) -> RiskDetection {
        RiskDetection {
            id: random_id(self.rng),
            request_id: Some(request.to_owned()),
            correlation_id: Some(correlation.to_owned()),
            risk_event_type: kind.to_owned(),
            risk_state: "atRisk".to_owned(),
            risk_level: "medium".to_owned(),
            risk_detail: "none".to_owned(),
            source: "IdentityProtection".to_owned(),
            detection_timing_type: timing.to_owned(),
            activity: "signin".to_owned(),
            token_issuer_type: "AzureAD".to_owned(),
            ip_address: Some(ip.to_owned()),
            location: Some(location.clone()),
            activity_date_time: activity,
            detected_date_time: detected,
            last_updated_date_time: detected,
            user_id: who.id.clone(),
            user_display_name: who.display_name.clone(),
            user_principal_name: record.user.user_principal_name.clone(),
            additional_info: Some(info.to_string()),
        }
    }

    /// The riskyUser record after `detections` (oldest first).
    fn risky(&mut self, record: &UserRecord, level: &str, detections: &[&RiskDetection]) {
        let u = &record.user;
        let mut history = Vec::new();
        for d in detections {
            history.push(RiskyUserHistoryItem {
                id: u.id.clone(),
                is_deleted: false,
                is_processing: false,
                risk_last_updated_date_time: d.detected_date_time,
                risk_level: level.to_owned(),
                risk_state: "atRisk".to_owned(),
                risk_detail: "none".to_owned(),
                user_display_name: u.display_name.clone(),
                user_principal_name: u.user_principal_name.clone(),
                user_id: u.id.clone(),
                initiated_by: None,
                activity: RiskUserActivity {
                    detail: "none".to_owned(),
                    risk_event_types: vec![d.risk_event_type.clone()],
                },
            });
        }
        let Some(last) = detections.last() else {
            return;
        };
        let risky_user = RiskyUser {
            id: u.id.clone(),
            is_deleted: false,
            is_processing: false,
            risk_last_updated_date_time: last.detected_date_time,
            risk_level: level.to_owned(),
            risk_state: "atRisk".to_owned(),
            risk_detail: "none".to_owned(),
            user_display_name: u.display_name.clone(),
            user_principal_name: u.user_principal_name.clone(),
        };
        self.log.risky_users.insert(
            u.id.clone(),
            RiskyUserRecord {
                risky_user,
                history,
            },
        );
    }

    fn audit(
        &mut self,
        at: Timestamp,
        (service, category, activity, operation): (&str, &str, &str, &str),
        initiated_by: AuditActor,
        targets: Vec<TargetResource>,
        details: Vec<KeyValue>,
    ) -> DirectoryAudit {
        let prefix = if service == "Core Directory" {
            "Directory"
        } else {
            "UserManagement"
        };
        DirectoryAudit {
            id: format!("{prefix}_{}", random_id(self.rng)),
            category: category.to_owned(),
            correlation_id: random_id(self.rng),
            result: "success".to_owned(),
            result_reason: String::new(),
            activity_display_name: activity.to_owned(),
            activity_date_time: at,
            logged_by_service: service.to_owned(),
            operation_type: operation.to_owned(),
            initiated_by,
            target_resources: targets,
            additional_details: details,
        }
    }
}

fn fmt(at: Timestamp) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn prop(name: &str, old: &str, new: &str) -> ModifiedProperty {
    ModifiedProperty {
        display_name: name.to_owned(),
        old_value: Some(old.to_owned()),
        new_value: Some(new.to_owned()),
    }
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

fn by_user(record: &UserRecord, ip: &str) -> AuditActor {
    AuditActor {
        user: Some(AuditUserIdentity {
            id: record.user.id.clone(),
            display_name: None,
            user_principal_name: Some(record.user.user_principal_name.clone()),
            ip_address: Some(ip.to_owned()),
        }),
        app: None,
    }
}

fn target_user(record: &UserRecord, modified: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: record.user.id.clone(),
        display_name: Some(record.user.display_name.clone()),
        kind: "User".to_owned(),
        user_principal_name: Some(record.user.user_principal_name.clone()),
        group_type: None,
        modified_properties: modified,
    }
}

fn target_sp(id: &str, name: &str, modified: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: id.to_owned(),
        display_name: Some(name.to_owned()),
        kind: "ServicePrincipal".to_owned(),
        user_principal_name: None,
        group_type: None,
        modified_properties: modified,
    }
}
