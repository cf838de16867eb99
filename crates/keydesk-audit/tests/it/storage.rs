//! The storage contract, the same for both databases: appends chain, reads page, history by
//! user, the head row, the append-only guard, reopening.

use keydesk_audit::{AuditEvent, EventKind, GENESIS_HASH, Outcome, OutcomeStatus, Page, verify};

use crate::support::{Fixture, backend_tests, reset_intent};

backend_tests!(
    appends_form_a_chain,
    records_read_back_exactly,
    records_page_by_seq,
    history_finds_actor_target_and_on_behalf_of,
    rows_cannot_be_changed_through_sql,
    invalid_events_are_refused_and_nothing_is_written,
    a_second_instance_continues_the_chain,
    open_intents_are_listed,
    a_missing_head_row_refuses_appends,
);

async fn appends_form_a_chain(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    assert_eq!(store.head().await?.map(|head| head.seq), Some(0));
    let mut previous_hash = GENESIS_HASH.to_owned();
    for index in 1..=5 {
        let record = store
            .append(&reset_intent(
                "operator@contoso.com",
                &format!("user{index}@contoso.com"),
            ))
            .await?;
        assert_eq!(record.seq, index);
        assert_eq!(record.prev_hash, previous_hash);
        assert_eq!(record.hash, record.compute_hash()?);
        assert_eq!(record.hash.len(), 64);
        previous_hash = record.hash.clone();
    }
    let head = store.head().await?.expect("head row");
    assert_eq!((head.seq, head.hash.as_str()), (5, previous_hash.as_str()));
    let report = verify(store).await?;
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.records_checked, 5);
    Ok(())
}

async fn records_read_back_exactly(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    let mut intent = reset_intent("Operator@Contoso.com", "zoë.ångström@contoso.com");
    intent.on_behalf_of = Some("manager@contoso.com".to_owned());
    intent.store = keydesk_audit::DirectoryStore::Ad;
    intent.approvals = vec![keydesk_audit::Approval {
        id: "apr-7".to_owned(),
        approver: Some("lead@contoso.com".to_owned()),
        approved: Some(true),
    }];
    intent.graph_request_ids = vec!["2b7f6c1e-0000-4000-8000-000000000001".to_owned()];
    intent.details = serde_json::json!({
        "ticket": "INC-1042",
        "note": "line one\nline \"two\", with a comma — and 日本語 😀",
        "score": 0.1,
        "whole": 3.0,
        "big": 12345678901234_i64,
        "nested": {"b": [1, 2, {"z": null, "a": true}], "a": -0.5},
    });
    let written_intent = store.append(&intent).await?;
    let outcome = AuditEvent::outcome_of(
        &written_intent,
        Outcome {
            status: OutcomeStatus::Done,
            summary: "Password reset; the user must change it at next sign-in.".to_owned(),
        },
    );
    let written_outcome = store.append(&outcome).await?;
    let read = store.records(Page::first()).await?;
    assert_eq!(read, vec![written_intent.clone(), written_outcome.clone()]);
    assert_eq!(written_outcome.event.intent_id, Some(written_intent.id));
    assert_eq!(written_outcome.event.kind, EventKind::Outcome);
    assert_eq!(written_intent.recorded_at.nanosecond() % 1_000, 0);
    let report = verify(store).await?;
    assert!(report.ok, "{report:#?}");
    assert!(report.intents_without_outcome.is_empty());
    Ok(())
}

async fn records_page_by_seq(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    for index in 0..5 {
        store
            .append(&reset_intent(
                "operator@contoso.com",
                &format!("u{index}@contoso.com"),
            ))
            .await?;
    }
    let page = store
        .records(Page {
            after_seq: 2,
            limit: 2,
        })
        .await?;
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 4]);
    let rest = store.records(Page::after(4)).await?;
    assert_eq!(rest.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![5]);
    assert!(store.records(Page::after(5)).await?.is_empty());
    Ok(())
}

async fn history_finds_actor_target_and_on_behalf_of(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    // 1: alice resets bob. 2: carol acts for alice on dave. 3: bob is the actor. 4: unrelated.
    store
        .append(&reset_intent("alice@contoso.com", "bob@contoso.com"))
        .await?;
    let mut for_alice = reset_intent("carol@contoso.com", "dave@contoso.com");
    for_alice.on_behalf_of = Some("Alice@Contoso.com".to_owned());
    store.append(&for_alice).await?;
    store
        .append(&reset_intent("bob@contoso.com", "erin@contoso.com"))
        .await?;
    store
        .append(&reset_intent("frank@contoso.com", "grace@contoso.com"))
        .await?;
    let seqs = |records: Vec<keydesk_audit::AuditRecord>| {
        records.iter().map(|r| r.seq).collect::<Vec<_>>()
    };
    assert_eq!(seqs(store.for_user("alice@contoso.com").await?), vec![1, 2]);
    assert_eq!(seqs(store.for_user("BOB@contoso.com").await?), vec![1, 3]);
    assert_eq!(seqs(store.for_user(" dave@contoso.com ").await?), vec![2]);
    assert!(store.for_user("nobody@contoso.com").await?.is_empty());
    Ok(())
}

