//! Understanding: request text (and attachments) → [`Understanding`], the intents it asks for,
//! each with who it is about (as written: a phrase, "me", a pronoun, the attached list) and its
//! parameters as written. Pure and deterministic: no directory, no I/O.
//!
//! The text is cut into sentences and then into segments at conjunctions that start a new verb
//! ("unlock Alex *and reset* his password"). Each segment's concepts ([`crate::lexicon`]) decide
//! its actions; what the triggers and parameters leave over is the phrase that may name people.
//! Deciding *which* people a phrase names is `resolve`'s job.

use crate::detect::detect;
use crate::lexicon::lemma;
use crate::params;
use crate::plan::Action;
use crate::refusal;
use crate::request::{Attachment, AttachmentContent};
use crate::text::{Token, TokenKind, tokenize};

/// What a request asks for, before any name is looked up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Understanding {
    pub intents: Vec<Intent>,
    /// Every segment's leftover phrase, in order (pronouns refer back through these).
    pub phrases: Vec<Vec<Token>>,
    /// Whether each segment names the requester ("my", "me").
    pub self_named: Vec<bool>,
    /// Set when nothing may be planned, with the reason.
    pub refusal: Option<String>,
    /// Entries of the attached text files.
    pub list: Vec<String>,
    /// The first attached image's path.
    pub photo: Option<String>,
}

/// One thing asked for.
#[derive(Debug, Clone)]
pub(crate) struct Intent {
    pub action: Action,
    /// Index into [`Understanding::phrases`].
    pub segment: usize,
    pub subject: Subject,
    pub params: Vec<(&'static str, ParamValue)>,
    /// Only a symptom ("can't sign in"); dropped when the message asks for something else.
    pub symptom: bool,
}

/// Who an intent is about, as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    /// Words that may name people (resolution finds the names among them).
    pub phrase: Vec<Token>,
    pub self_ref: SelfRef,
    /// "he", "her", "it", "them", "this user": someone named earlier.
    pub pronoun: bool,
    /// "the ones on this list", "the attached file".
    pub list: bool,
}

/// How the requester refers to themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SelfRef {
    #[default]
    None,
    /// "I", "show me": the requester, unless someone else is named.
    Weak,
    /// "my", "myself", "for me": the requester.
    Strong,
}

/// A parameter value as written.
#[derive(Debug, Clone)]
pub(crate) enum ParamValue {
    Text(String),
    Texts(Vec<String>),
    Number(i64),
    Bool(bool),
    /// A person to resolve to a UPN (`manager`, `deliver_to`).
    Person(Subject),
    /// `deliver_to` the target's manager.
    TargetsManager,
    /// A group name to resolve.
    Group(String),
    /// A department name to resolve.
    Department(String),
}

/// Segments start at a conjunction followed by one of these concepts (or words).
const SEGMENT_START_LEMMAS: &[&str] = &[
    "reset",
    "change",
    "set",
    "update",
    "unlock",
    "unblock",
    "revoke",
    "disable",
    "enable",
    "create",
    "show",
    "find",
    "list",
    "add",
    "remove",
    "delete",
    "request",
    "investigate",
    "diagnose",
    "check",
    "issue",
    "generate",
    "sign",
    "dismiss",
    "join",
];
const SEGMENT_START_WORDS: &[&str] = &[
    "who", "which", "what", "is", "does", "review", "identify", "require", "give", "tell", "move",
    "make", "can", "could", "please",
];
const CONNECTORS: &[&str] = &["and", "then", "also", "plus", "&", ",", "but"];

