//! Resolution: an [`Understanding`] plus a [`Directory`] → a [`Plan`].
//!
//! Phrases become people (UPN, mail, nickname, display name, given name or surname, with typo
//! tolerance and disambiguating hints such as a department or job title), "me" becomes the
//! requester, pronouns the people named just before; groups and departments are checked
//! against the directory. Anything ambiguous or unknown becomes a clarification with the
//! candidates, never a guess: a step's target is always someone the text named or implied.

use serde_json::{Map, Value};

use crate::directory::Directory;
use crate::people::{Found, clip, find_people};
use crate::plan::{Action, Plan, Step};
use crate::text::{TokenKind, fold, typo_budget};
use crate::understand::{Intent, ParamValue, SelfRef, Subject, Understanding};

/// A question that stops planning.
struct Ask {
    question: String,
    candidates: Vec<String>,
}

/// Resolves everything `understanding` mentions and assembles the plan.
pub(crate) fn resolve(
    understanding: &Understanding,
    requester: &str,
    directory: &dyn Directory,
) -> Plan {
    let requester = requester.trim().to_lowercase();
    if let Some(reason) = &understanding.refusal {
        return Plan::refuse(&requester, reason.clone());
    }
    match steps(understanding, &requester, directory) {
        Ok(steps) if steps.is_empty() => Plan::refuse(&requester, crate::refusal::off_topic()),
        Ok(steps) => Plan::with_steps(&requester, steps),
        Err(ask) => Plan::clarify(&requester, ask.question, ask.candidates),
    }
}

fn steps(
    understanding: &Understanding,
    requester: &str,
    directory: &dyn Directory,
) -> Result<Vec<Step>, Ask> {
    let found: Vec<Found> = understanding
        .phrases
        .iter()
        .enumerate()
        .map(|(index, phrase)| {
            let mut found = find_people(phrase, directory);
            if understanding
                .self_named
                .get(index)
                .copied()
                .unwrap_or(false)
                && !found.people.iter().any(|p| p == requester)
            {
                found.people.insert(0, requester.to_owned());
            }
            found
        })
        .collect();
    let any_real = understanding.intents.iter().any(|intent| !intent.symptom);
    let intents: Vec<&Intent> = understanding
        .intents
        .iter()
        .filter(|intent| !intent.symptom || !any_real)
        .collect();

    let mut list_people: Option<Vec<String>> = None;
    let mut steps = Vec::new();
    for intent in &intents {
        let targets = targets(
            intent,
            &found,
            understanding,
            requester,
            directory,
            &mut list_people,
        )?;
        let mut params = Map::new();
        let mut groups = Vec::new();
        for (key, value) in &intent.params {
            if !intent.action.allowed_params().contains(key) {
                continue;
            }
            match value {
                ParamValue::Group(name) => groups.push(group(name, directory)?),
                other => {
                    let value = param_value(other, requester, directory)?;
                    params.entry(key.to_string()).or_insert(value);
                }
            }
        }
        if intent.action == Action::UpdatePhoto {
            match &understanding.photo {
                Some(path) => {
                    params.insert("photo".into(), Value::String(path.clone()));
                }
                None => {
                    return Err(Ask {
                        question: "Please attach the photo to use (an image file).".into(),
                        candidates: Vec::new(),
                    });
                }
            }
        }
        if intent.action.needs_group() && groups.is_empty() {
            return Err(Ask {
                question: "Which group do you mean?".into(),
                candidates: directory
                    .groups()
                    .iter()
                    .map(|g| g.display_name.clone())
                    .collect(),
            });
        }
        if intent.action == Action::UpdateUserProfile && params.is_empty() {
            return Err(Ask {
                question: "What should I change, and to what?".into(),
                candidates: Vec::new(),
            });
        }
        let group_list: Vec<Option<String>> = if groups.is_empty() {
            vec![None]
        } else {
            groups.into_iter().map(Some).collect()
        };
        for target in &targets {
            for group in &group_list {
                let mut params = params.clone();
                if let Some(group) = group {
                    params.insert("group".into(), Value::String(group.clone()));
                }
                steps.push(Step {
                    action: intent.action,
                    target: target.clone(),
                    params,
                });
            }
        }
    }
    Ok(fold_steps(steps))
}

