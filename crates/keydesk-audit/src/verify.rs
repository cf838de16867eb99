//! `keydesk audit verify`: re-checks every stored record and says what kind of tampering, if any,
//! the stored log shows, and which intents have no outcome.
//!
//! Each row is first judged on its own. Its columns are re-encoded canonically and compared with
//! the stored canonical text, and that text is re-hashed and compared with the stored hash:
//! - all three agree: the row is **intact**;
//! - the text and hash agree but the columns differ only in `seq`: the row was **moved** (its
//!   sealed text still says where it belongs);
//! - anything else: the row was **edited** (the detail names the fields that differ).
//!
//! Then the chain is walked in stored order. A row whose `prev_hash` is the hash of an earlier
//! row than its predecessor shows a fork: of the two branches, the one that leads (walking back
//! from the chain head row along `prev_hash`) to the head is genuine, and the rows of the other
//! were **inserted**; a moved row that
//! is out of order with its neighbours was **reordered** (a moved row still in order was just
//! renumbered around an insertion or deletion); a seq that no row claims, up to the chain head
//! row's seq, was **deleted**; rows beyond the chain head were **inserted**; any other row that
//! doesn't follow its predecessor is a **broken link**. Link breaks that a deletion, insertion or
//! move already explains are not reported twice.
//!
//! Limits: someone who can write the database and re-seals every record after the one they
//! change (recomputing each hash) and updates the head row produces a valid chain. Detecting that
//! needs a copy of an earlier head kept elsewhere: [`verify_against`] checks one.
//! Memory: about 300 bytes per record (hashes and seqs) for the whole log.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use crate::record::{GENESIS_HASH, sha256_hex};
use crate::{AuditStore, ChainHead, Error, EventKind};

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerifyReport {
    /// How many stored rows were read.
    pub records_checked: u64,
    /// The store's chain head row, if it still exists.
    pub head: Option<ChainHead>,
    /// Every sign of tampering, in seq order.
    pub problems: Vec<Problem>,
    /// Intents that no outcome record closes (not tampering: keydesk may have stopped mid-way,
    /// or the action may still be running).
    pub intents_without_outcome: Vec<OpenIntent>,
    /// No problems (open intents don't count).
    pub ok: bool,
}

/// One sign of tampering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The seq the problem is at: the row's stored seq, or the missing seq for a deletion (the
    /// first of a run), or 0 for the chain head row itself.
    pub seq: i64,
    pub kind: ProblemKind,
    /// What exactly is wrong, for people.
    pub detail: String,
}

/// The kinds of tampering `verify` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A stored record no longer matches what was sealed.
    Edited,
    /// Records that were written are gone.
    Deleted,
    /// A record that was never appended through the chain is there.
    Inserted,
    /// Sealed records are stored out of their order.
    Reordered,
    /// A record does not follow its predecessor, and nothing above explains why.
    BrokenLink,
}

/// An intent record with no outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenIntent {
    pub seq: i64,
    pub id: Uuid,
    pub action: String,
    pub target: Option<String>,
}

/// Verifies the whole log in `store`.
pub async fn verify(store: &dyn AuditStore) -> Result<VerifyReport, Error> {
    verify_inner(store, None).await
}

/// Verifies the log as [`verify`] does, and also that it still contains the record `anchor`
/// names with the hash it names: a head noted earlier outside the database (printed by a
/// previous verify, sent to a SIEM). Catches a chain rewritten and re-sealed from that record on.
pub async fn verify_against(
    store: &dyn AuditStore,
    anchor: &ChainHead,
) -> Result<VerifyReport, Error> {
    verify_inner(store, Some(anchor)).await
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProblemKind::Edited => "edited",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::BrokenLink => "broken link",
        })
    }
}

/// How far back a `prev_hash` is looked for among earlier rows, to recognise inserted runs.
const INSERTION_WINDOW: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Integrity {
    Intact,
    Moved,
    Edited(String),
}

/// What verification keeps of each row.
#[derive(Debug)]
struct RowFacts {
    /// The stored seq.
    seq: i64,
    /// The seq the row was sealed with, when its sealed text says so; else the stored seq.
    claimed: i64,
    integrity: Integrity,
    prev_hash: String,
    /// Hashes this row can be known by: the stored hash, the hash of its stored canonical text,
    /// and the hash of its columns. A successor linking to any of them follows this row (an
    /// edit of one part is reported once, at this row, not again at the next).
    hashes: Vec<String>,
}

impl RowFacts {
    fn known_by(&self, hash: &str) -> bool {
        self.hashes.iter().any(|known| known == hash)
    }
}

