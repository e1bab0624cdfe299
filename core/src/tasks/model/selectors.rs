//! The objects a manifest stage finds when it runs instead of naming one (Deck's `mode:
//! dynamic` and `mode: label`): the newest, second newest, oldest, largest or smallest object
//! of a kind in a cluster, or every object of some kinds whose labels match. What was found is
//! recorded by a step that changes nothing, so the steps after it act on the same objects when
//! a restart runs them again.

use serde::{Deserialize, Serialize};

/// How the objects are found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "mode",
    deny_unknown_fields
)]
pub enum ManifestSelector {
    /// One object of `kind` in Spinnaker's cluster `cluster` ("replicaSet web" or "web") of
    /// `application` (the task's when not given), chosen by `criteria`.
    Dynamic {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        application: Option<String>,
        cluster: String,
        kind: String,
        criteria: Criteria,
    },
    /// Every object of `kinds` whose labels match all `selectors`.
    Label {
        kinds: Vec<String>,
        selectors: Vec<LabelSelector>,
    },
}

impl ManifestSelector {
    /// For step labels: "the newest replicaSet of replicaSet web", "objects labelled app=web".
    pub fn describe(&self) -> String {
        match self {
            ManifestSelector::Dynamic {
                cluster,
                kind,
                criteria,
                ..
            } => format!("{} {kind} of {cluster}", criteria.describe()),
            ManifestSelector::Label { kinds, selectors } => format!(
                "the {} labelled {}",
                kinds.join(", "),
                selector_query(selectors)
            ),
        }
    }
}

/// Which object of a cluster (Spinnaker's `criteria`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criteria {
    Newest,
    SecondNewest,
    Oldest,
    Largest,
    Smallest,
}

impl Criteria {
    pub const ALL: [Criteria; 5] = [
        Criteria::Newest,
        Criteria::SecondNewest,
        Criteria::Oldest,
        Criteria::Largest,
        Criteria::Smallest,
    ];

    /// Spinnaker's name (`second_newest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Criteria::Newest => "newest",
            Criteria::SecondNewest => "second_newest",
            Criteria::Oldest => "oldest",
            Criteria::Largest => "largest",
            Criteria::Smallest => "smallest",
        }
    }

    pub fn parse(text: &str) -> Option<Criteria> {
        Criteria::ALL
            .into_iter()
            .find(|c| c.as_str() == text.trim())
    }

    /// "the second newest".
    pub fn describe(self) -> &'static str {
        match self {
            Criteria::Newest => "the newest",
            Criteria::SecondNewest => "the second newest",
            Criteria::Oldest => "the oldest",
            Criteria::Largest => "the largest",
            Criteria::Smallest => "the smallest",
        }
    }

    /// The one of `candidates` this criteria names. Newer is a later creation time, then a
    /// later name (`web-v002` after `web-v001`, made in the same second); of equal size the
    /// newer is taken.
    pub fn choose(self, candidates: &[Candidate]) -> Option<&Candidate> {
        let mut by_age: Vec<&Candidate> = candidates.iter().collect();
        by_age.sort_by(|a, b| (&a.created, &a.name).cmp(&(&b.created, &b.name)));
        match self {
            Criteria::Newest => by_age.last().copied(),
            Criteria::SecondNewest => by_age.iter().rev().nth(1).copied(),
            Criteria::Oldest => by_age.first().copied(),
            // `max_by_key` keeps the last of equals, `min_by_key` the first.
            Criteria::Largest => by_age.iter().max_by_key(|c| c.replicas).copied(),
            Criteria::Smallest => by_age.iter().rev().min_by_key(|c| c.replicas).copied(),
        }
    }
}

/// An object a dynamic target may choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    /// Its `creationTimestamp` as Kubernetes writes it (RFC 3339 in UTC, so it sorts as text).
    pub created: String,
    /// `spec.replicas` (0 for kinds without).
    pub replicas: i64,
}

/// One of Spinnaker's label selectors (`{"kind": "EQUALS", "key": "app", "values": ["web"]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    pub kind: SelectorKind,
    pub key: String,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SelectorKind {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    Exists,
    NotExists,
}

