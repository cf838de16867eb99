//! The stored record ([`AuditRecord`]) and how it is sealed: its canonical encoding and its hash.
//!
//! A record's `hash` is the lower-case hex SHA-256 of the canonical JSON ([`crate::canonical`])
//! of the record *without* its `hash` member; that encoding includes `prev_hash`, which is the
//! previous record's `hash` (64 zeros for the first record), so each record seals the whole
//! chain before it. The encoding also includes `seq`, so a record moved to another position no
//! longer matches its hash. Stores keep the canonical text beside the columns, and
//! [`crate::verify`] checks that the columns, the text and the hash still agree.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditEvent, Error};

/// Version of the record schema, stored in every record as `v` (and so covered by its hash).
pub const SCHEMA_VERSION: u32 = 1;

/// `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record of the audit log, as stored and exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Schema version ([`SCHEMA_VERSION`]).
    pub v: u32,
    /// Position in the chain: 1, 2, 3, ... with no gaps.
    pub seq: i64,
    /// Random id, for outcomes to name their intent and for people to quote.
    pub id: Uuid,
    /// When the record was appended, UTC, to the microsecond (what PostgreSQL keeps).
    #[serde(with = "timestamp")]
    pub recorded_at: OffsetDateTime,
    /// What happened.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// `hash` of the record before this one, [`GENESIS_HASH`] for the first.
    pub prev_hash: String,
    /// SHA-256 (lower-case hex) of [`AuditRecord::canonical_json`].
    pub hash: String,
}

/// The last record of the chain, as the store's chain head row records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// `seq` of the last record, 0 for an empty log.
    pub seq: i64,
    /// `hash` of the last record, [`GENESIS_HASH`] for an empty log.
    pub hash: String,
}

impl AuditRecord {
    /// Builds record `seq` after `prev_hash` and seals it (computes its `hash`).
    pub fn seal(
        seq: i64,
        id: Uuid,
        recorded_at: OffsetDateTime,
        event: AuditEvent,
        prev_hash: String,
    ) -> Result<AuditRecord, Error> {
        let mut record = AuditRecord {
            v: SCHEMA_VERSION,
            seq,
            id,
            recorded_at: timestamp::truncate(recorded_at),
            event,
            prev_hash,
            hash: String::new(),
        };
        record.hash = sha256_hex(&record.canonical_json()?);
        Ok(record)
    }

    /// The canonical JSON of this record without its `hash`: the exact text its hash covers.
    pub fn canonical_json(&self) -> Result<String, Error> {
        Ok(crate::canonical::to_canonical_string(
            &self.unsealed_value()?,
        ))
    }

    /// What `hash` should be for the record's current fields.
    pub fn compute_hash(&self) -> Result<String, Error> {
        Ok(sha256_hex(&self.canonical_json()?))
    }

    /// The record as JSON without its `hash` member.
    pub(crate) fn unsealed_value(&self) -> Result<serde_json::Value, Error> {
        let mut value = serde_json::to_value(self)?;
        if let serde_json::Value::Object(members) = &mut value {
            members.remove("hash");
        }
        Ok(value)
    }
}

impl ChainHead {
    /// The head of an empty log.
    pub fn genesis() -> ChainHead {
        ChainHead {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// Lower-case hex SHA-256 of `text`'s UTF-8 bytes.
pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The record timestamp format: RFC 3339, UTC, always six fractional digits
/// (`2026-11-05T09:30:00.123456Z`), so the text (and the hash over it) is the same whichever
/// database stored the instant.
pub mod timestamp {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::BorrowedFormatItem;
    use time::macros::format_description;
    use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

    const FORMAT: &[BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

    /// `instant` in UTC with its nanoseconds cut to whole microseconds.
    pub fn truncate(instant: OffsetDateTime) -> OffsetDateTime {
        let utc = instant.to_offset(UtcOffset::UTC);
        let micros = utc.nanosecond() / 1_000 * 1_000;
        // `micros` is below one second, so `replace_nanosecond` cannot fail; keep `utc` if it did.
        utc.replace_nanosecond(micros).unwrap_or(utc)
    }

    /// The current time, truncated to the microsecond.
    pub fn now() -> OffsetDateTime {
        truncate(OffsetDateTime::now_utc())
    }

    /// `instant` in the record format.
    pub fn format(instant: OffsetDateTime) -> String {
        truncate(instant)
            .format(FORMAT)
            // Only years outside 0..=9999 fail to format; fall back to RFC 3339's own writer.
            .or_else(|_| truncate(instant).format(&time::format_description::well_known::Rfc3339))
            .unwrap_or_default()
    }

    /// Parses the record format, or any RFC 3339 timestamp.
    pub fn parse(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
        match PrimitiveDateTime::parse(text, FORMAT) {
            Ok(primitive) => Ok(primitive.assume_utc()),
            Err(_) => OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(|instant| instant.to_offset(UtcOffset::UTC)),
        }
    }

    pub(crate) fn serialize<S: Serializer>(
        instant: &OffsetDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*instant))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}
