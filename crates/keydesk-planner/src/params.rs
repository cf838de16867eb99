//! Parameters as written: groups, departments, job titles, profile fields, phone numbers,
//! managers, where to deliver a credential, TAP lifetimes and investigation windows.
//!
//! Each extractor reads a [`Segment`] and marks the words it used, so that they are not taken
//! for people's names. Values stay as written; `resolve` checks groups, departments and people
//! against the directory.

use crate::lexicon::is_common;
use crate::plan::Action;
use crate::text::{Token, TokenKind};
use crate::understand::{ParamValue, Segment, SelfRef, Subject};

/// Words that end a written value ("to Finance *and* ...").
const VALUE_STOPS: &[&str] = &[
    "and",
    ",",
    "please",
    "pls",
    "thanks",
    "thank",
    "asap",
    "so",
    "because",
    "but",
    "then",
    "with",
    "via",
    "by",
    "send",
    "reporting",
    "manager",
    "who",
    "that",
    "for",
    "starting",
    "today",
    "now",
];

/// Everything `action` takes from the segment.
pub(crate) fn extract(
    segment: &mut Segment<'_>,
    action: Action,
) -> Vec<(&'static str, ParamValue)> {
    let mut params = Vec::new();
    match action {
        Action::GrantAccess
        | Action::RemoveAccess
        | Action::RequestAccess
        | Action::CheckMembership
        | Action::ListGroupMembers => {
            for group in groups(segment, action) {
                params.push(("group", ParamValue::Group(group)));
            }
        }
        Action::ListLockedAccounts => {
            if let Some(department) = department(segment) {
                params.push(("department", ParamValue::Department(department)));
            }
        }
        Action::SearchUsers => {
            if let Some(department) = department(segment) {
                params.push(("department", ParamValue::Department(department)));
            }
            if let Some(title) = field_value(segment, &["title", "position"]) {
                params.push(("jobTitle", ParamValue::Text(title)));
            }
            if let Some(name) = search_name(segment) {
                params.push(("name", ParamValue::Text(name)));
            }
        }
        Action::CreateUser => {
            params.extend(deliver_to(segment));
            params.extend(manager(segment));
            if let Some(title) = job_title_as(segment) {
                params.push(("jobTitle", ParamValue::Text(title)));
            }
            params.extend(profile_fields(segment));
            if !params.iter().any(|(key, _)| *key == "department")
                && let Some(department) = department(segment)
            {
                params.push(("department", ParamValue::Department(department)));
            }
            if let Some(name) = after_word(segment, &["named", "called"]) {
                params.push(("displayName", ParamValue::Text(name)));
            }
        }
        Action::UpdateUserProfile => {
            params.extend(manager(segment));
            params.extend(profile_fields(segment));
            let moves = segment.has_word("move") || segment.has_word("transfer");
            if moves
                && !params.iter().any(|(key, _)| *key == "department")
                && let Some(to) = segment.find_word("to")
            {
                segment.take(to..to + 1);
                let mut rest = to + 1;
                while matches!(segment.word(rest), "the" | "our") {
                    rest += 1;
                }
                let (value, end) = text_value(segment, rest);
                if let Some(value) = value {
                    segment.take(to..end);
                    if segment.word(end) == "department" || segment.word(end) == "team" {
                        segment.take(end..end + 1);
                    }
                    params.push(("department", ParamValue::Department(value)));
                }
            }
        }
        Action::PasswordReset => params.extend(deliver_to(segment)),
        Action::IssueTap => {
            params.extend(deliver_to(segment));
            if let Some(minutes) = lifetime_minutes(segment) {
                params.push(("lifetime_minutes", ParamValue::Number(minutes)));
            }
        }
        Action::InvestigateCompromise | Action::DiagnoseSignin => {
            if let Some(days) = days(segment) {
                params.push(("days", ParamValue::Number(days)));
            }
            if action == Action::InvestigateCompromise && segment.has("contain") {
                params.push(("contain", ParamValue::Bool(true)));
            }
        }
        _ => {}
    }
    params
}

