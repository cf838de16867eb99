//! Helpdesk verification of the end user before an unlock or a credential change: a one-time
//! code sent through one of the user's registered methods (a text to the registered phone, a
//! mail to the registered alternate address) or to their manager, which the user (or manager)
//! reads back to the operator. The guard keeps only a salted hash of the code; the code itself
//! leaves this process once, through the channel, and is dropped.
//!
//! Sending the code changes nothing in the tenant (a text, or a mail through `sendMail`), so it
//! needs no [`keydesk_guard::Approved`]; it is still recorded in the audit log, and only an
//! operator may start one.

use keydesk_core::Secret;
use keydesk_graph::model::{AuthMethod, Message, User};
use keydesk_guard::Guard;
use keydesk_policy::{PrincipalKind, VerificationMethod};
use serde_json::json;

use crate::guarded::{Actor, guard_error};
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Ops, Result, resolve};

/// Where the code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The registered phone if there is one, else the registered e-mail, else the manager.
    Auto,
    /// A text to the user's registered phone.
    Sms,
    /// A mail to the user's registered (alternate) e-mail method.
    Email,
    /// A mail to the user's manager, who confirms the request.
    Manager,
}

/// Sends a verification code for `query` to the chosen channel.
pub async fn start(
    ops: &Ops,
    guard: &Guard,
    actor: &Actor,
    query: &str,
    channel: Channel,
) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    // An employee verifies only themselves, and only through their manager: a stolen session
    // must not be able to confirm itself through a method it may have registered.
    let self_service = actor.principal.kind != PrincipalKind::Operator;
    if self_service && !upn.eq_ignore_ascii_case(&actor.principal.upn) {
        return Err(Error::refused(
            format!("{} is not a helpdesk operator", actor.principal.upn),
            "only operators verify other people",
        ));
    }
    if self_service && !matches!(channel, Channel::Auto | Channel::Manager) {
        return Err(Error::refused(
            "an employee's own request is confirmed by their manager",
            "run `keydesk verify` for yourself without --method (or with --method manager)",
        ));
    }
    let channel = if self_service {
        Channel::Manager
    } else {
        channel
    };
    let methods = ops.graph.list_methods(&user.id).await?;
    let phone = methods.iter().find_map(|m| match m {
        AuthMethod::Phone(p) => p.phone_number.clone(),
        _ => None,
    });
    let email = methods.iter().find_map(|m| match m {
        AuthMethod::Email(e) => e.email_address.clone(),
        _ => None,
    });
    let chosen = match (channel, &phone, &email) {
        (Channel::Auto, Some(_), _) | (Channel::Sms, Some(_), _) => Channel::Sms,
        (Channel::Auto, None, Some(_)) | (Channel::Email, _, Some(_)) => Channel::Email,
        (Channel::Auto, None, None) | (Channel::Manager, _, _) => Channel::Manager,
        (Channel::Sms, None, _) => {
            return Err(Error::refused(
                format!("{upn} has no phone method registered"),
                "verify through --method email or --method manager",
            ));
        }
        (Channel::Email, _, None) => {
            return Err(Error::refused(
                format!("{upn} has no e-mail method registered"),
                "verify through --method sms or --method manager",
            ));
        }
    };
    let (method, sent_to, shown) = match chosen {
        Channel::Sms => {
            let phone = phone.unwrap_or_default();
            let masked = mask_phone(&phone);
            (VerificationMethod::RegisteredMethod, phone, masked)
        }
        Channel::Email => {
            let address = email.unwrap_or_default();
            let masked = mask_address(&address);
            (VerificationMethod::RegisteredMethod, address, masked)
        }
        _ => {
            let manager = ops.graph.get_manager(&user.id).await?.ok_or_else(|| {
                Error::refused(
                    format!("{upn} has no manager and no registered phone or e-mail"),
                    "verify the user in person (unrestricted mode records the skip), or register a method first",
                )
            })?;
            let address = manager
                .mail
                .clone()
                .or(manager.user_principal_name.clone())
                .ok_or_else(|| Error::Delivery("the manager has no mailbox".into()))?;
            (
                VerificationMethod::ManagerConfirmation,
                address.clone(),
                address,
            )
        }
    };
    let (record, code) = guard
        .begin_verification(&actor.principal.upn, &upn, method, &shown)
        .await
        .map_err(guard_error)?;
    send(ops, &user, chosen, &sent_to, &code).await?;
    drop(code);
    let mut report = Report::new("verify_user", Some(&upn));
    report.outcome = Outcome::Done;
    report.step(
        "send_code",
        format!("a one-time code was sent to {shown}"),
        StepStatus::Done,
    );
    report.summary = format!(
        "Sent a verification code for {upn} to {shown}. Ask {} to read it back to you and enter it to confirm.",
        if chosen == Channel::Manager {
            "the manager"
        } else {
            "the user"
        }
    );
    report.details =
        json!({"verification": record.id, "sentTo": shown, "expiresAt": record.expires_at});
    Ok(report)
}

