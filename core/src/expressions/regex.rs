//! Regular expressions for `matches`, `.matches()` and `.replaceAll()`, on `regex-lite`: its
//! matching takes time linear in the text for each search (no backtracking blow-up however a
//! pattern is written), and it is small enough for the browser's bundle.
//!
//! The syntax is the one Java and `regex-lite` share: literals and `\`-escaped punctuation,
//! `.`, `^` and `$` (start and end of the whole text), classes `[a-z0-9_]` and `[^…]`,
//! `\d \w \s` and `\D \W \S` (ASCII, as Java's defaults), `\b \B`, `\t \n \r \f`, groups
//! `(…)`, `(?:…)` and `(?<name>…)`, inline flags `(?i)`, alternation `|`, and the quantifiers
//! `* + ? {n} {n,} {n,m}`, greedy or lazy. Refused with the engine's reason: back-references
//! (`\1`), look-around (`(?=…)`), possessive quantifiers (`*+`) and Unicode classes (`\p{L}`).
//!
//! Every search is linear, but `replaceAll` searches once per match; the caller's budget is
//! checked between matches and the text made is bounded, so no pattern can hang the server.

use super::budget::Budget;
use super::error::Evaluated;
use super::values::count;

/// How deep a pattern may nest its groups and repetitions.
const DEEPEST_NESTING: u32 = 50;
/// The most memory a compiled pattern may take.
const LARGEST_PROGRAM: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub(super) struct Regex {
    pattern: String,
    compiled: regex_lite::Regex,
}

/// One part of a `replaceAll` replacement: text, or `$n`.
enum Replacement {
    Text(String),
    Group(usize),
}

/// `pattern` compiled within the nesting and size limits; the error is the engine's reason,
/// on one line.
pub(crate) fn compile(pattern: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::RegexBuilder::new(pattern)
        .nest_limit(DEEPEST_NESTING)
        .size_limit(LARGEST_PROGRAM)
        .build()
        .map_err(|error| {
            // The engine's message spans lines (the pattern, a caret, the reason): keep the
            // reason.
            let text = error.to_string();
            let reason = text
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("error:").map(str::trim))
                .map(str::to_string);
            reason.unwrap_or_else(|| text.lines().last().unwrap_or_default().trim().to_string())
        })
}

/// `pattern` as Java reads it, in `regex-lite`'s syntax: Java takes `\<` and `\>` as the
/// characters themselves, where `regex-lite` reads word-start and word-end assertions.
fn as_java_reads_it(pattern: &str) -> String {
    let mut translated = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            translated.push(c);
            continue;
        }
        match chars.next() {
            Some(angle @ ('<' | '>')) => translated.push(angle),
            Some(escaped) => {
                translated.push('\\');
                translated.push(escaped);
            }
            None => translated.push('\\'),
        }
    }
    translated
}

