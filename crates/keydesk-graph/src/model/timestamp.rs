//! Lenient DateTimeOffset handling for model fields.
//!
//! Graph writes RFC 3339 with up to seven fractional digits; a few places (`innerError.date`)
//! omit the offset. Anything unparseable becomes `None` instead of failing the response.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Deserializes an optional timestamp leniently.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    let text = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(text
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(parse))
}

/// Serializes an optional timestamp as RFC 3339 (used by request bodies).
pub(crate) fn serialize<S: Serializer>(
    value: &Option<OffsetDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value.map(|value| value.format(&Rfc3339)) {
        Some(Ok(text)) => serializer.serialize_str(&text),
        Some(Err(error)) => Err(serde::ser::Error::custom(error)),
        None => serializer.serialize_none(),
    }
}

/// Parses RFC 3339, or an offset-less `yyyy-MM-ddTHH:mm:ss[.f]` taken as UTC.
pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    if let Ok(value) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(value);
    }
    let format = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}
