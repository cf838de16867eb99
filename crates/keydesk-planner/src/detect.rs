//! Which actions a segment asks for: the rules from concepts (`lexicon`) to [`Action`]s, in
//! the order the text asks for them. Marks the trigger words as spoken for, so that they are
//! never read as names. Pure; knows nothing about people or the directory.

use crate::params;
use crate::plan::Action;
use crate::text::TokenKind;
use crate::understand::Segment;

/// The actions a segment asks for; marks the words that triggered them.
pub(crate) fn detect(segment: &mut Segment<'_>) -> Vec<(Action, bool)> {
    let mut actions: Vec<(Action, bool)> = Vec::new();
    let s = &*segment;
    let first = s.word(0);
    let question_word = matches!(first, "who" | "which" | "what" | "whom");
    let group_words = s.has("group") || s.quoted();
    let is_question = matches!(first, "is" | "does" | "do" | "are")
        || s.has_word("whether")
        || (s.has("check") && s.has_word("if"));
    let works_in = s.tokens.iter().enumerate().any(|(at, t)| {
        matches!(t.lower.as_str(), "works" | "work" | "working")
            && matches!(s.word(at + 1), "in" | "for" | "at")
    });
    let who = s.has_word("who") || s.has_word("whom");
    let membership_words = group_words
        || (s.has("member") && !s.has("locked"))
        || (!works_in
            && !s.has("locked")
            && (is_question || who)
            && s.has_word("in")
            && !s.has("compromised"));

    // Roles and approvers.
    let role_words = s.has("role")
        && (question_word
            || s.has("show")
            || s.has("list")
            || s.has_word("my")
            || s.has_word("exist")
            || s.has("directory")
            || s.has("privileged")
            || s.has_word("which"));
    if s.has("approve") || (role_words && !s.has("add") && !s.has("remove")) {
        actions.push((Action::DiscoverRoles, false));
    }

    // Creating a user comes before group access ("add a new user").
    let creates_user = (s.has("create") && (s.has("user") || s.has("new")))
        || (s.has("new") && s.has("user") && !s.has("password") && !s.has("mfa"))
        || s.has_word("onboard")
        || (s.has("add") && s.has("new") && s.has("user"))
        || (s.has_word("set") && s.has_word("up") && s.has("user") && s.has("new"));

    // Groups.
    let to_or_into = s.has_word("to") || s.has_word("into");
    let tap = s.has("tap") || (s.has("temporary") && (s.has("access") || s.has("pass")));
    if !creates_user && !tap && s.has("add") && to_or_into {
        actions.push((Action::GrantAccess, false));
    } else if (s.has("remove") && (s.has_word("from") || s.has_word("out")))
        || (s.has("revoke") && s.has("access") && (s.has_word("to") || s.has_word("from")))
        || (s.has_word("take") && s.has_word("out") && s.has_word("of"))
    {
        actions.push((Action::RemoveAccess, false));
    } else if (s.has("request") || s.has("need") || s.has("join") || s.has_word("like"))
        && (s.has("access") || s.has("join") || group_words)
        && !tap
        && !s.has("password")
        && !s.has("mfa")
    {
        actions.push((Action::RequestAccess, false));
    } else if membership_words {
        let members_of =
            s.has("member") && (s.has_word("of") || s.has_word("to") || s.has_word("in"));
        if (s.has_word("which") || s.has_word("what")) && s.has("group") {
            actions.push((Action::ListUserGroups, false));
        } else if is_question && !who && (s.has("member") || s.has_word("in") || s.has_word("part"))
        {
            actions.push((Action::CheckMembership, false));
        } else if who
            || (members_of
                && (s.has("show")
                    || s.has("list")
                    || s.has("find")
                    || question_word
                    || first == "members"
                    || s.has_word("get")))
            || (s.has("member") && s.has("list"))
        {
            actions.push((Action::ListGroupMembers, false));
        } else if s.has("group")
            && !s.quoted()
            && (s.has("show")
                || s.has("list")
                || s.has_word("my")
                || s.tokens.iter().any(|t| t.possessive)
                || s.has("member")
                || s.has_word("for")
                || s.has_word("of"))
        {
            actions.push((Action::ListUserGroups, false));
        } else if s.has("member") && s.quoted() {
            actions.push((Action::ListGroupMembers, false));
        }
    }

    if creates_user {
        actions.push((Action::CreateUser, false));
    }

    // Locked accounts.
    if s.has("unlock") {
        actions.push((Action::UnlockAccount, false));
    } else if s.has("locked") {
        let listing = s.has("show")
            || s.has("list")
            || s.has("find")
            || s.has("all")
            || s.has("everyone")
            || question_word
            || s.has_word("who")
            || s.has_word("how")
            || s.has_word("any")
            || s.tokens.iter().any(|t| {
                matches!(
                    t.lower.as_str(),
                    "accounts" | "users" | "people" | "employees"
                )
            });
        if listing {
            actions.push((Action::ListLockedAccounts, false));
        } else {
            actions.push((Action::UnlockAccount, false));
        }
    }

    // Credentials.
    let password_context = s.has("password");
    let asks_roles = actions.contains(&(Action::DiscoverRoles, false));
    if password_context && !creates_user && !asks_roles {
        actions.push((Action::PasswordReset, false));
    }
    let new_phone = s.has("phone")
        && (s.has("new")
            || s.has("forgot")
            || s.has_word("replaced")
            || s.has_word("broke")
            || s.has_word("broken")
            || s.has_word("stolen")
            || s.has("change")
            || s.has_word("upgraded"))
        && !s.has("number");
    let mfa_is_purpose = tap && !s.has("reset") && !s.has("reregister");
    if (s.has("mfa") || s.has("reregister") || new_phone) && !asks_roles && !mfa_is_purpose {
        actions.push((Action::MfaReset, false));
    }
    if tap {
        actions.push((Action::IssueTap, false));
    }
    if s.has("unblock") || (s.has("dismiss") && s.has("risk")) {
        actions.push((Action::UnblockSignin, false));
    }
    let signs_out = s.lemmas.iter().enumerate().any(|(at, l)| {
        *l == Some("sign") && (at + 1..(at + 4).min(s.tokens.len())).any(|n| s.word(n) == "out")
    });
    let revokes = s.has("revoke")
        && (s.has("session")
            || s.has("everywhere")
            || s.has("signin")
            || s.has("all")
            || !s.has("consent"))
        && !actions.contains(&(Action::RemoveAccess, false));
    if (revokes && !s.has("consent"))
        || signs_out
        || (s.has("session")
            && (s.has("remove") || s.has("delete") || s.has_word("end") || s.has_word("clear")))
    {
        actions.push((Action::RevokeSessions, false));
    }
    let blocks_account = s.lemmas.iter().enumerate().any(|(at, l)| {
        *l == Some("block")
            && (at + 1..(at + 4).min(s.tokens.len())).any(|n| {
                matches!(s.lemma(n), Some("signin" | "user" | "sign"))
                    || matches!(s.word(n), "him" | "her" | "them")
            })
    });
    if (s.has("disable") && !s.has("mfa")) || blocks_account {
        actions.push((Action::DisableAccount, false));
    }

    // Profile.
    if s.has("photo") {
        actions.push((Action::UpdatePhoto, false));
    } else if !creates_user
        && (params::has_profile_field(s)
            || ((s.has_word("move") || s.has_word("transfer")) && s.has_word("to") && !group_words))
    {
        let verb = s.has("update")
            || s.has("change")
            || s.has("set")
            || s.has_word("move")
            || s.has_word("transfer")
            || s.has("new")
            || s.has_word("is")
            || s.has_word("should")
            || s.has_word("now");
        if verb && !question_word {
            actions.push((Action::UpdateUserProfile, false));
        }
    }

    // Investigation.
    if s.has("investigate")
        || s.has("compromised")
        || s.has("contain")
        || (s.has("suspicious") && (s.has("signin") || s.has_word("activity")))
    {
        actions.push((Action::InvestigateCompromise, false));
    }

    // Diagnosis: explicit, or the symptom.
    let investigating = actions.contains(&(Action::InvestigateCompromise, false));
    if s.has("diagnose") || (s.has("check") && s.has("signin") && !investigating) {
        actions.push((Action::DiagnoseSignin, false));
    } else if actions.is_empty() {
        let symptom = (s.has("cannot")
            || s.has("trouble")
            || s.has_word("why")
            || s.has_word("wrong")
            || s.has_word("stuck"))
            && (s.has("signin")
                || s.has("sign")
                || s.has_word("in")
                || s.has_word("into")
                || s.has("access")
                || s.has_word("work")
                || s.has_word("working")
                || s.has("trouble"));
        if symptom {
            actions.push((Action::DiagnoseSignin, true));
        }
    }

    // Searching and showing.
    if actions.is_empty()
        || (s.has("profile")
            && !actions.contains(&(Action::UpdatePhoto, false))
            && !actions.contains(&(Action::UpdateUserProfile, false)))
    {
        let looks_for = s
            .tokens
            .iter()
            .enumerate()
            .any(|(at, t)| t.lower == "look" && s.word(at + 1) == "for");
        let searches = s.has("find")
            || looks_for
            || works_in
            || (s.has("list") && s.has("user"))
            || (s.has("named")
                && (s.has("user") || s.has_word("everyone") || s.has_word("anyone")))
            || ((s.has("all") || s.has("everyone")) && s.has("user") && s.has("show"));
        if searches {
            actions.push((Action::SearchUsers, false));
        } else if s.has("show")
            || s.has("profile")
            || (s.has_word("look") && s.has_word("up"))
            || (first == "who" && matches!(s.word(1), "is" | "'s"))
            || (s.has_word("tell") && s.has_word("about"))
        {
            actions.push((Action::ShowUser, false));
        }
    }

    // A bare "reset" means the password.
    if actions.is_empty() && s.has("reset") {
        actions.push((Action::PasswordReset, false));
    }

    // The concept words are spoken for; names and fillers stay for the subject.
    for at in 0..segment.tokens.len() {
        if segment.lemmas[at].is_some() && segment.tokens[at].kind == TokenKind::Word {
            segment.used[at] = true;
        }
    }
    let position = |action: Action| anchor_position(segment, action);
    actions.sort_by_key(|(action, _)| position(*action));
    let mut seen = Vec::new();
    actions.retain(|entry| {
        if seen.contains(&entry.0) {
            false
        } else {
            seen.push(entry.0);
            true
        }
    });
    actions
}