/// Understands `text` with its attachments.
pub(crate) fn understand(text: &str, attachments: &[Attachment]) -> Understanding {
    let mut understanding = Understanding::default();
    for attachment in attachments {
        match &attachment.content {
            AttachmentContent::Text(body) => {
                understanding
                    .list
                    .extend(crate::request::list_entries(body));
            }
            AttachmentContent::Image => {
                if understanding.photo.is_none() {
                    understanding.photo = Some(attachment.path.clone());
                }
            }
            AttachmentContent::Other => {}
        }
    }
    if let Some(reason) = refusal::refuse_raw(text) {
        understanding.refusal = Some(reason);
        return understanding;
    }
    let tokens = tokenize(text);
    let lemmas: Vec<Option<&'static str>> = tokens.iter().map(token_lemma).collect();
    if let Some(reason) = refusal::refuse_words(&tokens, &lemmas) {
        understanding.refusal = Some(reason);
        return understanding;
    }
    let has_list = !understanding.list.is_empty();
    let mut loose: Vec<(usize, &'static str, ParamValue)> = Vec::new();
    for (index, (segment_tokens, segment_lemmas)) in
        segments(&tokens, &lemmas).into_iter().enumerate()
    {
        let mut segment = Segment::new(segment_tokens, segment_lemmas);
        let actions = detect(&mut segment);
        if !actions.is_empty()
            && actions.iter().any(|(a, _)| a.is_change())
            && refusal::bulk_write(segment.tokens, &segment.lemmas)
            && !segment.mentions_list()
        {
            understanding.refusal = Some(
                "I won't change everyone's accounts at once; name the people, or attach a list \
                 of them."
                    .into(),
            );
            return understanding;
        }
        if actions.is_empty() {
            for (key, value) in params::loose(&mut segment) {
                loose.push((index, key, value));
            }
        }
        let mut per_action = Vec::new();
        for (action, symptom) in actions {
            let params = params::extract(&mut segment, action);
            per_action.push((action, symptom, params));
        }
        let subject = segment.subject(has_list);
        understanding.phrases.push(subject.phrase.clone());
        understanding
            .self_named
            .push(subject.self_ref == SelfRef::Strong);
        for (action, symptom, params) in per_action {
            understanding.intents.push(Intent {
                action,
                segment: index,
                subject: subject.clone(),
                params,
                symptom,
            });
        }
    }
    if understanding.intents.is_empty() {
        understanding.refusal = Some(refusal::off_topic());
    }
    attach_loose(&mut understanding.intents, loose);
    understanding
}

/// Gives each parameter found outside any action to the nearest intent (earlier first) that
/// takes it and has none yet.
fn attach_loose(intents: &mut [Intent], loose: Vec<(usize, &'static str, ParamValue)>) {
    for (segment, key, value) in loose {
        let accepts = |intent: &Intent| {
            intent.action.allowed_params().contains(&key)
                && !intent.params.iter().any(|(k, _)| *k == key)
        };
        let earlier = intents
            .iter()
            .rposition(|intent| intent.segment < segment && accepts(intent));
        let chosen = earlier.or_else(|| intents.iter().position(accepts));
        if let Some(index) = chosen {
            intents[index].params.push((key, value));
        }
    }
}

fn token_lemma(token: &Token) -> Option<&'static str> {
    match token.kind {
        TokenKind::Word => lemma(&token.lower),
        _ => None,
    }
}

/// Cuts the tokens into segments: at sentence ends, and at conjunctions that start a new verb.
fn segments<'t>(
    tokens: &'t [Token],
    lemmas: &[Option<&'static str>],
) -> Vec<(&'t [Token], Vec<Option<&'static str>>)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let push = |from: usize, to: usize, out: &mut Vec<(&'t [Token], Vec<_>)>| {
        if from < to {
            out.push((&tokens[from..to], lemmas[from..to].to_vec()));
        }
    };
    while i < tokens.len() {
        let token = &tokens[i];
        let ends_sentence = token.kind == TokenKind::Punct
            && matches!(
                token.text.as_str(),
                "." | "?" | "!" | ";" | "\n" | "\u{2014}" | "\u{2013}" | "-" | "(" | ")"
            );
        if ends_sentence {
            push(start, i, &mut out);
            start = i + 1;
            i += 1;
            continue;
        }
        let is_connector =
            CONNECTORS.contains(&token.lower.as_str()) && token.kind != TokenKind::Quoted;
        if is_connector && i > start {
            let mut next = i + 1;
            while next < tokens.len()
                && (CONNECTORS.contains(&tokens[next].lower.as_str())
                    || matches!(tokens[next].lower.as_str(), "please" | "pls" | "kindly"))
            {
                next += 1;
            }
            if next < tokens.len() && starts_segment(&tokens[next], lemmas[next]) {
                push(start, i, &mut out);
                start = next;
                i = next;
                continue;
            }
        }
        i += 1;
    }
    push(start, tokens.len(), &mut out);
    out
}

fn starts_segment(token: &Token, lemma: Option<&'static str>) -> bool {
    token.kind == TokenKind::Word
        && (lemma.is_some_and(|l| SEGMENT_START_LEMMAS.contains(&l))
            || SEGMENT_START_WORDS.contains(&token.lower.as_str()))
}

/// A segment being analysed: its tokens, their concepts, and which tokens are spoken for.
pub(crate) struct Segment<'t> {
    pub tokens: &'t [Token],
    pub lemmas: Vec<Option<&'static str>>,
    pub used: Vec<bool>,
}

