//! Concurrent appenders from two store instances (as two keydesk processes sharing a database):
//! 8 tasks appending 50 records each must leave one valid chain of 400, never a fork.

use std::sync::Arc;

use keydesk_audit::{AuditStore, Page, verify};

use crate::support::{Fixture, backend_tests, reset_intent};

backend_tests!(
    eight_appenders_make_one_chain,
    verify_during_appends_sees_no_tampering
);

const TASKS: usize = 8;
const PER_TASK: usize = 50;

async fn eight_appenders_make_one_chain(fixture: &Fixture) -> anyhow::Result<()> {
    let first: Arc<dyn AuditStore> = Arc::from(fixture.another_store().await?);
    let second: Arc<dyn AuditStore> = Arc::from(fixture.another_store().await?);
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let store = if task % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.spawn(async move {
            let mut seqs = Vec::with_capacity(PER_TASK);
            for index in 0..PER_TASK {
                let event = reset_intent(
                    &format!("operator{task}@contoso.com"),
                    &format!("user{task}-{index}@contoso.com"),
                );
                seqs.push(store.append(&event).await?.seq);
            }
            anyhow::Ok(seqs)
        });
    }
    let mut all_seqs = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let seqs = joined??;
        assert!(
            seqs.windows(2).all(|pair| pair[0] < pair[1]),
            "a task's own appends are ordered"
        );
        all_seqs.extend(seqs);
    }
    all_seqs.sort_unstable();
    let expected: Vec<i64> = (1..=(TASKS * PER_TASK) as i64).collect();
    assert_eq!(
        all_seqs, expected,
        "every append got its own seq, with no gaps"
    );

    let store = fixture.store.as_ref();
    let report = verify(store).await?;
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.records_checked, (TASKS * PER_TASK) as u64);
    assert_eq!(report.head.map(|h| h.seq), Some((TASKS * PER_TASK) as i64));
    // No fork: each record's prev_hash is its predecessor's hash, read across pages.
    let mut previous = keydesk_audit::GENESIS_HASH.to_owned();
    let mut page = Page::first();
    loop {
        let records = store.records(page).await?;
        let Some(last) = records.last() else { break };
        page = Page::after(last.seq);
        for record in &records {
            assert_eq!(record.prev_hash, previous, "record {}", record.seq);
            previous = record.hash.clone();
        }
    }
    Ok(())
}

async fn verify_during_appends_sees_no_tampering(fixture: &Fixture) -> anyhow::Result<()> {
    let writer: Arc<dyn AuditStore> = Arc::from(fixture.another_store().await?);
    let appending = tokio::spawn(async move {
        for index in 0..150 {
            writer
                .append(&reset_intent(
                    "operator@contoso.com",
                    &format!("u{index}@contoso.com"),
                ))
                .await?;
        }
        anyhow::Ok(())
    });
    let mut verifications = 0;
    while !appending.is_finished() {
        let report = verify(fixture.store.as_ref()).await?;
        assert!(report.ok, "a verify racing appends: {report:#?}");
        verifications += 1;
    }
    appending.await??;
    let report = verify(fixture.store.as_ref()).await?;
    assert!(report.ok && report.records_checked == 150, "{report:#?}");
    assert!(verifications > 0);
    Ok(())
}
