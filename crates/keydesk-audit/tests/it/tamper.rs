//! Tampering with the stored log through raw SQL, each kind detected by `verify` and named
//! correctly, on both databases. The log under attack has 8 records: 4 intents, each followed by
//! its outcome (seq 1..8), so it verifies clean with no open intents before each test tampers.

use keydesk_audit::{
    AuditEvent, AuditRecord, AuditStore, ChainHead, Outcome, OutcomeStatus, Page, ProblemKind,
    VerifyReport, verify, verify_against,
};

use crate::support::{Fixture, backend_tests, reset_intent};

backend_tests!(
    edited_target_is_edited,
    edited_outcome_is_edited,
    edited_recorded_at_is_edited,
    edited_canonical_text_is_edited,
    edited_hash_is_edited_once,
    deleted_middle_record_is_deleted,
    deleted_first_record_is_deleted,
    deleted_last_record_is_deleted,
    deleted_and_renumbered_is_deleted,
    forged_record_at_the_end_is_inserted,
    forged_record_linked_to_the_head_is_inserted,
    forged_record_in_the_middle_is_inserted,
    swapped_neighbours_are_reordered,
    swapped_distant_records_are_reordered,
    replaced_and_resealed_record_breaks_the_link,
    rewritten_suffix_is_caught_by_an_anchor,
);

/// Appends the 8-record log and checks it verifies clean.
async fn seed(store: &dyn AuditStore) -> anyhow::Result<Vec<AuditRecord>> {
    let mut records = Vec::new();
    for index in 1..=4 {
        let intent = store
            .append(&reset_intent(
                "operator@contoso.com",
                &format!("user{index}@contoso.com"),
            ))
            .await?;
        let outcome = store
            .append(&AuditEvent::outcome_of(
                &intent,
                Outcome {
                    status: OutcomeStatus::Done,
                    summary: format!("Password of user{index} reset."),
                },
            ))
            .await?;
        records.push(intent);
        records.push(outcome);
    }
    let report = verify(store).await?;
    assert!(report.ok, "the seeded log should verify: {report:#?}");
    assert!(report.intents_without_outcome.is_empty());
    Ok(records)
}

/// Checks that `report` found exactly `expected` (kind, seq) problems.
#[track_caller]
fn check(report: &VerifyReport, expected: &[(ProblemKind, i64)]) {
    let found: Vec<(ProblemKind, i64)> = report
        .problems
        .iter()
        .map(|problem| (problem.kind, problem.seq))
        .collect();
    assert_eq!(found, expected, "{report:#?}");
    assert_eq!(report.ok, expected.is_empty());
}

async fn tamper(fixture: &Fixture, statements: &[&str]) -> anyhow::Result<VerifyReport> {
    fixture.drop_append_only_guard().await?;
    for statement in statements {
        let affected = fixture.exec(statement).await?;
        assert!(
            affected > 0 || statement.starts_with("DROP"),
            "no row changed: {statement}"
        );
    }
    Ok(verify(fixture.store.as_ref()).await?)
}

async fn edited_target_is_edited(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &["UPDATE audit_records SET target = 'ceo@contoso.com' WHERE seq = 3"],
    )
    .await?;
    check(&report, &[(ProblemKind::Edited, 3)]);
    let detail = &report.problems[0].detail;
    assert!(
        detail.contains("target") && detail.contains("ceo@contoso.com"),
        "{detail}"
    );
    Ok(())
}

async fn edited_outcome_is_edited(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &[r#"UPDATE audit_records SET outcome = '{"status":"failed","summary":"Nothing happened."}' WHERE seq = 4"#],
    )
    .await?;
    check(&report, &[(ProblemKind::Edited, 4)]);
    assert!(report.problems[0].detail.contains("outcome"));
    Ok(())
}

async fn edited_recorded_at_is_edited(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let statement = if fixture.is_postgres() {
        "UPDATE audit_records SET recorded_at = recorded_at - interval '1 day' WHERE seq = 6"
    } else {
        "UPDATE audit_records SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 6"
    };
    let report = tamper(fixture, &[statement]).await?;
    check(&report, &[(ProblemKind::Edited, 6)]);
    assert!(report.problems[0].detail.contains("recorded_at"));
    Ok(())
}

