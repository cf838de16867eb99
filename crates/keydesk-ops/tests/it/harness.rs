//! A fresh demo tenant served on loopback, and keydesk's operations bound to it.

use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};
use keydesk_guard::{Authorization, Guard, GuardState, PlannedChange, Request};
use keydesk_ops::directory::NewUserRequest;
use keydesk_ops::guarded::{Actor, BulkGuard};
use keydesk_ops::{Mode, Ops, Settings};
use keydesk_policy::{
    Action, Origin, PolicyEngine, PolicySettings, Principal, PrincipalKind, Resource, TargetGroup,
    VerificationMode,
};
use serde_json::Value;

pub const DOMAIN: &str = "contoso.onmicrosoft.com";

pub fn upn(nick: &str) -> String {
    format!("{nick}@{DOMAIN}")
}

/// A new hire for the create-user tests: Noa Levi, R&D, reporting to DavidP.
#[allow(dead_code)]
pub fn noa() -> NewUserRequest {
    NewUserRequest {
        display_name: "Noa Levi".into(),
        upn: Some(upn("noa.levi")),
        given_name: Some("Noa".into()),
        surname: Some("Levi".into()),
        department: Some("R&D".into()),
        job_title: Some("Software Engineer".into()),
        manager: Some(upn("DavidP")),
        usage_location: Some("us".into()),
        ..NewUserRequest::default()
    }
}

pub struct World {
    pub ops: Ops,
    pub emulator: Emulator,
    pub running: RunningEmulator,
    /// The guard every execution goes through: the default policy in unrestricted mode with a
    /// budget large enough for the bulk tests, its audit log and state in a temporary SQLite.
    pub guard: Guard,
    /// MeganB (Global Administrator), as read from the directory.
    pub actor: Actor,
    http: reqwest::Client,
    _state: tempfile::TempDir,
}

impl World {
    pub async fn start() -> World {
        World::start_with(
            SeedConfig {
                background_users: 40,
                ..SeedConfig::default()
            },
            SimulationConfig::default(),
        )
        .await
    }

    pub async fn start_with(seed: SeedConfig, simulation: SimulationConfig) -> World {
        World::start_on(Emulator::demo(&seed, simulation)).await
    }

