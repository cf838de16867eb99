//! Support shared by keydesk's test suites (a dev-dependency; nothing here ships).

pub mod postgres {
    //! A PostgreSQL database of a test's own, on the server `KEYDESK_TEST_POSTGRES_URL` names:
    //! tests (and earlier runs) never share approvals, verifications, budgets or jobs.

    use sqlx::Connection;

    /// The variable naming the test server (`scripts/postgres.sh` prints a URL for it).
    pub const URL_VAR: &str = "KEYDESK_TEST_POSTGRES_URL";

    /// The test server's URL, if one is configured.
    pub fn server() -> Option<String> {
        std::env::var(URL_VAR).ok().filter(|url| !url.is_empty())
    }

    /// A database created for one test and dropped (with its connections) when this is.
    #[derive(Debug)]
    pub struct FreshDatabase {
        base: String,
        name: String,
        url: String,
    }

    impl FreshDatabase {
        /// Creates a database named `{prefix}_{random}` on the server `base` (a
        /// `postgres://.../DB` URL). Panics if the server does not answer: a test that asked
        /// for PostgreSQL cannot go on without it.
        pub async fn create(base: &str, prefix: &str) -> FreshDatabase {
            let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(base)
                .await
                .expect("PostgreSQL answers");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("database created");
            admin.close().await.expect("closed");
            let (prefix, rest) = base
                .rsplit_once('/')
                .expect("a postgres:// URL with a database");
            let query = rest
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            FreshDatabase {
                url: format!("{prefix}/{name}{query}"),
                base: base.to_string(),
                name,
            }
        }

        /// Its URL.
        pub fn url(&self) -> &str {
            &self.url
        }
    }

    impl Drop for FreshDatabase {
        fn drop(&mut self) {
            let (base, name) = (self.base.clone(), self.name.clone());
            // The test's runtime may be shutting down: drop the database from a runtime of its own.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

pub mod tenant {
    //! The demo tenant with many disabled cloud accounts, served by the emulator on
    //! `127.0.0.1:0` in the test's own process (so it survives the keydesk processes a test
    //! kills, as a real tenant would), and the environment that points keydesk at it.

    use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
    use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};

    /// A tenant whose `targets` are disabled and wait for a bulk unlock.
    pub struct DisabledUsers {
        /// The tenant (read it with `with_tenant`).
        pub emulator: Emulator,
        /// Where it answers.
        pub running: RunningEmulator,
        /// The disabled cloud accounts (lower-case UPNs), in seed order.
        pub targets: Vec<String>,
        /// How many directory audits the tenant had before the test.
        pub audits_before: usize,
        /// `KEYDESK_TENANT_ID`, `KEYDESK_CLIENT_ID`, `KEYDESK_CLIENT_SECRET`,
        /// `KEYDESK_AUTHORITY_HOST` and `KEYDESK_GRAPH_BASE` for this tenant.
        pub env: Vec<(String, String)>,
    }

    impl DisabledUsers {
        /// Seeds Contoso with `users` disabled cloud accounts (on-premises-synced ones are left
        /// alone) and serves it with `latency_ms` per request, so a bulk run takes seconds.
        pub async fn start(users: usize, latency_ms: u64) -> DisabledUsers {
            let mut state = keydesk_graph_emu::seed::contoso(
                &SeedConfig {
                    background_users: users + 100,
                    ..SeedConfig::default()
                },
                time::OffsetDateTime::now_utc(),
            );
            let mut targets = Vec::new();
            for record in state.users.values_mut().skip(40) {
                if targets.len() == users {
                    break;
                }
                if record.user.on_premises_sync_enabled != Some(true) {
                    record.user.account_enabled = false;
                    targets.push(record.user.user_principal_name.to_lowercase());
                }
            }
            assert_eq!(targets.len(), users);
            let audits_before = state.directory_audits.len();
            let emulator = Emulator::new(
                state,
                SimulationConfig {
                    latency_ms,
                    ..SimulationConfig::default()
                },
            );
            let running = emulator
                .serve("127.0.0.1:0".parse().expect("loopback"))
                .await
                .expect("emulator starts");
            let secret = emulator
                .add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))
                .expect("the app exists");
            let env = vec![
                ("KEYDESK_TENANT_ID".into(), emulator.tenant_id()),
                ("KEYDESK_CLIENT_ID".into(), KEYDESK_APP_ID.into()),
                ("KEYDESK_CLIENT_SECRET".into(), secret),
                ("KEYDESK_AUTHORITY_HOST".into(), running.base_url.clone()),
                ("KEYDESK_GRAPH_BASE".into(), running.graph_v1()),
            ];
            DisabledUsers {
                emulator,
                running,
                targets,
                audits_before,
                env,
            }
        }
    }
}
