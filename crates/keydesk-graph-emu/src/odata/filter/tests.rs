//! Table-driven tests of the filter parser and evaluator.

use serde_json::json;

use super::*;

fn user() -> Value {
    json!({
        "id": "1", "displayName": "Shane O'Brien", "userPrincipalName": "ShaneO@contoso.onmicrosoft.com",
        "accountEnabled": true, "department": "Sales", "jobTitle": null,
        "createdDateTime": "2024-05-01T10:00:00Z",
        "groupTypes": ["Unified", "DynamicMembership"],
        "proxyAddresses": ["SMTP:shane@contoso.com", "smtp:so@contoso.com"],
        "status": {"errorCode": 50126},
        "targetResources": [{"id": "t1"}, {"id": "t2"}]
    })
}

#[track_caller]
fn check(filter: &str, expected: bool) {
    let expr = match parse(filter) {
        Ok(expr) => expr,
        Err(error) => panic!("{filter:?} did not parse: {error:?}"),
    };
    assert_eq!(matches(&expr, &user()), expected, "{filter}");
}

#[test]
fn evaluates_graph_filters() {
    let cases = [
        ("displayName eq 'Shane O''Brien'", true),
        ("displayName eq 'shane o''brien'", true),
        ("displayName eq 'Shane O'", false),
        ("startswith(displayName,'sha')", true),
        (
            "endswith(userPrincipalName,'@contoso.onmicrosoft.com')",
            true,
        ),
        ("accountEnabled eq true and department eq 'Sales'", true),
        ("accountEnabled eq false or department eq 'Sales'", true),
        ("not(accountEnabled eq true)", false),
        ("jobTitle eq null", true),
        ("jobTitle ne null", false),
        ("department in ('IT', 'sales')", true),
        ("createdDateTime ge 2024-01-01T00:00:00Z", true),
        ("createdDateTime lt 2024-05-01T10:00:00Z", false),
        ("groupTypes/any(c:c eq 'Unified')", true),
        ("groupTypes/any(c:c eq 'Team')", false),
        ("proxyAddresses/any(p:startswith(p,'smtp:so'))", true),
        ("status/errorCode eq 50126", true),
        ("targetResources/any(t: t/id eq 't2')", true),
        ("groupTypes/$count eq 2", true),
        ("missingNested/x eq null", true),
        (
            "(department eq 'IT' or department eq 'Sales') and accountEnabled eq true",
            true,
        ),
    ];
    for (filter, expected) in cases {
        check(filter, expected);
    }
}

#[test]
fn refuses_what_graph_refuses() {
    let cases = [
        "displayName eq 'unterminated",
        "displayName eq",
        "eq 'x'",
        "contains(displayName,'x')",
        "displayName has 'x'",
        "displayName eq 'a' and",
        "(displayName eq 'a'",
        "displayName eq 'a')",
        "displayName ~ 'a'",
        "tolower(displayName) eq 'a'",
        "groupTypes/any(c c eq 'x')",
        "",
        "1e999 eq 1",
    ];
    for filter in cases {
        assert!(parse(filter).is_err(), "{filter:?} should be refused");
    }
}

#[test]
fn a_quote_in_a_name_cannot_change_the_query() {
    // "O'Brien' or 'a' eq 'a" as a properly escaped literal is one string, not a tautology.
    let expr = parse("displayName eq 'O''Brien'' or ''a'' eq ''a'").expect("parses");
    assert!(matches!(expr, Expr::Compare { .. }));
    assert!(!matches(&expr, &user()));
}

#[test]
fn advanced_queries_are_recognised() {
    for (filter, advanced) in [
        ("displayName eq 'a'", false),
        ("displayName ne 'a'", true),
        ("not(displayName eq 'a')", true),
        ("endswith(mail,'@contoso.com')", true),
        ("groupTypes/$count eq 0", true),
        ("startswith(displayName,'a')", false),
    ] {
        assert_eq!(
            is_advanced(&parse(filter).expect("parses")),
            advanced,
            "{filter}"
        );
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}a eq 1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse(&deep).is_err());
    let nots = format!("{}a eq 1", "not ".repeat(10_000));
    assert!(parse(&nots).is_err());
}

#[test]
fn referenced_properties_skip_lambda_variables() {
    let expr = parse("groupTypes/any(c:c eq 'Unified') and displayName eq 'x'").expect("parses");
    assert_eq!(
        referenced_properties(&expr),
        vec!["groupTypes", "displayName"]
    );
}

proptest::proptest! {
    #[test]
    fn never_panics(input in "\\PC{0,200}") {
        if let Ok(expr) = parse(&input) {
            let _ = matches(&expr, &user());
        }
    }

    #[test]
    fn any_escaped_literal_round_trips(value in "\\PC{0,60}") {
        let filter = format!("displayName eq '{}'", value.replace('\'', "''"));
        let expr = parse(&filter).expect("an escaped literal always parses");
        match expr {
            Expr::Compare { right: Operand::Literal(Literal::String(parsed)), .. } => {
                proptest::prop_assert_eq!(parsed, value)
            }
            other => proptest::prop_assert!(false, "unexpected shape {:?}", other),
        }
    }
}
