//! Which tenant a command acts on: the one configured (environment or `config.json` in the data
//! directory), or, with none, the embedded emulator with the Contoso demo tenant, started
//! in-process on `127.0.0.1:0` and persisted in the data directory between invocations.

use anyhow::Context;
use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};

use crate::home::Home;

/// The tenant a command talks to.
#[derive(Debug)]
pub struct Tenant {
    pub graph: GraphClient,
    /// The default acting principal (`--as`).
    pub default_actor: String,
    pub sms_gateway: Option<url::Url>,
    pub sender_mailbox: Option<String>,
    /// The accepted tenant profile (`keydesk discover --accept`), if any.
    pub profile: Option<keydesk_ops::discover::TenantProfile>,
    embedded: Option<RunningEmulator>,
}

impl Tenant {
    /// Connects to the configured tenant, or starts the embedded demo.
    pub async fn connect(home: &Home) -> anyhow::Result<Tenant> {
        let mut tenant = Tenant::open(home).await?;
        tenant.profile = crate::connect_cmd::load_profile(home)?;
        Ok(tenant)
    }

    async fn open(home: &Home) -> anyhow::Result<Tenant> {
        let config_file = home.root().join("config.json");
        let sms_gateway = std::env::var("KEYDESK_SMS_GATEWAY")
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| v.parse())
            .transpose()
            .context("KEYDESK_SMS_GATEWAY is not a URL")?;
        let sender_mailbox = std::env::var("KEYDESK_SENDER")
            .ok()
            .filter(|v| !v.is_empty());
        if std::env::var_os("KEYDESK_TENANT_ID").is_some() {
            let config = GraphConfig::from_env()
                .context("reading the tenant configuration from the environment")?;
            return Tenant::configured(config, sms_gateway, sender_mailbox);
        }
        if config_file.exists() {
            let config = GraphConfig::from_json_file(&config_file)
                .with_context(|| format!("reading {}", config_file.display()))?;
            return Tenant::configured(config, sms_gateway, sender_mailbox);
        }
        Tenant::embedded(home).await
    }

    fn configured(
        config: GraphConfig,
        sms_gateway: Option<url::Url>,
        sender_mailbox: Option<String>,
    ) -> anyhow::Result<Tenant> {
        Ok(Tenant {
            graph: GraphClient::new(config).context("building the Graph client")?,
            default_actor: std::env::var("KEYDESK_ACTOR").unwrap_or_default(),
            sms_gateway,
            sender_mailbox,
            profile: None,
            embedded: None,
        })
    }

    async fn embedded(home: &Home) -> anyhow::Result<Tenant> {
        let path = home.demo_tenant_path();
        let emulator =
            Emulator::persistent(&path, &SeedConfig::default(), SimulationConfig::default())
                .with_context(|| format!("loading the demo tenant from {}", path.display()))?;
        let running = emulator
            .serve("127.0.0.1:0".parse().context("loopback address")?)
            .await
            .context("starting the embedded emulator")?;
        let secret = emulator.add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))?;
        let config = GraphConfig::new(
            emulator.tenant_id(),
            KEYDESK_APP_ID,
            Credential::Secret(Secret::new(secret)),
        )?
        .with_authority_host(running.base_url.parse()?)?
        .with_graph_base(running.graph_v1().parse()?)?;
        let sms_gateway = Some(format!("{}/_emulator/sms", running.base_url).parse()?);
        Ok(Tenant {
            graph: GraphClient::new(config)?,
            default_actor: format!("MeganB@{}", emulator.domain()),
            sms_gateway,
            sender_mailbox: None,
            profile: None,
            embedded: Some(running),
        })
    }

    /// The newest message the embedded demo's outbox holds (mail and texts keydesk sent), for
    /// the demo to show what the user's phone or mailbox received. `None` against a real tenant.
    pub async fn demo_last_message(&self) -> Option<serde_json::Value> {
        let running = self.embedded.as_ref()?;
        let body: serde_json::Value =
            reqwest::get(format!("{}/_emulator/outbox", running.base_url))
                .await
                .ok()?
                .json()
                .await
                .ok()?;
        body["value"].as_array()?.last().cloned()
    }

    /// keydesk_ops settings for this tenant: its SMS gateway and sender, the unlock setting from
    /// the environment, and the accepted tenant profile over the standard ones.
    pub fn settings(&self) -> keydesk_ops::Settings {
        let mut settings = keydesk_ops::Settings::standard();
        settings.sms_gateway = self.sms_gateway.clone();
        settings.sender_mailbox = self.sender_mailbox.clone();
        settings.unlock_any_account = crate::approvals_cmd::unlock_any_account();
        if let Some(profile) = &self.profile {
            profile.apply(&mut settings);
        }
        settings
    }

    /// The embedded emulator's base URL (demo only).
    pub fn emulator_url(&self) -> Option<String> {
        self.embedded.as_ref().map(|r| r.base_url.clone())
    }

    pub fn is_demo(&self) -> bool {
        self.embedded.is_some()
    }

    /// Stops the embedded emulator, saving the demo tenant.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(running) = self.embedded {
            running.shutdown().await.context("saving the demo tenant")?;
        }
        Ok(())
    }
}
