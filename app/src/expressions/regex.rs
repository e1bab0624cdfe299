//! A small regular-expression engine for `matches`, `.matches()` and `.replaceAll()`, so the
//! WASM bundle needs no regex crate.
//!
//! Supported, with Java's meaning: literal characters and `\`-escaped punctuation, `.` (any
//! character but a line break), `^` and `$` (start and end of the whole text), classes
//! `[a-z0-9_]` and `[^…]`, `\d \w \s` and `\D \W \S` (ASCII, as Java's defaults), `\b \B`,
//! `\t \n \r \f`, groups `(…)` and `(?:…)`, alternation `|`, and the quantifiers
//! `* + ? {n} {n,} {n,m}`, greedy or lazy (`*?`).
//!
//! Not supported, each refused with a message: back-references (`\1`), look-around
//! (`(?=…)`, `(?<=…)`), named groups, inline flags (`(?i)`), possessive quantifiers (`*+`),
//! Unicode and POSIX classes (`\p{L}`), class unions and intersections (`[a[b]]`,
//! `[a-z&&[^c]]`; `&&` is read as two `&`), and escapes such as `\x41`, `\u0041` or `\Q…\E`.
//! Unlike Java, `$` does not match before a final line break.
//!
//! Matching walks a compiled program depth first, trying each (instruction, position) pair
//! at most once, so time is bounded by pattern size × text length: a pattern cannot hang the
//! server however it is written.

use super::values::count;

/// The most instructions a pattern may compile to; `{n,m}` copies its operand, so large
/// counts are what reaches this.
const MOST_INSTRUCTIONS: usize = 10_000;
/// The most (instruction, position) pairs one search may track: 256 KiB of bits.
const MOST_STATES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(super) struct Regex {
    program: Vec<Instruction>,
    /// Capturing groups, not counting group 0 (the whole match).
    groups: usize,
}

#[derive(Debug, Clone)]
enum Instruction {
    Char(char),
    AnyButNewline,
    Class(Class),
    Assert(Assertion),
    /// Try the first address, and on failure the second.
    Split(usize, usize),
    Jump(usize),
    /// Record the current position in a capture slot.
    Save(usize),
    Match,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Assertion {
    Start,
    End,
    WordBoundary,
    NotWordBoundary,
}

impl Assertion {
    fn holds(self, text: &[char], at: usize) -> bool {
        let word_before = at > 0 && Shorthand::Word.contains(text[at - 1]);
        let word_after = text.get(at).is_some_and(|&c| Shorthand::Word.contains(c));
        match self {
            Assertion::Start => at == 0,
            Assertion::End => at == text.len(),
            Assertion::WordBoundary => word_before != word_after,
            Assertion::NotWordBoundary => word_before == word_after,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Class {
    negated: bool,
    items: Vec<ClassItem>,
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.items.iter().any(|item| item.contains(c)) != self.negated
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ClassItem {
    Range(char, char),
    Shorthand { class: Shorthand, negated: bool },
}

impl ClassItem {
    fn contains(self, c: char) -> bool {
        match self {
            ClassItem::Range(low, high) => (low..=high).contains(&c),
            ClassItem::Shorthand { class, negated } => class.contains(c) != negated,
        }
    }
}

/// `\d`, `\w`, `\s`: ASCII only, as in Java without UNICODE_CHARACTER_CLASS.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shorthand {
    Digit,
    Word,
    Space,
}

impl Shorthand {
    fn contains(self, c: char) -> bool {
        match self {
            Shorthand::Digit => c.is_ascii_digit(),
            Shorthand::Word => c.is_ascii_alphanumeric() || c == '_',
            Shorthand::Space => matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r'),
        }
    }
}

/// The parsed pattern, before it is compiled to instructions.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Char(char),
    AnyButNewline,
    Class(Class),
    Assert(Assertion),
    Group {
        inner: Box<Piece>,
        capture: Option<usize>,
    },
    Sequence(Vec<Piece>),
    Alternatives(Vec<Piece>),
    Repeat {
        inner: Box<Piece>,
        min: usize,
        max: Option<usize>,
        greedy: bool,
    },
}

/// What a `\` escape stands for.
enum Escape {
    Char(char),
    Shorthand(Shorthand, bool),
    Assert(Assertion),
}

/// One part of a `replaceAll` replacement: text, or `$n`.
enum Replacement {
    Text(String),
    Group(usize),
}

impl Regex {
    /// Compiles `pattern`; the error says what in it is wrong or not supported.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let mut parser = PatternParser {
            chars: pattern.chars().collect(),
            at: 0,
            groups: 0,
            open_groups: 0,
        };
        let piece = parser.alternatives()?;
        if parser.peek().is_some() {
            return Err("it has a \")\" that closes no \"(\"".to_string());
        }
        let mut program = vec![Instruction::Save(0)];
        compile(&piece, &mut program)?;
        program.extend([Instruction::Save(1), Instruction::Match]);
        Ok(Regex {
            program,
            groups: parser.groups,
        })
    }

