//! Evaluates a parsed expression against the root object the caller built (`trigger`,
//! `execution`, `parameters`, …).
//!
//! Values read from the root are borrowed rather than copied until something new is made,
//! so `#stage('Deploy').context.image` copies one string, not the stage.
//!
//! Missing things, SpEL's way: `a.b` on a map without `b` is an error, while `a['b']` and
//! `a.get('b')` give null, as Java's `Map.get` does — so `a['b'] ?: 'default'` reads an
//! optional key. `a?.b` is null when `a` is null; it does not make a missing `b` null.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::ast::{Arithmetic, BinaryOperator, Expr, LogicalOperator, Node, UnaryOperator};
use super::budget::Budget;
use super::error::{EvalError, Evaluated};
use super::methods;
use super::regex::Regex;
use super::values::{
    Numeric, compare, condition, describe, equal, name_list, scalar_text, to_text,
};

static NULL: Value = Value::Null;

pub(super) struct Evaluator<'a> {
    /// The expression's text, which node spans point into.
    source: &'a str,
    root: &'a Value,
    budget: &'a Budget,
}

impl<'a> Evaluator<'a> {
    pub fn new(source: &'a str, root: &'a Value, budget: &'a Budget) -> Evaluator<'a> {
        Evaluator {
            source,
            root,
            budget,
        }
    }

    /// The node's value, within the budget: every node is a step, and every value it makes
    /// (rather than reads from the root) is measured.
    pub fn evaluate(&self, node: &'a Node) -> Evaluated<Cow<'a, Value>> {
        self.budget.step()?;
        let value = self.evaluate_node(node)?;
        if let Cow::Owned(made) = &value {
            self.budget.made(made)?;
        }
        Ok(value)
    }

    fn evaluate_node(&self, node: &'a Node) -> Evaluated<Cow<'a, Value>> {
        match &node.expr {
            Expr::Literal(value) => Ok(Cow::Borrowed(value)),
            Expr::List(items) => Ok(Cow::Owned(Value::Array(self.gathered(items.iter())?))),
            Expr::Map(entries) => {
                let values = self.gathered(entries.iter().map(|(_, value)| value))?;
                let keys = entries.iter().map(|(key, _)| key.clone());
                Ok(Cow::Owned(Value::Object(
                    keys.zip(values).collect::<Map<_, _>>(),
                )))
            }
            Expr::Root => Ok(Cow::Borrowed(self.root)),
            Expr::Name(name) => self.name(name),
            Expr::Call { function, argument } => {
                let argument = self.evaluate(argument)?;
                function.call(&argument, self.root, self.budget)
            }
            Expr::Property {
                target,
                name,
                null_safe,
            } => self.property(target, name, *null_safe),
            Expr::Index { target, index } => self.index(target, index),
            Expr::Method {
                target,
                name,
                arguments,
                null_safe,
            } => {
                let receiver = self.evaluate(target)?;
                if receiver.is_null() && *null_safe {
                    return Ok(Cow::Owned(Value::Null));
                }
                let arguments = self.gathered(arguments.iter())?;
                methods::call(
                    &receiver,
                    self.written(target),
                    name,
                    &arguments,
                    self.budget,
                )
                .map(Cow::Owned)
            }
            Expr::Unary { operator, operand } => {
                // Before the operand: the operator (`!` or `not`), and the node's own
                // parentheses when it was written in some, since its span takes them in.
                let before = self.source.get(node.span.start..operand.span.start);
                let written = before
                    .unwrap_or_default()
                    .trim_start_matches(|c: char| c == '(' || c.is_whitespace())
                    .trim_end();
                self.unary(*operator, written, operand).map(Cow::Owned)
            }
            Expr::Binary {
                operator,
                left,
                right,
            } => self.binary(*operator, left, right).map(Cow::Owned),
            Expr::Logical {
                operator,
                left,
                right,
            } => {
                let written = self.between(left, right);
                // `false && x` and `true || x` never evaluate x, as in SpEL.
                let result = match (operator, self.condition(left, written)?) {
                    (LogicalOperator::And, false) => false,
                    (LogicalOperator::Or, true) => true,
                    _ => self.condition(right, written)?,
                };
                Ok(Cow::Owned(Value::Bool(result)))
            }
            Expr::Choice {
                condition,
                when_true,
                when_false,
            } => {
                if self.condition(condition, "? :")? {
                    self.evaluate(when_true)
                } else {
                    self.evaluate(when_false)
                }
            }
            Expr::Fallback { value, fallback } => {
                let found = self.evaluate(value)?;
                match &*found {
                    Value::Null => self.evaluate(fallback),
                    Value::String(text) if text.is_empty() => self.evaluate(fallback),
                    _ => Ok(found),
                }
            }
        }
    }

    /// The values of `nodes`, copied into one thing the evaluation makes (a list, a map, a
    /// method's arguments) only once their sizes together are within the budget: a list of
    /// `execution` read a hundred times must not copy it a hundred times first.
    fn gathered(&self, nodes: impl Iterator<Item = &'a Node>) -> Evaluated<Vec<Value>> {
        let mut total = 0;
        let mut values = Vec::new();
        for node in nodes {
            let value = self.evaluate(node)?;
            self.budget.gathering(&mut total, &value)?;
            values.push(value);
        }
        Ok(values.into_iter().map(Cow::into_owned).collect())
    }

    /// The operator between two operands as the user wrote it (`and` or `&&`), for messages.
    /// Spans take parentheses in, so only the operator and white space lie between.
    fn between(&self, left: &Node, right: &Node) -> &'a str {
        let written = self.source.get(left.span.end..right.span.start);
        written.unwrap_or_default().trim()
    }

    /// The node's text as the user wrote it, for messages.
    fn written(&self, node: &Node) -> &'a str {
        self.source
            .get(node.span.start..node.span.end)
            .unwrap_or("?")
            .trim()
    }

    fn name(&self, name: &str) -> Evaluated<Cow<'a, Value>> {
        let found = self.root.get(name).map(Cow::Borrowed);
        found.ok_or_else(|| {
            let known = self
                .root
                .as_object()
                .map(|root| name_list(root.keys().map(String::as_str)));
            EvalError::new(format!(
                "there is nothing named {name:?} here (names you can use: {})",
                known.unwrap_or_else(|| "none".to_string())
            ))
        })
    }

