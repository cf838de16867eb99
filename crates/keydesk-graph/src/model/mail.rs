//! Outgoing mail (`sendMail`).

use serde::Serialize;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Subject line.
    pub subject: String,
    /// Body.
    pub body: ItemBody,
    /// To recipients.
    pub to_recipients: Vec<Recipient>,
    /// Cc recipients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc_recipients: Vec<Recipient>,
    /// Importance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importance: Option<Importance>,
}

/// A message body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `Text` or `HTML`.
    pub content_type: BodyType,
    /// The content.
    pub content: String,
}

/// Body content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BodyType {
    /// Plain text.
    Text,
    /// HTML.
    #[serde(rename = "HTML")]
    Html,
}

/// Message importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Importance {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
}

/// A recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The address.
    pub email_address: EmailAddress,
}

/// A mail address with an optional name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailAddress {
    /// SMTP address.
    pub address: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Recipient {
    /// A recipient with just an address.
    pub fn address(address: impl Into<String>) -> Self {
        Self {
            email_address: EmailAddress {
                address: address.into(),
                name: None,
            },
        }
    }
}

impl Message {
    /// A plain-text message to one recipient.
    pub fn text(
        subject: impl Into<String>,
        content: impl Into<String>,
        to: impl Into<String>,
    ) -> Self {
        Self {
            subject: subject.into(),
            body: ItemBody {
                content_type: BodyType::Text,
                content: content.into(),
            },
            to_recipients: vec![Recipient::address(to)],
            cc_recipients: Vec::new(),
            importance: None,
        }
    }
}