async fn edited_canonical_text_is_edited(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &["UPDATE audit_records SET canonical = replace(canonical, 'password_reset', 'unlock') WHERE seq = 5"],
    )
    .await?;
    check(&report, &[(ProblemKind::Edited, 5)]);
    Ok(())
}

async fn edited_hash_is_edited_once(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let forged = "f".repeat(64);
    let report = tamper(
        fixture,
        &[&format!(
            "UPDATE audit_records SET hash = '{forged}' WHERE seq = 2"
        )],
    )
    .await?;
    // Record 3 still links to record 2's true hash: one problem, at 2.
    check(&report, &[(ProblemKind::Edited, 2)]);
    Ok(())
}

async fn deleted_middle_record_is_deleted(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture.store.as_ref()).await?;
    let report = tamper(fixture, &["DELETE FROM audit_records WHERE seq = 4"]).await?;
    check(&report, &[(ProblemKind::Deleted, 4)]);
    // Record 4 was the outcome of intent 3, which is now open.
    let open: Vec<_> = report
        .intents_without_outcome
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(open, vec![records[2].id]);
    Ok(())
}

async fn deleted_first_record_is_deleted(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(fixture, &["DELETE FROM audit_records WHERE seq = 1"]).await?;
    check(&report, &[(ProblemKind::Deleted, 1)]);
    Ok(())
}

async fn deleted_last_record_is_deleted(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &[
            "DELETE FROM audit_records WHERE seq = 7",
            "DELETE FROM audit_records WHERE seq = 8",
        ],
    )
    .await?;
    // The chain alone can't see a cut tail; the head row can.
    check(&report, &[(ProblemKind::Deleted, 7)]);
    assert!(report.problems[0].detail.contains("7 to 8"), "{report:#?}");
    Ok(())
}

async fn deleted_and_renumbered_is_deleted(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &[
            "DELETE FROM audit_records WHERE seq = 4",
            "UPDATE audit_records SET seq = 4 WHERE seq = 5",
            "UPDATE audit_records SET seq = 5 WHERE seq = 6",
            "UPDATE audit_records SET seq = 6 WHERE seq = 7",
            "UPDATE audit_records SET seq = 7 WHERE seq = 8",
        ],
    )
    .await?;
    // The renumbered records still carry their sealed seqs, so the gap shows where it was.
    check(&report, &[(ProblemKind::Deleted, 4)]);
    Ok(())
}

/// A well-formed record that was never appended: sealed with its own valid hash.
fn forged(template: &AuditRecord, seq: i64, prev_hash: &str) -> anyhow::Result<AuditRecord> {
    let mut event = reset_intent("mallory@contoso.com", "ceo@contoso.com");
    event.details = serde_json::json!({"ticket": "INC-0000"});
    Ok(AuditRecord::seal(
        seq,
        uuid::Uuid::new_v4(),
        template.recorded_at,
        event,
        prev_hash.to_owned(),
    )?)
}

async fn forged_record_at_the_end_is_inserted(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture.store.as_ref()).await?;
    // Self-hash valid, but it claims to follow record 6.
    let record = forged(&records[7], 9, &records[5].hash)?;
    fixture.insert_raw(&record).await?;
    let report = verify(fixture.store.as_ref()).await?;
    check(&report, &[(ProblemKind::Inserted, 9)]);
    Ok(())
}

async fn forged_record_linked_to_the_head_is_inserted(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture.store.as_ref()).await?;
    // A perfect link to record 8: only the head row shows it was never appended.
    let record = forged(&records[7], 9, &records[7].hash)?;
    fixture.insert_raw(&record).await?;
    let report = verify(fixture.store.as_ref()).await?;
    check(&report, &[(ProblemKind::Inserted, 9)]);
    Ok(())
}