impl<'t> Segment<'t> {
    fn new(tokens: &'t [Token], lemmas: Vec<Option<&'static str>>) -> Segment<'t> {
        let used = vec![false; tokens.len()];
        Segment {
            tokens,
            lemmas,
            used,
        }
    }

    pub(crate) fn has(&self, lemma: &str) -> bool {
        self.lemmas.contains(&Some(lemma))
    }

    pub(crate) fn find(&self, lemma: &str) -> Option<usize> {
        self.lemmas.iter().position(|l| *l == Some(lemma))
    }

    pub(crate) fn has_word(&self, word: &str) -> bool {
        self.find_word(word).is_some()
    }

    pub(crate) fn find_word(&self, word: &str) -> Option<usize> {
        self.tokens
            .iter()
            .position(|t| t.kind != TokenKind::Quoted && t.lower == word)
    }

    pub(crate) fn word(&self, at: usize) -> &str {
        self.tokens.get(at).map_or("", |t| t.lower.as_str())
    }

    pub(crate) fn lemma(&self, at: usize) -> Option<&'static str> {
        self.lemmas.get(at).copied().flatten()
    }

    pub(crate) fn quoted(&self) -> bool {
        self.tokens.iter().any(|t| t.kind == TokenKind::Quoted)
    }

    fn mentions_list(&self) -> bool {
        self.tokens.iter().enumerate().any(|(at, t)| {
            matches!(
                t.lower.as_str(),
                "file" | "attached" | "attachment" | "csv" | "spreadsheet" | "ones" | "following"
            ) || (t.lower == "list"
                && at > 0
                && matches!(
                    self.word(at - 1),
                    "this" | "the" | "that" | "attached" | "my" | "our"
                ))
        })
    }

    /// Marks the tokens in `range` as spoken for.
    pub(crate) fn take(&mut self, range: std::ops::Range<usize>) {
        for at in range {
            if let Some(used) = self.used.get_mut(at) {
                *used = true;
            }
        }
    }

    /// Who the segment is about, from the tokens nothing else took.
    fn subject(&self, has_list: bool) -> Subject {
        let mut subject = Subject {
            list: self.mentions_list() && has_list,
            ..Subject::default()
        };
        let mut at = 0;
        while at < self.tokens.len() {
            let token = &self.tokens[at];
            if self.used[at] {
                at += 1;
                continue;
            }
            let word = token.lower.as_str();
            let previous = if at > 0 { self.word(at - 1) } else { "" };
            let next = self.word(at + 1);
            if token.kind == TokenKind::Word || token.kind == TokenKind::Number {
                match word {
                    "my" | "our"
                        if matches!(
                            next,
                            "colleague"
                                | "coworker"
                                | "co-worker"
                                | "teammate"
                                | "friend"
                                | "report"
                                | "employee"
                                | "user"
                                | "intern"
                                | "assistant"
                        ) =>
                    {
                        at += 2;
                        continue;
                    }
                    "my" | "myself" | "mine" => subject.self_ref = SelfRef::Strong,
                    "me" => {
                        let weak = matches!(
                            previous,
                            "show"
                                | "tell"
                                | "give"
                                | "get"
                                | "send"
                                | "let"
                                | "help"
                                | "find"
                                | "list"
                                | "pull"
                                | "fetch"
                                | "display"
                                | "remind"
                        );
                        if weak {
                            subject.self_ref = subject.self_ref.max_with(SelfRef::Weak);
                        } else {
                            subject.self_ref = SelfRef::Strong;
                        }
                    }
                    "i" | "i'm" | "i've" | "i'd" | "im" | "ive" | "i'll" => {
                        subject.self_ref = subject.self_ref.max_with(SelfRef::Weak);
                    }
                    "he" | "him" | "his" | "she" | "her" | "hers" | "they" | "them" | "their"
                    | "it" | "its" | "he's" | "she's" | "they're" | "himself" | "herself" => {
                        subject.pronoun = true;
                    }
                    "this" | "that" | "same" | "these" | "those"
                        if matches!(
                            next,
                            "user"
                                | "person"
                                | "account"
                                | "guy"
                                | "one"
                                | "people"
                                | "users"
                                | "accounts"
                                | "employees"
                                | "ones"
                        ) =>
                    {
                        subject.pronoun = true;
                        if matches!(word, "these" | "those") && has_list {
                            subject.list = true;
                        }
                    }
                    _ => {
                        let mut token = token.clone();
                        if at == 0 {
                            token.capitalized = false;
                        }
                        subject.phrase.push(token);
                    }
                }
            } else {
                subject.phrase.push(token.clone());
            }
            at += 1;
        }
        subject
    }
}

impl SelfRef {
    fn max_with(self, other: SelfRef) -> SelfRef {
        match (self, other) {
            (SelfRef::Strong, _) | (_, SelfRef::Strong) => SelfRef::Strong,
            (SelfRef::Weak, _) | (_, SelfRef::Weak) => SelfRef::Weak,
            _ => SelfRef::None,
        }
    }
}
