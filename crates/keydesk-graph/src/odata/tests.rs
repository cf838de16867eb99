//! Filter rendering, escaping and encoding, including a property test that no input string can
//! change a filter's structure.

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use time::macros::datetime;

use super::{Filter, Query, Search, encode_query_value, segment};

#[track_caller]
fn check(filter: Filter, expected: &str) {
    assert_eq!(filter.as_str(), expected);
}

#[test]
fn comparisons_and_literals() {
    check(
        Filter::eq("displayName", "Shane O'Brien"),
        "displayName eq 'Shane O''Brien'",
    );
    check(
        Filter::eq("accountEnabled", false),
        "accountEnabled eq false",
    );
    check(
        Filter::eq("status/errorCode", 50126),
        "status/errorCode eq 50126",
    );
    check(
        Filter::ge("createdDateTime", datetime!(2024-01-01 00:00:00 UTC)),
        "createdDateTime ge 2024-01-01T00:00:00Z",
    );
    check(
        Filter::le("activityDateTime", datetime!(2024-05-02 01:30:00.25 +01:00)),
        "activityDateTime le 2024-05-02T00:30:00.25Z",
    );
    check(
        Filter::eq("manager", super::Literal::Null),
        "manager eq null",
    );
    check(
        Filter::starts_with("displayName", "ad"),
        "startswith(displayName,'ad')",
    );
    check(
        Filter::is_in("userPrincipalName", ["a@contoso.com", "o'b@contoso.com"]),
        "userPrincipalName in ('a@contoso.com','o''b@contoso.com')",
    );
}

#[test]
fn lambdas() {
    check(
        Filter::any(
            "signInEventTypes",
            "t",
            Filter::eq("t", "nonInteractiveUser"),
        ),
        "signInEventTypes/any(t: t eq 'nonInteractiveUser')",
    );
    check(
        Filter::any("groupTypes", "c", Filter::eq("c", "Unified")),
        "groupTypes/any(c: c eq 'Unified')",
    );
    check(
        Filter::any("targetResources", "t", Filter::eq("t/id", "42")),
        "targetResources/any(t: t/id eq '42')",
    );
    check(
        Filter::any("proxyAddresses", "p", Filter::starts_with("p", "smtp:")),
        "proxyAddresses/any(p: startswith(p,'smtp:'))",
    );
}

#[test]
fn precedence() {
    let a = || Filter::eq("a", 1);
    let b = || Filter::eq("b", 2);
    let c = || Filter::eq("c", 3);
    check(a().and(b()), "a eq 1 and b eq 2");
    check(a().or(b()).and(c()), "(a eq 1 or b eq 2) and c eq 3");
    check(c().and(a().or(b())), "c eq 3 and (a eq 1 or b eq 2)");
    check(a().and(b()).or(c()), "a eq 1 and b eq 2 or c eq 3");
    check(!a().or(b()), "not (a eq 1 or b eq 2)");
    assert_eq!(Filter::all_of(Vec::new()), None);
    check(
        Filter::all_of([a(), b(), c()]).unwrap(),
        "a eq 1 and b eq 2 and c eq 3",
    );
    check(Filter::any_of([a(), b()]).unwrap(), "a eq 1 or b eq 2");
}

#[test]
fn advanced_queries_need_eventual_consistency() {
    assert!(
        !Query::default()
            .filter(Filter::eq("a", "b"))
            .needs_eventual_consistency()
    );
    assert!(
        Query::default()
            .filter(Filter::ends_with("mail", "@contoso.com"))
            .needs_eventual_consistency()
    );
    assert!(
        Query::default()
            .filter(Filter::ne("a", "b").and(Filter::eq("c", 1)))
            .needs_eventual_consistency()
    );
    assert!(
        Query::default()
            .filter(Filter::count_eq("assignedLicenses", 0))
            .needs_eventual_consistency()
    );
    assert!(
        Query::default()
            .search(Search::term("displayName", "jo"))
            .needs_eventual_consistency()
    );
    assert!(Query::default().count().needs_eventual_consistency());
}

