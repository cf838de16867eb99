//! Exhaustive tamper classification over an in-memory log: every kind of tampering at every
//! position of a 10-record chain must be named exactly, with nothing else reported.
//! (The integration tests do the same kinds through real SQL on both databases.)

use futures::future::BoxFuture;
use time::macros::datetime;
use uuid::Uuid;

use crate::{
    AuditEvent, AuditRecord, AuditStore, Backend, ChainHead, Error, GENESIS_HASH, Page,
    ProblemKind, StoredRow,
};

const LENGTH: i64 = 10;

/// Rows and a head row, held in memory, read like a database would return them.
#[derive(Debug)]
struct MemoryRows {
    rows: Vec<StoredRow>,
    head: Option<ChainHead>,
}

impl AuditStore for MemoryRows {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn append<'a>(&'a self, _event: &'a AuditEvent) -> BoxFuture<'a, Result<AuditRecord, Error>> {
        Box::pin(async { Err(Error::Chain("read-only test store".to_owned())) })
    }

    fn stored_rows(&self, page: Page) -> BoxFuture<'_, Result<Vec<StoredRow>, Error>> {
        let mut rows: Vec<StoredRow> = self
            .rows
            .iter()
            .filter(|row| row.seq > page.after_seq)
            .cloned()
            .collect();
        rows.sort_by_key(|row| row.seq);
        rows.truncate(page.limit as usize);
        Box::pin(async move { Ok(rows) })
    }

    fn scan<'a>(
        &'a self,
        visit: &'a mut crate::store::RowVisitor<'_>,
    ) -> BoxFuture<'a, Result<Option<ChainHead>, Error>> {
        let mut rows = self.rows.clone();
        rows.sort_by_key(|row| row.seq);
        let head = self.head.clone();
        Box::pin(async move {
            for row in rows {
                visit(row)?;
            }
            Ok(head)
        })
    }

    fn for_user<'a>(&'a self, _upn: &'a str) -> BoxFuture<'a, Result<Vec<AuditRecord>, Error>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn head(&self) -> BoxFuture<'_, Result<Option<ChainHead>, Error>> {
        let head = self.head.clone();
        Box::pin(async move { Ok(head) })
    }
}

fn sealed(seq: i64, prev_hash: &str, target: &str) -> AuditRecord {
    let mut event = AuditEvent::intent("operator@contoso.com", "unlock");
    event.target = Some(target.to_owned());
    AuditRecord::seal(
        seq,
        Uuid::from_u128(seq as u128 + u128::from(target.len() as u64) * 1_000),
        datetime!(2026-11-05 09:30:00 UTC),
        event,
        prev_hash.to_owned(),
    )
    .expect("records seal")
}

fn row(record: AuditRecord) -> StoredRow {
    StoredRow {
        seq: record.seq,
        canonical: record.canonical_json().expect("records encode"),
        prev_hash: record.prev_hash.clone(),
        hash: record.hash.clone(),
        record: Ok(record),
    }
}

fn log() -> MemoryRows {
    let mut rows = Vec::new();
    let mut prev = GENESIS_HASH.to_owned();
    for seq in 1..=LENGTH {
        let record = sealed(seq, &prev, &format!("user{seq}@contoso.com"));
        prev = record.hash.clone();
        rows.push(row(record));
    }
    MemoryRows {
        rows,
        head: Some(ChainHead {
            seq: LENGTH,
            hash: prev,
        }),
    }
}

/// Sets a row's stored seq (the column) without touching what was sealed.
fn set_seq(row: &mut StoredRow, seq: i64) {
    row.seq = seq;
    if let Ok(record) = &mut row.record {
        record.seq = seq;
    }
}

fn hash_of(log: &MemoryRows, seq: i64) -> String {
    log.rows
        .iter()
        .find(|row| row.seq == seq)
        .map_or_else(|| GENESIS_HASH.to_owned(), |row| row.hash.clone())
}

