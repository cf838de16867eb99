//! Linked accounts: a person's Entra user and their on-premises Active Directory account, joined
//! by the sync anchor Entra Connect keeps (`onPremisesImmutableId` ↔ `objectGUID`, then
//! `onPremisesSamAccountName`, then `onPremisesDistinguishedName`).
//!
//! For a synced user, password and enable changes (and AD's own lockout) live in AD: with
//! [`crate::Ops::ad`] configured, diagnose, unlock and password reset act there, through the same
//! guard, and explain that the change reaches Entra with the next sync. Without it, they say AD is
//! not configured. This module reads AD; the writes are in the operations, behind `Approved`.

use keydesk_ad::{AdAccount, Anchor, Found};
use keydesk_graph::model::User;
use serde_json::{Value, json};

use crate::{Error, Ops, Result, resolve};

/// How the sync delivers an AD change to Entra, for people.
pub const SYNC_NOTE: &str = "The change was made in on-premises Active Directory; it reaches Entra ID with the next Entra Connect sync (every 30 minutes by default; to sync now, run Start-ADSyncSyncCycle -PolicyType Delta on the Entra Connect server).";

/// What AD not being configured means, for people.
pub const NOT_CONFIGURED: &str = "Active Directory is not configured in keydesk (KEYDESK_AD_URL, KEYDESK_AD_BIND_DN, KEYDESK_AD_BIND_PASSWORD, KEYDESK_AD_BASE_DN): keydesk cannot read or change the on-premises account.";

/// The identity store a change acts in, as recorded in audit records (`store`).
pub const STORE_AD: &str = "ad";

pub use keydesk_guard::AD_STEP_PREFIX;

/// The user's AD account, looked up by the sync anchors.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per lookup; boxing buys nothing
pub enum AdLink {
    /// The user is a cloud account: nothing to link.
    CloudOnly,
    /// The user is synced but keydesk has no AD connection.
    NotConfigured,
    /// No AD account matches the anchors.
    NotFound {
        /// The anchors tried.
        anchors: Vec<String>,
    },
    /// Found.
    Found(Found),
    /// AD could not be read (unreachable, bind refused...).
    Unavailable(String),
}

/// The Graph properties the anchors come from.
pub const ANCHOR_PROPERTIES: &[&str] = &[
    "id",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "onPremisesSamAccountName",
    "onPremisesDistinguishedName",
];

/// The anchors of a synced Entra user (read with [`ANCHOR_PROPERTIES`]), strongest first.
pub fn anchors(user: &User) -> Vec<Anchor> {
    let mut anchors = Vec::new();
    if let Some(anchor) = user
        .on_premises_immutable_id
        .as_deref()
        .and_then(Anchor::from_immutable_id)
    {
        anchors.push(anchor);
    }
    if let Some(sam) = user
        .on_premises_sam_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        anchors.push(Anchor::SamAccountName(sam.to_string()));
    }
    if let Some(dn) = user
        .on_premises_distinguished_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        anchors.push(Anchor::DistinguishedName(dn.to_string()));
    }
    anchors
}

/// Whether Entra says the user is synced from on-premises.
pub fn is_synced(user: &User) -> bool {
    user.on_premises_sync_enabled == Some(true)
}

/// Looks up the user's AD account. Never fails: an AD problem is an [`AdLink::Unavailable`].
pub async fn lookup(ops: &Ops, user: &User) -> AdLink {
    if !is_synced(user) {
        return AdLink::CloudOnly;
    }
    let Some(ad) = &ops.ad else {
        return AdLink::NotConfigured;
    };
    // The anchors are not among the properties a resolved user carries: read them.
    let anchors = match ops.graph.get_user(&user.id, ANCHOR_PROPERTIES).await {
        Ok(read) => anchors(&read),
        Err(error) => return AdLink::Unavailable(format!("Graph: {}", error.explain())),
    };
    match ad.find(&anchors).await {
        Ok(Some(found)) => AdLink::Found(found),
        Ok(None) => AdLink::NotFound {
            anchors: anchors.iter().map(Anchor::describe).collect(),
        },
        Err(error) => AdLink::Unavailable(error.to_string()),
    }
}