impl SelectorKind {
    pub const ALL: [SelectorKind; 6] = [
        SelectorKind::Equals,
        SelectorKind::NotEquals,
        SelectorKind::Contains,
        SelectorKind::NotContains,
        SelectorKind::Exists,
        SelectorKind::NotExists,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SelectorKind::Equals => "EQUALS",
            SelectorKind::NotEquals => "NOT_EQUALS",
            SelectorKind::Contains => "CONTAINS",
            SelectorKind::NotContains => "NOT_CONTAINS",
            SelectorKind::Exists => "EXISTS",
            SelectorKind::NotExists => "NOT_EXISTS",
        }
    }

    pub fn parse(text: &str) -> Option<SelectorKind> {
        SelectorKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl LabelSelector {
    /// The selector as the Kubernetes API takes it: `key=value`, `key!=value`, `key in (a,b)`,
    /// `key notin (a,b)`, `key`, `!key`.
    pub fn to_query(&self) -> String {
        let key = &self.key;
        let values = self.values.join(",");
        match self.kind {
            SelectorKind::Equals => format!("{key}={values}"),
            SelectorKind::NotEquals => format!("{key}!={values}"),
            SelectorKind::Contains => format!("{key} in ({values})"),
            SelectorKind::NotContains => format!("{key} notin ({values})"),
            SelectorKind::Exists => key.clone(),
            SelectorKind::NotExists => format!("!{key}"),
        }
    }

    /// What is wrong with it, in words that say what to write instead. Keys and values are
    /// checked as Kubernetes checks labels, so nothing written here changes the query's meaning.
    pub fn problem(&self) -> Option<String> {
        if let Some(problem) = key_problem(&self.key) {
            return Some(problem);
        }
        let wanted = match self.kind {
            SelectorKind::Equals | SelectorKind::NotEquals => Some(1..=1),
            SelectorKind::Contains | SelectorKind::NotContains => Some(1..=usize::MAX),
            SelectorKind::Exists | SelectorKind::NotExists => None,
        };
        match wanted {
            Some(range) if !range.contains(&self.values.len()) => {
                return Some(if *range.end() == 1 {
                    format!(
                        "{} {}: give exactly one value",
                        self.kind.as_str(),
                        self.key
                    )
                } else {
                    format!(
                        "{} {}: give at least one value",
                        self.kind.as_str(),
                        self.key
                    )
                });
            }
            None if !self.values.is_empty() => {
                return Some(format!(
                    "{} {}: takes no values (remove them)",
                    self.kind.as_str(),
                    self.key
                ));
            }
            _ => {}
        }
        self.values.iter().find_map(|v| value_problem(v))
    }
}

/// All selectors joined, as the API's `labelSelector` parameter.
pub fn selector_query(selectors: &[LabelSelector]) -> String {
    selectors
        .iter()
        .map(LabelSelector::to_query)
        .collect::<Vec<_>>()
        .join(",")
}

/// Selectors from text as kubectl takes them (`tier=cache,env in (prod,staging),!keep`), each
/// checked as [`LabelSelector::problem`] checks it.
pub fn parse_selector_query(text: &str) -> Result<Vec<LabelSelector>, String> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    let mut selectors = Vec::new();
    for term in terms.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        let selector = parse_term(term)?;
        if let Some(problem) = selector.problem() {
            return Err(problem);
        }
        selectors.push(selector);
    }
    Ok(selectors)
}

