//! `$filter`: a parser for the OData subset Graph accepts on the resources we serve, and an
//! evaluator over an entity's JSON form.
//!
//! The parser never panics on any input; anything it does not understand is an error that the
//! caller turns into a 400, never a silently wrong answer.
//! String comparisons are case-insensitive, as they are for Entra directory objects.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        op: CompareOp,
        left: Operand,
        right: Operand,
    },
    In {
        left: Operand,
        list: Vec<Literal>,
    },
    Function {
        function: Function,
        subject: Operand,
        argument: Operand,
    },
    Lambda {
        path: Vec<String>,
        quantifier: Quantifier,
        variable: String,
        body: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Vec<String>),
    /// `path/$count`.
    Count(Vec<String>),
    Literal(Literal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
    DateTime(OffsetDateTime),
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// Not valid OData syntax.
    Syntax { position: usize, detail: String },
    /// Valid syntax that Graph does not support here (unknown function, operator...).
    Unsupported(String),
}

/// Whether a filter uses operators that Graph treats as "advanced queries" on directory objects
/// (they need `ConsistencyLevel: eventual`).
pub fn is_advanced(expr: &Expr) -> bool {
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => is_advanced(a) || is_advanced(b),
        Expr::Not(_) => true,
        Expr::Compare { op, left, right } => {
            *op == CompareOp::Ne
                || matches!(left, Operand::Count(_))
                || matches!(right, Operand::Count(_))
        }
        Expr::In { .. } => false,
        Expr::Function { function, .. } => *function == Function::EndsWith,
        Expr::Lambda { body, .. } => is_advanced(body),
    }
}

/// The top-level property names a filter refers to (lambda variables excluded).
pub fn referenced_properties(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    collect_properties(expr, &mut Vec::new(), &mut out);
    out
}

fn collect_properties(expr: &Expr, bound: &mut Vec<String>, out: &mut Vec<String>) {
    let operand = |operand: &Operand, bound: &Vec<String>, out: &mut Vec<String>| {
        if let Operand::Path(path) | Operand::Count(path) = operand
            && let Some(first) = path.first()
            && !bound.contains(first)
        {
            out.push(first.clone());
        }
    };
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => {
            collect_properties(a, bound, out);
            collect_properties(b, bound, out);
        }
        Expr::Not(inner) => collect_properties(inner, bound, out),
        Expr::Compare { left, right, .. } => {
            operand(left, bound, out);
            operand(right, bound, out);
        }
        Expr::In { left, .. } => operand(left, bound, out),
        Expr::Function {
            subject, argument, ..
        } => {
            operand(subject, bound, out);
            operand(argument, bound, out);
        }
        Expr::Lambda {
            path,
            variable,
            body,
            ..
        } => {
            if let Some(first) = path.first()
                && !bound.contains(first)
            {
                out.push(first.clone());
            }
            bound.push(variable.clone());
            collect_properties(body, bound, out);
            bound.pop();
        }
    }
}

/// Parses a `$filter` value (already percent-decoded).
pub fn parse(input: &str) -> Result<Expr, FilterError> {
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        depth: 0,
    };
    let expr = parser.expression()?;
    if let Some(token) = parser.peek() {
        return Err(parser.syntax(format!("unexpected '{}'", token.text())));
    }
    Ok(expr)
}

/// Evaluates a filter against an entity's JSON form.
pub fn matches(expr: &Expr, entity: &Value) -> bool {
    let mut scope = Vec::new();
    evaluate(expr, entity, &mut scope)
}

// ------------------------------------------------------------------------------------------
// Tokens
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Identifier(String, usize),
    String(String, usize),
    Number(f64, usize),
    DateTime(OffsetDateTime, usize),
    Open(usize),
    Close(usize),
    Comma(usize),
    Colon(usize),
}