/// Who one intent acts on.
fn targets(
    intent: &Intent,
    found: &[Found],
    understanding: &Understanding,
    requester: &str,
    directory: &dyn Directory,
    list_people: &mut Option<Vec<String>>,
) -> Result<Vec<Option<String>>, Ask> {
    let subject = &intent.subject;
    let here = found.get(intent.segment).cloned().unwrap_or_default();
    match intent.action {
        Action::CreateUser => {
            let upn = subject
                .phrase
                .iter()
                .find(|t| t.kind == TokenKind::Email)
                .map(|t| t.lower.clone());
            return Ok(vec![upn]);
        }
        Action::SearchUsers | Action::ListLockedAccounts | Action::ListGroupMembers => {
            return Ok(vec![None]);
        }
        Action::DiscoverRoles => {
            if !here.people.is_empty() && here.ambiguous.is_empty() {
                return Ok(here.people.into_iter().map(Some).collect());
            }
            if subject.self_ref == SelfRef::Strong {
                return Ok(vec![Some(requester.to_owned())]);
            }
            return Ok(vec![None]);
        }
        _ => {}
    }
    if let Some((name, candidates)) = here.ambiguous.first() {
        return Err(Ask {
            question: format!("More than one person matches \"{name}\". Which one do you mean?"),
            candidates: candidates.clone(),
        });
    }
    let mut people: Vec<String> = Vec::new();
    if subject.self_ref == SelfRef::Strong {
        people.push(requester.to_owned());
    }
    people.extend(here.people.iter().cloned());
    if subject.list {
        people.extend(list(understanding, directory, list_people)?);
    }
    let nothing_else = here.people.is_empty()
        && subject.self_ref == SelfRef::None
        && !subject.pronoun
        && !subject.list;
    let unknown = here
        .unknown
        .iter()
        .zip(&here.unknown_capitalized)
        .find(|(_, capitalized)| **capitalized || nothing_else)
        .map(|(unknown, _)| unknown);
    if let Some((name, candidates)) = unknown {
        let question = if candidates.is_empty() {
            format!("I couldn't find anyone called \"{name}\" in the directory. Who do you mean?")
        } else {
            format!("I couldn't find \"{name}\" in the directory. Did you mean one of these?")
        };
        return Err(Ask {
            question,
            candidates: candidates.clone(),
        });
    }
    let before = found[..intent.segment.min(found.len())]
        .iter()
        .rev()
        .find(|f| !f.people.is_empty());
    if people.is_empty()
        && subject.pronoun
        && let Some(named) = before
    {
        people.extend(named.people.iter().cloned());
    }
    if people.is_empty()
        && (subject.self_ref == SelfRef::Weak || intent.action == Action::RequestAccess)
    {
        people.push(requester.to_owned());
    }
    if people.is_empty() {
        // Someone named just before ("unblock it", "and reset his password"), else just after
        // ("reset the password and revoke the sessions for Tom").
        let after = found
            .get(intent.segment + 1..)
            .and_then(|rest| rest.iter().find(|f| !f.people.is_empty()));
        if let Some(named) = before.filter(|_| subject.pronoun || understanding.list.is_empty()) {
            people.extend(named.people.iter().cloned());
        } else if !understanding.list.is_empty() {
            people.extend(list(understanding, directory, list_people)?);
        } else if let Some(named) = before.or(if subject.pronoun { None } else { after }) {
            people.extend(named.people.iter().cloned());
        }
    }
    if people.is_empty() {
        return Err(Ask {
            question: format!("Who should I {} for?", describe(intent.action)),
            candidates: Vec::new(),
        });
    }
    let mut unique = Vec::new();
    for person in people {
        if !unique.contains(&person) {
            unique.push(person);
        }
    }
    Ok(unique.into_iter().map(Some).collect())
}

