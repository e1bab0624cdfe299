//! Where a JSON path (`stages[2].requisiteStageRefIds[0]`, as validation names fields) sits in
//! a JSON text: the line of its key, or of the element for a list index. "Edit as JSON" uses it
//! to put each problem at its line, whatever the text's layout.

use super::write::{Seg, path_text};

/// A container being read, with the path step of the member being read in it.
enum Frame {
    /// In an object: the last key read, and whether the next string is a key.
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    /// In a list: the index of the current element.
    List { index: usize },
}

/// Every path in `text` (a JSON document) with its line, numbered from 1, in document order.
/// Meant for text that parsed; on malformed text it gives what it could read.
pub fn path_lines(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let current = |stack: &[Frame]| -> String {
        let steps: Vec<Seg<'_>> = stack
            .iter()
            .filter_map(|f| match f {
                Frame::Object { key, .. } => key.as_deref().map(Seg::Key),
                Frame::List { index } => Some(Seg::Index(*index)),
            })
            .collect();
        path_text("", &steps)
    };
    // A value begins: an element of a list is named by its index (an object's member was named
    // by its key already).
    let element = |stack: &[Frame], line: usize, found: &mut Vec<(String, usize)>| {
        if let Some(Frame::List { .. }) = stack.last() {
            found.push((current(stack), line));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '{' => {
                element(&stack, line, &mut found);
                stack.push(Frame::Object {
                    key: None,
                    expect_key: true,
                });
            }
            '[' => {
                element(&stack, line, &mut found);
                stack.push(Frame::List { index: 0 });
            }
            '}' | ']' => {
                stack.pop();
            }
            ',' => match stack.last_mut() {
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                Some(Frame::List { index }) => *index += 1,
                None => {}
            },
            ':' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            '"' => {
                let start = line;
                let text = read_string(&mut chars, &mut line);
                match stack.last_mut() {
                    Some(Frame::Object {
                        key,
                        expect_key: true,
                    }) => {
                        *key = Some(text);
                        found.push((current(&stack), start));
                    }
                    _ => element(&stack, start, &mut found),
                }
            }
            _ => {
                // A number or a literal: read to its end.
                element(&stack, line, &mut found);
                while let Some(&next) = chars.peek() {
                    if next == ',' || next == '}' || next == ']' || next.is_whitespace() {
                        break;
                    }
                    chars.next();
                }
            }
        }
    }
    found
}

/// Reads a string's content after its opening quote, up to and including the closing one.
fn read_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, line: &mut usize) -> String {
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some('r') => text.push('\r'),
                Some('b') => text.push('\u{8}'),
                Some('f') => text.push('\u{c}'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        text.push(c);
                    }
                }
                Some(other) => text.push(other),
                None => break,
            },
            '\n' => {
                *line += 1;
                text.push(c);
            }
            c => text.push(c),
        }
    }
    text
}

/// The line of `path` in `text`; a path that is not there (a missing field) gives the line of
/// its nearest enclosing one, and the first line when none is.
pub fn line_of(text: &str, path: &str) -> usize {
    let lines = path_lines(text);
    let mut wanted = path.to_string();
    loop {
        if let Some((_, line)) = lines.iter().find(|(p, _)| *p == wanted) {
            return *line;
        }
        match wanted.rfind(['.', '[']) {
            Some(cut) => wanted.truncate(cut),
            None => return 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_of_pretty_json_point_at_their_lines() {
        let text = serde_json::to_string_pretty(&json!({
            "name": "Deploy",
            "stages": [
                {"refId": "1", "requisiteStageRefIds": ["2"], "type": "wait"},
                {"refId": "2", "requisiteStageRefIds": ["1"], "type": "wait"}
            ]
        }))
        .unwrap();
        let line = |needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .map(|i| i + 1)
                .unwrap()
        };
        assert_eq!(line_of(&text, "name"), line("\"name\""));
        let second_requisites = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("requisiteStageRefIds"))
            .nth(1)
            .map(|(i, _)| i + 1)
            .unwrap();
        assert_eq!(
            line_of(&text, "stages[1].requisiteStageRefIds"),
            second_requisites
        );
        assert_eq!(
            line_of(&text, "stages[1].requisiteStageRefIds[0]"),
            second_requisites + 1
        );
    }

    #[test]
    fn a_missing_field_points_at_its_object_and_any_layout_works() {
        let text = "{\"stages\": [\n  {\"refId\": \"1\"},\n  {\"refId\": \"a\\\"b\",\n   \"x\": [1, {\"y\": true}]}\n]}";
        assert_eq!(line_of(text, "stages[1].waitTime"), 3);
        assert_eq!(line_of(text, "stages[1].x[1].y"), 4);
        assert_eq!(line_of(text, "nothing.here"), 1);
        let paths: Vec<String> = path_lines(text).into_iter().map(|(p, _)| p).collect();
        assert!(paths.contains(&"stages[1].x[1]".to_string()), "{paths:?}");
    }
}
