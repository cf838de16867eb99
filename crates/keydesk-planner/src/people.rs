//! Finding the people a phrase names: UPNs and mail addresses, nicknames, display names,
//! given names and surnames (one to three words), then typos within the planner's budget;
//! departments, job titles and cities in the phrase break ties ("John Smith in Finance").
//! Unknown capitalized names are kept so that the caller can ask instead of guessing.

use crate::directory::{Directory, Person};
use crate::lexicon::{is_common, lemma};
use crate::text::{Token, TokenKind, fold, typo_budget};

/// The people a phrase names.
#[derive(Default, Clone)]
pub(crate) struct Found {
    pub people: Vec<String>,
    /// Names that match no one, with near matches.
    pub unknown: Vec<(String, Vec<String>)>,
    /// Which of [`Found::unknown`] were written with a capital letter inside a sentence.
    pub unknown_capitalized: Vec<bool>,
    /// Names that match several people.
    pub ambiguous: Vec<(String, Vec<String>)>,
}

/// Finds the people a phrase names.
pub(crate) fn find_people(phrase: &[Token], directory: &dyn Directory) -> Found {
    let mut found = Found::default();
    let mut used = vec![false; phrase.len()];
    // Departments, titles and cities in the phrase are hints, not names.
    let hints: Vec<String> = phrase
        .iter()
        .filter(|t| t.kind == TokenKind::Word || t.kind == TokenKind::Quoted)
        .map(|t| fold(&t.text))
        .filter(|w| !w.is_empty())
        .collect();
    let mut at = 0;
    while at < phrase.len() {
        let token = &phrase[at];
        match token.kind {
            TokenKind::Email => {
                let people = directory.people_by_key(&fold(&token.text));
                record(&mut found, &token.text, people, &hints);
                used[at] = true;
                at += 1;
                continue;
            }
            TokenKind::Quoted => {
                let people = directory.people_by_key(&fold(&token.text));
                if people.is_empty() {
                    found
                        .unknown
                        .push((clip(&token.text), near(&fold(&token.text), directory)));
                    found.unknown_capitalized.push(true);
                } else {
                    record(&mut found, &token.text, people, &hints);
                }
                used[at] = true;
                at += 1;
                continue;
            }
            TokenKind::Word => {}
            _ => {
                at += 1;
                continue;
            }
        }
        let mut matched = false;
        for width in (1..=3).rev() {
            if at + width > phrase.len() {
                continue;
            }
            let window = &phrase[at..at + width];
            if window.iter().any(|t| t.kind != TokenKind::Word)
                || window[..width - 1].iter().any(|t| t.possessive)
            {
                continue;
            }
            if is_common(&window[0].lower) && !(window[0].capitalized && at > 0) {
                continue;
            }
            let text: Vec<&str> = window.iter().map(|t| t.text.as_str()).collect();
            let text = text.join(" ");
            let people = directory.people_by_key(&fold(&text));
            if !people.is_empty() {
                record(&mut found, &text, people, &hints);
                for slot in &mut used[at..at + width] {
                    *slot = true;
                }
                at += width;
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        let word = &token.lower;
        let name_like = !is_common(word)
            && lemma(word).is_none()
            && word
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, '\'' | '-' | '.'))
            && word.chars().count() >= 2
            && !directory
                .departments()
                .iter()
                .any(|d| fold(d) == fold(word));
        if name_like {
            // Typo tolerance: a two-word name first, then the word alone.
            let next_name = phrase
                .get(at + 1)
                .filter(|t| t.kind == TokenKind::Word && !is_common(&t.lower) && !token.possessive);
            if let Some(next) = next_name {
                let pair = fold(&format!("{} {}", token.text, next.text));
                let people = directory.people_near(&pair, typo_budget(pair.chars().count()));
                if !people.is_empty() {
                    record(
                        &mut found,
                        &format!("{} {}", token.text, next.text),
                        people,
                        &hints,
                    );
                    at += 2;
                    continue;
                }
            }
            let key = fold(word);
            let people = directory.people_near(&key, typo_budget(key.chars().count()));
            if people.is_empty() {
                let previous_joins =
                    at > 0 && matches!(phrase[at - 1].lower.as_str(), "and" | "," | "or");
                if !found.people.is_empty() && !token.capitalized && !previous_joins {
                    at += 1;
                    continue;
                }
                found
                    .unknown
                    .push((clip(&token.text), near(&key, directory)));
                found.unknown_capitalized.push(token.capitalized);
            } else {
                record(&mut found, &token.text, people, &hints);
            }
        }
        at += 1;
    }
    found
}

/// Near matches for a name that matched no one, as UPNs (at most five).
fn near(key: &str, directory: &dyn Directory) -> Vec<String> {
    let budget = typo_budget(key.chars().count()) + 1;
    let mut upns: Vec<String> = Vec::new();
    for person in directory.people_near(key, budget) {
        let upn = person.upn.to_lowercase();
        if !upns.contains(&upn) {
            upns.push(upn);
        }
        if upns.len() == 5 {
            break;
        }
    }
    upns
}

/// Records the people a name matched: one, or one after hints, or an ambiguity.
fn record(found: &mut Found, name: &str, people: Vec<&Person>, hints: &[String]) {
    let mut upns: Vec<String> = Vec::new();
    for person in &people {
        let upn = person.upn.to_lowercase();
        if !upns.contains(&upn) {
            upns.push(upn);
        }
    }
    if upns.len() > 1 {
        let name_words: Vec<String> = name.split_whitespace().map(fold).collect();
        let hinted: Vec<&&Person> = people
            .iter()
            .filter(|p| {
                let fields = [&p.department, &p.job_title, &p.city];
                hints
                    .iter()
                    .filter(|h| !name_words.contains(h) && h.chars().count() >= 2)
                    .any(|hint| {
                        fields.iter().any(|field| {
                            field.as_deref().is_some_and(|value| {
                                fold(value) == *hint
                                    || value
                                        .split_whitespace()
                                        .any(|part| fold(part) == *hint && !is_common(hint))
                            })
                        })
                    })
            })
            .collect();
        let mut hinted_upns: Vec<String> = hinted.iter().map(|p| p.upn.to_lowercase()).collect();
        hinted_upns.dedup();
        if hinted_upns.len() == 1 {
            upns = hinted_upns;
        }
    }
    match upns.len() {
        0 => {}
        1 => {
            let upn = upns.remove(0);
            if !found.people.contains(&upn) {
                found.people.push(upn);
            }
        }
        _ => found.ambiguous.push((clip(name), upns)),
    }
}

/// At most 80 characters of `text`, for questions.
pub(crate) fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}
