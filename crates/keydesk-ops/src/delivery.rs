//! Out-of-band delivery of a temporary password or TAP: shown once to the operator, mailed (via
//! Graph `sendMail`) to the manager or a named recipient, or texted through an SMS gateway.
//! Never to the mailbox whose password is being reset. The secret appears in the message it
//! delivers and nowhere else: reports say where it went, not what it was.

use keydesk_core::Secret;
use keydesk_graph::model::{Message, User};
use serde::Serialize;

use crate::report::{Report, StepStatus};
use crate::{Error, Ops, Result, resolve};

/// Where a secret goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Shown once to the operator.
    Reveal,
    /// Mailed to the target's manager.
    Manager,
    /// Mailed to a named person (UPN, mail or name).
    MailTo(String),
    /// Texted to a phone number (international format).
    Sms(String),
}

/// What is being delivered (for wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    TemporaryPassword,
    TemporaryAccessPass,
}

impl SecretKind {
    fn noun(self) -> &'static str {
        match self {
            SecretKind::TemporaryPassword => "temporary password",
            SecretKind::TemporaryAccessPass => "Temporary Access Pass",
        }
    }
}

/// Where a delivery went, for reports (never the secret itself).
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    pub channel: &'static str,
    pub recipient: Option<String>,
}

/// Checks that the delivery can happen before anything is changed (so a reset never strands a
/// password nobody can receive).
pub async fn prepare(ops: &Ops, target: &User, delivery: &Delivery) -> Result<Option<String>> {
    match delivery {
        Delivery::Reveal => Ok(None),
        Delivery::Manager => {
            let manager = ops.graph.get_manager(&target.id).await?.ok_or_else(|| {
                Error::refused(
                    format!("{} has no manager to deliver to", resolve::upn(target)),
                    "use --deliver-to with a named recipient, or --reveal",
                )
            })?;
            let address = manager
                .mail
                .or(manager.user_principal_name)
                .ok_or_else(|| Error::Delivery("the manager has no mailbox".into()))?;
            refuse_own_mailbox(target, &address)?;
            Ok(Some(address))
        }
        Delivery::MailTo(recipient) => {
            let person = resolve::user(&ops.graph, recipient).await?;
            if person.id == target.id {
                return Err(own_mailbox_refusal(target));
            }
            let address = person
                .mail
                .clone()
                .or(person.user_principal_name.clone())
                .ok_or_else(|| Error::Delivery(format!("{recipient} has no mailbox")))?;
            refuse_own_mailbox(target, &address)?;
            Ok(Some(address))
        }
        Delivery::Sms(phone) => {
            if ops.settings.sms_gateway.is_none() {
                return Err(Error::refused(
                    "no SMS gateway is configured",
                    "set KEYDESK_SMS_GATEWAY, or deliver by mail or --reveal",
                ));
            }
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !phone.starts_with('+') || digits < 6 {
                return Err(Error::InvalidInput(format!(
                    "'{phone}' is not a phone number in international format (+1 206 555 0100)"
                )));
            }
            Ok(Some(phone.clone()))
        }
    }
}

fn own_mailbox_refusal(target: &User) -> Error {
    Error::refused(
        format!(
            "refusing to send {}'s temporary credential to their own mailbox",
            resolve::upn(target)
        ),
        "whoever can read that mailbox may be the reason for the reset; deliver to the manager or another person",
    )
}

fn refuse_own_mailbox(target: &User, address: &str) -> Result<()> {
    let own = [
        target.mail.as_deref(),
        target.user_principal_name.as_deref(),
    ];
    if own
        .iter()
        .flatten()
        .any(|a| a.eq_ignore_ascii_case(address))
    {
        return Err(own_mailbox_refusal(target));
    }
    Ok(())
}

/// Delivers the secret to the recipient prepared by [`prepare`].
pub async fn deliver(
    ops: &Ops,
    target: &User,
    secret: &Secret,
    kind: SecretKind,
    delivery: &Delivery,
    recipient: Option<&str>,
    report: &mut Report,
) -> Result<Delivered> {
    let who = target
        .display_name
        .clone()
        .unwrap_or_else(|| resolve::upn(target));
    match (delivery, recipient) {
        (Delivery::Reveal, _) => {
            report.reveal = Some(secret.clone());
            report.step(
                "deliver",
                format!("{} shown once to the operator", kind.noun()),
                StepStatus::Done,
            );
            Ok(Delivered {
                channel: "reveal",
                recipient: None,
            })
        }
        (Delivery::Sms(_), Some(phone)) => {
            let Some(gateway) = &ops.settings.sms_gateway else {
                return Err(Error::Delivery("no SMS gateway is configured".into()));
            };
            let text = format!(
                "keydesk: {}'s {} is {} . It works once; they must choose a new password.",
                who,
                kind.noun(),
                secret.expose()
            );
            let response = reqwest::Client::new()
                .post(gateway.clone())
                .json(&serde_json::json!({"to": phone, "body": text}))
                .send()
                .await
                .map_err(|e| {
                    Error::Delivery(format!("SMS gateway unreachable: {}", e.without_url()))
                })?;
            if !response.status().is_success() {
                return Err(Error::Delivery(format!(
                    "SMS gateway answered {}",
                    response.status()
                )));
            }
            report.step(
                "deliver",
                format!("{} texted to {phone}", kind.noun()),
                StepStatus::Done,
            );
            Ok(Delivered {
                channel: "sms",
                recipient: Some(phone.to_string()),
            })
        }
        (Delivery::Manager | Delivery::MailTo(_), Some(address)) => {
            let sender = ops
                .settings
                .sender_mailbox
                .clone()
                .unwrap_or_else(|| ops.actor.clone());
            let subject = format!("{} for {}", capitalise(kind.noun()), who);
            let body = format!(
                "Hello,\n\nA helpdesk operator ({actor}) issued a {noun} for {who} ({upn}).\n\n    {secret}\n\nPlease hand it to {who} in person or by phone, never by e-mail forwarding. {advice}\n\nIf you did not expect this message, contact the helpdesk.\n\n-- keydesk",
                actor = ops.actor,
                noun = kind.noun(),
                upn = resolve::upn(target),
                secret = secret.expose(),
                advice = match kind {
                    SecretKind::TemporaryPassword =>
                        "They must choose a new password at the next sign-in.",
                    SecretKind::TemporaryAccessPass =>
                        "It is valid for a limited time and lets them register a new sign-in method.",
                },
            );
            ops.graph
                .send_mail(&sender, &Message::text(subject, body, address), false)
                .await?;
            report.step(
                "deliver",
                format!("{} mailed to {address}", kind.noun()),
                StepStatus::Done,
            );
            Ok(Delivered {
                channel: "mail",
                recipient: Some(address.to_string()),
            })
        }
        (_, None) => Err(Error::Delivery("the delivery was not prepared".into())),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