/// Parameters a segment without an action may add to the request's earlier steps
/// ("... Send it to his manager.", "Look at the last 7 days.").
pub(crate) fn loose(segment: &mut Segment<'_>) -> Vec<(&'static str, ParamValue)> {
    let mut params = deliver_to(segment);
    if let Some(days) = days(segment) {
        params.push(("days", ParamValue::Number(days)));
    }
    if let Some(minutes) = lifetime_minutes(segment) {
        params.push(("lifetime_minutes", ParamValue::Number(minutes)));
    }
    params
}

/// Whether the segment names a profile field (mobile number, office, job title, ...).
pub(crate) fn has_profile_field(segment: &Segment<'_>) -> bool {
    (0..segment.tokens.len()).any(|at| field_at(segment, at).is_some())
}

/// The profile field named at `at`, with how many words name it.
fn field_at(segment: &Segment<'_>, at: usize) -> Option<(&'static str, usize)> {
    let word = segment.word(at);
    let next = segment.word(at + 1);
    if segment.tokens.get(at)?.kind != TokenKind::Word {
        return None;
    }
    match word {
        "business" | "work" | "desk" | "office" if matches!(next, "phone" | "number" | "line") => {
            Some(("businessPhones", 2))
        }
        "mobile" | "cell" | "cellphone" => {
            let extra = usize::from(matches!(next, "number" | "phone" | "no"));
            Some(("mobilePhone", 1 + extra))
        }
        "phone" if next == "number" => Some(("mobilePhone", 2)),
        "office" if !matches!(next, "365" | "apps") => {
            let extra = usize::from(next == "location");
            Some(("officeLocation", 1 + extra))
        }
        "location" => Some(("officeLocation", 1)),
        "job" if next == "title" => Some(("jobTitle", 2)),
        "title" | "position" => Some(("jobTitle", 1)),
        "display" if next == "name" => Some(("displayName", 2)),
        "department" | "dept" => {
            let previous = if at > 0 { segment.word(at - 1) } else { "" };
            (matches!(next, "to" | "is" | ":" | "=") || previous == "new")
                .then_some(("department", 1))
        }
        "manager" => {
            let previous = if at > 0 { segment.word(at - 1) } else { "" };
            (matches!(next, "to" | "is" | ":" | "=" | "should" | "will")
                || matches!(previous, "new" | "set" | "change" | "update"))
            .then_some(("manager", 1))
        }
        _ => None,
    }
}

/// Profile fields with their values ("mobile number to +1 ...", "office to \"SF HQ\"").
fn profile_fields(segment: &mut Segment<'_>) -> Vec<(&'static str, ParamValue)> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < segment.tokens.len() {
        let Some((field, width)) = field_at(segment, at) else {
            at += 1;
            continue;
        };
        if field == "manager" || segment.used[at] && segment.lemma(at).is_none() {
            at += width;
            continue;
        }
        let mut value_at = at + width;
        while matches!(
            segment.word(value_at),
            "to" | "is"
                | ":"
                | "="
                | "as"
                | "be"
                | "should"
                | "will"
                | "now"
                | "set"
                | "changed"
                | "updated"
                | "moved"
        ) {
            value_at += 1;
        }
        let phone = matches!(field, "mobilePhone" | "businessPhones");
        let (value, end) = if phone {
            phone_number(segment.tokens, value_at)
        } else {
            text_value(segment, value_at)
        };
        segment.take(at..end.max(at + width));
        if let Some(value) = value {
            let value = if field == "businessPhones" {
                ParamValue::Texts(vec![value])
            } else if field == "department" {
                ParamValue::Department(value)
            } else {
                ParamValue::Text(value)
            };
            found.push((field, value));
        }
        at = end.max(at + width);
    }
    found
}

