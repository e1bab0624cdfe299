//! Names and labels as Kubernetes accepts them, and Spinnaker's naming of clusters and server
//! groups (the "moniker"): `app[-stack[-detail]]` is a cluster, `app-stack-detail-v003` one of
//! its server groups.

use serde::{Deserialize, Serialize};

use crate::applications::model::{MAX_NAME_LEN, name_problem};
use crate::error::FieldError;

/// Labels and annotations Gennaker writes, and reads (Spinnaker's are recognised too).
pub mod keys {
    pub const APP_NAME: &str = "app.kubernetes.io/name";
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    pub const MONIKER_APPLICATION: &str = "moniker.spinnaker.io/application";
    pub const MONIKER_CLUSTER: &str = "moniker.spinnaker.io/cluster";
    pub const MONIKER_STACK: &str = "moniker.spinnaker.io/stack";
    pub const MONIKER_DETAIL: &str = "moniker.spinnaker.io/detail";
    pub const MONIKER_SEQUENCE: &str = "moniker.spinnaker.io/sequence";
    /// The Services a server group was attached to, as Spinnaker writes it:
    /// `["service web-frontend"]`.
    pub const LOAD_BALANCERS: &str = "traffic.spinnaker.io/load-balancers";
    /// Selects a server group's own Pods (the ReplicaSet's selector).
    pub const SERVER_GROUP: &str = "gennaker.io/server-group";
    /// The task that created an object, so a resumed task recognises its own work.
    pub const TASK: &str = "gennaker.io/task";
    /// A Service made by Gennaker selects Pods carrying `load-balancer.gennaker.io/<name>: "true"`.
    pub const LOAD_BALANCER_PREFIX: &str = "load-balancer.gennaker.io/";
}

/// The highest server group sequence; Spinnaker's `-vNNN` has three digits.
pub const MAX_SEQUENCE: u32 = 999;
/// The longest cluster name: the server group adds `-v000` and its Pods `-xxxxx`.
pub const MAX_CLUSTER_LEN: usize = MAX_NAME_LEN;

/// Application, stack and detail: what a cluster's name is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moniker {
    pub application: String,
    #[serde(default)]
    pub stack: String,
    #[serde(default)]
    pub detail: String,
}

impl Moniker {
    pub fn new(application: &str, stack: &str, detail: &str) -> Moniker {
        Moniker {
            application: application.to_string(),
            stack: stack.to_string(),
            detail: detail.to_string(),
        }
    }

    /// `app`, `app-stack`, `app-stack-detail` or `app--detail`, as Spinnaker names clusters.
    pub fn cluster(&self) -> String {
        match (self.stack.is_empty(), self.detail.is_empty()) {
            (true, true) => self.application.clone(),
            (false, true) => format!("{}-{}", self.application, self.stack),
            (_, false) => format!("{}-{}-{}", self.application, self.stack, self.detail),
        }
    }

    /// Problems with the parts, for the fields `stack` and `detail`.
    pub fn validate(&self, errors: &mut Vec<FieldError>) {
        for (field, value, label) in [
            ("stack", &self.stack, "Stack"),
            ("detail", &self.detail, "Detail"),
        ] {
            if !value.is_empty()
                && !value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                errors.push(FieldError::new(field, format!("{label} may contain only lowercase letters and digits (hyphens separate the parts of a name).")));
            }
        }
        let cluster = self.cluster();
        if cluster.len() > MAX_CLUSTER_LEN {
            errors.push(FieldError::new(
                "detail",
                format!("The cluster name {cluster:?} is {} characters; at most {MAX_CLUSTER_LEN} fit, so that Pod names stay within 63.", cluster.len()),
            ));
        }
    }
}

/// Problems with where an object goes: its application, account, namespace and moniker.
pub fn placement_problems(account: &str, namespace: &str, moniker: &Moniker) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(problem) = name_problem(&moniker.application) {
        errors.push(FieldError::new("application", problem));
    }
    if account.trim().is_empty() {
        errors.push(FieldError::new("account", "Choose an account."));
    }
    if let Some(problem) = dns_label_problem("Namespace", namespace) {
        errors.push(FieldError::new("namespace", problem));
    }
    moniker.validate(&mut errors);
    errors
}

/// `web-prod-v003` → `("web-prod", Some(3))`; a name without a version is its own cluster.
pub fn split_version(name: &str) -> (&str, Option<u32>) {
    if let Some((cluster, version)) = name.rsplit_once("-v")
        && version.len() >= 3
        && version.bytes().all(|b| b.is_ascii_digit())
        && !cluster.is_empty()
    {
        return (cluster, version.parse().ok());
    }
    (name, None)
}

