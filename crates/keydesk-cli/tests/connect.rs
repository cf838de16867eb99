//! Onboarding end to end: `keydesk connect` run non-interactively against an emulator on
//! loopback (a wrong secret, then a right one), then `discover` and `doctor` on what was saved;
//! and the failures a new admin meets: an expired certificate, missing consent, a tenant
//! without Entra ID P2.

use std::path::Path;
use std::process::{Command, Output};

use keydesk_graph_emu::seed::apps::{KEYDESK_APP_ID, KEYDESK_READONLY_APP_ID};
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};

fn keydesk(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
    command
        .args(args)
        .env("KEYDESK_HOME", home)
        .env_remove("KEYDESK_TENANT_ID")
        .env_remove("KEYDESK_CONNECT_TENANT")
        .env_remove("KEYDESK_CONNECT_CLIENT_ID")
        .env_remove("KEYDESK_DATABASE_URL")
        .env_remove("KEYDESK_ACTOR");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("keydesk runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

struct Setup {
    emulator: Emulator,
    running: RunningEmulator,
    graph_base: String,
}

impl Setup {
    async fn start() -> Setup {
        let emulator = Emulator::demo(&SeedConfig::default(), SimulationConfig::default());
        let running = emulator
            .serve("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("emulator serves");
        let graph_base = running.graph_v1();
        Setup {
            emulator,
            running,
            graph_base,
        }
    }

    fn connect_args<'a>(&'a self, app: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "connect",
            "--tenant",
            keydesk_graph_emu::seed::TENANT_ID,
            "--client-id",
            app,
            "--authority-host",
            &self.running.base_url,
            "--graph-base",
            &self.graph_base,
        ];
        args.extend_from_slice(rest);
        args
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: serde_json::Value) {
        let response = reqwest::Client::new()
            .request(method, format!("{}/_emulator{path}", self.running.base_url))
            .json(&body)
            .send()
            .await
            .expect("control call");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_admin_connects_discovers_and_checks_the_tenant() {
    let setup = Setup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("config.json");

    // A wrong secret: refused by the identity platform, nothing saved.
    let wrong = keydesk(
        home.path(),
        &setup.connect_args(KEYDESK_APP_ID, &["--secret-env", "KD_SECRET"]),
        &[("KD_SECRET", "not-the-secret-0123456789")],
    );
    assert_eq!(wrong.status.code(), Some(3), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("the client secret is wrong (AADSTS7000215)"),
        "{}",
        text(&wrong)
    );
    assert!(!config.exists(), "nothing is saved after a refusal");
    assert!(!home.path().join("client-secret").exists());

    // The right secret: validated, saved, the secret outside config.json.
    let secret = setup
        .emulator
        .add_client_secret(KEYDESK_APP_ID, time::Duration::days(30))
        .expect("secret");
    let right = keydesk(
        home.path(),
        &setup.connect_args(KEYDESK_APP_ID, &["--secret-env", "KD_SECRET", "--json"]),
        &[("KD_SECRET", &secret)],
    );
    assert!(right.status.success(), "{}", text(&right));
    let connected = json(&right);
    assert_eq!(connected["connected"], true);
    assert_eq!(connected["tenant"]["displayName"], "Contoso");
    assert_eq!(connected["missingPermissions"], serde_json::json!([]));
    assert!(
        !text(&right).contains(&secret),
        "the secret is never printed"
    );
    let saved = std::fs::read_to_string(&config).expect("config saved");
    assert!(!saved.contains(&secret), "the secret is not in config.json");
    assert!(saved.contains("client_secret_file"), "{saved}");
    let kept = std::fs::read_to_string(home.path().join("client-secret")).expect("secret file");
    assert_eq!(kept, secret);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["config.json", "client-secret"] {
            let mode = std::fs::metadata(home.path().join(file))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{file} is owner-only");
        }
    }

    // discover, on the saved configuration (no tenant flags any more).
    let discovered = keydesk(
        home.path(),
        &[
            "discover",
            "--json",
            "--as",
            "MeganB@contoso.onmicrosoft.com",
        ],
        &[],
    );
    assert!(discovered.status.success(), "{}", text(&discovered));
    let report = json(&discovered);
    let details = &report["details"];
    assert_eq!(details["tenant"]["displayName"], "Contoso");
    assert_eq!(details["licences"]["p2"], true);
    assert!(
        details["skus"]
            .as_array()
            .expect("skus")
            .iter()
            .any(|s| s == "AAD_PREMIUM_P2")
    );
    let roles: Vec<&str> = details["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(roles.contains(&"Global Administrator"), "{roles:?}");
    assert!(roles.contains(&"Helpdesk Administrator"), "{roles:?}");
    assert!(details["groups"]["total"].as_u64().expect("groups") > 5);
    assert!(details["groups"]["security"].as_u64().expect("security") > 0);
    assert!(
        details["apps"]["thirdParty"]
            .as_array()
            .expect("third-party apps")
            .iter()
            .any(|a| a == "Mail Helper Pro")
    );
    let proposal = &details["proposal"];
    assert_eq!(proposal["helpdeskGroup"], "Helpdesk Operators");
    assert_eq!(proposal["helpdeskGroupExists"], true);
    let protected: Vec<&str> = details["profile"]["protectedAccounts"]
        .as_array()
        .expect("protected accounts")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    for admin in ["meganb@", "nestorw@", "pattif@"] {
        assert!(
            protected.iter().any(|p| p.starts_with(admin)),
            "{admin} is protected: {protected:?}"
        );
    }
    assert!(
        !protected.iter().any(|p| p.starts_with("adelev@")),
        "{protected:?}"
    );
    let diff = report["profileDiff"].as_str().expect("diff");
    assert!(diff.contains("+    \"nestorw@"), "{diff}");

    // An employee cannot accept the profile; a Global Administrator can, and it is audited.
    let refused = keydesk(
        home.path(),
        &[
            "discover",
            "--accept",
            "--as",
            "AdeleV@contoso.onmicrosoft.com",
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(!home.path().join("tenant-profile.json").exists());
    let accepted = keydesk(
        home.path(),
        &[
            "discover",
            "--accept",
            "--json",
            "--as",
            "MeganB@contoso.onmicrosoft.com",
        ],
        &[],
    );
    assert!(accepted.status.success(), "{}", text(&accepted));
    assert_eq!(json(&accepted)["profileAccepted"], true);
    let profile =
        std::fs::read_to_string(home.path().join("tenant-profile.json")).expect("profile kept");
    assert!(profile.contains("nestorw@"), "{profile}");
    let audit = keydesk(home.path(), &["audit", "export"], &[]);
    assert!(
        text(&audit).contains("accept_tenant_profile"),
        "{}",
        text(&audit)
    );

    // doctor: everything ready with the demo app's permissions and P2.
    let doctor = keydesk(
        home.path(),
        &["doctor", "--json", "--as", "MeganB@contoso.onmicrosoft.com"],
        &[],
    );
    assert!(doctor.status.success(), "{}", text(&doctor));
    let checks = json(&doctor)["details"]["actions"].clone();
    let readiness = |action: &str| {
        checks
            .as_array()
            .expect("actions")
            .iter()
            .find(|c| c["action"] == action)
            .unwrap_or_else(|| panic!("{action} checked"))["readiness"]
            .as_str()
            .expect("readiness")
            .to_string()
    };
    assert_ne!(readiness("unblock_signin"), "blocked");
    assert_ne!(readiness("discover"), "blocked");

    // The tenant loses Entra ID P2 (P1 only): risk features are blocked, with the reason.
    setup
        .control(
            reqwest::Method::PUT,
            "/skus",
            serde_json::json!([{
                "skuPartNumber": "SPB",
                "servicePlans": ["EXCHANGE_S_STANDARD", "AAD_PREMIUM", "MFA_PREMIUM"],
                "units": 300
            }]),
        )
        .await;
    let without_p2 = keydesk(
        home.path(),
        &["doctor", "--json", "--as", "MeganB@contoso.onmicrosoft.com"],
        &[],
    );
    let report = json(&without_p2);
    let checks = report["details"]["actions"].clone();
    let unblock = checks
        .as_array()
        .expect("actions")
        .iter()
        .find(|c| c["action"] == "unblock_signin")
        .expect("unblock checked")
        .clone();
    assert_eq!(unblock["readiness"], "blocked", "{unblock}");
    assert!(
        unblock["caveats"].to_string().contains("no Entra ID P2"),
        "{unblock}"
    );
    let diagnose = checks
        .as_array()
        .expect("actions")
        .iter()
        .find(|c| c["action"] == "diagnose_signin")
        .expect("diagnose checked");
    assert_ne!(diagnose["readiness"], "blocked", "P1 keeps the sign-in log");
    let discovered = keydesk(
        home.path(),
        &["discover", "--as", "MeganB@contoso.onmicrosoft.com"],
        &[],
    );
    assert!(
        text(&discovered).contains("Entra ID P1 without P2"),
        "{}",
        text(&discovered)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_certificates_and_missing_consent_are_caught_before_saving() {
    let setup = Setup::start().await;
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("config.json");

    // An expired certificate, registered on the app: refused, nothing saved.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(400);
    params.not_after = now - time::Duration::days(1);
    let certificate = params.self_signed(&key).expect("certificate");
    setup
        .control(
            reqwest::Method::POST,
            &format!("/apps/{KEYDESK_APP_ID}/certificates"),
            serde_json::json!({"certificatePem": certificate.pem()}),
        )
        .await;
    let certificate_path = home.path().join("expired.crt");
    let key_path = home.path().join("expired.key");
    std::fs::write(&certificate_path, certificate.pem()).expect("write");
    std::fs::write(&key_path, key.serialize_pem()).expect("write");
    let expired = keydesk(
        home.path(),
        &setup.connect_args(
            KEYDESK_APP_ID,
            &[
                "--certificate",
                certificate_path.to_str().expect("path"),
                "--key",
                key_path.to_str().expect("path"),
            ],
        ),
        &[],
    );
    assert_eq!(expired.status.code(), Some(3), "{}", text(&expired));
    assert!(
        text(&expired).contains("the certificate has expired (AADSTS700027)"),
        "{}",
        text(&expired)
    );
    assert!(!config.exists());

    // A generated certificate: the key owner-only, the public part ready to upload; once
    // uploaded, connect validates it and saves paths, not key material.
    let generated = keydesk(
        home.path(),
        &setup.connect_args(KEYDESK_APP_ID, &["--generate-certificate", "--json"]),
        &[],
    );
    assert!(generated.status.success(), "{}", text(&generated));
    let generated = json(&generated);
    assert!(!config.exists(), "generating saves no configuration");
    let crt = generated["certificate"].as_str().expect("certificate path");
    let key = generated["key"].as_str().expect("key path");
    setup
        .control(
            reqwest::Method::POST,
            &format!("/apps/{KEYDESK_APP_ID}/certificates"),
            serde_json::json!({"certificatePem": std::fs::read_to_string(crt).expect("crt")}),
        )
        .await;
    let with_certificate = keydesk(
        home.path(),
        &setup.connect_args(KEYDESK_APP_ID, &["--certificate", crt, "--key", key]),
        &[],
    );
    assert!(
        with_certificate.status.success(),
        "{}",
        text(&with_certificate)
    );
    let saved = std::fs::read_to_string(&config).expect("saved");
    assert!(
        saved.contains("cert_path") && saved.contains("key_path"),
        "{saved}"
    );
    assert!(!saved.contains("PRIVATE KEY"), "{saved}");

    // Missing consent: the read-only app's credential works, and connect says exactly which
    // permissions the password reset still needs and where to consent.
    let home = tempfile::tempdir().expect("temp dir");
    let secret = setup
        .emulator
        .add_client_secret(KEYDESK_READONLY_APP_ID, time::Duration::days(1))
        .expect("secret");
    let readonly = keydesk(
        home.path(),
        &setup.connect_args(
            KEYDESK_READONLY_APP_ID,
            &[
                "--secret-env",
                "KD_SECRET",
                "--actions",
                "password_reset,diagnose_signin",
                "--json",
            ],
        ),
        &[("KD_SECRET", &secret)],
    );
    assert!(readonly.status.success(), "{}", text(&readonly));
    let readonly = json(&readonly);
    assert_eq!(
        readonly["missingPermissions"],
        serde_json::json!(["User-PasswordProfile.ReadWrite.All"])
    );
    assert!(
        readonly["adminConsentUrl"]
            .as_str()
            .expect("url")
            .ends_with(&format!(
                "/adminconsent?client_id={KEYDESK_READONLY_APP_ID}"
            ))
    );

    // Consent withdrawn entirely: the token carries nothing, and connect says so.
    setup
        .control(
            reqwest::Method::PUT,
            &format!("/apps/{KEYDESK_READONLY_APP_ID}/permissions"),
            serde_json::json!([]),
        )
        .await;
    let none = keydesk(
        home.path(),
        &setup.connect_args(
            KEYDESK_READONLY_APP_ID,
            &["--secret-env", "KD_SECRET", "--actions", "diagnose_signin"],
        ),
        &[("KD_SECRET", &secret)],
    );
    assert!(none.status.success(), "{}", text(&none));
    assert!(text(&none).contains("MISSING"), "{}", text(&none));
    assert!(
        text(&none).contains("no application permissions yet"),
        "{}",
        text(&none)
    );
}
