//! What the stages that act on a cluster or on one Kubernetes object share, with Deck's field
//! names: the cluster (`credentials`, `namespaces[0]` or `regions[0]`, `cluster`), which server group
//! (`target` or `serverGroupName`), a cleanup's settings, one object (`account`, `location`,
//! `manifestName`, or found when the stage runs: Deck's `mode`), and the account of a stage
//! that runs a Job.

use serde_json::Value;

use crate::expressions;
use crate::pipelines::reader::Reader;
use crate::tasks::model::{
    Criteria, LabelSelector, ManifestSelector, SelectorKind, ServerGroupPick,
};

/// A cluster of an account and namespace, as the cluster stages name it (`credentials`,
/// `namespaces[0]` or `regions[0]`, `cluster`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterRef {
    pub account: String,
    pub namespace: String,
    pub cluster: String,
}

/// The server group a server group stage acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterTarget {
    pub cluster: ClusterRef,
    pub pick: ServerGroupPick,
}

/// Shrink Cluster's and Scale Down Cluster's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleanup {
    pub cluster: ClusterRef,
    pub keep: u64,
    pub prefer_larger: bool,
    pub allow_active: bool,
}

/// The Kubernetes objects a manifest stage acts on, in `location` of `account`.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestTarget {
    pub account: String,
    pub namespace: String,
    pub objects: ManifestObjects,
}

/// Deck's `mode`: one object named now (`static`), or objects found when the stage runs
/// (`dynamic`, `label`).
#[derive(Debug, Clone, PartialEq)]
pub enum ManifestObjects {
    /// `manifestName` split: "deployment web" is kind `deployment`, name `web`.
    Named {
        kind: String,
        name: String,
    },
    Selected(ManifestSelector),
}

/// The first of a list of text, or the text itself (`namespaces: ["prod"]` or `namespace: "prod"`).
pub(super) fn first_text(r: &mut Reader<'_>, key: &str) -> Option<String> {
    match r.raw(key) {
        Some(Value::Array(_)) => r.texts(key).into_iter().next(),
        Some(_) => r.text(key),
        None => None,
    }
    .filter(|t| !t.is_empty())
}

/// The cluster a cluster stage names; `cluster` may be left out when `need_cluster` is false.
pub(super) fn cluster_ref(r: &mut Reader<'_>, need_cluster: bool) -> ClusterRef {
    let account = match r.text("credentials").filter(|a| !a.is_empty()) {
        Some(account) => account,
        None => r
            .required_text("account", "the Kubernetes account (credentials)")
            .unwrap_or_default(),
    };
    let namespace = ["namespaces", "regions", "namespace", "location"]
        .into_iter()
        .find_map(|key| first_text(r, key));
    if namespace.is_none() {
        r.fail("namespaces", "Give the namespace of the cluster.");
    }
    let cluster = if need_cluster {
        r.required_text("cluster", "the cluster (such as web-main)")
    } else {
        r.text("cluster")
    };
    ClusterRef {
        account,
        namespace: namespace.unwrap_or_default(),
        cluster: cluster.unwrap_or_default(),
    }
}

/// A server group stage's `target`, or the server group it names (`serverGroupName`).
pub(super) fn cluster_target(r: &mut Reader<'_>) -> ClusterTarget {
    let named = r.text("serverGroupName").filter(|n| !n.is_empty());
    let target = r.text("target").filter(|t| !t.is_empty());
    let pick = match (target, named) {
        (Some(target), named) => ServerGroupPick::parse(&target)
            .or_else(|| named.clone().map(|name| ServerGroupPick::Named { name }))
            .unwrap_or_else(|| {
                r.fail(
                    "target",
                    format!("{target:?} is not a target: use current_asg_dynamic (newest), ancestor_asg_dynamic (previous), oldest_asg_dynamic, largest_asg_dynamic, or name the server group in serverGroupName."),
                );
                ServerGroupPick::Newest
            }),
        (None, Some(name)) => ServerGroupPick::Named { name },
        (None, None) => {
            r.fail(
                "target",
                "Choose the server group: the newest, previous, oldest or largest of the cluster, or one by name.",
            );
            ServerGroupPick::Newest
        }
    };
    let need_cluster = !matches!(pick, ServerGroupPick::Named { .. });
    ClusterTarget {
        cluster: cluster_ref(r, need_cluster),
        pick,
    }
}

pub(super) fn cleanup(
    r: &mut Reader<'_>,
    keep: &str,
    prefer_larger: &str,
    allow_active: &str,
) -> Cleanup {
    let cluster = cluster_ref(r, true);
    Cleanup {
        cluster,
        keep: r.count(keep).unwrap_or(1),
        prefer_larger: r.flag(prefer_larger).unwrap_or(false),
        allow_active: r.flag(allow_active).unwrap_or(false),
    }
}

/// The objects of a manifest stage in `location` of `account`, by Deck's `mode`.
pub(super) fn manifest_target(r: &mut Reader<'_>) -> ManifestTarget {
    let account = r
        .required_text("account", "the Kubernetes account")
        .unwrap_or_default();
    let namespace = r
        .required_text("location", "the namespace")
        .unwrap_or_default();
    let mode = r.text("mode").unwrap_or_default();
    let objects = match mode.trim() {
        "" | "static" => named_object(r),
        "dynamic" => ManifestObjects::Selected(dynamic_target(r)),
        "label" => ManifestObjects::Selected(label_target(r)),
        other => {
            r.fail(
                "mode",
                format!("{other:?} is not a mode: use static (one object by name), dynamic (the newest, oldest, ... object of a cluster) or label (the objects whose labels match)."),
            );
            named_object(r)
        }
    };
    ManifestTarget {
        account,
        namespace,
        objects,
    }
}

