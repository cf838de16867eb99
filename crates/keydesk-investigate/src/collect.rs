//! Gathering one user's evidence through [`GraphClient`] (read-only) and preserving it.
//!
//! What is read, for the window plus the baseline period before it: interactive and
//! non-interactive sign-ins (beta, falling back to v1.0 interactive only), the risky-user record
//! and risk detections, authentication methods, directory audits that targeted *or were initiated
//! by* the user (a consent targets the app, not the user), and the user's delegated grants with
//! each client's service principal (beta, for `createdDateTime`) and how many users granted it.
//!
//! Everything is kept as the raw JSON Graph returned in an [`EvidenceSnapshot`];
//! [`write_snapshot`] writes it and returns its SHA-256 for the audit log. What cannot be read
//! (no P2 licence, missing permission) is recorded as a gap, not an error; only failing to read
//! the user or the sign-ins is an error.
//!
//! Tenant-wide hunting reads sign-ins with [`collect_tenant_sign_ins`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use keydesk_graph::odata::segment;
use keydesk_graph::{Filter, GraphClient, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::load::sign_in_from_value;
use crate::model::{
    AuthMethod, DirectoryAudit, Evidence, Grant, GrantEvidence, HuntSignIn, RiskDetection,
    RiskyUser, ServicePrincipal, SignIn, Timestamp, UserInfo, Window,
};

/// What to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectOptions {
    /// The investigated window.
    pub window: Window,
    /// Days of history before the window for the baseline.
    pub baseline_days: u32,
    /// At most this many sign-ins (newest first).
    pub max_sign_ins: usize,
    /// At most this many directory audits per query.
    pub max_audits: usize,
}

impl CollectOptions {
    /// A window with the default baseline (30 days) and limits.
    pub fn for_window(window: Window) -> Self {
        CollectOptions {
            window,
            baseline_days: 30,
            max_sign_ins: 50_000,
            max_audits: 5_000,
        }
    }

    fn since(&self) -> Timestamp {
        self.window
            .from
            .plus(-i64::from(self.baseline_days) * Timestamp::DAY)
    }
}

/// Everything collected, as Graph returned it, with when and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceSnapshot {
    /// Format version.
    pub version: u32,
    /// When the collection finished.
    pub collected_at: Option<Timestamp>,
    /// The Graph base URL read from.
    pub source: String,
    /// The user as given.
    pub requested_user: String,
    /// The user record.
    pub user: Value,
    /// The investigated window.
    pub window: Option<Window>,
    /// The queries issued.
    pub queries: Vec<String>,
    /// Sign-ins (raw).
    pub sign_ins: Vec<Value>,
    /// The risky-user record (raw), if any.
    pub risky_user: Option<Value>,
    /// Risk detections (raw).
    pub risk_detections: Vec<Value>,
    /// Authentication methods (raw).
    pub auth_methods: Vec<Value>,
    /// Directory audits (raw).
    pub directory_audits: Vec<Value>,
    /// Delegated grants (raw).
    pub grants: Vec<Value>,
    /// Client service principals by object id (raw).
    pub service_principals: BTreeMap<String, Value>,
    /// Users holding a `Principal` grant to each client.
    pub consenting_users: BTreeMap<String, usize>,
    /// What could not be read.
    pub gaps: Vec<String>,
}

impl EvidenceSnapshot {
    /// The typed evidence model.
    pub fn to_evidence(&self) -> Evidence {
        fn typed<T: for<'de> Deserialize<'de>>(values: &[Value]) -> Vec<T> {
            values
                .iter()
                .filter_map(|v| T::deserialize(v).ok())
                .collect()
        }
        let user = UserInfo::deserialize(&self.user).unwrap_or_default();
        let sign_ins: Vec<SignIn> = self
            .sign_ins
            .iter()
            .filter_map(sign_in_from_value)
            .collect();
        let grants: Vec<Grant> = typed(&self.grants);
        let grants = grants
            .into_iter()
            .map(|grant| GrantEvidence {
                client: self
                    .service_principals
                    .get(&grant.client_id)
                    .and_then(|v| ServicePrincipal::deserialize(v).ok()),
                consenting_users: self.consenting_users.get(&grant.client_id).copied(),
                grant,
            })
            .collect();
        Evidence {
            user,
            window: self.window,
            sign_ins,
            risky_user: self
                .risky_user
                .as_ref()
                .and_then(|v| RiskyUser::deserialize(v).ok()),
            risk_detections: typed::<RiskDetection>(&self.risk_detections),
            auth_methods: typed::<AuthMethod>(&self.auth_methods),
            directory_audits: typed::<DirectoryAudit>(&self.directory_audits),
            grants,
            gaps: self.gaps.clone(),
        }
    }
}

