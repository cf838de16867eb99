//! The directory the planner resolves names against: the [`Directory`] port and
//! [`MemoryDirectory`], an in-memory snapshot the caller fills (the CLI from Graph, tests from
//! the demo tenant).
//!
//! Lookups are synchronous on purpose: the caller prefetches a snapshot, so planning latency
//! never includes directory I/O. This module only indexes and looks up; deciding which person
//! a piece of text means is `resolve`'s job.

use std::collections::HashMap;

use crate::text::{TokenKind, edit_distance, fold, tokenize, typo_budget};

/// A person in the directory, as much as resolution needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// User principal name (any case; the planner lower-cases it).
    pub upn: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub mail_nickname: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
}

impl Person {
    /// Whether `text` names this person: their UPN, mail, nickname, display name, given name or
    /// surname appears in it (folded, and allowing the typos the planner allows).
    pub fn named_in(&self, text: &str) -> bool {
        let upn = self.upn.to_lowercase();
        let mut keys: Vec<String> = vec![fold(&upn)];
        keys.extend(upn.split('@').next().map(fold));
        for name in [
            Some(&self.display_name),
            self.mail.as_ref(),
            self.mail_nickname.as_ref(),
            self.given_name.as_ref(),
            self.surname.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            keys.push(fold(name));
        }
        keys.retain(|key| !key.is_empty());
        let tokens = tokenize(text);
        for start in 0..tokens.len() {
            for width in 1..=3 {
                let Some(window) = tokens.get(start..start + width) else {
                    break;
                };
                if window.iter().any(|t| t.kind == TokenKind::Punct) {
                    break;
                }
                let words: Vec<&str> = window.iter().map(|t| t.text.as_str()).collect();
                let candidate = fold(&words.join(" "));
                if candidate.is_empty() {
                    continue;
                }
                let budget = typo_budget(candidate.chars().count());
                if keys.iter().any(|key| {
                    *key == candidate
                        || (budget > 0
                            && key.chars().count().abs_diff(candidate.chars().count()) <= budget
                            && edit_distance(key, &candidate) <= budget)
                }) {
                    return true;
                }
            }
        }
        false
    }
}

/// A group in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupEntry {
    pub display_name: String,
    pub mail_nickname: Option<String>,
}

/// What the planner needs to know about a tenant. Implementations hold a snapshot in memory;
/// every method is a lookup, never I/O.
pub trait Directory {
    /// People whose UPN, mail, mail nickname, display name, given name, surname or
    /// "given surname" equals `key` after [`fold`] (lower-case, punctuation-insensitive).
    fn people_by_key(&self, key: &str) -> Vec<&Person>;
    /// People with a name key within `max_distance` edits of `key` (already folded), closest
    /// first. Used only for typo tolerance.
    fn people_near(&self, key: &str, max_distance: usize) -> Vec<&Person>;
    /// The person with this UPN (any case).
    fn person(&self, upn: &str) -> Option<&Person>;
    /// The group whose display name or mail nickname folds to `key`.
    fn group_by_key(&self, key: &str) -> Option<&GroupEntry>;
    /// Every group (for near matches and clarifications).
    fn groups(&self) -> &[GroupEntry];
    /// The departments people belong to, as the directory spells them.
    fn departments(&self) -> &[String];
}

/// A directory snapshot held in memory, indexed for the planner's lookups.
#[derive(Debug, Clone, Default)]
pub struct MemoryDirectory {
    people: Vec<Person>,
    groups: Vec<GroupEntry>,
    departments: Vec<String>,
    by_key: HashMap<String, Vec<usize>>,
    by_upn: HashMap<String, usize>,
    group_by_key: HashMap<String, usize>,
    /// Distinct name keys with the people they name, for near matches.
    name_keys: Vec<(String, Vec<usize>)>,
}

impl MemoryDirectory {
    /// Indexes `people` and `groups`. Departments are taken from the people.
    pub fn new(people: Vec<Person>, groups: Vec<GroupEntry>) -> MemoryDirectory {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_upn = HashMap::new();
        let mut name_index: HashMap<String, Vec<usize>> = HashMap::new();
        let mut departments: Vec<String> = Vec::new();
        for (index, person) in people.iter().enumerate() {
            by_upn.insert(person.upn.to_lowercase(), index);
            let mut keys: Vec<String> = Vec::new();
            let upn = person.upn.to_lowercase();
            keys.push(upn.clone());
            if let Some(local) = upn.split('@').next() {
                keys.push(local.to_owned());
            }
            if let Some(mail) = &person.mail {
                keys.push(mail.to_lowercase());
            }
            let mut names: Vec<String> = vec![person.display_name.clone()];
            names.extend(person.mail_nickname.clone());
            names.extend(person.given_name.clone());
            names.extend(person.surname.clone());
            if let (Some(given), Some(surname)) = (&person.given_name, &person.surname) {
                names.push(format!("{given} {surname}"));
            }
            keys.extend(names.iter().map(|name| name.to_lowercase()));
            let mut folded: Vec<String> = keys.iter().map(|key| fold(key)).collect();
            folded.sort();
            folded.dedup();
            for key in folded.into_iter().filter(|key| !key.is_empty()) {
                by_key.entry(key).or_default().push(index);
            }
            for name in names {
                let key = fold(&name);
                if !key.is_empty() {
                    let entry = name_index.entry(key).or_default();
                    if entry.last() != Some(&index) {
                        entry.push(index);
                    }
                }
            }
            if let Some(department) = &person.department
                && !department.is_empty()
                && !departments.iter().any(|known| known == department)
            {
                departments.push(department.clone());
            }
        }
        let mut group_by_key = HashMap::new();
        for (index, group) in groups.iter().enumerate() {
            group_by_key.insert(fold(&group.display_name), index);
            if let Some(nickname) = &group.mail_nickname {
                group_by_key.entry(fold(nickname)).or_insert(index);
            }
        }
        let mut name_keys: Vec<(String, Vec<usize>)> = name_index.into_iter().collect();
        name_keys.sort();
        MemoryDirectory {
            people,
            groups,
            departments,
            by_key,
            by_upn,
            group_by_key,
            name_keys,
        }
    }

    /// Every person in the snapshot.
    pub fn people(&self) -> &[Person] {
        &self.people
    }
}

impl Directory for MemoryDirectory {
    fn people_by_key(&self, key: &str) -> Vec<&Person> {
        self.by_key
            .get(key)
            .map(|indexes| indexes.iter().map(|&i| &self.people[i]).collect())
            .unwrap_or_default()
    }

    fn people_near(&self, key: &str, max_distance: usize) -> Vec<&Person> {
        let key_len = key.chars().count();
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (name, indexes) in &self.name_keys {
            if name.chars().count().abs_diff(key_len) > max_distance {
                continue;
            }
            let distance = edit_distance(key, name);
            if distance <= max_distance {
                found.extend(indexes.iter().map(|&i| (distance, i)));
            }
        }
        found.sort();
        let mut seen = Vec::new();
        for (_, index) in found {
            if !seen.contains(&index) {
                seen.push(index);
            }
        }
        seen.into_iter().map(|i| &self.people[i]).collect()
    }

    fn person(&self, upn: &str) -> Option<&Person> {
        self.by_upn
            .get(&upn.to_lowercase())
            .map(|&index| &self.people[index])
    }

    fn group_by_key(&self, key: &str) -> Option<&GroupEntry> {
        self.group_by_key.get(key).map(|&index| &self.groups[index])
    }

    fn groups(&self) -> &[GroupEntry] {
        &self.groups
    }

    fn departments(&self) -> &[String] {
        &self.departments
    }
}
