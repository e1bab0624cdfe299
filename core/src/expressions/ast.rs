//! The parsed form of one expression: a tree of [`Node`]s, each knowing the part of the source
//! it came from so that errors can quote what the user wrote.

use serde_json::Value;

use super::functions::Function;
pub(super) use super::values::Arithmetic;

/// Byte offsets into the expression source (the text between `${` and `}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub expr: Expr,
    pub span: Span,
    /// How many nodes deep the tree below is; the parser refuses deep trees so that
    /// evaluating and dropping them cannot overflow the (small, in WASM) stack.
    pub depth: usize,
}

impl Node {
    pub fn new(expr: Expr, span: Span) -> Node {
        let depth = 1 + expr.children().map(|child| child.depth).max().unwrap_or(0);
        Node { expr, span, depth }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// A string, number, boolean or null written in the expression.
    Literal(Value),
    /// `{1, 2, 'x'}`
    List(Vec<Node>),
    /// `{a: 1, 'b c': 2}`; keys are literal text, in the order written.
    Map(Vec<(String, Node)>),
    /// `#root`
    Root,
    /// A top-level name such as `trigger`, looked up in the root.
    Name(String),
    /// `#toInt(x)`; every helper function takes exactly one argument.
    Call {
        function: Function,
        argument: Box<Node>,
    },
    /// `a.b`, or `a?.b` when `null_safe`.
    Property {
        target: Box<Node>,
        name: String,
        null_safe: bool,
    },
    /// `a[i]`, `a['key']`
    Index { target: Box<Node>, index: Box<Node> },
    /// `a.name(args)`, or `a?.name(args)` when `null_safe`.
    Method {
        target: Box<Node>,
        name: String,
        arguments: Vec<Node>,
        null_safe: bool,
    },
    Unary {
        operator: UnaryOperator,
        operand: Box<Node>,
    },
    Binary {
        operator: BinaryOperator,
        left: Box<Node>,
        right: Box<Node>,
    },
    /// `&&` and `||`, apart from the other operators because they short-circuit.
    Logical {
        operator: LogicalOperator,
        left: Box<Node>,
        right: Box<Node>,
    },
    /// `condition ? when_true : when_false`
    Choice {
        condition: Box<Node>,
        when_true: Box<Node>,
        when_false: Box<Node>,
    },
    /// `value ?: fallback` (Elvis)
    Fallback {
        value: Box<Node>,
        fallback: Box<Node>,
    },
}

impl Expr {
    fn children(&self) -> Box<dyn Iterator<Item = &Node> + '_> {
        match self {
            Expr::Literal(_) | Expr::Root | Expr::Name(_) => Box::new(std::iter::empty()),
            Expr::List(items) => Box::new(items.iter()),
            Expr::Map(entries) => Box::new(entries.iter().map(|(_, value)| value)),
            Expr::Call {
                argument: single, ..
            }
            | Expr::Property { target: single, .. }
            | Expr::Unary {
                operand: single, ..
            } => Box::new(std::iter::once(&**single)),
            Expr::Method {
                target, arguments, ..
            } => Box::new(std::iter::once(&**target).chain(arguments)),
            Expr::Index {
                target: left,
                index: right,
            }
            | Expr::Binary { left, right, .. }
            | Expr::Logical { left, right, .. }
            | Expr::Fallback {
                value: left,
                fallback: right,
            } => Box::new([&**left, &**right].into_iter()),
            Expr::Choice {
                condition,
                when_true,
                when_false,
            } => Box::new([&**condition, &**when_true, &**when_false].into_iter()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnaryOperator {
    /// `-x`
    Negate,
    /// `+x`
    Plus,
    /// `!x`, `not x`
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryOperator {
    Arithmetic(Arithmetic),
    Equal,
    NotEqual,
    Comparison(Comparison),
    Matches,
}

/// `< > <= >=`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Comparison {
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
}

impl Comparison {
    /// Whether `left <op> right` holds when `left` compares to `right` as `ordering`.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        match self {
            Comparison::Less => ordering.is_lt(),
            Comparison::Greater => ordering.is_gt(),
            Comparison::LessOrEqual => ordering.is_le(),
            Comparison::GreaterOrEqual => ordering.is_ge(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LogicalOperator {
    And,
    Or,
}
