//! `keydesk audit export --format jsonl|csv`: the whole log, in seq order, streamed from one
//! consistent snapshot.
//!
//! JSONL writes each [`crate::AuditRecord`] as one JSON object per line (the record schema, hash
//! included), so an export can be re-verified by re-hashing. CSV flattens a record into one row
//! with fixed columns ([`CSV_COLUMNS`]); nested values (reasons, approvals, details, ...) are JSON
//! text in their cell. Cells are quoted per RFC 4180 when needed and otherwise written as stored:
//! a spreadsheet opening the file may treat a cell starting with `=` as a formula.

use std::io::Write;
use std::str::FromStr;

use crate::record::timestamp;
use crate::{AuditRecord, AuditStore, Error};

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON record per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 22] = [
    "seq",
    "id",
    "recorded_at",
    "kind",
    "actor",
    "on_behalf_of",
    "action",
    "target",
    "store",
    "decision_effect",
    "decision_reasons",
    "decision_policies",
    "approvals",
    "verifications",
    "graph_request_ids",
    "intent_id",
    "outcome_status",
    "outcome_summary",
    "details",
    "v",
    "prev_hash",
    "hash",
];

/// Writes every record of `store` to `writer` in `format`, from one consistent snapshot;
/// returns how many were written. A row that no longer decodes stops the export with
/// [`Error::Corrupt`] (run verify).
pub async fn export(
    store: &dyn AuditStore,
    format: ExportFormat,
    writer: &mut (dyn Write + Send),
) -> Result<u64, Error> {
    if format == ExportFormat::Csv {
        write_csv_row(writer, CSV_COLUMNS.iter().map(|name| name.to_string()))?;
    }
    let mut written = 0u64;
    store
        .scan(&mut |row| {
            let record = row.record.map_err(|detail| Error::Corrupt {
                seq: row.seq,
                detail,
            })?;
            match format {
                ExportFormat::Jsonl => {
                    serde_json::to_writer(&mut *writer, &record)?;
                    writer.write_all(b"\n")?;
                }
                ExportFormat::Csv => write_csv_row(writer, csv_cells(&record)?.into_iter())?,
            }
            written += 1;
            Ok(())
        })
        .await?;
    writer.flush()?;
    Ok(written)
}

impl FromStr for ExportFormat {
    type Err = Error;

    fn from_str(text: &str) -> Result<ExportFormat, Error> {
        match text.to_ascii_lowercase().as_str() {
            "jsonl" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(Error::InvalidEvent(format!(
                "unknown export format {other:?} (use jsonl or csv)"
            ))),
        }
    }
}

fn csv_cells(record: &AuditRecord) -> Result<Vec<String>, Error> {
    let event = &record.event;
    Ok(vec![
        record.seq.to_string(),
        record.id.to_string(),
        timestamp::format(record.recorded_at),
        event.kind.as_str().to_owned(),
        event.actor.clone(),
        event.on_behalf_of.clone().unwrap_or_default(),
        event.action.clone(),
        event.target.clone().unwrap_or_default(),
        event.store.as_str().to_owned(),
        event
            .decision
            .as_ref()
            .map(|decision| decision.effect.as_str().to_owned())
            .unwrap_or_default(),
        event
            .decision
            .as_ref()
            .map(|decision| json(&decision.reasons))
            .transpose()?
            .unwrap_or_default(),
        event
            .decision
            .as_ref()
            .map(|decision| json(&decision.policies))
            .transpose()?
            .unwrap_or_default(),
        json(&event.approvals)?,
        json(&event.verifications)?,
        json(&event.graph_request_ids)?,
        event.intent_id.map(|id| id.to_string()).unwrap_or_default(),
        event
            .outcome
            .as_ref()
            .map(|outcome| outcome.status.as_str().to_owned())
            .unwrap_or_default(),
        event
            .outcome
            .as_ref()
            .map(|outcome| outcome.summary.clone())
            .unwrap_or_default(),
        if event.details.is_null() {
            String::new()
        } else {
            json(&event.details)?
        },
        record.v.to_string(),
        record.prev_hash.clone(),
        record.hash.clone(),
    ])
}

/// A record part as compact JSON text for a CSV cell.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    Ok(serde_json::to_string(value)?)
}

fn write_csv_row(
    writer: &mut (dyn Write + Send),
    cells: impl Iterator<Item = String>,
) -> Result<(), Error> {
    let mut line = String::new();
    for (index, cell) in cells.enumerate() {
        if index > 0 {
            line.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    writer.write_all(line.as_bytes())?;
    Ok(())
}
