//! Approval notifications to an incoming webhook: Microsoft Teams (a MessageCard with an
//! "Open in keydesk" button) or Slack (`text` with a link). A failed notification is logged
//! and never blocks the request: the approval is durable in the database either way.

use std::time::Duration;

use keydesk_guard::state::ApprovalRecord;
use serde_json::{Value, json};

/// The webhook's dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Teams,
    Slack,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "teams" => Ok(Format::Teams),
            "slack" => Ok(Format::Slack),
            other => Err(format!("webhook format '{other}': use teams or slack")),
        }
    }
}

/// Where approval requests are announced.
#[derive(Debug, Clone)]
pub struct Notifier {
    url: reqwest::Url,
    format: Format,
    /// The console's base URL, for the link to the approval.
    console: String,
    http: reqwest::Client,
}

impl Notifier {
    pub fn new(url: reqwest::Url, format: Format, console: &str) -> Result<Notifier, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("building the webhook client: {e}"))?;
        Ok(Notifier {
            url,
            format,
            console: console.trim_end_matches('/').to_string(),
            http,
        })
    }

    /// The message for an approval request (no secret can be in it: approvals hold none).
    pub fn message(&self, approval: &ApprovalRecord) -> Value {
        message(self.format, &self.console, approval)
    }

    /// Posts the message; logs and carries on if the webhook fails.
    pub async fn approval_requested(&self, approval: &ApprovalRecord) {
        let body = self.message(approval);
        match self.http.post(self.url.clone()).json(&body).send().await {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                tracing::warn!(status = %response.status(), approval = %approval.id, "the approval webhook refused the notification")
            }
            Err(error) => {
                tracing::warn!(error = %error.without_url(), approval = %approval.id, "the approval webhook could not be reached")
            }
        }
    }
}

/// The webhook body for `approval` in `format`, linking to `console`.
pub fn message(format: Format, console: &str, approval: &ApprovalRecord) -> Value {
    let link = format!("{console}/approvals#{}", approval.id);
    let title = format!(
        "keydesk: {} asks for approval — {}",
        approval.requester, approval.summary
    );
    match format {
        Format::Teams => json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "themeColor": "D83B01",
            "title": title,
            "sections": [{
                "facts": [
                    {"name": "Action", "value": approval.action},
                    {"name": "Target", "value": approval.target.clone().unwrap_or_default()},
                    {"name": "Requested by", "value": approval.requester},
                    {"name": "Who may approve", "value": approval.approvers},
                    {"name": "Approval", "value": approval.id},
                ],
                "text": approval.plan.replace('\n', "<br>"),
            }],
            "potentialAction": [{
                "@type": "OpenUri",
                "name": "Review in keydesk",
                "targets": [{"os": "default", "uri": link}],
            }],
        }),
        Format::Slack => json!({
            "text": format!(
                "{title}\nApproval {} — who may approve: {}\n<{link}|Review in keydesk>",
                approval.id, approval.approvers
            ),
        }),
    }
}
