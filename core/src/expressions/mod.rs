//! Spinnaker's pipeline expressions: `${…}` in any string of a pipeline or stage, written in
//! the subset of the Spring Expression Language (SpEL) that Spinnaker users write. Shared by
//! the server, which evaluates them when a stage starts, and the browser, where the pipeline
//! editor checks their syntax as the user types; so it uses only `serde_json` and std.
//!
//! # Templates
//! A string may hold any number of `${expr}` between text: `"app-${trigger.parameters.env}"`
//! gives a string. A string that is one `${expr}` and nothing else (white space around is
//! allowed) gives the value with its JSON type, as Spinnaker does: `"${parameters.replicas}"`
//! can give a number, a list or null. In a mixed template null is an error, where Spinnaker
//! would leave the `${…}` text in place; lists and maps are put in as JSON.
//!
//! # The root
//! Names resolve against the root object the caller builds: `trigger`, `parameters`,
//! `execution`, `application`, and whatever else it puts there (a stage's own context).
//! `#stage(…)` and `#judgment(…)` look in `execution.stages`, whose items have `name`,
//! `refId`, `status`, `context` and `outputs`.
//!
//! # The language
//! - Literals: `'single'` and `"double"` strings (a quote is escaped by doubling it:
//!   `'it''s'`), `42`, `1.5`, `1e3`, `true`, `false`, `null`, lists `{1, 'x'}` and maps
//!   `{a: 1, 'b c': 2}` (`{}` is an empty list, `{:}` an empty map).
//! - Access: `a.b`, `a['b']`, `a[0]`, `'abc'[0]`, and `a?.b` (null when `a` is null).
//! - Operators, loosest first: `? :` and `?:` (Elvis: the right side when the left is null
//!   or ""); `||`/`or`; `&&`/`and`; `== != < > <= >=`/`eq ne lt gt le ge` and `matches`;
//!   `+ -`; `* / %`/`div mod`; unary `- + !`/`not` (the table is in `parser.rs`).
//! - Values follow the rules in `values.rs`: conditions need booleans (or "true"/"false"),
//!   `'3' == 3`, and `+` joins text when either side is a string.
//! - Methods on strings, lists and maps with Java's names (listed in `methods.rs`). Functions:
//!   `#toInt`, `#toFloat`, `#toBoolean`, `#toJson`, `#readJson`, `#alphanumerical`,
//!   `#stage`, `#judgment` (alias `#judgement`), and the variable `#root`.
//! - Regular expressions (`matches`, `replaceAll`) support what `regex.rs` lists.
//!
//! # Not supported
//! Assignment (`a = 1`), `T(type)` and `new`, bean references (`@x`), variables other than
//! `#root` (`#this`, user variables), collection selection and projection (`?[…]`, `![…]`,
//! `^[…]`, `$[…]`), `^` (power), `++`/`--`, `instanceof`, `between`, `?.` before `[`,
//! number suffixes (`1L`, `1.5f`), hexadecimal literals, Java static methods, and
//! Spinnaker's helper functions other than the ones above. A missing key read with `.` is an
//! error, not null (Spinnaker would leave the whole string unevaluated).

mod ast;
pub mod budget;
mod document;
mod error;
mod eval;
mod functions;
mod lexer;
mod methods;
mod parser;
pub(crate) mod regex;
mod template;
mod values;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

pub use error::{ErrorKind, ExpressionError};

use ast::Node;
use budget::Budget;
use error::EvalError;
use eval::Evaluator;
use template::{Embedded, Segment};

/// Whether `text` holds a `${` and so would be evaluated at all.
pub fn has_expressions(text: &str) -> bool {
    text.contains(template::OPENING)
}

/// Checks the syntax of every `${…}` in `template` without evaluating anything: no root is
/// needed, unknown functions are caught, unknown names and methods are not. Cheap enough to
/// run on every keystroke.
pub fn check(template: &str) -> Result<(), ExpressionError> {
    parse(template).map(drop)
}

/// Evaluates the expressions in `template` against `root`.
///
/// Text without `${` comes back unchanged as a string. A template that is a single `${…}`
/// (with white space around it at most) gives the expression's value with its JSON type;
/// any other gives a string, with each expression's value put in as text.
pub fn evaluate(template: &str, root: &Value) -> Result<Value, ExpressionError> {
    evaluate_within(template, root, &Budget::new())
}

/// [`evaluate`], spending from `budget`.
fn evaluate_within(
    template: &str,
    root: &Value,
    budget: &Budget,
) -> Result<Value, ExpressionError> {
    if !has_expressions(template) {
        return Ok(Value::String(template.to_string()));
    }
    let parts = parse(template)?;
    if let Some((embedded, node)) = sole_expression(&parts) {
        return value_of(embedded, node, root, budget).map(Cow::into_owned);
    }
    let mut text = String::with_capacity(template.len());
    for part in &parts {
        match part {
            Part::Text(literal) => text.push_str(literal),
            Part::Expression(embedded, node) => {
                let value = value_of(embedded, node, root, budget)?;
                if value.is_null() {
                    let source = embedded.source.trim();
                    return Err(ExpressionError::evaluation(
                        embedded.written,
                        EvalError::new(format!(
                            "{source} is null, so there is nothing to put in the text; \
                             give a default with ?:, as in ${{{source} ?: 'none'}}"
                        )),
                    ));
                }
                text.push_str(&values::to_text(&value));
                budget
                    .text_of(text.len())
                    .map_err(|e| ExpressionError::evaluation(embedded.written, e))?;
            }
        }
    }
    Ok(Value::String(text))
}

/// Evaluates every string in `value` (in objects and lists, at any depth) against `root`,
/// as [`evaluate`] does; object keys and other values stay as they are. An error says where
/// the string was, as a path such as `clusters[0].containers[0].imageDescription.tag`.
pub fn evaluate_all(value: &Value, root: &Value) -> Result<Value, ExpressionError> {
    document::evaluate_strings(value, root, &Budget::new())
}

/// A template with every expression parsed.
enum Part<'t> {
    Text(&'t str),
    Expression(Embedded<'t>, Node),
}

fn parse(template: &str) -> Result<Vec<Part<'_>>, ExpressionError> {
    let segments = template::segments(template)?;
    let parts = segments.into_iter().map(|segment| match segment {
        Segment::Text(text) => Ok(Part::Text(text)),
        Segment::Expression(embedded) => parser::parse(embedded.source)
            .map(|node| Part::Expression(embedded, node))
            .map_err(|error| ExpressionError::syntax(embedded.written, embedded.source, error)),
    });
    parts.collect()
}

/// The template's only expression, when everything else in it is white space.
fn sole_expression<'p, 't>(parts: &'p [Part<'t>]) -> Option<(&'p Embedded<'t>, &'p Node)> {
    let mut sole = None;
    for part in parts {
        match part {
            Part::Text(text) if text.trim().is_empty() => {}
            Part::Expression(embedded, node) if sole.is_none() => sole = Some((embedded, node)),
            Part::Text(_) | Part::Expression(..) => return None,
        }
    }
    sole
}

fn value_of<'a>(
    embedded: &Embedded<'a>,
    node: &'a Node,
    root: &'a Value,
    budget: &'a Budget,
) -> Result<Cow<'a, Value>, ExpressionError> {
    Evaluator::new(embedded.source, root, budget)
        .evaluate(node)
        .map_err(|error| ExpressionError::evaluation(embedded.written, error))
}
