//! Reads the tokens of one expression into a tree, with SpEL's precedence, loosest first:
//!
//! | level        | operators                                       | grouping          |
//! |--------------|-------------------------------------------------|-------------------|
//! | choice       | `c ? a : b`, `a ?: b`                            | right             |
//! | or           | `\|\|` `or`                                      | left              |
//! | and          | `&&` `and`                                       | left              |
//! | relation     | `== != < > <= >=`, `eq ne lt gt le ge`, `matches` | one, not chained |
//! | sum          | `+ -`                                            | left              |
//! | product      | `* / %`, `div mod`                               | left              |
//! | unary        | `- + ! not`                                      | prefix            |
//! | postfix      | `.name`, `?.name`, `.method(…)`, `[index]`       | left              |
//!
//! Word operators are case-insensitive, as in SpEL, and only operators where an operator can
//! stand: `a.lt` is still the property `lt`.

use serde_json::Value;

use super::ast::{
    Arithmetic, BinaryOperator, Comparison, Expr, LogicalOperator, Node, Span, UnaryOperator,
};
use super::error::SyntaxError;
use super::functions::{Function, ROOT_VARIABLE};
use super::lexer::{Token, TokenKind, tokens};

/// How deep an expression may nest, in parentheses and in its tree. Real pipeline
/// expressions stay far below; the limit keeps evaluation within the browser's stack.
const DEEPEST: usize = 100;

/// Parses one expression (the text between `${` and `}`).
pub(super) fn parse(source: &str) -> Result<Node, SyntaxError> {
    let tokens = tokens(source)?;
    let mut parser = Parser {
        source,
        tokens,
        at: 0,
        nesting: 0,
    };
    if parser.peek().kind == TokenKind::End {
        return Err(SyntaxError::new(0, "the expression is empty"));
    }
    let node = parser.expression()?;
    let next = parser.peek();
    if next.kind != TokenKind::End {
        return Err(SyntaxError::new(
            next.start,
            format!(
                "expected an operator or the end of the expression, but found {}",
                parser.found()
            ),
        ));
    }
    Ok(node)
}

