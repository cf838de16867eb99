//! OData system query options as Graph applies them: parsing the raw query string, validating
//! each option against what the endpoint supports, and shaping collections (filter, search,
//! order, page, select).
//!
//! Anything the emulator does not support is refused with a 400 rather than ignored, so a client
//! never receives a silently wrong answer.

pub mod filter;
pub mod search;

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value};

use crate::error::GraphError;

/// The system query options of one request.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    pub select: Option<Vec<String>>,
    pub filter: Option<filter::Expr>,
    pub filter_text: Option<String>,
    pub top: Option<usize>,
    pub skip_token: Option<String>,
    pub count: bool,
    pub search: Option<search::Search>,
    pub order_by: Option<(String, bool)>,
    pub expand: Vec<Expand>,
    /// The request asked for eventual consistency (`ConsistencyLevel: eventual`).
    pub eventual: bool,
    /// The raw query pairs, to rebuild `@odata.nextLink`.
    pub raw: Vec<(String, String)>,
}

/// One `$expand` item, e.g. `manager($select=id,displayName)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expand {
    pub property: String,
    pub select: Option<Vec<String>>,
}

/// Which options an endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub struct Supported {
    pub select: bool,
    pub filter: bool,
    pub top: Option<usize>,
    pub count: bool,
    pub search: bool,
    pub order_by: &'static [&'static str],
    pub expand: &'static [&'static str],
}

impl Supported {
    /// A single entity: `$select` and `$expand` only.
    pub const fn entity(expand: &'static [&'static str]) -> Supported {
        Supported {
            select: true,
            filter: false,
            top: None,
            count: false,
            search: false,
            order_by: &[],
            expand,
        }
    }

    /// A write or action: no options are meaningful; Graph ignores none of them silently.
    pub const NONE: Supported = Supported {
        select: false,
        filter: false,
        top: None,
        count: false,
        search: false,
        order_by: &[],
        expand: &[],
    };
}

/// Splits and percent-decodes a raw query string. `+` is a space, as in form encoding.
pub fn decode_pairs(raw_query: &str) -> Result<Vec<(String, String)>, GraphError> {
    let mut pairs = Vec::new();
    for part in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((decode(key)?, decode(value)?));
    }
    Ok(pairs)
}

fn decode(text: &str) -> Result<String, GraphError> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            GraphError::new(
                http::StatusCode::BAD_REQUEST,
                "BadRequest",
                "The query string is not valid UTF-8.",
            )
        })
}

impl QueryOptions {
    /// Parses and validates the query options against what the endpoint supports.
    pub fn parse(
        pairs: Vec<(String, String)>,
        supported: Supported,
        eventual: bool,
    ) -> Result<QueryOptions, GraphError> {
        let mut options = QueryOptions {
            eventual,
            ..QueryOptions::default()
        };
        let mut seen = BTreeMap::new();
        for (key, value) in &pairs {
            if !key.starts_with('$') {
                continue; // Graph ignores custom query parameters.
            }
            let name = key.to_ascii_lowercase();
            if seen.insert(name.clone(), ()).is_some() {
                return Err(GraphError::new(
                    http::StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!(
                        "Query option '{key}' was specified more than once, but it must be specified at most once."
                    ),
                ));
            }
            match name.as_str() {
                "$select" if supported.select => {
                    options.select = Some(split_list(value));
                }
                "$filter" if supported.filter => {
                    let expr = filter::parse(value).map_err(|error| filter_error(value, error))?;
                    options.filter = Some(expr);
                    options.filter_text = Some(value.clone());
                }
                "$top" if supported.top.is_some() => {
                    let max = supported.top.unwrap_or(100);
                    let top: usize = value.trim().parse().map_err(|_| {
                        GraphError::new(
                            http::StatusCode::BAD_REQUEST,
                            "BadRequest",
                            format!("Invalid value '{value}' for $top query option found."),
                        )
                    })?;
                    if top == 0 || top > max {
                        return Err(GraphError::bad_request(format!(
                            "Invalid page size specified: '{top}'. Must be between 1 and {max} inclusive."
                        )));
                    }
                    options.top = Some(top);
                }
                "$skiptoken" if supported.top.is_some() => {
                    options.skip_token = Some(value.clone());
                }
                "$count" if supported.count => match value.as_str() {
                    "true" => options.count = true,
                    "false" => options.count = false,
                    _ => {
                        return Err(GraphError::new(
                            http::StatusCode::BAD_REQUEST,
                            "BadRequest",
                            format!("Invalid value '{value}' for $count query option found."),
                        ));
                    }
                },
                "$search" if supported.search => {
                    options.search = Some(search::parse(value)?);
                }
                "$orderby" if !supported.order_by.is_empty() => {
                    options.order_by = Some(parse_order_by(value, supported.order_by)?);
                }
                "$expand" if !supported.expand.is_empty() => {
                    options.expand = parse_expand(value, supported.expand)?;
                }
                _ => {
                    return Err(GraphError::new(
                        http::StatusCode::BAD_REQUEST,
                        "BadRequest",
                        format!(
                            "Query option '{key}' is not allowed. Make sure that the query options are supported by the request target."
                        ),
                    ));
                }
            }
        }
        options.raw = pairs;
        Ok(options)
    }

    /// Graph's rule for directory objects: advanced queries need eventual consistency.
    pub fn require_consistency_for_advanced(&self) -> Result<(), GraphError> {
        if self.eventual {
            return Ok(());
        }
        let advanced = self.count
            || self.search.is_some()
            || self.filter.as_ref().is_some_and(filter::is_advanced)
            || (self.order_by.is_some() && self.filter.is_some());
        if advanced {
            return Err(GraphError::unsupported_query(
                "Request with $count, $search, ne, not, endswith or $orderby with $filter requires the ConsistencyLevel header set to eventual.",
            ));
        }
        Ok(())
    }
}

