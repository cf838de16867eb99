//! Requests the planner refuses before planning anything: empty or overlong text, query and
//! prompt injection, destructive or bulk changes, revealing secrets, weakening MFA, role
//! assignment, and the helpdesk tasks keydesk does not do. Each refusal is one plain sentence.
//!
//! Refusals look at the whole message: one dangerous sentence stops the whole request, so a
//! harmless-looking first step never runs ahead of a refused one.

use crate::text::{MAX_REQUEST_CHARS, Token, TokenKind};

/// Why nothing will be planned, checked on the raw text (before tokenizing).
pub(crate) fn refuse_raw(text: &str) -> Option<String> {
    if text.chars().count() > MAX_REQUEST_CHARS {
        return Some(format!(
            "That request is too long to act on safely (more than {MAX_REQUEST_CHARS} characters); \
             please send one short request at a time."
        ));
    }
    if !text.chars().any(char::is_alphanumeric) {
        return Some("There is no request to plan; tell me what you need in a sentence.".into());
    }
    let lower = text.to_lowercase();
    let squeezed: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    const QUERY_FRAGMENTS: &[&str] = &[
        "' or ",
        "'or ",
        "\" or ",
        " or 1 eq 1",
        " or 1=1",
        "1 eq 1",
        " eq '",
        " ne '",
        "$filter",
        "$select",
        "$search",
        "$expand",
        "startswith(",
        "endswith(",
        "contains(",
        "any(",
        "';",
        "\";",
        "--",
        "/*",
        "drop table",
        "union select",
        "<script",
    ];
    if QUERY_FRAGMENTS.iter().any(|f| squeezed.contains(f)) {
        return Some(
            "That looks like a query or code fragment rather than a request; \
             I only act on people and groups named in plain words."
                .into(),
        );
    }
    const INJECTION: &[&str] = &[
        "ignore previous instructions",
        "ignore all previous",
        "ignore the previous",
        "ignore your instructions",
        "ignore all instructions",
        "disregard previous",
        "disregard all",
        "system prompt",
        "you are now",
        "developer mode",
        "jailbreak",
    ];
    if INJECTION.iter().any(|f| squeezed.contains(f)) {
        return Some(
            "That reads like an attempt to change how I work, not a helpdesk request; nothing \
             was planned."
                .into(),
        );
    }
    None
}