impl Regex {
    /// Compiles `pattern`; the error says what in it is wrong or not supported.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let pattern = as_java_reads_it(pattern);
        Ok(Regex {
            compiled: compile(&pattern)?,
            pattern,
        })
    }

    /// Whether the regex matches all of `text` (Java's `String.matches`).
    pub fn matches_whole(&self, text: &str) -> Result<bool, String> {
        let anchored = compile(&format!(r"\A(?:{})\z", self.pattern))?;
        Ok(anchored.is_match(text))
    }

    /// `text` with every match replaced, as Java's `String.replaceAll`: in `replacement`, `$n`
    /// is group n and `\` takes the next character literally. The outer error is the
    /// budget's; the inner one a problem with the replacement.
    pub fn replace_all(
        &self,
        text: &str,
        replacement: &str,
        budget: &Budget,
    ) -> Evaluated<Result<String, String>> {
        let replacement = match self.replacement(replacement) {
            Ok(parts) => parts,
            Err(problem) => return Ok(Err(problem)),
        };
        let mut result = String::new();
        let mut copied = 0;
        // Java's `Matcher.find`: the next search starts where the match ended, and one
        // character further after an empty match; so, unlike `captures_iter`, an empty match
        // right after a match counts (`"abc".replaceAll("b*", "-")` is `-a--c-`).
        let mut from = Some(0);
        while let Some(captures) = from.and_then(|at| self.compiled.captures_at(text, at)) {
            budget.in_time()?;
            let Some(whole) = captures.get(0) else {
                break;
            };
            from = if whole.is_empty() {
                text[whole.end()..]
                    .chars()
                    .next()
                    .map(|next| whole.end() + next.len_utf8())
            } else {
                Some(whole.end())
            };
            result.push_str(&text[copied..whole.start()]);
            for part in &replacement {
                match part {
                    Replacement::Text(literal) => result.push_str(literal),
                    Replacement::Group(group) => {
                        if let Some(found) = captures.get(*group) {
                            result.push_str(found.as_str());
                        }
                    }
                }
            }
            copied = whole.end();
            budget.text_of(result.len())?;
        }
        result.push_str(&text[copied..]);
        budget.text_of(result.len())?;
        Ok(Ok(result))
    }

    fn groups(&self) -> usize {
        self.compiled.captures_len().saturating_sub(1)
    }

    fn replacement(&self, replacement: &str) -> Result<Vec<Replacement>, String> {
        let groups = self.groups();
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
                    if group > groups {
                        return Err(format!(
                            "the replacement refers to group ${group}, but the pattern has {}",
                            count(groups, "group")
                        ));
                    }
                    // Java reads more digits while they still name an existing group.
                    while let Some(next) = chars
                        .peek()
                        .and_then(|d| d.to_digit(10))
                        .map(|d| group * 10 + d as usize)
                        .filter(|&next| next <= groups)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(pattern: &str, text: &str, with: &str) -> String {
        Regex::new(pattern)
            .expect("a pattern")
            .replace_all(text, with, &Budget::new())
            .expect("within the budget")
            .expect("a replacement")
    }

    #[test]
    fn java_semantics_for_what_users_write() {
        assert_eq!(replace(r"v(\d+)\.(\d+).*", "v1.27.3", "$1.$2"), "1.27");
        assert_eq!(replace("[^0-9]", "v1-2", ""), "12");
        assert_eq!(replace("x*", "abc", "-"), "-a-b-c-");
        // Java's rule for an empty match right after a match.
        assert_eq!(replace("b*", "abc", "-"), "-a--c-");
        assert_eq!(replace(".*", "abc", "X"), "XX");
        assert_eq!(replace("", "aé", "-"), "-a-é-");
        // Java reads \< and \> as the characters.
        assert_eq!(replace(r"\<b\>", "a<b>c", "B"), "aBc");
        assert_eq!(replace(r"\\<", r"a\<", "!"), "a!");
        assert_eq!(replace("a", "banana", r"\$"), "b$n$n$");
        let regex = Regex::new("p.*").expect("a pattern");
        assert_eq!(regex.matches_whole("prod"), Ok(true));
        assert_eq!(regex.matches_whole("xprod"), Ok(false));
        assert_eq!(
            Regex::new("a|b").and_then(|r| r.matches_whole("ab")),
            Ok(false)
        );
    }

    #[test]
    fn unsupported_patterns_say_why_on_one_line() {
        let error = Regex::new(r"(a)\1").unwrap_err();
        assert!(!error.contains('\n') && !error.is_empty(), "{error}");
        let error = Regex::new("[a-").unwrap_err();
        assert!(error.contains("class"), "{error}");
    }

    #[test]
    fn a_pattern_that_backtracking_engines_choke_on_is_quick() {
        // Exponential for a backtracking engine; linear per search here.
        let regex = Regex::new("(a+)+$").expect("a pattern");
        let text = format!("{}!", "a".repeat(100_000));
        assert_eq!(regex.matches_whole(&text), Ok(false));
    }

    #[test]
    fn replacements_stay_within_the_budget() {
        let regex = Regex::new("").expect("a pattern");
        let huge = "x".repeat(1024 * 1024);
        let text = "a".repeat(100);
        let result = regex.replace_all(&text, &huge, &Budget::new());
        assert!(result.is_err(), "the text made is bounded");
    }
}
