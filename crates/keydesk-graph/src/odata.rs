//! OData query building: typed `$filter` expressions, the `Query` option set, and URL encoding.
//!
//! String literals are single-quoted with embedded `'` doubled (`'Shane O''Brien'`), so no input
//! value can change the structure of a filter; date-times are unquoted UTC (`2024-01-01T00:00:00Z`).
//! The rendered query string percent-encodes every value (`#`, `&`, `+`, space, `'`, ...).
//! Property names are code, not input, and are emitted as given.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A literal on the right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// A string, rendered single-quoted with `'` doubled. GUIDs are strings in Graph filters.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A DateTimeOffset, rendered unquoted in UTC.
    DateTime(OffsetDateTime),
    /// `null`.
    Null,
}

/// A `$filter` expression. Build with the constructors and combine with [`Filter::and`] /
/// [`Filter::or`]; parentheses are added where precedence requires them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    text: String,
    shape: Shape,
    advanced: bool,
}

/// A `$search` expression such as `"displayName:jo" OR "mail:jo"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

/// OData system query options for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    select: Vec<String>,
    filter: Option<Filter>,
    search: Option<Search>,
    order_by: Vec<String>,
    expand: Vec<String>,
    top: Option<u32>,
    count: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Atom,
    And,
    Or,
}

/// Percent-encodes a query option value. Leaves only unreserved characters and the OData
/// punctuation `, ( ) / : $ *` readable; everything else, including `'`, is encoded.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Percent-encodes one path segment (an id or UPN). `.` and `..` are encoded so they cannot
/// climb out of the intended path.
pub fn segment(value: &str) -> String {
    match value {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(value, PATH_SEGMENT).to_string(),
    }
}

/// Renders `value` as a single-quoted OData string literal.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b',')
    .remove(b'(')
    .remove(b')')
    .remove(b'/')
    .remove(b':')
    .remove(b'$')
    .remove(b'*');

const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

impl Literal {
    /// The literal as it appears inside `$filter` (before URL encoding).
    pub fn render(&self) -> String {
        match self {
            Literal::Str(value) => quote(value),
            Literal::Bool(value) => value.to_string(),
            Literal::Int(value) => value.to_string(),
            Literal::DateTime(value) => render_datetime(*value),
            Literal::Null => "null".to_owned(),
        }
    }
}