async fn verify_inner(
    store: &dyn AuditStore,
    anchor: Option<&ChainHead>,
) -> Result<VerifyReport, Error> {
    let mut rows: Vec<RowFacts> = Vec::new();
    let mut intents: HashMap<Uuid, OpenIntent> = HashMap::new();
    let mut closed: HashSet<Uuid> = HashSet::new();
    let head = store
        .scan(&mut |row| {
            note_intents(&row, &mut intents, &mut closed);
            rows.push(judge_row(&row));
            Ok(())
        })
        .await?;
    let mut problems = analyse(&rows, head.as_ref(), anchor);
    problems.sort_by_key(|problem| (problem.seq, problem.kind as u8));
    let mut intents_without_outcome: Vec<OpenIntent> = intents
        .into_values()
        .filter(|intent| !closed.contains(&intent.id))
        .collect();
    intents_without_outcome.sort_by_key(|intent| intent.seq);
    Ok(VerifyReport {
        records_checked: rows.len() as u64,
        head,
        ok: problems.is_empty(),
        problems,
        intents_without_outcome,
    })
}

/// Tracks intents and the outcomes that close them.
fn note_intents(
    row: &crate::StoredRow,
    intents: &mut HashMap<Uuid, OpenIntent>,
    closed: &mut HashSet<Uuid>,
) {
    let Ok(record) = &row.record else { return };
    match record.event.kind {
        EventKind::Intent => {
            intents.insert(
                record.id,
                OpenIntent {
                    seq: record.seq,
                    id: record.id,
                    action: record.event.action.clone(),
                    target: record.event.target.clone(),
                },
            );
        }
        EventKind::Outcome => {
            if let Some(intent_id) = record.event.intent_id {
                closed.insert(intent_id);
            }
        }
        _ => {}
    }
}

/// Judges one row on its own: intact, moved or edited.
fn judge_row(row: &crate::StoredRow) -> RowFacts {
    let sealed_hash = sha256_hex(&row.canonical);
    let sealed_ok = sealed_hash == row.hash;
    let mut hashes = vec![row.hash.clone(), sealed_hash];
    let mut claimed = row.seq;
    let integrity = match &row.record {
        Err(why) => Integrity::Edited(format!("the stored row no longer decodes ({why})")),
        Ok(record) => match record.unsealed_value() {
            Err(error) => Integrity::Edited(format!("the stored row does not encode ({error})")),
            Ok(fields) => {
                let fields_canonical = crate::canonical::to_canonical_string(&fields);
                let fields_hash = sha256_hex(&fields_canonical);
                let integrity = if fields_canonical == row.canonical && sealed_ok {
                    Integrity::Intact
                } else if sealed_ok {
                    match serde_json::from_str::<serde_json::Value>(&row.canonical) {
                        Err(_) => Integrity::Edited(
                            "the sealed text is not JSON, though it matches the hash".to_owned(),
                        ),
                        Ok(sealed) => {
                            let differing = differing_fields(&sealed, &fields);
                            let sealed_seq = sealed.get("seq").and_then(serde_json::Value::as_i64);
                            match (differing.as_slice(), sealed_seq) {
                                ([only], Some(sealed_seq)) if only == "seq" => {
                                    claimed = sealed_seq;
                                    Integrity::Moved
                                }
                                _ => Integrity::Edited(describe_differences(
                                    &differing, &sealed, &fields,
                                )),
                            }
                        }
                    }
                } else if fields_hash == row.hash {
                    Integrity::Edited(
                        "the stored canonical text was altered (the fields still match the hash)"
                            .to_owned(),
                    )
                } else if fields_canonical == row.canonical {
                    Integrity::Edited(
                        "the stored hash was altered (fields and canonical text agree)".to_owned(),
                    )
                } else {
                    Integrity::Edited(
                        "neither the fields nor the canonical text match the stored hash"
                            .to_owned(),
                    )
                };
                hashes.push(fields_hash);
                integrity
            }
        },
    };
    RowFacts {
        seq: row.seq,
        claimed,
        integrity,
        prev_hash: row.prev_hash.clone(),
        hashes,
    }
}

/// Top-level members that differ between the sealed text and the stored columns, sorted.
fn differing_fields(sealed: &serde_json::Value, fields: &serde_json::Value) -> Vec<String> {
    let (Some(sealed), Some(fields)) = (sealed.as_object(), fields.as_object()) else {
        return vec!["(whole record)".to_owned()];
    };
    let names: BTreeSet<&String> = sealed.keys().chain(fields.keys()).collect();
    names
        .into_iter()
        .filter(|name| sealed.get(*name) != fields.get(*name))
        .cloned()
        .collect()
}