/// A phone number starting at `at`: `+`, digits, and `-`, `(`, `)`, `.` between them.
fn phone_number(tokens: &[Token], at: usize) -> (Option<String>, usize) {
    let mut text = String::new();
    let mut end = at;
    while let Some(token) = tokens.get(end) {
        let phoneish = match token.kind {
            TokenKind::Number => true,
            TokenKind::Word => token
                .text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '.'),
            TokenKind::Punct => matches!(token.text.as_str(), "+" | "(" | ")" | "-"),
            _ => false,
        };
        if !phoneish {
            break;
        }
        if !text.is_empty() && !text.ends_with(['+', '(']) && token.text != ")" {
            text.push(' ');
        }
        text.push_str(&token.text);
        end += 1;
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if (5..=20).contains(&digits) {
        (Some(text.trim().to_owned()), end)
    } else {
        (None, at)
    }
}

/// A written value at `at`: a quoted string, or words up to the next stop.
fn text_value(segment: &Segment<'_>, at: usize) -> (Option<String>, usize) {
    let Some(token) = segment.tokens.get(at) else {
        return (None, at);
    };
    if token.kind == TokenKind::Quoted {
        return (Some(token.text.clone()), at + 1);
    }
    let mut words: Vec<&str> = Vec::new();
    let mut end = at;
    while let Some(token) = segment.tokens.get(end) {
        if VALUE_STOPS.contains(&token.lower.as_str())
            || (token.kind == TokenKind::Punct && !matches!(token.text.as_str(), "&" | "/" | "#"))
            || words.len() >= 6
            || field_at(segment, end).is_some() && !words.is_empty()
        {
            break;
        }
        words.push(&token.text);
        end += 1;
    }
    if words.is_empty() {
        (None, at)
    } else {
        (Some(words.join(" ")), end)
    }
}

/// The words after the first of `markers` ("named Noa Levi").
fn after_word(segment: &mut Segment<'_>, markers: &[&str]) -> Option<String> {
    let at = segment
        .tokens
        .iter()
        .position(|t| markers.contains(&t.lower.as_str()))?;
    let (value, end) = text_value(segment, at + 1);
    let value = value?;
    // A name ends where the sentence goes on ("named Noa Levi in Marketing").
    let mut words: Vec<&str> = Vec::new();
    for word in value.split_whitespace() {
        if matches!(
            word.to_lowercase().as_str(),
            "in" | "as" | "at" | "from" | "on" | "to" | "under" | "of"
        ) {
            break;
        }
        words.push(word);
    }
    let taken = words.len();
    segment.take(at..at + 1 + taken);
    let _ = end;
    (!words.is_empty()).then(|| words.join(" "))
}

/// `field (is|to) value`, for the first of `fields`.
fn field_value(segment: &mut Segment<'_>, fields: &[&str]) -> Option<String> {
    let at = segment
        .tokens
        .iter()
        .position(|t| fields.contains(&t.lower.as_str()))?;
    let mut value_at = at + 1;
    while matches!(segment.word(value_at), "is" | "of" | ":" | "=" | "to") {
        value_at += 1;
    }
    let (value, end) = text_value(segment, value_at);
    segment.take(at..end);
    value
}

/// "as (a) Software Engineer" for a new user's job title.
fn job_title_as(segment: &mut Segment<'_>) -> Option<String> {
    let at = segment.find_word("as")?;
    let mut start = at + 1;
    while matches!(segment.word(start), "a" | "an" | "the" | "our" | "new") {
        start += 1;
    }
    let mut end = start;
    while let Some(token) = segment.tokens.get(end) {
        if VALUE_STOPS.contains(&token.lower.as_str())
            || matches!(
                token.lower.as_str(),
                "in" | "at" | "on" | "from" | "under" | "of"
            )
            || (token.kind == TokenKind::Punct && token.text != "&")
            || token.kind == TokenKind::Email
        {
            break;
        }
        end += 1;
    }
    if end == start {
        return None;
    }
    let title = segment.tokens[start..end]
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    segment.take(at..end);
    Some(title)
}