/// The people in the attached lists, resolved once.
fn list(
    understanding: &Understanding,
    directory: &dyn Directory,
    cache: &mut Option<Vec<String>>,
) -> Result<Vec<String>, Ask> {
    if let Some(people) = cache {
        return Ok(people.clone());
    }
    let mut people = Vec::new();
    for entry in &understanding.list {
        let tokens = crate::text::tokenize(entry);
        let found = find_people(&tokens, directory);
        if let Some((name, candidates)) = found.ambiguous.first() {
            return Err(Ask {
                question: format!(
                    "The attached list names \"{name}\", which matches more than one person. Which one?"
                ),
                candidates: candidates.clone(),
            });
        }
        if found.people.len() != 1 {
            let candidates = found
                .unknown
                .first()
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            return Err(Ask {
                question: format!(
                    "I couldn't find \"{entry}\" from the attached list in the directory."
                ),
                candidates,
            });
        }
        for person in found.people {
            if !people.contains(&person) {
                people.push(person);
            }
        }
    }
    *cache = Some(people.clone());
    Ok(people)
}

/// A short phrase for an action, for questions.
fn describe(action: Action) -> &'static str {
    match action {
        Action::DiagnoseSignin => "diagnose sign-in",
        Action::UnlockAccount => "unlock the account",
        Action::PasswordReset => "reset the password",
        Action::MfaReset => "reset MFA",
        Action::IssueTap => "issue a Temporary Access Pass",
        Action::UnblockSignin => "unblock sign-in",
        Action::RevokeSessions => "revoke sessions",
        Action::DisableAccount => "disable the account",
        Action::UpdatePhoto => "update the photo",
        Action::UpdateUserProfile => "update the profile",
        Action::InvestigateCompromise => "investigate a compromise",
        Action::ShowUser => "show the profile",
        Action::ListUserGroups => "list groups",
        Action::CheckMembership => "check membership",
        _ => "do this",
    }
}

/// A written parameter as JSON, resolving people and departments.
fn param_value(
    value: &ParamValue,
    requester: &str,
    directory: &dyn Directory,
) -> Result<Value, Ask> {
    Ok(match value {
        ParamValue::Text(text) => Value::String(text.clone()),
        ParamValue::Texts(texts) => {
            Value::Array(texts.iter().cloned().map(Value::String).collect())
        }
        ParamValue::Number(n) => Value::from(*n),
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::TargetsManager => Value::String("manager".into()),
        ParamValue::Group(name) => Value::String(group(name, directory)?),
        ParamValue::Department(name) => Value::String(department(name, directory)?),
        ParamValue::Person(subject) => Value::String(one_person(subject, requester, directory)?),
    })
}

/// Exactly one person for a parameter.
fn one_person(
    subject: &Subject,
    requester: &str,
    directory: &dyn Directory,
) -> Result<String, Ask> {
    let found = find_people(&subject.phrase, directory);
    if let Some((name, candidates)) = found.ambiguous.first() {
        return Err(Ask {
            question: format!("More than one person matches \"{name}\". Which one do you mean?"),
            candidates: candidates.clone(),
        });
    }
    match found.people.as_slice() {
        [one] => Ok(one.clone()),
        [] if subject.self_ref == SelfRef::Strong => Ok(requester.to_owned()),
        [] => {
            let (name, candidates) = found.unknown.first().cloned().unwrap_or_else(|| {
                let text: Vec<&str> = subject.phrase.iter().map(|t| t.text.as_str()).collect();
                (text.join(" "), Vec::new())
            });
            Err(Ask {
                question: format!("I couldn't find \"{name}\" in the directory. Who do you mean?"),
                candidates,
            })
        }
        several => Err(Ask {
            question: "Which one person do you mean?".into(),
            candidates: several.to_vec(),
        }),
    }
}

/// Words after a group's name that are not part of it.
const GROUP_SUFFIXES: &[&str] = &[
    "group",
    "groups",
    "security",
    "m365",
    "365",
    "microsoft",
    "teams",
    "team",
    "distribution",
    "list",
    "dl",
    "unified",
    "o365",
    "office",
    "channel",
];

