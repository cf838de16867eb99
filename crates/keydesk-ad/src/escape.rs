//! Escaping values for LDAP: search filter values (RFC 4515) and distinguished-name attribute
//! values (RFC 4514), and binary values such as an `objectGUID` in a filter.
//!
//! Every value keydesk puts into a filter or a DN goes through here; nothing else builds filter
//! text from input.

/// Escapes `value` for an LDAP search filter (RFC 4515): `*`, `(`, `)`, `\` and NUL become `\2a`,
/// `\28`, `\29`, `\5c` and `\00`; everything else is kept (UTF-8 is valid in a filter).
pub fn filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            other => out.push(other),
        }
    }
    out
}

/// Escapes raw bytes (an `objectGUID`) for a filter: every byte as `\xx`.
pub fn filter_bytes(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "\\{byte:02x}");
        out
    })
}

/// Escapes `value` as one attribute value of a distinguished name (RFC 4514): `,`, `+`, `"`,
/// `\`, `<`, `>`, `;` and `=` are backslash-escaped, as are a leading space or `#` and a trailing
/// space; NUL becomes `\00`.
pub fn dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (index, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            ' ' if index == 0 || index == last => out.push_str("\\ "),
            '#' if index == 0 => out.push_str("\\#"),
            other => out.push(other),
        }
    }
    out
}

/// Reverses [`filter_value`] (for tests and diagnostics): `\xx` hex pairs become their byte.
/// Returns `None` for a malformed escape.
pub fn unescape_filter_value(escaped: &str) -> Option<String> {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\' {
            let hex = escaped.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn filter_specials_are_escaped() {
        assert_eq!(filter_value("a*b(c)d\\e\0"), "a\\2ab\\28c\\29d\\5ce\\00");
        assert_eq!(filter_value("gradya"), "gradya");
        assert_eq!(filter_value("Zoë"), "Zoë");
        assert_eq!(filter_value("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
    }

    #[test]
    fn guid_bytes_are_hex_escaped() {
        assert_eq!(filter_bytes(&[0x00, 0xab, 0x2a]), "\\00\\ab\\2a");
    }

    #[test]
    fn dn_specials_are_escaped() {
        assert_eq!(dn_value("Archie, Grady"), "Archie\\, Grady");
        assert_eq!(dn_value(" #lead"), "\\ #lead");
        assert_eq!(dn_value("#lead"), "\\#lead");
        assert_eq!(dn_value("trail "), "trail\\ ");
        assert_eq!(
            dn_value("a+b=c<d>e;f\"g\\h"),
            "a\\+b\\=c\\<d\\>e\\;f\\\"g\\\\h"
        );
        assert_eq!(dn_value("R&D"), "R&D");
    }

    proptest! {
        #[test]
        fn escaped_filter_values_hold_no_special_characters(value in "\\PC*|[*()\\\\\\x00a-z]*") {
            let escaped = filter_value(&value);
            prop_assert!(!escaped.contains(['*', '(', ')', '\0']));
            // Every backslash starts a two-digit hex escape.
            let bytes = escaped.as_bytes();
            for (i, b) in bytes.iter().enumerate() {
                if *b == b'\\' {
                    prop_assert!(bytes.len() >= i + 3);
                    prop_assert!(bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit());
                }
            }
            prop_assert_eq!(unescape_filter_value(&escaped), Some(value));
        }

        #[test]
        fn escaped_dn_values_have_no_unescaped_separators(value in "\\PC*|[,+\"\\\\<>;= #a-z]*") {
            let escaped = dn_value(&value);
            let chars: Vec<char> = escaped.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if chars[i] == '\\' {
                    prop_assert!(i + 1 < chars.len(), "a dangling backslash in {escaped:?}");
                    i += 2;
                    continue;
                }
                prop_assert!(!matches!(chars[i], ',' | '+' | '"' | '<' | '>' | ';' | '=' | '\0'),
                    "unescaped {:?} in {escaped:?}", chars[i]);
                i += 1;
            }
            if let Some(first) = chars.first() {
                prop_assert!(*first != ' ' && *first != '#');
            }
            if value.ends_with(' ') {
                prop_assert!(escaped.ends_with("\\ "));
            }
        }
    }
}