    /// Whether the regex matches all of `text` (Java's `String.matches`).
    pub fn matches_whole(&self, text: &str) -> Result<bool, String> {
        let text: Vec<char> = text.chars().collect();
        let mut visited = self.visited(text.len())?;
        Ok(self.attempt(&text, 0, true, &mut visited).is_some())
    }

    /// `text` with every match replaced, as Java's `String.replaceAll`: in `replacement`, `$n`
    /// is group n and `\` takes the next character literally.
    pub fn replace_all(&self, text: &str, replacement: &str) -> Result<String, String> {
        let replacement = self.replacement(replacement)?;
        let text: Vec<char> = text.chars().collect();
        let mut result = String::new();
        let mut copied = 0;
        let mut from = 0;
        while from <= text.len() {
            let Some(slots) = self.find(&text, from)? else {
                break;
            };
            let (start, end) = (slots[0].unwrap_or(from), slots[1].unwrap_or(from));
            result.extend(&text[copied..start]);
            for part in &replacement {
                match part {
                    Replacement::Text(literal) => result.push_str(literal),
                    Replacement::Group(group) => {
                        if let (Some(s), Some(e)) = (slots[2 * group], slots[2 * group + 1]) {
                            result.extend(&text[s..e]);
                        }
                    }
                }
            }
            copied = end;
            from = end;
            if start == end {
                // An empty match: step over one character, or the search would find it again.
                if let Some(&c) = text.get(end) {
                    result.push(c);
                }
                copied = end + 1;
                from = end + 1;
            }
        }
        if copied < text.len() {
            result.extend(&text[copied..]);
        }
        Ok(result)
    }

    /// The capture slots of the leftmost match starting at `from` or later.
    fn find(&self, text: &[char], from: usize) -> Result<Option<Vec<Option<usize>>>, String> {
        let mut visited = self.visited(text.len())?;
        // Sharing `visited` between start positions is sound: whether a state can reach
        // `Match` does not depend on where the attempt began.
        Ok((from..=text.len()).find_map(|start| self.attempt(text, start, false, &mut visited)))
    }

    fn visited(&self, text_length: usize) -> Result<Vec<u64>, String> {
        let states = self.program.len() * (text_length + 1);
        if states > MOST_STATES {
            return Err(format!(
                "the text ({text_length} characters) is too long for this pattern"
            ));
        }
        Ok(vec![0; states.div_ceil(64)])
    }

