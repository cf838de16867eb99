//! Tests of the canonical JSON encoding: key order, nesting, strings, numbers.

use serde_json::json;

use super::to_canonical_string;

#[track_caller]
fn check(value: serde_json::Value, expected: &str) {
    assert_eq!(to_canonical_string(&value), expected);
}

#[test]
fn keys_are_sorted_and_there_is_no_whitespace() {
    check(
        json!({"b": 1, "a": 2, "c": [3, 4]}),
        r#"{"a":2,"b":1,"c":[3,4]}"#,
    );
}

#[test]
fn nested_objects_are_sorted_at_every_depth() {
    check(
        json!({"z": {"y": {"b": true, "a": null}, "x": [{"d": 1, "c": 2}]}, "a": "first"}),
        r#"{"a":"first","z":{"x":[{"c":2,"d":1}],"y":{"a":null,"b":true}}}"#,
    );
}

#[test]
fn array_order_is_kept() {
    check(json!([3, 1, 2, "b", "a"]), r#"[3,1,2,"b","a"]"#);
}

#[test]
fn key_order_does_not_depend_on_insertion_order() {
    let one: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"d":1,"c":2}}"#).unwrap();
    let two: serde_json::Value = serde_json::from_str(r#"{"a":{"c":2,"d":1},"b":1}"#).unwrap();
    assert_eq!(to_canonical_string(&one), to_canonical_string(&two));
}

#[test]
fn keys_sort_by_utf16_code_units() {
    // U+FB01 (one UTF-16 unit, 0xFB01) sorts after U+1F600 (surrogates 0xD83D 0xDE00) in UTF-16
    // order, though before it in code point (and UTF-8 byte) order.
    check(
        json!({"\u{FB01}": 1, "\u{1F600}": 2}),
        "{\"\u{1F600}\":2,\"\u{FB01}\":1}",
    );
    // Upper case before lower case, shorter prefix first.
    check(json!({"a": 1, "B": 2, "ab": 3}), r#"{"B":2,"a":1,"ab":3}"#);
}

#[test]
fn unicode_is_written_as_utf8_not_escaped() {
    check(
        json!("Zoë Ångström — 日本 😀"),
        "\"Zoë Ångström — 日本 😀\"",
    );
}

#[test]
fn quotes_backslashes_and_controls_are_escaped() {
    check(
        json!("a\"b\\c\nd\re\tf\u{08}g\u{0C}h\u{01}i\u{1F}j\u{7F}"),
        "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\u{7F}\"",
    );
    // A slash needs no escape.
    check(json!("a/b"), r#""a/b""#);
}

#[test]
fn numbers() {
    check(json!(0), "0");
    check(json!(-17), "-17");
    check(json!(u64::MAX), "18446744073709551615");
    check(json!(i64::MIN), "-9223372036854775808");
    check(json!(1.0), "1");
    check(json!(-0.0), "0");
    check(json!(2.5), "2.5");
    check(json!(0.1), "0.1");
    check(json!(123.456), "123.456");
    check(json!(-1.5e-7), "-1.5e-7");
    check(json!(0.000001), "0.000001");
    check(json!(1e-7), "1e-7");
    check(json!(1e16), "10000000000000000");
    check(json!(9_007_199_254_740_993.0_f64), "9007199254740992");
    check(json!(-1e20), "-100000000000000000000");
    check(json!(1e21), "1e+21");
    check(json!(1.5e300), "1.5e+300");
    check(json!(5e-324), "5e-324");
    check(json!(f64::MAX), "1.7976931348623157e+308");
}

#[test]
fn numbers_are_stable_through_a_round_trip() {
    for text in [
        "0.1", "1e300", "123.456", "-2.5e-10", "3", "1.0", "4.35", "1e-7",
    ] {
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        let canonical = to_canonical_string(&parsed);
        let reparsed: serde_json::Value = serde_json::from_str(&canonical).unwrap();
        assert_eq!(to_canonical_string(&reparsed), canonical, "{text}");
    }
}

#[test]
fn literals_and_empties() {
    check(json!(null), "null");
    check(json!(true), "true");
    check(json!(false), "false");
    check(json!({}), "{}");
    check(json!([]), "[]");
    check(json!(""), r#""""#);
}
