//! A generated password or TAP never reaches a log line, a report, `--json` output or a stored
//! record. Its own test binary, so that one process-global subscriber captures every log line
//! (a thread-local subscriber races with tracing's global callsite cache under parallel tests).

#[path = "it/harness.rs"]
#[allow(dead_code)]
mod harness;

use keydesk_policy::Action;
use std::sync::{Arc, Mutex, OnceLock};

use keydesk_ops::credentials::{PasswordResetOptions, password_reset};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::directory::create_user;
use keydesk_ops::{Error, Outcome};

use harness::{World, noa, upn};

/// Every log line written by this process, at TRACE level.
fn capture() -> Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let writer = Captured(buffer.clone());
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("the only subscriber of this test binary");
            buffer
        })
        .clone()
}

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn john_smith_password_goes_to_his_manager_and_nowhere_else() {
    let captured = capture();

    let world = World::start().await;
    let report = password_reset(
        &world.ops,
        "john.smith@contoso.onmicrosoft.com",
        &PasswordResetOptions {
            delivery: Delivery::Manager,
            revoke_sessions: false,
        },
        &world
            .execute(Action::PasswordReset, "john.smith@contoso.onmicrosoft.com")
            .await,
    )
    .await
    .expect("reset runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert!(report.reveal.is_none(), "mailed, not revealed");

    let outbox = world.outbox().await;
    let mail = outbox
        .iter()
        .find(|m| {
            m["to"][0]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(&upn("IrvinS")))
        })
        .expect("mail to the manager, IrvinS");
    let body = mail["body"].as_str().expect("body");
    let password = body
        .lines()
        .map(str::trim)
        .find(|l| l.len() >= 14 && !l.contains(' '))
        .expect("the password line")
        .to_string();
    assert!(
        !outbox
            .iter()
            .any(|m| m["to"].as_array().is_some_and(|to| to.iter().any(|t| t
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(&upn("john.smith")))))),
        "never to the mailbox being reset"
    );

    let logs = String::from_utf8(captured.lock().expect("log buffer").clone()).expect("utf-8 logs");
    assert!(
        !logs.is_empty(),
        "the capture works (debug logs were written)"
    );
    assert!(
        !logs.contains(&password),
        "the password leaked into a log line"
    );
    assert!(
        !format!("{report:?}").contains(&password),
        "the password leaked into the report"
    );
    assert!(
        !serde_json::to_string(&report)
            .expect("json")
            .contains(&password),
        "the password leaked into --json"
    );
    let mut state = world.emulator.export();
    state.outbox.clear();
    assert!(
        !serde_json::to_string(&state)
            .expect("json")
            .contains(&password),
        "the tenant stores the password in clear"
    );
}

#[tokio::test]
async fn new_user_password_goes_to_the_manager_only() {
    let captured = capture();

    let world = World::start().await;
    let report = create_user(
        &world.ops,
        &noa(),
        &Delivery::Manager,
        &world
            .execute(Action::CreateUser, noa().upn.as_deref().unwrap_or_default())
            .await,
    )
    .await
    .expect("create runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(report.action, "create_user");
    assert_eq!(
        report.target.as_deref(),
        Some(upn("noa.levi").to_lowercase().as_str())
    );
    assert!(report.reveal.is_none(), "mailed, not revealed");
    assert_eq!(report.details["user"]["department"], "R&D");
    assert_eq!(report.details["user"]["usageLocation"], "US");
    assert!(
        report.verified.iter().any(|v| v.contains("manager is")),
        "{:?}",
        report.verified
    );

    let outbox = world.outbox().await;
    assert_eq!(outbox.len(), 1, "one message: {outbox:?}");
    assert!(
        outbox[0]["to"][0]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(&upn("DavidP")))
    );
    let body = outbox[0]["body"].as_str().expect("body");
    let password = body
        .lines()
        .map(str::trim)
        .find(|l| l.len() >= 14 && !l.contains(' '))
        .expect("the password line")
        .to_string();

    let state = world.user_state("noa.levi", |u| {
        (
            u.manager_id.clone(),
            u.user.password_profile.clone(),
            u.user.job_title.clone(),
        )
    });
    assert_eq!(
        state.0,
        Some(world.user_state("DavidP", |u| u.user.id.clone()))
    );
    assert!(
        state
            .1
            .is_some_and(|p| p.force_change_password_next_sign_in)
    );
    assert_eq!(state.2.as_deref(), Some("Software Engineer"));
    assert_ne!(
        world.sign_in("noa.levi", &password, "203.0.113.7").await,
        50126,
        "the mailed password is the account's"
    );

    let logs = String::from_utf8(captured.lock().expect("log buffer").clone()).expect("utf-8 logs");
    assert!(!logs.is_empty(), "the capture works");
    assert!(
        !logs.contains(&password),
        "the password leaked into a log line"
    );
    assert!(
        !format!("{report:?}").contains(&password),
        "the password leaked into the report"
    );
    assert!(
        !serde_json::to_string(&report)
            .expect("json")
            .contains(&password),
        "the password leaked into --json"
    );

    let again = create_user(
        &world.ops,
        &noa(),
        &Delivery::Manager,
        &world
            .execute(Action::CreateUser, noa().upn.as_deref().unwrap_or_default())
            .await,
    )
    .await
    .expect_err("UPN taken");
    assert!(matches!(again, Error::InvalidInput(_)), "{again:?}");
}
