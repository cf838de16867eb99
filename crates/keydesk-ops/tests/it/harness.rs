//! A fresh demo tenant served on loopback, and keydesk's operations bound to it.

use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};
use keydesk_ops::directory::NewUserRequest;
use keydesk_ops::{Ops, Settings};
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
    http: reqwest::Client,
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
        let emulator = Emulator::demo(&seed, simulation);
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
        let ops = Ops::new(graph, settings, upn("MeganB"));
        World {
            ops,
            emulator,
            running,
            http: reqwest::Client::new(),
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