/// Where in the segment an action is asked for, so that steps keep the order of the text.
fn anchor_position(segment: &Segment<'_>, action: Action) -> usize {
    let lemmas: &[&str] = match action {
        Action::DiagnoseSignin => &["diagnose", "cannot", "trouble", "check", "signin"],
        Action::UnlockAccount => &["unlock", "locked"],
        Action::PasswordReset => &["password", "reset"],
        Action::MfaReset => &["mfa", "reregister", "phone"],
        Action::IssueTap => &["tap", "temporary"],
        Action::UnblockSignin => &["unblock", "dismiss"],
        Action::RevokeSessions => &["revoke", "sign", "session"],
        Action::DisableAccount => &["disable", "block"],
        Action::CreateUser => &["create", "new", "user"],
        Action::ShowUser => &["show", "profile"],
        Action::SearchUsers => &["find", "list", "named"],
        Action::UpdateUserProfile => &["update", "change", "set", "mobile", "office", "title"],
        Action::UpdatePhoto => &["photo"],
        Action::ListLockedAccounts => &["locked"],
        Action::GrantAccess => &["add"],
        Action::RemoveAccess => &["remove", "revoke"],
        Action::RequestAccess => &["request", "need", "join", "access"],
        Action::CheckMembership | Action::ListGroupMembers => &["member", "group"],
        Action::ListUserGroups => &["group", "member"],
        Action::DiscoverRoles => &["role", "approve"],
        Action::InvestigateCompromise => &["investigate", "compromised", "suspicious", "contain"],
    };
    segment
        .lemmas
        .iter()
        .position(|l| l.is_some_and(|l| lemmas.contains(&l)))
        .unwrap_or(usize::MAX)
}