impl Token {
    fn position(&self) -> usize {
        match self {
            Token::Identifier(_, p)
            | Token::String(_, p)
            | Token::Number(_, p)
            | Token::DateTime(_, p)
            | Token::Open(p)
            | Token::Close(p)
            | Token::Comma(p)
            | Token::Colon(p) => *p,
        }
    }

    fn text(&self) -> String {
        match self {
            Token::Identifier(s, _) => s.clone(),
            Token::String(s, _) => format!("'{s}'"),
            Token::Number(n, _) => n.to_string(),
            Token::DateTime(d, _) => d.format(&Rfc3339).unwrap_or_default(),
            Token::Open(_) => "(".into(),
            Token::Close(_) => ")".into(),
            Token::Comma(_) => ",".into(),
            Token::Colon(_) => ":".into(),
        }
    }
}

/// Deepest nesting accepted; beyond it the filter is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let (position, c) = chars[index];
        match c {
            c if c.is_whitespace() => index += 1,
            '(' => {
                tokens.push(Token::Open(position));
                index += 1;
            }
            ')' => {
                tokens.push(Token::Close(position));
                index += 1;
            }
            ',' => {
                tokens.push(Token::Comma(position));
                index += 1;
            }
            ':' => {
                tokens.push(Token::Colon(position));
                index += 1;
            }
            '\'' => {
                let mut value = String::new();
                index += 1;
                loop {
                    match chars.get(index) {
                        None => {
                            return Err(FilterError::Syntax {
                                position,
                                detail: "unterminated string literal".into(),
                            });
                        }
                        Some((_, '\'')) => {
                            if matches!(chars.get(index + 1), Some((_, '\''))) {
                                value.push('\'');
                                index += 2;
                            } else {
                                index += 1;
                                break;
                            }
                        }
                        Some((_, other)) => {
                            value.push(*other);
                            index += 1;
                        }
                    }
                }
                tokens.push(Token::String(value, position));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = index;
                index += 1;
                while let Some((_, next)) = chars.get(index) {
                    if next.is_ascii_alphanumeric() || matches!(next, ':' | '.' | '-' | '+') {
                        // A colon only belongs to a datetime (after 'T'), never to a lambda.
                        if *next == ':' && !chars[start..index].iter().any(|(_, c)| *c == 'T') {
                            break;
                        }
                        index += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[start..index].iter().map(|(_, c)| c).collect();
                if let Ok(datetime) = OffsetDateTime::parse(&text, &Rfc3339) {
                    tokens.push(Token::DateTime(datetime, position));
                } else if let Ok(number) = text.parse::<f64>() {
                    if !number.is_finite() {
                        return Err(FilterError::Syntax {
                            position,
                            detail: format!("'{text}' is not a valid number"),
                        });
                    }
                    tokens.push(Token::Number(number, position));
                } else {
                    return Err(FilterError::Syntax {
                        position,
                        detail: format!("'{text}' is not a valid literal"),
                    });
                }
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = index;
                while let Some((_, next)) = chars.get(index) {
                    if next.is_alphanumeric() || matches!(next, '_' | '$' | '/' | '.') {
                        index += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[start..index].iter().map(|(_, c)| c).collect();
                tokens.push(Token::Identifier(text, position));
            }
            other => {
                return Err(FilterError::Syntax {
                    position,
                    detail: format!("unexpected character '{other}'"),
                });
            }
        }
    }
    Ok(tokens)
}

// ------------------------------------------------------------------------------------------
// Parser
// ------------------------------------------------------------------------------------------

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn syntax(&self, detail: String) -> FilterError {
        let position = self
            .peek()
            .map(Token::position)
            .or_else(|| self.tokens.last().map(Token::position))
            .unwrap_or(0);
        FilterError::Syntax { position, detail }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Identifier(text, _)) if text == word)
    }

    fn expect_open(&mut self) -> Result<(), FilterError> {
        match self.next() {
            Some(Token::Open(_)) => Ok(()),
            _ => Err(self.syntax("expected '('".into())),
        }
    }

    fn expect_close(&mut self) -> Result<(), FilterError> {
        match self.next() {
            Some(Token::Close(_)) => Ok(()),
            _ => Err(self.syntax("expected ')'".into())),
        }
    }

    fn expression(&mut self) -> Result<Expr, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::Unsupported(
                "The filter is nested too deeply.".into(),
            ));
        }
        let result = self.or_expression();
        self.depth -= 1;
        result
    }

    fn or_expression(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and_expression()?;
        while self.keyword("or") {
            self.position += 1;
            let right = self.and_expression()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expression(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.position += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.keyword("not") {
            self.position += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(FilterError::Unsupported(
                    "The filter is nested too deeply.".into(),
                ));
            }
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        // Parenthesised boolean expression.
        if matches!(self.peek(), Some(Token::Open(_))) {
            self.position += 1;
            let inner = self.expression()?;
            self.expect_close()?;
            return Ok(inner);
        }
        // Function call or lambda.
        if let Some(Token::Identifier(name, _)) = self.peek().cloned()
            && matches!(self.tokens.get(self.position + 1), Some(Token::Open(_)))
        {
            if let Some(path) = name
                .strip_suffix("/any")
                .map(|p| (p, Quantifier::Any))
                .or_else(|| name.strip_suffix("/all").map(|p| (p, Quantifier::All)))
            {
                return self.lambda(path.0, path.1);
            }
            return self.function(&name);
        }
        let left = self.operand()?;
        let op = match self.next() {
            Some(Token::Identifier(word, _)) => match word.as_str() {
                "eq" => CompareOp::Eq,
                "ne" => CompareOp::Ne,
                "gt" => CompareOp::Gt,
                "ge" => CompareOp::Ge,
                "lt" => CompareOp::Lt,
                "le" => CompareOp::Le,
                "in" => return self.in_list(left),
                "has" | "add" | "sub" | "mul" | "div" | "mod" => {
                    return Err(FilterError::Unsupported(format!(
                        "The operator '{word}' is not supported."
                    )));
                }
                other => {
                    self.position -= 1;
                    return Err(self.syntax(format!("expected an operator, found '{other}'")));
                }
            },
            Some(other) => {
                self.position -= 1;
                return Err(self.syntax(format!("expected an operator, found '{}'", other.text())));
            }
            None => return Err(self.syntax("expected an operator".into())),
        };
        let right = self.operand()?;
        Ok(Expr::Compare { op, left, right })
    }

    fn in_list(&mut self, left: Operand) -> Result<Expr, FilterError> {
        self.expect_open()?;
        let mut list = Vec::new();
        loop {
            match self.operand()? {
                Operand::Literal(literal) => list.push(literal),
                _ => return Err(self.syntax("'in' takes a list of literals".into())),
            }
            match self.next() {
                Some(Token::Comma(_)) => continue,
                Some(Token::Close(_)) => break,
                _ => return Err(self.syntax("expected ',' or ')'".into())),
            }
        }
        Ok(Expr::In { left, list })
    }

    fn function(&mut self, name: &str) -> Result<Expr, FilterError> {
        let function = match name {
            "startswith" | "startsWith" => Function::StartsWith,
            "endswith" | "endsWith" => Function::EndsWith,
            other => {
                return Err(FilterError::Unsupported(format!(
                    "An unknown or unsupported function with name '{other}' was found."
                )));
            }
        };
        self.position += 1; // the name
        self.expect_open()?;
        let subject = self.operand()?;
        match self.next() {
            Some(Token::Comma(_)) => {}
            _ => return Err(self.syntax("expected ','".into())),
        }
        let argument = self.operand()?;
        self.expect_close()?;
        Ok(Expr::Function {
            function,
            subject,
            argument,
        })
    }

    fn lambda(&mut self, path: &str, quantifier: Quantifier) -> Result<Expr, FilterError> {
        self.position += 1; // the path
        self.expect_open()?;
        let variable = match self.next() {
            Some(Token::Identifier(name, _)) if !name.contains('/') => name,
            _ => return Err(self.syntax("expected a lambda variable".into())),
        };
        match self.next() {
            Some(Token::Colon(_)) => {}
            _ => return Err(self.syntax("expected ':'".into())),
        }
        let body = self.expression()?;
        self.expect_close()?;
        Ok(Expr::Lambda {
            path: split_path(path)?,
            quantifier,
            variable,
            body: Box::new(body),
        })
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        match self.next() {
            Some(Token::String(value, _)) => Ok(Operand::Literal(Literal::String(value))),
            Some(Token::Number(value, _)) => Ok(Operand::Literal(Literal::Number(value))),
            Some(Token::DateTime(value, _)) => Ok(Operand::Literal(Literal::DateTime(value))),
            Some(Token::Identifier(word, _)) => match word.as_str() {
                "true" => Ok(Operand::Literal(Literal::Bool(true))),
                "false" => Ok(Operand::Literal(Literal::Bool(false))),
                "null" => Ok(Operand::Literal(Literal::Null)),
                "and" | "or" | "not" | "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "in" => {
                    self.position -= 1;
                    Err(self.syntax(format!("expected a value, found '{word}'")))
                }
                _ => {
                    if let Some(path) = word.strip_suffix("/$count") {
                        Ok(Operand::Count(split_path(path)?))
                    } else {
                        Ok(Operand::Path(split_path(&word)?))
                    }
                }
            },
            Some(other) => {
                self.position -= 1;
                Err(self.syntax(format!("expected a value, found '{}'", other.text())))
            }
            None => Err(self.syntax("expected a value".into())),
        }
    }
}