#[test]
fn query_string() {
    let query = Query::default()
        .select(["id", "displayName"])
        .filter(Filter::eq("displayName", "R&D #1 + 'x'"))
        .top(999);
    assert_eq!(
        query.to_query_string(),
        "$select=id,displayName&$filter=displayName%20eq%20%27R%26D%20%231%20%2B%20%27%27x%27%27%27&$top=999"
    );
    assert_eq!(query.apply_to("users"), format!("users?{query}"));
    assert_eq!(
        Query::default().top(5).apply_to("users?$select=id"),
        "users?$select=id&$top=5"
    );
    assert_eq!(Query::default().apply_to("users"), "users");
    let search = Query::default()
        .search(Search::term("displayName", "jo").or(Search::term("mail", "say \"hi\"")));
    assert_eq!(
        search.to_query_string(),
        "$search=%22displayName:jo%22%20OR%20%22mail:say%20%5C%22hi%5C%22%22&$count=true"
    );
    let expanded = Query::default()
        .expand("manager($select=id,displayName)")
        .order_by("displayName");
    assert_eq!(
        expanded.to_query_string(),
        "$orderby=displayName&$expand=manager($select%3Did,displayName)"
    );
    let combined = Query::default()
        .filter(Filter::eq("a", 1))
        .filter(Filter::eq("b", 2));
    assert_eq!(
        combined.filter_expression().map(Filter::as_str),
        Some("a eq 1 and b eq 2")
    );
}

#[test]
fn path_segments() {
    assert_eq!(segment("alex@contoso.com"), "alex@contoso.com");
    assert_eq!(
        segment("guest_gmail.com#EXT#@contoso.onmicrosoft.com"),
        "guest_gmail.com%23EXT%23@contoso.onmicrosoft.com"
    );
    assert_eq!(segment("a/b?c"), "a%2Fb%3Fc");
    assert_eq!(segment(".."), "%2E%2E");
    assert_eq!(encode_query_value("a b+c&d#e'f"), "a%20b%2Bc%26d%23e%27f");
}

/// Parses one OData string literal at the start of `input`: returns its value and the rest.
fn parse_string_literal(input: &str) -> Option<(String, &str)> {
    let mut chars = input.strip_prefix('\'')?.char_indices().peekable();
    let body = &input[1..];
    let mut value = String::new();
    while let Some((index, character)) = chars.next() {
        if character == '\'' {
            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
                value.push('\'');
            } else {
                return Some((value, &body[index + 1..]));
            }
        } else {
            value.push(character);
        }
    }
    None
}

/// Every string literal in a filter expression, scanning outside literals for quotes.
fn all_string_literals(mut input: &str) -> Option<Vec<String>> {
    let mut literals = Vec::new();
    while let Some(start) = input.find('\'') {
        let (value, rest) = parse_string_literal(&input[start..])?;
        literals.push(value);
        input = rest;
    }
    Some(literals)
}

proptest! {
    #[test]
    fn any_string_stays_one_literal(value in any::<String>()) {
        let filter = Filter::eq("displayName", value.as_str());
        let rest = filter.as_str().strip_prefix("displayName eq ").unwrap();
        let (parsed, remainder) = parse_string_literal(rest).unwrap();
        prop_assert_eq!(&parsed, &value);
        prop_assert_eq!(remainder, "");
    }

    #[test]
    fn structure_survives_hostile_input(value in "[ -~]{0,40}|.{0,20}") {
        let filter = Filter::eq("givenName", value.as_str())
            .and(Filter::starts_with("surname", &value).or(Filter::eq("mail", "x")));
        let literals = all_string_literals(filter.as_str()).unwrap();
        prop_assert_eq!(literals, vec![value.clone(), value.clone(), "x".to_owned()]);
        let query = Query::default().select(["id"]).filter(filter.clone()).to_query_string();
        // The encoded query has exactly the two options we set, and no raw delimiters.
        let options: Vec<&str> = query.split('&').collect();
        prop_assert_eq!(options.len(), 2);
        prop_assert!(!query.contains(['#', '+', ' ', '\'']));
        let encoded_filter = options[1].strip_prefix("$filter=").unwrap();
        let decoded = percent_decode_str(encoded_filter).decode_utf8().unwrap();
        prop_assert_eq!(decoded.as_ref(), filter.as_str());
    }
}