    /// Runs the program from `start`, highest-priority path first; `whole` requires the match
    /// to end at the end of the text.
    fn attempt(
        &self,
        text: &[char],
        start: usize,
        whole: bool,
        visited: &mut [u64],
    ) -> Option<Vec<Option<usize>>> {
        enum Job {
            Explore { pc: usize, at: usize },
            Restore { slot: usize, value: Option<usize> },
        }
        let width = self.program.len();
        let mut slots = vec![None; 2 * (self.groups + 1)];
        let mut jobs = vec![Job::Explore { pc: 0, at: start }];
        while let Some(job) = jobs.pop() {
            let (mut pc, mut at) = match job {
                Job::Restore { slot, value } => {
                    slots[slot] = value;
                    continue;
                }
                Job::Explore { pc, at } => (pc, at),
            };
            loop {
                let state = at * width + pc;
                let (word, bit) = (state / 64, 1u64 << (state % 64));
                if visited[word] & bit != 0 {
                    break;
                }
                visited[word] |= bit;
                let consumes = match &self.program[pc] {
                    Instruction::Char(expected) => Some(text.get(at) == Some(expected)),
                    Instruction::AnyButNewline => Some(text.get(at).is_some_and(|&c| c != '\n')),
                    Instruction::Class(class) => {
                        Some(text.get(at).is_some_and(|&c| class.contains(c)))
                    }
                    Instruction::Assert(assertion) => {
                        if !assertion.holds(text, at) {
                            break;
                        }
                        pc += 1;
                        None
                    }
                    Instruction::Split(first, second) => {
                        jobs.push(Job::Explore { pc: *second, at });
                        pc = *first;
                        None
                    }
                    Instruction::Jump(to) => {
                        pc = *to;
                        None
                    }
                    Instruction::Save(slot) => {
                        jobs.push(Job::Restore {
                            slot: *slot,
                            value: slots[*slot],
                        });
                        slots[*slot] = Some(at);
                        pc += 1;
                        None
                    }
                    Instruction::Match => {
                        if whole && at != text.len() {
                            break;
                        }
                        return Some(slots);
                    }
                };
                match consumes {
                    Some(true) => {
                        pc += 1;
                        at += 1;
                    }
                    Some(false) => break,
                    None => {}
                }
            }
        }
        None
    }

    fn replacement(&self, replacement: &str) -> Result<Vec<Replacement>, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = replacement.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => literal.push(
                    chars
                        .next()
                        .ok_or("the replacement ends with \\, which escapes nothing")?,
                ),
                '$' => {
                    let mut group = chars.next().and_then(|d| d.to_digit(10)).ok_or(
                        "in the replacement, $ must be followed by a group number such as $1 \
                         (write \\$ for a dollar sign)",
                    )? as usize;
                    if group > self.groups {
                        return Err(format!(
                            "the replacement refers to group ${group}, but the pattern has {}",
                            count(self.groups, "group")
                        ));
                    }
                    // Java reads more digits while they still name an existing group.
                    while let Some(next) = chars
                        .peek()
                        .and_then(|d| d.to_digit(10))
                        .map(|d| group * 10 + d as usize)
                        .filter(|&next| next <= self.groups)
                    {
                        group = next;
                        chars.next();
                    }
                    parts.push(Replacement::Text(std::mem::take(&mut literal)));
                    parts.push(Replacement::Group(group));
                }
                other => literal.push(other),
            }
        }
        parts.push(Replacement::Text(literal));
        Ok(parts)
    }
}

struct PatternParser {
    chars: Vec<char>,
    at: usize,
    groups: usize,
    /// Groups open around the current position; parsing and compiling recurse per level, so
    /// a pattern from a parameter must not be able to nest without limit.
    open_groups: usize,
}

