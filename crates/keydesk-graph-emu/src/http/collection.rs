//! Shaping a collection response: filter, search, order, count, page and select, with
//! `@odata.context`, `@odata.count` and `@odata.nextLink` as Graph writes them.

use serde_json::{Map, Value, json};

use super::GraphRequest;
use crate::error::GraphError;
use crate::odata::{self, QueryOptions, Supported};

/// How one endpoint lists its entities.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    /// `user`, `group`, `signIn`... for error messages.
    pub type_name: &'a str,
    /// `users`, `groups`, `auditLogs/signIns`... for `@odata.context`.
    pub context: &'a str,
    /// The properties returned without `$select` (None: all).
    pub default_select: Option<&'a [&'a str]>,
    /// Directory objects need `ConsistencyLevel: eventual` for advanced queries.
    pub directory_object: bool,
    pub default_top: usize,
    pub supported: Supported,
}

/// Parses the request's options for this listing and validates them against `shape` (a full
/// entity of the type, so every property name is known).
pub fn options(
    request: &GraphRequest<'_>,
    listing: &Listing<'_>,
    shape: &Map<String, Value>,
) -> Result<QueryOptions, GraphError> {
    let options =
        QueryOptions::parse(request.pairs.clone(), listing.supported, request.eventual())?;
    if listing.directory_object {
        options.require_consistency_for_advanced()?;
    }
    odata::check_properties(&options, shape, listing.type_name)?;
    if let Some(search) = &options.search {
        for property in odata::search::properties(search) {
            if !shape.contains_key(property) {
                return Err(GraphError::unsupported_query(format!(
                    "The property '{property}' of type 'microsoft.graph.{}' does not support $search.",
                    listing.type_name
                )));
            }
        }
    }
    Ok(options)
}

/// Builds one page. `fetch(i)` gives the i-th entity (in the collection's natural order) as JSON.
pub fn page(
    request: &GraphRequest<'_>,
    listing: &Listing<'_>,
    options: &QueryOptions,
    len: usize,
    fetch: impl Fn(usize) -> Value,
) -> Result<Value, GraphError> {
    let salt = request.shared.tenant().salt.clone();
    let start = match &options.skip_token {
        Some(token) => odata::decode_skip_token(token, &salt)?,
        None => 0,
    };
    let top = options.top.unwrap_or(listing.default_top);
    let keep = |entity: &Value| -> bool {
        options
            .filter
            .as_ref()
            .is_none_or(|f| odata::filter::matches(f, entity))
            && options
                .search
                .as_ref()
                .is_none_or(|s| odata::search::matches(s, entity))
    };
    let select = options.select.as_deref();

    let mut count = None;
    let mut items = Vec::new();
    let mut next = None;
    if let Some((property, descending)) = &options.order_by {
        // Ordering needs every match; the page token is then an offset into the ordered list.
        let mut all: Vec<Value> = (0..len).map(&fetch).filter(|e| keep(e)).collect();
        all.sort_by(|a, b| {
            let key = |v: &Value| {
                v.get(property)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase()
            };
            let ordering = key(a).cmp(&key(b));
            if *descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        count = Some(all.len());
        let end = (start + top).min(all.len());
        if end < all.len() {
            next = Some(end);
        }
        items = all
            .into_iter()
            .skip(start)
            .take(top)
            .map(|e| project_keeping_expanded(e, options, listing.default_select))
            .collect();
    } else {
        let mut position = start;
        while position < len {
            let entity = fetch(position);
            position += 1;
            if !keep(&entity) {
                continue;
            }
            items.push(project_keeping_expanded(
                entity,
                options,
                listing.default_select,
            ));
            if items.len() == top {
                break;
            }
        }
        if position < len && items.len() == top {
            next = Some(position);
        }
        if options.count {
            count = Some((0..len).filter(|i| keep(&fetch(*i))).count());
        }
    }

    let context = match select {
        Some(select) => format!("{}({})", listing.context, select.join(",")),
        None => listing.context.to_string(),
    };
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(request.context(&context)));
    if options.count {
        body.insert("@odata.count".into(), json!(count.unwrap_or(0)));
    }
    if let Some(position) = next {
        let path = format!("{}/{}", request.base(), request.segments.join("/"));
        let token = odata::encode_skip_token(position, &salt);
        body.insert(
            "@odata.nextLink".into(),
            json!(odata::next_link(&path, &options.raw, &token)),
        );
    }
    body.insert("value".into(), Value::Array(items));
    Ok(Value::Object(body))
}

/// A single entity with `@odata.context` and `$select` applied.
pub fn entity(
    request: &GraphRequest<'_>,
    context: &str,
    type_name: &str,
    default_select: Option<&[&str]>,
    expand: &'static [&'static str],
    value: Value,
) -> Result<(Value, QueryOptions), GraphError> {
    let options = QueryOptions::parse(
        request.pairs.clone(),
        Supported::entity(expand),
        request.eventual(),
    )?;
    if let Value::Object(shape) = &value {
        odata::check_properties(&options, shape, type_name)?;
    }
    let mut projected = project_keeping_expanded(value, &options, default_select);
    if let Value::Object(map) = &mut projected {
        let context = match &options.select {
            Some(select) => format!("{context}({})/$entity", select.join(",")),
            None => format!("{context}/$entity"),
        };
        map.insert("@odata.context".into(), json!(request.context(&context)));
        // Keep @odata.context first, as Graph does.
        let mut ordered = Map::new();
        if let Some(ctx) = map.remove("@odata.context") {
            ordered.insert("@odata.context".into(), ctx);
        }
        ordered.append(map);
        projected = Value::Object(ordered);
    }
    Ok((projected, options))
}

/// `$select` projection that keeps `$expand`ed navigation properties.
fn project_keeping_expanded(
    entity: Value,
    options: &QueryOptions,
    default_select: Option<&[&str]>,
) -> Value {
    let expanded: Vec<(String, Value)> = options
        .expand
        .iter()
        .filter_map(|e| {
            entity
                .get(&e.property)
                .map(|v| (e.property.clone(), v.clone()))
        })
        .collect();
    let mut projected = odata::project(entity, options.select.as_deref(), default_select);
    if let Value::Object(map) = &mut projected {
        map.extend(expanded);
    }
    projected
}

/// Serializes a record's wire struct to JSON.
pub fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The JSON object form of a record, for property validation.
pub fn shape_of<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match to_json(value) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
