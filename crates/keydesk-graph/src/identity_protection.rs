//! Identity Protection calls (Entra ID P2): risky users and risk detections.
//!
//! These endpoints send no `Retry-After` on 429, so retries fall back to jittered backoff.

use serde_json::json;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::model::{RiskDetection, RiskyUser, RiskyUserHistoryItem};
use crate::odata::{Filter, Query, segment};

/// Largest `userIds` list keydesk sends to dismiss / confirmCompromised in one call.
const MAX_USER_IDS: usize = 60;

impl GraphClient {
    /// `GET identityProtection/riskyUsers/{userId}`; `None` when the user was never risky.
    pub async fn get_risky_user(&self, user_id: &str) -> Result<Option<RiskyUser>> {
        match self
            .get(&format!(
                "identityProtection/riskyUsers/{}",
                segment(user_id)
            ))
            .await
        {
            Ok(user) => Ok(Some(user)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `GET identityProtection/riskyUsers` with an optional filter
    /// (e.g. `riskState eq 'atRisk'`), across all pages.
    pub async fn list_risky_users(&self, filter: Option<Filter>) -> Result<Vec<RiskyUser>> {
        let query = filter.map_or_else(Query::default, |filter| Query::default().filter(filter));
        self.collect_query("identityProtection/riskyUsers", &query)
            .await
    }

    /// `GET identityProtection/riskyUsers/{userId}/history`.
    pub async fn risky_user_history(&self, user_id: &str) -> Result<Vec<RiskyUserHistoryItem>> {
        self.collect_all(&format!(
            "identityProtection/riskyUsers/{}/history",
            segment(user_id)
        ))
        .await
    }

    /// `POST identityProtection/riskyUsers/dismiss` → 204.
    pub async fn dismiss_risky_users(&self, user_ids: &[&str]) -> Result<()> {
        self.risky_user_action("dismiss", user_ids).await
    }

    /// `POST identityProtection/riskyUsers/confirmCompromised` → 204.
    pub async fn confirm_compromised(&self, user_ids: &[&str]) -> Result<()> {
        self.risky_user_action("confirmCompromised", user_ids).await
    }

    /// `GET identityProtection/riskDetections` with an optional filter
    /// (`userId eq '…'`, `detectedDateTime ge …`), across all pages.
    pub async fn list_risk_detections(&self, filter: Option<Filter>) -> Result<Vec<RiskDetection>> {
        let query = filter.map_or_else(Query::default, |filter| Query::default().filter(filter));
        self.collect_query("identityProtection/riskDetections", &query)
            .await
    }

    /// Risk detections for one user.
    pub async fn risk_detections_for_user(&self, user_id: &str) -> Result<Vec<RiskDetection>> {
        self.list_risk_detections(Some(Filter::eq("userId", user_id)))
            .await
    }

    async fn risky_user_action(&self, action: &str, user_ids: &[&str]) -> Result<()> {
        if user_ids.is_empty() || user_ids.len() > MAX_USER_IDS {
            return Err(Error::InvalidRequest(format!(
                "{action} takes 1 to {MAX_USER_IDS} user ids"
            )));
        }
        self.post_no_content(
            &format!("identityProtection/riskyUsers/{action}"),
            &json!({ "userIds": user_ids }),
        )
        .await
    }
}
