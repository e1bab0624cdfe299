//! What went wrong with an expression, said so that whoever wrote it can fix it.
//!
//! Policy: a message names the thing at fault as the user wrote it (`trigger.parameters`, not
//! an internal id), shows the value that did not fit, and where it helps says what to write
//! instead. The parts of the module report plain problems ([`SyntaxError`] with an offset,
//! [`EvalError`]); the public API adds the `${…}` text and, for documents, the JSON path.

use std::fmt;

/// An expression that could not be read or evaluated.
///
/// Displays as `${expression}: message`, with ` at column N` for syntax errors and, when it
/// comes from [`evaluate_all`](super::evaluate_all), the JSON path first:
/// `in clusters[0].imageDescription.tag, ${trigger.tag}: trigger has no key "tag" (it has: type)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    path: Option<String>,
    expression: String,
    message: String,
    kind: ErrorKind,
}

/// Whether an expression could not be read at all, or failed against the values it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not a well-formed expression. `column` counts characters from 1, inside the
    /// `${…}` (the first character after `${` is column 1).
    Syntax { column: usize },
    /// The expression is well formed but could not be evaluated against this root.
    Evaluation,
}

impl ExpressionError {
    /// A syntax error at byte `offset` of `source`, the text between `${` and `}`.
    pub(super) fn syntax(written: &str, source: &str, error: SyntaxError) -> ExpressionError {
        let before = source.get(..error.offset).unwrap_or(source);
        ExpressionError {
            path: None,
            expression: written.to_string(),
            message: error.message,
            kind: ErrorKind::Syntax {
                column: before.chars().count() + 1,
            },
        }
    }

    pub(super) fn evaluation(written: &str, error: EvalError) -> ExpressionError {
        ExpressionError {
            path: None,
            expression: written.to_string(),
            message: error.0,
            kind: ErrorKind::Evaluation,
        }
    }

    /// The same error, found in the string at `path` of a JSON document.
    pub(super) fn at(self, path: String) -> ExpressionError {
        ExpressionError {
            path: Some(path),
            ..self
        }
    }

    /// The `${…}` that failed, as written (the rest of the text when its `}` is missing).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// What is wrong, without the expression or the position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the expression could not be read, or failed against the root.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// For a syntax error, the 1-based column inside the `${…}`.
    pub fn column(&self) -> Option<usize> {
        match self.kind {
            ErrorKind::Syntax { column } => Some(column),
            ErrorKind::Evaluation => None,
        }
    }

    /// Where the string was in the document given to `evaluate_all`, such as
    /// `clusters[0].containers[0].imageDescription.tag`.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "in {path}, ")?;
        }
        write!(f, "{}: {}", self.expression, self.message)?;
        if let ErrorKind::Syntax { column } = self.kind {
            write!(f, " at column {column}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExpressionError {}

/// The text is not a well-formed expression; `offset` is a byte offset into the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

impl SyntaxError {
    pub fn new(offset: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            offset,
        }
    }
}

/// Evaluation failed; the message is complete and names what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EvalError(pub String);

impl EvalError {
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError(message.into())
    }
}

/// Evaluation result inside the module.
pub(super) type Evaluated<T> = Result<T, EvalError>;
