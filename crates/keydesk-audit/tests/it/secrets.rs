//! A record of a realistic password reset never carries the password: `Secret` cannot be put
//! into an event (no `Serialize`), so the text that sits beside the event in the engine never
//! reaches the stored row, its canonical text or an export.

use keydesk_audit::{AuditEvent, ExportFormat, Outcome, OutcomeStatus, export};
use keydesk_core::Secret;

use crate::support::{Fixture, reset_intent};

const PASSWORD: &str = "Qx7#vTq9-Lm4!pZr";

#[tokio::test]
async fn a_reset_record_never_contains_the_password() -> anyhow::Result<()> {
    let fixture = Fixture::sqlite().await?;
    let store = fixture.store.as_ref();
    // What the engine holds while resetting: the new password in a Secret, beside the events.
    let new_password = Secret::new(PASSWORD);
    let intent = store
        .append(&reset_intent("operator@contoso.com", "bob@contoso.com"))
        .await?;
    let mut outcome = AuditEvent::outcome_of(
        &intent,
        Outcome {
            status: OutcomeStatus::Done,
            summary: "Temporary password set; delivered to the manager by SMS.".to_owned(),
        },
    );
    outcome.graph_request_ids = vec!["b3c0f2aa-0000-4000-8000-00000000000a".to_owned()];
    // The most a caller can say about the secret is what its Debug shows.
    outcome.details = serde_json::json!({
        "password_length": new_password.len(),
        "password": format!("{new_password:?}"),
        "force_change": true,
    });
    let record = store.append(&outcome).await?;

    let serialized = serde_json::to_string(&record)?;
    assert!(!serialized.contains(PASSWORD), "{serialized}");
    assert!(serialized.contains("[redacted]"));
    assert!(!record.canonical_json()?.contains(PASSWORD));
    for format in [ExportFormat::Jsonl, ExportFormat::Csv] {
        let mut out = Vec::new();
        export(store, format, &mut out).await?;
        let text = String::from_utf8(out)?;
        assert!(!text.contains(PASSWORD), "{format:?}: {text}");
    }
    fixture.cleanup().await;
    Ok(())
}
