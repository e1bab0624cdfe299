//! Reads the moniker (application, cluster, stack, detail, sequence) of any object: from
//! Spinnaker's `moniker.spinnaker.io/*` annotations when present, else from the
//! `app.kubernetes.io/name` label and the object's name.

use gennaker_core::infrastructure::names::{Moniker, keys, split_version};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The application an object belongs to, if it says.
pub fn application_of(meta: &ObjectMeta) -> Option<String> {
    annotation(meta, keys::MONIKER_APPLICATION)
        .or_else(|| meta.labels.as_ref()?.get(keys::APP_NAME).cloned())
        .filter(|a| !a.is_empty())
}

fn annotation(meta: &ObjectMeta, key: &str) -> Option<String> {
    meta.annotations.as_ref()?.get(key).cloned()
}

/// The full moniker of an object named in Spinnaker's style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub moniker: Moniker,
    pub cluster: String,
    pub sequence: Option<u32>,
}

/// Reads the moniker of an object that belongs to `application_of`.
pub fn moniker_of(meta: &ObjectMeta) -> Option<Named> {
    let application = application_of(meta)?;
    let name = meta.name.clone().unwrap_or_default();
    let (base, sequence) = split_version(&name);
    let cluster = annotation(meta, keys::MONIKER_CLUSTER).unwrap_or_else(|| base.to_string());
    let sequence = annotation(meta, keys::MONIKER_SEQUENCE)
        .and_then(|s| s.parse().ok())
        .or(sequence);
    // Without annotations, stack and detail come from the cluster name.
    let (stack, detail) = match (
        annotation(meta, keys::MONIKER_STACK),
        annotation(meta, keys::MONIKER_DETAIL),
    ) {
        (None, None) => {
            let rest = cluster
                .strip_prefix(&application)
                .and_then(|r| r.strip_prefix('-'))
                .unwrap_or("");
            match rest.split_once('-') {
                Some((stack, detail)) => (stack.to_string(), detail.to_string()),
                None => (rest.to_string(), String::new()),
            }
        }
        (stack, detail) => (stack.unwrap_or_default(), detail.unwrap_or_default()),
    };
    Some(Named {
        moniker: Moniker {
            application,
            stack,
            detail,
        },
        cluster,
        sequence,
    })
}

/// The Services a server group is attached to, from `traffic.spinnaker.io/load-balancers`
/// (`["service web", "service web-canary"]`).
pub fn attached_load_balancers(meta: &ObjectMeta) -> Vec<String> {
    annotation(meta, keys::LOAD_BALANCERS)
        .and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| {
            let (kind, name) = entry.split_once(' ')?;
            kind.eq_ignore_ascii_case("service")
                .then(|| name.trim().to_string())
        })
        .collect()
}

/// The annotation value for attaching `names`.
pub fn load_balancers_annotation(names: &[String]) -> String {
    let entries: Vec<String> = names.iter().map(|n| format!("service {n}")).collect();
    serde_json::to_string(&entries).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn meta(name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectMeta {
        let map = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        ObjectMeta {
            name: Some(name.into()),
            labels: map(labels),
            annotations: map(annotations),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn gennaker_objects_are_read_from_the_label_and_name() {
        let named = moniker_of(&meta(
            "web-prod-canary-v003",
            &[(keys::APP_NAME, "web")],
            &[],
        ))
        .expect("has an application");
        assert_eq!(named.cluster, "web-prod-canary");
        assert_eq!(named.sequence, Some(3));
        assert_eq!(
            (named.moniker.stack.as_str(), named.moniker.detail.as_str()),
            ("prod", "canary")
        );
    }

    #[test]
    fn spinnaker_annotations_win() {
        let m = meta(
            "frontend-v012",
            &[],
            &[
                (keys::MONIKER_APPLICATION, "shop"),
                (keys::MONIKER_CLUSTER, "replicaSet frontend"),
                (keys::MONIKER_SEQUENCE, "12"),
            ],
        );
        let named = moniker_of(&m).expect("has an application");
        assert_eq!(named.moniker.application, "shop");
        assert_eq!(named.cluster, "replicaSet frontend");
        assert_eq!(named.sequence, Some(12));
        assert_eq!(moniker_of(&meta("x", &[], &[])), None);
    }

    #[test]
    fn load_balancer_annotations_round_trip() {
        let names = vec!["web".to_string(), "web-canary".to_string()];
        let value = load_balancers_annotation(&names);
        assert_eq!(value, r#"["service web","service web-canary"]"#);
        let m = meta("web-v000", &[], &[(keys::LOAD_BALANCERS, &value)]);
        assert_eq!(attached_load_balancers(&m), names);
    }
}
