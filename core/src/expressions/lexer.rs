//! Turns the text of one expression (between `${` and `}`) into tokens.
//!
//! Word operators (`and`, `eq`, `matches`, …) stay names here: whether `lt` is an operator or
//! a property depends on where it stands, which only the parser knows.

use serde_json::Number;

use super::error::SyntaxError;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// Byte offsets into the expression.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    Number(Number),
    /// A quoted string, with doubled quotes already undone.
    Text(String),
    Name(String),
    /// `#name`: a function or a variable such as `#root`.
    Hash(String),
    Dot,
    /// `?.`
    SafeDot,
    OpenBracket,
    CloseBracket,
    OpenParen,
    CloseParen,
    OpenBrace,
    CloseBrace,
    Comma,
    Colon,
    Question,
    /// `?:`
    Elvis,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqualEqual,
    NotEqual,
    Less,
    Greater,
    LessEqual,
    GreaterEqual,
    AndAnd,
    OrOr,
    Bang,
    End,
}

/// The byte offset just past the string literal whose opening quote is at `open`, or `None`
/// when it is never closed. SpEL has no backslash escapes: a quote is doubled (`'it''s'`),
/// which reads as two adjacent literals here and is joined by the caller.
pub(super) fn string_end(text: &str, open: usize) -> Option<usize> {
    let quote = text[open..].chars().next()?;
    let mut at = open + quote.len_utf8();
    loop {
        let close = at + text[at..].find(quote)?;
        at = close + quote.len_utf8();
        if !text[at..].starts_with(quote) {
            return Some(at);
        }
        at += quote.len_utf8();
    }
}

/// All tokens of `source`, ending with [`TokenKind::End`].
pub(super) fn tokens(source: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = source[at..].chars().next() {
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        let (kind, end) = token_at(source, at, c)?;
        tokens.push(Token {
            kind,
            start: at,
            end,
        });
        at = end;
    }
    // The end sits right after the last token, so "expected … after" points there and not
    // past trailing spaces.
    let end = source.trim_end().len();
    tokens.push(Token {
        kind: TokenKind::End,
        start: end,
        end,
    });
    Ok(tokens)
}

fn token_at(source: &str, start: usize, c: char) -> Result<(TokenKind, usize), SyntaxError> {
    let rest = &source[start..];
    let next = rest[c.len_utf8()..].chars().next();
    if c == '\'' || c == '"' {
        return string(source, start, c);
    }
    if c.is_ascii_digit() {
        return number(source, start);
    }
    if is_name_start(c) {
        let end = name_end(source, start);
        return Ok((TokenKind::Name(source[start..end].to_string()), end));
    }
    if c == '#' {
        let name_start = start + 1;
        let end = name_end(source, name_start);
        if end == name_start {
            return Err(SyntaxError::new(
                start,
                "expected a function name after \"#\", as in #toInt(…)",
            ));
        }
        return Ok((TokenKind::Hash(source[name_start..end].to_string()), end));
    }
    let two = match (c, next) {
        ('?', Some('.')) => Some(TokenKind::SafeDot),
        ('?', Some(':')) => Some(TokenKind::Elvis),
        ('=', Some('=')) => Some(TokenKind::EqualEqual),
        ('!', Some('=')) => Some(TokenKind::NotEqual),
        ('<', Some('=')) => Some(TokenKind::LessEqual),
        ('>', Some('=')) => Some(TokenKind::GreaterEqual),
        ('&', Some('&')) => Some(TokenKind::AndAnd),
        ('|', Some('|')) => Some(TokenKind::OrOr),
        _ => None,
    };
    if let Some(kind) = two {
        return Ok((kind, start + 2));
    }
    let one = match c {
        '.' => TokenKind::Dot,
        '[' => TokenKind::OpenBracket,
        ']' => TokenKind::CloseBracket,
        '(' => TokenKind::OpenParen,
        ')' => TokenKind::CloseParen,
        '{' => TokenKind::OpenBrace,
        '}' => TokenKind::CloseBrace,
        ',' => TokenKind::Comma,
        ':' => TokenKind::Colon,
        '?' if next == Some('[') => return Err(unsupported_selection(start)),
        '?' => TokenKind::Question,
        '+' => TokenKind::Plus,
        '-' => TokenKind::Minus,
        '*' => TokenKind::Star,
        '/' => TokenKind::Slash,
        '%' => TokenKind::Percent,
        '<' => TokenKind::Less,
        '>' => TokenKind::Greater,
        '!' if next == Some('[') => return Err(unsupported_selection(start)),
        '!' => TokenKind::Bang,
        _ => return Err(SyntaxError::new(start, unexpected_character(c))),
    };
    Ok((one, start + c.len_utf8()))
}

