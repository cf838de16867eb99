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