    fn property(&self, target: &'a Node, name: &str, null_safe: bool) -> Evaluated<Cow<'a, Value>> {
        let value = self.evaluate(target)?;
        let written = self.written(target);
        match &*value {
            Value::Null if null_safe => Ok(Cow::Owned(Value::Null)),
            Value::Null => Err(EvalError::new(format!(
                "{written} is null, so it has no {name:?}; write {written}?.{name} to get null instead"
            ))),
            Value::Object(map) if map.contains_key(name) => Ok(pick(value, name)),
            Value::Object(map) => Err(EvalError::new(format!(
                "{written} has no key {name:?} (it has: {})",
                name_list(map.keys().map(String::as_str))
            ))),
            other => {
                let hint = if methods::exists(other, name) {
                    format!("; to call the method, write {written}.{name}()")
                } else {
                    String::new()
                };
                Err(EvalError::new(format!(
                    "{written} is {}, not a map, so it has no key {name:?}{hint}",
                    describe(other)
                )))
            }
        }
    }

    fn index(&self, target: &'a Node, index: &'a Node) -> Evaluated<Cow<'a, Value>> {
        let value = self.evaluate(target)?;
        let key = self.evaluate(index)?;
        let (written, written_index) = (self.written(target), self.written(index));
        let refused = |wanted: &str| {
            EvalError::new(format!(
                "{written}[{written_index}] needs {wanted} inside [ ], but {written_index} is {}",
                describe(&key)
            ))
        };
        match &*value {
            Value::Object(_) => {
                let key = scalar_text(&key).ok_or_else(|| refused("a key"))?;
                Ok(pick(value, key.as_str()))
            }
            Value::Array(items) => {
                let index = methods::whole_number(&key).ok_or_else(|| refused("a whole number"))?;
                let position = methods::position(items.len(), index)?;
                Ok(pick(value, position))
            }
            Value::String(text) => {
                let index = methods::whole_number(&key).ok_or_else(|| refused("a whole number"))?;
                methods::char_at(text, index).map(Cow::Owned)
            }
            Value::Null => Err(EvalError::new(format!(
                "{written} is null, so it has no [{written_index}]"
            ))),
            other => Err(EvalError::new(format!(
                "{written} is {}; only lists, maps and strings can be indexed with [ ]",
                describe(other)
            ))),
        }
    }