/// `manifestName` ("deployment web").
fn named_object(r: &mut Reader<'_>) -> ManifestObjects {
    let target = r
        .required_text(
            "manifestName",
            "the object, as kind and name (deployment web)",
        )
        .unwrap_or_default();
    let (kind, name) = match target.trim().split_once(char::is_whitespace) {
        Some((kind, name)) => (kind.trim().to_string(), name.trim().to_string()),
        None if target.contains("${") || target.is_empty() => (String::new(), target),
        None => {
            r.fail(
                "manifestName",
                format!("Write the object as kind and name, such as \"deployment {target}\"."),
            );
            (String::new(), target)
        }
    };
    ManifestObjects::Named { kind, name }
}

/// Whether `key` holds an expression, so its value is only known when the stage runs.
fn deferred(r: &Reader<'_>, key: &str) -> bool {
    matches!(r.raw(key), Some(Value::String(text)) if expressions::has_expressions(text))
}

/// `cluster` ("replicaSet web"), `criteria` and `kind` (the cluster's kind when not given),
/// with `app` (the pipeline's application when not given).
fn dynamic_target(r: &mut Reader<'_>) -> ManifestSelector {
    let cluster = r
        .required_text("cluster", "the cluster, such as \"replicaSet web\"")
        .unwrap_or_default();
    let criteria = match r.required_text(
        "criteria",
        "which object of the cluster: newest, second_newest, oldest, largest or smallest",
    ) {
        Some(_) if deferred(r, "criteria") => Criteria::Newest,
        Some(text) => Criteria::parse(&text).unwrap_or_else(|| {
            r.fail(
                "criteria",
                format!("{text:?} is not a criteria: use newest, second_newest, oldest, largest or smallest."),
            );
            Criteria::Newest
        }),
        None => Criteria::Newest,
    };
    let kind = r.text("kind").filter(|k| !k.trim().is_empty()).or_else(|| {
        cluster
            .trim()
            .split_once(char::is_whitespace)
            .map(|(kind, _)| kind.to_string())
    });
    let kind = kind.unwrap_or_else(|| {
        if !deferred(r, "cluster") {
            r.fail(
                "kind",
                "Give the kind of object to choose (replicaSet, deployment, ...).",
            );
        }
        String::new()
    });
    let application = r.text("app").filter(|a| !a.trim().is_empty());
    ManifestSelector::Dynamic {
        application,
        cluster: cluster.trim().to_string(),
        kind: kind.trim().to_string(),
        criteria,
    }
}

/// `kinds` and `labelSelectors.selectors`.
fn label_target(r: &mut Reader<'_>) -> ManifestSelector {
    let kinds: Vec<String> = r
        .texts("kinds")
        .into_iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if kinds.is_empty() && !deferred(r, "kinds") {
        r.fail(
            "kinds",
            "Choose the kinds of object to find by their labels (deployment, configMap, ...).",
        );
    }
    let selectors = r
        .object("labelSelectors", |r| r.objects("selectors", label_selector))
        .unwrap_or_default();
    let selectors: Vec<LabelSelector> = selectors.into_iter().flatten().collect();
    if selectors.is_empty() && !deferred(r, "labelSelectors") {
        r.fail(
            "labelSelectors",
            "Give at least one label selector: without one, every object of these kinds would match.",
        );
    }
    ManifestSelector::Label { kinds, selectors }
}

fn label_selector(r: &mut Reader<'_>) -> Option<LabelSelector> {
    let kind_text = r.required_text(
        "kind",
        "the selector's kind: EQUALS, NOT_EQUALS, CONTAINS, NOT_CONTAINS, EXISTS or NOT_EXISTS",
    )?;
    let Some(kind) = SelectorKind::parse(&kind_text) else {
        r.fail(
            "kind",
            format!("{kind_text:?} is not a selector kind: use EQUALS, NOT_EQUALS, CONTAINS, NOT_CONTAINS, EXISTS or NOT_EXISTS."),
        );
        return None;
    };
    let key = r.required_text("key", "the label's key")?;
    let values = r.texts("values");
    let selector = LabelSelector {
        kind,
        key: key.trim().to_string(),
        values,
    };
    let later = deferred(r, "key")
        || deferred(r, "values")
        || selector
            .values
            .iter()
            .any(|v| expressions::has_expressions(v));
    if let Some(problem) = selector.problem().filter(|_| !later) {
        r.fail("key", problem);
    }
    Some(selector)
}

/// The Kubernetes account of a stage that runs a Job: `account`, or `credentials`.
pub(super) fn account(r: &mut Reader<'_>) -> String {
    let named = ["account", "credentials"]
        .into_iter()
        .find_map(|key| r.text(key).filter(|a| !a.trim().is_empty()));
    named.unwrap_or_else(|| {
        r.fail("account", "Give the Kubernetes account.");
        String::new()
    })
}
