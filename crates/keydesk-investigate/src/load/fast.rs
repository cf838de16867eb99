//! The fast path for one hunting record: a single pass over the record's bytes that checks the
//! JSON and picks out the seven fields [`super::RawHuntSignIn`] keeps, without serde.
//!
//! It accepts only a strict subset of what the general path ([`serde_json`] into
//! [`super::RawHuntSignIn`]) accepts, and for that subset gives the same value: every structural and
//! lexical rule serde_json applies is checked the same way (number grammar, literals, escapes,
//! control characters in strings, keys as strings, commas and colons, no trailing commas), and
//! duplicate kept fields, escaped or non-ASCII keys, escaped kept strings, kept fields of an
//! unusual type, and nesting deeper than [`MAX_DEPTH`] are all handed back to the general path
//! ([`Stop::Fallback`]) rather than interpreted here. Malformed JSON is never accepted: the
//! general path decides what happens to it. The differential property test in the loader's
//! tests holds the two paths to the same results.

use super::{Num, Obj, RawHuntStatus};

/// The kept fields of a record read by the fast path, as [`super::RawHuntSignIn`] holds them,
/// but each string as its raw bytes: plain (no escape, no control character), UTF-8 not yet
/// checked (serde refuses a record whose kept string is not UTF-8; the projector checks).
pub(super) struct HuntFields<'a> {
    pub(super) id: Option<&'a [u8]>,
    pub(super) created_date_time: Option<&'a [u8]>,
    pub(super) user_principal_name: Option<&'a [u8]>,
    pub(super) ip_address: Option<&'a [u8]>,
    pub(super) status: Option<Obj<RawHuntStatus>>,
    pub(super) authentication_requirement: Option<&'a [u8]>,
    pub(super) user_agent: Option<&'a [u8]>,
}

/// Nesting inside ignored values beyond which the fast path gives up.
const MAX_DEPTH: usize = 64;

/// Why the fast path gave up on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The bytes ended inside the record.
    Incomplete,
    /// Outside the subset handled here (or malformed): the general path decides.
    Fallback,
}

type Step<T> = Result<T, Stop>;