fn render_datetime(value: OffsetDateTime) -> String {
    let utc = value.to_offset(time::UtcOffset::UTC);
    // Rfc3339 formatting only fails for years outside 0..=9999.
    utc.format(&Rfc3339)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

impl From<&str> for Literal {
    fn from(value: &str) -> Self {
        Literal::Str(value.to_owned())
    }
}

impl From<String> for Literal {
    fn from(value: String) -> Self {
        Literal::Str(value)
    }
}

impl From<&String> for Literal {
    fn from(value: &String) -> Self {
        Literal::Str(value.clone())
    }
}

impl From<bool> for Literal {
    fn from(value: bool) -> Self {
        Literal::Bool(value)
    }
}

impl From<i64> for Literal {
    fn from(value: i64) -> Self {
        Literal::Int(value)
    }
}

impl From<i32> for Literal {
    fn from(value: i32) -> Self {
        Literal::Int(value.into())
    }
}

impl From<u32> for Literal {
    fn from(value: u32) -> Self {
        Literal::Int(value.into())
    }
}

impl From<OffsetDateTime> for Literal {
    fn from(value: OffsetDateTime) -> Self {
        Literal::DateTime(value)
    }
}

impl From<uuid::Uuid> for Literal {
    fn from(value: uuid::Uuid) -> Self {
        Literal::Str(value.to_string())
    }
}

impl Filter {
    fn atom(text: String) -> Self {
        Self {
            text,
            shape: Shape::Atom,
            advanced: false,
        }
    }

    fn comparison(property: &str, operator: &str, value: Literal) -> Self {
        Self::atom(format!("{property} {operator} {}", value.render()))
    }

    /// `property eq value`.
    pub fn eq(property: &str, value: impl Into<Literal>) -> Self {
        Self::comparison(property, "eq", value.into())
    }

    /// `property ne value` (an advanced query on directory objects).
    pub fn ne(property: &str, value: impl Into<Literal>) -> Self {
        Self {
            advanced: true,
            ..Self::comparison(property, "ne", value.into())
        }
    }

    /// `property gt value`.
    pub fn gt(property: &str, value: impl Into<Literal>) -> Self {
        Self::comparison(property, "gt", value.into())
    }

    /// `property ge value`.
    pub fn ge(property: &str, value: impl Into<Literal>) -> Self {
        Self::comparison(property, "ge", value.into())
    }

    /// `property lt value`.
    pub fn lt(property: &str, value: impl Into<Literal>) -> Self {
        Self::comparison(property, "lt", value.into())
    }

    /// `property le value`.
    pub fn le(property: &str, value: impl Into<Literal>) -> Self {
        Self::comparison(property, "le", value.into())
    }

    /// `startswith(property,'prefix')`.
    pub fn starts_with(property: &str, prefix: &str) -> Self {
        Self::atom(format!("startswith({property},{})", quote(prefix)))
    }

    /// `endswith(property,'suffix')` (an advanced query on directory objects).
    pub fn ends_with(property: &str, suffix: &str) -> Self {
        Self {
            advanced: true,
            ..Self::atom(format!("endswith({property},{})", quote(suffix)))
        }
    }

    /// `property in ('a','b')`.
    pub fn is_in<I, L>(property: &str, values: I) -> Self
    where
        I: IntoIterator<Item = L>,
        L: Into<Literal>,
    {
        let rendered: Vec<String> = values
            .into_iter()
            .map(|value| value.into().render())
            .collect();
        Self::atom(format!("{property} in ({})", rendered.join(",")))
    }

    /// Lambda `collection/any(variable: predicate)`; `predicate` refers to elements through
    /// `variable` (e.g. `Filter::eq("t", "nonInteractiveUser")` or `Filter::eq("t/id", id)`).
    pub fn any(collection: &str, variable: &str, predicate: Filter) -> Self {
        Self {
            advanced: predicate.advanced,
            ..Self::atom(format!("{collection}/any({variable}: {})", predicate.text))
        }
    }

    /// `collection/$count eq n` (an advanced query).
    pub fn count_eq(collection: &str, count: u64) -> Self {
        Self {
            advanced: true,
            ..Self::atom(format!("{collection}/$count eq {count}"))
        }
    }

    /// `self and other`.
    pub fn and(self, other: Filter) -> Self {
        let left = self.wrapped_if(Shape::Or);
        let right = other.wrapped_if(Shape::Or);
        Self {
            text: format!("{left} and {right}"),
            shape: Shape::And,
            advanced: self.advanced || other.advanced,
        }
    }

    /// `self or other`.
    pub fn or(self, other: Filter) -> Self {
        Self {
            text: format!("{} or {}", self.text, other.text),
            shape: Shape::Or,
            advanced: self.advanced || other.advanced,
        }
    }

    /// All of `filters` joined with `and`; `None` when empty.
    pub fn all_of(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::and)
    }

    /// Any of `filters` joined with `or`; `None` when empty.
    pub fn any_of(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::or)
    }

    /// Whether Graph treats this as an advanced query (needs `ConsistencyLevel: eventual` and
    /// `$count=true` on directory objects).
    pub fn is_advanced(&self) -> bool {
        self.advanced
    }

    /// The expression text (not URL-encoded).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn wrapped_if(&self, shape: Shape) -> String {
        if self.shape == shape {
            format!("({})", self.text)
        } else {
            self.text.clone()
        }
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;

    /// `not (expression)` (an advanced query on directory objects).
    fn not(self) -> Filter {
        Filter {
            advanced: true,
            ..Filter::atom(format!("not ({})", self.text))
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Search {
    /// `"property:term"`; `"` and `\` inside the term are backslash-escaped.
    pub fn term(property: &str, term: &str) -> Self {
        let escaped = term.replace('\\', "\\\\").replace('"', "\\\"");
        Self(format!("\"{property}:{escaped}\""))
    }

    /// `self AND other`.
    pub fn and(self, other: Search) -> Self {
        Self(format!("{} AND {}", self.0, other.0))
    }

    /// `self OR other`.
    pub fn or(self, other: Search) -> Self {
        Self(format!("{} OR {}", self.0, other.0))
    }

    /// The expression text (not URL-encoded).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Query {
    /// Adds properties to `$select`.
    pub fn select<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.select.extend(
            properties
                .into_iter()
                .map(|property| property.as_ref().to_owned()),
        );
        self
    }

    /// Sets `$filter`, `and`-ing with any filter already present.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// Sets `$search` (needs `ConsistencyLevel: eventual`).
    pub fn search(mut self, search: Search) -> Self {
        self.search = Some(search);
        self
    }

    /// Adds an `$orderby` clause such as `displayName` or `createdDateTime desc`.
    pub fn order_by(mut self, clause: &str) -> Self {
        self.order_by.push(clause.to_owned());
        self
    }

    /// Adds an `$expand` clause such as `manager($select=id,displayName)`.
    pub fn expand(mut self, clause: &str) -> Self {
        self.expand.push(clause.to_owned());
        self
    }

    /// Sets `$top` (the page size).
    pub fn top(mut self, top: u32) -> Self {
        self.top = Some(top);
        self
    }

    /// Sets `$count=true` (needs `ConsistencyLevel: eventual`).
    pub fn count(mut self) -> Self {
        self.count = true;
        self
    }

    /// The current filter, if any.
    pub fn filter_expression(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// Whether the request must carry `ConsistencyLevel: eventual`.
    pub fn needs_eventual_consistency(&self) -> bool {
        self.count || self.search.is_some() || self.filter.as_ref().is_some_and(Filter::is_advanced)
    }

    /// The encoded query string without the leading `?` (empty when no option is set).
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        if !self.select.is_empty() {
            parts.push(format!(
                "$select={}",
                encode_query_value(&self.select.join(","))
            ));
        }
        if let Some(filter) = &self.filter {
            parts.push(format!("$filter={}", encode_query_value(filter.as_str())));
        }
        if let Some(search) = &self.search {
            parts.push(format!("$search={}", encode_query_value(search.as_str())));
        }
        if !self.order_by.is_empty() {
            parts.push(format!(
                "$orderby={}",
                encode_query_value(&self.order_by.join(","))
            ));
        }
        if !self.expand.is_empty() {
            parts.push(format!(
                "$expand={}",
                encode_query_value(&self.expand.join(","))
            ));
        }
        if let Some(top) = self.top {
            parts.push(format!("$top={top}"));
        }
        if self.needs_eventual_consistency() {
            parts.push("$count=true".to_owned());
        }
        parts.join("&")
    }

    /// `path` with this query appended (`?` or `&` as appropriate).
    pub fn apply_to(&self, path: &str) -> String {
        let query = self.to_query_string();
        if query.is_empty() {
            path.to_owned()
        } else if path.contains('?') {
            format!("{path}&{query}")
        } else {
            format!("{path}?{query}")
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_string())
    }
}

#[cfg(test)]
mod tests;