fn graph_time(at: Timestamp) -> time::OffsetDateTime {
    at.to_datetime()
}

/// Collects one user's evidence for `options.window` (plus the baseline period).
pub async fn collect_evidence(
    client: &GraphClient,
    user: &str,
    options: &CollectOptions,
    now: Timestamp,
) -> Result<EvidenceSnapshot, Error> {
    let select = [
        "id",
        "userPrincipalName",
        "displayName",
        "accountEnabled",
        "onPremisesSyncEnabled",
    ];
    let record = match client.find_user(user, &select).await {
        Ok(Some(record)) => record,
        Ok(None) => return Err(Error::UnknownUser(user.to_owned())),
        Err(error) => return Err(Error::graph("the user", error)),
    };
    let user_id = record.id.clone();
    let mut snapshot = EvidenceSnapshot {
        version: 1,
        source: client.base_url().to_string(),
        requested_user: user.to_owned(),
        user: serde_json::json!({
            "id": record.id,
            "userPrincipalName": record.user_principal_name,
            "displayName": record.display_name,
            "accountEnabled": record.account_enabled,
            "onPremisesSyncEnabled": record.on_premises_sync_enabled,
        }),
        window: Some(options.window),
        ..EvidenceSnapshot::default()
    };
    let since = options.since();

    // Sign-ins: beta with both event types, else v1.0 (interactive only).
    let query = keydesk_graph::SignInQuery {
        user_id: Some(user_id.clone()),
        since: Some(graph_time(since)),
        until: Some(graph_time(options.window.to)),
        event_types: vec![
            "interactiveUser".to_owned(),
            "nonInteractiveUser".to_owned(),
        ],
        page_size: Some(1000),
        ..keydesk_graph::SignInQuery::default()
    };
    let beta_query = query.to_query();
    snapshot.queries.push(format!(
        "beta auditLogs/signIns?{}",
        beta_query.to_query_string()
    ));
    match client
        .beta()
        .collect_limited::<Value>("auditLogs/signIns", &beta_query, options.max_sign_ins)
        .await
    {
        Ok(values) => snapshot.sign_ins = values,
        Err(beta_error) => {
            let v1_query = keydesk_graph::SignInQuery {
                event_types: Vec::new(),
                ..query
            }
            .to_query();
            snapshot.gaps.push(format!(
                "beta sign-ins unavailable ({beta_error}); read v1.0 interactive sign-ins only, without user agents, sessions or authentication details"
            ));
            snapshot.queries.push(format!(
                "v1.0 auditLogs/signIns?{}",
                v1_query.to_query_string()
            ));
            snapshot.sign_ins = client
                .v1()
                .collect_limited::<Value>("auditLogs/signIns", &v1_query, options.max_sign_ins)
                .await
                .map_err(|e| Error::graph("sign-ins", e))?;
        }
    }

    // Identity Protection.
    let risky_path = format!("identityProtection/riskyUsers/{}", segment(&user_id));
    snapshot.queries.push(risky_path.clone());
    match client.get::<Value>(&risky_path).await {
        Ok(value) => snapshot.risky_user = Some(value),
        Err(error) if error.is_not_found() => {}
        Err(error) => snapshot
            .gaps
            .push(format!("risky-user state unavailable: {error}")),
    }
    let detections = Query::default().filter(Filter::eq("userId", &user_id));
    snapshot.queries.push(format!(
        "identityProtection/riskDetections?{}",
        detections.to_query_string()
    ));
    match client
        .collect_query::<Value>("identityProtection/riskDetections", &detections)
        .await
    {
        Ok(values) => snapshot.risk_detections = values,
        Err(error) => snapshot
            .gaps
            .push(format!("risk detections unavailable: {error}")),
    }

    // Authentication methods.
    let methods_path = format!("users/{}/authentication/methods", segment(&user_id));
    snapshot.queries.push(methods_path.clone());
    match client.collect_all::<Value>(&methods_path).await {
        Ok(values) => snapshot.auth_methods = values,
        Err(error) => snapshot
            .gaps
            .push(format!("authentication methods unavailable: {error}")),
    }

    // Directory audits: targeting the user, and initiated by the user.
    let mut audits: BTreeMap<String, Value> = BTreeMap::new();
    let audit_queries = [
        keydesk_graph::AuditQuery {
            until: Some(graph_time(now)),
            ..keydesk_graph::AuditQuery::for_target(&user_id, graph_time(since))
        },
        keydesk_graph::AuditQuery {
            initiated_by_user_id: Some(user_id.clone()),
            since: Some(graph_time(since)),
            until: Some(graph_time(now)),
            ..keydesk_graph::AuditQuery::default()
        },
    ];
    for audit_query in audit_queries {
        let query = audit_query.to_query();
        snapshot.queries.push(format!(
            "auditLogs/directoryAudits?{}",
            query.to_query_string()
        ));
        match client
            .collect_limited::<Value>("auditLogs/directoryAudits", &query, options.max_audits)
            .await
        {
            Ok(values) => {
                for value in values {
                    let id = value
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    audits.entry(id).or_insert(value);
                }
            }
            Err(error) => snapshot
                .gaps
                .push(format!("directory audits unavailable: {error}")),
        }
    }
    snapshot.directory_audits = audits.into_values().collect();

    // Grants and their apps.
    let grants_path = format!("users/{}/oauth2PermissionGrants", segment(&user_id));
    snapshot.queries.push(grants_path.clone());
    match client.collect_all::<Value>(&grants_path).await {
        Ok(values) => snapshot.grants = values,
        Err(error) => snapshot
            .gaps
            .push(format!("delegated grants unavailable: {error}")),
    }
    let clients: BTreeSet<String> = snapshot
        .grants
        .iter()
        .filter_map(|g| g.get("clientId").and_then(Value::as_str).map(str::to_owned))
        .collect();
    for client_id in clients {
        let path = format!("servicePrincipals/{}", segment(&client_id));
        snapshot.queries.push(format!("beta {path}"));
        match client.beta().get::<Value>(&path).await {
            Ok(value) => {
                snapshot.service_principals.insert(client_id.clone(), value);
            }
            Err(error) => snapshot.gaps.push(format!(
                "service principal {client_id} unavailable: {error}"
            )),
        }
        let query = Query::default().filter(Filter::eq("clientId", &client_id));
        match client
            .collect_query::<Value>("oauth2PermissionGrants", &query)
            .await
        {
            Ok(values) => {
                let principals: BTreeSet<&str> = values
                    .iter()
                    .filter(|g| g.get("consentType").and_then(Value::as_str) == Some("Principal"))
                    .filter_map(|g| g.get("principalId").and_then(Value::as_str))
                    .collect();
                snapshot
                    .consenting_users
                    .insert(client_id.clone(), principals.len());
            }
            Err(error) => snapshot
                .gaps
                .push(format!("grants of client {client_id} unavailable: {error}")),
        }
    }
    snapshot.collected_at = Some(now);
    Ok(snapshot)
}