/// Why nothing will be planned, checked on the words.
pub(crate) fn refuse_words(tokens: &[Token], lemmas: &[Option<&'static str>]) -> Option<String> {
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Quoted)
        .map(|t| t.lower.as_str())
        .collect();
    let has_word = |w: &str| words.contains(&w);
    let has = |l: &str| lemmas.contains(&Some(l));
    let follows = |first: &str, second: &str| {
        words
            .windows(2)
            .any(|pair| pair[0] == first && pair[1] == second)
    };

    const OFF_TOPIC: &[&str] = &[
        "joke",
        "jokes",
        "weather",
        "poem",
        "recipe",
        "song",
        "lyrics",
        "football",
        "soccer",
        "movie",
        "stock",
        "stocks",
        "bitcoin",
        "horoscope",
        "translate",
        "essay",
        "pizza",
    ];
    if words.iter().any(|w| OFF_TOPIC.contains(w)) {
        return Some(off_topic());
    }

    let bulk_scope = has("everyone")
        || ((has("all") || has_word("entire") || has_word("company"))
            && (has("user") || has_word("people") || has_word("staff") || has("directory")))
        || has("directory") && (has("delete") || has("disable") || has("reset"));
    if has("delete") {
        if bulk_scope || has("directory") || has_word("everything") {
            return Some(
                "I won't do that: deleting the directory or everyone's accounts is destructive \
                 and not something keydesk does."
                    .into(),
            );
        }
        if !(has("session") || has("consent")) {
            return Some(
                "keydesk doesn't delete users or groups; it can disable an account \
                 (disable_account) or remove someone from a group (remove_access)."
                    .into(),
            );
        }
    }
    let reveal = (has_word("what") && (has_word("is") || has_word("'s")))
        || follows("tell", "me")
        || follows("give", "me")
        || follows("send", "me")
        || has_word("reveal")
        || has_word("read")
        || has("show")
        || has_word("see")
        || has_word("current")
        || has_word("old");
    let changes_password = has("reset")
        || has("change")
        || has("new")
        || has("forgot")
        || has("expired")
        || has("set")
        || has("update")
        || has("generate")
        || has("temporary");
    if has("password") && reveal && !changes_password {
        return Some(
            "keydesk never reveals passwords; it can reset one and deliver the new password out \
             of band."
                .into(),
        );
    }
    let turns_off_mfa = lemmas.iter().enumerate().any(|(at, lemma)| {
        *lemma == Some("mfa")
            && (at.saturating_sub(4)..at).any(|before| {
                lemmas[before] == Some("disable")
                    || matches!(
                        tokens[before].lower.as_str(),
                        "off" | "bypass" | "skip" | "exempt" | "without"
                    )
            })
    });
    if turns_off_mfa {
        return Some(
            "keydesk can't turn off or bypass MFA; it can reset someone's MFA so they \
             register their methods again (mfa_reset)."
                .into(),
        );
    }
    let assigns = has_word("make")
        || has_word("promote")
        || has_word("assign")
        || has_word("elevate")
        || has_word("grant")
        || has_word("give")
        || has("add");
    let names_role = has_word("role")
        || has_word("global")
        || follows("domain", "admin")
        || follows("super", "admin")
        || has_word("rights");
    if assigns && names_role && !has("approve") {
        return Some(
            "keydesk doesn't assign directory roles; a Privileged Role Administrator does that \
             in Entra ID."
                .into(),
        );
    }
    if has("enable") {
        return Some(
            "keydesk doesn't re-enable accounts; an administrator does that in Entra ID after \
             checking why the account was disabled."
                .into(),
        );
    }
    const UNSUPPORTED: &[(&str, &str)] = &[
        ("license", "assign licences"),
        ("licence", "assign licences"),
        ("licenses", "assign licences"),
        ("licences", "assign licences"),
        ("restore", "restore deleted objects"),
        ("undelete", "restore deleted objects"),
        ("rename", "rename accounts"),
        ("mailbox", "manage mailboxes"),
        ("vpn", "manage VPN access outside Entra groups"),
        ("printer", "fix printers"),
        ("wifi", "fix Wi-Fi"),
    ];
    if let Some((_, what)) = UNSUPPORTED.iter().find(|(w, _)| has_word(w)) {
        return Some(format!(
            "keydesk can't {what}; it handles sign-in problems, credentials, profiles and group \
             access in Entra ID."
        ));
    }
    if has("create") && has("group") && !has("user") {
        return Some(
            "keydesk doesn't create groups; it can add people to existing ones (grant_access)."
                .into(),
        );
    }
    None
}

/// Whether a write action in this segment is aimed at everyone rather than named people.
pub(crate) fn bulk_write(tokens: &[Token], lemmas: &[Option<&'static str>]) -> bool {
    let has = |l: &str| lemmas.contains(&Some(l));
    let has_word = |w: &str| {
        tokens
            .iter()
            .any(|t| t.kind != TokenKind::Quoted && t.lower == w)
    };
    has("everyone")
        || ((has("all") || has_word("entire") || has_word("company"))
            && (has("user") || has_word("people") || has_word("staff") || has_word("department")))
}

/// The explanation for text that is not a helpdesk request.
pub(crate) fn off_topic() -> String {
    "I couldn't find a helpdesk request in that. I can diagnose sign-in problems, unlock \
     accounts, reset passwords and MFA, issue Temporary Access Passes, unblock risky sign-ins, \
     revoke sessions, disable accounts, create users, show, search and update profiles, manage \
     group access, list locked accounts and roles, and investigate compromised accounts."
        .into()
}