struct Parser<'s> {
    source: &'s str,
    tokens: Vec<Token>,
    at: usize,
    /// How many `expression`/`unary` calls are active, to refuse nesting before it
    /// overflows the stack.
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The last token is always End and is never stepped over.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn peek_kind_at(&self, ahead: usize) -> Option<&TokenKind> {
        self.tokens.get(self.at + ahead).map(|token| &token.kind)
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.at += 1;
        }
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        let found = &self.peek().kind == kind;
        if found {
            self.at += 1;
        }
        found
    }

    /// The next token as the user wrote it, for messages.
    fn found(&self) -> String {
        let token = self.peek();
        match token.kind {
            TokenKind::End => "the end of the expression".to_string(),
            _ => format!("\"{}\"", &self.source[token.start..token.end]),
        }
    }

    fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Token, SyntaxError> {
        if &self.peek().kind == kind {
            return Ok(self.advance());
        }
        Err(SyntaxError::new(
            self.peek().start,
            format!("expected {what}, but found {}", self.found()),
        ))
    }

    /// Whether the next token is the name `word`, in any case (a word operator).
    fn is_word(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Name(name) if name.eq_ignore_ascii_case(word))
    }

    fn node(&self, expr: Expr, span: Span) -> Result<Node, SyntaxError> {
        let node = Node::new(expr, span);
        if node.depth > DEEPEST {
            return Err(too_deep(span.start));
        }
        Ok(node)
    }

    fn binary(
        &self,
        operator: BinaryOperator,
        left: Node,
        right: Node,
    ) -> Result<Node, SyntaxError> {
        let span = left.span.to(right.span);
        let (left, right) = (Box::new(left), Box::new(right));
        self.node(
            Expr::Binary {
                operator,
                left,
                right,
            },
            span,
        )
    }

    /// choice: or ( `?:` choice | `?` choice `:` choice )?
    fn expression(&mut self) -> Result<Node, SyntaxError> {
        self.nesting += 1;
        if self.nesting > DEEPEST {
            return Err(too_deep(self.peek().start));
        }
        let result = self.choice();
        self.nesting -= 1;
        result
    }

    fn choice(&mut self) -> Result<Node, SyntaxError> {
        let condition = self.or()?;
        if self.eat(&TokenKind::Elvis) {
            let fallback = self.expression()?;
            let span = condition.span.to(fallback.span);
            let (value, fallback) = (Box::new(condition), Box::new(fallback));
            return self.node(Expr::Fallback { value, fallback }, span);
        }
        if !self.eat(&TokenKind::Question) {
            return Ok(condition);
        }
        let when_true = self.expression()?;
        self.expect(
            &TokenKind::Colon,
            "\":\" and the value for when the condition is false",
        )?;
        let when_false = self.expression()?;
        let span = condition.span.to(when_false.span);
        let expr = Expr::Choice {
            condition: Box::new(condition),
            when_true: Box::new(when_true),
            when_false: Box::new(when_false),
        };
        self.node(expr, span)
    }

    fn or(&mut self) -> Result<Node, SyntaxError> {
        self.logical(LogicalOperator::Or, TokenKind::OrOr, "or", Self::and)
    }

    fn and(&mut self) -> Result<Node, SyntaxError> {
        self.logical(
            LogicalOperator::And,
            TokenKind::AndAnd,
            "and",
            Self::relation,
        )
    }

    /// operand ( (`symbol` | `word`) operand )*
    fn logical(
        &mut self,
        operator: LogicalOperator,
        symbol: TokenKind,
        word: &str,
        operand: fn(&mut Self) -> Result<Node, SyntaxError>,
    ) -> Result<Node, SyntaxError> {
        let mut left = operand(self)?;
        while self.peek().kind == symbol || self.is_word(word) {
            self.advance();
            let right = operand(self)?;
            let span = left.span.to(right.span);
            let (l, r) = (Box::new(left), Box::new(right));
            left = self.node(
                Expr::Logical {
                    operator,
                    left: l,
                    right: r,
                },
                span,
            )?;
        }
        Ok(left)
    }

    /// sum ( relational-operator sum )?
    fn relation(&mut self) -> Result<Node, SyntaxError> {
        let left = self.sum()?;
        let operator = match &self.peek().kind {
            TokenKind::EqualEqual => BinaryOperator::Equal,
            TokenKind::NotEqual => BinaryOperator::NotEqual,
            TokenKind::Less => BinaryOperator::Comparison(Comparison::Less),
            TokenKind::Greater => BinaryOperator::Comparison(Comparison::Greater),
            TokenKind::LessEqual => BinaryOperator::Comparison(Comparison::LessOrEqual),
            TokenKind::GreaterEqual => BinaryOperator::Comparison(Comparison::GreaterOrEqual),
            TokenKind::Name(word) => match word.to_ascii_lowercase().as_str() {
                "eq" => BinaryOperator::Equal,
                "ne" => BinaryOperator::NotEqual,
                "lt" => BinaryOperator::Comparison(Comparison::Less),
                "gt" => BinaryOperator::Comparison(Comparison::Greater),
                "le" => BinaryOperator::Comparison(Comparison::LessOrEqual),
                "ge" => BinaryOperator::Comparison(Comparison::GreaterOrEqual),
                "matches" => BinaryOperator::Matches,
                _ => return Ok(left),
            },
            _ => return Ok(left),
        };
        self.advance();
        let right = self.sum()?;
        self.binary(operator, left, right)
    }

    fn sum(&mut self) -> Result<Node, SyntaxError> {
        let mut left = self.product()?;
        loop {
            let operator = match self.peek().kind {
                TokenKind::Plus => Arithmetic::Add,
                TokenKind::Minus => Arithmetic::Subtract,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.product()?;
            left = self.binary(BinaryOperator::Arithmetic(operator), left, right)?;
        }
    }

    fn product(&mut self) -> Result<Node, SyntaxError> {
        let mut left = self.unary()?;
        loop {
            let operator = match &self.peek().kind {
                TokenKind::Star => Arithmetic::Multiply,
                TokenKind::Slash => Arithmetic::Divide,
                TokenKind::Percent => Arithmetic::Remainder,
                _ if self.is_word("div") => Arithmetic::Divide,
                _ if self.is_word("mod") => Arithmetic::Remainder,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.unary()?;
            left = self.binary(BinaryOperator::Arithmetic(operator), left, right)?;
        }
    }

    fn unary(&mut self) -> Result<Node, SyntaxError> {
        let operator = match self.peek().kind {
            TokenKind::Minus => UnaryOperator::Negate,
            TokenKind::Plus => UnaryOperator::Plus,
            TokenKind::Bang => UnaryOperator::Not,
            _ if self.is_word("not") => UnaryOperator::Not,
            _ => return self.postfix(),
        };
        let start = self.advance().start;
        self.nesting += 1;
        if self.nesting > DEEPEST {
            return Err(too_deep(start));
        }
        let operand = self.unary();
        self.nesting -= 1;
        let operand = operand?;
        let span = Span::new(start, operand.span.end);
        self.node(
            Expr::Unary {
                operator,
                operand: Box::new(operand),
            },
            span,
        )
    }

    /// primary ( `.name` | `?.name` | `.name(args)` | `?.name(args)` | `[expression]` )*
    fn postfix(&mut self) -> Result<Node, SyntaxError> {
        let mut node = self.primary()?;
        loop {
            let null_safe = match self.peek().kind {
                TokenKind::Dot => false,
                TokenKind::SafeDot => true,
                TokenKind::OpenBracket => {
                    self.advance();
                    let index = self.expression()?;
                    let close = self.expect(&TokenKind::CloseBracket, "\"]\" to close \"[\"")?;
                    let span = node.span.to(Span::new(close.start, close.end));
                    let expr = Expr::Index {
                        target: Box::new(node),
                        index: Box::new(index),
                    };
                    node = self.node(expr, span)?;
                    continue;
                }
                _ => return Ok(node),
            };
            let dot = self.advance();
            let name_token = self.peek().clone();
            let TokenKind::Name(name) = name_token.kind else {
                let symbol = &self.source[dot.start..dot.end];
                return Err(SyntaxError::new(
                    name_token.start,
                    format!("expected a property name after \"{symbol}\""),
                ));
            };
            self.advance();
            let start = node.span.start;
            let target = Box::new(node);
            let (expr, end) = if self.peek().kind == TokenKind::OpenParen {
                let (arguments, end) = self.arguments()?;
                let expr = Expr::Method {
                    target,
                    name,
                    arguments,
                    null_safe,
                };
                (expr, end)
            } else {
                let expr = Expr::Property {
                    target,
                    name,
                    null_safe,
                };
                (expr, name_token.end)
            };
            node = self.node(expr, Span::new(start, end))?;
        }
    }

    /// `(` expression, … `)`; returns the arguments and the end of the `)`.
    fn arguments(&mut self) -> Result<(Vec<Node>, usize), SyntaxError> {
        self.expect(&TokenKind::OpenParen, "\"(\"")?;
        let mut arguments = Vec::new();
        if self.peek().kind != TokenKind::CloseParen {
            loop {
                arguments.push(self.expression()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        let close = self.expect(
            &TokenKind::CloseParen,
            "\",\" or \")\" to end the arguments",
        )?;
        Ok((arguments, close.end))
    }

    fn primary(&mut self) -> Result<Node, SyntaxError> {
        let token = self.peek().clone();
        let span = Span::new(token.start, token.end);
        let literal = |value: Value| Ok(Node::new(Expr::Literal(value), span));
        match token.kind {
            TokenKind::Number(number) => {
                self.advance();
                literal(Value::Number(number))
            }
            TokenKind::Text(text) => {
                self.advance();
                literal(Value::String(text))
            }
            TokenKind::OpenParen => {
                self.advance();
                let mut inner = self.expression()?;
                let close = self.expect(&TokenKind::CloseParen, "\")\" to close \"(\"")?;
                // The span takes the parentheses in, so messages quote `(a + b)` whole.
                inner.span = Span::new(token.start, close.end);
                Ok(inner)
            }
            TokenKind::OpenBrace => self.inline_collection(),
            TokenKind::Hash(name) => self.hash(name, span),
            TokenKind::Name(name) => {
                self.advance();
                match name.to_ascii_lowercase().as_str() {
                    "true" => return literal(Value::Bool(true)),
                    "false" => return literal(Value::Bool(false)),
                    "null" => return literal(Value::Null),
                    _ => {}
                }
                if self.peek().kind == TokenKind::OpenParen {
                    let hint = match Function::named(&name) {
                        Some(_) => format!("; did you mean #{name}(…)?"),
                        None => String::new(),
                    };
                    return Err(SyntaxError::new(
                        token.start,
                        format!(
                            "{name}(…) is not a function: functions start with \"#\" (#toInt(…)) \
                             and methods follow a value (name.toLowerCase()){hint}"
                        ),
                    ));
                }
                Ok(Node::new(Expr::Name(name), span))
            }
            TokenKind::End => Err(SyntaxError::new(
                token.start,
                "the expression ends too early: expected a value",
            )),
            _ => Err(SyntaxError::new(
                token.start,
                format!("expected a value, but found {}", self.found()),
            )),
        }
    }

    /// `#root`, or a function call such as `#toInt(x)`.
    fn hash(&mut self, name: String, span: Span) -> Result<Node, SyntaxError> {
        self.advance();
        let calls = self.peek().kind == TokenKind::OpenParen;
        if name == ROOT_VARIABLE {
            if calls {
                return Err(SyntaxError::new(
                    span.start,
                    "#root is the root object, not a function",
                ));
            }
            return Ok(Node::new(Expr::Root, span));
        }
        let Some(function) = Function::named(&name) else {
            return Err(SyntaxError::new(
                span.start,
                format!(
                    "unknown function #{name} (there are: {})",
                    Function::all_names()
                ),
            ));
        };
        if !calls {
            return Err(SyntaxError::new(
                span.end,
                format!("#{name} is a function: call it as #{name}(…)"),
            ));
        }
        let (mut arguments, end) = self.arguments()?;
        if arguments.len() != 1 {
            return Err(SyntaxError::new(
                span.start,
                format!(
                    "#{name} takes one argument, but was given {}",
                    arguments.len()
                ),
            ));
        }
        let argument = Box::new(arguments.remove(0));
        self.node(
            Expr::Call { function, argument },
            Span::new(span.start, end),
        )
    }

    /// `{}` (empty list), `{:}` (empty map), `{a, b}` (list) or `{key: value, …}` (map).
    fn inline_collection(&mut self) -> Result<Node, SyntaxError> {
        let open = self.advance();
        if self.eat(&TokenKind::Colon) {
            let close = self.expect(&TokenKind::CloseBrace, "\"}\" after \"{:\"")?;
            return self.node(Expr::Map(Vec::new()), Span::new(open.start, close.end));
        }
        let is_map = matches!(self.peek_kind_at(1), Some(TokenKind::Colon));
        let mut items = Vec::new();
        let mut entries = Vec::new();
        if self.peek().kind != TokenKind::CloseBrace {
            loop {
                if is_map {
                    let key = self.map_key()?;
                    self.expect(&TokenKind::Colon, "\":\" between the key and its value")?;
                    entries.push((key, self.expression()?));
                } else {
                    items.push(self.expression()?);
                }
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        let close = self.expect(&TokenKind::CloseBrace, "\",\" or \"}\"")?;
        let expr = if is_map {
            Expr::Map(entries)
        } else {
            Expr::List(items)
        };
        self.node(expr, Span::new(open.start, close.end))
    }

    /// A map key: a name or number taken as text, or a quoted string.
    fn map_key(&mut self) -> Result<String, SyntaxError> {
        let token = self.advance();
        match token.kind {
            TokenKind::Name(name) => Ok(name),
            TokenKind::Text(text) => Ok(text),
            TokenKind::Number(number) => Ok(number.to_string()),
            _ => Err(SyntaxError::new(
                token.start,
                "a map key must be a name or a quoted string, as in {env: 'prod', 'a b': 1}",
            )),
        }
    }
}

fn too_deep(at: usize) -> SyntaxError {
    SyntaxError::new(
        at,
        format!("the expression nests too deeply (more than {DEEPEST} levels); split it up"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as a compact string, to check precedence and grouping.
    fn shape(node: &Node) -> String {
        match &node.expr {
            Expr::Literal(value) => value.to_string(),
            Expr::Name(name) => name.clone(),
            Expr::Root => "#root".to_string(),
            Expr::List(items) => format!(
                "{{{}}}",
                items.iter().map(shape).collect::<Vec<_>>().join(",")
            ),
            Expr::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", shape(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Expr::Call { function, argument } => {
                format!("#{}({})", function.name(), shape(argument))
            }
            Expr::Property {
                target,
                name,
                null_safe,
            } => {
                format!(
                    "{}{}{name}",
                    shape(target),
                    if *null_safe { "?." } else { "." }
                )
            }
            Expr::Index { target, index } => format!("{}[{}]", shape(target), shape(index)),
            Expr::Method {
                target,
                name,
                arguments,
                ..
            } => format!(
                "{}.{name}({})",
                shape(target),
                arguments.iter().map(shape).collect::<Vec<_>>().join(",")
            ),
            Expr::Unary { operator, operand } => format!("({operator:?} {})", shape(operand)),
            Expr::Binary {
                operator,
                left,
                right,
            } => {
                format!("({} {} {})", shape(left), symbol(*operator), shape(right))
            }
            Expr::Logical {
                operator,
                left,
                right,
            } => {
                let symbol = match operator {
                    LogicalOperator::And => "&&",
                    LogicalOperator::Or => "||",
                };
                format!("({} {symbol} {})", shape(left), shape(right))
            }
            Expr::Choice {
                condition,
                when_true,
                when_false,
            } => {
                format!(
                    "({} ? {} : {})",
                    shape(condition),
                    shape(when_true),
                    shape(when_false)
                )
            }
            Expr::Fallback { value, fallback } => {
                format!("({} ?: {})", shape(value), shape(fallback))
            }
        }
    }

    fn symbol(operator: BinaryOperator) -> &'static str {
        match operator {
            BinaryOperator::Arithmetic(Arithmetic::Add) => "+",
            BinaryOperator::Arithmetic(Arithmetic::Subtract) => "-",
            BinaryOperator::Arithmetic(Arithmetic::Multiply) => "*",
            BinaryOperator::Arithmetic(Arithmetic::Divide) => "/",
            BinaryOperator::Arithmetic(Arithmetic::Remainder) => "%",
            BinaryOperator::Equal => "==",
            BinaryOperator::NotEqual => "!=",
            BinaryOperator::Comparison(Comparison::Less) => "<",
            BinaryOperator::Comparison(Comparison::Greater) => ">",
            BinaryOperator::Comparison(Comparison::LessOrEqual) => "<=",
            BinaryOperator::Comparison(Comparison::GreaterOrEqual) => ">=",
            BinaryOperator::Matches => "matches",
        }
    }

    #[test]
    fn follows_spel_precedence_and_reads_access_calls_and_collections() {
        let cases = [
            (
                "1 + 2 * 3 == 7 && !false",
                "(((1 + (2 * 3)) == 7) && (Not false))",
            ),
            ("a || b && c", "(a || (b && c))"),
            ("a or b AND not c", "(a || (b && (Not c)))"),
            ("1 - 2 - 3", "((1 - 2) - 3)"),
            ("-2 * 3", "((Negate 2) * 3)"),
            ("x lt 3 ? 'a' : 'b'", "((x < 3) ? \"a\" : \"b\")"),
            ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
            ("a ?: b ?: 'c'", "(a ?: (b ?: \"c\"))"),
            ("(1 + 2) * 3", "((1 + 2) * 3)"),
            ("7 div 2 MOD 3", "((7 / 2) % 3)"),
            ("name matches '[a-z]+'", "(name matches \"[a-z]+\")"),
            // Access, calls and collections.
            ("a.b?.c['d'][0]", "a.b?.c[\"d\"][0]"),
            ("s.substring(1, 2).trim()", "s.substring(1,2).trim()"),
            ("#stage('Deploy').context.x", "#stage(\"Deploy\").context.x"),
            ("#root.trigger", "#root.trigger"),
            ("{1, 'x', {}}", "{1,\"x\",{}}"),
            ("{a: 1, 'b c': {:}, 3: true}", "{a:1,b c:{},3:true}"),
            ("a.lt", "a.lt"),
            ("TRUE and Null", "(true && null)"),
        ];
        for (source, expected) in cases {
            assert_eq!(shape(&parse(source).unwrap()), expected, "{source}");
        }
    }

    #[test]
    fn spans_quote_what_the_user_wrote() {
        let source = "(a.b).c(1) + x";
        let Expr::Binary { left, .. } = parse(source).unwrap().expr else {
            panic!("not a binary expression");
        };
        assert_eq!(&source[left.span.start..left.span.end], "(a.b).c(1)");
    }

    #[test]
    fn syntax_errors_say_what_is_expected_and_where() {
        let cases = [
            (
                "trigger.parameters.",
                19,
                "expected a property name after \".\"",
            ),
            ("", 0, "the expression is empty"),
            ("1 +", 3, "the expression ends too early: expected a value"),
            (
                "a b",
                2,
                "expected an operator or the end of the expression, but found \"b\"",
            ),
            (
                "1 < 2 < 3",
                6,
                "expected an operator or the end of the expression, but found \"<\"",
            ),
            (
                "a[0",
                3,
                "expected \"]\" to close \"[\", but found the end of the expression",
            ),
            (
                "(1",
                2,
                "expected \")\" to close \"(\", but found the end of the expression",
            ),
            (
                "c ? 1",
                5,
                "expected \":\" and the value for when the condition is false, but found the end of the expression",
            ),
            (
                "f(1)",
                0,
                "f(…) is not a function: functions start with \"#\" (#toInt(…)) and methods follow a value (name.toLowerCase())",
            ),
            (
                "toInt('1')",
                0,
                "toInt(…) is not a function: functions start with \"#\" (#toInt(…)) and methods follow a value (name.toLowerCase()); did you mean #toInt(…)?",
            ),
            ("#toInt", 6, "#toInt is a function: call it as #toInt(…)"),
            (
                "#toInt(1, 2)",
                0,
                "#toInt takes one argument, but was given 2",
            ),
            ("#root()", 0, "#root is the root object, not a function"),
            (
                "{a: 1, [x]: 2}",
                7,
                "a map key must be a name or a quoted string, as in {env: 'prod', 'a b': 1}",
            ),
            (
                "{1, 2",
                5,
                "expected \",\" or \"}\", but found the end of the expression",
            ),
            (")", 0, "expected a value, but found \")\""),
        ];
        for (source, offset, message) in cases {
            let error = parse(source).unwrap_err();
            assert_eq!(
                (error.offset, error.message.as_str()),
                (offset, message),
                "{source}"
            );
        }
        let unknown = parse("#toInteger(1)").unwrap_err().message;
        assert_eq!(
            unknown,
            "unknown function #toInteger (there are: alphanumerical, judgement, judgment, readJson, root, stage, toBoolean, toFloat, toInt, toJson, triggerResolvedArtifact)"
        );
    }

    #[test]
    fn refuses_deep_nesting_instead_of_overflowing() {
        let parentheses = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        let negations = format!("{}true", "!".repeat(500));
        let chain = vec!["1"; 500].join(" + ");
        for source in [parentheses, negations, chain] {
            let error = parse(&source).unwrap_err();
            assert!(
                error.message.contains("nests too deeply"),
                "{}",
                error.message
            );
        }
        let fine = vec!["1"; 50].join(" + ");
        assert!(parse(&fine).is_ok());
    }
}