/// The department a segment names ("in the Sales department", "in R&D", "from Finance").
fn department(segment: &mut Segment<'_>) -> Option<String> {
    if let Some(at) = segment
        .find_word("department")
        .or_else(|| segment.find_word("dept"))
    {
        let before_is_word = at > 0
            && segment.tokens[at - 1].kind == TokenKind::Word
            && !matches!(
                segment.word(at - 1),
                "the" | "in" | "from" | "of" | "within" | "to" | "our" | "new"
            );
        if matches!(segment.word(at + 1), "of" | ":" | "=" | "is") || !before_is_word {
            let skip = usize::from(matches!(segment.word(at + 1), "of" | ":" | "=" | "is"));
            let (value, end) = text_value(segment, at + 1 + skip);
            if value.is_some() {
                segment.take(at..end);
                return value;
            }
        }
        let mut start = at;
        while start > 0
            && at - start < 3
            && !matches!(
                segment.word(start - 1),
                "the" | "in" | "from" | "of" | "within" | "to" | "our"
            )
            && segment.tokens[start - 1].kind != TokenKind::Punct
            && !segment.used[start - 1]
        {
            start -= 1;
        }
        if start == at {
            return None;
        }
        let value = segment.tokens[start..at]
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut from = start;
        while from > 0
            && matches!(
                segment.word(from - 1),
                "the" | "in" | "from" | "of" | "within"
            )
        {
            from -= 1;
        }
        segment.take(from..at + 1);
        return Some(value);
    }
    let at = segment.tokens.iter().enumerate().position(|(at, t)| {
        matches!(t.lower.as_str(), "in" | "from" | "within") && !segment.used[at]
    })?;
    let mut start = at + 1;
    while matches!(segment.word(start), "the" | "our") {
        start += 1;
    }
    let (value, end) = text_value(segment, start);
    let value = value?;
    segment.take(at..end);
    Some(value)
}

/// The names of the groups an access or membership action is about.
fn groups(segment: &mut Segment<'_>, action: Action) -> Vec<String> {
    let quoted: Vec<usize> = (0..segment.tokens.len())
        .filter(|&at| segment.tokens[at].kind == TokenKind::Quoted)
        .collect();
    if !quoted.is_empty() {
        for &at in &quoted {
            segment.take(at..at + 1);
        }
        return quoted
            .into_iter()
            .map(|at| segment.tokens[at].text.clone())
            .collect();
    }
    let anchors: &[&str] = match action {
        Action::GrantAccess => &["to", "into"],
        Action::RemoveAccess => &["from", "of"],
        Action::RequestAccess => &["to", "join", "into"],
        Action::CheckMembership => &["of", "in", "to"],
        _ => &["of", "to", "in"],
    };
    let join = segment.find_word("join");
    let after_access = segment
        .find("access")
        .and_then(|access| (access..segment.tokens.len()).find(|&at| segment.word(at) == "to"));
    let anchor = if action == Action::RequestAccess && (join.is_some() || after_access.is_some()) {
        join.or(after_access)
    } else if action == Action::CheckMembership {
        (0..segment.tokens.len())
            .rev()
            .find(|&at| anchors.contains(&segment.word(at)))
    } else {
        (0..segment.tokens.len()).find(|&at| anchors.contains(&segment.word(at)))
    };
    let Some(anchor) = anchor else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut end = anchor + 1;
    while let Some(token) = segment.tokens.get(end) {
        let word = token.lower.as_str();
        if matches!(
            word,
            "for" | "please" | "pls" | "thanks" | "so" | "because" | "as"
        ) {
            break;
        }
        if matches!(word, "and" | "," | "&" | "or") {
            if !current.is_empty() {
                names.push(current.join(" "));
                current.clear();
            }
        } else if token.kind == TokenKind::Punct {
            break;
        } else if !(current.is_empty()
            && matches!(word, "the" | "a" | "an" | "our" | "group" | "groups"))
        {
            current.push(&token.text);
        }
        end += 1;
    }
    if !current.is_empty() {
        names.push(current.join(" "));
    }
    segment.take(anchor..end);
    names
}

