//! One person's timeline: keydesk's own records (what was done to and by them), the tenant's
//! directory audits that name them as a target, and their sign-ins, newest first. Read by the
//! CLI's `keydesk history`, the API's `/users/{user}/history` and the console's history page.

use keydesk_audit::AuditStore;
use keydesk_graph::GraphClient;
use keydesk_graph::model::User;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Error, Result};

/// The longest look back, in days.
pub const MAX_DAYS: i64 = 90;

/// The timeline of `user` over the last `days` days (1 to [`MAX_DAYS`]), newest first. Each row
/// has `time`, `source` (`keydesk`, `entra-audit`, `sign-in`), `what`, `who`, `result`,
/// `reference`.
pub async fn timeline(
    store: &dyn AuditStore,
    graph: &GraphClient,
    user: &User,
    days: i64,
) -> Result<Vec<Value>> {
    let upn = keydesk_ops::resolve::upn(user);
    let since = OffsetDateTime::now_utc() - time::Duration::days(days.clamp(1, MAX_DAYS));
    let mut rows: Vec<(OffsetDateTime, Value)> = Vec::new();

    let records = store
        .for_user(&upn)
        .await
        .map_err(|e| Error::Guard(keydesk_guard::Error::from(e)))?;
    for record in records.into_iter().filter(|r| r.recorded_at >= since) {
        let event = &record.event;
        let by = if event.actor.eq_ignore_ascii_case(&upn) {
            "by the user"
        } else {
            "to the user"
        };
        rows.push((
            record.recorded_at,
            json!({
                "time": keydesk_core::diagnosis::rfc3339(record.recorded_at),
                "source": "keydesk",
                "what": format!("{} {:?} ({by})", event.action, event.kind).to_lowercase(),
                "who": event.actor,
                "result": event.outcome.as_ref().map(|o| o.summary.clone()).unwrap_or_default(),
                "reference": format!("audit #{}", record.seq),
            }),
        ));
    }

    let audits = graph
        .directory_audits(&keydesk_graph::AuditQuery::for_target(&user.id, since), 500)
        .await
        .map_err(keydesk_ops::Error::from)?;
    for audit in audits {
        let Some(at) = audit.activity_date_time else {
            continue;
        };
        let who = audit
            .initiated_by
            .as_ref()
            .and_then(|i| {
                i.user
                    .as_ref()
                    .and_then(|u| u.user_principal_name.clone())
                    .or_else(|| i.app.as_ref().and_then(|a| a.display_name.clone()))
            })
            .unwrap_or_default();
        rows.push((
            at,
            json!({
                "time": keydesk_core::diagnosis::rfc3339(at),
                "source": "entra-audit",
                "what": audit.activity_display_name,
                "who": who,
                "result": audit.result,
                "reference": audit.id,
            }),
        ));
    }

    let sign_ins = graph
        .sign_ins(
            &keydesk_graph::SignInQuery {
                user_id: Some(user.id.clone()),
                since: Some(since),
                ..Default::default()
            },
            1000,
        )
        .await
        .map_err(keydesk_ops::Error::from)?;
    for sign_in in sign_ins {
        let Some(at) = sign_in.created_date_time else {
            continue;
        };
        let code = sign_in
            .status
            .as_ref()
            .and_then(|s| s.error_code)
            .unwrap_or(0);
        let place = sign_in
            .location
            .as_ref()
            .map(|l| {
                [l.city.clone(), l.country_or_region.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        rows.push((
            at,
            json!({
                "time": keydesk_core::diagnosis::rfc3339(at),
                "source": "sign-in",
                "what": format!(
                    "sign-in to {} from {} {place}",
                    sign_in.app_display_name.unwrap_or_default(),
                    sign_in.ip_address.unwrap_or_default()
                ),
                "who": upn,
                "result": if code == 0 { "success".to_string() } else { format!("error {code}") },
                "reference": sign_in.id,
            }),
        ));
    }

    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}