    /// A world on a given emulator (e.g. a demo tenant with edited state).
    pub async fn start_on(emulator: Emulator) -> World {
        let running = emulator
            .serve("127.0.0.1:0".parse().expect("loopback address"))
            .await
            .expect("emulator starts");
        let secret = emulator
            .add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))
            .expect("demo app exists");
        let config = GraphConfig::new(
            emulator.tenant_id(),
            KEYDESK_APP_ID,
            Credential::Secret(Secret::new(secret)),
        )
        .and_then(|c| c.with_authority_host(running.base_url.parse().expect("url")))
        .and_then(|c| c.with_graph_base(running.graph_v1().parse().expect("url")))
        .expect("valid config");
        let graph = GraphClient::new(config).expect("client builds");
        let mut settings = Settings::standard();
        settings.sms_gateway = Some(
            format!("{}/_emulator/sms", running.base_url)
                .parse()
                .expect("url"),
        );
        // MeganB holds keydesk's "unlock any account" permission (HenriettaM has no MFA).
        settings.unlock_any_account = vec![upn("MeganB").to_lowercase()];
        let ops = Ops::new(graph, settings, upn("MeganB"));
        let state = tempfile::tempdir().expect("a temporary directory");
        let location = state.path().join("keydesk.sqlite").display().to_string();
        let mut policy = PolicySettings::recommended();
        policy.verification_mode = VerificationMode::Unrestricted;
        policy.hourly_sensitive_budget = 1_000_000;
        let guard = Guard::new(
            PolicyEngine::with_default_policy(policy).expect("the default policy loads"),
            std::sync::Arc::from(keydesk_audit::open(&location).await.expect("audit opens")),
            GuardState::open(&location)
                .await
                .expect("guard state opens"),
        );
        let actor = Actor::read(&ops, &upn("MeganB"), Origin::Cli)
            .await
            .expect("MeganB's facts");
        World {
            ops,
            emulator,
            running,
            guard,
            actor,
            http: reqwest::Client::new(),
            _state: state,
        }
    }

    /// Executing mode for `action` on `nick` (a UPN for new users), authorized by the guard
    /// from the directory's facts; a privileged target's approval is given by PattiF.
    pub async fn execute(&self, action: Action, nick: &str) -> Mode {
        // Resolve as the operation will (a nickname, a display name...).
        let target = match keydesk_ops::resolve::user(&self.ops.graph, nick).await {
            Ok(user) => keydesk_ops::resolve::upn(&user).to_lowercase(),
            Err(_) if nick.contains('@') => nick.to_lowercase(),
            Err(_) => upn(nick).to_lowercase(),
        };
        let resource = match action {
            Action::CreateUser => Resource::Tenant,
            Action::GrantAccess | Action::RemoveAccess | Action::RequestAccess => {
                Resource::Group(TargetGroup {
                    name: "a test group".into(),
                    owners: vec![],
                    privileged: false,
                })
            }
            _ => match keydesk_ops::resolve::user(&self.ops.graph, &target).await {
                Ok(user) => keydesk_ops::facts::user_resource(&self.ops, &user)
                    .await
                    .expect("target facts"),
                // A user that doesn't exist: the operation itself reports it.
                Err(_) => Resource::Tenant,
            },
        };
        let request = Request {
            principal: self.actor.principal.clone(),
            resource,
            plan: PlannedChange {
                action,
                target: Some(target.clone()),
                summary: format!("test execution of {action} on {target}"),
                steps: vec![],
            },
            origin: Origin::Cli,
            on_behalf_of: None,
            profile_fields: vec![],
        };
        let mut authorization = self.guard.authorize(&request).await.expect("authorize");
        if let Authorization::Pending {
            approval: Some(approval),
            ..
        } = &authorization
        {
            let patti = Principal {
                upn: upn("PattiF"),
                kind: PrincipalKind::Operator,
                directory_roles: vec!["Privileged Authentication Administrator".into()],
                groups: vec![],
                unlock_any_account: false,
            };
            self.guard
                .decide(&approval.id, &patti, true, None)
                .await
                .expect("PattiF approves");
            authorization = self.guard.authorize(&request).await.expect("authorize");
        }
        match authorization {
            Authorization::Approved(approved) => Mode::Execute(std::sync::Arc::new(approved)),
            // Tests that expect the operation's own refusal (a synced user, an unknown one) get
            // it from the dry run; a test expecting a change sees "planned" and fails.
            other => {
                eprintln!("the guard did not authorize {action} on {target}: {other:?}");
                Mode::DryRun
            }
        }
    }

    /// A bulk run's guard for `inputs`.
    pub async fn bulk(&self, inputs: &[String]) -> BulkGuard<'_> {
        let plan = PlannedChange {
            action: Action::UnlockAccount,
            target: None,
            summary: format!("bulk unlock of {} users", inputs.len()),
            steps: inputs
                .iter()
                .map(|i| ("unlock_account".to_string(), i.clone()))
                .collect(),
        };
        BulkGuard {
            guard: &self.guard,
            actor: &self.actor,
            run: self.guard.begin_bulk(&plan).await.expect("begin bulk"),
        }
    }

    /// Messages delivered through `sendMail` or the SMS gateway.
    pub async fn outbox(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/_emulator/outbox", self.running.base_url))
            .send()
            .await
            .expect("outbox reachable")
            .json()
            .await
            .expect("outbox is JSON");
        body["value"].as_array().cloned().unwrap_or_default()
    }

    /// Simulates a sign-in attempt; returns its error code (used by the `secrets` test binary).
    #[allow(dead_code)]
    pub async fn sign_in(&self, nick: &str, password: &str, ip: &str) -> i64 {
        let body: Value = self
            .http
            .post(format!("{}/_emulator/signin", self.running.base_url))
            .json(&serde_json::json!({"userPrincipalName": upn(nick), "password": password, "ipAddress": ip}))
            .send()
            .await
            .expect("control plane reachable")
            .json()
            .await
            .expect("JSON");
        body["errorCode"].as_i64().expect("an error code")
    }

    /// The user's state, read straight from the emulated tenant (for verification in tests).
    pub fn user_state<T>(
        &self,
        nick: &str,
        read: impl FnOnce(&keydesk_graph_emu::model::UserRecord) -> T,
    ) -> T {
        let key = upn(nick);
        self.emulator
            .with_tenant(|t| read(t.user(&key).expect("user exists")))
    }
}