/// Who should receive a credential: `send it to X`, `deliver ... to his manager`.
fn deliver_to(segment: &mut Segment<'_>) -> Vec<(&'static str, ParamValue)> {
    let send = (0..segment.tokens.len()).find(|&at| {
        segment.lemma(at) == Some("send")
            || (segment.word(at) == "give" && matches!(segment.word(at + 1), "it" | "them" | "the"))
    });
    let Some(send) = send else {
        return Vec::new();
    };
    let Some(to) =
        (send + 1..(send + 7).min(segment.tokens.len())).find(|&at| segment.word(at) == "to")
    else {
        return Vec::new();
    };
    let mut end = to + 1;
    let mut phrase = Vec::new();
    let mut manager = false;
    let mut me = false;
    while let Some(token) = segment.tokens.get(end) {
        let word = token.lower.as_str();
        if matches!(
            word,
            "and" | "," | "so" | "please" | "by" | "via" | "thanks" | "for" | "over"
        ) || token.kind == TokenKind::Punct
        {
            break;
        }
        match word {
            "manager" | "boss" | "supervisor" => manager = true,
            "me" | "myself" => me = true,
            "his" | "her" | "their" | "the" | "my" | "its" | "directly" => {}
            _ => phrase.push(token.clone()),
        }
        end += 1;
    }
    segment.take(send..end);
    let value = if manager {
        ParamValue::TargetsManager
    } else if me && phrase.is_empty() {
        ParamValue::Person(Subject {
            self_ref: SelfRef::Strong,
            ..Subject::default()
        })
    } else if phrase.is_empty() {
        return Vec::new();
    } else {
        ParamValue::Person(Subject {
            phrase,
            ..Subject::default()
        })
    };
    vec![("deliver_to", value)]
}

/// A new or updated manager: "manager is X", "reporting to X", "reports to X".
fn manager(segment: &mut Segment<'_>) -> Vec<(&'static str, ParamValue)> {
    let mut start = None;
    for at in 0..segment.tokens.len() {
        if segment.used[at] && segment.lemma(at).is_none() {
            continue;
        }
        let word = segment.word(at);
        if word == "manager" || word == "boss" || word == "supervisor" {
            let mut value_at = at + 1;
            while matches!(
                segment.word(value_at),
                "is" | ":" | "=" | "to" | "should" | "will" | "be" | "as"
            ) {
                value_at += 1;
            }
            if value_at > at + 1 || matches!(segment.word(at.wrapping_sub(1)), "new" | "set") {
                start = Some((at, value_at));
                break;
            }
        }
        if matches!(word, "reports" | "reporting" | "report") && segment.word(at + 1) == "to" {
            start = Some((at, at + 2));
            break;
        }
        if word == "managed" && segment.word(at + 1) == "by" {
            start = Some((at, at + 2));
            break;
        }
    }
    let Some((at, value_at)) = start else {
        return Vec::new();
    };
    let mut end = value_at;
    let mut phrase = Vec::new();
    let mut me = false;
    while let Some(token) = segment.tokens.get(end) {
        let word = token.lower.as_str();
        if matches!(
            word,
            "and" | "," | "send" | "please" | "so" | "with" | "as" | "in"
        ) || (token.kind == TokenKind::Punct)
            || segment.lemma(end) == Some("send")
        {
            break;
        }
        if matches!(word, "me" | "myself") {
            me = true;
        } else {
            phrase.push(token.clone());
        }
        end += 1;
    }
    segment.take(at..end);
    if phrase.is_empty() && !me {
        return Vec::new();
    }
    vec![(
        "manager",
        ParamValue::Person(Subject {
            phrase,
            self_ref: if me { SelfRef::Strong } else { SelfRef::None },
            ..Subject::default()
        }),
    )]
}