/// Checks the code read back for `query`.
pub async fn confirm(
    ops: &Ops,
    guard: &Guard,
    actor: &Actor,
    query: &str,
    code: &str,
) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let record = guard
        .confirm_verification(&actor.principal.upn, &upn, code)
        .await
        .map_err(|error| match error {
            keydesk_guard::Error::Verification(why) => Error::refused(
                why,
                format!("start again with `keydesk verify {upn}` if the code expired or was mistyped too often"),
            ),
            other => guard_error(other),
        })?;
    let mut report = Report::new("verify_user", Some(&upn));
    report.outcome = Outcome::Done;
    report.verify(format!(
        "{upn} read back the code sent to {}",
        record.sent_to
    ));
    report.summary = format!(
        "{upn} is verified for your next action on them (valid until {}).",
        time::OffsetDateTime::from_unix_timestamp(record.expires_at)
            .map(keydesk_core::diagnosis::rfc3339)
            .unwrap_or_default()
    );
    Ok(report)
}

async fn send(ops: &Ops, user: &User, channel: Channel, to: &str, code: &Secret) -> Result<()> {
    let who = user
        .display_name
        .clone()
        .unwrap_or_else(|| resolve::upn(user));
    match channel {
        Channel::Sms => {
            let Some(gateway) = &ops.settings.sms_gateway else {
                return Err(Error::refused(
                    "no SMS gateway is configured",
                    "set KEYDESK_SMS_GATEWAY, or verify through --method email or --method manager",
                ));
            };
            let body = format!(
                "keydesk: your helpdesk verification code is {} . Read it to the helpdesk operator only if you asked for help.",
                code.expose()
            );
            let response = reqwest::Client::new()
                .post(gateway.clone())
                .json(&json!({"to": to, "body": body}))
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
        }
        _ => {
            let sender = ops
                .settings
                .sender_mailbox
                .clone()
                .unwrap_or_else(|| ops.actor.clone());
            let body = match channel {
                Channel::Manager if ops.actor.eq_ignore_ascii_case(&resolve::upn(user)) => format!(
                    "Hello,\n\n{who} asked keydesk to change their own sign-in methods or credentials. If that is genuine, give them this code in person or by phone:\n\n    {code}\n\nIf {who} did not ask, do not share it and tell the helpdesk: someone may be using their account.\n\n-- keydesk",
                    code = code.expose()
                ),
                Channel::Manager => format!(
                    "Hello,\n\nThe helpdesk ({actor}) was asked to help {who}. To confirm the request is genuine, read this code to the helpdesk operator:\n\n    {code}\n\nIf {who} did not ask for help, do not share it and tell the helpdesk.\n\n-- keydesk",
                    actor = ops.actor,
                    code = code.expose()
                ),
                _ => format!(
                    "Hello {who},\n\nYour helpdesk verification code is:\n\n    {code}\n\nRead it to the helpdesk operator only if you asked for help.\n\n-- keydesk",
                    code = code.expose()
                ),
            };
            ops.graph
                .send_mail(
                    &sender,
                    &Message::text(format!("Helpdesk verification for {who}"), body, to),
                    false,
                )
                .await?;
        }
    }
    Ok(())
}

/// `+1 425 555 0101` → `+1 ••• ••• ••01`.
fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen <= 1 || seen > digits.saturating_sub(2) {
                    c
                } else {
                    '•'
                }
            } else {
                c
            }
        })
        .collect()
}

/// `adele.v@outlook.com` → `a•••@outlook.com`.
fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            format!("{}•••@{domain}", local.chars().next().unwrap_or('•'))
        }
        None => "•••".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_enough_to_recognise() {
        assert_eq!(mask_phone("+1 425 555 0101"), "+1 ••• ••• ••01");
        assert_eq!(mask_address("adele.v@outlook.com"), "a•••@outlook.com");
        assert_eq!(mask_address("nonsense"), "•••");
    }
}
