//! The request corpus (`tests/data/requests.toml`): every request with the plan a careful
//! helpdesk engineer would want. The test plans them all on the demo tenant, prints every
//! miss with the expected and actual plan, and fails below 95% exact matches.
//!
//! Step notation: `action target key=value ...`, where the target is a UPN's local part
//! (`alexw`), a full UPN, or `-` for none; values are JSON when they parse (`7`, `true`,
//! `["+1 212 555 0142"]`), `@local` for a UPN, and otherwise strings, single-quoted when
//! they contain spaces.

use serde::Deserialize;
use serde_json::{Map, Value};

use keydesk_planner::{Attachment, Plan, Request};

use crate::fixture;

#[derive(Debug, Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    text: String,
    #[serde(default, rename = "as")]
    requester: Option<String>,
    #[serde(default)]
    list: Option<String>,
    #[serde(default)]
    image: Option<String>,
    /// Repeats `prefix` this many times before the text (very long input).
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    times: usize,
    #[serde(default)]
    steps: Vec<String>,
    /// A clarification with exactly these candidates.
    #[serde(default)]
    clarify: Option<Vec<String>>,
    /// A clarification whose candidates include these.
    #[serde(default)]
    clarify_has: Option<Vec<String>>,
    /// Any clarification.
    #[serde(default)]
    clarify_any: bool,
    /// No steps, and an explanation.
    #[serde(default)]
    refuse: bool,
}

impl Case {
    fn request(&self) -> Request {
        let requester = fixture::upn(self.requester.as_deref().unwrap_or("meganb"));
        let mut text = String::new();
        if let Some(prefix) = &self.prefix {
            text.push_str(&prefix.repeat(self.times));
        }
        text.push_str(&self.text);
        let mut request = Request::new(&requester, &text);
        if let Some(list) = &self.list {
            request.attachments.push(Attachment::text("list.txt", list));
        }
        if let Some(image) = &self.image {
            request.attachments.push(Attachment::image(image));
        }
        request
    }

    /// Why `plan` is not what this case expects, if it isn't.
    fn check(&self, plan: &Plan) -> Result<(), String> {
        let requester = self.request().requester.to_lowercase();
        if plan.requester != requester {
            return Err(format!("requester {} != {requester}", plan.requester));
        }
        let expected: Vec<Value> = self
            .steps
            .iter()
            .map(|s| parse_step(s))
            .collect::<Result<_, _>>()?;
        let actual: Vec<Value> = plan
            .steps
            .iter()
            .map(|s| serde_json::to_value(s).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        if expected != actual {
            return Err(format!(
                "steps differ\n  expected: {}\n  actual:   {}",
                Value::Array(expected),
                Value::Array(actual)
            ));
        }
        let wants_question =
            self.clarify.is_some() || self.clarify_has.is_some() || self.clarify_any;
        match (&plan.clarification, wants_question) {
            (None, true) => return Err("expected a clarification, got none".into()),
            (Some(c), false) => return Err(format!("unexpected clarification: {c:?}")),
            (Some(c), true) => {
                let mut got: Vec<String> = c.candidates.clone();
                got.sort();
                if let Some(exact) = &self.clarify {
                    let mut want: Vec<String> = exact.iter().map(|c| candidate(c)).collect();
                    want.sort();
                    if want != got {
                        return Err(format!("candidates {got:?} != {want:?}"));
                    }
                }
                if let Some(some) = &self.clarify_has {
                    for want in some.iter().map(|c| candidate(c)) {
                        if !got.contains(&want) {
                            return Err(format!("candidates {got:?} lack {want}"));
                        }
                    }
                }
                if !plan.steps.is_empty() {
                    return Err("a clarification with steps".into());
                }
            }
            (None, false) => {}
        }
        if self.refuse != (plan.steps.is_empty() && plan.clarification.is_none()) {
            return Err(format!(
                "refusal expected: {}; explanation: {:?}",
                self.refuse, plan.explanation
            ));
        }
        if self.refuse && plan.explanation.is_none() {
            return Err("a refusal without an explanation".into());
        }
        Ok(())
    }
}

/// A candidate as written in the corpus: lower-case words without spaces are UPN local parts.
fn candidate(written: &str) -> String {
    let looks_local = !written.contains(' ')
        && written
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '@' || c.is_ascii_digit());
    if looks_local {
        fixture::upn(written)
    } else {
        written.to_owned()
    }
}

fn parse_step(written: &str) -> Result<Value, String> {
    let words = split_quoted(written)?;
    let [action, target, rest @ ..] = words.as_slice() else {
        return Err(format!("bad step {written:?}"));
    };
    let target = if target == "-" {
        Value::Null
    } else {
        Value::String(fixture::upn(target))
    };
    let mut params = Map::new();
    for pair in rest {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("bad param {pair:?}"))?;
        let value = if let Some(local) = value.strip_prefix('@') {
            Value::String(fixture::upn(local))
        } else {
            serde_json::from_str::<Value>(value)
                .ok()
                .filter(|v| !v.is_string())
                .unwrap_or_else(|| Value::String(value.to_owned()))
        };
        params.insert(key.to_owned(), value);
    }
    Ok(serde_json::json!({"action": action, "target": target, "params": params}))
}

/// Splits on spaces outside single quotes (which are removed).
fn split_quoted(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(format!("unbalanced quote in {text:?}"));
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

#[test]
fn corpus() {
    let corpus: Corpus =
        toml::from_str(include_str!("../data/requests.toml")).expect("the corpus parses");
    let directory = fixture::directory();
    let mut misses = Vec::new();
    for (index, case) in corpus.case.iter().enumerate() {
        let plan = keydesk_planner::plan(&case.request(), directory);
        if let Err(why) = case.check(&plan) {
            let text: String = case.text.chars().take(120).collect();
            misses.push(format!(
                "#{index} {text:?}\n  {why}\n  plan: {}",
                serde_json::to_string(&plan).unwrap_or_default()
            ));
        }
    }
    let total = corpus.case.len();
    let hits = total - misses.len();
    for miss in &misses {
        eprintln!("MISS {miss}\n");
    }
    eprintln!(
        "corpus: {hits}/{total} exact ({:.1}%)",
        100.0 * hits as f64 / total as f64
    );
    assert!(
        total >= 150,
        "the corpus has {total} requests; it needs at least 150"
    );
    assert!(
        hits * 100 >= total * 95,
        "{hits}/{total} requests gave exactly the expected plan"
    );
}

#[test]
fn probe() {
    let Ok(text) = std::env::var("PROBE") else {
        return;
    };
    let requester = std::env::var("PROBE_AS").unwrap_or_else(|_| "meganb".into());
    let mut request = Request::new(&fixture::upn(&requester), &text);
    if let Ok(list) = std::env::var("PROBE_LIST") {
        request
            .attachments
            .push(Attachment::text("list.txt", &list.replace("\\n", "\n")));
    }
    if let Ok(path) = std::env::var("PROBE_IMAGE") {
        request.attachments.push(Attachment::image(&path));
    }
    let plan = keydesk_planner::plan(&request, fixture::directory());
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&plan).unwrap_or_default()
    );
}