    /// `written` is the operator as the user wrote it (`!` or `not`).
    fn unary(&self, operator: UnaryOperator, written: &str, operand: &'a Node) -> Evaluated<Value> {
        match operator {
            UnaryOperator::Negate => self.number(operand, written)?.negate()?.into_value(),
            UnaryOperator::Plus => self.number(operand, written)?.into_value(),
            UnaryOperator::Not => Ok(Value::Bool(!self.condition(operand, written)?)),
        }
    }

    fn binary(
        &self,
        operator: BinaryOperator,
        left: &'a Node,
        right: &'a Node,
    ) -> Evaluated<Value> {
        let (a, b) = (self.evaluate(left)?, self.evaluate(right)?);
        let written = self.between(left, right);
        match operator {
            // As in Java, `+` joins text when either side is a string: 'v' + 1 is "v1".
            BinaryOperator::Arithmetic(Arithmetic::Add) if a.is_string() || b.is_string() => {
                Ok(Value::String(to_text(&a) + &to_text(&b)))
            }
            BinaryOperator::Arithmetic(arithmetic) => {
                let x = self.numeric(&a, left, written)?;
                let y = self.numeric(&b, right, written)?;
                x.apply(arithmetic, y)?.into_value()
            }
            BinaryOperator::Equal => Ok(Value::Bool(equal(&a, &b))),
            BinaryOperator::NotEqual => Ok(Value::Bool(!equal(&a, &b))),
            BinaryOperator::Comparison(comparison) => {
                let ordering = compare(&a, &b).ok_or_else(|| {
                    EvalError::new(format!(
                        "cannot compare {} ({}) with {} ({}) using {}: that needs two numbers, \
                         two strings, or a number and a string that reads as one",
                        self.written(left),
                        describe(&a),
                        self.written(right),
                        describe(&b),
                        written
                    ))
                })?;
                Ok(Value::Bool(comparison.holds(ordering)))
            }
            BinaryOperator::Matches => {
                let needs_text = |value: &Value, node: &Node| {
                    scalar_text(value).ok_or_else(|| {
                        EvalError::new(format!(
                            "\"matches\" needs text on both sides, but {} is {}",
                            self.written(node),
                            describe(value)
                        ))
                    })
                };
                let (text, pattern) = (needs_text(&a, left)?, needs_text(&b, right)?);
                let bad = |problem: String| {
                    EvalError::new(format!(
                        "matches: {}",
                        methods::bad_pattern(&pattern, &problem)
                    ))
                };
                let regex = Regex::new(&pattern).map_err(bad)?;
                Ok(Value::Bool(regex.matches_whole(&text).map_err(bad)?))
            }
        }
    }

    fn condition(&self, node: &'a Node, operator: &str) -> Evaluated<bool> {
        let value = self.evaluate(node)?;
        condition(&value, &format!("\"{operator}\""), self.written(node))
    }

    fn number(&self, node: &'a Node, operator: &str) -> Evaluated<Numeric> {
        let value = self.evaluate(node)?;
        self.numeric(&value, node, operator)
    }

    /// `value` (the result of `node`) as a number for `operator`, or an error that says how
    /// to make one from text.
    fn numeric(&self, value: &Value, node: &Node, operator: &str) -> Evaluated<Numeric> {
        Numeric::from_value(value).ok_or_else(|| {
            let hint = match value {
                Value::String(_) => "; turn text into a number with #toInt(…) or #toFloat(…)",
                _ => "",
            };
            EvalError::new(format!(
                "\"{operator}\" needs numbers, but {} is {}{hint}",
                self.written(node),
                describe(value)
            ))
        })
    }
}

/// The child of `value` at `index` (a key or a position), null when it has none; borrowed
/// when `value` is, taken out of it when it was made during evaluation.
fn pick<'v, I: serde_json::value::Index>(value: Cow<'v, Value>, index: I) -> Cow<'v, Value> {
    match value {
        Cow::Borrowed(value) => Cow::Borrowed(value.get(index).unwrap_or(&NULL)),
        Cow::Owned(mut value) => {
            Cow::Owned(value.get_mut(index).map(Value::take).unwrap_or_default())
        }
    }
}