async fn rows_cannot_be_changed_through_sql(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    store
        .append(&reset_intent("operator@contoso.com", "bob@contoso.com"))
        .await?;
    let update = fixture
        .exec("UPDATE audit_records SET target = 'mallory@contoso.com' WHERE seq = 1")
        .await;
    assert!(update.is_err(), "an UPDATE went through: {update:?}");
    let delete = fixture
        .exec("DELETE FROM audit_records WHERE seq = 1")
        .await;
    assert!(delete.is_err(), "a DELETE went through: {delete:?}");
    assert!(format!("{:#}", delete.unwrap_err()).contains("append-only"));
    assert!(verify(store).await?.ok);
    Ok(())
}

async fn invalid_events_are_refused_and_nothing_is_written(
    fixture: &Fixture,
) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    let nobody = AuditEvent::intent("  ", "password_reset");
    assert!(matches!(
        store.append(&nobody).await,
        Err(keydesk_audit::Error::InvalidEvent(_))
    ));
    let no_outcome = AuditEvent::new(EventKind::Outcome, "operator@contoso.com", "unlock");
    assert!(store.append(&no_outcome).await.is_err());
    assert!(store.records(Page::first()).await?.is_empty());
    assert_eq!(store.head().await?.map(|h| h.seq), Some(0));
    Ok(())
}

async fn a_second_instance_continues_the_chain(fixture: &Fixture) -> anyhow::Result<()> {
    fixture
        .store
        .append(&reset_intent("operator@contoso.com", "a@contoso.com"))
        .await?;
    let other = fixture.another_store().await?;
    let second = other
        .append(&reset_intent("operator@contoso.com", "b@contoso.com"))
        .await?;
    assert_eq!(second.seq, 2);
    let third = fixture
        .store
        .append(&reset_intent("operator@contoso.com", "c@contoso.com"))
        .await?;
    assert_eq!(
        (third.seq, third.prev_hash.as_str()),
        (3, second.hash.as_str())
    );
    assert!(verify(other.as_ref()).await?.ok);
    Ok(())
}

async fn open_intents_are_listed(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    let closed = store
        .append(&reset_intent("operator@contoso.com", "a@contoso.com"))
        .await?;
    let open = store
        .append(&reset_intent("operator@contoso.com", "b@contoso.com"))
        .await?;
    store
        .append(&AuditEvent::outcome_of(
            &closed,
            Outcome {
                status: OutcomeStatus::Failed,
                summary: "Graph refused: the user is a Global Administrator.".to_owned(),
            },
        ))
        .await?;
    let report = verify(store).await?;
    assert!(report.ok, "open intents are not tampering: {report:#?}");
    assert_eq!(report.intents_without_outcome.len(), 1);
    let listed = &report.intents_without_outcome[0];
    assert_eq!((listed.seq, listed.id), (open.seq, open.id));
    assert_eq!(listed.action, "password_reset");
    assert_eq!(listed.target.as_deref(), Some("b@contoso.com"));
    Ok(())
}

async fn a_missing_head_row_refuses_appends(fixture: &Fixture) -> anyhow::Result<()> {
    let store = fixture.store.as_ref();
    store
        .append(&reset_intent("operator@contoso.com", "a@contoso.com"))
        .await?;
    fixture.exec("DELETE FROM audit_head").await?;
    let refused = store
        .append(&reset_intent("operator@contoso.com", "b@contoso.com"))
        .await;
    assert!(
        matches!(refused, Err(keydesk_audit::Error::Chain(_))),
        "{refused:?}"
    );
    let report = verify(store).await?;
    assert!(!report.ok);
    assert_eq!(report.records_checked, 1);
    Ok(())
}

#[tokio::test]
async fn open_picks_the_store_by_location() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let plain = dir.path().join("plain.sqlite3");
    let store = keydesk_audit::open(plain.to_str().expect("utf-8 temp path")).await?;
    assert_eq!(store.backend(), keydesk_audit::Backend::Sqlite);
    store
        .append(&reset_intent("operator@contoso.com", "a@contoso.com"))
        .await?;
    drop(store);
    let url = format!("sqlite://{}", plain.display());
    let reopened = keydesk_audit::open(&url).await?;
    assert_eq!(reopened.head().await?.map(|h| h.seq), Some(1));
    let nested = keydesk_audit::default_path(&dir.path().join("new-data-dir"));
    let created = keydesk_audit::open(nested.to_str().expect("utf-8 temp path")).await?;
    assert_eq!(created.head().await?.map(|h| h.seq), Some(0));
    assert!(keydesk_audit::open("sqlite::memory:").await.is_err());
    let unsupported = keydesk_audit::open("mysql://root:hunter2@db/keydesk").await;
    let message = format!("{}", unsupported.expect_err("mysql is not supported"));
    assert!(message.contains("mysql://"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    if let Ok(url) = std::env::var(crate::support::POSTGRES_URL_VAR) {
        let admin = sqlx::PgPool::connect(&url).await?;
        let schema = format!(
            "kd_audit_test_open_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await?;
        let separator = if url.contains('?') { '&' } else { '?' };
        let store =
            keydesk_audit::open(&format!("{url}{separator}options[search_path]={schema}")).await?;
        assert_eq!(store.backend(), keydesk_audit::Backend::Postgres);
        store
            .append(&reset_intent("operator@contoso.com", "a@contoso.com"))
            .await?;
        let in_schema: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {schema}.audit_records"
        )))
        .fetch_one(&admin)
        .await?;
        assert_eq!(in_schema, 1);
        drop(store);
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await?;
    }
    Ok(())
}
