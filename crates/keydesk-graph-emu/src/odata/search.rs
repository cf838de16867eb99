//! `$search` on directory objects: `"property:term"` clauses joined by `AND` / `OR`.
//!
//! Graph tokenizes string properties into words; a term matches when some word of the property
//! starts with it (case-insensitive), or the whole value does.

use serde_json::Value;

use crate::error::GraphError;

/// A parsed `$search`: clauses evaluated left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub first: Clause,
    pub rest: Vec<(Join, Clause)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub property: String,
    pub term: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    And,
    Or,
}

/// Parses `"displayName:jo" OR "mail:jo"`.
pub fn parse(value: &str) -> Result<Search, GraphError> {
    let invalid = || {
        GraphError::new(
            http::StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            format!(
                "Syntax error: invalid $search value '{value}'. Use \"property:term\" clauses joined by AND or OR."
            ),
        )
    };
    let mut clauses = Vec::new();
    let mut joins = Vec::new();
    let mut rest = value.trim();
    loop {
        let body = rest.strip_prefix('"').ok_or_else(invalid)?;
        let end = body.find('"').ok_or_else(invalid)?;
        let (property, term) = body[..end].split_once(':').ok_or_else(invalid)?;
        if property.trim().is_empty() {
            return Err(invalid());
        }
        clauses.push(Clause {
            property: property.trim().to_string(),
            term: term.trim().to_lowercase(),
        });
        rest = body[end + 1..].trim_start();
        if rest.is_empty() {
            break;
        }
        let (join, after) = if let Some(after) = rest.strip_prefix("AND") {
            (Join::And, after)
        } else if let Some(after) = rest.strip_prefix("OR") {
            (Join::Or, after)
        } else {
            return Err(invalid());
        };
        joins.push(join);
        rest = after.trim_start();
    }
    let mut clauses = clauses.into_iter();
    let first = clauses.next().ok_or_else(invalid)?;
    Ok(Search {
        first,
        rest: joins.into_iter().zip(clauses).collect(),
    })
}

/// Whether an entity matches the search.
pub fn matches(search: &Search, entity: &Value) -> bool {
    let mut result = clause_matches(&search.first, entity);
    for (join, clause) in &search.rest {
        result = match join {
            Join::And => result && clause_matches(clause, entity),
            Join::Or => result || clause_matches(clause, entity),
        };
    }
    result
}

/// The properties a search names, for validation against the entity type.
pub fn properties(search: &Search) -> impl Iterator<Item = &str> {
    std::iter::once(search.first.property.as_str())
        .chain(search.rest.iter().map(|(_, c)| c.property.as_str()))
}

fn clause_matches(clause: &Clause, entity: &Value) -> bool {
    let Some(Value::String(text)) = entity.get(&clause.property) else {
        return false;
    };
    let text = text.to_lowercase();
    text.starts_with(&clause.term)
        || text
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| !word.is_empty() && word.starts_with(&clause.term))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn matches_word_prefixes() {
        let entity = json!({"displayName": "Shane O'Brien", "mail": "ShaneO@contoso.com"});
        for (search, expected) in [
            ("\"displayName:bri\"", true),
            ("\"displayName:shane\"", true),
            ("\"displayName:rien\"", false),
            ("\"displayName:x\" OR \"mail:shaneo\"", true),
            ("\"displayName:shane\" AND \"mail:nobody\"", false),
        ] {
            let parsed = parse(search).expect("parses");
            assert_eq!(matches(&parsed, &entity), expected, "{search}");
        }
    }

    #[test]
    fn refuses_malformed_search() {
        for search in [
            "displayName:x",
            "\"displayName\"",
            "\"a:b\" XOR \"c:d\"",
            "\"a:b",
            "",
        ] {
            assert!(parse(search).is_err(), "{search}");
        }
    }
}
