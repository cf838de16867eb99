//! Text primitives: the tokenizer (words, e-mail addresses, quoted strings, numbers,
//! punctuation, with possessives marked), [`fold`] for comparing names, and an edit distance for
//! typo tolerance. Knows nothing about actions or people.

/// The longest request the planner reads, in characters. Longer text is refused rather than
/// skimmed: a request nobody can read in one look is not one to act on.
pub const MAX_REQUEST_CHARS: usize = 4000;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters and digits, with inner `'`, `.`, `-`, `&`, `_` (`sign-in`, `john.smith`, `R&D`).
    Word,
    /// Something with an `@` and a dot after it.
    Email,
    /// Text between double quotes (or paired single quotes), without them.
    Quoted,
    /// Digits only.
    Number,
    /// Any other character that is not whitespace.
    Punct,
}

/// One token of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// As written (without a possessive `'s` and without quotes).
    pub text: String,
    /// Lower-case [`Token::text`].
    pub lower: String,
    pub kind: TokenKind,
    /// Followed by `'s` (or `'` after an `s`).
    pub possessive: bool,
    /// Starts with an upper-case letter.
    pub capitalized: bool,
}

impl Token {
    fn new(text: &str, kind: TokenKind, possessive: bool) -> Token {
        Token {
            text: text.to_owned(),
            lower: text.to_lowercase(),
            kind,
            possessive,
            capitalized: text.chars().next().is_some_and(char::is_uppercase),
        }
    }
}

/// Splits `text` into tokens. Never fails; unknown characters become punctuation.
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            tokens.push(Token::new("\n", TokenKind::Punct, false));
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if let Some(close) = closing_quote(c)
            && let Some(end) = find_close(&chars, i, close)
        {
            let inner: String = chars[i + 1..end].iter().collect();
            let inner = inner.trim();
            if !inner.is_empty() {
                let possessive = end + 2 < chars.len()
                    && is_apostrophe(chars[end + 1])
                    && chars[end + 2] == 's'
                    && !chars.get(end + 3).is_some_and(|c| c.is_alphanumeric());
                tokens.push(Token::new(inner, TokenKind::Quoted, possessive));
                i = end + 1 + if possessive { 2 } else { 0 };
            } else {
                i = end + 1;
            }
            continue;
        }
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() {
                let here = chars[i];
                let joins = is_inner(here)
                    && i + 1 < chars.len()
                    && chars[i + 1].is_alphanumeric()
                    && !(is_apostrophe(here) && is_possessive_s(&chars, i));
                if !(here.is_alphanumeric() || joins) {
                    break;
                }
                i += 1;
            }
            let mut word: String = chars[start..i].iter().collect();
            while word.ends_with('.') {
                word.pop();
            }
            let mut possessive = false;
            let contraction = matches!(
                word.to_lowercase().as_str(),
                "who" | "what" | "it" | "he" | "she" | "that" | "there" | "where" | "here" | "how"
            );
            if contraction
                && i + 1 < chars.len()
                && is_apostrophe(chars[i])
                && is_possessive_s(&chars, i)
            {
                tokens.push(Token::new(&word, TokenKind::Word, false));
                tokens.push(Token::new("is", TokenKind::Word, false));
                i += 2;
                continue;
            }
            if i + 1 < chars.len() && is_apostrophe(chars[i]) && is_possessive_s(&chars, i) {
                possessive = true;
                i += 2;
            } else if i < chars.len()
                && is_apostrophe(chars[i])
                && word.ends_with('s')
                && !chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())
            {
                possessive = true;
                i += 1;
            }
            let kind = if word.chars().all(|c| c.is_ascii_digit()) {
                TokenKind::Number
            } else if is_email(&word) {
                TokenKind::Email
            } else {
                TokenKind::Word
            };
            tokens.push(Token::new(&word, kind, possessive));
            continue;
        }
        let mut buffer = [0u8; 4];
        tokens.push(Token::new(
            c.encode_utf8(&mut buffer),
            TokenKind::Punct,
            false,
        ));
        i += 1;
    }
    tokens
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`')
}

fn is_inner(c: char) -> bool {
    is_apostrophe(c) || matches!(c, '.' | '-' | '&' | '_' | '@' | '+')
}

/// `chars[at]` is an apostrophe starting a possessive `'s` that ends the word.
fn is_possessive_s(chars: &[char], at: usize) -> bool {
    chars.get(at + 1).is_some_and(|c| *c == 's' || *c == 'S')
        && !chars.get(at + 2).is_some_and(|c| c.is_alphanumeric())
}

fn closing_quote(c: char) -> Option<char> {
    match c {
        '"' => Some('"'),
        '\u{201C}' => Some('\u{201D}'),
        '\u{201E}' => Some('\u{201C}'),
        '\u{00AB}' => Some('\u{00BB}'),
        '\'' => Some('\''),
        '\u{2018}' => Some('\u{2019}'),
        _ => None,
    }
}

/// The index of the quote closing the one at `open`, within one line and a sane length.
fn find_close(chars: &[char], open: usize, close: char) -> Option<usize> {
    let single = matches!(chars[open], '\'' | '\u{2018}');
    if single && open > 0 && chars[open - 1].is_alphanumeric() {
        return None;
    }
    for (offset, &c) in chars.iter().enumerate().skip(open + 1).take(120) {
        if c == '\n' {
            return None;
        }
        if c == close || (close == '\u{201D}' && c == '"') {
            if single && chars.get(offset + 1).is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            return Some(offset);
        }
    }
    None
}

fn is_email(word: &str) -> bool {
    match word.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

/// Lower-cases `text` and drops everything but letters, digits, `@` and `.`, so that
/// `"Finance-Admins"`, `"finance admins"` and `"FinanceAdmins"` compare equal, and
/// `"O'Brien"` equals `"obrien"`.
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || *c == '@' || *c == '.')
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), in chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in rows.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

/// How many edits a word of this many characters may carry and still count as a typo.
pub fn typo_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, TokenKind, bool)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.text, t.kind, t.possessive))
            .collect()
    }

    #[test]
    fn tokens() {
        let found = kinds("Reset Diego's sign-in for john.smith@contoso.com, \"SF HQ - Floor 4\".");
        let texts: Vec<&str> = found.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Reset",
                "Diego",
                "sign-in",
                "for",
                "john.smith@contoso.com",
                ",",
                "SF HQ - Floor 4",
                "."
            ]
        );
        assert!(found[1].2);
        assert_eq!(found[4].1, TokenKind::Email);
        assert_eq!(found[6].1, TokenKind::Quoted);
    }

    #[test]
    fn apostrophes() {
        let texts: Vec<String> = tokenize("Shane O'Brien's account, I can't")
            .into_iter()
            .map(|t| format!("{}{}", t.text, if t.possessive { "+s" } else { "" }))
            .collect();
        assert_eq!(texts, ["Shane", "O'Brien+s", "account", ",", "I", "can't"]);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("unlock", "unlcok"), 1);
        assert_eq!(edit_distance("password", "pasword"), 1);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(fold("Finance-Admins"), fold("finance admins"));
        assert_eq!(fold("O'Brien"), "obrien");
    }
}