/// The server group name for `sequence` in `cluster`.
pub fn server_group_name(cluster: &str, sequence: u32) -> String {
    format!("{cluster}-v{sequence:03}")
}

/// Why `value` is not an RFC 1123 label (namespaces, Service names), if it is not.
pub fn dns_label_problem(what: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(format!("{what} is required."));
    }
    if value.len() > 63 {
        return Some(format!(
            "{what} must be at most 63 characters (it has {}).",
            value.len()
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || value.starts_with('-')
        || value.ends_with('-')
    {
        return Some(format!(
            "{what} {value:?} may contain only lowercase letters, digits and hyphens, and must start and end with a letter or digit."
        ));
    }
    None
}

/// Why `value` is not a Kubernetes account's name, if it is not. Spinnaker's names are allowed
/// as they are written (`gke_my-project_europe-west1-b_prod`: underscores, dots, up to 253
/// characters), so an exported pipeline's accounts can be configured under the same names.
pub fn account_name_problem(what: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(format!("{what} is required."));
    }
    if value.len() > 253 {
        return Some(format!(
            "{what} must be at most 253 characters (it has {}).",
            value.len()
        ));
    }
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
        || !edge(value.bytes().next())
        || !edge(value.bytes().last())
    {
        return Some(format!(
            "{what} {value:?} may contain only lowercase letters, digits, '-', '_' and '.', and must start and end with a letter or digit."
        ));
    }
    None
}

/// Why `key` is not a label key (`prefix/name`), if it is not.
pub fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && (prefix.is_empty()
            || prefix.len() > 253
            || !prefix
                .split('.')
                .all(|l| dns_label_problem("", l).is_none()))
    {
        return Some(format!(
            "Label key {key:?}: the prefix before '/' must be a DNS name such as example.com."
        ));
    }
    if name.is_empty() || name.len() > 63 || !label_value_ok(name) {
        return Some(format!(
            "Label key {key:?}: the name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
        ));
    }
    None
}

/// Whether `value` is a label value (empty, or up to 63 characters of the allowed set).
pub fn label_value_ok(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && value
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && value
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric()))
}

/// Whether `text` is a resource quantity such as `250m`, `1.5`, `128Mi` or `1G`.
pub fn quantity_ok(text: &str) -> bool {
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.');
    number_ok
        && [
            "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
        ]
        .contains(&suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spinnakers_account_names_are_account_names() {
        assert_eq!(
            account_name_problem("The name", "gke_acme-prod_europe-west1-b_apps"),
            None
        );
        assert_eq!(account_name_problem("The name", "prod.eu"), None);
        for bad in ["", "_x", "x_", "Prod", "a b", &"a".repeat(254)] {
            assert!(account_name_problem("The name", bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn clusters_are_named_like_spinnaker() {
        let m = |stack: &str, detail: &str| Moniker::new("web", stack, detail).cluster();
        assert_eq!(m("", ""), "web");
        assert_eq!(m("prod", ""), "web-prod");
        assert_eq!(m("prod", "canary"), "web-prod-canary");
        assert_eq!(m("", "canary"), "web--canary");
        assert_eq!(server_group_name("web-prod", 3), "web-prod-v003");
        assert_eq!(server_group_name("web", 1000), "web-v1000");
    }

    #[test]
    fn versions_are_split_off() {
        assert_eq!(split_version("web-prod-v003"), ("web-prod", Some(3)));
        assert_eq!(split_version("web-v1000"), ("web", Some(1000)));
        assert_eq!(split_version("web-v1"), ("web-v1", None));
        assert_eq!(split_version("web"), ("web", None));
        assert_eq!(split_version("-v000"), ("-v000", None));
    }

    #[test]
    fn monikers_are_validated() {
        let mut errors = Vec::new();
        Moniker::new("web", "Prod", &"x".repeat(60)).validate(&mut errors);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["stack", "detail"]);
    }

    #[test]
    fn labels_and_quantities() {
        assert!(label_key_problem("app.kubernetes.io/name").is_none());
        assert!(label_key_problem("tier").is_none());
        assert!(label_key_problem("/tier").is_some());
        assert!(label_key_problem("Bad Key").is_some());
        assert!(label_value_ok("") && label_value_ok("v1.2_x") && !label_value_ok("-x"));
        for good in ["250m", "1", "1.5", "128Mi", "2Gi", "1G"] {
            assert!(quantity_ok(good), "{good}");
        }
        for bad in ["", "m", "1.2.3", "12 Mi", "-1", "1mb", ".5"] {
            assert!(!quantity_ok(bad), "{bad}");
        }
    }
}