fn describe_differences(
    differing: &[String],
    sealed: &serde_json::Value,
    fields: &serde_json::Value,
) -> String {
    let render = |value: Option<&serde_json::Value>| -> String {
        let text = value.map_or_else(|| "(absent)".to_owned(), |value| value.to_string());
        if text.chars().count() > 80 {
            let cut: String = text.chars().take(77).collect();
            format!("{cut}...")
        } else {
            text
        }
    };
    let parts: Vec<String> = differing
        .iter()
        .map(|name| {
            format!(
                "{name}: sealed {}, stored {}",
                render(sealed.get(name)),
                render(fields.get(name))
            )
        })
        .collect();
    format!("fields differ from what was sealed: {}", parts.join("; "))
}

/// Walks the judged rows in stored order and classifies every problem.
fn analyse(
    rows: &[RowFacts],
    head: Option<&ChainHead>,
    anchor: Option<&ChainHead>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut inserted: BTreeSet<usize> = BTreeSet::new();
    let mut broken: Vec<usize> = Vec::new();
    let backbone = backbone(rows, head);
    let moved_hashes: HashSet<&str> = rows
        .iter()
        .filter(|row| row.integrity == Integrity::Moved)
        .flat_map(|row| row.hashes.iter().map(String::as_str))
        .collect();

    for (index, row) in rows.iter().enumerate() {
        if let Integrity::Edited(detail) = &row.integrity {
            problems.push(Problem {
                seq: row.seq,
                kind: ProblemKind::Edited,
                detail: detail.clone(),
            });
        }
        let follows = match index.checked_sub(1) {
            None => row.prev_hash == GENESIS_HASH,
            Some(previous) => rows[previous].known_by(&row.prev_hash),
        };
        if follows {
            continue;
        }
        // Does it follow an earlier row, skipping some? Then those rows were inserted (unless
        // they are sealed records that were moved, which the order check reports).
        let window_start = index.saturating_sub(INSERTION_WINDOW);
        let skipped_from = if index > 0 && row.prev_hash == GENESIS_HASH {
            Some(0)
        } else {
            (window_start..index.saturating_sub(1))
                .rev()
                .find(|&earlier| rows[earlier].known_by(&row.prev_hash))
                .map(|earlier| earlier + 1)
        };
        if let Some(first_skipped) = skipped_from {
            // A fork: this row and the skipped ones both descend from the same earlier record.
            // The branch that leads to the chain head is the genuine one.
            let skipped: Vec<usize> = (first_skipped..index)
                .filter(|&skipped| rows[skipped].integrity != Integrity::Moved)
                .collect();
            let skipped_are_genuine = skipped.iter().any(|k| backbone.contains(k));
            if backbone.contains(&index) || !skipped_are_genuine {
                inserted.extend(skipped.into_iter().filter(|k| !backbone.contains(k)));
            } else {
                inserted.insert(index);
            }
            continue;
        }
        let previous_moved = index > 0 && rows[index - 1].integrity == Integrity::Moved;
        if row.integrity == Integrity::Moved
            || previous_moved
            || moved_hashes.contains(row.prev_hash.as_str())
        {
            // Explained by a move, which the order check below reports.
            continue;
        }
        broken.push(index);
    }

    // Rows beyond the chain head were not appended through it.
    if let Some(head) = head {
        for (index, row) in rows.iter().enumerate() {
            if row.claimed > head.seq && row.integrity != Integrity::Moved {
                inserted.insert(index);
            }
        }
    } else if !rows.is_empty() {
        problems.push(Problem {
            seq: 0,
            kind: ProblemKind::Deleted,
            detail: "the chain head row is missing".to_owned(),
        });
    }
    for &index in &inserted {
        let row = &rows[index];
        let why = match head {
            Some(head) if row.claimed > head.seq => {
                format!("beyond the chain head (seq {})", head.seq)
            }
            _ => "the next record's prev_hash skips it".to_owned(),
        };
        problems.push(Problem {
            seq: row.seq,
            kind: ProblemKind::Inserted,
            detail: format!(
                "record {} was not appended through the chain: {why}",
                row.seq
            ),
        });
    }

    // Seqs no genuine row claims, up to the head, were deleted.
    let claimed: BTreeSet<i64> = rows
        .iter()
        .enumerate()
        .filter(|(index, _)| !inserted.contains(index))
        .map(|(_, row)| row.claimed)
        .collect();
    let last_claimed = claimed.last().copied().unwrap_or(0);
    let mut upper = head.map_or(last_claimed, |head| head.seq.max(last_claimed));
    if let Some(anchor) = anchor {
        upper = upper.max(anchor.seq);
    }
    let missing: BTreeSet<i64> = (1..=upper).filter(|seq| !claimed.contains(seq)).collect();
    for (first, last) in runs(&missing) {
        let detail = if first == last {
            format!("record {first} is missing")
        } else {
            format!("records {first} to {last} are missing")
        };
        problems.push(Problem {
            seq: first,
            kind: ProblemKind::Deleted,
            detail,
        });
    }

    // The head row and the anchor must name the hash of the record they point at.
    let genuine_at = |seq: i64| {
        rows.iter()
            .enumerate()
            .find(|(index, row)| row.claimed == seq && !inserted.contains(index))
            .map(|(_, row)| row)
    };
    for (label, point) in [("the chain head row", head), ("the anchor", anchor)] {
        let Some(point) = point else { continue };
        if point.seq == 0 {
            continue;
        }
        if let Some(row) = genuine_at(point.seq)
            && !row.known_by(&point.hash)
            && !matches!(row.integrity, Integrity::Edited(_))
        {
            problems.push(Problem {
                seq: row.seq,
                kind: ProblemKind::Edited,
                detail: format!(
                    "{label} names a different hash for record {} (rewritten and re-sealed?)",
                    point.seq
                ),
            });
        }
    }

    // Moved rows: out of order with their neighbours is a reorder; in order, a renumbering that
    // an insertion or deletion before it explains, or else an edit of seq.
    let genuine: Vec<usize> = (0..rows.len())
        .filter(|index| !inserted.contains(index))
        .collect();
    for (position, &index) in genuine.iter().enumerate() {
        let row = &rows[index];
        if row.integrity != Integrity::Moved {
            continue;
        }
        let before = position
            .checked_sub(1)
            .map_or(i64::MIN, |p| rows[genuine[p]].claimed);
        let after = genuine
            .get(position + 1)
            .map_or(i64::MAX, |&next| rows[next].claimed);
        if before < row.claimed && row.claimed < after {
            let explained = inserted.range(..index).next().is_some()
                || missing.range(..row.claimed).next().is_some();
            if !explained {
                problems.push(Problem {
                    seq: row.seq,
                    kind: ProblemKind::Edited,
                    detail: format!(
                        "seq changed from {} to {} (order kept)",
                        row.claimed, row.seq
                    ),
                });
            }
        } else {
            problems.push(Problem {
                seq: row.seq,
                kind: ProblemKind::Reordered,
                detail: format!(
                    "record sealed as seq {} is stored at seq {}",
                    row.claimed, row.seq
                ),
            });
        }
    }

    // Broken links that nothing above explains.
    for index in broken {
        if inserted.contains(&index) {
            continue;
        }
        let row = &rows[index];
        let previous_claimed = index.checked_sub(1).map_or(0, |p| rows[p].claimed);
        let deletion_between = missing
            .range(previous_claimed.saturating_add(1)..row.claimed.max(previous_claimed + 1))
            .next()
            .is_some();
        if deletion_between {
            continue;
        }
        let detail = match index.checked_sub(1) {
            None => "the first record does not start the chain".to_owned(),
            Some(previous) => format!(
                "prev_hash does not match record {} (replaced or re-sealed?)",
                rows[previous].seq
            ),
        };
        problems.push(Problem {
            seq: row.seq,
            kind: ProblemKind::BrokenLink,
            detail,
        });
    }
    problems
}

/// The rows reached by walking back from the chain head along `prev_hash` links: the genuine
/// chain, as far back as it is unbroken. Empty without a head row.
fn backbone(rows: &[RowFacts], head: Option<&ChainHead>) -> HashSet<usize> {
    let mut reached = HashSet::new();
    let Some(head) = head else { return reached };
    let mut by_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        for hash in &row.hashes {
            let indexes = by_hash.entry(hash.as_str()).or_default();
            if !indexes.contains(&index) {
                indexes.push(index);
            }
        }
    }
    let mut wanted = head.hash.as_str();
    while wanted != GENESIS_HASH {
        let next = by_hash
            .get(wanted)
            .and_then(|indexes| indexes.iter().find(|index| !reached.contains(*index)));
        let Some(&index) = next else { break };
        reached.insert(index);
        wanted = rows[index].prev_hash.as_str();
    }
    reached
}

/// Consecutive runs in `seqs`, as (first, last).
fn runs(seqs: &BTreeSet<i64>) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &seq in seqs {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == seq => *last = seq,
            _ => runs.push((seq, seq)),
        }
    }
    runs
}

#[cfg(test)]
mod tests;