fn split_path(path: &str) -> Result<Vec<String>, FilterError> {
    let segments: Vec<String> = path.split('/').map(str::to_string).collect();
    if segments.iter().any(|s| s.is_empty() || s.contains('$')) {
        return Err(FilterError::Unsupported(format!(
            "The property path '{path}' is not supported."
        )));
    }
    Ok(segments)
}

// ------------------------------------------------------------------------------------------
// Evaluation
// ------------------------------------------------------------------------------------------

fn evaluate<'a>(expr: &Expr, entity: &'a Value, scope: &mut Vec<(String, &'a Value)>) -> bool {
    match expr {
        Expr::Or(a, b) => evaluate(a, entity, scope) || evaluate(b, entity, scope),
        Expr::And(a, b) => evaluate(a, entity, scope) && evaluate(b, entity, scope),
        Expr::Not(inner) => !evaluate(inner, entity, scope),
        Expr::Compare { op, left, right } => {
            let left = resolve(left, entity, scope);
            let right = resolve(right, entity, scope);
            compare(*op, &left, &right)
        }
        Expr::In { left, list } => {
            let left = resolve(left, entity, scope);
            list.iter().any(|item| {
                compare(
                    CompareOp::Eq,
                    &left,
                    &Resolved::Literal(std::borrow::Cow::Borrowed(item)),
                )
            })
        }
        Expr::Function {
            function,
            subject,
            argument,
        } => {
            let subject = resolve(subject, entity, scope);
            let argument = resolve(argument, entity, scope);
            let (Some(subject), Some(argument)) = (subject.as_str(), argument.as_str()) else {
                return false;
            };
            let subject = subject.to_lowercase();
            let argument = argument.to_lowercase();
            match function {
                Function::StartsWith => subject.starts_with(&argument),
                Function::EndsWith => subject.ends_with(&argument),
            }
        }
        Expr::Lambda {
            path,
            quantifier,
            variable,
            body,
        } => {
            let Some(Value::Array(items)) = lookup(path, entity, scope) else {
                return *quantifier == Quantifier::All;
            };
            let mut check = |item: &'a Value| {
                scope.push((variable.clone(), item));
                let result = evaluate(body, entity, scope);
                scope.pop();
                result
            };
            match quantifier {
                Quantifier::Any => items.iter().any(&mut check),
                Quantifier::All => items.iter().all(&mut check),
            }
        }
    }
}

