//! Sending mail as a mailbox (`users/{id}/sendMail`, application `Mail.Send`).

use serde_json::json;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::model::Message;
use crate::request::GraphRequest;
use crate::users::user_path;

impl GraphClient {
    /// `POST users/{from}/sendMail` → 202 (queued, not yet delivered). Never retried after a
    /// dropped connection, so a message is not sent twice.
    pub async fn send_mail(
        &self,
        from: &str,
        message: &Message,
        save_to_sent_items: bool,
    ) -> Result<()> {
        let body = json!({ "message": message, "saveToSentItems": save_to_sent_items });
        let request = GraphRequest::post(&format!("{}/sendMail", user_path(from))).json(&body)?;
        let answer = self.send(request).await?;
        if answer.status == 202 {
            Ok(())
        } else {
            Err(Error::UnexpectedResponse(format!(
                "sendMail answered {} instead of 202",
                answer.status
            )))
        }
    }
}
