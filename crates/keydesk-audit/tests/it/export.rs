//! `export`: JSONL lines that parse back into the records (and still hash right), and CSV with
//! a header, one row per record and RFC 4180 quoting.

use keydesk_audit::{AuditRecord, ExportFormat, Page, export};

use crate::support::{Fixture, backend_tests, reset_intent};

backend_tests!(jsonl_round_trips, csv_has_a_header_and_quotes);

async fn seed(fixture: &Fixture) -> anyhow::Result<Vec<AuditRecord>> {
    let store = fixture.store.as_ref();
    let mut first = reset_intent("operator@contoso.com", "bob@contoso.com");
    first.details = serde_json::json!({"note": "said \"urgent\", twice\nthen hung up"});
    store.append(&first).await?;
    store
        .append(&reset_intent("operator@contoso.com", "carol@contoso.com"))
        .await?;
    Ok(store.records(Page::first()).await?)
}

async fn jsonl_round_trips(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture).await?;
    let mut out = Vec::new();
    let written = export(fixture.store.as_ref(), ExportFormat::Jsonl, &mut out).await?;
    assert_eq!(written, 2);
    let text = String::from_utf8(out)?;
    let parsed: Vec<AuditRecord> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(parsed, records);
    for record in &parsed {
        assert_eq!(record.compute_hash()?, record.hash);
    }
    Ok(())
}

async fn csv_has_a_header_and_quotes(fixture: &Fixture) -> anyhow::Result<()> {
    let records = seed(fixture).await?;
    let mut out = Vec::new();
    export(
        fixture.store.as_ref(),
        "csv".parse::<ExportFormat>()?,
        &mut out,
    )
    .await?;
    let text = String::from_utf8(out)?;
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(keydesk_audit::export::CSV_COLUMNS.join(",").as_str())
    );
    let first_row = lines.next().expect("a first row");
    assert!(
        first_row.starts_with(&format!("1,{},", records[0].id)),
        "{first_row}"
    );
    assert!(
        first_row
            .contains(",intent,operator@contoso.com,,password_reset,bob@contoso.com,entra,allow,")
    );
    // The details cell holds JSON with quotes, a comma and a newline: quoted, quotes doubled.
    assert!(
        text.contains(r#""{""channel"":""phone"""#) || text.contains(r#""{""note"":"#),
        "{text}"
    );
    assert!(text.ends_with(&format!("{}\r\n", records[1].hash)));
    assert!("xml".parse::<ExportFormat>().is_err());
    Ok(())
}
