//! Docker-registry accounts: the registries images are picked from, their repositories and
//! tags, for the image picker and the Infrastructure page (the infrastructure module has the
//! server functions that read them).

use serde::{Deserialize, Serialize};

use crate::accounts::AccountHealth;

/// A configured registry and how it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerRegistrySummary {
    pub name: String,
    /// `host[:port]`, the prefix of its image references.
    pub address: String,
    pub username: Option<String>,
    pub health: AccountHealth,
}

/// A registry's repositories, from its catalog and the configured list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryList {
    pub repositories: Vec<String>,
    /// Set when the catalog was empty or could not be read, saying what to do.
    pub warning: Option<String>,
}

/// Orders tags newest-looking first: version numbers compared number by number
/// (`1.10.0` after `1.9.2`), then the rest by name.
pub fn sort_tags(tags: &mut [String]) {
    fn key(tag: &str) -> Vec<(u64, String)> {
        let mut parts = Vec::new();
        let mut number = String::new();
        let mut text = String::new();
        for c in tag.chars() {
            if c.is_ascii_digit() {
                if !text.is_empty() {
                    parts.push((0, std::mem::take(&mut text)));
                }
                number.push(c);
            } else {
                if !number.is_empty() {
                    parts.push((number.parse().unwrap_or(u64::MAX), String::new()));
                    number.clear();
                }
                text.push(c);
            }
        }
        if !number.is_empty() {
            parts.push((number.parse().unwrap_or(u64::MAX), String::new()));
        }
        if !text.is_empty() {
            parts.push((0, text));
        }
        parts
    }
    tags.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| a.cmp(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_newest_first() {
        let mut tags: Vec<String> = ["1.0.0", "1.10.0", "1.9.2", "2.0.0"]
            .map(String::from)
            .to_vec();
        sort_tags(&mut tags);
        assert_eq!(tags, ["2.0.0", "1.10.0", "1.9.2", "1.0.0"]);
    }
}