/// The first byte at or after `from` that ends a run of plain string content: `"`, `\` or a
/// control character (below 0x20); `b.len()` when there is none. Eight bytes at a time.
#[inline]
pub(super) fn string_special(b: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(bytes);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // Mycroft's zero-byte test; the lowest flagged byte is always a true hit.
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let hits = hits & HIGH;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    b.len()
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn peek(&self) -> Step<u8> {
        self.b.get(self.i).copied().ok_or(Stop::Incomplete)
    }

    /// Skips JSON whitespace; the next byte.
    #[inline]
    fn ws(&mut self) -> Step<u8> {
        loop {
            let c = self.peek()?;
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                return Ok(c);
            }
        }
    }

    #[inline]
    fn expect(&mut self, c: u8) -> Step<()> {
        if self.ws()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(Stop::Fallback)
        }
    }

    /// After an opening quote: the string's bytes, closing quote consumed. An escape or a
    /// control character gives up.
    #[inline]
    fn plain(&mut self) -> Step<&'a [u8]> {
        let start = self.i;
        let end = string_special(self.b, start);
        match self.b.get(end) {
            None => Err(Stop::Incomplete),
            Some(b'"') => {
                self.i = end + 1;
                self.b.get(start..end).ok_or(Stop::Fallback)
            }
            Some(_) => Err(Stop::Fallback),
        }
    }

    /// After an opening quote: skips a string as serde_json ignores one (escapes checked,
    /// control characters refused, UTF-8 not checked).
    fn skip_string(&mut self) -> Step<()> {
        loop {
            let at = string_special(self.b, self.i);
            match self.b.get(at) {
                None => return Err(Stop::Incomplete),
                Some(b'"') => {
                    self.i = at + 1;
                    return Ok(());
                }
                Some(b'\\') => match self.b.get(at + 1) {
                    None => return Err(Stop::Incomplete),
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                        self.i = at + 2;
                    }
                    Some(b'u') => {
                        let hex = self.b.get(at + 2..at + 6).ok_or(Stop::Incomplete)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(Stop::Fallback);
                        }
                        self.i = at + 6;
                    }
                    Some(_) => return Err(Stop::Fallback),
                },
                Some(_) => return Err(Stop::Fallback),
            }
        }
    }

    #[inline]
    fn digits(&mut self) -> Step<usize> {
        let start = self.i;
        while self.peek()?.is_ascii_digit() {
            self.i += 1;
        }
        Ok(self.i - start)
    }

    /// Skips a number with serde_json's grammar.
    fn skip_number(&mut self) -> Step<()> {
        if self.peek()? == b'-' {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => {
                self.i += 1;
                if self.peek()?.is_ascii_digit() {
                    return Err(Stop::Fallback);
                }
            }
            b'1'..=b'9' => {
                self.digits()?;
            }
            _ => return Err(Stop::Fallback),
        }
        if self.peek()? == b'.' {
            self.i += 1;
            if self.digits()? == 0 {
                return Err(Stop::Fallback);
            }
        }
        if matches!(self.peek()?, b'e' | b'E') {
            self.i += 1;
            if matches!(self.peek()?, b'+' | b'-') {
                self.i += 1;
            }
            if self.digits()? == 0 {
                return Err(Stop::Fallback);
            }
        }
        Ok(())
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Step<()> {
        match self.b.get(self.i..self.i + word.len()) {
            None => Err(Stop::Incomplete),
            Some(got) if got == word => {
                self.i += word.len();
                Ok(())
            }
            Some(_) => Err(Stop::Fallback),
        }
    }

    /// `"key":` inside an ignored object.
    fn skip_key(&mut self) -> Step<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }

    /// Skips any value as serde_json's `ignore_value` does, without recursion.
    fn skip_value(&mut self) -> Step<()> {
        let mut stack = [0u8; MAX_DEPTH];
        let mut depth = 0usize;
        'value: loop {
            match self.ws()? {
                b'"' => {
                    self.i += 1;
                    self.skip_string()?;
                }
                b'-' | b'0'..=b'9' => self.skip_number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                open @ (b'[' | b'{') => {
                    self.i += 1;
                    let close = if open == b'[' { b']' } else { b'}' };
                    if self.ws()? == close {
                        self.i += 1;
                    } else {
                        let slot = stack.get_mut(depth).ok_or(Stop::Fallback)?;
                        *slot = open;
                        depth += 1;
                        if open == b'{' {
                            self.skip_key()?;
                        }
                        continue 'value;
                    }
                }
                _ => return Err(Stop::Fallback),
            }
            // After a complete value: commas and closing brackets.
            loop {
                let Some(top) = depth.checked_sub(1).and_then(|d| stack.get(d).copied()) else {
                    return Ok(());
                };
                match (self.ws()?, top) {
                    (b',', b'[') => {
                        self.i += 1;
                        continue 'value;
                    }
                    (b',', _) => {
                        self.i += 1;
                        self.skip_key()?;
                        continue 'value;
                    }
                    (b']', b'[') | (b'}', b'{') => {
                        self.i += 1;
                        depth -= 1;
                    }
                    _ => return Err(Stop::Fallback),
                }
            }
        }
    }

    /// A kept text field: a string without escapes (its bytes) or `null`.
    fn opt_str(&mut self) -> Step<Option<&'a [u8]>> {
        match self.ws()? {
            b'"' => {
                self.i += 1;
                self.plain().map(Some)
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(None)
            }
            _ => Err(Stop::Fallback),
        }
    }

    /// `errorCode`: a non-negative integer of at most 15 digits (exact in `f64`, so the same
    /// [`Num`] serde's text round trip gives) or `null`.
    fn opt_code(&mut self) -> Step<Option<Num>> {
        match self.ws()? {
            b'n' => {
                self.literal(b"null")?;
                Ok(None)
            }
            b'0'..=b'9' => {
                let start = self.i;
                let count = self.digits()?;
                if count > 15
                    || (count > 1 && self.b.get(start) == Some(&b'0'))
                    || matches!(self.peek()?, b'.' | b'e' | b'E')
                {
                    return Err(Stop::Fallback);
                }
                let mut value = 0i64;
                for &c in self.b.get(start..self.i).ok_or(Stop::Fallback)? {
                    value = value * 10 + i64::from(c - b'0');
                }
                Ok(Some(Num(Some(value as f64))))
            }
            _ => Err(Stop::Fallback),
        }
    }

    /// `status`: an object (only `errorCode` kept) or `null`.
    fn opt_status(&mut self) -> Step<Option<Obj<RawHuntStatus>>> {
        match self.ws()? {
            b'n' => {
                self.literal(b"null")?;
                Ok(None)
            }
            b'{' => {
                self.i += 1;
                let mut status = RawHuntStatus { error_code: None };
                if self.ws()? == b'}' {
                    self.i += 1;
                    return Ok(Some(Obj(Some(status))));
                }
                let mut seen = false;
                loop {
                    let key = self.key()?;
                    if key == b"errorCode" {
                        if std::mem::replace(&mut seen, true) {
                            return Err(Stop::Fallback);
                        }
                        status.error_code = self.opt_code()?;
                    } else {
                        self.skip_value()?;
                    }
                    match self.ws()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Ok(Some(Obj(Some(status))));
                        }
                        _ => return Err(Stop::Fallback),
                    }
                }
            }
            _ => Err(Stop::Fallback),
        }
    }

    /// `"key":` of a kept object: plain ASCII only.
    fn key(&mut self) -> Step<&'a [u8]> {
        self.expect(b'"')?;
        let key = self.plain()?;
        if !key.is_ascii() {
            return Err(Stop::Fallback);
        }
        self.expect(b':')?;
        Ok(key)
    }
}

