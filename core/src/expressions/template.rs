//! Finds the `${…}` expressions in a template string, between the text around them.
//!
//! An expression ends at the first `}` that closes neither an inline list or map (`{1, 2}`)
//! nor sits inside a string literal, so `${ 'a}b' }` and `${ {a: 1}.a }` are one expression
//! each. There is no escape for `${`: like Spinnaker, every `${` starts an expression.

use super::error::{ExpressionError, SyntaxError};
use super::lexer::{string_end, unclosed_string};

/// Where an expression starts.
pub(super) const OPENING: &str = "${";

pub(super) enum Segment<'t> {
    Text(&'t str),
    Expression(Embedded<'t>),
}

/// One `${…}` of a template.
#[derive(Debug, Clone, Copy)]
pub(super) struct Embedded<'t> {
    /// The whole `${…}` as written, for messages.
    pub written: &'t str,
    /// The expression: the text between `${` and `}`.
    pub source: &'t str,
}

/// The template cut into text and expressions, in order.
pub(super) fn segments(template: &str) -> Result<Vec<Segment<'_>>, ExpressionError> {
    let mut segments = Vec::new();
    let mut text_start = 0;
    while let Some(found) = template[text_start..].find(OPENING) {
        let open = text_start + found;
        if open > text_start {
            segments.push(Segment::Text(&template[text_start..open]));
        }
        let source_start = open + OPENING.len();
        let rest = &template[source_start..];
        let close = closing_brace(rest)
            .map_err(|error| ExpressionError::syntax(&template[open..], rest, error))?;
        let close = source_start + close;
        segments.push(Segment::Expression(Embedded {
            written: &template[open..=close],
            source: &template[source_start..close],
        }));
        text_start = close + 1;
    }
    if text_start < template.len() {
        segments.push(Segment::Text(&template[text_start..]));
    }
    Ok(segments)
}

/// The byte offset in `rest` of the `}` that ends the expression it starts with.
fn closing_brace(rest: &str) -> Result<usize, SyntaxError> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(c) = rest[at..].chars().next() {
        match c {
            '\'' | '"' => {
                at = string_end(rest, at).ok_or_else(|| unclosed_string(at, c))?;
                continue;
            }
            '{' => depth += 1,
            '}' if depth == 0 => return Ok(at),
            '}' => depth -= 1,
            _ => {}
        }
        at += c.len_utf8();
    }
    Err(SyntaxError::new(
        rest.len(),
        "\"${\" is never closed: add \"}\" at the end of the expression",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments as `text` and `{source}`.
    fn cut(template: &str) -> Vec<String> {
        segments(template)
            .unwrap()
            .iter()
            .map(|segment| match segment {
                Segment::Text(text) => text.to_string(),
                Segment::Expression(embedded) => format!("{{{}}}", embedded.source),
            })
            .collect()
    }

    #[test]
    fn cuts_text_and_expressions_apart() {
        assert_eq!(cut("app-${a}-${b.c}"), ["app-", "{a}", "-", "{b.c}"]);
        assert_eq!(cut("${ 'a}b' }"), ["{ 'a}b' }"]);
        assert_eq!(cut("${ \"x}\"\"}\" }!"), ["{ \"x}\"\"}\" }", "!"]);
        assert_eq!(cut("${ {a: {1}}.a }"), ["{ {a: {1}}.a }"]);
        assert_eq!(cut("costs $5 {ok}"), ["costs $5 {ok}"]);
        assert_eq!(cut("$${a}"), ["$", "{a}"]);
        assert!(cut("").is_empty());
    }

    #[test]
    fn an_unclosed_expression_or_string_is_a_syntax_error() {
        let error = segments("app-${trigger.x").err().unwrap();
        assert_eq!(error.expression(), "${trigger.x");
        assert_eq!(error.column(), Some(10));
        let error = segments("${ 'abc }").err().unwrap();
        assert_eq!(error.message(), "this string has no closing '");
        assert_eq!(error.column(), Some(2));
    }
}