async fn forged_record_in_the_middle_is_inserted(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture.store.as_ref()).await?;
    // Make room at seq 4 by moving 4..8 up one (from the top, so the keys never collide), then
    // slip in a record that links perfectly to record 3.
    tamper(
        fixture,
        &[
            "UPDATE audit_records SET seq = 9 WHERE seq = 8",
            "UPDATE audit_records SET seq = 8 WHERE seq = 7",
            "UPDATE audit_records SET seq = 7 WHERE seq = 6",
            "UPDATE audit_records SET seq = 6 WHERE seq = 5",
            "UPDATE audit_records SET seq = 5 WHERE seq = 4",
        ],
    )
    .await?;
    let record = forged(&records[3], 4, &records[2].hash)?;
    fixture.insert_raw(&record).await?;
    let report = verify(fixture.store.as_ref()).await?;
    check(&report, &[(ProblemKind::Inserted, 4)]);
    Ok(())
}

async fn swapped_neighbours_are_reordered(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &[
            "UPDATE audit_records SET seq = -1 WHERE seq = 5",
            "UPDATE audit_records SET seq = 5 WHERE seq = 6",
            "UPDATE audit_records SET seq = 6 WHERE seq = -1",
        ],
    )
    .await?;
    check(
        &report,
        &[(ProblemKind::Reordered, 5), (ProblemKind::Reordered, 6)],
    );
    Ok(())
}

async fn swapped_distant_records_are_reordered(fixture: &Fixture) -> anyhow::Result<()> {
    seed(fixture.store.as_ref()).await?;
    let report = tamper(
        fixture,
        &[
            "UPDATE audit_records SET seq = -1 WHERE seq = 2",
            "UPDATE audit_records SET seq = 2 WHERE seq = 7",
            "UPDATE audit_records SET seq = 7 WHERE seq = -1",
        ],
    )
    .await?;
    check(
        &report,
        &[(ProblemKind::Reordered, 2), (ProblemKind::Reordered, 7)],
    );
    Ok(())
}

/// Record 5 with its target changed, re-sealed: consistent on its own.
fn resealed(original: &AuditRecord, prev_hash: &str) -> anyhow::Result<AuditRecord> {
    let mut event = original.event.clone();
    event.target = Some("ceo@contoso.com".to_owned());
    Ok(AuditRecord::seal(
        original.seq,
        original.id,
        original.recorded_at,
        event,
        prev_hash.to_owned(),
    )?)
}

async fn replaced_and_resealed_record_breaks_the_link(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture.store.as_ref()).await?;
    let replacement = resealed(&records[4], &records[3].hash)?;
    tamper(fixture, &["DELETE FROM audit_records WHERE seq = 5"]).await?;
    fixture.insert_raw(&replacement).await?;
    let report = verify(fixture.store.as_ref()).await?;
    // Record 5 is self-consistent; record 6 no longer follows it.
    check(&report, &[(ProblemKind::BrokenLink, 6)]);
    Ok(())
}

async fn rewritten_suffix_is_caught_by_an_anchor(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    let records = seed(store).await?;
    let anchor: ChainHead = store.head().await?.expect("head row");
    // Rewrite 5..8 and re-seal every one after it, head row included: a perfect forgery.
    tamper(fixture, &["DELETE FROM audit_records WHERE seq >= 5"]).await?;
    let mut prev_hash = records[3].hash.clone();
    for original in &records[4..] {
        let record = if original.seq == 5 {
            resealed(original, &prev_hash)?
        } else {
            AuditRecord::seal(
                original.seq,
                original.id,
                original.recorded_at,
                original.event.clone(),
                prev_hash.clone(),
            )?
        };
        fixture.insert_raw(&record).await?;
        prev_hash = record.hash.clone();
    }
    fixture
        .exec(&format!(
            "UPDATE audit_head SET hash = '{prev_hash}' WHERE id = 1"
        ))
        .await?;
    assert!(verify(store).await?.ok, "a full re-seal passes on its own");
    let report = verify_against(store, &anchor).await?;
    check(&report, &[(ProblemKind::Edited, 8)]);
    assert_eq!(store.records(Page::first()).await?.len(), 8);
    Ok(())
}