fn unsupported_selection(at: usize) -> SyntaxError {
    SyntaxError::new(
        at,
        "collection selection and projection (?[…], ![…]) are not supported",
    )
}

fn unexpected_character(c: char) -> String {
    match c {
        '=' => "use == to compare (= would assign, which expressions cannot do)".to_string(),
        '&' => "use && (or \"and\") for \"and\"".to_string(),
        '|' => "use || (or \"or\") for \"or\"".to_string(),
        '^' => "^ (power) is not supported".to_string(),
        '@' => "bean references (@name) are not supported".to_string(),
        _ => format!("unexpected character {c:?}"),
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn name_end(source: &str, start: usize) -> usize {
    source[start..]
        .char_indices()
        .find(|&(i, c)| !(is_name_start(c) || (i > 0 && c.is_ascii_digit())))
        .map_or(source.len(), |(i, _)| start + i)
}

/// The error for a string literal whose opening quote at `offset` is never closed.
pub(super) fn unclosed_string(offset: usize, quote: char) -> SyntaxError {
    SyntaxError::new(offset, format!("this string has no closing {quote}"))
}

fn string(source: &str, start: usize, quote: char) -> Result<(TokenKind, usize), SyntaxError> {
    let end = string_end(source, start).ok_or_else(|| unclosed_string(start, quote))?;
    let inner = &source[start + 1..end - 1];
    let doubled = format!("{quote}{quote}");
    Ok((
        TokenKind::Text(inner.replace(&doubled, &quote.to_string())),
        end,
    ))
}

/// Integers (`42`), decimals (`1.5`) and exponents (`1e3`, `2.5E-2`).
fn number(source: &str, start: usize) -> Result<(TokenKind, usize), SyntaxError> {
    let digits_end = |from: usize| {
        source[from..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(source.len(), |i| from + i)
    };
    let mut end = digits_end(start);
    let mut is_integer = true;
    // A dot followed by a digit is a fraction; otherwise it is property access (`list[0].x`).
    if source[end..].starts_with('.') && source[end + 1..].starts_with(|c: char| c.is_ascii_digit())
    {
        end = digits_end(end + 1);
        is_integer = false;
    }
    if source[end..].starts_with(['e', 'E']) {
        let sign = usize::from(source[end + 1..].starts_with(['+', '-']));
        let exponent = end + 1 + sign;
        if source[exponent..].starts_with(|c: char| c.is_ascii_digit()) {
            end = digits_end(exponent);
            is_integer = false;
        }
    }
    let text = &source[start..end];
    let number = if is_integer {
        text.parse::<i64>().ok().map(Number::from)
    } else {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    };
    let number = number.ok_or_else(|| {
        SyntaxError::new(
            start,
            format!(
                "the number {text} is too large (whole numbers go up to {})",
                i64::MAX
            ),
        )
    })?;
    Ok((TokenKind::Number(number), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokens(source)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn reads_operators_names_and_literals() {
        use TokenKind::*;
        assert_eq!(
            kinds("a?.b ?: #toInt('it''s') >= 1.5e1"),
            vec![
                Name("a".into()),
                SafeDot,
                Name("b".into()),
                Elvis,
                Hash("toInt".into()),
                OpenParen,
                Text("it's".into()),
                CloseParen,
                GreaterEqual,
                Number(serde_json::Number::from_f64(15.0).unwrap()),
                End,
            ]
        );
    }

    #[test]
    fn a_dot_after_an_integer_is_property_access() {
        use TokenKind::*;
        assert_eq!(
            kinds("a[0].b"),
            vec![
                Name("a".into()),
                OpenBracket,
                Number(0.into()),
                CloseBracket,
                Dot,
                Name("b".into()),
                End
            ]
        );
    }

    #[test]
    fn string_end_skips_doubled_quotes() {
        assert_eq!(string_end("'a''b' x", 0), Some(6));
        assert_eq!(string_end("\"a\"\"\"", 0), Some(5));
        assert_eq!(string_end("'open", 0), None);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let error = |source: &str| tokens(source).unwrap_err();
        assert_eq!(
            error("a = 1").message,
            "use == to compare (= would assign, which expressions cannot do)"
        );
        assert_eq!(error("a & b").offset, 2);
        assert_eq!(error("'abc").message, "this string has no closing '");
        assert!(error("list.?[x > 1]").message.contains("not supported"));
        assert!(error("99999999999999999999").message.contains("too large"));
    }
}