fn filter_error(text: &str, error: filter::FilterError) -> GraphError {
    match error {
        filter::FilterError::Syntax { position, detail } => GraphError::new(
            http::StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Invalid filter clause: syntax error at position {position} in '{text}': {detail}."
            ),
        ),
        filter::FilterError::Unsupported(detail) => GraphError::unsupported_query(format!(
            "Unsupported or invalid query filter clause specified: {detail}"
        )),
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_order_by(value: &str, allowed: &[&str]) -> Result<(String, bool), GraphError> {
    let mut words = value.split_whitespace();
    let property = words.next().unwrap_or("");
    let descending = match words.next() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(GraphError::new(
                http::StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Invalid $orderby direction '{other}'."),
            ));
        }
    };
    if words.next().is_some() || value.contains(',') {
        return Err(GraphError::unsupported_query(
            "Sorting by more than one property is not supported.",
        ));
    }
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(property)) {
        Some(found) => Ok((found.to_string(), descending)),
        None => Err(GraphError::unsupported_query(format!(
            "Sorting not supported for '{property}'."
        ))),
    }
}

fn parse_expand(value: &str, allowed: &[&str]) -> Result<Vec<Expand>, GraphError> {
    let mut out = Vec::new();
    for item in split_top_level(value) {
        let (property, inner) = match item.split_once('(') {
            Some((property, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(|| {
                    GraphError::new(
                        http::StatusCode::BAD_REQUEST,
                        "BadRequest",
                        format!("Invalid $expand clause '{item}'."),
                    )
                })?;
                (property.trim(), Some(inner))
            }
            None => (item.trim(), None),
        };
        if !allowed.contains(&property) {
            return Err(GraphError::new(
                http::StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "Parsing OData Select and Expand failed: Could not find a property named '{property}' on type 'microsoft.graph.directoryObject'."
                ),
            ));
        }
        let mut select = None;
        if let Some(inner) = inner {
            for option in inner.split(';') {
                match option.split_once('=') {
                    Some(("$select", list)) => select = Some(split_list(list)),
                    _ => {
                        return Err(GraphError::unsupported_query(format!(
                            "The nested option '{option}' in $expand is not supported."
                        )));
                    }
                }
            }
        }
        out.push(Expand {
            property: property.to_string(),
            select,
        });
    }
    Ok(out)
}

fn split_top_level(value: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

/// Checks that every `$select`ed and filtered property exists on the entity type.
pub fn check_properties(
    options: &QueryOptions,
    shape: &Map<String, Value>,
    type_name: &str,
) -> Result<(), GraphError> {
    let unknown = |property: &str| {
        GraphError::new(
            http::StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Could not find a property named '{property}' on type 'microsoft.graph.{type_name}'."
            ),
        )
    };
    if let Some(select) = &options.select {
        for property in select {
            if property != "*" && !shape.contains_key(property) {
                return Err(unknown(property));
            }
        }
    }
    if let Some(expr) = &options.filter {
        for property in filter::referenced_properties(expr) {
            if !shape.contains_key(&property) {
                return Err(unknown(&property));
            }
        }
    }
    if let Some((property, _)) = &options.order_by
        && !shape.contains_key(property)
    {
        return Err(unknown(property));
    }
    Ok(())
}

/// Keeps the selected properties (`id` always), or the default set when nothing was selected.
pub fn project(entity: Value, select: Option<&[String]>, default: Option<&[&str]>) -> Value {
    let Value::Object(mut map) = entity else {
        return entity;
    };
    let keep = |key: &str| -> bool {
        if key == "id" || key.starts_with("@odata") {
            return true;
        }
        match (select, default) {
            (Some(select), _) => select.iter().any(|s| s == "*" || s == key),
            (None, Some(default)) => default.contains(&key),
            (None, None) => true,
        }
    };
    map.retain(|key, _| keep(key));
    Value::Object(map)
}

/// An opaque, tamper-evident page token: the scan position, signed with the tenant's salt.
pub fn encode_skip_token(position: usize, salt: &str) -> String {
    let payload = format!("{position}");
    let mac = short_mac(salt, &payload);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{payload}.{mac}"))
}

/// Reads back a token made by [`encode_skip_token`]; anything else is refused.
pub fn decode_skip_token(token: &str, salt: &str) -> Result<usize, GraphError> {
    let refuse = || {
        GraphError::new(
            http::StatusCode::BAD_REQUEST,
            "Directory_ExpiredPageToken",
            "The specified page token value has expired and can no longer be included in your request.",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| refuse())?;
    let text = String::from_utf8(bytes).map_err(|_| refuse())?;
    let (payload, mac) = text.split_once('.').ok_or_else(refuse)?;
    if short_mac(salt, payload) != mac {
        return Err(refuse());
    }
    payload.parse().map_err(|_| refuse())
}

fn short_mac(salt: &str, payload: &str) -> String {
    let digest = crate::tenant::hash_password(salt, payload);
    digest[..16].to_string()
}

/// Builds `@odata.nextLink`: the same query with `$skiptoken` replaced.
pub fn next_link(base_url: &str, raw: &[(String, String)], token: &str) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in raw {
        if !key.eq_ignore_ascii_case("$skiptoken") {
            serializer.append_pair(key, value);
        }
    }
    serializer.append_pair("$skiptoken", token);
    // Graph's links keep `$` literal and encode spaces as %20.
    let query = serializer.finish().replace("%24", "$").replace('+', "%20");
    format!("{base_url}?{query}")
}
