//! Audit-log calls: sign-ins (v1.0 interactive, beta for non-interactive and service
//! principals) and directory audits, with the filters a helpdesk needs.
//!
//! Sign-in logs are large (1,000 per page), so callers give a `limit`; `$top` is sized to it
//! and pages stop being fetched once it is reached.

use time::OffsetDateTime;

use crate::client::GraphClient;
use crate::error::Result;
use crate::model::{DirectoryAudit, SignIn};
use crate::odata::{Filter, Query};

/// Which sign-ins to fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInQuery {
    /// `userId eq '…'`.
    pub user_id: Option<String>,
    /// `userPrincipalName eq '…'`.
    pub user_principal_name: Option<String>,
    /// `appId eq '…'`.
    pub app_id: Option<String>,
    /// `createdDateTime ge …`.
    pub since: Option<OffsetDateTime>,
    /// `createdDateTime le …`.
    pub until: Option<OffsetDateTime>,
    /// Beta only: `signInEventTypes/any(t: t eq '…')`, or-ed (`interactiveUser`,
    /// `nonInteractiveUser`, `servicePrincipal`, `managedIdentity`).
    pub event_types: Vec<String>,
    /// Page size (`$top`, max 1,000).
    pub page_size: Option<u32>,
}

/// Which directory audits to fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// `targetResources/any(t: t/id eq '…')`.
    pub target_id: Option<String>,
    /// `initiatedBy/user/id eq '…'`.
    pub initiated_by_user_id: Option<String>,
    /// `activityDisplayName eq '…'`.
    pub activity: Option<String>,
    /// `category eq '…'`.
    pub category: Option<String>,
    /// `activityDateTime ge …`.
    pub since: Option<OffsetDateTime>,
    /// `activityDateTime le …`.
    pub until: Option<OffsetDateTime>,
    /// Page size (`$top`).
    pub page_size: Option<u32>,
}

impl SignInQuery {
    /// Sign-ins of one user (by object id) since a time.
    pub fn for_user(user_id: &str, since: OffsetDateTime) -> Self {
        Self {
            user_id: Some(user_id.to_owned()),
            since: Some(since),
            ..Self::default()
        }
    }

    /// Adds the beta non-interactive filter.
    pub fn non_interactive(mut self) -> Self {
        self.event_types.push("nonInteractiveUser".to_owned());
        self
    }

    /// The OData query for these options.
    pub fn to_query(&self) -> Query {
        let mut filters = Vec::new();
        if let Some(user_id) = &self.user_id {
            filters.push(Filter::eq("userId", user_id));
        }
        if let Some(upn) = &self.user_principal_name {
            filters.push(Filter::eq("userPrincipalName", upn));
        }
        if let Some(app_id) = &self.app_id {
            filters.push(Filter::eq("appId", app_id));
        }
        if let Some(since) = self.since {
            filters.push(Filter::ge("createdDateTime", since));
        }
        if let Some(until) = self.until {
            filters.push(Filter::le("createdDateTime", until));
        }
        let event_types = Filter::any_of(self.event_types.iter().map(|kind| Filter::eq("t", kind)));
        if let Some(predicate) = event_types {
            filters.push(Filter::any("signInEventTypes", "t", predicate));
        }
        with_filters(filters, self.page_size)
    }
}

impl AuditQuery {
    /// Audits that touched one object since a time.
    pub fn for_target(target_id: &str, since: OffsetDateTime) -> Self {
        Self {
            target_id: Some(target_id.to_owned()),
            since: Some(since),
            ..Self::default()
        }
    }

    /// The OData query for these options.
    pub fn to_query(&self) -> Query {
        let mut filters = Vec::new();
        if let Some(since) = self.since {
            filters.push(Filter::ge("activityDateTime", since));
        }
        if let Some(until) = self.until {
            filters.push(Filter::le("activityDateTime", until));
        }
        if let Some(activity) = &self.activity {
            filters.push(Filter::eq("activityDisplayName", activity));
        }
        if let Some(category) = &self.category {
            filters.push(Filter::eq("category", category));
        }
        if let Some(user_id) = &self.initiated_by_user_id {
            filters.push(Filter::eq("initiatedBy/user/id", user_id));
        }
        if let Some(target_id) = &self.target_id {
            filters.push(Filter::any(
                "targetResources",
                "t",
                Filter::eq("t/id", target_id),
            ));
        }
        with_filters(filters, self.page_size)
    }
}

