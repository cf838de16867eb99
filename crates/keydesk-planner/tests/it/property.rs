//! Property tests: arbitrary UTF-8 up to 10 KB never panics, and no step ever targets someone
//! the text did not name or imply. The "named" check here is written independently of the
//! planner's resolver (plain Levenshtein over folded word windows, more generous than the
//! planner's typo budget), so a resolver bug cannot hide behind its own definition.

use proptest::prelude::*;

use keydesk_planner::{Action, Directory, Plan, Request};

use crate::fixture;

const REQUESTER: &str = "lidiah@contoso.onmicrosoft.com";

fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || *c == '@' || *c == '.')
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(ca != *cb));
            previous = here;
        }
    }
    row[b.len()]
}

/// Whether `text` names the person with this UPN, by any of their identifiers.
fn named(text: &str, upn: &str) -> bool {
    let Some(person) = fixture::directory().person(upn) else {
        return false;
    };
    let mut keys = vec![fold(upn), fold(upn.split('@').next().unwrap_or_default())];
    for name in [
        Some(&person.display_name),
        person.mail.as_ref(),
        person.mail_nickname.as_ref(),
        person.given_name.as_ref(),
        person.surname.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        keys.push(fold(name));
    }
    let words: Vec<&str> = text
        .split(|c: char| {
            !(c.is_alphanumeric() || matches!(c, '@' | '.' | '\'' | '\u{2019}' | '-' | '_'))
        })
        .filter(|w| !w.is_empty())
        .collect();
    (0..words.len()).any(|start| {
        (1..=3).any(|width| {
            words.get(start..start + width).is_some_and(|window| {
                let candidate = fold(&window.join(" "));
                !candidate.is_empty()
                    && keys.iter().any(|key| {
                        *key == candidate
                            || (candidate.chars().count() >= 4 && levenshtein(key, &candidate) <= 2)
                    })
            })
        })
    })
}

fn speaks_of_self(text: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .any(|w| {
            matches!(
                w.to_lowercase().replace('\u{2019}', "'").as_str(),
                "i" | "me" | "my" | "myself" | "mine" | "i'm" | "i've" | "i'd" | "im"
            )
        })
}

fn check(text: &str) -> Result<Plan, TestCaseError> {
    let plan = keydesk_planner::plan(&Request::new(REQUESTER, text), fixture::directory());
    if plan.clarification.is_some() {
        prop_assert!(
            plan.steps.is_empty(),
            "a clarification with steps: {plan:?}"
        );
    }
    for step in &plan.steps {
        let Some(target) = &step.target else { continue };
        if step.action == Action::CreateUser {
            prop_assert!(
                text.to_lowercase().contains(target.as_str()),
                "create_user for an unnamed UPN {target}"
            );
            continue;
        }
        let implied_self =
            target == REQUESTER && (speaks_of_self(text) || step.action == Action::RequestAccess);
        prop_assert!(
            implied_self || named(text, target),
            "{} targets {target}, whom {text:?} does not name",
            step.action
        );
    }
    Ok(plan)
}

/// Words that make plausible requests, names of real and unreal people, and junk.
const VOCABULARY: &[&str] = &[
    "unlock",
    "reset",
    "password",
    "MFA",
    "for",
    "and",
    "the",
    "his",
    "her",
    "him",
    "me",
    "my",
    "I",
    "disable",
    "revoke",
    "sessions",
    "TAP",
    "issue",
    "unblock",
    "show",
    "profile",
    "add",
    "to",
    "remove",
    "from",
    "group",
    "\"IT Support\"",
    "Finance-Admins",
    "Sales Team",
    "who",
    "is",
    "in",
    "locked",
    "out",
    "investigate",
    "compromised",
    "Alex",
    "Wilber",
    "AlexW",
    "John",
    "Smith",
    "Lee",
    "Chen",
    "Diego",
    "Tom",
    "Baker",
    "Johanna",
    "Bob",
    "Zed",
    "it",
    "they",
    "list",
    "attached",
    "please",
    ",",
    ".",
    "?",
    "—",
    "'",
    "\"",
    "eq",
    "or",
    "1",
    "john.smith@contoso.onmicrosoft.com",
    "zorro@contoso.onmicrosoft.com",
    "manager",
    "send",
    "deliver",
    "David",
    "new",
    "phone",
    "mobile",
    "office",
    "Sarah",
    "Megan",
    "everyone",
    "delete",
    "Finance",
    "Marketing",
    "named",
    "called",
    "these",
    "users",
];

fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..40).prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_or_targets_the_unnamed(chars in prop::collection::vec(any::<char>(), 0..2600)) {
        let text: String = chars.into_iter().collect();
        prop_assume!(text.len() <= 10 * 1024);
        check(&text)?;
    }

    #[test]
    fn request_like_text_never_targets_the_unnamed(text in sentence()) {
        check(&text)?;
    }

    #[test]
    fn long_request_like_text_never_panics(text in sentence(), times in 1usize..60) {
        let long = format!("{} ", text).repeat(times);
        prop_assume!(long.len() <= 10 * 1024);
        check(&long)?;
    }
}

#[test]
fn the_named_check_can_fail() {
    assert!(named("unlock Alex Wilber", "alexw@contoso.onmicrosoft.com"));
    assert!(named("unlock alex", "alexw@contoso.onmicrosoft.com"));
    assert!(!named("unlock Tom", "alexw@contoso.onmicrosoft.com"));
    assert!(!speaks_of_self("unlock Alex"));
    assert!(speaks_of_self("I'm locked out"));
}