/// What to search for: "named X", "called X", or the words nobody else took.
fn search_name(segment: &mut Segment<'_>) -> Option<String> {
    if let Some(name) = after_word(segment, &["named", "called"]) {
        return Some(name);
    }
    let mut words = Vec::new();
    for at in 0..segment.tokens.len() {
        let token = &segment.tokens[at];
        if segment.used[at] {
            continue;
        }
        let keep = token.kind == TokenKind::Quoted
            || token.kind == TokenKind::Email
            || (token.kind == TokenKind::Word && !is_common(&token.lower));
        if keep {
            words.push(token.text.clone());
            segment.take(at..at + 1);
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

fn number_word(word: &str) -> Option<i64> {
    let value = match word {
        "a" | "an" | "one" => 1,
        "two" | "couple" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "twelve" => 12,
        "fourteen" => 14,
        "thirty" => 30,
        "ninety" => 90,
        _ => {
            return word
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=100_000).contains(n));
        }
    };
    Some(value)
}

/// `(value, unit)` pairs: "7 days", "2 hours", "1-hour", "90min", "a week".
fn quantities(segment: &Segment<'_>) -> Vec<(usize, usize, i64, &'static str)> {
    let mut found = Vec::new();
    for at in 0..segment.tokens.len() {
        let word = segment.word(at);
        let (amount, unit_word, width) = if let Some(amount) = number_word(word) {
            let unit = segment.word(at + 1);
            (amount, unit.to_owned(), 2)
        } else if let Some(split) = word.find(|c: char| !c.is_ascii_digit()).filter(|&i| i > 0) {
            let (digits, rest) = word.split_at(split);
            match digits.parse::<i64>() {
                Ok(amount) if amount <= 100_000 => {
                    (amount, rest.trim_start_matches('-').to_owned(), 1)
                }
                _ => continue,
            }
        } else if matches!(word, "week" | "month" | "day" | "hour")
            && at > 0
            && matches!(segment.word(at - 1), "last" | "past" | "previous" | "this")
        {
            (1, word.to_owned(), 1)
        } else {
            continue;
        };
        let unit = match unit_word.as_str() {
            "minute" | "minutes" | "min" | "mins" | "m" => "minutes",
            "hour" | "hours" | "hr" | "hrs" | "h" => "hours",
            "day" | "days" | "d" => "days",
            "week" | "weeks" | "w" => "weeks",
            "month" | "months" => "months",
            _ => continue,
        };
        found.push((at, at + width, amount, unit));
    }
    found
}

/// A TAP's lifetime in minutes.
fn lifetime_minutes(segment: &mut Segment<'_>) -> Option<i64> {
    let (start, end, amount, unit) = quantities(segment)
        .into_iter()
        .find(|(_, _, _, unit)| matches!(*unit, "minutes" | "hours" | "days"))?;
    let minutes = match unit {
        "minutes" => amount,
        "hours" => amount.checked_mul(60)?,
        _ => amount.checked_mul(1440)?,
    };
    let half = start > 0 && segment.word(start - 1) == "half";
    segment.take(start..end);
    Some(if half { minutes / 2 } else { minutes })
}

/// How many days of history to look at.
fn days(segment: &mut Segment<'_>) -> Option<i64> {
    let (start, end, amount, unit) = quantities(segment)
        .into_iter()
        .find(|(_, _, _, unit)| matches!(*unit, "hours" | "days" | "weeks" | "months"))?;
    let days = match unit {
        "hours" => (amount + 23) / 24,
        "days" => amount,
        "weeks" => amount.checked_mul(7)?,
        _ => amount.checked_mul(30)?,
    };
    segment.take(start..end);
    Some(days.max(1))
}