fn parse_term(term: &str) -> Result<LabelSelector, String> {
    let selector = |kind, key: &str, values: Vec<String>| LabelSelector {
        kind,
        key: key.trim().to_string(),
        values,
    };
    let set = |rest: &str| -> Result<Vec<String>, String> {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| {
                format!("{term:?}: write the values in parentheses, such as env in (prod,staging)")
            })?;
        Ok(inner
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect())
    };
    if let Some(key) = term.strip_prefix('!') {
        return Ok(selector(SelectorKind::NotExists, key, Vec::new()));
    }
    if let Some((key, value)) = term.split_once("!=") {
        return Ok(selector(
            SelectorKind::NotEquals,
            key,
            vec![value.trim().to_string()],
        ));
    }
    if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(selector(
            SelectorKind::Equals,
            key,
            vec![value.trim().to_string()],
        ));
    }
    let words: Vec<&str> = term.splitn(2, char::is_whitespace).collect();
    match words.as_slice() {
        [key] => Ok(selector(SelectorKind::Exists, key, Vec::new())),
        [key, rest] => {
            let rest = rest.trim_start();
            if let Some(values) = rest.strip_prefix("notin") {
                Ok(selector(SelectorKind::NotContains, key, set(values)?))
            } else if let Some(values) = rest.strip_prefix("in") {
                Ok(selector(SelectorKind::Contains, key, set(values)?))
            } else {
                Err(format!(
                    "{term:?} is not a selector: write key=value, key!=value, key in (a,b), key notin (a,b), key or !key"
                ))
            }
        }
        _ => Err(format!("{term:?} is not a selector")),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A label name or value: up to 63 letters, digits, `-`, `_`, `.`, starting and ending with a
/// letter or digit.
fn label_text_ok(text: &str) -> bool {
    text.len() <= 63
        && text.chars().all(is_name_char)
        && text
            .chars()
            .next()
            .is_none_or(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .last()
            .is_none_or(|c| c.is_ascii_alphanumeric())
}

fn value_problem(value: &str) -> Option<String> {
    (!label_text_ok(value)).then(|| {
        format!(
            "{value:?} is not a label value: up to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )
    })
}

fn key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            })
    });
    (name.is_empty() || !label_text_ok(name) || !prefix_ok).then(|| {
        format!(
            "{key:?} is not a label key: a name of up to 63 letters, digits, '-', '_' and '.', with an optional DNS prefix (example.com/tier)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(kind: SelectorKind, key: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            kind,
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn each_kind_is_written_as_kubernetes_reads_it() {
        let all = [
            selector(SelectorKind::Equals, "app", &["web"]),
            selector(SelectorKind::NotEquals, "tier", &["db"]),
            selector(SelectorKind::Contains, "env", &["prod", "staging"]),
            selector(SelectorKind::NotContains, "zone", &["a"]),
            selector(SelectorKind::Exists, "example.com/owner", &[]),
            selector(SelectorKind::NotExists, "canary", &[]),
        ];
        assert_eq!(
            selector_query(&all),
            "app=web,tier!=db,env in (prod,staging),zone notin (a),example.com/owner,!canary"
        );
        assert!(all.iter().all(|s| s.problem().is_none()));
    }

    #[test]
    fn what_would_change_the_query_is_refused() {
        let comma = selector(SelectorKind::Equals, "app", &["web,tier=db"]);
        assert!(comma.problem().unwrap().contains("not a label value"));
        let spaced = selector(SelectorKind::Exists, "app in (x)", &[]);
        assert!(spaced.problem().unwrap().contains("not a label key"));
        let two = selector(SelectorKind::Equals, "app", &["a", "b"]);
        assert!(two.problem().unwrap().contains("exactly one value"));
        let none = selector(SelectorKind::Contains, "app", &[]);
        assert!(none.problem().unwrap().contains("at least one value"));
        let extra = selector(SelectorKind::NotExists, "app", &["x"]);
        assert!(extra.problem().unwrap().contains("takes no values"));
        let prefix = selector(SelectorKind::Exists, "Example.com/x", &[]);
        assert!(prefix.problem().is_some());
        assert!(
            selector(SelectorKind::Equals, "app", &[""])
                .problem()
                .is_none(),
            "an empty value is a valid label value"
        );
    }

    #[test]
    fn selectors_read_from_kubectls_syntax_and_back() {
        let text = "tier=cache, env in (prod, staging),zone notin (a),owner,!canary,app!=db";
        let selectors = parse_selector_query(text).unwrap();
        assert_eq!(
            selectors.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [
                SelectorKind::Equals,
                SelectorKind::Contains,
                SelectorKind::NotContains,
                SelectorKind::Exists,
                SelectorKind::NotExists,
                SelectorKind::NotEquals
            ]
        );
        assert_eq!(selectors[1].values, ["prod", "staging"]);
        assert_eq!(
            selector_query(&selectors),
            "tier=cache,env in (prod,staging),zone notin (a),owner,!canary,app!=db"
        );
        assert_eq!(parse_selector_query(" ").unwrap(), []);
        let bad = parse_selector_query("env in prod").unwrap_err();
        assert!(bad.contains("in parentheses"), "{bad}");
        let bad = parse_selector_query("tier=a b").unwrap_err();
        assert!(bad.contains("not a label value"), "{bad}");
        let bad = parse_selector_query("env within (a)").unwrap_err();
        assert!(bad.contains("is not a selector"), "{bad}");
    }

    fn candidate(name: &str, created: &str, replicas: i64) -> Candidate {
        Candidate {
            name: name.into(),
            created: created.into(),
            replicas,
        }
    }

    #[test]
    fn criteria_choose_by_age_then_name_and_by_size() {
        let all = [
            candidate("web-v001", "2026-01-01T00:00:00Z", 3),
            candidate("web-v003", "2026-01-02T00:00:00Z", 1),
            candidate("web-v002", "2026-01-02T00:00:00Z", 3),
        ];
        let chosen = |c: Criteria| c.choose(&all).map(|c| c.name.as_str());
        assert_eq!(chosen(Criteria::Newest), Some("web-v003"));
        assert_eq!(chosen(Criteria::SecondNewest), Some("web-v002"));
        assert_eq!(chosen(Criteria::Oldest), Some("web-v001"));
        assert_eq!(
            chosen(Criteria::Largest),
            Some("web-v002"),
            "of equal size, the newer"
        );
        assert_eq!(chosen(Criteria::Smallest), Some("web-v003"));
        assert_eq!(Criteria::SecondNewest.choose(&all[..1]), None);
        assert_eq!(Criteria::Newest.choose(&[]), None);
    }

    #[test]
    fn a_selector_keeps_spinnakers_names_in_json() {
        let dynamic = ManifestSelector::Dynamic {
            application: None,
            cluster: "replicaSet web".into(),
            kind: "replicaSet".into(),
            criteria: Criteria::SecondNewest,
        };
        let json = serde_json::to_value(&dynamic).unwrap();
        assert_eq!(json["mode"], "dynamic");
        assert_eq!(json["criteria"], "second_newest");
        assert_eq!(
            serde_json::from_value::<ManifestSelector>(json).unwrap(),
            dynamic
        );
        let label: LabelSelector =
            serde_json::from_value(serde_json::json!({"kind": "NOT_EXISTS", "key": "canary"}))
                .unwrap();
        assert_eq!(label.kind, SelectorKind::NotExists);
    }
}