/// The top-level keys of the last record, in order, each with its field number. Exports write
/// every record's properties in the same order, so the key at a position is most often the one
/// seen there last time: confirming it is one comparison instead of a scan and a lookup. A key
/// is only learnt after [`Cursor::key`] accepted it (plain ASCII), so a confirmed key is exactly
/// what `key` would have read.
#[derive(Default)]
pub(super) struct Schema {
    keys: Vec<(Vec<u8>, u8)>,
}

impl Schema {
    fn learn(&mut self, at: usize, key: &[u8], field: u8) {
        self.keys.truncate(at + 1);
        match self.keys.get_mut(at) {
            Some((known, known_field)) => {
                known.clear();
                known.extend_from_slice(key);
                *known_field = field;
            }
            None => self.keys.push((key.to_vec(), field)),
        }
    }
}

/// The field number of a top-level key (7: not kept).
fn field_of(key: &[u8]) -> u8 {
    match key {
        b"id" => 0,
        b"createdDateTime" => 1,
        b"userPrincipalName" => 2,
        b"ipAddress" => 3,
        b"status" => 4,
        b"authenticationRequirement" => 5,
        b"userAgent" => 6,
        _ => 7,
    }
}

impl Cursor<'_> {
    /// `"key":` when the key is exactly `name` (plain ASCII); otherwise nothing is consumed.
    #[inline]
    fn known_key(&mut self, name: &[u8]) -> Step<bool> {
        let at = self.i;
        let end = at + 1 + name.len();
        if self.b.get(at) == Some(&b'"')
            && self.b.get(at + 1..end) == Some(name)
            && self.b.get(end) == Some(&b'"')
        {
            self.i = end + 1;
            self.expect(b':')?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// Parses the record that starts at `bytes[0]` (a `{`): its length and its kept fields.
pub(super) fn hunt_record<'a>(
    bytes: &'a [u8],
    schema: &mut Schema,
) -> Step<(usize, HuntFields<'a>)> {
    let mut c = Cursor { b: bytes, i: 0 };
    c.expect(b'{')?;
    let mut raw = HuntFields {
        id: None,
        created_date_time: None,
        user_principal_name: None,
        ip_address: None,
        status: None,
        authentication_requirement: None,
        user_agent: None,
    };
    if c.ws()? == b'}' {
        return Ok((c.i + 1, raw));
    }
    let mut seen = 0u8;
    for at in 0.. {
        c.ws()?;
        let field = match schema.keys.get(at) {
            Some((name, field)) if c.known_key(name)? => *field,
            _ => {
                let key = c.key()?;
                let field = field_of(key);
                schema.learn(at, key, field);
                field
            }
        };
        if field < 7 {
            if seen & (1 << field) != 0 {
                return Err(Stop::Fallback);
            }
            seen |= 1 << field;
        }
        match field {
            0 => raw.id = c.opt_str()?,
            1 => raw.created_date_time = c.opt_str()?,
            2 => raw.user_principal_name = c.opt_str()?,
            3 => raw.ip_address = c.opt_str()?,
            4 => raw.status = c.opt_status()?,
            5 => raw.authentication_requirement = c.opt_str()?,
            6 => raw.user_agent = c.opt_str()?,
            // Most ignored values are strings: skip those directly.
            _ if c.ws()? == b'"' => {
                c.i += 1;
                c.skip_string()?;
            }
            _ => c.skip_value()?,
        }
        match c.ws()? {
            b',' => c.i += 1,
            b'}' => return Ok((c.i + 1, raw)),
            _ => return Err(Stop::Fallback),
        }
    }
    Err(Stop::Fallback)
}