impl PatternParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, expected: char) -> bool {
        let found = self.peek() == Some(expected);
        if found {
            self.at += 1;
        }
        found
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.at += 1;
        }
        c
    }

    fn alternatives(&mut self) -> Result<Piece, String> {
        let mut alternatives = vec![self.sequence()?];
        while self.eat('|') {
            alternatives.push(self.sequence()?);
        }
        Ok(match alternatives.len() {
            1 => alternatives.remove(0),
            _ => Piece::Alternatives(alternatives),
        })
    }

    fn sequence(&mut self) -> Result<Piece, String> {
        let mut pieces = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            pieces.push(self.quantified(atom)?);
        }
        Ok(Piece::Sequence(pieces))
    }

    fn atom(&mut self) -> Result<Piece, String> {
        let Some(c) = self.next() else {
            return Err("it ends too early".to_string());
        };
        Ok(match c {
            '(' => self.group()?,
            '[' => Piece::Class(self.class()?),
            '.' => Piece::AnyButNewline,
            '^' => Piece::Assert(Assertion::Start),
            '$' => Piece::Assert(Assertion::End),
            '\\' => match self.escape()? {
                Escape::Char(c) => Piece::Char(c),
                Escape::Shorthand(class, negated) => Piece::Class(Class {
                    negated: false,
                    items: vec![ClassItem::Shorthand { class, negated }],
                }),
                Escape::Assert(assertion) => Piece::Assert(assertion),
            },
            '*' | '+' | '?' | '{' => {
                return Err(format!(
                    "\"{c}\" has nothing before it to repeat (write \\{c} for the character itself)"
                ));
            }
            other => Piece::Char(other),
        })
    }

    fn group(&mut self) -> Result<Piece, String> {
        let capture = if self.eat('?') {
            if !self.eat(':') {
                return Err(
                    "look-around, named groups and flags ((?=…), (?<name>…), (?i)) are not supported"
                        .to_string(),
                );
            }
            None
        } else {
            self.groups += 1;
            Some(self.groups)
        };
        const DEEPEST: usize = 50;
        if self.open_groups == DEEPEST {
            return Err(format!("its groups nest more than {DEEPEST} deep"));
        }
        self.open_groups += 1;
        let inner = self.alternatives();
        self.open_groups -= 1;
        let inner = inner?;
        if !self.eat(')') {
            return Err("a \"(\" is never closed".to_string());
        }
        Ok(Piece::Group {
            inner: Box::new(inner),
            capture,
        })
    }

    fn quantified(&mut self, atom: Piece) -> Result<Piece, String> {
        let single = match self.peek() {
            Some('*') => Some((0, None)),
            Some('+') => Some((1, None)),
            Some('?') => Some((0, Some(1))),
            _ => None,
        };
        let (min, max) = match single {
            Some(counts) => {
                self.at += 1;
                counts
            }
            None if self.peek() == Some('{') => self.counted()?,
            None => return Ok(atom),
        };
        let greedy = !self.eat('?');
        if self.peek() == Some('+') {
            return Err("possessive quantifiers (*+, ++, ?+) are not supported".to_string());
        }
        Ok(Piece::Repeat {
            inner: Box::new(atom),
            min,
            max,
            greedy,
        })
    }

    /// `{n}`, `{n,}` or `{n,m}`, from its `{` to past its `}`.
    fn counted(&mut self) -> Result<(usize, Option<usize>), String> {
        const MOST: usize = 1000;
        let bad = || "a repetition must read {n}, {n,} or {n,m}".to_string();
        self.at += 1;
        let min = self.number().ok_or_else(bad)?;
        let max = if self.eat(',') {
            match self.peek() {
                Some('}') => None,
                _ => Some(self.number().ok_or_else(bad)?),
            }
        } else {
            Some(min)
        };
        if !self.eat('}') {
            return Err(bad());
        }
        if max.is_some_and(|max| max < min) {
            return Err(format!(
                "in {{{min},…}} the largest count is smaller than {min}"
            ));
        }
        if min.max(max.unwrap_or(0)) > MOST {
            return Err(format!("repetition counts go up to {MOST}"));
        }
        Ok((min, max))
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let digits: String = self.chars[start..self.at].iter().collect();
        digits.parse().ok()
    }

    fn escape(&mut self) -> Result<Escape, String> {
        let c = self
            .next()
            .ok_or("it ends with \\, which escapes nothing")?;
        let shorthand = |class, negated| Ok(Escape::Shorthand(class, negated));
        match c {
            'd' => shorthand(Shorthand::Digit, false),
            'D' => shorthand(Shorthand::Digit, true),
            'w' => shorthand(Shorthand::Word, false),
            'W' => shorthand(Shorthand::Word, true),
            's' => shorthand(Shorthand::Space, false),
            'S' => shorthand(Shorthand::Space, true),
            'b' => Ok(Escape::Assert(Assertion::WordBoundary)),
            'B' => Ok(Escape::Assert(Assertion::NotWordBoundary)),
            't' => Ok(Escape::Char('\t')),
            'n' => Ok(Escape::Char('\n')),
            'r' => Ok(Escape::Char('\r')),
            'f' => Ok(Escape::Char('\u{c}')),
            '1'..='9' => Err(format!("back-references such as \\{c} are not supported")),
            c if c.is_ascii_alphanumeric() => Err(format!("\\{c} is not supported")),
            c => Ok(Escape::Char(c)),
        }
    }

    /// A class, after its `[`.
    fn class(&mut self) -> Result<Class, String> {
        let unclosed = || "a \"[\" is never closed".to_string();
        let negated = self.eat('^');
        let mut items = Vec::new();
        loop {
            let low = match self.next().ok_or_else(unclosed)? {
                ']' if items.is_empty() => return Err("the class [] is empty".to_string()),
                ']' => return Ok(Class { negated, items }),
                '[' => return Err("classes inside classes ([a[b]]) are not supported".to_string()),
                '\\' => match self.escape()? {
                    Escape::Char(c) => c,
                    Escape::Shorthand(class, negated) => {
                        items.push(ClassItem::Shorthand { class, negated });
                        continue;
                    }
                    Escape::Assert(_) => {
                        return Err("\\b and \\B cannot stand inside [ ]".to_string());
                    }
                },
                c => c,
            };
            let is_range =
                self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|&c| c != ']');
            if !is_range {
                items.push(ClassItem::Range(low, low));
                continue;
            }
            self.at += 1;
            let high = match self.next().ok_or_else(unclosed)? {
                '\\' => match self.escape()? {
                    Escape::Char(c) => c,
                    _ => return Err(format!("a range from {low} must end at a character")),
                },
                c => c,
            };
            if high < low {
                return Err(format!("the range {low}-{high} is backwards"));
            }
            items.push(ClassItem::Range(low, high));
        }
    }
}

