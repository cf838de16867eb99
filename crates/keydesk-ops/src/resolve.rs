//! Turning what an operator typed (a UPN, a mail address, a nickname, a display name, a first or
//! last name) into exactly one directory user, or a clear "not found" / "which one?" with the
//! candidates. The query reaches Graph only as escaped OData literals.

use keydesk_graph::model::{Group, User};
use keydesk_graph::{Filter, Query};
use serde::Serialize;

use crate::{Error, Result};

/// Properties read when resolving (enough to tell candidates apart and to act).
pub const RESOLVE_SELECT: &[&str] = keydesk_graph::HELPDESK_USER_SELECT;

/// A candidate offered when a name is ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub detail: String,
}

impl Candidate {
    fn of_user(user: &User) -> Candidate {
        let detail = [user.department.as_deref(), user.job_title.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        Candidate {
            id: user
                .user_principal_name
                .clone()
                .unwrap_or_else(|| user.id.clone()),
            name: user.display_name.clone().unwrap_or_default(),
            detail,
        }
    }
}

/// Finds exactly one user.
pub async fn user(graph: &keydesk_graph::GraphClient, query: &str) -> Result<User> {
    let query = query.trim();
    if query.is_empty() {
        return Err(Error::InvalidInput("a user is required".into()));
    }
    if query.chars().any(char::is_control) || query.chars().count() > 256 {
        return Err(Error::UserNotFound {
            query: query.to_string(),
        });
    }
    if is_object_id(query) {
        if let Some(found) = graph.find_user(query, RESOLVE_SELECT).await? {
            return Ok(found);
        }
        return Err(Error::UserNotFound {
            query: query.to_string(),
        });
    }
    if query.contains('@') {
        if let Some(found) = graph.find_user(query, RESOLVE_SELECT).await? {
            return Ok(found);
        }
        let by_mail = graph
            .find_users(Filter::eq("mail", query), RESOLVE_SELECT)
            .await?;
        return one(query, by_mail);
    }
    // Exact identifiers first: a nickname or UPN prefix names one person.
    let exact = Filter::eq("mailNickname", query).or(Filter::starts_with(
        "userPrincipalName",
        &format!("{query}@"),
    ));
    let exact_matches = graph.find_users(exact, RESOLVE_SELECT).await?;
    if exact_matches.len() == 1 {
        return one(query, exact_matches);
    }
    let names = Filter::eq("displayName", query)
        .or(Filter::eq("givenName", query))
        .or(Filter::eq("surname", query));
    let mut matches = graph.find_users(names, RESOLVE_SELECT).await?;
    for user in exact_matches {
        if !matches.iter().any(|m| m.id == user.id) {
            matches.push(user);
        }
    }
    one(query, matches)
}

/// Whether the text is a directory object id (a GUID).
pub fn is_object_id(text: &str) -> bool {
    text.len() == 36
        && text.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn one(query: &str, mut matches: Vec<User>) -> Result<User> {
    match matches.len() {
        0 => Err(Error::UserNotFound {
            query: query.to_string(),
        }),
        1 => Ok(matches.remove(0)),
        _ => Err(Error::AmbiguousUser {
            query: query.to_string(),
            candidates: matches.iter().map(Candidate::of_user).collect(),
        }),
    }
}

/// The UPN of a resolved user (lower-cased, as keydesk reports it).
pub fn upn(user: &User) -> String {
    user.user_principal_name
        .clone()
        .unwrap_or_else(|| user.id.clone())
        .to_lowercase()
}

/// Finds exactly one group by display name (or object id).
pub async fn group(graph: &keydesk_graph::GraphClient, query: &str) -> Result<Group> {
    let query = query.trim().trim_matches('"');
    if query.is_empty() {
        return Err(Error::InvalidInput("a group is required".into()));
    }
    let mut matches = graph.find_groups_by_name(query).await?;
    if matches.is_empty()
        && let Ok(found) = graph
            .get_group(query, keydesk_graph::HELPDESK_GROUP_SELECT)
            .await
    {
        matches.push(found);
    }
    match matches.len() {
        0 => Err(Error::GroupNotFound {
            query: query.to_string(),
        }),
        1 => Ok(matches.remove(0)),
        _ => Err(Error::AmbiguousGroup {
            query: query.to_string(),
            candidates: matches
                .iter()
                .map(|g| Candidate {
                    id: g.id.clone(),
                    name: g.display_name.clone().unwrap_or_default(),
                    detail: g.description.clone().unwrap_or_default(),
                })
                .collect(),
        }),
    }
}

/// A query that lists users (for search and locked-account listings).
pub fn users_query(filter: Option<Filter>, select: &[&str]) -> Query {
    let mut query = Query::default().select(select.iter().copied()).top(999);
    if let Some(filter) = filter {
        query = query.filter(filter);
    }
    query
}