fn with_filters(filters: Vec<Filter>, page_size: Option<u32>) -> Query {
    let mut query = Query::default();
    if let Some(filter) = Filter::all_of(filters) {
        query = query.filter(filter);
    }
    if let Some(top) = page_size {
        query = query.top(top);
    }
    query
}

/// `$top` for a caller limit: no larger than needed, never above the endpoint's maximum.
fn page_size_for(limit: usize, maximum: u32) -> u32 {
    u32::try_from(limit).unwrap_or(maximum).clamp(1, maximum)
}

impl GraphClient {
    /// v1.0 `GET auditLogs/signIns` (interactive sign-ins), newest first, at most `limit`.
    /// Event-type filters are beta-only and are ignored here; use [`GraphClient::sign_ins_beta`].
    pub async fn sign_ins(&self, query: &SignInQuery, limit: usize) -> Result<Vec<SignIn>> {
        let query = SignInQuery {
            event_types: Vec::new(),
            page_size: query.page_size.or(Some(page_size_for(limit, 1000))),
            ..query.clone()
        };
        self.v1()
            .collect_limited("auditLogs/signIns", &query.to_query(), limit)
            .await
    }

    /// Beta `GET auditLogs/signIns` (supports `signInEventTypes` filters and the beta-only
    /// fields), at most `limit`.
    pub async fn sign_ins_beta(&self, query: &SignInQuery, limit: usize) -> Result<Vec<SignIn>> {
        let query = SignInQuery {
            page_size: query.page_size.or(Some(page_size_for(limit, 1000))),
            ..query.clone()
        };
        self.beta()
            .collect_limited("auditLogs/signIns", &query.to_query(), limit)
            .await
    }

    /// `GET auditLogs/directoryAudits`, at most `limit`.
    pub async fn directory_audits(
        &self,
        query: &AuditQuery,
        limit: usize,
    ) -> Result<Vec<DirectoryAudit>> {
        let query = AuditQuery {
            page_size: query.page_size.or(Some(page_size_for(limit, 999))),
            ..query.clone()
        };
        self.v1()
            .collect_limited("auditLogs/directoryAudits", &query.to_query(), limit)
            .await
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::{AuditQuery, SignInQuery};

    #[test]
    fn sign_in_filters() {
        let query = SignInQuery::for_user("u1", datetime!(2024-05-01 00:00 UTC)).non_interactive();
        assert_eq!(
            query.to_query().filter_expression().map(|filter| filter.as_str().to_owned()),
            Some("userId eq 'u1' and createdDateTime ge 2024-05-01T00:00:00Z and signInEventTypes/any(t: t eq 'nonInteractiveUser')".to_owned())
        );
        let both = SignInQuery {
            event_types: vec![
                "interactiveUser".to_owned(),
                "nonInteractiveUser".to_owned(),
            ],
            ..SignInQuery::default()
        };
        assert_eq!(
            both.to_query()
                .filter_expression()
                .map(|filter| filter.as_str().to_owned()),
            Some(
                "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
                    .to_owned()
            )
        );
        assert_eq!(SignInQuery::default().to_query().to_query_string(), "");
    }

    #[test]
    fn audit_filters() {
        let query = AuditQuery {
            page_size: Some(50),
            ..AuditQuery::for_target("u1", datetime!(2024-05-01 00:00 UTC))
        };
        assert_eq!(
            query
                .to_query()
                .filter_expression()
                .map(|filter| filter.as_str().to_owned()),
            Some(
                "activityDateTime ge 2024-05-01T00:00:00Z and targetResources/any(t: t/id eq 'u1')"
                    .to_owned()
            )
        );
        assert!(query.to_query().to_query_string().ends_with("&$top=50"));
    }
}