/// The user's AD account for a change: any other link is a refusal with guidance.
pub async fn require(ops: &Ops, user: &User) -> Result<Found> {
    let upn = resolve::upn(user);
    match lookup(ops, user).await {
        AdLink::Found(found) => Ok(found),
        AdLink::CloudOnly => Err(Error::refused(
            format!("{upn} is a cloud account, not synced from Active Directory"),
            "make the change in Entra ID",
        )),
        AdLink::NotConfigured => Err(Error::refused(
            format!("{upn} is synced from on-premises Active Directory"),
            NOT_CONFIGURED,
        )),
        AdLink::NotFound { anchors } => Err(Error::refused(
            format!(
                "{upn} is synced from Active Directory, but no AD account matches its sync anchors ({})",
                anchors.join("; ")
            ),
            "check the user's onPremises* attributes and the AD base DN keydesk searches",
        )),
        AdLink::Unavailable(why) => Err(Error::refused(
            format!("{upn} is synced from Active Directory, which keydesk cannot read: {why}"),
            "nothing was changed; check the AD connection settings and try again",
        )),
    }
}

/// The linked accounts as JSON: the Entra account and, for a synced user, the AD account with
/// its lock state (or why it is missing).
pub fn accounts_json(user: &User, link: &AdLink, entra_locked: Option<bool>) -> Value {
    let entra = json!({
        "store": "entra",
        "userPrincipalName": resolve::upn(user),
        "accountEnabled": user.account_enabled,
        "locked": entra_locked,
        "onPremisesSyncEnabled": user.on_premises_sync_enabled,
    });
    let ad = match link {
        AdLink::CloudOnly => return json!([entra]),
        AdLink::NotConfigured => {
            json!({"store": STORE_AD, "status": "not_configured", "detail": NOT_CONFIGURED})
        }
        AdLink::NotFound { anchors } => {
            json!({"store": STORE_AD, "status": "not_found", "anchors": anchors})
        }
        AdLink::Unavailable(why) => {
            json!({"store": STORE_AD, "status": "unavailable", "detail": why})
        }
        AdLink::Found(found) => account_json(&found.account, Some(&found.anchor)),
    };
    json!([entra, ad])
}

/// One AD account as JSON.
pub fn account_json(account: &AdAccount, anchor: Option<&Anchor>) -> Value {
    let time = |t: Option<time::OffsetDateTime>| {
        t.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
    };
    json!({
        "store": STORE_AD,
        "status": "found",
        "distinguishedName": account.dn,
        "sAMAccountName": account.sam_account_name,
        "userPrincipalName": account.user_principal_name,
        "objectGUID": account.object_guid.map(|g| g.to_string()),
        "linkedBy": anchor.map(Anchor::describe),
        "locked": account.locked(),
        "lockoutTime": account.lockout_time,
        "lockedAt": time(account.locked_at()),
        "badPwdCount": account.bad_pwd_count,
        "disabled": account.disabled(),
        "passwordExpired": account.password_expired(),
        "mustChangePassword": account.must_change_password(),
        "pwdLastSet": time(account.password_last_set()),
        "protected": account.protected(),
        "protectedGroups": account.protected_groups,
        "groups": account.group_names(),
        "state": account.state_sentence(),
    })
}

/// One line about a link, for notes.
pub fn sentence(link: &AdLink) -> Option<String> {
    match link {
        AdLink::CloudOnly => None,
        AdLink::NotConfigured => Some(NOT_CONFIGURED.to_string()),
        AdLink::NotFound { anchors } => Some(format!(
            "No Active Directory account matches the sync anchors ({}).",
            anchors.join("; ")
        )),
        AdLink::Unavailable(why) => Some(format!("Active Directory could not be read: {why}.")),
        AdLink::Found(found) => Some(format!(
            "Active Directory account {} ({}): {}.",
            found.account.dn,
            found.account.sam_account_name,
            found.account.state_sentence()
        )),
    }
}

/// The policy's name for a protected AD account, listed among the target's privileged roles.
pub fn protected_role(account: &AdAccount) -> String {
    if account.protected_groups.is_empty() {
        "Protected AD account (adminCount=1)".to_string()
    } else {
        format!(
            "Protected AD account ({})",
            account.protected_groups.join(", ")
        )
    }
}

/// Whether a plan acts in Active Directory (a step named `ad_...`): the guard records its store
/// as `ad`, and the policy sees the AD account as the resource.
pub fn acts_in_ad(plan: &crate::Report) -> bool {
    keydesk_guard::store_of(plan.steps.iter().map(|s| s.action.as_str())) == STORE_AD
}
