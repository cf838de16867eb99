//! JohannaL's compromise, as the logs show it.
//!
//! Three days ago she opens a phishing link and reaches Mail Helper Pro's consent prompt (the
//! app's service principal is added to the tenant; she does not consent). Yesterday she signs
//! in at home in Munich; twenty minutes later someone with her password pushes MFA prompts from
//! a Singapore VPS, she declines several, then approves one: the attacker is in, on an unknown
//! Linux/Firefox browser, less than an hour after her own sign-in 9,700 km away. Minutes later
//! the attacker registers a UK mobile number as her phone method and consents to Mail Helper Pro
//! (mail read/write/send, offline access), whose backend has been refreshing tokens from a cloud
//! host ever since. Identity Protection flags unfamiliar features and atypical travel.

use rand::RngExt;
use serde_json::json;
use time::Duration;

use super::Scenes;
use crate::model::Timestamp;
use crate::seed::directory::{grant_id, sp_id};
use crate::seed::evidence::{Detection, by_user, fmt, kv, prop, target_sp, target_user};
use crate::seed::places::{self, ATTACKER_NET, MAIL_HELPER_NET};
use crate::seed::signins::{self, Attempt, Outcome, Risk, Who};
use crate::seed::{Member, apps, random_id};

impl Scenes<'_> {
    /// Compromise: impossible travel, MFA fatigue, new device, attacker phone, illicit consent.
    pub(super) fn johanna(&mut self, p: Member<'_>) {
        let Some(h) = p.habits else { return };
        let who = Who::of(p.record);
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
                    "[{{\"AddressType\":0,\"Address\":\"{reply}\",\"ReplyAddressClientType\":1,\
                     \"ReplyAddressIndex\":null,\"IsReplyAddressDefault\":false}}]"
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
            by_user(p.record, &h.home.0),
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
        let mut audit = self.audit(
            registered,
            (
                "Authentication Methods",
                "UserManagement",
                "User registered security info",
                "Add",
            ),
            by_user(p.record, &ip),
            vec![target_user(p.record, Vec::new())],
            vec![
                kv("Method", "Mobile Phone SMS"),
                kv("User-Agent", &device.user_agent),
            ],
        );
        audit.result_reason = "User registered Mobile Phone SMS".to_owned();
        self.log.directory_audits.push(audit);

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
        let unfamiliar = Detection {
            kind: "unfamiliarFeatures",
            timing: "realtime",
            activity_at: t.johanna_breach,
            detected_at: t.johanna_breach,
            sign_in: (&breach_id, &breach_corr),
            ip: &ip,
            location: &singapore,
            info: json!([{"Key": "userAgent", "Value": device.user_agent}]),
        };
        let unfamiliar = self.detection(p.record, unfamiliar);
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
        let travel = Detection {
            kind: "unlikelyTravel",
            timing: "offline",
            activity_at: t.johanna_breach,
            detected_at: detected,
            sign_in: (&breach_id, &breach_corr),
            ip: &ip,
            location: &singapore,
            info: travel_info,
        };
        let travel = self.detection(p.record, travel);
        self.risky(p.record, "medium", &[&unfamiliar, &travel]);
        self.log.risk_detections.push(unfamiliar);
        self.log.risk_detections.push(travel);
    }

    /// "Consent to application" and "Add delegated permission grant", as Entra logs a user
    /// consent.
    fn consent(&mut self, p: Member<'_>, ip: &str, user_agent: &str, at: Timestamp) {
        let client = sp_id(apps::MAIL_HELPER_PRO_APP_ID);
        let graph = sp_id(apps::GRAPH_APP_ID);
        let user_id = &p.record.user.id;
        let grant = grant_id(&client, &graph, Some(user_id));
        let scope = apps::MAIL_HELPER_PRO_SCOPE;
        let permissions = format!(
            "\"[] => [[Id: {grant}, ClientId: {client}, PrincipalId: {user_id}, \
             ResourceId: {graph}, ConsentType: Principal, Scope: {scope}, CreatedDateTime: , \
             LastModifiedDateTime ]]; \""
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
            by_user(p.record, ip),
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
            by_user(p.record, ip),
            vec![
                target_sp(&graph, "Microsoft Graph", props),
                target_sp(&client, "Mail Helper Pro", Vec::new()),
            ],
            details,
        );
        self.log.directory_audits.push(audit);
    }
}