fn compile(piece: &Piece, program: &mut Vec<Instruction>) -> Result<(), String> {
    if program.len() > MOST_INSTRUCTIONS {
        return Err("it is too large (are its repetition counts too high?)".to_string());
    }
    match piece {
        Piece::Char(c) => program.push(Instruction::Char(*c)),
        Piece::AnyButNewline => program.push(Instruction::AnyButNewline),
        Piece::Class(class) => program.push(Instruction::Class(class.clone())),
        Piece::Assert(assertion) => program.push(Instruction::Assert(*assertion)),
        Piece::Group { inner, capture } => match capture {
            Some(group) => {
                program.push(Instruction::Save(2 * group));
                compile(inner, program)?;
                program.push(Instruction::Save(2 * group + 1));
            }
            None => compile(inner, program)?,
        },
        Piece::Sequence(pieces) => {
            for piece in pieces {
                compile(piece, program)?;
            }
        }
        Piece::Alternatives(alternatives) => {
            let mut jumps_to_end = Vec::new();
            let (last, others) = alternatives.split_last().ok_or("it is empty")?;
            for alternative in others {
                let split = program.len();
                program.push(Instruction::Split(split + 1, 0));
                compile(alternative, program)?;
                jumps_to_end.push(program.len());
                program.push(Instruction::Jump(0));
                program[split] = Instruction::Split(split + 1, program.len());
            }
            compile(last, program)?;
            let end = program.len();
            for jump in jumps_to_end {
                program[jump] = Instruction::Jump(end);
            }
        }
        Piece::Repeat {
            inner,
            min,
            max,
            greedy,
        } => {
            for _ in 0..*min {
                compile(inner, program)?;
            }
            let optional = match max {
                Some(max) => max - min,
                None => 1,
            };
            for _ in 0..optional {
                let split = program.len();
                program.push(Instruction::Split(0, 0));
                compile(inner, program)?;
                if max.is_none() {
                    program.push(Instruction::Jump(split));
                }
                let (body, after) = (split + 1, program.len());
                program[split] = if *greedy {
                    Instruction::Split(body, after)
                } else {
                    Instruction::Split(after, body)
                };
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().matches_whole(text).unwrap()
    }

    #[test]
    fn matches_the_whole_text_as_java_does() {
        let cases = [
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("^v\\d+\\.\\d+$", "v1.25", true),
            ("a.c", "abc", true),
            ("a.c", "a\nc", false),
            ("ab*c", "ac", true),
            ("ab+c", "ac", false),
            ("colou?r", "color", true),
            ("[a-z0-9-]+", "my-app-2", true),
            ("[a-z0-9-]+", "My-app", false),
            ("[^0-9]+", "abc", true),
            ("\\w+@\\w+", "me@host", true),
            ("\\s*x\\s*", "  x ", true),
            ("\\D\\W\\S", "a-b", true),
            ("(prod|staging)-.*", "staging-eu", true),
            ("(prod|staging)-.*", "dev-eu", false),
            ("(?:ab)+", "ababab", true),
            ("a{2,3}", "aaa", true),
            ("a{2,3}", "aaaa", false),
            ("a{2}", "aa", true),
            ("a{2,}", "aaaaa", true),
            ("x*?y", "xxy", true),
            (".*\\bend", "the end", true),
            (".*\\bend", "theend", false),
            ("a\\.b", "a.b", true),
            ("a\\.b", "axb", false),
            ("", "", true),
            ("(a|)+b", "aab", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), expected, "{pattern:?} on {text:?}");
        }
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let text = "a".repeat(5000);
        assert!(!matches("(a*)*b", &text));
        assert!(!matches("(a|aa)+b", &text));
    }

    #[test]
    fn replaces_every_match_with_groups_as_java_does() {
        let replace = |pattern: &str, text: &str, with: &str| {
            Regex::new(pattern)
                .unwrap()
                .replace_all(text, with)
                .unwrap()
        };
        assert_eq!(replace("[^a-z0-9]", "My_App.v2", "-"), "-y--pp-v2");
        assert_eq!(replace("v(\\d+)\\.(\\d+)", "v1.2 v3.4", "$2.$1"), "2.1 4.3");
        assert_eq!(replace("b*", "abc", "-"), "-a--c-");
        assert_eq!(replace("x", "abc", "-"), "abc");
        assert_eq!(replace("a", "aaa", "\\$"), "$$$");
        assert_eq!(replace("(a)", "a", "$10"), "a0");
        assert_eq!(replace("^", "abc", ">"), ">abc");
        assert_eq!(replace("é", "café é", "e"), "cafe e");
    }

    #[test]
    fn refuses_what_it_does_not_support_with_a_reason() {
        let error = |pattern: &str| Regex::new(pattern).unwrap_err();
        let cases = [
            ("[a-", "a \"[\" is never closed"),
            ("(ab", "a \"(\" is never closed"),
            ("ab)", "it has a \")\" that closes no \"(\""),
            (
                "*a",
                "\"*\" has nothing before it to repeat (write \\* for the character itself)",
            ),
            ("(a)\\1", "back-references such as \\1 are not supported"),
            (
                "(?=a)",
                "look-around, named groups and flags ((?=…), (?<name>…), (?i)) are not supported",
            ),
            ("\\p{L}", "\\p is not supported"),
            ("[z-a]", "the range z-a is backwards"),
            ("a{3,1}", "in {3,…} the largest count is smaller than 3"),
            ("a{x}", "a repetition must read {n}, {n,} or {n,m}"),
            (
                "a*+",
                "possessive quantifiers (*+, ++, ?+) are not supported",
            ),
            ("a\\", "it ends with \\, which escapes nothing"),
            ("[]", "the class [] is empty"),
        ];
        for (pattern, message) in cases {
            assert_eq!(error(pattern), message, "{pattern:?}");
        }
        let huge = Regex::new("(a{1000}){1000}").unwrap_err();
        assert!(huge.contains("too large"), "{huge}");
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(
            Regex::new(&deep).unwrap_err(),
            "its groups nest more than 50 deep"
        );
    }

    #[test]
    fn refuses_bad_replacements() {
        let regex = Regex::new("(a)").unwrap();
        assert!(
            regex
                .replace_all("a", "$2")
                .unwrap_err()
                .contains("has 1 group")
        );
        assert!(
            regex
                .replace_all("a", "$x")
                .unwrap_err()
                .contains("group number")
        );
    }
}