/// Reads the tenant's sign-ins for `window` (both event types on beta), at most `limit`, in
/// the hunting projection.
pub async fn collect_tenant_sign_ins(
    client: &GraphClient,
    window: Window,
    limit: usize,
) -> Result<Vec<HuntSignIn>, Error> {
    let query = keydesk_graph::SignInQuery {
        since: Some(graph_time(window.from)),
        until: Some(graph_time(window.to)),
        event_types: vec![
            "interactiveUser".to_owned(),
            "nonInteractiveUser".to_owned(),
        ],
        page_size: Some(1000),
        ..keydesk_graph::SignInQuery::default()
    };
    let values = client
        .beta()
        .collect_limited::<Value>("auditLogs/signIns", &query.to_query(), limit)
        .await
        .map_err(|e| Error::graph("tenant sign-ins", e))?;
    Ok(values
        .iter()
        .filter_map(sign_in_from_value)
        .map(|s| crate::load::hunt_view(&s))
        .collect())
}

/// Writes `snapshot` as pretty JSON to `path` (created new; an existing file is an error, so
/// evidence is never overwritten) and returns its SHA-256 in lower-case hex.
pub fn write_snapshot(path: &Path, snapshot: &EvidenceSnapshot) -> Result<String, Error> {
    let bytes = serde_json::to_vec_pretty(snapshot)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))?;
    Ok(sha256_hex(&bytes))
}

/// SHA-256 of a file (for a sign-in export given with `--signins`).
pub fn hash_file(path: &Path) -> Result<String, Error> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = std::io::Read::read(&mut file, &mut buffer).map_err(|e| Error::io(path, e))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