#[track_caller]
fn check(log: &MemoryRows, expected: &[(ProblemKind, i64)], what: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let report = runtime
        .block_on(crate::verify(log))
        .expect("verify reads the memory rows");
    let found: Vec<(ProblemKind, i64)> = report.problems.iter().map(|p| (p.kind, p.seq)).collect();
    assert_eq!(found, expected, "{what}: {report:#?}");
}

#[test]
fn an_untouched_log_verifies() {
    check(&log(), &[], "untouched");
}

#[test]
fn every_edit_is_edited_at_its_seq() {
    for seq in 1..=LENGTH {
        let mut tampered = log();
        let row = &mut tampered.rows[(seq - 1) as usize];
        if let Ok(record) = &mut row.record {
            record.event.action = "password_reset".to_owned();
        }
        check(
            &tampered,
            &[(ProblemKind::Edited, seq)],
            &format!("edit {seq}"),
        );
    }
}

#[test]
fn every_deletion_is_deleted_at_its_seq() {
    for seq in 1..=LENGTH {
        let mut tampered = log();
        tampered.rows.remove((seq - 1) as usize);
        check(
            &tampered,
            &[(ProblemKind::Deleted, seq)],
            &format!("delete {seq}"),
        );
    }
}

#[test]
fn every_deletion_with_renumbering_is_deleted_at_its_seq() {
    for seq in 1..LENGTH {
        let mut tampered = log();
        tampered.rows.remove((seq - 1) as usize);
        for row in tampered.rows.iter_mut().filter(|row| row.seq > seq) {
            let renumbered = row.seq - 1;
            set_seq(row, renumbered);
        }
        check(
            &tampered,
            &[(ProblemKind::Deleted, seq)],
            &format!("delete {seq} and renumber"),
        );
    }
}

#[test]
fn every_swap_is_reordered_at_both_seqs() {
    for first in 1..=LENGTH {
        for second in first + 1..=LENGTH {
            let mut tampered = log();
            set_seq(&mut tampered.rows[(first - 1) as usize], second);
            set_seq(&mut tampered.rows[(second - 1) as usize], first);
            check(
                &tampered,
                &[
                    (ProblemKind::Reordered, first),
                    (ProblemKind::Reordered, second),
                ],
                &format!("swap {first} and {second}"),
            );
        }
    }
}

#[test]
fn every_forged_insertion_is_inserted_at_its_seq() {
    for seq in 1..=LENGTH + 1 {
        for linked in [true, false] {
            let mut tampered = log();
            let prev = if linked {
                hash_of(&tampered, seq - 1)
            } else {
                "e".repeat(64)
            };
            for row in tampered.rows.iter_mut().filter(|row| row.seq >= seq) {
                let renumbered = row.seq + 1;
                set_seq(row, renumbered);
            }
            tampered
                .rows
                .push(row(sealed(seq, &prev, "mallory@contoso.com")));
            check(
                &tampered,
                &[(ProblemKind::Inserted, seq)],
                &format!("insert at {seq}, linked {linked}"),
            );
        }
    }
}

#[test]
fn a_forged_row_forking_off_an_older_record_is_the_inserted_one() {
    for parent in 0..LENGTH {
        let mut tampered = log();
        let prev = hash_of(&tampered, parent);
        tampered
            .rows
            .push(row(sealed(LENGTH + 1, &prev, "mallory@contoso.com")));
        check(
            &tampered,
            &[(ProblemKind::Inserted, LENGTH + 1)],
            &format!("fork off {parent}"),
        );
    }
}

#[test]
fn a_missing_head_row_is_reported() {
    let mut tampered = log();
    tampered.head = None;
    check(&tampered, &[(ProblemKind::Deleted, 0)], "no head row");
}

#[test]
fn a_head_row_naming_another_hash_is_reported() {
    let mut tampered = log();
    tampered.head = Some(ChainHead {
        seq: LENGTH,
        hash: "a".repeat(64),
    });
    check(&tampered, &[(ProblemKind::Edited, LENGTH)], "head hash");
}