/// The display name of the group `name` means.
fn group(name: &str, directory: &dyn Directory) -> Result<String, Ask> {
    let mut words: Vec<&str> = name.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| matches!(w.to_lowercase().as_str(), "the" | "a" | "an" | "our"))
    {
        words.remove(0);
    }
    loop {
        let key = fold(&words.join(" "));
        if !key.is_empty()
            && let Some(group) = directory.group_by_key(&key)
        {
            return Ok(group.display_name.clone());
        }
        match words.last() {
            Some(last)
                if words.len() > 1 && GROUP_SUFFIXES.contains(&last.to_lowercase().as_str()) =>
            {
                words.pop();
            }
            _ => break,
        }
    }
    let key = fold(&words.join(" "));
    let mut near: Vec<(usize, &str)> = directory
        .groups()
        .iter()
        .map(|g| {
            (
                crate::text::edit_distance(&key, &fold(&g.display_name)),
                g.display_name.as_str(),
            )
        })
        .filter(|(d, _)| *d <= typo_budget(key.chars().count()))
        .collect();
    near.sort();
    if let [(_, only)] = near.as_slice() {
        return Ok((*only).to_owned());
    }
    let candidates: Vec<String> = if near.is_empty() {
        directory
            .groups()
            .iter()
            .map(|g| g.display_name.clone())
            .collect()
    } else {
        near.into_iter().map(|(_, n)| n.to_owned()).collect()
    };
    Err(Ask {
        question: format!(
            "I couldn't find a group called \"{}\". Which group do you mean?",
            clip(name)
        ),
        candidates,
    })
}

/// The directory's spelling of the department `name` means.
fn department(name: &str, directory: &dyn Directory) -> Result<String, Ask> {
    let mut key = fold(name);
    for suffix in ["department", "dept", "team"] {
        if let Some(stripped) = key.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            key = stripped.to_owned();
        }
    }
    let key = match key.as_str() {
        "randd" | "research" | "researchanddevelopment" | "engineering" => "rd".to_owned(),
        "informationtechnology" => "it".to_owned(),
        "humanresources" => "hr".to_owned(),
        _ => key,
    };
    if let Some(found) = directory.departments().iter().find(|d| fold(d) == key) {
        return Ok(found.clone());
    }
    Err(Ask {
        question: format!(
            "I couldn't find a department called \"{}\". Which one do you mean?",
            clip(name)
        ),
        candidates: directory.departments().to_vec(),
    })
}

/// Merges what belongs together: a reset with "and revoke the sessions" becomes one reset
/// that revokes; an investigation with containment steps for the same person becomes one
/// investigation with `contain`; repeated steps appear once.
fn fold_steps(steps: Vec<Step>) -> Vec<Step> {
    let investigated: Vec<Option<String>> = steps
        .iter()
        .filter(|s| s.action == Action::InvestigateCompromise)
        .map(|s| s.target.clone())
        .collect();
    let containment = |s: &Step| {
        matches!(
            s.action,
            Action::RevokeSessions
                | Action::PasswordReset
                | Action::MfaReset
                | Action::DisableAccount
        ) && investigated.contains(&s.target)
    };
    let contained: Vec<Option<String>> = steps
        .iter()
        .filter(|s| containment(s))
        .map(|s| s.target.clone())
        .collect();
    let resets: Vec<Option<String>> = steps
        .iter()
        .filter(|s| s.action == Action::PasswordReset && !containment(s))
        .map(|s| s.target.clone())
        .collect();
    let revokes: Vec<Option<String>> = steps
        .iter()
        .filter(|s| s.action == Action::RevokeSessions && !containment(s))
        .map(|s| s.target.clone())
        .collect();
    let mut out: Vec<Step> = Vec::new();
    for mut step in steps {
        if containment(&step) {
            continue;
        }
        if step.action == Action::RevokeSessions && resets.contains(&step.target) {
            continue;
        }
        if step.action == Action::InvestigateCompromise && contained.contains(&step.target) {
            step.params.insert("contain".into(), Value::Bool(true));
        }
        if step.action == Action::PasswordReset && revokes.contains(&step.target) {
            step.params
                .insert("revoke_sessions".into(), Value::Bool(true));
        }
        if let Some(existing) = out
            .iter_mut()
            .find(|s| s.action == step.action && s.target == step.target && same_group(s, &step))
        {
            for (key, value) in step.params {
                existing.params.entry(key).or_insert(value);
            }
            continue;
        }
        out.push(step);
    }
    out
}

fn same_group(a: &Step, b: &Step) -> bool {
    a.params.get("group") == b.params.get("group")
}
