//! The canonical JSON encoding that record hashes are computed over.
//!
//! Written out by hand rather than trusting a serializer's defaults, so the bytes that are hashed
//! cannot change under us with a dependency upgrade or a feature flag (`serde_json`'s
//! `preserve_order`, for one, changes object key order). The rules, close to RFC 8785 (JCS):
//!
//! - Objects: members sorted by key, compared as UTF-16 code units (as JCS does), at every depth.
//! - No insignificant whitespace: `{"a":1,"b":[true,null]}`.
//! - Strings: UTF-8 as is, except `"` and `\` and the control characters U+0000..U+001F, which are
//!   escaped (`\b \f \n \r \t` in their short forms, the rest as `\u00xx` in lower-case hex).
//! - Numbers: integers (what `serde_json` holds as `i64`/`u64`) in plain decimal, exactly; other
//!   numbers as RFC 8785 / ECMAScript `Number.prototype.toString` writes them, from the shortest
//!   digits that round-trip: `1.0` → `1`, `-0.0` → `0`, `1e16` → `10000000000000000`, `0.1`,
//!   `1e-7`, `1e+21`, `1e+300`. JSON has no NaN or infinity, so neither can occur. Written here,
//!   not by `serde_json`, whose float text is not a stable contract.
//!
//! This module does no I/O and knows nothing about records; [`crate::record`] decides what is
//! encoded.

use std::cmp::Ordering;
use std::fmt::Write;

use serde_json::{Number, Value};

/// `value` in canonical form.
pub fn to_canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| compare_keys(a, b));
            out.push('{');
            for (index, (key, item)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Key order: UTF-16 code units, as RFC 8785 specifies.
fn compare_keys(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_number(out: &mut String, number: &Number) {
    if let Some(integer) = number.as_i64() {
        let _ = write!(out, "{integer}");
    } else if let Some(integer) = number.as_u64() {
        let _ = write!(out, "{integer}");
    } else if let Some(float) = number.as_f64() {
        write_float(out, float);
    } else {
        // Only reachable with serde_json's `arbitrary_precision`; its text is already decimal.
        out.push_str(&number.to_string());
    }
}

/// ECMAScript's Number-to-String (ECMA-262 `Number::toString`, as RFC 8785 uses it).
fn write_float(out: &mut String, float: f64) {
    if float == 0.0 || !float.is_finite() {
        // Both zeros are `0`. Non-finite values cannot come out of JSON; `0` keeps this total.
        out.push('0');
        return;
    }
    if float < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` gives the shortest digits that round-trip: `d.ddde-7`, `de21`.
    let scientific = format!("{:e}", float.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i64;
    // The value is 0.DIGITS × 10^n.
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (whole, fraction) = digits.split_at(n as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{}", (n - 1).abs());
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if (control as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", control as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