enum Resolved<'a> {
    Value(Option<&'a Value>),
    Count(Option<usize>),
    Literal(std::borrow::Cow<'a, Literal>),
}

impl Resolved<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Resolved::Value(Some(Value::String(s))) => Some(s),
            Resolved::Literal(literal) => match literal.as_ref() {
                Literal::String(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
}

fn resolve<'a>(
    operand: &'a Operand,
    entity: &'a Value,
    scope: &[(String, &'a Value)],
) -> Resolved<'a> {
    match operand {
        Operand::Path(path) => Resolved::Value(lookup(path, entity, scope)),
        Operand::Count(path) => Resolved::Count(match lookup(path, entity, scope) {
            Some(Value::Array(items)) => Some(items.len()),
            _ => None,
        }),
        Operand::Literal(literal) => Resolved::Literal(std::borrow::Cow::Borrowed(literal)),
    }
}

fn lookup<'a>(
    path: &[String],
    entity: &'a Value,
    scope: &[(String, &'a Value)],
) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut current = match scope.iter().rev().find(|(name, _)| name == first) {
        Some((_, value)) => *value,
        None => entity.get(first)?,
    };
    for segment in rest {
        current = current.get(segment)?;
    }
    Some(current)
}

/// A comparable view of either side.
#[derive(Debug)]
enum Comparable {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    Instant(OffsetDateTime),
    Unknown,
}

fn comparable(resolved: &Resolved<'_>) -> Comparable {
    match resolved {
        Resolved::Value(None) | Resolved::Count(None) => Comparable::Null,
        Resolved::Count(Some(n)) => Comparable::Number(*n as f64),
        Resolved::Value(Some(value)) => match value {
            Value::Null => Comparable::Null,
            Value::Bool(b) => Comparable::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Comparable::Unknown, Comparable::Number),
            Value::String(s) => Comparable::Text(s.clone()),
            _ => Comparable::Unknown,
        },
        Resolved::Literal(literal) => match literal.as_ref() {
            Literal::Null => Comparable::Null,
            Literal::Bool(b) => Comparable::Bool(*b),
            Literal::Number(n) => Comparable::Number(*n),
            Literal::String(s) => Comparable::Text(s.clone()),
            Literal::DateTime(d) => Comparable::Instant(*d),
        },
    }
}

fn compare(op: CompareOp, left: &Resolved<'_>, right: &Resolved<'_>) -> bool {
    use std::cmp::Ordering;
    let left = comparable(left);
    let right = comparable(right);
    let ordering: Option<Ordering> = match (&left, &right) {
        (Comparable::Null, Comparable::Null) => Some(Ordering::Equal),
        (Comparable::Null, _) | (_, Comparable::Null) => None,
        (Comparable::Bool(a), Comparable::Bool(b)) => Some(a.cmp(b)),
        (Comparable::Number(a), Comparable::Number(b)) => a.partial_cmp(b),
        (Comparable::Text(a), Comparable::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Comparable::Text(text), Comparable::Instant(instant)) => {
            OffsetDateTime::parse(text, &Rfc3339)
                .ok()
                .map(|parsed| parsed.cmp(instant))
        }
        (Comparable::Instant(instant), Comparable::Text(text)) => {
            OffsetDateTime::parse(text, &Rfc3339)
                .ok()
                .map(|parsed| instant.cmp(&parsed))
        }
        (Comparable::Instant(a), Comparable::Instant(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        CompareOp::Eq => ordering == Some(Ordering::Equal),
        CompareOp::Ne => ordering != Some(Ordering::Equal),
        CompareOp::Gt => ordering == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Lt => ordering == Some(Ordering::Less),
        CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests;
